package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// fmtOffset renders a virtual instant as "+4.500ms", as the lanes do.
func fmtOffset(d time.Duration) string { return timeline.FormatOffset(d) }

// A readAction is what a step does to its actor's read in progress. A read
// starts at a cache get (or a db.read not under one) and ends once the actor
// has its value and any cache set of that value is done.
type readAction uint8

const (
	readKeep   readAction = iota // a sleep: latency inside the request
	readClose                    // the read in progress, if any, ends before the step
	readStart                    // the read in progress ends and the step starts a new one
	readServe                    // a db.read gives the read in progress (a miss) its value
	readFinish                   // the cache set of the read's value: the read ends with it
)

// readActionOf says what step st does to the actor's read in progress:
// sameKey says there is one, on st's key; have that it has a value.
func readActionOf(st *Step, sameKey, have bool) readAction {
	switch st.Op {
	case OpSleep:
		return readKeep
	case OpCacheGet, OpLeaseGet, OpCASGet:
		return readStart
	case OpDBRead:
		if sameKey && !have {
			return readServe
		}
		return readStart
	case OpCacheSet, OpLeaseSet, OpCASSet:
		if sameKey && have {
			return readFinish
		}
	}
	return readClose
}

// readSource is where a read step's value comes from.
func readSource(st *Step) string { return string(readSources[readFromStep(st)]) }

// trackRead extends or closes the actor's open read with the step just
// taken.
func (r *Runner) trackRead(a *actorState, st *Step, ev *timeline.Event) {
	o := a.open
	switch readActionOf(st, o != nil && o.key == st.Key, o != nil && o.have) {
	case readKeep:
	case readStart:
		r.closeRead(a)
		o = a.newOpenRead(st.Key, ev)
		// A db.read serves what it found, a missing row as "".
		if st.Op == OpDBRead || ev.Result == "hit" {
			o.served, o.source, o.have = ev.Value, readSource(st), true
		}
		a.open = o
	case readServe:
		o.served, o.source, o.have = ev.Value, readSource(st), true
		o.end = ev.End
		o.events = append(o.events, ev.Seq)
	case readFinish:
		o.end = ev.End
		o.events = append(o.events, ev.Seq)
		r.closeRead(a)
	case readClose:
		r.closeRead(a)
	}
}

// newOpenRead starts a read at event ev in the actor's read storage (a
// closed read keeps a copy of its events, so the storage is free).
func (a *actorState) newOpenRead(key string, ev *timeline.Event) *openRead {
	if a.buf == nil {
		a.buf = new(openRead)
	}
	o := a.buf
	*o = openRead{key: key, start: ev.Start, end: ev.End}
	o.evs[0] = ev.Seq
	o.events = o.evs[:1]
	return o
}

// closeRead records the actor's open read, if it served a value.
func (r *Runner) closeRead(a *actorState) {
	o := a.open
	a.open = nil
	if o == nil || !o.have {
		return
	}
	// The events go to readEvs, which is only appended to (Reset starts
	// past its end), so the reads of earlier timelines keep theirs.
	if cap(r.readEvs)-len(r.readEvs) < len(o.events) {
		r.readEvs = make([]int, 0, max(16, 2*cap(r.readEvs), 2*len(o.events)))
	}
	n := len(r.readEvs)
	r.readEvs = append(r.readEvs, o.events...)
	r.reads = append(r.reads, timeline.Read{
		Actor: a.name, Key: o.key, Source: timeline.Source(o.source), Served: o.served,
		Start: o.start, End: o.end, Events: r.readEvs[n:len(r.readEvs):len(r.readEvs)], Cause: -1,
	})
}

// Current returns the values of a key that were committed at some instant
// of [start, end], in commit order: every value committed at an instant of
// the closed interval (several commits at one instant all count there),
// and before them the value current just before start, unless a commit
// landed at exactly start and replaced it. Seed rows are there before the
// run starts; a missing row counts as "".
func Current(hist []timeline.Commit, start, end time.Duration) []string {
	before, replaced := "", false
	var out []string
	for _, c := range hist {
		switch {
		case c.Seed || c.At < start:
			before = c.Value
		case c.At <= end:
			replaced = replaced || c.At == start
			out = append(out, c.Value)
		}
	}
	if replaced {
		return out
	}
	return append([]string{before}, out...)
}

