package engine

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/racetape/racetape/timeline"
)

// Options control one run.
type Options struct {
	// Schedule, when set, overrides the virtual clock's order: one actor name
	// per step (see ParseSchedule). Each step then starts when the previous
	// one ends.
	Schedule []string
	// Redis is the address of a real Redis server to use instead of the
	// in-process miniredis. The virtual clock cannot move a real server's
	// clock, so TTL expiry then follows wall time.
	Redis string
	// NoStates skips the per-step cache/DB states and divergence
	// analysis; stale reads are still judged. Exploration uses it.
	NoStates bool
	// Direct drives the embedded miniredis through its Go API instead of
	// go-redis over RESP: the same replies (byte-identical timelines), about a
	// hundred times cheaper per command. Exploration uses it; ignored with
	// Redis.
	Direct bool
	// model runs cache steps on modelBackend, a pure-Go model of the cache
	// (exploration only); ignored with Redis.
	model bool
}

// ExpiryRule is the expiry rule racetape shows on miniredis, which follows
// the virtual clock.
const ExpiryRule = "a key is gone at its expiry instant (now >= expiry, as miniredis); real Redis still serves it during that millisecond (now > expiry)"

// ServerExpiryRule is the expiry rule of a real Redis server (--redis).
const ServerExpiryRule = "real Redis: a key is gone once its expiry instant has passed (now > expiry), by the server's wall clock, which the virtual clock does not move"

// expiryRule is the rule of a cache whose clock the run controls or not.
func expiryRule(controlled bool) string {
	if controlled {
		return ExpiryRule
	}
	return ServerExpiryRule
}

// ErrScheduleActor is returned for a schedule entry naming an actor that
// does not exist or has no step left.
var ErrScheduleActor = errors.New("bad schedule")

// A Runner executes one scenario step by step. It is the engine's core: Run
// drives it in timed mode or along a schedule, and exploration drives it one
// chosen actor at a time. A Runner is not safe for concurrent use.
type Runner struct {
	sc        *Scenario
	epoch     time.Time
	opts      Options
	cache     cacheBackend
	model     *modelBackend // the cache, when it is the model
	mini      *miniredis.Miniredis
	db        *MemDB
	actors    []actorState
	lanes     []string
	now       time.Duration // end of the last step
	events    []timeline.Event
	groups    []int                   // the `op:` block of each event's step (Step.Group)
	rec       *timeline.StateRecorder // the state after every step (nil with NoStates)
	initial   timeline.State
	expiries  []timeline.Expiry
	reads     []timeline.Read
	readEvs   []int // the reads' events
	clockLane bool
	// ttls mirrors the cache's pending expiries, refreshed from the keys
	// each step changes (from whole snapshots against a real server).
	ttls expiryMirror
	err  error
	// lean skips building the events' Command texts (exploration runs
	// millions of steps and never shows them).
	lean bool

	// dbMark and replicaMark count the commits rec has seen in the
	// database and on the replica; keyBuf is changedKeys's.
	dbMark, replicaMark int
	keyBuf              []string
}

