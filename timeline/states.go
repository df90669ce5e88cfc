package timeline

import (
	"cmp"
	"container/heap"
	"iter"
	"slices"
	"sort"
	"strings"
	"time"
)

// A StateLog is the cache and the database after every step of a run,
// kept compactly: for each step, only what it changed (the cache entries,
// rows and replica rows of the keys it touched, and the cache entries whose
// TTL ran out), plus a full copy of the state (a checkpoint) once the
// changes since the last one outnumber the keys. Its memory is linear in
// steps + keys, whatever their product; the state after any step is
// rebuilt from the nearest checkpoint before it, in time linear in the
// keys.
//
// Cache entries are kept with the instant their TTL runs out, so the TTL
// left that a state shows is derived from the state's instant.
//
// A StateLog is immutable and safe for concurrent use. Build one with a
// StateRecorder (or NewStateLog); query it with State, or walk it in order
// with a StateCursor.
type StateLog struct {
	steps   []logStep
	changes []change
	// checks are the checkpoints in step order; checks[0] is the initial
	// state (step -1).
	checks []checkpoint
	// replica says the states have a replica (State.Replica not nil).
	replica bool
}

// A Part is one part of a state: the cache, the database rows or the
// replica's rows.
type Part uint8

// The parts of a state.
const (
	PartCache Part = iota
	PartDB
	PartReplica
	numParts
)

// A logStep is one step of a StateLog: its instant and the end of its
// changes (they start where the previous step's end).
type logStep struct {
	at  time.Duration
	end int
}

// A change sets or removes one key in one part of the state. It is also
// how a key's content is kept in checkpoints and cursors (gone unset).
type change struct {
	part  Part
	gone  bool
	ttl   bool // a cache entry with a TTL
	key   string
	value string
	// version is a cache entry's (cas) version or a row's.
	version int
	// at is when a cache entry's TTL runs out, or a row's commit instant.
	at    time.Duration
	actor string // a row's committer
}

// A checkpoint is the whole state after a step: each part sorted by key.
type checkpoint struct {
	step  int // -1: the initial state
	at    time.Duration
	parts [numParts][]change
}

// cacheChange is e, whose TTL is the time left at instant at.
func cacheChange(e CacheEntry, at time.Duration) change {
	c := change{part: PartCache, key: e.Key, value: e.Value, version: e.Version}
	if e.TTL >= 0 {
		c.ttl, c.at = true, at+e.TTL
	}
	return c
}

// rowChange is row r in part p.
func rowChange(p Part, r Row) change {
	return change{part: p, key: r.Key, value: r.Value, version: r.Version, at: r.CommittedAt, actor: r.Actor}
}

// entry is c as a cache entry at instant at.
func (c *change) entry(at time.Duration) CacheEntry {
	e := CacheEntry{Key: c.key, Value: c.value, Version: c.version, TTL: -1}
	if c.ttl {
		e.TTL = c.at - at
	}
	return e
}

// row is c as a row.
func (c *change) row() Row {
	return Row{Key: c.key, Value: c.value, Version: c.version, CommittedAt: c.at, Actor: c.actor}
}

// Len returns the number of steps recorded (0 for a nil log).
func (l *StateLog) Len() int {
	if l == nil {
		return 0
	}
	return len(l.steps)
}

// start returns where the changes of step i start.
func (l *StateLog) start(i int) int {
	if i <= 0 {
		return 0
	}
	return l.steps[i-1].end
}

// changesOf returns the changes of step i.
func (l *StateLog) changesOf(i int) []change { return l.changes[l.start(i):l.steps[i].end] }

// checkpointFor returns the last checkpoint at or before step i.
func (l *StateLog) checkpointFor(i int) *checkpoint {
	k := sort.Search(len(l.checks), func(k int) bool { return l.checks[k].step > i })
	return &l.checks[k-1]
}

