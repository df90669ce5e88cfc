package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// minLabel is the fewest columns a cut label is drawn in ("GET…").
const minLabel = 4

// A window is the part of a tape the lanes show: Cols columns of Scale
// virtual time each, starting at instant Left, and actor lanes
// [Top, Top+Lanes). The cache and db lanes are always shown, below them.
type window struct {
	Width int           // total width in columns, lane names included
	Left  time.Duration // instant at the left edge of the first time column
	Scale time.Duration // virtual time per column (> 0)
	Top   int           // first actor lane shown
	Lanes int           // number of actor lanes shown
	Pos   int           // cursor position: 0 is the start, k is after step k
	Gap   bool          // a blank line after each lane, when there is room
}

// laneLines is the number of lines renderLanes draws for w.
func (w window) laneLines(t *tape) int {
	per := 2
	if w.Gap {
		per = 3
	}
	return 1 + per*(min(max(w.Lanes, 0), len(t.names))+2)
}

// gutter is the width of the lane-name column (a space included).
func (t *tape) gutter() int {
	w, limit := len("cache"), 12
	if t.labels != nil {
		limit += 2 // room for the key before the name
	}
	for l := range t.names {
		w = max(w, textWidth(t.laneLabel(l)))
	}
	return min(w, limit) + 1
}

// cols is the number of time columns of w.
func (w window) cols(t *tape) int { return max(w.Width-t.gutter(), 0) }

// colOf is the column holding instant at (floor; negative left of the
// window).
func (w window) colOf(at time.Duration) int {
	d := at - w.Left
	c := d / w.Scale
	if d < 0 && d%w.Scale != 0 {
		c--
	}
	return int(c)
}

// instCol is the column an instant that ends something is drawn in: the
// column of the last moment before it, so that a step's end, its commit and
// the cursor after it share the step's last column.
func (w window) instCol(at time.Duration) int {
	if at <= 0 {
		return w.colOf(0)
	}
	return w.colOf(at - 1)
}

// colTime is the instant at the left edge of column c.
func (w window) colTime(c int) time.Duration { return w.Left + time.Duration(c)*w.Scale }

// spanCols returns the first and last column of a step.
func (w window) spanCols(e *timeline.Event) (int, int) {
	c0 := w.colOf(e.Start)
	if e.End <= e.Start {
		return c0, c0
	}
	return c0, max(c0, w.instCol(e.End))
}

// cursorCol is the column of the cursor: the last column of the current
// step (the end of the run's first instant at the start).
func (w window) cursorCol(t *tape) int {
	if w.Pos <= 0 || t.n == 0 {
		return w.colOf(0)
	}
	_, c1 := w.spanCols(&t.tl.Events[min(w.Pos, t.n)-1])
	return c1
}

// renderLanes draws the time axis, the visible actor lanes (two lines each:
// bars, then labels), and the cache and db lanes, each line exactly
// w.Width columns. Its cost depends on the window, not on the run's length:
// every lookup is a binary search and at most one step per column is drawn.
func renderLanes(t *tape, w window, st *styles) []string {
	if w.Width <= 0 || w.Scale <= 0 {
		return nil
	}
	g := t.gutter()
	cols := w.cols(t)
	top := max(0, min(w.Top, len(t.names)-w.Lanes))
	shown := min(max(w.Lanes, 0), len(t.names))
	rows := make([]row, 0, w.laneLines(t))
	names := make([]string, 0, cap(rows))
	nameInk := make([]ink, 0, cap(rows))
	add := func(name string, k ink) row {
		r := newRow(cols)
		rows = append(rows, r)
		names = append(names, name)
		nameInk = append(nameInk, k)
		return r
	}

	cur := w.Pos - 1
	curLane := -1
	if cur >= 0 && cur < t.n {
		curLane = t.laneOf[cur]
	}

	gap := func() {
		if w.Gap {
			add("", inkPlain)
		}
	}
	curRow := -1
	axis := add(formatShort(w.Scale), inkDim)
	drawAxis(t, w, axis, cols)
	for l := top; l < top+shown; l++ {
		k := inkBold
		if l == curLane {
			k = inkCursor
		}
		if l == curLane {
			curRow = len(rows)
		}
		bar := add(t.laneLabel(l), k)
		hint := ""
		if l == top && top > 0 {
			hint = "↑" + itoa(top)
		}
		if below := len(t.names) - (top + shown); l == top+shown-1 && below > 0 {
			hint = "↓" + itoa(below)
		}
		lab := add(hint, inkDim)
		drawActorLane(t, w, l, bar, lab, cols)
		gap()
	}
	cbar, clab := add("cache", inkBold), add("", inkPlain)
	drawCacheLane(t, w, cbar, clab, cols)
	gap()
	dbar, dlab := add("db", inkBold), add("", inkPlain)
	drawDBLane(t, w, dbar, dlab, cols)
	gap()

	// The cursor line runs through every lane where nothing else is drawn.
	if cc := w.cursorCol(t); cc >= 0 && cc < cols {
		axis.set(cc, '▼', inkCursor)
		for _, r := range rows[1:] {
			if r.empty(cc) {
				r.set(cc, '┊', inkDim)
			}
		}
	}

	out := make([]string, len(rows))
	var b strings.Builder
	for i, r := range rows {
		b.Reset()
		b.Grow(w.Width * 2)
		b.WriteString(st.paint(nameInk[i], pad(names[i], g-1)))
		switch {
		case g-1 >= w.Width:
		case i == curRow:
			b.WriteString(st.paint(inkCursor, "▸")) // the current step's lane
		default:
			b.WriteByte(' ')
		}
		r.render(&b, st)
		out[i] = b.String()
	}
	return out
}

