package engine

import "slices"

// Observers: a coarser equivalence than Mazurkiewicz traces, after Aronis,
// Jonsson, Lång and Sagonas, "Optimal dynamic partial order reduction with
// observers" (TACAS 2018).
//
// A blind write (a plain SET or a DEL: its result is "ok" whatever the
// key holds, and what it leaves does not depend on it) overwrites the
// key's cache entry. Two blind writes of one key by different actors
// leave different entries in the two orders, but when no step reads the
// key between the second one and the key's next write, nothing sees the
// difference: every read reads the same write, so every actor gets the
// same results, serves the same values and takes the same steps; the
// commits are ordered with both writes as before (a db.write depends on
// every step on its key), so the oracle compares the same instants; and
// naming an anomaly looks at writes only before a read (the write it
// read, and the deletes before that write, all ordered with it) or for
// an invalidation after it (one there in either order). So two blind
// writes w1 before w2 depend on each other only when some later step
// reads w2, with no write between them that does not commute with w2 (two
// deletes commute, and two SETs of one value and TTL): an observer, any
// step on the key's cache but a plain SET or a delete (GET, SET NX,
// EXPIRE, CAS, lease get and set). The relation
// depends on what comes after; schedules whose dependent steps are in the
// same order under it read the same writes everywhere and get the same
// verdicts, and the search runs one or more of each such class.
//
// The search learns that w2 is read when the observer is taken: w2 then
// becomes ordered after the earlier blind writes of its key, the steps'
// vector clocks are recomputed from w2 on, and the races this creates
// (w1, w2) are reversed at once, as the races of a new step are. Going
// back above the observer undoes it. Sleep sets, weak initials and the
// wakeup trees keep the plain relation: finer, so they put fewer
// participants to sleep and follow fewer branches than they could, and
// the search may run two schedules of one class, never none. Minimizing a
// class's preemptions (minimize) uses the relation of the whole schedule.
//
// The search uses observers without symmetry, a preemption bound, or a
// clock that can tick (sleep sets). With symmetry, the rule may doom a
// step only on an order no later read can undo, which leaves it too weak:
// one writer and nine readers whose steps take no time ran 4,860,330
// schedules that way against 2,601,620 with symmetry alone.

// An obsMark says the step at depth at read the blind write at depth w,
// which it made seen.
type obsMark struct{ at, w int32 }

// blind says whether fp is a blind write, and of which key.
func blind(fp *Footprint) (string, bool) {
	if fp.All {
		return "", false
	}
	x := fp.Info
	if !(x.Del || x.Set) || x.Ordered || x.Sleep || len(x.Keys) != 1 || x.Keys[0].Access != CacheWrite {
		return "", false
	}
	return x.Keys[0].Key, true
}

// relaxable says whether a and b are blind writes of one key by different
// participants whose order matters only to a later read of the second:
// not when time orders them (a time-sensitive step that takes time).
func relaxable(a, b *Footprint) bool {
	ka, ok := blind(a)
	if !ok {
		return false
	}
	kb, ok := blind(b)
	if !ok || ka != kb || a.Who == b.Who {
		return false
	}
	x, y := a.Info, b.Info
	return !((x.Timed || y.Timed) && (x.Took > 0 || y.Took > 0))
}

// reads says whether fp reads key's cache entry (or may: a step the
// analysis cannot see): a step on it that is not a blind write or a
// delete, whatever its result and effect depend on.
func reads(fp *Footprint, key string) bool {
	if fp.All {
		return true
	}
	if fp.Info.Del || fp.Info.Set {
		return false
	}
	for _, ka := range fp.Info.Keys {
		if ka.Key == key && ka.Access&(CacheRead|CacheWrite) != 0 {
			return true
		}
	}
	return false
}

// overwritten says whether a step at depths (j, end) writes the key of
// the blind write at j and does not commute with it (two deletes commute,
// and two SETs of one value and TTL): then no later step reads the write
// at j.
func overwritten(fps []Footprint, j, end int, key string) bool {
	for k := j + 1; k < end; k++ {
		if fp := &fps[k]; writes(fp, key) && dependent(&fps[j], fp) {
			return true
		}
	}
	return false
}

// depends is the search's relation between a step on the path and a
// later one fp that no step reads yet: the plain one, but for two blind
// writes with observers.
func (ds *dpor) depends(a, fp *Footprint) bool {
	return dependent(a, fp) && !(ds.obs && relaxable(a, fp))
}

// dependsAt is the relation between the steps at depths i < j of the
// path.
func (ds *dpor) dependsAt(i, j int, fps []Footprint) bool {
	if !ds.obs {
		return dependent(&fps[i], &fps[j])
	}
	return observerDependent(fps, ds.seen, i, j)
}