// State returns the state after step i: i < 0 gives the initial state,
// i past the last step the last state. It costs time linear in the keys
// and the changes since the nearest checkpoint.
func (l *StateLog) State(i int) State {
	i = min(max(i, -1), len(l.steps)-1)
	c := l.checkpointFor(i)
	at := c.at
	if i >= 0 {
		at = l.steps[i].at
	}
	// the last change of each key since the checkpoint, per part
	var net [numParts]map[string]*change
	if i > c.step {
		for k := l.start(c.step + 1); k < l.steps[i].end; k++ {
			ch := &l.changes[k]
			if net[ch.part] == nil {
				net[ch.part] = map[string]*change{}
			}
			net[ch.part][ch.key] = ch
		}
	}
	st := State{At: at}
	var parts [numParts][]change
	for p := range numParts {
		parts[p] = mergeChanges(c.parts[p], net[p])
	}
	st.Cache = make([]CacheEntry, len(parts[PartCache]))
	for k := range parts[PartCache] {
		st.Cache[k] = parts[PartCache][k].entry(at)
	}
	st.DB = rowsOf(parts[PartDB])
	if l.replica {
		st.Replica = rowsOf(parts[PartReplica])
	}
	return st
}

// mergeChanges applies the changes by key in net to base (sorted by key)
// and returns the result, sorted by key.
func mergeChanges(base []change, net map[string]*change) []change {
	if len(net) == 0 {
		return base
	}
	keys := make([]string, 0, len(net))
	for k := range net {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]change, 0, len(base)+len(keys))
	b := 0
	for _, k := range keys {
		for b < len(base) && base[b].key < k {
			out = append(out, base[b])
			b++
		}
		if b < len(base) && base[b].key == k {
			b++
		}
		if ch := net[k]; !ch.gone {
			out = append(out, *ch)
		}
	}
	return append(out, base[b:]...)
}

func rowsOf(cs []change) []Row {
	out := make([]Row, len(cs))
	for k := range cs {
		out[k] = cs[k].row()
	}
	return out
}

// NewStateLog returns the log of the given states: initial, then states[i]
// after step i. It is how full states (a tape written before tapes kept
// changes, a timeline built by hand) become a log.
func NewStateLog(initial State, states []State) *StateLog {
	rec := NewStateRecorder(initial)
	for _, st := range states {
		rec.Step(st.At)
		rec.Full(st)
	}
	return rec.Log()
}

// minCheckpoint is the fewest changes between two checkpoints: below it,
// rebuilding a state costs less than keeping another copy.
const minCheckpoint = 64

// A StateRecorder builds a StateLog one step at a time: Step opens the
// record of the next step, the calls after it say what the step changed,
// and Log returns the log. A change that leaves a key as it was is not
// recorded.
type StateRecorder struct {
	log StateLog
	cur [numParts]map[string]change
	// touched holds, for each key the open step touched, its content
	// before the step.
	touched map[partKey]before
	open    bool
	at      time.Duration
	since   int // changes since the last checkpoint
	expiry  expiryHeap
	order   []partKey // scratch
}

type partKey struct {
	part Part
	key  string
}

type before struct {
	c   change
	had bool
}

// NewStateRecorder starts the log of a run whose state is initial before
// its first step.
func NewStateRecorder(initial State) *StateRecorder {
	r := &StateRecorder{touched: map[partKey]before{}}
	r.log.replica = initial.Replica != nil
	for p := range numParts {
		r.cur[p] = map[string]change{}
	}
	for _, e := range initial.Cache {
		r.put(cacheChange(e, initial.At))
	}
	for _, row := range initial.DB {
		r.put(rowChange(PartDB, row))
	}
	for _, row := range initial.Replica {
		r.put(rowChange(PartReplica, row))
	}
	r.log.checks = []checkpoint{r.checkpoint(-1, initial.At)}
	return r
}

// put sets c in the current state.
func (r *StateRecorder) put(c change) {
	r.cur[c.part][c.key] = c
	if c.part == PartCache && c.ttl {
		heap.Push(&r.expiry, expiring{at: c.at, key: c.key})
	}
}

// checkpoint copies the current state.
func (r *StateRecorder) checkpoint(step int, at time.Duration) checkpoint {
	c := checkpoint{step: step, at: at}
	for p := range numParts {
		cs := make([]change, 0, len(r.cur[p]))
		for _, ch := range r.cur[p] {
			cs = append(cs, ch)
		}
		slices.SortFunc(cs, func(a, b change) int { return strings.Compare(a.key, b.key) })
		c.parts[p] = cs
	}
	return c
}

// Step closes the record of the previous step and opens the next one's:
// the state after it is at instant at.
func (r *StateRecorder) Step(at time.Duration) {
	r.close()
	r.open, r.at = true, at
}