// drawAxis draws time ticks about every ten columns and arrows at the edges
// when the run goes on beyond them.
func drawAxis(t *tape, w window, r row, cols int) {
	step := niceStep(w.Scale * 10)
	first := (w.Left + step - 1) / step * step
	if w.Left < 0 {
		first = 0
	}
	cc := w.cursorCol(t)
	for at := first; w.colOf(at) < cols; at += step {
		c := w.colOf(at)
		r.set(c, '╵', inkDim)
		label := formatShort(at)
		if cc > c && cc <= c+textWidth(label) {
			continue // the cursor's ▼ would cut the label
		}
		r.fit(c+1, label, inkDim, c+10, 1)
	}
	if w.Left > 0 {
		r.set(0, '◂', inkDim)
	}
	if w.colTime(cols) < t.end {
		r.set(cols-1, '▸', inkDim)
	}
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten nanoseconds.
func niceStep(d time.Duration) time.Duration {
	for p := time.Duration(1); ; p *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if m*p >= d {
				return m * p
			}
		}
	}
}

// A placed step is one drawn on an actor lane, in columns [c0, c1].
type placed struct {
	seq, c0, c1 int
	clipped     bool // starts before c0 (left edge or a neighbour)
	hiddenStale bool // a stale read's step is hidden under its last column
}

// drawActorLane draws lane l: at most one step per column, found by binary
// search, then the current step on top with its full label.
func drawActorLane(t *tape, w window, l int, bar, lab row, cols int) {
	ev := t.tl.Events
	seqs := t.lanes[l]
	var ps []placed
	next := 0 // first column not yet drawn
	for i := t.firstReaching(l, w.Left); i < len(seqs); {
		e := &ev[seqs[i]]
		c0, c1 := w.spanCols(e)
		if c0 >= cols {
			break
		}
		if c1 < next {
			// Hidden under what is drawn already: jump to the first step
			// that reaches the next free column.
			j := t.firstReaching(l, w.colTime(next)+1)
			if j <= i {
				j = i + 1
			}
			if len(ps) > 0 && t.staleBetween(l, i, j) {
				ps[len(ps)-1].hiddenStale = true
			}
			i = j
			continue
		}
		p := placed{seq: seqs[i], c0: c0, c1: c1}
		if c0 < next {
			p.c0, p.clipped = next, true
		}
		ps = append(ps, p)
		next = c1 + 1
		i++
	}

	cur := w.Pos - 1
	for k, p := range ps {
		if p.seq == cur {
			continue
		}
		e := &ev[p.seq]
		k0 := opInk(e)
		if t.inStaleRead(p.seq) {
			k0 = inkStale
		}
		drawBar(bar, p, cols, k0, t.isStaleFinal(p.seq), false)
		if p.hiddenStale {
			bar.set(min(p.c1, cols-1), '✗', inkStale)
		}
		limit := cols
		if k+1 < len(ps) {
			limit = ps[k+1].c0 - 1
		}
		lk := inkPlain
		if t.isStaleFinal(p.seq) {
			lk = inkStaleLb
		}
		lab.fit(p.c0, stepLabel(t, p.seq), lk, limit, minLabel)
	}

	if cur < 0 || cur >= t.n || t.laneOf[cur] != l {
		return
	}
	e := &ev[cur]
	c0, c1 := w.spanCols(e)
	if c1 < 0 || c0 >= cols {
		return
	}
	p := placed{seq: cur, c0: max(c0, 0), c1: c1, clipped: c0 < 0}
	drawBar(bar, p, cols, inkCursor, t.isStaleFinal(cur), true)
	label := stepLabel(t, cur)
	lw := textWidth(label)
	at := p.c0
	if at+lw > cols {
		at = max(0, cols-lw)
	}
	lk := inkCursorLb
	if t.isStaleFinal(cur) {
		lk = inkStaleLb
	}
	// Keep the neighbours' labels from running into this one: the one on
	// the left ends in "…", what is left of one on the right is erased.
	if at > 0 {
		lab.set(at-1, ' ', inkPlain)
		if at > 1 && !lab.empty(at-2) && lab[at-2].r != ' ' {
			lab[at-2].r = '…'
		}
	}
	end := lab.fit(at, label, lk, cols, 1)
	for c := end; c < cols && !lab.empty(c) && lab[c].r != ' '; c++ {
		lab[c] = cell{}
	}
}

