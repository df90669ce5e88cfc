package engine

import (
	"math"
	"time"
)

// An Access is what a step does to one key: a set of these bits.
type Access uint8

// The accesses.
const (
	CacheRead  Access = 1 << iota // reads the key's cache entry
	CacheWrite                    // sets, deletes or expires the key's cache entry
	DBRead                        // reads the key's database row
	DBWrite                       // commits a new version of the key's row
	// ReadSpan: the step is part of an actor's read of the key still in
	// progress (its interval ends after the step), so the key's commits
	// may not move across it.
	ReadSpan
)

// A KeyAccess is what a step does to one key.
type KeyAccess struct {
	Key    string
	Access Access
}

// A StepInfo is what a step touches, as the reduction sees it (see
// dependent). A scenario's steps have theirs computed once, by analyze; a
// Target of Go code builds one from the command an actor is parked at.
type StepInfo struct {
	Keys  []KeyAccess // each key at most once
	Del   bool        // a pure delete: commutes with other deletes
	Set   bool        // a plain SET: commutes with a SET of the same value
	Timed bool        // time-sensitive: depends on every step that takes time
	// Ordered: the step depends on every step but a sleep, whatever time
	// they take (every step under the linearizable and bounded models, and
	// a step the analysis does not know).
	Ordered bool
	Sleep   bool // only moves time, for Took
	Took    time.Duration
}

// A Footprint is what one step of one participant touches, as it is about
// to run: what a Target's Footprint returns for the next step of an
// enabled actor.
type Footprint struct {
	// Who is the participant (an actor's index, or the clock); the
	// explorer sets it.
	Who int
	// All says the step depends on every other step: the clock, or a step
	// the analysis cannot see (an unknown command). Info is then unused.
	All  bool
	Info *StepInfo
	// Value is the value a plain SET (Info.Set) writes, with its TTL: two
	// SETs of the same value and TTL commute.
	Value string
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
//     value and TTL commute, and so do two deletes;
//   - reads commute with reads, and a db.read commutes with cache steps:
//     neither changes anything the other observes, and the verdict only
//     compares read intervals with commits;
//   - a step inside a read of the key still in progress (ReadSpan: an
//     actor of Go code whose read ends when it calls Served, after steps
//     on other keys) conflicts with the key's commits, which may not move
//     into or out of the read's interval.
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
// Swapping two steps that both take no time moves no instant, though: two
// time-sensitive steps that take no time follow the rules by key above
// (ten actors whose steps all take no time are not all dependent).
//
// Under the linearizable and bounded models the verdict compares instants
// across keys and between reads (a bound D from a read's start; a write
// operation ending at a step on another key; a read that finished before
// another began), so every step depends on every other there (Ordered),
// and two reads of a key depend on each other.
//
// The clock (a tick to the next expiry) depends on every step. A sleep
// only moves time: it commutes with every step that is not time-sensitive,
// and a sleep that takes no time with every step but the clock.
//
// TestNaiveCountsMatchBruteForce and TestReductionSoundOnPresets check this
// against the naive search on generated scenarios and every preset small
// enough: the reduced search finds a stale schedule iff the naive one
// does, and reports the same counterexample; TestReducedRunsOnePerClass
// checks that it runs exactly one schedule per class.
func dependent(a, b *Footprint) bool {
	if a.Who == b.Who || a.All || b.All {
		return true
	}
	x, y := a.Info, b.Info
	if x.Sleep || y.Sleep {
		if (x.Sleep && x.Took == 0) || (y.Sleep && y.Took == 0) {
			return false
		}
		return x.Timed || y.Timed
	}
	if x.Ordered || y.Ordered || (x.Timed || y.Timed) && (x.Took > 0 || y.Took > 0) {
		return true
	}
	for _, ka := range x.Keys {
		for _, kb := range y.Keys {
			if ka.Key != kb.Key {
				continue
			}
			p, q := ka.Access, kb.Access
			if (p|q)&DBWrite != 0 {
				return true
			}
			if p&CacheWrite != 0 && q&(CacheRead|CacheWrite) != 0 || q&CacheWrite != 0 && p&(CacheRead|CacheWrite) != 0 {
				if x.Del && y.Del {
					continue
				}
				if x.Set && y.Set && a.Value == b.Value {
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
	steps map[*Step]*StepInfo
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
	info := &porInfo{steps: map[*Step]*StepInfo{}, cons: cons}
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
		si := &StepInfo{Took: st.Took}
		k, lk := st.Key, leaseKey(st.Key)
		switch st.Op {
		case OpSleep:
			si.Sleep = true
		case OpCacheGet, OpCASGet:
			si.add(k, CacheRead)
		case OpCacheSet:
			si.add(k, CacheWrite)
			si.Set = !st.NX
		case OpCacheDel:
			si.add(k, CacheWrite)
			si.Del = true
		case OpCacheExpire, OpCASSet:
			si.add(k, CacheWrite)
		case OpDBRead:
			si.add(k, DBRead)
			si.Timed = st.Replica
		case OpDBWrite:
			si.add(k, DBWrite)
		case OpLeaseGet:
			si.add(k, CacheRead)
			si.add(lk, CacheWrite)
		case OpLeaseSet:
			si.add(k, CacheWrite)
			si.add(lk, CacheWrite)
		case OpLeaseDel:
			si.add(k, CacheWrite)
			si.add(lk, CacheWrite)
			si.Del = true
		default:
			si.Timed, si.Ordered = true, true // unknown: depend on everything
			si.add(k, CacheWrite|DBWrite)
		}
		for _, ka := range si.Keys {
			if timed[ka.Key] {
				si.Timed = true
			}
		}
		if cons.Model != Strict && !si.Sleep {
			si.Timed, si.Ordered = true, true
		}
		info.steps[st] = si
	}
	for _, a := range sc.Actors {
		eachStep(a.Steps, build)
	}
	return info
}

func (si *StepInfo) add(key string, acc Access) {
	si.Keys = append(si.Keys, KeyAccess{Key: key, Access: acc})
}

// footprintOf is the footprint of a scenario step st about to run, by
// participant p, where a set without a value of its own writes value.
func (info *porInfo) footprintOf(p int, st *Step, value string) Footprint {
	fp := Footprint{Who: p, Info: info.steps[st]}
	if fp.Info == nil { // a step the analysis did not see: depend on all
		fp.All = true
		return fp
	}
	if fp.Info.Set {
		fp.Value = value
		if st.HasValue {
			fp.Value = st.Value
		}
		// The TTL too: of two SETs of one value, the later one decides
		// whether and when the key expires.
		if st.TTL > 0 {
			fp.Value += "\x00" + st.TTL.String()
		}
	}
	return fp
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
