package timeline

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// The lane layout is computed as plain data first (laneTable), then drawn.
// Every step gives two rows, where it starts (┌) and where it ends (└, its
// effect), so overlapping steps show as overlapping spans; a step that took
// no time gives one row (•). Rows are in time order; at one instant, TTL
// expiries come first (a key is gone at its expiry instant), then step ends
// in run order, then step starts.

// A rowKind says what a lane row stands for. The order is the order of rows
// at one instant.
type rowKind int

const (
	rowInitial rowKind = iota // the state before the first step
	rowExpiry                 // a key's TTL ran out
	rowEnd                    // a step ends: its effect happens here
	rowStart                  // a step begins
)

// A span is how an actor's cell draws the step it is in.
type span int

const (
	spanNone    span = iota
	spanStart        // ┌ the step begins
	spanOngoing      // │ the step is under way
	spanEnd          // └ the step ends: its effect happens here
	spanInstant      // • a step that took no time
)

// A laneCell is one lane's cell in one row.
type laneCell struct {
	text  string
	span  span
	shade bool // cache lane only: the cache differs from the db on some key
}

// A laneRow is one row of the lane table. It holds the cells it has
// something to say in: its own lane's (a step's start or end), the cache's
// and the database's; every other lane is blank or, while one of its steps
// is under way, a │ (see eachDense). So a run of many actors takes memory
// in proportion to its steps, not to steps × actors.
type laneRow struct {
	kind  rowKind
	at    time.Duration
	index int // in Events for step rows, in Expiries for expiry rows; -1
	lane  int // the lane the row is about
	own   laneCell
	cache laneCell
	db    laneCell
	stale bool     // a stale read ends on this row
	notes []string // remarks printed under the row
}

// eachDense calls f with every row, in order, and its cells in every lane,
// with the spans of the steps under way; cells is reused from row to row.
func (lt laneTable) eachDense(f func(r laneRow, cells []laneCell)) {
	cells := make([]laneCell, len(lt.names))
	open := make([]int, lt.cacheLane) // the step under way in each actor lane, or -1
	for i := range open {
		open[i] = -1
	}
	for _, r := range lt.rows {
		clear(cells)
		if r.lane < lt.cacheLane {
			cells[r.lane] = r.own
			switch r.kind {
			case rowStart:
				open[r.lane] = r.index
			case rowEnd:
				if open[r.lane] == r.index {
					open[r.lane] = -1
				}
			}
		}
		for l, s := range open {
			if s >= 0 && cells[l].span == spanNone {
				cells[l].span = spanOngoing
			}
		}
		cells[lt.cacheLane], cells[lt.dbLane] = r.cache, r.db
		f(r, cells)
	}
}

// A laneTable is the lanes of a timeline: one per actor, then the cache
// and the database.
type laneTable struct {
	names     []string
	cacheLane int
	dbLane    int
	rows      []laneRow
}

// cacheView is the cache and database as the rows go by: the state after
// the latest step, minus the keys that expired since. It follows the
// recorded states with a cursor, in time linear in what each step changed.
type cacheView struct {
	cache map[string]CacheEntry
	db    map[string]Row
	ndiv  int // keys whose cache value differs from the committed one
	// cur walks the recorded states; synced says the view is the state it
	// is at, less the keys in expired.
	cur     *StateCursor
	synced  bool
	expired []string
}

func (v *cacheView) load(s State) {
	v.cache = make(map[string]CacheEntry, len(s.Cache))
	for _, e := range s.Cache {
		v.cache[e.Key] = e
	}
	v.db = make(map[string]Row, len(s.DB))
	for _, r := range s.DB {
		v.db[r.Key] = r
	}
	v.ndiv = 0
	for k := range v.cache {
		if v.diverged(k) {
			v.ndiv++
		}
	}
}

// step makes the view the state after event i.
func (v *cacheView) step(i int) {
	if v.synced && v.cur.Step() == i-1 {
		v.cur.Next()
		for p, k := range v.cur.Changes() {
			v.follow(p, k)
		}
		for _, k := range v.expired {
			v.follow(PartCache, k)
		}
	} else {
		v.cur.Seek(i)
		v.load(v.cur.State())
		v.synced = true
	}
	v.expired = v.expired[:0]
}