// drawBar draws a step's span: ├──┤, or ┣━━┫ for the current step; a stale
// read's last step starts with ✗.
func drawBar(r row, p placed, cols int, k ink, staleFinal, current bool) {
	left, mid, right, single := '├', '─', '┤', '│'
	if current {
		left, mid, right, single = '┣', '━', '┫', '┃'
	}
	if p.clipped {
		left = mid
	}
	if p.c0 == p.c1 {
		r.set(p.c0, single, k)
	} else {
		r.set(p.c0, left, k)
		r.fill(p.c0+1, min(p.c1-1, cols-1), mid, k)
		if p.c1 < cols {
			r.set(p.c1, right, k)
		}
	}
	if staleFinal {
		r.set(p.c0, '✗', inkStale)
	}
}

// opInk is the ink of a step's bar.
func opInk(e *timeline.Event) ink {
	switch {
	case e.IsCache():
		return inkCacheOp
	case e.IsDB():
		return inkDBOp
	}
	return inkSleep
}

// drawCacheLane shades the intervals where the cache diverged from the
// database, marks every cache command where it took effect (● hit, ○ miss,
// ▲ set, ✕ del, ◇ expire, † TTL expiry) and labels each divergence.
func drawCacheLane(t *tape, w window, bar, lab row, cols int) {
	ev := t.tl.Events
	right := w.colTime(cols)
	sh := t.shades
	for i := sort.Search(len(sh), func(i int) bool { return sh[i].until > w.Left }); i < len(sh) && sh[i].from < right; i++ {
		to := w.instCol(sh[i].until)
		if sh[i].until == sh[i].from {
			to = w.colOf(sh[i].from)
		}
		bar.fill(w.colOf(sh[i].from), min(to, cols-1), '░', inkShade)
	}

	ce := t.cacheEv
	for i := sort.Search(len(ce), func(i int) bool { return ev[ce[i]].End >= w.Left }); i < len(ce); {
		e := &ev[ce[i]]
		c := w.instCol(e.End)
		if c >= cols {
			break
		}
		if c >= 0 {
			k := inkCacheOp
			if t.isStaleFinal(ce[i]) {
				k = inkStale
			}
			bar.set(c, cacheGlyph(e), k)
		}
		from := w.colTime(c + 1)
		j := sort.Search(len(ce), func(j int) bool { return ev[ce[j]].End > from })
		i = max(j, i+1)
	}

	xs := t.expiries
	for i := sort.Search(len(xs), func(i int) bool { return xs[i].At >= w.Left }); i < len(xs); {
		c := w.instCol(xs[i].At)
		if c >= cols {
			break
		}
		bar.set(c, '†', inkCacheOp)
		from := w.colTime(c + 1)
		j := sort.Search(len(xs), func(j int) bool { return xs[j].At > from })
		i = max(j, i+1)
	}

	// Divergence labels, at most one per column; one that began left of the
	// window is labelled at its edge.
	dv := t.tl.Divergences
	ds := t.divs
	k := sort.Search(len(ds), func(i int) bool { return dv[ds[i]].From >= w.Left })
	type lbl struct {
		c int
		d int
	}
	var ls []lbl
	if k > 0 && t.divUntil(ds[k-1]) > w.Left {
		ls = append(ls, lbl{0, ds[k-1]})
	}
	for k < len(ds) {
		d := ds[k]
		c := w.colOf(dv[d].From)
		if c >= cols {
			break
		}
		if len(ls) == 0 || c > ls[len(ls)-1].c {
			ls = append(ls, lbl{c, d})
		}
		from := w.colTime(c + 1)
		j := sort.Search(len(ds), func(j int) bool { return dv[ds[j]].From >= from })
		k = max(j, k+1)
	}
	for i, l := range ls {
		limit := cols
		if i+1 < len(ls) {
			limit = ls[i+1].c - 1
		}
		d := dv[l.d]
		text := "≠ " + d.Key + ": cache " + d.CacheValue + ", db " + d.DBValue
		if l.c == 0 && d.From < w.Left {
			text = "◂" + text
		}
		lab.fit(l.c, text, inkDivLb, limit, minLabel)
	}
	// TTL expiries are labelled where there is room.
	for i := sort.Search(len(xs), func(i int) bool { return xs[i].At >= w.Left }); i < len(xs); i++ {
		c := w.instCol(xs[i].At)
		if c >= cols {
			break
		}
		text := xs[i].Key + " expired"
		if freeRun(lab, c, textWidth(text)+1) {
			lab.text(c, text, inkCacheOp, cols)
		}
		// skip the ones that would land inside this label
		from := w.colTime(c + textWidth(text) + 1)
		j := sort.Search(len(xs), func(j int) bool { return xs[j].At > from })
		i = max(j, i+1) - 1
	}
}

