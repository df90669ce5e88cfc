package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A machine runs a scenario in schedule mode for exploration, with the
// Runner's semantics on a state small and flat enough to copy at every
// branch point of the search:
//   - each actor's program is compiled to a list of instructions, an `if`
//     becoming a conditional jump, so an actor's place is one index;
//   - keys are numbered, and each key's database history is a slice;
//   - cache steps run the same commands as the Runner's in-process backends
//     (cache_commands.go) on the pure-Go model of the key space
//     (cache_model.go), actors remember what Runner actors remember
//     (actorMemory) and reads are tracked by the same rule (readActionOf);
//   - nothing is recorded that the verdict does not need: no events, no
//     commands, no expiry list, no TTL mirror (the next expiry is read off
//     the model).
//
// A schedule the oracle finds stale is replayed on a second machine that
// records events and expiries as the Runner does, and its anomalies are
// named from that record by the Runner's own classification (runRecord).
// TestMachineAgreesWithRunner checks the machine against the Runner step for
// step, records included, on every preset and on generated scenarios.
type machine struct {
	// The program and the cache are copies inside the machine, not
	// pointers: what one worker's machine writes at every step must not
	// share a cache line with what another worker's does (false sharing
	// cost a third of the two-worker rate).
	program
	cache modelBackend

	// The state, which save and restore copy.
	now    time.Duration
	seq    int // steps taken, clock ticks included: the next event's number
	actors []mactor
	live   []int               // actors with a step left, in order
	hist   [][]timeline.Commit // per key id, in commit order
	closed int                 // reads closed that served a value
	nstale int                 // of which judged stale when they closed
	reads  []mread             // closed reads judged at the end (late keys)

	// rec makes the machine record what classification needs, as the
	// Runner does: events, expiries, and every read.
	rec      bool
	events   []timeline.Event
	groups   []int // Step.Group of each event
	expiries []timeline.Expiry
	all      []mread
	// recorder replays stale schedules with rec on; made when needed.
	recorder *machine
}

// A program is a scenario compiled for machines; machines (one per worker,
// and their recorders) share it.
type program struct {
	sc    *Scenario
	epoch time.Time
	names []string   // actor names
	progs [][]minstr // per actor
	kids  map[string]int32
	keys  []string // by key id
	seeds []int32  // the key ids of sc.DB
	por   *porInfo
	// late says, per key id, that a db.write of the key takes no time: a
	// commit can then land at the very instant a read of the key ended,
	// and the read is judged at the end of the schedule instead of when it
	// closes.
	late []bool
	lag  time.Duration // of the replica; -1 without one
	// cons is the consistency model reads are judged by.
	cons Consistency
	// bound is the most time all the actors' programs can take.
	bound time.Duration
	// expires says a key can expire during a run (porInfo.expires):
	// without it the clock is never enabled.
	expires bool
}

type minstrKind uint8

const (
	instrStep minstrKind = iota // run st
	instrIf                     // st is an `if`: go on when the condition holds, else jump to to
	instrJump                   // jump to to (the end of a `then` that has an `else`)
)

// A minstr is one instruction of a compiled program.
type minstr struct {
	st   *Step // the step, in the scenario (exploration's footprints are keyed by it)
	kind minstrKind
	code opcode // st.Op
	to   int32
	kid  int32 // st's key
	// rem is the most time the program can still take from here (the
	// longer branch of each `if`).
	rem time.Duration
}

// An mactor is an actor's place in its program and what it remembers.
type mactor struct {
	actorMemory
	pc      int32
	taken   int32 // steps taken, for error messages
	open    mread // the read in progress, when hasOpen
	hasOpen bool
}

// An mread is a read: a served value over [start, end].
type mread struct {
	kid        int32
	first      int32 // the number of its first step
	serve      int32 // the number of the step that served its value
	have       bool
	src        readFrom
	served     string
	start, end time.Duration
}

// readFrom is where a read's value came from.
type readFrom uint8

const (
	fromCache readFrom = iota
	fromDB
	fromReplica
)

var readSources = [...]timeline.Source{fromCache: timeline.SourceCache, fromDB: timeline.SourceDB, fromReplica: timeline.SourceReplica}

func readFromStep(st *Step) readFrom {
	switch {
	case st.Op != OpDBRead:
		return fromCache
	case st.Replica:
		return fromReplica
	}
	return fromDB
}

