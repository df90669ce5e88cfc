package engine

import (
	"math"
	"time"
)

// An access is what a step does to one key.
type access uint8

const (
	cacheRead access = 1 << iota
	cacheWrite
	dbRead
	dbWrite
)

// A stepInfo is the static part of a step's footprint.
type stepInfo struct {
	keys  [2]string // the key, and its lease key for lease steps
	acc   [2]access
	nkeys int
	del   bool // a pure delete: commutes with other deletes
	set   bool // a plain SET: commutes with a SET of the same value
	timed bool // time-sensitive: depends on every step that takes time
	sleep bool
	took  time.Duration
}

// A footprint is what one step of one participant touches, as it is about
// to run.
type footprint struct {
	who   int // participant: actor index, or the clock
	clock bool
	info  *stepInfo
	value string // the value a plain SET writes
}

// dependent reports whether a and b, steps of different participants that
// can both run, may not commute. It is the reduction's whole theory:
//
// Two steps of different actors are independent when running them in
// either order, from any state where both can run, leaves the same cache,
// the same database, the same results for both and the same verdict on
// every read, whatever runs after. Exploring one order of each such pair
// is then enough: every schedule is equivalent (by swapping adjacent
// independent steps) to one that is explored, and equivalent schedules
// serve the same values and get the same stale verdicts.
//
// A step's footprint is what it touches: for each key, whether it reads or
// writes the cache there, or reads or commits the database row. Steps on
// different keys commute for the cache and the database. On one key:
//   - a db.write conflicts with every step on the key, cache or database:
//     the oracle compares the commit instant with the read intervals, which
//     begin and end at cache steps (GET before or after the commit decides
//     the verdict);
//   - a cache write (set, del, expire, lease and cas writes) conflicts with
//     every cache step on the key, except that two plain SETs of the same
//     value commute, and so do two deletes;
//   - reads commute with reads, and a db.read commutes with cache steps:
//     neither changes anything the other observes, and the verdict only
//     compares read intervals with commits.
//
// That argument needs care with time, since in schedule mode a step starts
// when the previous one ends: swapping two steps moves both in time (but
// nothing else). The oracle compares instants with <=, so when every step
// on a key takes some time, the comparisons between that key's commits and
// its reads' intervals follow the order of the steps, and moving a step of
// another key does not change them. So a step is time-sensitive, and
// depends on every step that takes time, when its key
//   - has a step that takes no time (two instants of the key can then tie,
//     and a step of another key moved between them separates them), or
//   - can expire during the run: a TTL, lease or expiry instant no longer
//     than the longest run (porInfo.bound: the sum of the actors' longest
//     programs, times one plus the number of steps that can set an expiry,
//     since each clock tick skips at most what the remaining steps take),
//   - or is read from a lagging replica (what the replica shows depends on
//     the absolute instants of the read and of the commits).
//
// Under the linearizable and bounded models the verdict compares instants
// across keys and between reads (a bound D from a read's start; a write
// operation ending at a step on another key; a read that finished before
// another began), so every step is time-sensitive there, and two reads of
// a key depend on each other.
//
// The clock (a tick to the next expiry) depends on every step. A sleep
// only moves time: it commutes with every step that is not time-sensitive,
// and a sleep that takes no time with every step but the clock.
//
// TestNaiveCountsMatchBruteForce and TestReductionSoundOnPresets check this
// against the naive search on generated scenarios and every preset small
// enough: the reduced search finds a stale schedule iff the naive one
// does, and reports the same counterexample; TestSleepSetsRunOnePerClass
// checks that it runs exactly one schedule per class.
func dependent(a, b *footprint) bool {
	if a.who == b.who || a.clock || b.clock {
		return true
	}
	x, y := a.info, b.info
	if x.sleep || y.sleep {
		if (x.sleep && x.took == 0) || (y.sleep && y.took == 0) {
			return false
		}
		return x.timed || y.timed
	}
	if x.timed || y.timed {
		return true
	}
	for i := range x.nkeys {
		for j := range y.nkeys {
			if x.keys[i] != y.keys[j] {
				continue
			}
			p, q := x.acc[i], y.acc[j]
			if (p|q)&dbWrite != 0 {
				return true
			}
			if p&cacheWrite != 0 && q&(cacheRead|cacheWrite) != 0 || q&cacheWrite != 0 && p&(cacheRead|cacheWrite) != 0 {
				if x.del && y.del {
					continue
				}
				if x.set && y.set && a.value == b.value {
					continue
				}
				return true
			}
		}
	}
	return false
}

// A porInfo is the static analysis of a scenario for the reduction: the
// footprint of every step, by address.
type porInfo struct {
	steps map[*Step]*stepInfo
	// bound is an upper limit of the instant any step of any schedule ends.
	bound time.Duration
	// maxSteps bounds the length of a schedule (ticks included).
	maxSteps int
	// expires says some key can expire during a run: without it, the clock
	// never moves.
	expires bool
	// cons is the consistency model the exploration judges by.
	cons Consistency
}

