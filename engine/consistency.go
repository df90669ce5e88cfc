package engine

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A Model is a consistency model the oracle judges reads by (DESIGN.md,
// "Consistency models").
type Model uint8

// The consistency models.
const (
	// Strict: each db.write commits at an instant; a read is stale when its
	// served value was not committed at any instant of its closed interval.
	Strict Model = iota
	// Linearizable: a write is an operation (the db.write and the
	// invalidation steps its actor takes after it, or an `op:` block), and
	// the history of reads and write operations of each key must be
	// linearizable (Herlihy & Wing).
	Linearizable
	// Bounded: a read is stale when its served value was not committed at
	// any instant of [start − D, end].
	Bounded
)

// A Consistency is a model with its parameter. The zero value is Strict.
type Consistency struct {
	Model Model
	// Bound is D, for Bounded.
	Bound time.Duration
}

// ErrConsistency is wrapped by ParseConsistency's errors.
var ErrConsistency = errors.New("bad consistency model")

// ConsistencyHelp lists the models, for --help.
const ConsistencyHelp = "strict (a read is stale unless its value was committed at some instant of the read), linearizable (writes are operations: a db.write with the invalidations after it), or bounded:D (stale only when older than D, e.g. bounded:1s)"

// ParseConsistency reads "strict", "linearizable" or "bounded:D" (D a Go
// duration, e.g. bounded:500ms).
func ParseConsistency(s string) (Consistency, error) {
	switch s {
	case "", "strict":
		return Consistency{}, nil
	case "linearizable":
		return Consistency{Model: Linearizable}, nil
	}
	if d, ok := strings.CutPrefix(s, "bounded:"); ok {
		bound, err := time.ParseDuration(d)
		if err != nil || bound < 0 {
			return Consistency{}, fmt.Errorf("%w: %q: the bound must be a duration of 0 or more, e.g. bounded:1s", ErrConsistency, s)
		}
		return Consistency{Model: Bounded, Bound: bound}, nil
	}
	return Consistency{}, fmt.Errorf("%w: %q: want strict, linearizable or bounded:D (e.g. bounded:1s)", ErrConsistency, s)
}

// String returns the form ParseConsistency reads.
func (c Consistency) String() string {
	switch c.Model {
	case Linearizable:
		return "linearizable"
	case Bounded:
		return "bounded:" + c.Bound.String()
	}
	return "strict"
}

// Rule says in words when the model finds a read stale.
func (c Consistency) Rule() string {
	switch c.Model {
	case Linearizable:
		return "a write is an operation: the db.write and the invalidations its actor takes after it; reads and write operations of each key must be linearizable (a read that overlaps a write may return either side; a read that starts after a write finished may not return the older value, nor an older value than a read that finished before it began)"
	case Bounded:
		return fmt.Sprintf("a read is stale when its value was not committed at any instant of [start − %s, end]", c.Bound)
	}
	return "a read is stale when its value was not committed at any instant of [start, end] (a commit counts as current at its instant)"
}

// from is the first instant at which a value committed counts as current
// for a read starting at start (strict and linearizable: start).
func (c Consistency) from(start time.Duration) time.Duration {
	if c.Model == Bounded {
		return start - c.Bound
	}
	return start
}

// A verdict is the oracle's judgement of one read.
type verdict struct {
	stale bool
	// Linearizable only: the write operation that had finished before the
	// read began with a newer value (nil: none); or, when the read is fine
	// against the writes alone but not after the reads before it (behind:
	// a new-old inversion), the earlier read served a newer value (-1:
	// no single one).
	after     *timeline.Operation
	behind    bool
	inversion int
}

// judge applies the model to reads: hist gives each key's commit
// history, ops the write operations (used by Linearizable).
func (c Consistency) judge(reads []timeline.Read, hist func(key string) []timeline.Commit, ops []timeline.Operation) ([]verdict, error) {
	out := make([]verdict, len(reads))
	strict := false
	for i := range reads {
		rd := &reads[i]
		out[i] = verdict{inversion: -1}
		out[i].stale = isStale(hist(rd.Key), rd.Served, c.from(rd.Start), rd.End)
		strict = strict || out[i].stale
	}
	if c.Model != Linearizable || !strict {
		return out, nil
	}
	// A history whose reads are all fresh under strict is linearizable
	// (each read at an instant where its value was current, each write
	// operation at its commit), so only keys with a strictly stale read
	// need the search.
	byKey := map[string][]int{}
	var keys []string
	for i := range reads {
		k := reads[i].Key
		if out[i].stale && byKey[k] == nil {
			keys = append(keys, k)
			byKey[k] = []int{}
		}
	}
	for i := range reads {
		if l, ok := byKey[reads[i].Key]; ok {
			byKey[reads[i].Key] = append(l, i)
		}
	}
	for i := range out {
		out[i].stale = false
	}
	for _, k := range keys {
		if err := c.blame(k, hist(k), reads, byKey[k], ops, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// blame checks the reads idx of key (and its write operations) for
// linearizability and marks the reads to blame in out: taking reads in the
// order they finished, each one that cannot be linearized with the writes
// and the reads kept so far is blamed and left out.
func (c Consistency) blame(key string, hist []timeline.Commit, reads []timeline.Read, idx []int, ops []timeline.Operation, out []verdict) error {
	init := ""
	for _, h := range hist {
		if h.Seed {
			init = h.Value
		}
	}
	var writes []linOp
	var wops []*timeline.Operation
	for i := range ops {
		if ops[i].Key == key {
			writes = append(writes, linOp{write: true, value: ops[i].Value, start: ops[i].Start, end: ops[i].End, version: ops[i].Version})
			wops = append(wops, &ops[i])
		}
	}
	order := slices.Clone(idx)
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(reads[a].End, reads[b].End); c != 0 {
			return c
		}
		return cmp.Compare(reads[a].Start, reads[b].Start)
	})
	asOp := func(i int) linOp {
		return linOp{value: reads[i].Served, start: reads[i].Start, end: reads[i].End}
	}
	kept := slices.Clone(writes)
	var keptReads []int
	for _, i := range order {
		ok, err := linearizable(init, append(kept, asOp(i)))
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		if ok {
			kept = append(kept, asOp(i))
			keptReads = append(keptReads, i)
			continue
		}
		v := &out[i]
		v.stale = true
		alone, err := linearizable(init, append(slices.Clone(writes), asOp(i)))
		if err != nil {
			return fmt.Errorf("key %q: %w", key, err)
		}
		if !alone {
			// The newest write that finished before the read began.
			for j, w := range writes {
				if w.end < reads[i].Start && w.value != reads[i].Served && (v.after == nil || w.end > v.after.End) {
					v.after = wops[j]
				}
			}
			continue
		}
		// Alone with the writes it is fine: the reads before it make it go
		// back in time.
		v.behind = true
		for _, j := range keptReads {
			if reads[j].End >= reads[i].Start || reads[j].Served == reads[i].Served {
				continue
			}
			ok, err := linearizable(init, append(slices.Clone(writes), asOp(j), asOp(i)))
			if err != nil {
				return fmt.Errorf("key %q: %w", key, err)
			}
			if !ok {
				v.inversion = j
				break
			}
		}
	}
	return nil
}

// A linOp is an operation on one register: a write of value, or a read
// that returned value, over the closed interval [start, end]. A write's
// version is its commit order (0: unknown).
type linOp struct {
	write      bool
	value      string
	start, end time.Duration
	version    int
}

// An instant is a point of the real-time order of linearizability: an
// interval end point, ranked so that intervals are closed: two that touch
// overlap (a start comes before an end at the same instant). An operation
// that ends at the instant another starts does not precede it: with
// several commits at one instant every one counts there, as under strict,
// and a run correct under strict is correct under linearizable.
type instant struct {
	at   time.Duration
	rank uint8 // a start 0, an end 1
}

func (a instant) less(b instant) bool {
	return a.at < b.at || (a.at == b.at && a.rank < b.rank)
}

func maxInstant(a, b instant) instant {
	if a.less(b) {
		return b
	}
	return a
}

func minInstant(a, b instant) instant {
	if b.less(a) {
		return b
	}
	return a
}

// span is op's interval as instants.
func (op linOp) span() (lo, hi instant) { return instant{op.start, 0}, instant{op.end, 1} }

// maxLinStates bounds the linearizability search (distinct states
// visited), so that a pathological history is an error, not a hang.
const maxLinStates = 1 << 20

// errLinTooLarge is returned when the search exceeds maxLinStates.
var errLinTooLarge = errors.New("linearizability check too large (more than 1M states); use --consistency strict or bounded:D")

// linearizable reports whether ops, on a register holding init at first,
// are linearizable: there is a total order of them, consistent with real
// time (a before b when a ends before b begins; closed intervals that
// touch overlap) and
// with the commit order of the writes (the database serializes a key's
// writes), in which every read returns the latest write. When no two
// writes write the same value it is decided in O(n log n) (ordered, with
// the commit order known; zones, without); otherwise by search.
func linearizable(init string, ops []linOp) (bool, error) {
	if ok, decided := orderedLinearizable(init, ops); decided {
		return ok, nil
	}
	if ok, decided := zonesLinearizable(init, ops); decided {
		return ok, nil
	}
	return searchLinearizable(init, ops)
}

// distinctWrites maps each value written to its write, the initial value
// to -1; ok is false when a value is written twice (or rewrites init).
func distinctWrites(init string, ops []linOp) (map[string]int, bool) {
	by := map[string]int{init: -1}
	for i, op := range ops {
		if !op.write {
			continue
		}
		if _, dup := by[op.value]; dup {
			return nil, false
		}
		by[op.value] = i
	}
	return by, true
}

// orderedLinearizable decides a history whose writes all have a version
// and write distinct values. Each read must then be placed after the write
// of its value and before the next write: placing each write at the
// earliest instant it can take, given the writes and reads before it, is
// enough to decide. decided is false when the order or the values do not
// allow it.
func orderedLinearizable(init string, ops []linOp) (ok, decided bool) {
	by, distinct := distinctWrites(init, ops)
	if !distinct {
		return false, false
	}
	var writes []int
	for i, op := range ops {
		if op.write {
			if op.version <= 0 {
				return false, false
			}
			writes = append(writes, i)
		}
	}
	slices.SortFunc(writes, func(a, b int) int { return cmp.Compare(ops[a].version, ops[b].version) })
	seg := map[int]int{-1: 0} // write index → its place in the order, init 0
	for k, w := range writes {
		seg[w] = k + 1
	}
	n := len(writes)
	// Per segment k (after the k-th write): the latest start and the
	// earliest end of its reads.
	never := instant{at: math.MinInt64}
	always := instant{at: math.MaxInt64, rank: 1}
	readLo := make([]instant, n+1)
	readHi := make([]instant, n+1)
	for k := range readLo {
		readLo[k], readHi[k] = never, always
	}
	for _, op := range ops {
		if op.write {
			continue
		}
		w, ok := by[op.value]
		if !ok {
			return false, true // a value never written
		}
		k := seg[w]
		lo, hi := op.span()
		readLo[k], readHi[k] = maxInstant(readLo[k], lo), minInstant(readHi[k], hi)
	}
	p := never
	for k := 1; k <= n; k++ {
		lo, hi := ops[writes[k-1]].span()
		p = maxInstant(maxInstant(p, lo), readLo[k-1])
		if hi.less(p) || readHi[k].less(p) {
			return false, true
		}
	}
	// The reads of the last value have no write after them; every read
	// needs an instant of its own span, which a nonempty span has.
	return true, true
}

// zonesLinearizable decides in O(n²) when no two writes write the same
// value (nor the initial one) and the commit order is not known: Gibbons
// and Korach's zones. Each value's cluster (its write and the reads that
// returned it) has a zone from the earliest end to the latest start of its
// operations, forward when that end comes first. The history is
// linearizable iff no read returns a value never written or written only
// after the read ended, no two forward zones overlap, and no backward zone
// lies inside a forward one. decided is false when values repeat, or when
// some writes have versions (orderedLinearizable's case or the search's).
func zonesLinearizable(init string, ops []linOp) (ok, decided bool) {
	for _, op := range ops {
		if op.write && op.version > 0 {
			return false, false
		}
	}
	by, distinct := distinctWrites(init, ops)
	if !distinct {
		return false, false
	}
	type zone struct {
		start  instant // the write's
		lo, hi instant // earliest end, latest start of the cluster
	}
	never := instant{at: math.MinInt64}
	zones := map[int]*zone{-1: {start: never, lo: never, hi: never}}
	for i, op := range ops {
		if op.write {
			lo, hi := op.span()
			zones[i] = &zone{start: lo, lo: hi, hi: lo}
		}
	}
	for _, op := range ops {
		if op.write {
			continue
		}
		w, ok := by[op.value]
		lo, hi := op.span()
		if !ok || hi.less(zones[w].start) {
			return false, true // a value never written, or read before its write began
		}
		z := zones[w]
		z.lo, z.hi = minInstant(z.lo, hi), maxInstant(z.hi, lo)
	}
	var fwd, bwd [][2]instant
	for _, z := range zones {
		if z.lo.less(z.hi) {
			fwd = append(fwd, [2]instant{z.lo, z.hi})
		} else if z.lo != never {
			bwd = append(bwd, [2]instant{z.hi, z.lo})
		}
	}
	le := func(a, b instant) bool { return !b.less(a) }
	for i := range fwd {
		for j := i + 1; j < len(fwd); j++ {
			if le(fwd[i][0], fwd[j][1]) && le(fwd[j][0], fwd[i][1]) {
				return false, true
			}
		}
		for _, b := range bwd {
			if le(fwd[i][0], b[0]) && le(b[1], fwd[i][1]) {
				return false, true
			}
		}
	}
	return true, true
}

// searchLinearizable is linearizable by search, for any history: the
// Wing & Gong search with memoization of (operations done, register
// value), as Lowe's and porcupine's checkers do.
func searchLinearizable(init string, ops []linOp) (bool, error) {
	n := len(ops)
	if n == 0 {
		return true, nil
	}
	// Each write's predecessor in the commit order, or -1.
	pred := make([]int, n)
	for i := range pred {
		pred[i] = -1
		if !ops[i].write || ops[i].version <= 0 {
			continue
		}
		for j, o := range ops {
			if o.write && o.version > 0 && o.version < ops[i].version && (pred[i] < 0 || o.version > ops[pred[i]].version) {
				pred[i] = j
			}
		}
	}
	words := (n + 63) / 64
	done := make([]uint64, words)
	isDone := func(i int) bool { return done[i/64]&(1<<(i%64)) != 0 }
	seen := map[string]bool{}
	var key []byte
	memo := func(value string) bool {
		key = key[:0]
		for _, w := range done {
			for s := 0; s < 64; s += 8 {
				key = append(key, byte(w>>s))
			}
		}
		key = append(key, value...)
		if seen[string(key)] {
			return true
		}
		seen[string(key)] = true
		return false
	}
	var over bool
	var search func(value string, left int) bool
	search = func(value string, left int) bool {
		if left == 0 {
			return true
		}
		if memo(value) {
			return false
		}
		if len(seen) > maxLinStates {
			over = true
			return false
		}
		// The operations that can go next: those no pending operation
		// finished strictly before.
		minEnd := instant{at: math.MaxInt64, rank: 1}
		for i := range ops {
			if !isDone(i) {
				_, hi := ops[i].span()
				minEnd = minInstant(minEnd, hi)
			}
		}
		for i := range ops {
			op := &ops[i]
			lo, _ := op.span()
			if isDone(i) || minEnd.less(lo) || (pred[i] >= 0 && !isDone(pred[i])) {
				continue
			}
			next := value
			if op.write {
				next = op.value
			} else if op.value != value {
				continue
			}
			done[i/64] |= 1 << (i % 64)
			ok := search(next, left-1)
			done[i/64] &^= 1 << (i % 64)
			if ok || over {
				return ok
			}
		}
		return false
	}
	ok := search(init, n)
	if over {
		return false, errLinTooLarge
	}
	return ok, nil
}

// writeOps returns the write operations of a run, in the order of their
// db.writes: a db.write with the invalidation steps (cache.del, lease.del,
// a set, cache.expire) its actor takes after it, up to its next db.write,
// read, or the end of its program; or, for a db.write inside an `op:`
// block (groups[seq] > 0), the whole block. Clock ticks are skipped.
func writeOps(events []timeline.Event, groups []int) []timeline.Operation {
	group := func(i int) int {
		if i < len(groups) {
			return groups[i]
		}
		return 0
	}
	// The `op:` blocks: each one's steps, by actor and group.
	type block struct{ lane, group int }
	blocks := map[block][]int{}
	for i := range events {
		if g := group(i); g > 0 {
			b := block{events[i].Lane, g}
			blocks[b] = append(blocks[b], i)
		}
	}
	var out []timeline.Operation
	open := map[int]int{} // lane → index in out of its open operation, + 1
	for i := range events {
		ev := &events[i]
		if ev.Actor == timeline.ClockActor {
			continue
		}
		if g := group(i); g > 0 {
			delete(open, ev.Lane)
			if Op(ev.Op) == OpDBWrite {
				steps := blocks[block{ev.Lane, g}]
				op := timeline.Operation{Actor: ev.Actor, Key: ev.Key, Value: ev.Value, Version: ev.Version,
					Start: events[steps[0]].Start, End: events[steps[len(steps)-1]].End}
				for _, s := range steps {
					op.Events = append(op.Events, events[s].Seq)
				}
				out = append(out, op)
			}
			continue
		}
		switch Op(ev.Op) {
		case OpDBWrite:
			out = append(out, timeline.Operation{Actor: ev.Actor, Key: ev.Key, Value: ev.Value, Version: ev.Version, Start: ev.Start, End: ev.End, Events: []int{ev.Seq}})
			open[ev.Lane] = len(out)
		case OpCacheDel, OpLeaseDel, OpCacheSet, OpLeaseSet, OpCASSet, OpCacheExpire:
			if j, ok := open[ev.Lane]; ok {
				out[j-1].End = ev.End
				out[j-1].Events = append(out[j-1].Events, ev.Seq)
			}
		case OpSleep:
		default: // a read
			delete(open, ev.Lane)
		}
	}
	return out
}

// JudgeJSON judges the reads of a run from its JSON form alone (seeds,
// commits, write operations, reads and the model it names), as an
// external checker would, and returns the verdict on each read of
// run.Reads. Judged again this way, a run racetape exported gets the
// verdicts racetape gave it.
func JudgeJSON(run *timeline.JSONRun) ([]bool, error) {
	cons, err := ParseConsistency(run.Consistency)
	if err != nil {
		return nil, err
	}
	us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
	hists := map[string][]timeline.Commit{}
	for _, s := range run.Seeds {
		hists[s.Key] = append(hists[s.Key], timeline.Commit{Key: s.Key, Value: s.Value, Seed: true, Event: -1})
	}
	for _, c := range run.Commits {
		hists[c.Key] = append(hists[c.Key], timeline.Commit{Key: c.Key, Value: c.Value, At: us(c.AtUS), Actor: c.Actor, Event: c.Event})
	}
	ops := make([]timeline.Operation, len(run.Operations))
	for i, o := range run.Operations {
		ops[i] = timeline.Operation{Actor: o.Actor, Key: o.Key, Value: o.Value, Version: o.Version, Start: us(o.StartUS), End: us(o.EndUS)}
	}
	reads := make([]timeline.Read, len(run.Reads))
	for i, r := range run.Reads {
		reads[i] = timeline.Read{Actor: r.Actor, Key: r.Key, Source: timeline.Source(r.Source), Served: r.Served, Start: us(r.StartUS), End: us(r.EndUS)}
	}
	vs, err := cons.judge(reads, func(k string) []timeline.Commit { return hists[k] }, ops)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(vs))
	for i, v := range vs {
		out[i] = v.stale
	}
	return out, nil
}