// observerDependent is the relation with observers between the steps i < j
// of a schedule, seen its blind writes read later: two blind writes of a
// key depend on each other when the second is read.
func observerDependent(fps []Footprint, seen []bool, i, j int) bool {
	return dependent(&fps[i], &fps[j]) && (seen[j] || !relaxable(&fps[i], &fps[j]))
}

// observe is called before fp is taken at the end of the path: the blind
// writes it reads become seen (the last write of each key it reads, and
// the ones before it that commute with every write after them). A write
// seen then depends on the blind writes of its key before it: the races
// this makes are reversed, and the clocks recomputed from it on.
func (ds *dpor) observe(fp *Footprint, fps []Footprint) error {
	D := len(ds.pidx)
	from := D
	see := func(j int) error {
		ds.seen[j] = true
		ds.marks = append(ds.marks, obsMark{at: int32(D), w: int32(j)})
		from = min(from, j)
		ds.recompute(j, fps)
		for _, i := range ds.races {
			if !ds.full && relaxable(&fps[i], &fps[j]) {
				if err := ds.reverseAt(int(i), j, &fps[j], fps); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch {
	case fp.All:
		for j := D - 1; j >= 0; j-- {
			if key, ok := blind(&fps[j]); ok && !ds.seen[j] && !overwritten(fps, j, D, key) {
				if err := see(j); err != nil {
					return err
				}
			}
		}
	case fp.Info.Del || fp.Info.Set:
		return nil // it reads nothing
	default:
		for _, ka := range fp.Info.Keys {
			if ka.Access&(CacheRead|CacheWrite) == 0 {
				continue
			}
			// Back to the last step that read the key (what it read is
			// seen already): the blind writes no later write overwrote.
			later := ds.later[:0]
			for j := D - 1; j >= 0 && !reads(&fps[j], ka.Key); j-- {
				g := &fps[j]
				if !writes(g, ka.Key) {
					continue
				}
				if _, ok := blind(g); ok && !ds.seen[j] && independentOfAll(g, later) {
					if err := see(j); err != nil {
						return err
					}
				}
				later = append(later, *g)
			}
			ds.later = later
		}
	}
	for d := from + 1; d < D; d++ {
		ds.recompute(d, fps)
	}
	return nil
}

// writes says whether fp writes key's cache entry.
func writes(fp *Footprint, key string) bool {
	return fp.All || slices.ContainsFunc(fp.Info.Keys, func(ka KeyAccess) bool { return ka.Key == key && ka.Access&CacheWrite != 0 })
}

// unobserve undoes the marks of the steps from depth d on (the path is cut
// to d steps) and recomputes the clocks they changed.
func (ds *dpor) unobserve(d int, fps []Footprint) {
	ds.seen = ds.seen[:min(len(ds.seen), d)]
	from := d
	for len(ds.marks) > 0 && int(ds.marks[len(ds.marks)-1].at) >= d {
		m := ds.marks[len(ds.marks)-1]
		ds.marks = ds.marks[:len(ds.marks)-1]
		if int(m.w) < d {
			ds.seen[m.w] = false
			from = min(from, int(m.w))
		}
	}
	for k := from; k < d; k++ {
		ds.recompute(k, fps)
	}
}

// recompute computes again the vector clock of the step at depth d of the
// path, and into ds.races the depths of the steps it races with.
func (ds *dpor) recompute(d int, fps []Footprint) {
	P := ds.parts
	vc := ds.vcs[d*P : (d+1)*P]
	if l := ds.prev[d]; l >= 0 {
		copy(vc, ds.vcs[int(l)*P:int(l+1)*P])
	} else {
		clear(vc)
	}
	vc[ds.whos[d]] = ds.pidx[d]
	ds.races = ds.races[:0]
	for i := d - 1; i >= 0; i-- {
		if vc[ds.whos[i]] >= ds.pidx[i] || !ds.dependsAt(i, d, fps) {
			continue
		}
		for q, x := range ds.vcs[i*P : (i+1)*P] {
			vc[q] = max(vc[q], x)
		}
		ds.races = append(ds.races, int32(i))
	}
}

// observedWrites marks, in a complete schedule, the blind writes a later
// step reads (into seen, reused).
func observedWrites(fps []Footprint, seen []bool) []bool {
	seen = resize(seen, len(fps))
	for j := range fps {
		key, ok := blind(&fps[j])
		for k := j + 1; ok && k < len(fps); k++ {
			if reads(&fps[k], key) {
				seen[j] = !overwritten(fps, j, k, key)
				break
			}
		}
	}
	return seen
}