// freeRun reports whether n columns from c are all empty and inside the row.
func freeRun(r row, c, n int) bool {
	if c < 0 || c+n > len(r) {
		return false
	}
	for i := c; i < c+n; i++ {
		if !r.empty(i) {
			return false
		}
	}
	return true
}

// cacheGlyph is the mark of a cache command on the cache lane.
func cacheGlyph(e *timeline.Event) rune {
	op := e.Op
	if i := strings.IndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	switch op {
	case "get":
		if e.Result == "hit" {
			return '●'
		}
		return '○'
	case "set":
		if e.Result == "fail" {
			return '△'
		}
		return '▲'
	case "del":
		return '✕'
	case "expire":
		return '◇'
	}
	return '•'
}

// drawDBLane marks every commit (◆, ◇ for the seed rows) with its value
// and version, and every database read (·).
func drawDBLane(t *tape, w window, bar, lab row, cols int) {
	cs := t.commits
	type lbl struct{ c, i int }
	var ls []lbl
	for i := sort.Search(len(cs), func(i int) bool { return cs[i].At >= w.Left }); i < len(cs); {
		c := w.instCol(cs[i].At)
		if c >= cols {
			break
		}
		if c >= 0 {
			g := '◆'
			if cs[i].Event < 0 {
				g = '◇'
			}
			bar.set(c, g, inkCommit)
			ls = append(ls, lbl{c, i})
		}
		from := w.colTime(c + 1)
		j := sort.Search(len(cs), func(j int) bool { return cs[j].At > from })
		i = max(j, i+1)
	}
	for k, l := range ls {
		limit := cols
		if k+1 < len(ls) {
			limit = ls[k+1].c - 1
		}
		c := cs[l.i]
		text := c.Key + "=" + c.Value + " v" + itoa(c.Version)
		if c.Event < 0 {
			text += " seed"
		}
		lab.fit(l.c, text, inkCommit, limit, minLabel)
	}

	ev := t.tl.Events
	de := t.dbEv
	for i := sort.Search(len(de), func(i int) bool { return ev[de[i]].End >= w.Left }); i < len(de); {
		c := w.instCol(ev[de[i]].End)
		if c >= cols {
			break
		}
		if ev[de[i]].Op == "db.read" && bar.empty(c) {
			bar.set(c, '·', inkDBOp)
		}
		from := w.colTime(c + 1)
		j := sort.Search(len(de), func(j int) bool { return ev[de[j]].End > from })
		i = max(j, i+1)
	}
}