// IsStale is the oracle under the strict model: a read served value over
// [start, end] is stale when served was not the committed value of the key
// at any instant of the closed interval (see Current).
func IsStale(hist []timeline.Commit, served string, start, end time.Duration) bool {
	return isStale(hist, served, start, end)
}

// isStale is IsStale without allocating; exploration calls it for every
// read. It is Current's rule: hist is in commit order, so it stops at the
// first commit after end.
func isStale(hist []timeline.Commit, served string, start, end time.Duration) bool {
	before, replaced := "", false
	for _, c := range hist {
		switch {
		case c.Seed || c.At < start:
			before = c.Value
		case c.At <= end:
			if c.Value == served {
				return false
			}
			replaced = replaced || c.At == start
		default:
			return replaced || before != served
		}
	}
	return replaced || before != served
}

// finish closes the reads still open at the end of the run and judges
// them all.
func (r *Runner) finish() error {
	for i := range r.actors {
		r.closeRead(&r.actors[i])
	}
	return r.judge()
}

// judge applies the oracle, under the run's consistency model, to every
// read and names the anomaly of each stale one.
func (r *Runner) judge() error {
	_, _, err := r.sc.Consistency.judgeReads(r.reads, r.db.History, r.ops(), r.runRecord(), true, nil)
	return err
}

// record is what naming the run's anomalies looks at.
func (r *Runner) runRecord() runRecord {
	return runRecord{events: r.events, expiries: r.expiries, lag: r.db.lag}
}

// judgeReads judges reads under c, with hist each key's commit history and
// ops the write operations. With why it marks every stale read (Stale,
// Current, Anomaly, Cause and Why) in reads; without, it leaves reads as
// they are and only names anomalies (formatting explanations allocates).
// It appends the anomaly of each stale read to seen, once each (up to
// seen's capacity), and reports whether any read is stale.
func (c Consistency) judgeReads(reads []timeline.Read, hist func(string) []timeline.Commit, ops []timeline.Operation, rec runRecord, why bool, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	vs, err := c.judge(reads, hist, ops)
	if err != nil {
		return seen, false, err
	}
	stale := false
	for i, v := range vs {
		if !v.stale {
			continue
		}
		stale = true
		rd := &reads[i]
		h := hist(rd.Key)
		if !why {
			a := timeline.NewOldInversion
			if !v.behind {
				a, _, _ = rec.classify(rd, h, false)
			}
			seen = appendAnomaly(seen, a)
			continue
		}
		rd.Stale = true
		rd.Current = dedupe(Current(h, c.from(rd.Start), rd.End))
		if v.behind {
			var before *timeline.Read
			if v.inversion >= 0 {
				before = &reads[v.inversion]
			}
			rd.Anomaly, rd.Cause, rd.Why = timeline.NewOldInversion, -1, inversionText(rd, before)
		} else {
			rd.Anomaly, rd.Cause, rd.Why = rec.classify(rd, h, true)
			rd.Why += c.why(rd, h, v)
		}
		seen = appendAnomaly(seen, rd.Anomaly)
	}
	return seen, stale, nil
}

// ops returns the run's write operations.
func (r *Runner) ops() []timeline.Operation { return writeOps(r.events, r.groups) }

// why adds to a stale read's explanation what the model saw, beyond the
// strict model's reasons.
func (c Consistency) why(rd *timeline.Read, hist []timeline.Commit, v verdict) string {
	switch {
	case c.Model == Bounded:
		from := c.from(rd.Start)
		cur, ok := valueAt(hist, from)
		return fmt.Sprintf("; under %s only values current from %s (%s before the read began) count, and by then %s",
			c, fmtOffset(max(from, 0)), c.Bound, committedText(cur, ok, rd.Key))
	case c.Model == Linearizable && v.after != nil:
		w := v.after
		return fmt.Sprintf("; the write operation of %s=%s by %s (%s to %s) had finished before the read began at %s, so the read may not return an older value",
			w.Key, w.Value, w.Actor, fmtOffset(w.Start), fmtOffset(w.End), fmtOffset(rd.Start))
	}
	return ""
}