// NewRunner prepares a run of sc: it connects one Redis client per actor
// and seeds the cache and the database. Close it when done.
func NewRunner(sc *Scenario, opts Options) (*Runner, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if err := checkClock(sc); err != nil {
		return nil, err
	}
	r := &Runner{sc: sc, opts: opts, epoch: sc.Epoch}
	// Room for the events of one pass through every program (a clock
	// tick or a loop of sleeps grows it), so that a short replay does not
	// grow it step by step.
	steps := 0
	for _, a := range sc.Actors {
		walkSteps(a.Steps, func(int, *Step) bool { steps++; return steps < 1024 })
	}
	r.events = make([]timeline.Event, 0, min(steps+4, 1024))
	if r.epoch.IsZero() {
		r.epoch = DefaultEpoch
	}
	lag := time.Duration(-1)
	if sc.Replica != nil {
		lag = sc.Replica.Lag
	}
	r.db = NewMemDB(lag)
	names := make([]string, len(sc.Actors))
	for i, a := range sc.Actors {
		names[i] = a.Name
	}
	switch {
	case opts.Redis != "":
		r.cache = newServerBackend(opts.Redis, "racetape:"+sc.Name+":")
	case opts.model:
		r.model = newModelBackend(r.epoch)
		r.cache = r.model
	default:
		r.mini = miniredis.NewMiniRedis()
		r.mini.ClockTTL(true)
		r.mini.SetTime(r.epoch)
		r.cache = newMiniredisBackend(r.mini)
		if opts.Direct {
			r.cache = newDirectBackend(r.mini)
		}
	}
	if err := r.cache.connect(names); err != nil {
		r.Close()
		return nil, err
	}
	if err := r.Reset(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Close releases the Redis connections and the embedded server.
func (r *Runner) Close() {
	if r.cache != nil {
		r.cache.close()
	}
	if r.mini != nil {
		r.mini.Close()
	}
}

// Reset brings the runner back to the scenario's initial state, reusing its
// connections: the cache is flushed and re-seeded, the clock is at 0.
func (r *Runner) Reset() error {
	r.now = 0
	r.err = nil
	r.events = r.events[:0]
	r.groups = r.groups[:0]
	r.expiries = r.expiries[:0]
	r.reads = r.reads[:0]
	r.readEvs = r.readEvs[len(r.readEvs):] // earlier timelines keep theirs
	r.clockLane = false
	r.ttls.reset()
	lag := time.Duration(-1)
	if r.sc.Replica != nil {
		lag = r.sc.Replica.Lag
	}
	r.db.reset(lag)
	if len(r.actors) == len(r.sc.Actors) {
		for i, a := range r.sc.Actors {
			r.actors[i].reset(a, i)
		}
	} else {
		r.actors = r.actors[:0]
		for i, a := range r.sc.Actors {
			r.actors = append(r.actors, newActorState(a, i))
		}
	}
	r.lanes = r.lanes[:0]
	for _, a := range r.sc.Actors {
		r.lanes = append(r.lanes, a.Name)
	}
	r.cache.setNow(r.epoch)
	if err := r.cache.flush(); err != nil {
		return fmt.Errorf("flush cache: %w", err)
	}
	for _, s := range r.sc.DB {
		r.db.Seed(s.Key, s.Value)
	}
	for _, s := range r.sc.Cache {
		if err := r.cache.seed(s); err != nil {
			return fmt.Errorf("seed cache key %q: %w", s.Key, err)
		}
	}
	for _, s := range r.sc.Cache {
		if err := r.refreshTTL(s.Key, 0); err != nil {
			return err
		}
	}
	if !r.opts.NoStates {
		st, err := r.state(0)
		if err != nil {
			return err
		}
		r.initial = st
		r.rec = timeline.NewStateRecorder(st)
		r.dbMark = len(r.db.Commits())
		r.replicaMark = r.dbMark
	}
	return nil
}

// Actors returns the actor names in scenario order.
func (r *Runner) Actors() []string { return r.lanes[:len(r.sc.Actors)] }

// Now returns the virtual instant the last step ended.
func (r *Runner) Now() time.Duration { return r.now }

// Events returns the events so far.
func (r *Runner) Events() []timeline.Event { return r.events }

// Next returns actor i's next atomic step, if it has one.
func (r *Runner) Next(i int) (*Step, bool) {
	if i < 0 || i >= len(r.actors) {
		return nil, false
	}
	return r.actors[i].next()
}

// Done reports whether every actor has finished its program.
func (r *Runner) Done() bool {
	for i := range r.actors {
		if _, ok := r.actors[i].next(); ok {
			return false
		}
	}
	return true
}

// Enabled returns the indexes of the actors that can take a step now, in
// scenario order; in schedule mode the clock (index ClockIndex) is enabled
// when a cache key's TTL could run out before the run ends.
func (r *Runner) Enabled() []int {
	var out []int
	for i := range r.actors {
		if _, ok := r.actors[i].next(); ok {
			out = append(out, i)
		}
	}
	if r.clockEnabled() {
		out = append(out, ClockIndex)
	}
	return out
}

// ClockIndex stands for the clock in Enabled and Step.
const ClockIndex = -1

// clockEnabled reports whether a pending expiry could land before the run
// ends: within the time the remaining steps can still take.
func (r *Runner) clockEnabled() bool {
	at, ok := r.nextExpiry()
	if !ok {
		return false
	}
	var rem time.Duration
	for i := range r.actors {
		if _, ok := r.actors[i].next(); ok {
			rem += r.actors[i].maxRemaining()
		}
	}
	return clockDue(at, r.now, rem)
}

// clockDue says whether an expiry at instant at can land before a run
// that is at now, with at most rem of steps to take, ends.
func clockDue(at, now, rem time.Duration) bool { return rem > 0 && at <= now+rem }

func (r *Runner) nextExpiry() (time.Duration, bool) { return r.ttls.next(r.now) }

// NextStepEnd returns when actor i's next step would end in timed mode.
func (r *Runner) nextEnd(i int) (time.Duration, bool) {
	st, ok := r.actors[i].next()
	if !ok {
		return 0, false
	}
	return r.actors[i].ready + st.Took, true
}

// RunTimed runs every remaining step in virtual-clock order: the step that
// ends first goes first; ties go to the actor listed first.
func (r *Runner) RunTimed() error {
	for {
		if more, err := r.stepTimed(); !more || err != nil {
			return err
		}
	}
}

// stepTimed runs the next step in virtual-clock order; it reports false
// when no step is left.
func (r *Runner) stepTimed() (bool, error) {
	best, bestEnd := -1, time.Duration(0)
	for i := range r.actors {
		end, ok := r.nextEnd(i)
		if ok && (best < 0 || end < bestEnd) {
			best, bestEnd = i, end
		}
	}
	if best < 0 {
		return false, nil
	}
	_, err := r.exec(best, r.actors[best].ready, bestEnd)
	return true, err
}

// Step runs actor i's next step in schedule mode: it starts when the
// previous step ended. ClockIndex advances the clock to the next expiry.
func (r *Runner) Step(i int) (timeline.Event, error) {
	if i == ClockIndex {
		return r.tick()
	}
	st, ok := r.Next(i)
	if !ok {
		if i < 0 || i >= len(r.actors) {
			return timeline.Event{}, fmt.Errorf("%w: no actor #%d", ErrScheduleActor, i)
		}
		return timeline.Event{}, fmt.Errorf("%w: actor %q has no step left", ErrScheduleActor, r.actors[i].name)
	}
	return r.exec(i, r.now, r.now+st.Took)
}

// tick advances the clock to the next pending TTL expiry.
func (r *Runner) tick() (timeline.Event, error) {
	at, ok := r.nextExpiry()
	if !ok {
		return timeline.Event{}, fmt.Errorf("%w: the clock has no pending expiry", ErrScheduleActor)
	}
	if !r.clockLane {
		r.clockLane = true
		r.lanes = append(r.lanes, timeline.ClockActor)
	}
	n := len(r.expiries)
	r.moveClock(at) // the keys whose TTL runs out at, the earliest, in order
	keys := make([]string, 0, len(r.expiries)-n)
	for _, x := range r.expiries[n:] {
		keys = append(keys, x.Key)
	}
	ev := timeline.Event{
		Seq: len(r.events), Actor: timeline.ClockActor, Lane: len(r.lanes) - 1,
		Op: "clock.tick", Key: strings.Join(keys, " "), Start: r.now, End: at,
		Command: "advance clock to " + fmtOffset(at),
		Result:  "ok", Note: tickNote(keys),
	}
	r.now = at
	for i := range r.actors {
		if r.actors[i].ready < at {
			r.actors[i].ready = at
		}
	}
	r.events = append(r.events, ev)
	r.groups = append(r.groups, 0)
	if err := r.record(nil); err != nil {
		return ev, err
	}
	return ev, nil
}

// tickNote is the note of a clock tick at which keys' TTLs run out.
func tickNote(keys []string) string { return "TTL of " + strings.Join(keys, ", ") + " runs out" }

// moveClock sets the cache's clock to instant at and notes the keys whose
// TTL ran out on the way.
func (r *Runner) moveClock(at time.Duration) {
	if r.model != nil {
		r.model.setAt(at)
	} else {
		r.cache.setNow(r.epoch.Add(at))
	}
	r.expiries = r.ttls.expire(at, r.expiries)
}

// sortExpiries orders expiries that happened on one move of the clock: by
// instant, then key.
func sortExpiries(gone []timeline.Expiry) {
	slices.SortFunc(gone, func(a, b timeline.Expiry) int {
		if c := cmp.Compare(a.At, b.At); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// exec runs actor i's next step over [start, end].
func (r *Runner) exec(i int, start, end time.Duration) (timeline.Event, error) {
	ev, err := r.execp(i, start, end)
	if ev == nil {
		return timeline.Event{}, err
	}
	return *ev, err
}

// execp is exec without copying the event: it returns the event in place
// (or a copy, when the step failed).
func (r *Runner) execp(i int, start, end time.Duration) (*timeline.Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	a := &r.actors[i]
	st, _ := a.next()
	r.moveClock(end)
	n := len(r.events)
	r.events = append(r.events, timeline.Event{Seq: n, Actor: a.name, Lane: i, Step: a.taken + 1, Op: string(st.Op), Key: st.Key, Start: start, End: end})
	ev := &r.events[n]
	if err := r.apply(a, st, ev); err != nil {
		r.err = stepError(a.name, ev.Step, st, err)
		failed := *ev
		r.events = r.events[:n]
		return &failed, r.err
	}
	r.groups = append(r.groups, st.Group)
	a.advance()
	a.ready = end
	if end > r.now {
		r.now = end
	}
	r.trackRead(a, st, ev)
	if _, more := a.next(); !more {
		r.closeRead(a)
	}
	if err := r.record(st); err != nil {
		r.err = err
		return ev, err
	}
	return ev, nil
}

// stepError is the error of actor's n-th step st.
func stepError(actor string, n int, st *Step, err error) error {
	return fmt.Errorf("actor %q step %d (%s): %w", actor, n, st, err)
}

// step is Step without the event, for exploration.
func (r *Runner) step(i int) error {
	if i == ClockIndex {
		_, err := r.tick()
		return err
	}
	st, ok := r.Next(i)
	if !ok {
		_, err := r.Step(i)
		return err
	}
	_, err := r.execp(i, r.now, r.now+st.Took)
	return err
}

// apply performs the step's effect at ev.End and fills in what it observed.
func (r *Runner) apply(a *actorState, st *Step, ev *timeline.Event) error {
	switch st.Op {
	case OpSleep:
		ev.Result = "ok"
		ev.Command = ""
		return nil
	case OpDBRead:
		var c timeline.Commit
		var ok bool
		if st.Replica {
			c, ok = r.db.ReadReplica(st.Key, ev.End)
			if !r.lean {
				ev.Command = "SELECT " + st.Key + " FROM replica"
			}
		} else {
			c, ok = r.db.Read(st.Key, ev.End)
			if !r.lean {
				ev.Command = "SELECT " + st.Key
			}
		}
		if !ok {
			ev.Result = "miss"
			ev.Note = noteNoRow
			a.saw("miss", "", 0)
			return nil
		}
		ev.Result, ev.Value, ev.Version = "hit", c.Value, c.Version
		a.saw("hit", c.Value, c.Version)
		return nil
	case OpDBWrite:
		c := r.db.Commit(st.Key, st.Value, ev.End, a.name, ev.Seq)
		if !r.lean {
			ev.Command = fmt.Sprintf("COMMIT %s = %s", st.Key, quoteArg(st.Value))
		}
		ev.Result, ev.Value, ev.Version = "ok", c.Value, c.Version
		a.saw("ok", c.Value, c.Version)
		return nil
	}
	op := cacheOp{Op: st.Op, Key: st.Key, TTL: st.TTL, NX: st.NX}
	note := a.prepare(&op, st, a.name, r.epoch)
	if !r.lean {
		ev.Command = op.command()
	}
	var rep cacheReply
	var err error
	if r.model != nil {
		rep, err = r.model.doOp(&op)
	} else {
		rep, err = r.cache.do(a.idx, op)
	}
	if err != nil {
		return err
	}
	ev.Result, ev.Value, ev.Version = rep.Result, rep.Value, rep.Version
	ev.Note = stepNote(st, &rep, note, r.epoch, ev.End)
	a.observe(st, &rep)
	if r.opts.NoStates {
		return r.trackTTL(st, ev.End)
	}
	return nil // record refreshes the mirror as it reads the step's keys
}

// changedKeys appends to buf the cache keys step st may change: its key,
// and a lease step's lease key; none for a read, a sleep or a database
// step.
func changedKeys(st *Step, buf []string) []string {
	switch st.Op {
	case OpSleep, OpDBRead, OpDBWrite, OpCacheGet, OpCASGet:
		return buf
	case OpLeaseGet, OpLeaseSet, OpLeaseDel:
		buf = append(buf, leaseKey(st.Key))
	}
	return append(buf, st.Key)
}

// trackTTL keeps the pending-expiry mirror up to date without snapshots:
// it asks the cache for the TTL of the keys the step may have changed
// (computing it here instead would miss lease keys and the TTL rounding).
func (r *Runner) trackTTL(st *Step, at time.Duration) error {
	r.keyBuf = changedKeys(st, r.keyBuf[:0])
	for _, k := range r.keyBuf {
		if err := r.refreshTTL(k, at); err != nil {
			return err
		}
	}
	return nil
}

// refreshTTL reads key's TTL from the cache into the mirror.
func (r *Runner) refreshTTL(key string, at time.Duration) error {
	if m := r.model; m != nil { // entry without building one
		m.tick()
		if e := m.find(key); e != nil && e.hasTTL {
			r.ttls.set(pendingExpiry{key: key, at: at + e.ttl, value: e.val})
		} else {
			r.ttls.drop(key)
		}
		return nil
	}
	e, ok, err := r.cache.entry(key)
	if err != nil {
		return fmt.Errorf("read TTL of %q: %w", key, err)
	}
	r.mirror(key, e, ok, at)
	return nil
}

// mirror notes key's entry e (ok: the key exists), read at instant at, in
// the mirror of pending expiries.
func (r *Runner) mirror(key string, e timeline.CacheEntry, ok bool, at time.Duration) {
	if ok && e.TTL >= 0 {
		r.ttls.set(pendingExpiry{key: key, at: at + e.TTL, value: e.Value})
	} else {
		r.ttls.drop(key)
	}
}

// record records the state after the last event, st's (nil: a clock
// tick): what changed since the state before, in time linear in that, and
// refreshes the mirror of pending expiries from the keys it reads. A real
// server's keys expire by its own clock: its whole state is read, and its
// TTLs, which follow wall time, change at every step.
func (r *Runner) record(st *Step) error {
	if r.opts.NoStates {
		return nil
	}
	r.rec.Step(r.now)
	if !r.cache.clockControlled() {
		whole, err := r.state(r.now)
		if err != nil {
			return err
		}
		r.ttls.reset()
		for _, e := range whole.Cache {
			r.mirror(e.Key, e, true, r.now)
		}
		r.rec.Full(whole)
		return nil
	}
	r.rec.Expire()
	if st != nil {
		r.keyBuf = changedKeys(st, r.keyBuf[:0])
		for _, k := range r.keyBuf {
			e, ok, err := r.cache.entry(k)
			if err != nil {
				return fmt.Errorf("read cache key %q: %w", k, err)
			}
			r.mirror(k, e, ok, r.now)
			if ok {
				r.rec.SetCache(e)
			} else {
				r.rec.DropCache(k)
			}
		}
	}
	commits := r.db.Commits()
	for _, c := range commits[r.dbMark:] {
		r.rec.SetRow(c.Row())
	}
	r.dbMark = len(commits)
	if r.sc.Replica != nil {
		sees := replicaSees(r.now, r.sc.Replica.Lag)
		for ; r.replicaMark < len(commits) && commits[r.replicaMark].At <= sees; r.replicaMark++ {
			r.rec.SetReplicaRow(commits[r.replicaMark].Row())
		}
	}
	return nil
}

// state reads the whole cache and database at instant at.
func (r *Runner) state(at time.Duration) (timeline.State, error) {
	entries, err := r.cache.snapshot()
	if err != nil {
		return timeline.State{}, fmt.Errorf("snapshot cache: %w", err)
	}
	st := timeline.State{At: at, Cache: entries, DB: r.db.Rows(at), Replica: r.db.ReplicaRows(at)}
	if st.DB == nil {
		st.DB = []timeline.Row{}
	}
	return st, nil
}