// analyze builds the footprints of sc's steps, for judging under cons.
func analyze(sc *Scenario, cons Consistency) *porInfo {
	info := &porInfo{steps: map[*Step]*stepInfo{}, cons: cons}
	var span time.Duration
	expiries := 0
	for _, s := range sc.Cache {
		if s.TTL > 0 {
			expiries++
		}
	}
	for _, a := range sc.Actors {
		eachStep(a.Steps, func(st *Step) {
			switch st.Op {
			case OpCacheSet, OpLeaseSet, OpCASSet:
				if st.TTL > 0 {
					expiries++
				}
			case OpCacheExpire, OpLeaseGet:
				expiries++
			}
		})
		span = satAdd(span, maxTook(a.Steps))
		info.maxSteps += maxAtomic(a.Steps)
	}
	info.maxSteps += expiries
	info.bound = satMul(span, expiries+1)

	// Keys that can expire during a run, or whose instants can tie.
	timed := map[string]bool{}
	soon := func(d time.Duration) bool {
		s := d <= info.bound+time.Millisecond
		info.expires = info.expires || s
		return s
	}
	for _, s := range sc.Cache {
		if s.TTL > 0 && soon(s.TTL) {
			timed[s.Key] = true
		}
	}
	mark := func(st *Step) {
		if st.Op == OpSleep {
			return
		}
		keys := []string{st.Key}
		if st.Op == OpLeaseGet || st.Op == OpLeaseSet || st.Op == OpLeaseDel {
			keys = append(keys, leaseKey(st.Key))
		}
		// A step that takes no time can tie instants; a replica read
		// compares its instant minus the lag with the key's commits.
		if st.Took == 0 || (st.Op == OpDBRead && st.Replica) {
			for _, k := range keys {
				timed[k] = true
			}
		}
		switch st.Op {
		case OpCacheSet, OpLeaseSet, OpCASSet:
			if st.TTL > 0 && soon(st.TTL) {
				timed[st.Key] = true
			}
		case OpCacheExpire:
			if (st.HasExpireAt && soon(st.ExpireAt)) || (!st.HasExpireAt && soon(st.TTL)) {
				timed[st.Key] = true
			}
		case OpLeaseGet:
			lease := st.Lease
			if lease <= 0 {
				lease = 10 * time.Second
			}
			if soon(lease) {
				timed[leaseKey(st.Key)] = true
			}
		}
	}
	for _, a := range sc.Actors {
		eachStep(a.Steps, mark)
	}

	build := func(st *Step) {
		si := &stepInfo{took: st.Took}
		k, lk := st.Key, leaseKey(st.Key)
		switch st.Op {
		case OpSleep:
			si.sleep = true
		case OpCacheGet, OpCASGet:
			si.add(k, cacheRead)
		case OpCacheSet:
			si.add(k, cacheWrite)
			si.set = !st.NX
		case OpCacheDel:
			si.add(k, cacheWrite)
			si.del = true
		case OpCacheExpire, OpCASSet:
			si.add(k, cacheWrite)
		case OpDBRead:
			si.add(k, dbRead)
			si.timed = st.Replica
		case OpDBWrite:
			si.add(k, dbWrite)
		case OpLeaseGet:
			si.add(k, cacheRead)
			si.add(lk, cacheWrite)
		case OpLeaseSet:
			si.add(k, cacheWrite)
			si.add(lk, cacheWrite)
		case OpLeaseDel:
			si.add(k, cacheWrite)
			si.add(lk, cacheWrite)
			si.del = true
		default:
			si.timed = true // unknown: depend on everything
			si.add(k, cacheWrite|dbWrite)
		}
		for j := range si.nkeys {
			if timed[si.keys[j]] || (cons.Model != Strict && !si.sleep) {
				si.timed = true
			}
		}
		info.steps[st] = si
	}
	for _, a := range sc.Actors {
		eachStep(a.Steps, build)
	}
	return info
}

func (si *stepInfo) add(key string, acc access) {
	si.keys[si.nkeys] = key
	si.acc[si.nkeys] = acc
	si.nkeys++
}

// eachStep calls f on every atomic step of a program, in both branches of
// every `if`.
func eachStep(steps []Step, f func(*Step)) {
	for i := range steps {
		if st := &steps[i]; st.Op == OpIf {
			eachStep(st.Then, f)
			eachStep(st.Else, f)
		} else {
			f(st)
		}
	}
}

// maxAtomic is the most atomic steps a program can take.
func maxAtomic(steps []Step) int {
	n := 0
	for _, s := range steps {
		if s.Op == OpIf {
			n += max(maxAtomic(s.Then), maxAtomic(s.Else))
			continue
		}
		n++
	}
	return n
}

func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a time.Duration, n int) time.Duration {
	if n > 0 && a > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return a * time.Duration(n)
}
