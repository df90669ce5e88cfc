package tui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
)

// A cell is one terminal column of a drawn row. r == 0 marks a cell nothing
// was drawn in (it renders as a space and the cursor line may pass through
// it); contd marks the right half of a double-width rune.
type cell struct {
	r     rune
	k     ink
	contd bool
}

// A row is one line being drawn, cell by cell.
type row []cell

func newRow(w int) row { return make(row, max(w, 0)) }

// set draws rune ch in column c, if c is inside the row.
func (r row) set(c int, ch rune, k ink) {
	if c >= 0 && c < len(r) {
		r[c] = cell{r: ch, k: k}
	}
}

// empty reports whether nothing was drawn in column c.
func (r row) empty(c int) bool { return c >= 0 && c < len(r) && r[c].r == 0 && !r[c].contd }

// blank reports whether nothing was drawn in the row.
func (r row) blank() bool {
	for c := range r {
		if !r.empty(c) {
			return false
		}
	}
	return true
}

// text draws s from column c, stopping before column limit (and the row's
// end); runes left of column 0 are skipped. It returns the column after the
// last rune drawn.
func (r row) text(c int, s string, k ink, limit int) int {
	limit = min(limit, len(r))
	for _, ch := range s {
		w := runeWidth(ch)
		if w == 0 {
			continue
		}
		if c+w > limit {
			break
		}
		if c >= 0 {
			r[c] = cell{r: ch, k: k}
			if w == 2 {
				r[c+1] = cell{k: k, contd: true}
			}
		}
		c += w
	}
	return c
}

// fit draws s from column c, cut with "…" when it does not fit before
// limit. It draws nothing when fewer than min columns are available.
func (r row) fit(c int, s string, k ink, limit, minCols int) int {
	limit = min(limit, len(r))
	room := limit - max(c, 0)
	if room < minCols || room <= 0 {
		return c
	}
	if textWidth(s) <= room {
		return r.text(max(c, 0), s, k, limit)
	}
	end := r.text(max(c, 0), s, k, limit-1)
	return r.text(end, "…", k, limit)
}

// fill draws ch in columns [from, to] (clipped).
func (r row) fill(from, to int, ch rune, k ink) {
	from, to = max(from, 0), min(to, len(r)-1)
	for c := from; c <= to; c++ {
		r[c] = cell{r: ch, k: k}
	}
}

// render appends the row to b, one paint per run of cells in the same ink.
func (r row) render(b *strings.Builder, st *styles) {
	run := ink(255)
	for _, c := range r {
		if c.contd {
			continue
		}
		k := c.k
		if c.r == 0 {
			k = inkPlain
		}
		if k != run {
			if run != 255 {
				b.WriteString(st.paints[run].post)
			}
			b.WriteString(st.paints[k].pre)
			run = k
		}
		if c.r == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteRune(c.r)
		}
	}
	if run != 255 {
		b.WriteString(st.paints[run].post)
	}
}

func (r row) String() string {
	var b strings.Builder
	r.render(&b, &styles{noColor: true})
	return b.String()
}

// runeWidth is the number of columns ch takes in a terminal.
func runeWidth(ch rune) int {
	switch {
	case ch < 0x20 || ch == 0x7f:
		return 0
	case ch < 0x300:
		return 1
	case ch < 0x370: // combining marks
		return 0
	case ch >= 0x2000 && ch < 0x2e80 && ch != 0x231a && ch != 0x231b && (ch < 0x23e9 || ch > 0x23f3) && (ch < 0x2600 || ch > 0x27bf):
		// punctuation, arrows, math, box drawing, blocks, geometric shapes
		return 1
	}
	return lipgloss.Width(string(ch))
}

// textWidth is the number of columns s takes.
func textWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			if s[i] >= 0x20 && s[i] != 0x7f {
				w++
			}
			i++
			continue
		}
		ch, n := utf8.DecodeRuneInString(s[i:])
		w += runeWidth(ch)
		i += n
	}
	return w
}

// clip cuts plain text s to at most w columns, ending in "…" when cut.
func clip(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if textWidth(s) <= w {
		return s
	}
	r := newRow(w)
	end := r.text(0, s, inkPlain, w-1)
	r.text(end, "…", inkPlain, w)
	return strings.TrimRight(r.String(), " ")
}

// pad cuts or pads plain text s to exactly w columns.
func pad(s string, w int) string {
	s = clip(s, w)
	if n := w - textWidth(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// renderString renders the row with st.
func (r row) renderString(st *styles) string {
	var b strings.Builder
	r.render(&b, st)
	return b.String()
}