// inversionText explains a new-old inversion: rd was served an older value
// than before, a read that finished before rd began.
func inversionText(rd, before *timeline.Read) string {
	if before == nil {
		return fmt.Sprintf("%s was served %s for %s over [%s, %s], which no order of the writes can give after the values the reads that finished before it began were served: time went backwards",
			rd.Actor, orNone(rd.Served), rd.Key, fmtOffset(rd.Start), fmtOffset(rd.End))
	}
	return fmt.Sprintf("%s was served %s for %s over [%s, %s] after %s had been served %s over [%s, %s], a read that finished before it began: a newer value, then an older one",
		rd.Actor, orNone(rd.Served), rd.Key, fmtOffset(rd.Start), fmtOffset(rd.End),
		before.Actor, orNone(before.Served), fmtOffset(before.Start), fmtOffset(before.End))
}

func dedupe(vals []string) []string {
	var out []string
	for _, v := range vals {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// valueAt returns the commit of a key's history current at instant at: the
// last one committed at or before it (a seed row at any instant, even
// before 0).
func valueAt(hist []timeline.Commit, at time.Duration) (timeline.Commit, bool) {
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].At <= at || hist[i].Seed {
			return hist[i], true
		}
	}
	return timeline.Commit{}, false
}

// isCacheWrite reports whether ev put a value into the cache for its key.
func isCacheWrite(ev timeline.Event) bool {
	switch Op(ev.Op) {
	case OpCacheSet, OpLeaseSet, OpCASSet:
		return ev.Result == "ok"
	}
	return false
}

// isInvalidation reports whether ev removed or replaced the key's value.
func isInvalidation(ev timeline.Event, key string) bool {
	if ev.Key != key {
		return false
	}
	switch Op(ev.Op) {
	case OpCacheDel, OpLeaseDel:
		return true
	case OpCacheExpire:
		return ev.Note == noteGoneAtOnce
	}
	return isCacheWrite(ev)
}

// A runRecord is what naming an anomaly looks at: the events of the run,
// the expiries, and the replica's lag.
type runRecord struct {
	events   []timeline.Event
	expiries []timeline.Expiry
	lag      time.Duration
}

