package tui

import "strings"

// Lessons: every preset has a short lesson in four parts (what to watch
// for, why it happens, what fixes it, what the fix costs). The picker
// shows the highlighted preset's lesson beside or below the list — in
// reveal mode only what to watch for, the rest would answer the question
// before the run asks it — and i in the lanes opens the whole lesson in
// the panes' place, until i or esc.

// lessonLines is src's lesson in at most n lines of width columns, each
// paragraph's label ("Watch:") in the title ink, a blank line between
// paragraphs when there is room for them all; with watchOnly, only the
// first paragraph and a line that says where the rest is.
func lessonLines(src Source, width, n int, watchOnly bool, st *styles) []string {
	paras := src.Lesson
	if len(paras) == 0 {
		return wrapPainted("No lesson for "+src.Name+": the presets have one each (racetape list --long).", width, n, inkDim, st)
	}
	if watchOnly {
		paras = paras[:1]
	}
	var wrapped [][]string
	total := 0
	for _, p := range paras {
		w := wrapText(p, width, n)
		wrapped = append(wrapped, w)
		total += len(w)
	}
	gaps := total+len(wrapped)-1 <= n
	var out []string
	for i, w := range wrapped {
		if i > 0 && gaps {
			out = append(out, "")
		}
		for j, l := range w {
			if len(out) == n {
				// cut: the last line says there is more
				out[n-1] = st.paint(inkDim, "…")
				return out
			}
			if j == 0 {
				if label, rest, ok := strings.Cut(l, ": "); ok && !strings.Contains(label, " ") {
					out = append(out, st.paint(inkTitle, label+":")+" "+rest)
					continue
				}
			}
			out = append(out, l)
		}
	}
	if watchOnly && len(src.Lesson) > 1 && len(out) < n {
		if len(out) < n-1 {
			out = append(out, "")
		}
		out = append(out, wrapPainted("Why, the fix and its cost: i in the lanes (reveal mode keeps them from the picker).", width, n-len(out), inkDim, st)...)
	}
	return out
}

// wrapPainted wraps text to width in at most n lines, in ink k.
func wrapPainted(text string, width, n int, k ink, st *styles) []string {
	lines := wrapText(text, width, n)
	for i, l := range lines {
		lines[i] = st.paint(k, l)
	}
	return lines
}