// set makes key's content in part p c (or removes it, with gone) in the
// open step.
func (r *StateRecorder) set(c change) {
	if !r.open {
		panic("timeline: StateRecorder: a change before Step")
	}
	pk := partKey{c.part, c.key}
	if _, ok := r.touched[pk]; !ok {
		old, had := r.cur[c.part][c.key]
		r.touched[pk] = before{old, had}
	}
	if c.gone {
		delete(r.cur[c.part], c.key)
		return
	}
	r.put(c)
}

// SetCache records that the cache holds e after the step; e.TTL is its
// time left at the step's instant (-1: none).
func (r *StateRecorder) SetCache(e CacheEntry) { r.set(cacheChange(e, r.at)) }

// DropCache records that key is not in the cache after the step.
func (r *StateRecorder) DropCache(key string) { r.drop(PartCache, key) }

// SetRow records the database row row after the step.
func (r *StateRecorder) SetRow(row Row) { r.set(rowChange(PartDB, row)) }

// SetReplicaRow records the replica's row row after the step.
func (r *StateRecorder) SetReplicaRow(row Row) { r.set(rowChange(PartReplica, row)) }

func (r *StateRecorder) drop(p Part, key string) {
	if _, ok := r.cur[p][key]; ok {
		r.set(change{part: p, key: key, gone: true})
	}
}

// Expire drops the cache entries whose TTL has run out at the step's
// instant: gone at their expiry instant (now >= expiry), as miniredis.
func (r *StateRecorder) Expire() {
	for len(r.expiry) > 0 && r.expiry[0].at <= r.at {
		x := heap.Pop(&r.expiry).(expiring)
		if c, ok := r.cur[PartCache][x.key]; ok && c.ttl && c.at == x.at {
			r.drop(PartCache, x.key)
		}
	}
}

// Full records that the state after the step is st, whatever changed. It
// costs time linear in st and the current state.
func (r *StateRecorder) Full(st State) {
	r.fullPart(PartCache, len(st.Cache), func(k int) change { return cacheChange(st.Cache[k], r.at) })
	r.fullPart(PartDB, len(st.DB), func(k int) change { return rowChange(PartDB, st.DB[k]) })
	r.fullPart(PartReplica, len(st.Replica), func(k int) change { return rowChange(PartReplica, st.Replica[k]) })
}