// classify names why a stale read was served, and returns the event that
// put the served value where it was read from (-1: none, or the initial
// cache) and, with why, one sentence explaining it.
func (rec runRecord) classify(rd *timeline.Read, hist []timeline.Commit, why bool) (timeline.Anomaly, int, string) {
	newest, hasNewest := valueAt(hist, rd.End)
	switch rd.Source {
	case timeline.SourceReplica:
		if !why {
			return timeline.ReplicaLag, -1, ""
		}
		return timeline.ReplicaLag, -1, fmt.Sprintf("%s read %s from the replica and got %s, but on the primary %s; the replica lags %s",
			rd.Actor, rd.Key, orNone(rd.Served), committedText(newest, hasNewest, rd.Key), rec.lag)
	case timeline.SourceDB:
		// The database serves its latest row: such a read is stale only
		// when a commit landed at the very instant it read, after it.
		readAt, observed := rd.End, false
		for _, s := range rd.Events {
			if ev := rec.events[s]; Op(ev.Op) == OpDBRead {
				readAt, observed = ev.End, observed || ev.Value == rd.Served
			}
		}
		if !observed {
			// Go code served a value none of its steps observed (it
			// decoded or computed it): where it came from is unknown.
			if !why {
				return timeline.Unexplained, -1, ""
			}
			return timeline.Unexplained, -1, fmt.Sprintf("%s was served %s for %s at %s, a value none of its steps on the key read from the cache or the database (decoded or computed from them), so racetape cannot say where it came from; it was not current",
				rd.Actor, orNone(rd.Served), rd.Key, fmtOffset(rd.End))
		}
		if !why {
			return timeline.SimultaneousCommit, -1, ""
		}
		c, _ := valueAt(hist, readAt)
		if rd.Served == "" {
			return timeline.SimultaneousCommit, -1, fmt.Sprintf("%s found no row for %s at %s, and %s committed %s at that same instant: a commit counts as current at its instant, so the row was there",
				rd.Actor, rd.Key, fmtOffset(readAt), c.Actor, c.Value)
		}
		return timeline.SimultaneousCommit, -1, fmt.Sprintf("%s read %s=%s at %s, and %s committed %s at that same instant: a commit counts as current at its instant, so %s was no longer the committed value",
			rd.Actor, rd.Key, rd.Served, fmtOffset(readAt), c.Actor, c.Value, rd.Served)
	}
	// Find the step that put the served value into the cache: the last
	// successful cache write of the key before the hit (-1: the initial
	// cache).
	hitSeq := rd.Events[0]
	hitEnd := rec.events[hitSeq].End
	cause := -1
	for s := hitSeq - 1; s >= 0; s-- {
		ev := rec.events[s]
		if ev.Key == rd.Key && isCacheWrite(ev) {
			cause = s
			break
		}
	}
	served := ""
	if why {
		served = fmt.Sprintf("%s was served %s from the cache at %s", rd.Actor, orNone(rd.Served), fmtOffset(hitEnd))
	}
	// The database row when the value was put there.
	putAt := time.Duration(-1) // the initial cache: before any commit
	if cause >= 0 {
		putAt = rec.events[cause].End
	}
	c, hasRow := valueAt(hist, putAt)
	if cause >= 0 && c.Value != rec.events[cause].Value {
		// The set itself wrote a value older than the committed one.
		set := rec.events[cause]
		by := ""
		if why {
			by = fmt.Sprintf("%s set %s=%s at %s, but %s", set.Actor, rd.Key, orNone(set.Value), fmtOffset(set.End), committedText(c, hasRow, rd.Key))
		}
		// Invalidations that landed between the commit and the stale set
		// came too early to remove it. One is the plain stale set; a
		// second, delayed one that also came too early is a lost
		// invalidation.
		var last *timeline.Event // the latest of them
		dels := 0
		for s := cause - 1; s >= 0 && rec.events[s].End >= c.At; s-- {
			if ev := &rec.events[s]; ev.Key == rd.Key && (Op(ev.Op) == OpCacheDel || Op(ev.Op) == OpLeaseDel) {
				if dels == 0 {
					last = ev
				}
				dels++
			}
		}
		if dels >= 2 {
			if !why {
				return timeline.LostInvalidation, cause, ""
			}
			return timeline.LostInvalidation, cause, fmt.Sprintf("%s's delayed DEL at %s landed before the stale set it should have removed: %s; %s",
				last.Actor, fmtOffset(last.End), by, served)
		}
		if !why {
			return timeline.StaleSet, cause, ""
		}
		return timeline.StaleSet, cause, fmt.Sprintf("%s; %s was served that old value from the cache at %s", by, rd.Actor, fmtOffset(hitEnd))
	}
	// What made the served value stale: the scenario's initial cache
	// already differing from the database, or the first commit of
	// something else after the value was put there.
	// A commit at the instant the value was put there counts: it is
	// current at that instant too.
	what, when := "", ", in between"
	if !why {
		// Only the name is asked for: no sentence to build.
	} else if cause < 0 && c.Value != rd.Served {
		what = fmt.Sprintf("the scenario starts with %s=%s in the cache while the database has %s", rd.Key, orNone(rd.Served), rowText(c, hasRow, rd.Key))
	} else {
		for _, h := range hist {
			if !h.Seed && h.At >= putAt && h.Value != rd.Served {
				what = fmt.Sprintf("%s committed %s at %s", h.Actor, h.Value, fmtOffset(h.At))
				if h.At == hitEnd {
					when = ", the instant of that commit"
				}
				break
			}
		}
	}
	// What removed the served entry afterwards: an invalidation (DEL, a
	// newer set, an expiry instant already past) means the read fell in
	// the window before it; an expiry, or nothing at all, means only the
	// TTL would ever fix it.
	expiry := time.Duration(-1)
	for _, x := range rec.expiries {
		if x.Key == rd.Key && x.At > hitEnd {
			expiry = x.At
			break
		}
	}
	for _, ev := range rec.events[hitSeq+1:] {
		if expiry >= 0 && ev.End >= expiry {
			break
		}
		if isInvalidation(ev, rd.Key) {
			if !why {
				return timeline.StaleHit, cause, ""
			}
			return timeline.StaleHit, cause, fmt.Sprintf("%s and %s invalidated %s only at %s; %s%s",
				what, ev.Actor, rd.Key, fmtOffset(ev.End), served, when)
		}
	}
	if !why {
		return timeline.TTLStaleness, cause, ""
	}
	return timeline.TTLStaleness, cause, fmt.Sprintf("%s and nothing invalidated %s; %s, stale until the TTL runs out",
		what, rd.Key, served)
}

// committedText says what the database had committed: "writer had
// committed PAID at +3.000ms", or that it had no row for key.
func committedText(c timeline.Commit, ok bool, key string) string {
	switch {
	case !ok:
		return "the database had no row for " + key
	case c.Seed:
		return fmt.Sprintf("the database had %s from the start", orNone(c.Value))
	}
	return fmt.Sprintf("%s had committed %s at %s", c.Actor, orNone(c.Value), fmtOffset(c.At))
}