// follow copies key's part p from the state the cursor is at.
func (v *cacheView) follow(p Part, key string) {
	switch p {
	case PartCache:
		e, ok := v.cur.Entry(key)
		v.set(key, func() { putOrDelete(v.cache, key, e, ok) })
	case PartDB:
		r, ok := v.cur.Row(key)
		v.set(key, func() { putOrDelete(v.db, key, r, ok) })
	}
}

// putOrDelete sets m[key] to val when ok, else deletes key.
func putOrDelete[V any](m map[string]V, key string, val V, ok bool) {
	if ok {
		m[key] = val
	} else {
		delete(m, key)
	}
}

// set applies change to key, keeping the count of diverged keys.
func (v *cacheView) set(key string, change func()) {
	was := v.diverged(key)
	change()
	switch now := v.diverged(key); {
	case now && !was:
		v.ndiv++
	case was && !now:
		v.ndiv--
	}
}

// expire removes key from the cache until the next step.
func (v *cacheView) expire(key string) {
	v.set(key, func() { delete(v.cache, key) })
	v.expired = append(v.expired, key)
}

// diverged reports whether the cache holds a value for key different from
// the committed one, the engine's definition of divergence.
func (v *cacheView) diverged(key string) bool {
	e, inCache := v.cache[key]
	r, inDB := v.db[key]
	return inCache && inDB && e.Value != r.Value
}

func (v *cacheView) anyDiverged() bool { return v.ndiv > 0 }

// divergedAt reports whether a recorded divergence covers instant at. It is
// the fallback when the timeline has no per-step states.
func (t *Timeline) divergedAt(at time.Duration) bool {
	for _, d := range t.Divergences {
		if d.From <= at && (d.Until == nil || at < *d.Until) {
			return true
		}
	}
	return false
}

// keyed joins a key and what follows it, or leaves the key out.
func keyed(omitKey bool, key, sep, rest string) string {
	switch {
	case omitKey || key == "":
		return rest
	case rest == "":
		return key
	}
	return key + sep + rest
}

// entry renders what the cache holds for key; withTTL adds its TTL.
func (v *cacheView) entry(key string, omitKey, withTTL bool) string {
	e, ok := v.cache[key]
	if !ok {
		return keyed(omitKey, key, " ", "(none)")
	}
	s := keyed(omitKey, key, "=", e.Value)
	if e.Version > 0 {
		s += " (v" + strconv.Itoa(e.Version) + ")"
	}
	if withTTL && e.TTL >= 0 {
		s += " ttl " + FormatTTL(e.TTL)
	}
	if v.diverged(key) {
		s += " ≠ db"
	}
	return s
}

// singleKey returns the key every step, entry, row and expiry of t is
// about, when there is exactly one.
func (t *Timeline) singleKey() (string, bool) {
	key := ""
	one := func(k string) bool {
		if k == "" {
			return true
		}
		if key == "" {
			key = k
		}
		return k == key
	}
	for _, e := range t.Events {
		if strings.Contains(e.Key, " ") || !one(e.Key) {
			return "", false
		}
	}
	for _, e := range t.Initial.Cache {
		if !one(e.Key) {
			return "", false
		}
	}
	for _, r := range t.Initial.DB {
		if !one(r.Key) {
			return "", false
		}
	}
	for _, x := range t.Expiries {
		if !one(x.Key) {
			return "", false
		}
	}
	return key, key != ""
}

// staleNote is the remark under the row where a stale read ends.
func staleNote(r Read) string {
	s := "✗ STALE served " + servedText(r)
	if len(r.Current) > 0 {
		s += ", current " + strings.Join(r.Current, " → ")
	}
	if r.Anomaly != "" {
		s += " (" + string(r.Anomaly) + ")"
	}
	return s
}

// A lanesForm says how much the lane cells say: noKey leaves keys out,
// brief leaves versions and SET options out of step labels.
type lanesForm struct{ noKey, brief bool }