// newMachine compiles sc, whose analysis is por, for a machine.
func newMachine(sc *Scenario, por *porInfo) *machine {
	return compile(sc, por).newMachine()
}

// newMachine makes a machine that runs p.
func (p *program) newMachine() *machine {
	// The small state slices get room to spare for the same reason:
	// another machine's slice then never starts on the cache line this
	// one's end is on.
	return &machine{program: *p, cache: *newModelBackend(p.epoch),
		hist:   make([][]timeline.Commit, len(p.kids), len(p.kids)+8),
		actors: make([]mactor, len(p.sc.Actors), len(p.sc.Actors)+1)}
}

// compile compiles sc, whose analysis is por.
func compile(sc *Scenario, por *porInfo) *program {
	m := &program{sc: sc, epoch: sc.Epoch, kids: map[string]int32{}, lag: -1, expires: por.expires, por: por, cons: por.cons}
	if m.epoch.IsZero() {
		m.epoch = DefaultEpoch
	}
	if sc.Replica != nil {
		m.lag = sc.Replica.Lag
	}
	for _, s := range sc.DB {
		m.seeds = append(m.seeds, m.kid(s.Key))
	}
	for _, a := range sc.Actors {
		m.names = append(m.names, a.Name)
		prog := m.compile(nil, a.Steps)
		var rem time.Duration
		for i := len(prog) - 1; i >= 0; i-- {
			in := &prog[i]
			switch in.kind {
			case instrStep:
				rem += in.st.Took
			case instrIf:
				rem = max(rem, remAt(prog, in.to))
			case instrJump:
				rem = remAt(prog, in.to)
			}
			in.rem = rem
		}
		m.progs = append(m.progs, prog)
		m.bound += maxTook(a.Steps)
	}
	m.late = make([]bool, len(m.kids))
	for _, prog := range m.progs {
		for _, in := range prog {
			if in.kind == instrStep && in.st.Op == OpDBWrite && in.st.Took == 0 {
				m.late[in.kid] = true
			}
		}
	}
	return m
}

func remAt(prog []minstr, pc int32) time.Duration {
	if int(pc) >= len(prog) {
		return 0
	}
	return prog[pc].rem
}

// kid numbers key.
func (m *program) kid(key string) int32 {
	id, ok := m.kids[key]
	if !ok {
		id = int32(len(m.kids))
		m.kids[key] = id
		m.keys = append(m.keys, key)
	}
	return id
}

// compile appends steps to prog: an `if` is a jump over its `then` when the
// condition fails, and a `then` followed by an `else` jumps over it.
func (m *program) compile(prog []minstr, steps []Step) []minstr {
	for i := range steps {
		st := &steps[i]
		if st.Op != OpIf {
			prog = append(prog, minstr{st: st, kind: instrStep, code: opcodeOf(st.Op), kid: m.kid(st.Key)})
			continue
		}
		at := len(prog)
		prog = append(prog, minstr{st: st, kind: instrIf})
		prog = m.compile(prog, st.Then)
		if len(st.Else) > 0 {
			jump := len(prog)
			prog = append(prog, minstr{st: st, kind: instrJump})
			prog[at].to = int32(len(prog))
			prog = m.compile(prog, st.Else)
			prog[jump].to = int32(len(prog))
		} else {
			prog[at].to = int32(len(prog))
		}
	}
	return prog
}

// reset brings the machine to the scenario's initial state, as Runner.Reset
// does in schedule mode.
func (m *machine) reset() error {
	m.now, m.seq = 0, 0
	m.cache.setAt(0)
	if err := m.cache.flush(); err != nil {
		return err
	}
	for k := range m.hist {
		m.hist[k] = m.hist[k][:0]
	}
	for i, s := range m.sc.DB {
		h := m.hist[m.seeds[i]]
		m.hist[m.seeds[i]] = append(h, seedRow(s.Key, s.Value, len(h)+1))
	}
	for _, s := range m.sc.Cache {
		if err := m.cache.seed(s); err != nil {
			return fmt.Errorf("seed cache key %q: %w", s.Key, err)
		}
	}
	m.reads = m.reads[:0]
	m.closed, m.nstale = 0, 0
	m.events, m.groups, m.expiries, m.all = m.events[:0], m.groups[:0], m.expiries[:0], m.all[:0]
	m.live = m.live[:0]
	for i := range m.actors {
		m.actors[i] = mactor{}
		if m.normalize(i) {
			m.live = append(m.live, i)
		}
	}
	return nil
}

