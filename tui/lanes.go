package tui

import (
	"sort"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// minLabel is the fewest columns a cut label is drawn in ("GET…").
const minLabel = 4

// A trackKind says what a track shows.
type trackKind uint8

const (
	trackActor trackKind = iota // one actor's steps
	trackCache                  // one key in the cache
	trackDB                     // one key in the database
)

// A track is one horizontal band of the lanes: an actor, or one key's
// cache or database.
type track struct {
	kind trackKind
	lane int    // trackActor: the actor's lane
	key  string // trackCache, trackDB
}

// tracks are every track of t: one per actor, then a cache and a db track
// per key, in order of the keys' first appearance.
func (t *tape) tracks() []track {
	out := make([]track, 0, len(t.names)+2*len(t.keys))
	for l := range t.names {
		out = append(out, track{kind: trackActor, lane: l})
	}
	for _, k := range t.keys {
		out = append(out, track{kind: trackCache, key: k}, track{kind: trackDB, key: k})
	}
	return out
}

// trackName is what the gutter shows for tr: the actor ("1 writer" in
// scheduler mode), "cache order:42", "db order:42".
func (t *tape) trackName(tr track) string {
	switch tr.kind {
	case trackCache:
		return "cache " + tr.key
	case trackDB:
		return "db " + tr.key
	}
	return t.laneLabel(tr.lane)
}

// A shownTrack is a track as the lanes draw it: its bar line, then labels
// label lines (0 when collapsed), then a blank line when gap.
type shownTrack struct {
	track
	labels int
	gap    bool
	sel    bool // the selected track (x collapses it)
}

// lines is the number of lines the track takes.
func (s shownTrack) lines() int {
	n := 1 + s.labels
	if s.gap {
		n++
	}
	return n
}

// A window is the part of a tape the lanes show: Width columns (the gutter
// included) of Scale virtual time each from instant Left, and the tracks
// Tracks. In reveal mode what lies after the cursor is drawn as shapes
// only, without words or marks.
type window struct {
	Width  int
	Gutter int           // width of the track names' column, its marker included
	Left   time.Duration // instant at the left edge of the first time column
	Scale  time.Duration // virtual time per column (> 0)
	Pos    int           // cursor position: 0 is the start, k is after step k
	Reveal bool
	Tracks []shownTrack
	Above  int // tracks scrolled out above
	Below  int // tracks scrolled out below (or filtered out)
	// Draws, when set, keeps the tracks' drawings between frames (see
	// drawCache); nil draws every track anew.
	Draws *drawCache
	// Instant puts the cursor line at instant At instead of at the end of
	// step Pos (two runs stacked share one cursor instant).
	Instant bool
	At      time.Duration
}

// laneLines is the number of lines renderLanes draws for w.
func (w window) laneLines() int {
	n := 1
	for _, s := range w.Tracks {
		n += s.lines()
	}
	return n
}

// naturalGutter is the gutter's width for t's track names, at most limit.
func (t *tape) naturalGutter(limit int) int {
	w := len("cache")
	for _, tr := range t.tracks() {
		w = max(w, textWidth(t.trackName(tr)))
	}
	return min(w, max(limit, 6)) + 1
}

// cols is the number of time columns of w.
func (w window) cols() int { return max(w.Width-w.Gutter, 0) }

// visible reports whether step seq is drawn in full: always, except in
// reveal mode after the cursor.
func (w window) visible(seq int) bool { return !w.Reveal || seq < w.Pos }

// now is the cursor's instant, past which reveal mode hides the run.
func (w window) now(t *tape) time.Duration {
	if !w.Reveal {
		return t.end
	}
	return t.timeAt(w.Pos)
}

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
	if w.Instant {
		return w.instCol(w.At)
	}
	if w.Pos <= 0 || t.n == 0 {
		return w.colOf(0)
	}
	_, c1 := w.spanCols(&t.tl.Events[min(w.Pos, t.n)-1])
	return c1
}