// lanes lays t out in lanes.
func (t *Timeline) lanes(form lanesForm) laneTable {
	omitKey := form.noKey
	lt := laneTable{names: append([]string{}, t.Actors...)}
	laneOf := map[string]int{}
	for i, n := range lt.names {
		if _, dup := laneOf[n]; !dup {
			laneOf[n] = i
		}
	}
	for _, e := range t.Events {
		if _, ok := laneOf[e.Actor]; !ok {
			laneOf[e.Actor] = len(lt.names)
			lt.names = append(lt.names, e.Actor)
		}
	}
	lt.cacheLane, lt.dbLane = len(lt.names), len(lt.names)+1
	lt.names = append(lt.names, "cache", "db")

	type item struct {
		kind  rowKind
		at    time.Duration
		index int
	}
	var items []item
	for i, x := range t.Expiries {
		items = append(items, item{rowExpiry, x.At, i})
	}
	for i, e := range t.Events {
		items = append(items, item{rowEnd, e.End, i})
		if e.Start < e.End {
			items = append(items, item{rowStart, e.Start, i})
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		x, y := items[a], items[b]
		if x.at != y.at {
			return x.at < y.at
		}
		if x.kind != y.kind {
			return x.kind < y.kind
		}
		return x.index < y.index
	})

	staleEnds := map[int][]Read{}
	for _, r := range t.Reads {
		if r.Stale && len(r.Events) > 0 {
			last := r.Events[len(r.Events)-1]
			staleEnds[last] = append(staleEnds[last], r)
		}
	}
	hasStates := t.States.Len() == len(t.Events)
	var view cacheView
	view.load(t.Initial)
	if hasStates && t.States != nil {
		view.cur = t.States.Cursor()
	}
	shade := func(at time.Duration) bool {
		if hasStates {
			return view.anyDiverged()
		}
		return t.divergedAt(at)
	}
	newRow := func(kind rowKind, at time.Duration, index, lane int) laneRow {
		return laneRow{kind: kind, at: at, index: index, lane: lane}
	}

	if len(t.Initial.Cache)+len(t.Initial.DB) > 0 {
		row := newRow(rowInitial, t.Initial.At, -1, lt.cacheLane)
		var cache, db []string
		for _, e := range t.Initial.Cache {
			cache = append(cache, view.entry(e.Key, omitKey, true))
		}
		for _, r := range t.Initial.DB {
			db = append(db, keyed(omitKey, r.Key, "=", r.Value)+rowVersion(r.Version))
		}
		row.cache = laneCell{text: orEmpty(strings.Join(cache, ", ")), shade: shade(t.Initial.At)}
		row.db.text = orEmpty(strings.Join(db, ", "))
		lt.rows = append(lt.rows, row)
	}

	for _, it := range items {
		var row laneRow
		switch it.kind {
		case rowExpiry:
			x := t.Expiries[it.index]
			row = newRow(it.kind, it.at, it.index, lt.cacheLane)
			view.expire(x.Key)
			row.cache.text = "expired"
			if !omitKey {
				row.cache.text += " " + x.Key
			}
		case rowStart:
			e := t.Events[it.index]
			l := laneOf[e.Actor]
			row = newRow(it.kind, it.at, it.index, l)
			row.own = laneCell{text: t.label(e, labelForm{noKey: omitKey, start: true, brief: form.brief}), span: spanStart}
		case rowEnd:
			e := t.Events[it.index]
			l := laneOf[e.Actor]
			row = newRow(it.kind, it.at, it.index, l)
			sp := spanEnd
			if e.Start >= e.End {
				sp = spanInstant
			}
			row.own = laneCell{text: t.label(e, labelForm{noKey: omitKey, brief: form.brief}), span: sp}
			if hasStates {
				view.step(it.index)
				if e.Key != "" && (e.IsCache() || e.Op == "db.write") {
					row.cache.text = view.entry(e.Key, omitKey, false)
				}
			}
			if e.Op == "db.write" {
				row.db.text = "COMMIT " + keyed(omitKey, e.Key, "=", e.Value) + rowVersion(e.Version)
			}
			for _, r := range staleEnds[e.Seq] {
				row.stale = true
				row.notes = append(row.notes, staleNote(r))
			}
			if e.Note != "" {
				row.notes = append(row.notes, "↳ "+e.Note)
			}
		}
		row.cache.shade = shade(it.at)
		lt.rows = append(lt.rows, row)
	}
	return lt
}