func (m *machine) commit(kid int32, key, value string, at time.Duration, actor string, event int) timeline.Commit {
	h := m.hist[kid]
	c := timeline.Commit{Key: key, Value: value, Version: len(h) + 1, At: at, Actor: actor, Event: event}
	m.hist[kid] = append(h, c)
	return c
}

// normalize takes actor i past `if`s to its next step, and reports whether
// it has one.
func (m *machine) normalize(i int) bool {
	a, prog := &m.actors[i], m.progs[i]
	for int(a.pc) < len(prog) {
		in := &prog[a.pc]
		switch in.kind {
		case instrStep:
			return true
		case instrIf:
			if a.last == in.st.Cond {
				a.pc++
			} else {
				a.pc = in.to
			}
		case instrJump:
			a.pc = in.to
		}
	}
	return false
}

// next returns actor i's next step (the actor has one) and the value a set
// without a value of its own would write.
func (m *machine) next(i int) (*Step, string) {
	return m.progs[i][m.actors[i].pc].st, m.actors[i].lastValue
}

// enabled appends the participants that can take a step to en: the actors
// with steps left, in order, then the clock (participant len(actors)) when
// a pending expiry lands within the time the remaining steps can take.
func (m *machine) enabled(en []int) []int {
	en = append(en, m.live...)
	if !m.expires {
		return en
	}
	// Against bound first: most of the time no expiry is that close.
	if at, ok := m.nextExpiry(); ok && clockDue(at, m.now, m.bound) {
		var rem time.Duration
		for _, i := range m.live {
			rem += m.progs[i][m.actors[i].pc].rem
		}
		if clockDue(at, m.now, rem) {
			en = append(en, len(m.actors))
		}
	}
	return en
}

// nextExpiry is the earliest pending expiry after now. The model keeps each
// key's remaining TTL as of its last tick, so the instant is lastTick+ttl.
func (m *machine) nextExpiry() (time.Duration, bool) {
	best, found := time.Duration(0), false
	c := &m.cache
	for i := range c.keys {
		e := &c.keys[i]
		if !e.hasTTL {
			continue
		}
		if at := c.lastTick + e.ttl; at > m.now && (!found || at < best) {
			best, found = at, true
		}
	}
	return best, found
}

// step runs participant p's next step: an actor's, which starts when the
// previous step ended, or the clock's, which moves to the next expiry.
func (m *machine) step(p int) error {
	if p == len(m.actors) {
		at, ok := m.nextExpiry()
		if !ok {
			return fmt.Errorf("%w: the clock has no pending expiry", ErrScheduleActor)
		}
		if m.rec {
			m.recordTick(at)
		}
		m.now = at
		m.cache.setAt(at)
		m.seq++
		return nil
	}
	a := &m.actors[p]
	in := &m.progs[p][a.pc]
	st := in.st
	start, end := m.now, m.now+st.Took
	if m.rec {
		m.recordExpiries(start, end)
	}
	m.cache.setAt(end)
	var result, value, note string
	version := 0
	switch in.code {
	case opSleep:
		result = "ok"
	case opDBRead:
		at := end
		if st.Replica {
			at = replicaSees(end, m.lag)
		}
		c, ok := valueAt(m.hist[in.kid], at)
		if ok {
			result, value, version = "hit", c.Value, c.Version
			a.saw("hit", c.Value, c.Version)
		} else {
			result, note = "miss", noteNoRow
			a.saw("miss", "", 0)
		}
	case opDBWrite:
		c := m.commit(in.kid, st.Key, st.Value, end, m.names[p], m.seq)
		result, value, version = "ok", st.Value, c.Version
		a.saw("ok", c.Value, c.Version)
	default:
		var rep cacheReply
		switch {
		// The plain commands, without building a cacheOp (a recording
		// machine takes the long way, for the notes).
		case in.code == opCacheGet && !m.rec:
			m.cache.tick()
			rep = cmdGet(&m.cache, st.Key)
		case in.code == opCacheSet && !m.rec:
			m.cache.tick()
			v, _ := a.written(st)
			rep = cmdSet(&m.cache, st.Key, v, st.TTL, st.NX)
		case in.code == opCacheDel && !m.rec:
			m.cache.tick()
			rep = cmdDel(&m.cache, st.Key, false)
		default:
			op := cacheOp{Op: st.Op, Key: st.Key, TTL: st.TTL, NX: st.NX}
			prepared := a.prepare(&op, st, m.names[p], m.epoch)
			var err error
			if rep, err = m.cache.doOp(&op); err != nil {
				return stepError(m.names[p], int(a.taken)+1, st, err)
			}
			if m.rec {
				note = stepNote(st, &rep, prepared, m.epoch, end)
			}
		}
		result, value, version = rep.Result, rep.Value, rep.Version
		a.observe(st, &rep)
	}
	if m.rec {
		m.events = append(m.events, timeline.Event{Seq: m.seq, Actor: m.names[p], Lane: p, Step: int(a.taken) + 1,
			Op: string(st.Op), Key: st.Key, Result: result, Value: value, Version: version, Start: start, End: end, Note: note})
		m.groups = append(m.groups, st.Group)
	}
	a.pc++
	a.taken++
	m.seq++
	m.now = end
	m.trackRead(a, in, result, value, start, end)
	if !m.normalize(p) {
		m.closeRead(a)
		live := m.live
		k := 0
		for live[k] != p {
			k++
		}
		for ; k < len(live)-1; k++ {
			live[k] = live[k+1]
		}
		m.live = live[:len(live)-1]
	}
	return nil
}

