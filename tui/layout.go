package tui

import (
	"slices"
	"strings"
	"time"
)

// The smallest terminal the tape view is drawn in; below it the TUI says
// "terminal too small".
const (
	minWidth  = 60
	minHeight = 14
)

// legend explains the lanes' glyphs; it is shown when there is room.
const legend = "├─┤ step  ┣━┫ now  ✗ stale read  ░ cache≠db  ●hit ○miss ▲set ✕del †expired  ◆commit ◇seed ·read"

// revealLegend is the legend's start in reveal mode.
const revealLegend = "╶╌╴ ahead  "

// minSidePanes is the width from which the story and the state panes sit
// side by side (below it, one above the other).
const minSidePanes = 80

// A paneKind is one of the bordered panes beside or below the lanes.
type paneKind int

const (
	paneStory  paneKind = iota // what the current step did, and why it is stale
	paneState                  // the cache and database at the cursor
	paneSteps                  // every step so far, the current one marked
	paneLesson                 // the scenario's lesson (i), instead of the others
)

// A pane is where one pane goes, in the panes' block.
type pane struct {
	kind paneKind
	x, y int // offset in the block
	w, h int // outer size, border included
}

// A layout is how the tape view's lines and columns are shared out.
type layout struct {
	tooSmall bool
	side     bool // panes right of the lanes, not below
	lanesW   int  // width of the lanes (gutter included)
	gutter   int
	tracks   []shownTrack // the tracks shown
	top      int          // index of the first, among the tracks not filtered out
	above    int
	below    int
	legend   bool
	blank    int // blank lines left under the lanes (side layout)
	panesW   int // the panes' block
	panesH   int
	panes    []pane
	fullHelp bool
	help     int   // help lines
	needs    []int // label lines each track needs, when every track shows
	panel    int   // scheduler mode's panel lines
}

// layout shares the terminal between the lanes and the panes. Below, the
// lanes get their tracks with one label line each, the panes what their
// text needs; then the legend, a second label line per track, a blank
// line between tracks, and the panes the rest. When the tracks do not fit
// below on a wide terminal, the panes go beside them.
func (m Model) layout() layout {
	k := m.layoutKey()
	if mm := m.memo; mm.layOK && mm.layKey == k {
		return mm.lay
	}
	lay := m.computeLayout()
	m.memo.lay, m.memo.layKey, m.memo.layOK = lay, k, true
	return lay
}

// computeLayout is layout, computed.
func (m Model) computeLayout() layout {
	lay := layout{fullHelp: m.help.ShowAll, help: 1}
	if m.width < minWidth || m.height < minHeight {
		lay.tooSmall = true
		return lay
	}
	fixed := 1 // header
	panelWant := 0
	if m.state == stateSchedule && m.sched.active() {
		lay.panel = 1
		panelWant = schedPanelWant(m.sched.cur(), m.width)
		fixed++
	}
	if lay.fullHelp {
		lay.help = strings.Count(m.helpView(true, false), "\n") + 1
		if m.height-fixed-lay.help < 10 {
			lay.fullHelp, lay.help = false, 1
		}
	}
	avail := m.height - fixed - lay.help
	var all []track
	if m.tape != nil {
		all = m.visibleTracks()
	}
	lay.gutter = 0
	if m.tape != nil {
		lay.gutter = m.tape.naturalGutter(max(m.width/5, 12))
	}

	// scheduler mode: room for the banner and who can go next first
	grow := min(max(avail-12, 0), max(min(panelWant, 3)-lay.panel, 0))
	lay.panel += grow
	avail -= grow

	n := len(all)
	belowMin := 1 + 2*min(n, 1) + m.panesMin(m.width, false)
	if avail < belowMin {
		lay.tooSmall = true
		return lay
	}
	lay.side = m.width >= 150 && 1+2*n+m.panesWant(m.width, false) > avail
	if lay.side {
		lay.panesW = min(max(m.width*34/100, 46), 72)
		lay.lanesW = m.width - lay.panesW - 1
		lay.panesH = avail
		m.shareTracks(&lay, all, avail)
		lay.panes = m.placePanes(lay.panesW, lay.panesH, true)
		return lay
	}
	lay.lanesW, lay.panesW = m.width, m.width
	// the panes' text first, up to two fifths of the height; the tracks
	// scroll in the rest when they do not all fit
	want := m.panesWant(m.width, false)
	pmin := m.panesMin(m.width, false)
	if m.lesson && m.state == stateTape {
		// the lesson is what the class reads now: the tracks scroll
		pmin = max(pmin, min(want, avail*3/5))
	}
	lanes := avail - max(pmin, min(want, avail*2/5))
	if 1+2*n <= lanes {
		// every track shows: first the label lines they need, then the
		// panes what they want, then the legend and gaps; the panes the
		// rest
		full := 1
		lay.needs = m.labelNeeds(lay.lanesW, lay.gutter, all)
		for _, k := range lay.needs {
			full += 1 + k
		}
		lanes = max(min(full, avail-pmin), avail-want)
	}
	used := m.shareTracks(&lay, all, lanes)
	lay.panesH = avail - used
	lay.panes = m.placePanes(lay.panesW, lay.panesH, false)
	return lay
}

