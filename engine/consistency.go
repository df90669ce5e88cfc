package engine

import (
	"cmp"
	"errors"
	"fmt"
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
	// read began with a newer value (nil: none), or, for a new-old
	// inversion, the earlier read served a newer value (-1: none).
	after     *timeline.Operation
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
			writes = append(writes, linOp{write: true, value: ops[i].Value, start: ops[i].Start, end: ops[i].End})
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
		// Alone with the writes it is fine: an earlier read makes it go
		// back in time.
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
// that returned value, over the closed interval [start, end].
type linOp struct {
	write      bool
	value      string
	start, end time.Duration
}

// maxLinStates bounds the linearizability search (distinct states
// visited), so that a pathological history is an error, not a hang.
const maxLinStates = 1 << 20

// errLinTooLarge is returned when the search exceeds maxLinStates.
var errLinTooLarge = errors.New("linearizability check too large (more than 1M states); use --consistency strict or bounded:D")

// linearizable reports whether ops, on a register holding init at first,
// are linearizable: there is a total order of them, consistent with real
// time (a before b when a ends before b starts; closed intervals that
// touch overlap), in which every read returns the latest write. It is the
// Wing & Gong search with memoization of (operations done, register
// value), as Lowe's and porcupine's checkers do.
func linearizable(init string, ops []linOp) (bool, error) {
	n := len(ops)
	if n == 0 {
		return true, nil
	}
	words := (n + 63) / 64
	done := make([]uint64, words)
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
		minEnd := time.Duration(1<<63 - 1)
		for i := range ops {
			if done[i/64]&(1<<(i%64)) == 0 {
				minEnd = min(minEnd, ops[i].end)
			}
		}
		for i := range ops {
			op := &ops[i]
			if done[i/64]&(1<<(i%64)) != 0 || op.start > minEnd {
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
				op := timeline.Operation{Actor: ev.Actor, Key: ev.Key, Value: ev.Value,
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
			out = append(out, timeline.Operation{Actor: ev.Actor, Key: ev.Key, Value: ev.Value, Start: ev.Start, End: ev.End, Events: []int{ev.Seq}})
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
		ops[i] = timeline.Operation{Actor: o.Actor, Key: o.Key, Value: o.Value, Start: us(o.StartUS), End: us(o.EndUS)}
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