// trackRead is Runner.trackRead on the machine's reads.
func (m *machine) trackRead(a *mactor, in *minstr, result, value string, start, end time.Duration) {
	o := &a.open
	switch readActionOf(in.st, a.hasOpen && o.kid == in.kid, a.hasOpen && o.have) {
	case readKeep:
	case readStart:
		m.closeRead(a)
		*o = mread{kid: in.kid, first: int32(m.seq - 1), serve: int32(m.seq - 1), start: start, end: end}
		// A db.read serves what it found, a missing row as "".
		if in.st.Op == OpDBRead || result == "hit" {
			o.served, o.have, o.src = value, true, readFromStep(in.st)
		}
		a.hasOpen = true
	case readServe:
		o.served, o.have, o.src, o.end, o.serve = value, true, readFromStep(in.st), end, int32(m.seq-1)
	case readFinish:
		o.end = end
		m.closeRead(a)
	case readClose:
		m.closeRead(a)
	}
}

// closeRead ends the actor's read in progress, if it served a value, and
// applies the oracle to it. Every step ends at or after the read's end, and
// a commit after the read can only change the verdict by landing at the
// very instant it ended: unless the key has a db.write that takes no time,
// the verdict is final now.
func (m *machine) closeRead(a *mactor) {
	if a.hasOpen && a.open.have {
		o := &a.open
		m.closed++
		if m.rec {
			m.all = append(m.all, *o)
		}
		if m.late[o.kid] {
			m.reads = append(m.reads, *o)
		} else if isStale(m.hist[o.kid], o.served, m.cons.from(o.start), o.end) {
			m.nstale++
		}
	}
	a.hasOpen = false
}

// staleReads applies the oracle to the reads closed so far and counts the
// stale ones.
func (m *machine) staleReads() int {
	n := m.nstale
	for i := range m.reads {
		rd := &m.reads[i]
		if isStale(m.hist[rd.kid], rd.served, m.cons.from(rd.start), rd.end) {
			n++
		}
	}
	return n
}

// stale says whether the schedule just run served a read that is stale
// by the strict rule (under bounded:D, over [start − D, end]). Under
// linearizable that is necessary, not sufficient: judge asks the recorder.
func (m *machine) stale() bool {
	return m.nstale > 0 || (len(m.reads) > 0 && m.staleReads() > 0)
}

// anomalies replays path (participants; len(actors) is the clock) on the
// recorder, judges its reads under the model and names the anomalies of
// the stale ones, each once, appended to seen; it reports whether any read
// is stale.
func (m *machine) anomalies(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	if m.recorder == nil {
		m.recorder = m.program.newMachine()
		m.recorder.rec = true
	}
	rm := m.recorder
	if err := rm.reset(); err != nil {
		return seen, false, err
	}
	for _, p := range path {
		if err := rm.step(p); err != nil {
			return seen, false, err
		}
	}
	return rm.recordedAnomalies(seen)
}