// rowVersion is how the db lane writes a row version: " v2".
func rowVersion(v int) string {
	if v > 0 {
		return " v" + strconv.Itoa(v)
	}
	return ""
}

// orEmpty stands for an empty cache or database in the initial row.
func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// cellText is a cell as drawn, without shading.
func cellText(c laneCell) string {
	switch c.span {
	case spanStart:
		return "┌ " + c.text
	case spanOngoing:
		return "│"
	case spanEnd:
		return "└ " + c.text
	case spanInstant:
		return "• " + c.text
	}
	return c.text
}

// drawCell draws c into exactly w columns; a shaded cell is filled with ░
// after its text.
func drawCell(c laneCell, w int) string {
	s := fit(cellText(c), w)
	if !c.shade {
		return pad(s, w)
	}
	if s == "" {
		return strings.Repeat("░", w)
	}
	if n := w - runeLen(s) - 1; n > 0 {
		return s + " " + strings.Repeat("░", n)
	}
	return pad(s, w)
}

// fitWidths shares budget columns among columns that would like natural
// widths: if they do not all fit, every column is capped at the same width
// (the largest that fits), and what is left goes one by one to the capped
// columns, left to right.
func fitWidths(natural []int, budget int) []int {
	out := make([]int, len(natural))
	total, widest := 0, 0
	for _, w := range natural {
		total += w
		widest = max(widest, w)
	}
	if total <= budget {
		copy(out, natural)
		return out
	}
	capped := func(c int) int {
		s := 0
		for _, w := range natural {
			s += min(w, c)
		}
		return s
	}
	lo, hi := 0, widest
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if capped(mid) <= budget {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	left := max(budget-capped(lo), 0)
	for i, w := range natural {
		out[i] = min(w, lo)
		if left > 0 && w > lo {
			out[i]++
			left--
		}
	}
	return out
}

// gutter marks a row in the left margin: ✗ where a stale read ends.
func gutter(r laneRow) string {
	if r.stale {
		return "✗ "
	}
	return "  "
}

// Layout constants of the lane table.
const (
	gutterWidth = 2
	// minLane is the narrowest a lane may be squeezed to before the table
	// gives way to one line per row (the list layout).
	minLane = 16
)

// tableLayout is how a lane table fits a width: the time column's width,
// then for every lane the spaces before it and its width.
type tableLayout struct {
	timeW  int
	gaps   []int
	widths []int
}

// lanesGaps returns the spaces before each lane: two everywhere, or, when
// compact, one between actor lanes (their cells start with a span mark, so
// they stay apart) but still two before the first lane, the cache and the db.
func (lt laneTable) lanesGaps(compact bool) []int {
	gaps := make([]int, len(lt.names))
	for i := range gaps {
		gaps[i] = 2
		if compact && i > 0 && i < lt.cacheLane {
			gaps[i] = 1
		}
	}
	return gaps
}

// layout sizes the table's columns for width. fits reports that every cell
// fits whole; readable is false when the lanes would be squeezed below
// minLane, and the list layout should be used instead.
func (lt laneTable) layout(width int) (l tableLayout, fits, readable bool) {
	l.timeW = runeLen("time")
	for _, r := range lt.rows {
		l.timeW = max(l.timeW, runeLen(FormatOffset(r.at)))
	}
	natural := make([]int, len(lt.names))
	for i, n := range lt.names {
		natural[i] = runeLen(n)
	}
	// A lane is as wide as its widest cell; a │ is narrower than its name.
	for _, r := range lt.rows {
		if r.lane < lt.cacheLane {
			natural[r.lane] = max(natural[r.lane], runeLen(cellText(r.own)))
		}
		natural[lt.cacheLane] = max(natural[lt.cacheLane], runeLen(r.cache.text))
		natural[lt.dbLane] = max(natural[lt.dbLane], runeLen(r.db.text))
	}
	total := 0
	for _, w := range natural {
		total += w
	}
	budget := func(gaps []int) int {
		b := width - gutterWidth - l.timeW
		for _, g := range gaps {
			b -= g
		}
		return b
	}
	for _, compact := range []bool{false, true} {
		l.gaps = lt.lanesGaps(compact)
		if total <= budget(l.gaps) {
			l.widths = natural
			return l, true, true
		}
	}
	l.widths = fitWidths(natural, budget(l.gaps))
	for i, w := range l.widths {
		if w < min(natural[i], minLane) {
			return l, false, false
		}
	}
	return l, false, true
}

// drawTable writes the lanes as a table: a time column, then one column per
// lane.
func (lt laneTable) drawTable(p *printer, l tableLayout) {
	var head strings.Builder
	head.WriteString(strings.Repeat(" ", gutterWidth) + pad("time", l.timeW))
	total := gutterWidth + l.timeW
	for i, n := range lt.names {
		head.WriteString(strings.Repeat(" ", l.gaps[i]) + pad(n, l.widths[i]))
		total += l.gaps[i] + l.widths[i]
	}
	p.line(head.String())
	p.line(strings.Repeat(" ", gutterWidth) + strings.Repeat("─", total-gutterWidth))
	lt.eachDense(func(r laneRow, cells []laneCell) {
		var b strings.Builder
		b.WriteString(gutter(r) + pad(FormatOffset(r.at), l.timeW))
		for i, c := range cells {
			b.WriteString(strings.Repeat(" ", l.gaps[i]) + drawCell(c, l.widths[i]))
		}
		p.line(b.String())
		for _, note := range r.notes {
			p.line(lt.noteLine(r, cells, l, note, p.width))
		}
	})
}

// noteLine writes a remark under row r (whose cells are cells), starting in
// the row's own lane so that the lanes to its left keep their spans; when
// it would not fit there, it starts in the first lane.
func (lt laneTable) noteLine(r laneRow, cells []laneCell, l tableLayout, note string, width int) string {
	lead := strings.Repeat(" ", gutterWidth+l.timeW)
	at := gutterWidth + l.timeW
	for i := 0; i < r.lane && i < len(l.widths); i++ {
		at += l.gaps[i] + l.widths[i]
	}
	if at+l.gaps[0]+runeLen(note) > width {
		return lead + strings.Repeat(" ", l.gaps[0]) + note
	}
	var b strings.Builder
	b.WriteString(lead)
	for i := 0; i < r.lane && i < len(l.widths); i++ {
		c := cells[i]
		c.text = ""
		b.WriteString(strings.Repeat(" ", l.gaps[i]) + drawCell(c, l.widths[i]))
	}
	return b.String() + strings.Repeat(" ", l.gaps[r.lane]) + note
}

// drawList writes the lanes one row after another, lane name first, for
// widths too narrow for a table; remarks, then the step's effect on the
// cache and the database, follow on lines of their own. Long lines wrap.
func (lt laneTable) drawList(p *printer) {
	timeW := 0
	for _, r := range lt.rows {
		timeW = max(timeW, runeLen(FormatOffset(r.at)))
	}
	nameW := runeLen("start")
	for _, n := range lt.names {
		nameW = max(nameW, runeLen(n))
	}
	nameW = min(nameW, max(p.width/5, 5))
	indent := strings.Repeat(" ", gutterWidth+timeW+1+nameW+1)
	if p.width-runeLen(indent) < 16 {
		indent = strings.Repeat(" ", gutterWidth+2)
	}
	for _, r := range lt.rows {
		lead := gutter(r) + pad(FormatOffset(r.at), timeW) + " "
		switch r.kind {
		case rowInitial:
			p.para("cache "+r.cache.text, lead+pad("start", nameW)+" ", indent)
			p.para("db "+r.db.text, indent, indent)
			continue
		case rowExpiry:
			p.para(r.cache.text, lead+pad("cache", nameW)+" ", indent)
			continue
		}
		p.para(cellText(r.own), lead+pad(lt.names[r.lane], nameW)+" ", indent)
		for _, note := range r.notes {
			p.para(note, indent, indent)
		}
		if s := r.cache.text; s != "" {
			p.para("cache "+s, indent, indent)
		}
		if s := r.db.text; s != "" {
			p.para("db "+s, indent, indent)
		}
	}
}