// A layoutKey is everything a layout depends on.
type layoutKey struct {
	width, height int
	full          bool   // the full help asked for
	help          string // which help bar (see helpMode)
	tape          *tape
	sched         *tape // scheduler mode's point shown
	schedSel      int
	filter, sel   string
	collapsed     string // the collapsed tracks' names
	top, pos      int
	left, scale   time.Duration
	reveal        bool
	note          string
	lesson        int // the source whose lesson is open, or -1
}

func (m Model) layoutKey() layoutKey {
	k := layoutKey{width: m.width, height: m.height, full: m.help.ShowAll, help: m.helpMode(),
		tape: m.tape, filter: m.filter, sel: m.selName, top: m.top, pos: m.pos,
		left: m.left, scale: m.scale, reveal: m.reveal, note: m.note}
	k.lesson = -1
	if m.lesson && m.state == stateTape {
		k.lesson = m.cur
	}
	if m.sched.active() {
		p := m.sched.cur()
		k.sched, k.schedSel = p.tape, p.sel
	}
	var names []string
	for name, c := range m.collapsed {
		if c {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	k.collapsed = strings.Join(names, "\x00")
	return k
}

// shareTracks lays the tracks out in h lines from m.top: one label line
// each as many as fit, then the legend, second label lines and gaps while
// there is room; below the panes it keeps only the lines it uses. It
// returns the lines used.
func (m Model) shareTracks(lay *layout, all []track, h int) int {
	n := len(all)
	shown := min(n, max((h-1)/2, min(n, 1)))
	top := max(0, min(m.top, n-shown))
	ts := make([]shownTrack, shown)
	for i := range ts {
		tr := all[top+i]
		ts[i] = shownTrack{track: tr, labels: 1, sel: m.selName != "" && m.tape.trackName(tr) == m.selName}
		if m.collapsed[m.tape.trackName(tr)] {
			ts[i].labels = 0
		}
	}
	used := 1
	for _, s := range ts {
		used += s.lines()
	}
	need := lay.needs
	if len(need) != n {
		need = m.labelNeeds(lay.lanesW, lay.gutter, all[top:top+shown])
	} else {
		need = need[top : top+shown]
	}
	for level := 2; level <= maxLabelLines; level++ {
		for i := range ts {
			if used < h && ts[i].labels == level-1 && need[i] >= level {
				ts[i].labels = level
				used++
			}
		}
	}
	legend := used < h && (lay.side || shown == n)
	if legend {
		used++
	}
	if used+len(ts) <= h {
		for i := range ts {
			ts[i].gap = true
		}
		used += len(ts)
	}
	lay.legend = legend
	lay.tracks, lay.top, lay.above, lay.below = ts, top, top, n-top-shown
	if lay.side {
		lay.blank = h - used
		return h
	}
	return used
}

// labelNeeds is how many label lines each of tracks needs (0 collapsed)
// in lanes width wide with a gutter of gutter columns.
func (m Model) labelNeeds(width, gutter int, tracks []track) []int {
	w := m.windowOf(layout{lanesW: width, gutter: gutter})
	out := make([]int, len(tracks))
	for i, tr := range tracks {
		if !m.collapsed[m.tape.trackName(tr)] {
			out[i] = labelLines(m.tape, w, tr)
		}
	}
	return out
}

// panesWant is the outer height the panes' block would fill at width w.
func (m Model) panesWant(w int, side bool) int {
	h := 0
	for _, p := range m.placePanes(w, 1000, side) {
		h = max(h, p.y+min(p.h, m.paneWant(p.kind, p.w)+2))
	}
	return h
}

// panesMin is the least outer height of the panes' block at width w: the
// story's first two lines and the state's first line, in their borders.
func (m Model) panesMin(w int, side bool) int {
	if w < minSidePanes {
		return (2 + 2) + (2 + 1)
	}
	return 2 + 3
}

// paneWant is how many inner lines pane k would fill at outer width w.
func (m Model) paneWant(k paneKind, w int) int {
	if m.tape == nil {
		return 1
	}
	switch k {
	case paneStory:
		return len(m.storyLines(w-4, 10))
	case paneState:
		return inspectorWant(m.tape, m.pos, w-4)
	case paneSteps:
		return m.tape.n + 1
	case paneLesson:
		// its lines without the blank ones between paragraphs, which
		// come when there is room
		n := 0
		for _, l := range m.lessonText(w-4, 40) {
			if l != "" {
				n++
			}
		}
		return n
	}
	return 1
}

// placePanes arranges the panes in a block of w×h: beside the lanes they
// stack (the story, the state, then the steps taking the rest); below, side
// by side from 100 columns (the steps too from 160), else stacked.
func (m Model) placePanes(w, h int, side bool) []pane {
	if h <= 0 {
		return nil
	}
	stack := func(kinds ...paneKind) []pane {
		var out []pane
		y := 0
		for i, k := range kinds {
			left := h - y
			if left < 3 {
				break
			}
			ph := min(m.paneWant(k, w)+2, left)
			if i == len(kinds)-1 {
				ph = left
			} else {
				// keep room for the next pane's first lines
				ph = min(ph, max(left-4, 3))
			}
			out = append(out, pane{kind: k, x: 0, y: y, w: w, h: ph})
			y += ph
		}
		return out
	}
	switch {
	case m.lesson && m.state == stateTape:
		return []pane{{kind: paneLesson, w: w, h: h}}
	case side:
		return stack(paneStory, paneState, paneSteps)
	case w < minSidePanes:
		return stack(paneStory, paneState)
	}
	kinds := []paneKind{paneStory, paneState}
	widths := []int{w * 55 / 100}
	if w >= 160 {
		kinds = append(kinds, paneSteps)
		widths = []int{w * 40 / 100, w * 32 / 100}
	}
	var out []pane
	x := 0
	for i, k := range kinds {
		pw := w - x
		if i < len(widths) {
			pw = widths[i]
		}
		out = append(out, pane{kind: k, x: x, y: 0, w: pw, h: h})
		x += pw
	}
	return out
}

// visibleTracks are the tracks the filter keeps (every one without a
// filter).
func (m Model) visibleTracks() []track {
	all := m.tape.tracks()
	if m.filter == "" {
		return all
	}
	return slices.DeleteFunc(all, func(tr track) bool { return !matchFilter(m.tape.trackName(tr), m.filter) })
}