// recordedAnomalies judges the reads recorded and names the anomalies of
// the stale ones, as Runner.staleAnomalies does.
func (m *machine) recordedAnomalies(seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	record := runRecord{events: m.events, expiries: m.expiries, lag: m.lag}
	// A read's events, as naming looks at them: its first step (a cache
	// hit names its cause from it) and the step that served its value (a
	// db.read names a database read).
	reads := make([]timeline.Read, len(m.all))
	evs := make([]int, 0, 2*len(m.all))
	for i := range m.all {
		o := &m.all[i]
		n := len(evs)
		evs = append(evs, int(o.first))
		if o.serve != o.first {
			evs = append(evs, int(o.serve))
		}
		reads[i] = timeline.Read{Key: m.keys[o.kid], Source: readSources[o.src], Served: o.served, Start: o.start, End: o.end, Events: evs[n:len(evs):len(evs)]}
	}
	hist := func(key string) []timeline.Commit { return m.hist[m.kids[key]] }
	var ops []timeline.Operation // only linearizability looks at the write operations
	if m.cons.Model == Linearizable {
		ops = writeOps(m.events, m.groups)
	}
	return m.cons.judgeReads(reads, hist, ops, record, false, seen)
}

// recordExpiries records the expiries in (from, to], in order, as the
// Runner's moveClock does.
func (m *machine) recordExpiries(from, to time.Duration) {
	n := len(m.expiries)
	c := &m.cache
	for i := range c.keys {
		e := &c.keys[i]
		if at := c.lastTick + e.ttl; e.hasTTL && at > from && at <= to {
			m.expiries = append(m.expiries, timeline.Expiry{Key: e.key, Value: e.val, At: at})
		}
	}
	sortExpiries(m.expiries[n:])
}

// recordTick records a clock tick to instant at.
func (m *machine) recordTick(at time.Duration) {
	n := len(m.expiries)
	m.recordExpiries(m.now, at)
	var keys []string
	for _, x := range m.expiries[n:] {
		if x.At == at {
			keys = append(keys, x.Key)
		}
	}
	m.events = append(m.events, timeline.Event{Seq: m.seq, Actor: timeline.ClockActor, Lane: len(m.actors),
		Op: "clock.tick", Key: strings.Join(keys, " "), Result: "ok", Start: m.now, End: at, Note: tickNote(keys)})
	m.groups = append(m.groups, 0)
}

func (m *machine) close() {}

// A machineSnap is a copy of a machine's state. The histories and reads
// are only appended to, and what is appended is never changed: their
// lengths are enough.
type machineSnap struct {
	now      time.Duration
	seq      int
	actors   []mactor
	live     []int
	rows     []int
	reads    int
	closed   int
	nstale   int
	keys     []modelEntry
	cacheNow time.Duration
	lastTick time.Duration
}

// save copies the machine's state into s, reusing s's storage.
func (m *machine) save(s *machineSnap) {
	s.now, s.seq, s.reads, s.closed, s.nstale = m.now, m.seq, len(m.reads), m.closed, m.nstale
	s.actors = append(s.actors[:0], m.actors...)
	s.live = append(s.live[:0], m.live...)
	s.rows = s.rows[:0]
	for _, h := range m.hist {
		s.rows = append(s.rows, len(h))
	}
	s.keys = append(s.keys[:0], m.cache.keys...)
	s.cacheNow, s.lastTick = m.cache.now, m.cache.lastTick
}

// restore brings the machine back to the state saved in s.
func (m *machine) restore(s *machineSnap) {
	m.now, m.seq, m.reads, m.closed, m.nstale = s.now, s.seq, m.reads[:s.reads], s.closed, s.nstale
	copy(m.actors, s.actors)
	m.live = append(m.live[:0], s.live...)
	for k, n := range s.rows {
		m.hist[k] = m.hist[k][:n]
	}
	c := &m.cache
	if len(c.keys) > len(s.keys) {
		clear(c.keys[len(s.keys):])
	}
	c.keys = append(c.keys[:0], s.keys...)
	c.now, c.lastTick = s.cacheNow, s.lastTick
}

// An opcode is an Op as a small number, for the machine's switches.
type opcode uint8

const (
	opOther opcode = iota
	opSleep
	opDBRead
	opDBWrite
	opCacheGet
	opCacheSet
	opCacheDel
)

func opcodeOf(op Op) opcode {
	switch op {
	case OpSleep:
		return opSleep
	case OpDBRead:
		return opDBRead
	case OpDBWrite:
		return opDBWrite
	case OpCacheGet:
		return opCacheGet
	case OpCacheSet:
		return opCacheSet
	case OpCacheDel:
		return opCacheDel
	}
	return opOther
}