// fullPart makes part p hold exactly the n contents of at(k).
func (r *StateRecorder) fullPart(p Part, n int, at func(int) change) {
	keep := make(map[string]bool, n)
	for k := range n {
		c := at(k)
		keep[c.key] = true
		if old, ok := r.cur[p][c.key]; !ok || old != c {
			r.set(c)
		}
	}
	var gone []string
	for k := range r.cur[p] {
		if !keep[k] {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	for _, k := range gone {
		r.drop(p, k)
	}
}

// close ends the open step: it appends what changed, each key once (by
// part, then key), and takes a checkpoint when the changes since the last
// one outnumber the keys.
func (r *StateRecorder) close() {
	if !r.open {
		return
	}
	r.open = false
	r.order = r.order[:0]
	for pk := range r.touched {
		r.order = append(r.order, pk)
	}
	slices.SortFunc(r.order, func(a, b partKey) int {
		return cmp.Or(cmp.Compare(a.part, b.part), strings.Compare(a.key, b.key))
	})
	n := len(r.log.changes)
	for _, pk := range r.order {
		was := r.touched[pk]
		now, has := r.cur[pk.part][pk.key]
		switch {
		case has && (!was.had || was.c != now):
			r.log.changes = append(r.log.changes, now)
		case !has && was.had:
			r.log.changes = append(r.log.changes, change{part: pk.part, key: pk.key, gone: true})
		}
	}
	clear(r.touched)
	r.log.steps = append(r.log.steps, logStep{at: r.at, end: len(r.log.changes)})
	r.since += len(r.log.changes) - n
	size := len(r.cur[PartCache]) + len(r.cur[PartDB]) + len(r.cur[PartReplica])
	if r.since >= max(size, minCheckpoint) {
		r.log.checks = append(r.log.checks, r.checkpoint(len(r.log.steps)-1, r.at))
		r.since = 0
	}
}

// Log closes the open step and returns the log so far. The recorder can
// go on: what it records next is not in the log returned.
func (r *StateRecorder) Log() *StateLog {
	r.close()
	l := r.log
	l.steps = slices.Clip(l.steps)
	l.changes = slices.Clip(l.changes)
	l.checks = slices.Clip(l.checks)
	return &l
}

// An expiring cache entry, in the recorder's heap of TTLs.
type expiring struct {
	at  time.Duration
	key string
}

// An expiryHeap is a min-heap of expiring entries by instant. It may hold
// entries since replaced: Expire checks each against the state.
type expiryHeap []expiring

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiring)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// A StateCursor walks a StateLog's states in order: Next moves to the
// state after the next step in time linear in what that step changed, and
// the lookups read the state it is at. It is not safe for concurrent use.
type StateCursor struct {
	l    *StateLog
	step int
	cur  [numParts]map[string]change
}

// Cursor returns a cursor at the initial state.
func (l *StateLog) Cursor() *StateCursor {
	c := &StateCursor{l: l}
	c.load(&l.checks[0])
	return c
}

// load puts the cursor at checkpoint cp.
func (c *StateCursor) load(cp *checkpoint) {
	c.step = cp.step
	for p := range numParts {
		c.cur[p] = make(map[string]change, len(cp.parts[p]))
		for _, ch := range cp.parts[p] {
			c.cur[p][ch.key] = ch
		}
	}
}

// Step returns the step whose state the cursor is at (-1: the initial
// state).
func (c *StateCursor) Step() int { return c.step }

// At returns the instant of the state the cursor is at.
func (c *StateCursor) At() time.Duration {
	if c.step < 0 {
		return c.l.checks[0].at
	}
	return c.l.steps[c.step].at
}

// Next moves to the state after the next step; it reports false, and
// stays, at the last one.
func (c *StateCursor) Next() bool {
	if c.step+1 >= len(c.l.steps) {
		return false
	}
	c.step++
	for _, ch := range c.l.changesOf(c.step) {
		if ch.gone {
			delete(c.cur[ch.part], ch.key)
		} else {
			c.cur[ch.part][ch.key] = ch
		}
	}
	return true
}

// Seek moves to the state after step i (i < 0: the initial state), from
// the nearest checkpoint unless i is the next step.
func (c *StateCursor) Seek(i int) {
	i = min(max(i, -1), len(c.l.steps)-1)
	if i == c.step {
		return
	}
	if cp := c.l.checkpointFor(i); i < c.step || cp.step > c.step {
		c.load(cp)
	}
	for c.step < i {
		c.Next()
	}
}

// Changes yields the part and key of everything the step the cursor is
// at changed, by part, then key (nothing at the initial state).
func (c *StateCursor) Changes() iter.Seq2[Part, string] {
	return func(yield func(Part, string) bool) {
		if c.step < 0 {
			return
		}
		for _, ch := range c.l.changesOf(c.step) {
			if !yield(ch.part, ch.key) {
				return
			}
		}
	}
}

// Entry returns key's cache entry, with its TTL left at the cursor's
// instant, and whether the cache holds key.
func (c *StateCursor) Entry(key string) (CacheEntry, bool) {
	ch, ok := c.cur[PartCache][key]
	if !ok {
		return CacheEntry{}, false
	}
	return ch.entry(c.At()), true
}

// Row returns key's database row, and whether there is one.
func (c *StateCursor) Row(key string) (Row, bool) { return c.rowIn(PartDB, key) }

// ReplicaRow returns key's row on the replica, and whether there is one.
func (c *StateCursor) ReplicaRow(key string) (Row, bool) { return c.rowIn(PartReplica, key) }

func (c *StateCursor) rowIn(p Part, key string) (Row, bool) {
	ch, ok := c.cur[p][key]
	if !ok {
		return Row{}, false
	}
	return ch.row(), true
}

// State returns the whole state the cursor is at.
func (c *StateCursor) State() State {
	st := State{At: c.At(), Cache: []CacheEntry{}, DB: []Row{}}
	for _, k := range sortedMapKeys(c.cur[PartCache]) {
		ch := c.cur[PartCache][k]
		st.Cache = append(st.Cache, ch.entry(st.At))
	}
	for _, k := range sortedMapKeys(c.cur[PartDB]) {
		ch := c.cur[PartDB][k]
		st.DB = append(st.DB, ch.row())
	}
	if c.l.replica {
		st.Replica = []Row{}
		for _, k := range sortedMapKeys(c.cur[PartReplica]) {
			ch := c.cur[PartReplica][k]
			st.Replica = append(st.Replica, ch.row())
		}
	}
	return st
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