// renderLanes draws the time axis and w's tracks, each line exactly w.Width
// columns. Its cost depends on the window, not on the run's length: every
// lookup is a binary search and at most one step per column is drawn.
func renderLanes(t *tape, w window, st *styles) []string {
	if w.Width <= 0 || w.Scale <= 0 {
		return nil
	}
	g := min(w.Gutter, w.Width)
	cols := w.cols()
	rows := make([]row, 0, w.laneLines())
	names := make([]string, 0, cap(rows))
	nameInk := make([]ink, 0, cap(rows))
	marker := make([]rune, 0, cap(rows))
	add := func(name string, k ink, mk rune) row {
		r := newRow(cols)
		rows = append(rows, r)
		names = append(names, name)
		nameInk = append(nameInk, k)
		marker = append(marker, mk)
		return r
	}

	cur := w.Pos - 1
	curLane := -1
	if cur >= 0 && cur < t.n {
		curLane = t.laneOf[cur]
	}
	axis := add(formatShort(w.Scale)+"/col", inkDim, ' ')
	drawAxis(t, w, axis, cols)
	for i, s := range w.Tracks {
		k, mk := inkBold, ' '
		if s.kind == trackActor && s.lane == curLane {
			k, mk = inkCursor, '▸'
		}
		name := t.trackName(s.track)
		if s.sel {
			k = inkFocus
			name = "›" + name
		}
		d := w.drawing(t, s.track, s.labels)
		copy(add(name, k, mk), d.bar)
		for j := range s.labels {
			hint := ""
			if j == 0 && i == 0 && w.Above > 0 {
				hint = "↑" + itoa(w.Above) + " more"
			}
			if j == s.labels-1 && i == len(w.Tracks)-1 && w.Below > 0 {
				hint = "↓" + itoa(w.Below) + " more"
			}
			copy(add(hint, inkDim, ' '), d.labels[j])
		}
		if s.gap {
			add("", inkPlain, ' ')
		}
	}
	if len(w.Tracks) > 0 && w.Tracks[len(w.Tracks)-1].labels == 0 && w.Below > 0 {
		names[len(names)-1] = "↓" + itoa(w.Below) + " more"
	}

	// The cursor line runs through every track where nothing else is drawn.
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
		if g > 0 {
			b.WriteString(st.paint(nameInk[i], pad(names[i], g-1)))
			if marker[i] != ' ' {
				b.WriteString(st.paint(inkCursor, string(marker[i])))
			} else {
				b.WriteByte(' ')
			}
		}
		r.render(&b, st)
		out[i] = b.String()
	}
	return out
}

// drawAxis draws time ticks whose labels never repeat: the tick step is
// the smallest 1-2-5 step whose labels, with as many decimals as the step
// needs, fit between two ticks. Arrows at the edges say the run goes on.
func drawAxis(t *tape, w window, r row, cols int) {
	if cols <= 0 {
		return
	}
	hi := w.colTime(cols)
	var step time.Duration
	var labels func(time.Duration) string
	for n := 6; ; n += 2 {
		step = niceStep(w.Scale * time.Duration(n))
		labels = tickFormat(step, hi)
		if int(step/w.Scale) >= textWidth(labels(hi))+2 || n > cols {
			break
		}
	}
	first := max(0, (w.Left+step-1)/step*step)
	cc := w.cursorCol(t)
	room := cols // the labels' right edge: before the ▸ that says the run goes on
	if hi < t.end {
		room--
	}
	for at := first; w.colOf(at) < cols; at += step {
		c := w.colOf(at)
		r.set(c, '╵', inkDim)
		label := labels(at)
		if cc > c && cc <= c+textWidth(label) {
			continue // the cursor's ▼ would cut the label
		}
		if c+1+textWidth(label) > room {
			continue // a label cut at the right edge reads as another time
		}
		r.text(c+1, label, inkDim, c+1+int(step/w.Scale)-1)
	}
	if w.Left > 0 {
		r.set(0, '◂', inkDim)
	}
	if hi < t.end {
		r.set(cols-1, '▸', inkDim)
	}
}