// rowText is a row's value, or that there is no row for key.
func rowText(c timeline.Commit, ok bool, key string) string {
	if !ok {
		return "no row for " + key
	}
	return orNone(c.Value)
}

// orNone shows an empty value as "" so that a sentence still reads.
func orNone(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

// staleAnomalies judges the reads closed so far and appends the anomaly of
// each stale one to seen, once each (up to seen's capacity); it reports
// whether any read is stale.
func (r *Runner) staleAnomalies(seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	return r.sc.Consistency.judgeReads(r.reads, r.db.History, r.ops(), r.runRecord(), false, seen)
}

// appendAnomaly adds a to seen unless it is there (or seen is full).
func appendAnomaly(seen []timeline.Anomaly, a timeline.Anomaly) []timeline.Anomaly {
	if !slices.Contains(seen, a) && len(seen) < cap(seen) {
		seen = append(seen, a)
	}
	return seen
}

// StaleCount returns how many reads so far (the open ones included) the
// oracle finds stale under the run's model, without building a timeline.
func (r *Runner) StaleCount() (int, error) {
	vs, err := r.sc.Consistency.judge(r.pendingReads(), r.db.History, r.ops())
	n := 0
	for _, v := range vs {
		if v.stale {
			n++
		}
	}
	return n, err
}

// pendingReads returns the recorded reads plus any still open.
func (r *Runner) pendingReads() []timeline.Read {
	reads := r.reads
	for i := range r.actors {
		if o := r.actors[i].open; o != nil && o.have {
			reads = append(reads[:len(reads):len(reads)], timeline.Read{Actor: r.actors[i].name, Key: o.key, Served: o.served, Start: o.start, End: o.end})
		}
	}
	return reads
}

// divergences walks the recorded states and reports every interval where
// the cache held a value for a key of the scenario different from the
// committed one (a key without a row counts as ""). Each state is compared
// with the rows committed when it was recorded, so a divergence starts at
// the step that made it: a commit, or a set.
func (r *Runner) divergences(states *timeline.StateLog) []timeline.Divergence {
	return divergences(r.dataKeys(), states, r.events, r.expiries)
}

// divergences is Runner.divergences on a record: keys are the data keys
// (sorted), states the state after each of events, from the initial one.
// A key is looked at only where a step or an expiry changed it: the walk
// takes time linear in the keys, the steps and what they changed.
func divergences(keys []string, states *timeline.StateLog, events []timeline.Event, expiries []timeline.Expiry) []timeline.Divergence {
	type open struct {
		d   timeline.Divergence
		val string
	}
	data := make(map[string]bool, len(keys))
	for _, k := range keys {
		data[k] = true
	}
	opened := map[string]*open{}
	lastSet := map[string]int{} // the last cache write of each key so far
	var out []timeline.Divergence
	cur := states.Cursor()
	// check compares key's cache entry with its row in the state the
	// cursor is at, recorded at instant at; ev is the event that brought
	// the change (-1 initial).
	check := func(k string, at time.Duration, ev int) {
		row, hasRow := cur.Row(k)
		e, inCache := cur.Entry(k)
		div := inCache && e.Value != row.Value
		o := opened[k]
		start := func() {
			d := timeline.Divergence{Key: k, CacheValue: e.Value, DBValue: row.Value, From: at, CauseEvent: ev, EndEvent: -1, TTLLeft: -1}
			d.Cause = causeText(events, ev, k, e.Value, row, hasRow, lastSet)
			opened[k] = &open{d: d, val: e.Value}
		}
		switch {
		case div && o == nil:
			start()
		case div && o.val != e.Value:
			// replaced by another diverging value: close and reopen
			u := at
			o.d.Until, o.d.End, o.d.EndEvent = &u, "overwrite", ev
			out = append(out, o.d)
			start()
		case !div && o != nil:
			u := at
			o.d.Until, o.d.EndEvent = &u, ev
			switch {
			case !inCache:
				o.d.End = "del"
			case events[ev].IsDB():
				o.d.End = "commit"
			default:
				o.d.End = "overwrite"
			}
			out = append(out, o.d)
			delete(opened, k)
		}
	}
	for _, k := range keys {
		check(k, 0, -1)
	}
	ex := 0
	var closed []string
	for i := 0; i < len(events) && cur.Next(); i++ {
		ev := events[i]
		// expiries that happened before this event
		closed = closed[:0]
		for ex < len(expiries) && expiries[ex].At <= ev.End {
			x := expiries[ex]
			ex++
			if o := opened[x.Key]; o != nil {
				u := x.At
				o.d.Until, o.d.End, o.d.EndEvent = &u, "expiry", -1
				out = append(out, o.d)
				delete(opened, x.Key)
				closed = append(closed, x.Key)
			}
		}
		// A key nothing changed or closed compares as it did before.
		for _, k := range closed {
			check(k, ev.End, i)
		}
		for p, k := range cur.Changes() {
			if p != timeline.PartReplica && data[k] {
				check(k, ev.End, i)
			}
		}
		if isCacheWrite(ev) {
			lastSet[ev.Key] = i
		}
	}
	for _, k := range keys {
		o := opened[k]
		if o == nil {
			continue
		}
		o.d.End = "end-of-run"
		if e, ok := cur.Entry(k); ok {
			o.d.TTLLeft = e.TTL
		}
		out = append(out, o.d)
	}
	slices.SortStableFunc(out, func(a, b timeline.Divergence) int {
		if a.From != b.From {
			return cmp.Compare(a.From, b.From)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// dataKeys returns the keys the scenario names (its rows, its cache
// entries and its steps' keys), sorted: the keys whose cache entries are
// data. A lease's own key is not one.
func (r *Runner) dataKeys() []string {
	seen := map[string]bool{}
	for _, s := range r.sc.DB {
		seen[s.Key] = true
	}
	for _, s := range r.sc.Cache {
		seen[s.Key] = true
	}
	for _, a := range r.sc.Actors {
		eachStep(a.Steps, func(st *Step) {
			if st.Op != OpSleep {
				seen[st.Key] = true
			}
		})
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// causeText says which step put or left the diverging value cacheVal of
// key there: event ev of events (-1: the initial state), with row the
// database row after it; lastSet holds the last cache write of each key
// before ev.
func causeText(events []timeline.Event, ev int, key, cacheVal string, row timeline.Row, hasRow bool, lastSet map[string]int) string {
	db := fmt.Sprintf("%s (v%d)", row.Value, row.Version)
	if !hasRow {
		db = "no row for " + key
	}
	if ev < 0 {
		return fmt.Sprintf("the scenario starts with %s=%s in the cache while the database has %s", key, cacheVal, db)
	}
	e := events[ev]
	if e.IsDB() {
		put := "in the cache from the start"
		if s, ok := lastSet[key]; ok {
			put = fmt.Sprintf("set by %s at %s", events[s].Actor, fmtOffset(events[s].End))
		}
		return fmt.Sprintf("%s committed %s=%s at %s while the cache held %s (%s)", e.Actor, key, row.Value, fmtOffset(e.End), cacheVal, put)
	}
	return fmt.Sprintf("%s set %s=%s at %s while the database had %s", e.Actor, key, cacheVal, fmtOffset(e.End), db)
}

// Timeline finishes the run's record: the oracle's verdict on every read,
// the divergences and the final state. Call it once every step is taken (or
// after any prefix, for a partial record).
func (r *Runner) Timeline() (*timeline.Timeline, error) {
	if err := r.finish(); err != nil {
		return nil, err
	}
	c := r.sc.Consistency
	tl := &timeline.Timeline{
		Scenario: r.sc.Name, Title: r.sc.Title, Description: r.sc.Description, Epoch: r.epoch,
		Mode: "timed", Consistency: c.String(), ConsistencyRule: c.Rule(), Actors: slices.Clone(r.lanes),
		Events: slices.Clone(r.events), Reads: slices.Clone(r.reads),
		Commits: slices.Clone(r.db.Commits()), Operations: r.ops(), Expiries: slices.Clone(r.expiries),
		ExpiryRule: expiryRule(r.cache.clockControlled()), Backend: r.cache.name(), Clock: r.cache.clockControlled(),
	}
	if r.opts.Schedule != nil {
		tl.Mode = "schedule"
	}
	tl.Schedule = make([]string, len(r.events))
	for i, e := range r.events {
		tl.Schedule[i] = e.Actor
	}
	if !r.opts.NoStates {
		tl.Initial = r.initial
		tl.States = r.rec.Log()
		tl.Divergences = r.divergences(tl.States)
	}
	return tl, nil
}
