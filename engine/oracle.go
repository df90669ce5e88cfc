package engine

import (
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
		r.readEvs = make([]int, 0, max(256, 2*len(o.events)))
	}
	n := len(r.readEvs)
	r.readEvs = append(r.readEvs, o.events...)
	r.reads = append(r.reads, timeline.Read{
		Actor: a.name, Key: o.key, Source: timeline.Source(o.source), Served: o.served,
		Start: o.start, End: o.end, Events: r.readEvs[n:len(r.readEvs):len(r.readEvs)], Cause: -1,
	})
}

// Current returns the values of key that were committed at some instant of
// [start, end], in commit order: the value current at start, then every
// value committed in (start, end]. A missing row counts as "".
func Current(hist []timeline.Commit, start, end time.Duration) []string {
	cur := ""
	var out []string
	for _, c := range hist {
		if c.At <= start {
			cur = c.Value
			continue
		}
		if c.At <= end {
			out = append(out, c.Value)
		}
	}
	return append([]string{cur}, out...)
}

// IsStale is the oracle: a read served value over [start, end] is stale when
// served was not the committed value of the key at any instant of the closed
// interval.
func IsStale(hist []timeline.Commit, served string, start, end time.Duration) bool {
	return !slices.Contains(Current(hist, start, end), served)
}

// judge applies the oracle to every read and names the anomaly of each
// stale one.
func (r *Runner) judge() {
	for i := range r.reads {
		rd := &r.reads[i]
		hist := r.db.History(rd.Key)
		cur := Current(hist, rd.Start, rd.End)
		if slices.Contains(cur, rd.Served) {
			continue
		}
		rd.Stale = true
		rd.Current = dedupe(cur)
		rd.Anomaly, rd.Cause, rd.Why = r.classify(rd, hist)
	}
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
// last one committed at or before it.
func valueAt(hist []timeline.Commit, at time.Duration) (timeline.Commit, bool) {
	for i := len(hist) - 1; i >= 0; i-- {
		if hist[i].At <= at {
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
	}
	return isCacheWrite(ev)
}

// classify names why a stale read was served.
func (r *Runner) classify(rd *timeline.Read, hist []timeline.Commit) (timeline.Anomaly, int, string) {
	return r.classifyWhy(rd, hist, true)
}

// classifyWhy is classify; without why it leaves the explanation out
// (exploration only counts anomalies, and formatting allocates).
func (r *Runner) classifyWhy(rd *timeline.Read, hist []timeline.Commit, why bool) (timeline.Anomaly, int, string) {
	return runRecord{events: r.events, expiries: r.expiries, lag: r.db.lag}.classify(rd, hist, why)
}

// A runRecord is what naming an anomaly looks at: the events of the run,
// the expiries, and the replica's lag.
type runRecord struct {
	events   []timeline.Event
	expiries []timeline.Expiry
	lag      time.Duration
}

// classify is Runner.classifyWhy on a record.
func (rec runRecord) classify(rd *timeline.Read, hist []timeline.Commit, why bool) (timeline.Anomaly, int, string) {
	newest, _ := valueAt(hist, rd.End)
	if rd.Source == timeline.SourceReplica {
		if !why {
			return timeline.ReplicaLag, -1, ""
		}
		return timeline.ReplicaLag, -1, fmt.Sprintf("%s read %s from the replica and got %s, but the primary had committed %s at %s; the replica lags %s",
			rd.Actor, rd.Key, rd.Served, newest.Value, fmtOffset(newest.At), rec.lag)
	}
	if rd.Source != timeline.SourceCache {
		if !why {
			return timeline.StaleHit, -1, ""
		}
		return timeline.StaleHit, -1, fmt.Sprintf("%s was served %s for %s while %s was committed", rd.Actor, rd.Served, rd.Key, newest.Value)
	}
	// Find the step that put the served value into the cache: the last
	// successful cache write of the key before the hit.
	hitSeq := rd.Events[0]
	cause := -1
	for s := hitSeq - 1; s >= 0; s-- {
		ev := rec.events[s]
		if ev.Key == rd.Key && isCacheWrite(ev) {
			cause = s
			break
		}
	}
	// The commit that made the served value stale: the first commit, after
	// the value was current, of something else.
	var putAt time.Duration
	if cause >= 0 {
		putAt = rec.events[cause].End
	}
	if cause >= 0 {
		set := rec.events[cause]
		c, _ := valueAt(hist, set.End)
		if c.Value != set.Value {
			// The set itself wrote an old value.
			by := ""
			if why {
				by = fmt.Sprintf("%s set %s=%s at %s, but %s had committed %s at %s", set.Actor, rd.Key, set.Value, fmtOffset(set.End), c.Actor, c.Value, fmtOffset(c.At))
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
				return timeline.LostInvalidation, cause, fmt.Sprintf("%s's delayed DEL at %s landed before the stale set it should have removed: %s; %s was served %s from the cache at %s",
					last.Actor, fmtOffset(last.End), by, rd.Actor, rd.Served, fmtOffset(rec.events[hitSeq].End))
			}
			if !why {
				return timeline.StaleSet, cause, ""
			}
			return timeline.StaleSet, cause, fmt.Sprintf("%s; %s was served that old value from the cache at %s", by, rd.Actor, fmtOffset(rec.events[hitSeq].End))
		}
	}
	// The value was current when it was put there; a later commit made it
	// stale. Did anyone invalidate the key after that commit?
	var stale timeline.Commit
	for _, c := range hist {
		if c.At > putAt && c.Value != rd.Served {
			stale = c
			break
		}
	}
	// What removed the served entry afterwards: an invalidation (DEL or a
	// newer set) means the read fell in the window before it; an expiry, or
	// nothing at all, means only the TTL would ever fix it.
	hitEnd := rec.events[hitSeq].End
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
			return timeline.StaleHit, cause, fmt.Sprintf("%s committed %s at %s and %s invalidated %s only at %s; %s was served %s from the cache at %s, in between",
				stale.Actor, stale.Value, fmtOffset(stale.At), ev.Actor, rd.Key, fmtOffset(ev.End), rd.Actor, rd.Served, fmtOffset(hitEnd))
		}
	}
	if !why {
		return timeline.TTLStaleness, cause, ""
	}
	return timeline.TTLStaleness, cause, fmt.Sprintf("%s committed %s at %s and nothing invalidated %s; %s was served %s from the cache at %s, stale until the TTL runs out",
		stale.Actor, stale.Value, fmtOffset(stale.At), rd.Key, rd.Actor, rd.Served, fmtOffset(hitEnd))
}