// tickFormat returns how ticks step apart up to hi are written: in the unit
// of hi, with the decimals step needs ("2.51002s" at a 20µs step).
func tickFormat(step, hi time.Duration) func(time.Duration) string {
	unit, name := time.Nanosecond, "ns"
	switch {
	case hi >= time.Hour:
		unit, name = time.Hour, "h"
	case hi >= time.Minute:
		unit, name = time.Minute, "m"
	case hi >= time.Second:
		unit, name = time.Second, "s"
	case hi >= time.Millisecond:
		unit, name = time.Millisecond, "ms"
	case hi >= time.Microsecond:
		unit, name = time.Microsecond, "µs"
	}
	dec := 0
	for p := unit; dec < 9 && step%p != 0; p /= 10 {
		dec++
	}
	return func(at time.Duration) string {
		if at == 0 {
			return "0"
		}
		whole := at / unit
		s := itoa(int(whole))
		if dec > 0 {
			frac := int64(at % unit)
			div := int64(unit)
			digits := make([]byte, dec)
			for i := range digits {
				div /= 10
				if div == 0 {
					digits[i] = '0'
					continue
				}
				digits[i] = byte('0' + frac/div%10)
			}
			s += "." + string(digits)
		}
		return s + name
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

// A label is a text to place on a track's label lines at column c.
type label struct {
	c    int
	text string
	k    ink
}

// placeLabels draws labels, in order of priority, on the label lines: each
// on the first line where it fits whole with a blank column either side
// (moved left at the right edge), else cut with "…" where it has the most
// room, or not at all below minLabel columns. It reports whether every
// label was drawn whole.
func placeLabels(lines []row, ls []label, cols int) bool {
	if len(lines) == 0 {
		return len(ls) == 0
	}
	whole := true
	free := func(r row, c, n int) bool {
		if c < 0 || c+n > cols {
			return false
		}
		return freeRun(r, max(c-1, 0), min(n+2, cols-max(c-1, 0))-boolInt(c == 0))
	}
	for _, l := range ls {
		lw := textWidth(l.text)
		c := l.c
		if c+lw > cols {
			c = max(0, cols-lw)
		}
		done := false
		for _, r := range lines {
			if free(r, c, lw) {
				r.text(c, l.text, l.k, cols)
				done = true
				break
			}
		}
		if done {
			continue
		}
		whole = false
		if l.c < 0 || l.c >= cols {
			continue
		}
		best, room := -1, 0
		for i, r := range lines {
			n := 0
			for l.c+n < cols && r.empty(l.c+n) {
				n++
			}
			if l.c > 0 && !r.empty(l.c-1) {
				n = 0
			}
			if n > room {
				best, room = i, n
			}
		}
		if best >= 0 && room-1 >= minLabel {
			lines[best].fit(l.c, l.text, l.k, l.c+room-1, minLabel)
		}
	}
	return whole
}

// drawTrack draws track tr on its bar and label lines; it reports whether
// every label was drawn whole.
func drawTrack(t *tape, w window, tr track, bar row, labels []row, cols int) bool {
	switch tr.kind {
	case trackCache:
		return drawCacheTrack(t, w, tr.key, bar, labels, cols)
	case trackDB:
		return drawDBTrack(t, w, tr.key, bar, labels, cols)
	}
	return drawActorLane(t, w, tr.lane, bar, labels, cols)
}

// maxLabelLines is the most label lines a track gets.
const maxLabelLines = 4

// labelLines is how many label lines tr needs in w for every label to be
// drawn whole (at most maxLabelLines).
func labelLines(t *tape, w window, tr track) int {
	return w.drawing(t, tr, maxLabelLines).need
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A placed step is one drawn on an actor lane, in columns [c0, c1].
type placed struct {
	seq, c0, c1 int
	clipped     bool // starts before c0 (left edge or a neighbour)
	hiddenStale bool // a stale read's step is hidden under its last column
}

// drawActorLane draws lane l: at most one step per column, found by binary
// search, then the current step on top; labels go on the label lines, the
// current step's first.
func drawActorLane(t *tape, w window, l int, bar row, lab []row, cols int) bool {
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
			if len(ps) > 0 && t.staleBetween(l, i, j) && w.visible(ps[len(ps)-1].seq) {
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
	var ls []label
	for _, p := range ps {
		if p.seq == cur {
			continue
		}
		if !w.visible(p.seq) {
			drawFuture(bar, p, cols)
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
		lk := inkPlain
		if t.isStaleFinal(p.seq) {
			lk = inkStaleLb
		}
		ls = append(ls, label{c: p.c0, text: stepLabel(t, p.seq), k: lk})
	}

	if cur >= 0 && cur < t.n && t.laneOf[cur] == l {
		e := &ev[cur]
		c0, c1 := w.spanCols(e)
		if c1 >= 0 && c0 < cols {
			p := placed{seq: cur, c0: max(c0, 0), c1: c1, clipped: c0 < 0}
			drawBar(bar, p, cols, inkCursor, t.isStaleFinal(cur), true)
			lk := inkCursorLb
			if t.isStaleFinal(cur) {
				lk = inkStaleLb
			}
			ls = append([]label{{c: p.c0, text: stepLabel(t, cur), k: lk}}, ls...)
		}
	}
	return placeLabels(lab, ls, cols)
}

// drawFuture draws a step ahead of the cursor in reveal mode: its span
// only, dotted.
func drawFuture(r row, p placed, cols int) {
	if p.c0 == p.c1 {
		r.set(p.c0, '╎', inkFuture)
		return
	}
	r.set(p.c0, '╶', inkFuture)
	r.fill(p.c0+1, min(p.c1-1, cols-1), '╌', inkFuture)
	if p.c1 < cols {
		r.set(p.c1, '╴', inkFuture)
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

// eachCol calls f for the first of seqs (ordered by end) ending in each
// column of the window, skipping by binary search the ones that share a
// column, and stops at the right edge or at the first f that returns false.
func eachCol(w window, cols int, n int, endOf func(int) time.Duration, f func(i, c int) bool) {
	for i := sort.Search(n, func(i int) bool { return endOf(i) >= w.Left }); i < n; {
		c := w.instCol(endOf(i))
		if c >= cols {
			return
		}
		if c >= 0 && !f(i, c) {
			return
		}
		from := w.colTime(c + 1)
		j := sort.Search(n, func(j int) bool { return endOf(j) > from })
		i = max(j, i+1)
	}
}

// drawCacheTrack draws key's cache track: the intervals where it diverged
// from the database shaded ░, every cache command where it took effect
// (● hit, ○ miss, ▲ set, ✕ del, ◇ expire), † at each TTL expiry, and a
// label on each divergence and expiry.
func drawCacheTrack(t *tape, w window, key string, bar row, lab []row, cols int) bool {
	ki := t.byKey[key]
	if ki == nil {
		return true
	}
	ev := t.tl.Events
	dv := t.tl.Divergences
	now := w.now(t)
	right := w.colTime(cols)
	var ls []label
	last := -1 // the column of the last divergence drawn: one a column
	first := sort.Search(len(ki.divReach), func(i int) bool { return ki.divReach[i] >= w.Left })
	for _, d := range ki.divs[first:] {
		dd := &dv[d]
		if dd.From >= right {
			break
		}
		if c := w.colOf(dd.From); c == last && c >= 0 {
			continue
		}
		if w.Reveal && dd.CauseEvent >= w.Pos {
			continue
		}
		until := t.divUntil(d)
		if w.Reveal && (dd.EndEvent < 0 || dd.EndEvent >= w.Pos) {
			until = min(until, now)
		}
		if until < w.Left || dd.From >= right {
			continue
		}
		to := w.instCol(until)
		if until == dd.From {
			to = w.colOf(dd.From)
		}
		c0 := w.colOf(dd.From)
		last = c0
		bar.fill(c0, min(to, cols-1), '░', inkShade)
		text := "≠ cache " + dd.CacheValue + ", db " + dd.DBValue
		if c0 < 0 {
			text, c0 = "◂"+text, 0
		}
		ls = append(ls, label{c: c0, text: text, k: inkDivLb})
	}

	ce := ki.cacheEv
	eachCol(w, cols, len(ce), func(i int) time.Duration { return ev[ce[i]].End }, func(i, c int) bool {
		if !w.visible(ce[i]) {
			return true
		}
		k := inkCacheOp
		if t.isStaleFinal(ce[i]) {
			k = inkStale
		}
		bar.set(c, cacheGlyph(&ev[ce[i]]), k)
		return true
	})

	xs := ki.expiries
	eachCol(w, cols, len(xs), func(i int) time.Duration { return xs[i].At }, func(i, c int) bool {
		if xs[i].At > now {
			return false
		}
		bar.set(c, '†', inkCacheOp)
		ls = append(ls, label{c: c, text: "† expired", k: inkCacheOp})
		return true
	})
	return placeLabels(lab, ls, cols)
}

// cacheGlyph is the mark of a cache command on the cache track.
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

// drawDBTrack draws key's database track: every commit (◆, ◇ for the seed)
// labelled with its value and version, and every database read (·).
func drawDBTrack(t *tape, w window, key string, bar row, lab []row, cols int) bool {
	ki := t.byKey[key]
	if ki == nil {
		return true
	}
	cs := ki.commits
	var ls []label
	eachCol(w, cols, len(cs), func(i int) time.Duration { return cs[i].At }, func(i, c int) bool {
		if cs[i].Event >= 0 && !w.visible(cs[i].Event) {
			return true
		}
		g, text := '◆', cs[i].Value+" v"+itoa(cs[i].Version)
		if cs[i].Event < 0 {
			g, text = '◇', text+" seed"
		}
		bar.set(c, g, inkCommit)
		ls = append(ls, label{c: c, text: text, k: inkCommit})
		return true
	})
	ev := t.tl.Events
	de := ki.dbEv
	eachCol(w, cols, len(de), func(i int) time.Duration { return ev[de[i]].End }, func(i, c int) bool {
		if !w.visible(de[i]) {
			return true
		}
		if ev[de[i]].Op == "db.read" && bar.empty(c) {
			bar.set(c, '·', inkDBOp)
		}
		return true
	})
	return placeLabels(lab, ls, cols)
}
