package engine

import (
	"time"

	"github.com/racetape/racetape/timeline"
)

// A runnerSnap is a copy of a Runner's state in schedule mode with
// NoStates, taken by exploration at a branch point so it can come back to
// it instead of replaying the prefix from Reset. Only the model cache can
// be copied; with another backend canSnapshot is false and exploration
// replays.
//
// What a step changes, and how the copy brings it back:
//   - the clock, the clock lane, the actors (frames, results, lease
//     tokens, the read in progress): copied;
//   - events, expiries, reads and DB commits are only appended to, and
//     nothing appended is changed afterwards: their lengths;
//   - the pending-expiry mirror and the cache's keys: copied.
type runnerSnap struct {
	now       time.Duration
	clockLane bool
	lanes     int
	events    int
	expiries  int
	reads     int
	commits   int
	readEvs   []int // the runner's, whose array may have been replaced since
	readGen   int
	ttls      []pendingExpiry
	actors    []actorSnap
	keys      []modelEntry
	cacheNow  time.Duration
	lastTick  time.Duration
}

type actorSnap struct {
	st      actorState // frames and open are not used
	frames  []frame
	open    openRead // its events are in openEvs
	openEvs []int
	hasOpen bool
}

// canSnapshot reports whether save and restore work on this runner.
func (r *Runner) canSnapshot() bool {
	return r.model != nil && r.opts.NoStates
}

// save copies the runner's state into s, reusing s's storage.
func (r *Runner) save(s *runnerSnap) {
	m := r.model
	s.now, s.clockLane, s.lanes = r.now, r.clockLane, len(r.lanes)
	s.events, s.expiries, s.reads, s.commits = len(r.events), len(r.expiries), len(r.reads), len(r.db.all)
	s.readEvs, s.readGen = r.readEvs, r.readGen
	s.ttls = append(s.ttls[:0], r.ttls...)
	s.keys = append(s.keys[:0], m.keys...)
	s.cacheNow, s.lastTick = m.now, m.lastTick
	if cap(s.actors) < len(r.actors) {
		s.actors = make([]actorSnap, len(r.actors))
	}
	s.actors = s.actors[:len(r.actors)]
	for i := range r.actors {
		a, as := &r.actors[i], &s.actors[i]
		frames := append(as.frames[:0], a.frames...)
		as.st = *a
		as.st.frames, as.st.open = nil, nil // buf stays: it is the actor's
		as.frames = frames
		as.hasOpen = a.open != nil
		if as.hasOpen {
			as.open = *a.open
			// The copy must not share the events' storage with the read,
			// which goes on growing.
			as.openEvs = append(as.openEvs[:0], a.open.events...)
			as.open.events = nil
		} else {
			as.open = openRead{}
		}
	}
}

// restore brings the runner back to the state saved in s. Every event,
// read, expiry and commit since then is dropped.
func (r *Runner) restore(s *runnerSnap) {
	m := r.model
	r.err = nil
	r.now, r.clockLane, r.lanes = s.now, s.clockLane, r.lanes[:s.lanes]
	r.events = r.events[:s.events]
	r.expiries = r.expiries[:s.expiries]
	r.reads = r.reads[:s.reads]
	if r.readGen == s.readGen {
		r.readEvs = s.readEvs
	} else {
		// A newer array, filled since the copy by reads now dropped: reuse
		// it (the saved one keeps the reads from before).
		r.readEvs = r.readEvs[:0]
	}
	r.db.truncate(s.commits)
	clear(r.ttls)
	r.ttls = append(r.ttls[:0], s.ttls...)
	clear(m.keys)
	m.keys = append(m.keys[:0], s.keys...)
	m.now, m.lastTick = s.cacheNow, s.lastTick
	for i := range r.actors {
		a, as := &r.actors[i], &s.actors[i]
		frames := append(a.frames[:0], as.frames...)
		*a = as.st
		a.frames = frames
		if as.hasOpen {
			o := a.buf // the read's storage (the actor's, as when saved)
			*o = as.open
			o.events = append(o.evs[:0], as.openEvs...)
			a.open = o
		}
	}
}

// truncate drops every commit after the first n.
func (db *MemDB) truncate(n int) {
	for i := len(db.all) - 1; i >= n; i-- {
		k := db.all[i].Key
		h := db.rows[k]
		h[len(h)-1] = timeline.Commit{}
		db.rows[k] = h[:len(h)-1]
	}
	clear(db.all[n:])
	db.all = db.all[:n]
}