// staleAnomalies judges the reads closed so far and appends the anomaly of
// each stale one to seen, once each (up to seen's capacity); it reports
// whether any read is stale.
func (r *Runner) staleAnomalies(seen []timeline.Anomaly) ([]timeline.Anomaly, bool) {
	stale := false
	for i := range r.reads {
		rd := &r.reads[i]
		hist := r.db.History(rd.Key)
		if !isStale(hist, rd.Served, rd.Start, rd.End) {
			continue
		}
		stale = true
		a, _, _ := r.classifyWhy(rd, hist, false)
		seen = appendAnomaly(seen, a)
	}
	return seen, stale
}

// appendAnomaly adds a to seen unless it is there (or seen is full).
func appendAnomaly(seen []timeline.Anomaly, a timeline.Anomaly) []timeline.Anomaly {
	if !slices.Contains(seen, a) && len(seen) < cap(seen) {
		seen = append(seen, a)
	}
	return seen
}

// StaleCount returns how many reads so far the oracle finds stale, without
// building a timeline. Exploration uses it after each schedule.
func (r *Runner) StaleCount() int {
	n := 0
	for _, rd := range r.pendingReads() {
		if IsStale(r.db.History(rd.Key), rd.Served, rd.Start, rd.End) {
			n++
		}
	}
	return n
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
// the cache held a value for a DB key different from the committed one.
func (r *Runner) divergences() []timeline.Divergence {
	type open struct {
		d   timeline.Divergence
		val string
	}
	opened := map[string]*open{}
	var out []timeline.Divergence
	dbKeys := map[string]bool{}
	for _, c := range r.db.Commits() {
		dbKeys[c.Key] = true
	}
	// check compares the cache with the DB at instant at; ev is the event
	// that brought the change (-1 initial), how says what kind of instant
	// it is.
	check := func(st timeline.State, at time.Duration, ev int, how string) {
		cache := map[string]timeline.CacheEntry{}
		for _, e := range st.Cache {
			cache[e.Key] = e
		}
		keys := make([]string, 0, len(dbKeys))
		for k := range dbKeys {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			c, _ := valueAt(r.db.History(k), at)
			e, inCache := cache[k]
			div := inCache && e.Value != c.Value
			o := opened[k]
			switch {
			case div && o == nil:
				d := timeline.Divergence{Key: k, CacheValue: e.Value, DBValue: c.Value, From: at, CauseEvent: ev, EndEvent: -1, TTLLeft: -1}
				d.Cause = r.causeText(ev, k, e.Value, c)
				opened[k] = &open{d: d, val: e.Value}
			case div && o.val != e.Value:
				// replaced by another diverging value: close and reopen
				u := at
				o.d.Until, o.d.End, o.d.EndEvent = &u, "overwrite", ev
				out = append(out, o.d)
				d := timeline.Divergence{Key: k, CacheValue: e.Value, DBValue: c.Value, From: at, CauseEvent: ev, EndEvent: -1, TTLLeft: -1}
				d.Cause = r.causeText(ev, k, e.Value, c)
				opened[k] = &open{d: d, val: e.Value}
			case !div && o != nil:
				u := at
				o.d.Until, o.d.EndEvent = &u, ev
				switch {
				case how == "expiry":
					o.d.End, o.d.EndEvent = "expiry", -1
				case !inCache:
					o.d.End = "del"
				case r.events[ev].IsDB():
					o.d.End = "commit"
				default:
					o.d.End = "overwrite"
				}
				out = append(out, o.d)
				delete(opened, k)
			}
		}
	}
	check(r.initial, 0, -1, "initial")
	ex := 0
	for i, st := range r.states {
		ev := r.events[i]
		// expiries that happened before this event
		for ex < len(r.expiries) && r.expiries[ex].At <= ev.End {
			x := r.expiries[ex]
			ex++
			if o := opened[x.Key]; o != nil {
				u := x.At
				o.d.Until, o.d.End, o.d.EndEvent = &u, "expiry", -1
				out = append(out, o.d)
				delete(opened, x.Key)
			}
		}
		check(st, ev.End, i, "event")
	}
	final := r.initial
	if len(r.states) > 0 {
		final = r.states[len(r.states)-1]
	}
	keys := make([]string, 0, len(opened))
	for k := range opened {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o := opened[k]
		o.d.End = "end-of-run"
		for _, e := range final.Cache {
			if e.Key == k {
				o.d.TTLLeft = e.TTL
			}
		}
		out = append(out, o.d)
	}
	slices.SortStableFunc(out, func(a, b timeline.Divergence) int {
		if a.From != b.From {
			return int(a.From - b.From)
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

func (r *Runner) causeText(ev int, key, cacheVal string, c timeline.Commit) string {
	if ev < 0 {
		return fmt.Sprintf("the scenario starts with %s=%s in the cache while the database has %s", key, cacheVal, c.Value)
	}
	e := r.events[ev]
	if e.IsDB() {
		return fmt.Sprintf("%s committed %s=%s at %s while the cache held %s", e.Actor, key, c.Value, fmtOffset(e.End), cacheVal)
	}
	return fmt.Sprintf("%s set %s=%s at %s while the database had %s (v%d)", e.Actor, key, cacheVal, fmtOffset(e.End), c.Value, c.Version)
}

// Timeline finishes the run's record: the oracle's verdict on every read,
// the divergences and the final state. Call it once every step is taken (or
// after any prefix, for a partial record).
func (r *Runner) Timeline() *timeline.Timeline {
	for i := range r.actors {
		r.closeRead(&r.actors[i])
	}
	r.judge()
	tl := &timeline.Timeline{
		Scenario: r.sc.Name, Title: r.sc.Title, Description: r.sc.Description, Epoch: r.epoch,
		Mode: "timed", Actors: slices.Clone(r.lanes),
		Events: slices.Clone(r.events), Reads: slices.Clone(r.reads),
		Commits: slices.Clone(r.db.Commits()), Expiries: slices.Clone(r.expiries),
		ExpiryRule: ExpiryRule, Backend: r.cache.name(), Clock: r.cache.clockControlled(),
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
		tl.States = slices.Clone(r.states)
		tl.Divergences = r.divergences()
	}
	return tl
}
