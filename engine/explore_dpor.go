package engine

import (
	"fmt"
)

// The reduced exhaustive search: optimal dynamic partial-order reduction
// with wakeup trees (Abdulla, Aronis, Jonsson, Sagonas, "Optimal dynamic
// partial order reduction", POPL 2014; "Source sets: a foundation for
// optimal dynamic partial order reduction", JACM 2017).
//
// The search runs one schedule of each class of equivalent schedules (the
// same steps, every pair of dependent steps in the same order: a
// Mazurkiewicz trace) and starts no prefix it then abandons. It goes depth
// first. When a step is taken, it is compared with the steps before it: a
// step e it races with (dependent, of another participant, and not ordered
// with it through a step in between) could have come after it, so the
// search schedules, at the state before e, the steps after e that do not
// depend on e followed by the new step (a wakeup sequence), unless a
// participant asleep there (explored already from there, or from an
// equivalent state) would start an equivalent schedule. The sequences
// scheduled at a state form a tree (the wakeup tree), followed before any
// free choice; the sleep sets guarantee that every schedule followed ends
// complete, and that no two are equivalent.
//
// What the theory needs of the target, and why the machine gives it:
//   - an actor's next step, and so its footprint, depends only on what the
//     actor has done and seen (its place in its program and its memory),
//     so it does not change while other participants move, and an actor
//     that can move stays able to until it moves;
//   - dependent is sound: independent steps commute (explore_por.go).
//
// The clock breaks the second half of the first: it can tick only while an
// expiry is ahead and within what is left to run, so time passing (any
// step that takes time) or an actor taking a shorter branch can keep it
// from ever ticking, and no race then shows the states where it could
// have. A scenario where a key can expire during a run (porInfo.expires)
// is therefore searched with ds.full: every participant awake is explored
// at every node, with sleep sets, as Godefroid's sleep-set search does
// (which may abandon prefixes). Without such a key the clock never ticks.
//
// The search is sequential: what races a branch finds is scheduled in its
// siblings' subtrees, so siblings cannot start before it ends. Its result
// is a function of the set of classes, which it explores whatever the
// order, so it does not depend on Workers.

// A dnode is the search's state at one depth of the current path: every
// depth, since a race can schedule a wakeup sequence at any of them.
type dnode struct {
	wut     int32       // the wakeup tree node whose children are the branches to take here
	sleep   []Footprint // the next steps of the participants asleep here (Who set)
	en      []int       // enabled participants
	pre     int         // preemptions of the path so far
	last    int         // the last actor that ran (-1 none)
	started bool        // a branch was taken here
	free    bool        // no race scheduled anything here: the search chooses
	saved   bool        // snap holds the machine at this node
	snap    *machineSnap
}

// A wnode is a node of a wakeup tree: a step (the footprint it had in the
// schedule the race was found in), its first child and its next sibling.
type wnode struct {
	fp          Footprint
	first, next int32
}

// maxWakeup bounds the wakeup trees' nodes (48 bytes each): the schedules
// scheduled and not yet run. 2 writers and 4 readers without symmetry
// (5.8 million classes) and 10 actors whose steps take no time stay well
// below it.
const maxWakeup = 1 << 20

// A dpor is the state of the optimal DPOR search of a worker.
type dpor struct {
	parts  int     // participants: the actors, then the clock
	pidx   []int32 // by depth: the step's number among its participant's steps, from 1
	prev   []int32 // by depth: the depth of the participant's previous step, or -1
	whos   []int32 // by depth: the participant
	vcs    []int32 // by depth, parts each: the step's vector clock
	lastAt []int32 // by participant: the depth of its last step on the path, or -1
	nodes  []dnode
	wt     []wnode
	free   int32 // a free wakeup node, chained by next (-1: none)
	live   int   // wakeup nodes in use

	vc    []int32     // the vector clock of the step being considered
	races []int32     // the depths of the steps it races with
	v     []Footprint // scratch: a wakeup sequence
	sleep []Footprint // scratch: a child's sleep set

	sym *symmetry // identical actors, or nil
	// obs: two blind writes of a key depend on each other only once a
	// later step reads the second (explore_observers.go).
	obs   bool
	seen  []bool      // by depth: a blind write some later step on the path reads
	marks []obsMark   // the blind writes marked seen, in the order of the steps that read them
	later []Footprint // scratch: writes of a key
	// full says every participant awake is explored at every node: sleep
	// sets alone (Godefroid 1996), for a scenario whose clock can tick.
	full bool
}

func newDPOR(parts int, full bool, sym *symmetry, obs bool) *dpor {
	return &dpor{parts: parts, full: full, sym: sym, obs: obs, lastAt: make([]int32, parts), vc: make([]int32, parts), free: -1}
}

// alloc makes a wakeup node for a step.
func (ds *dpor) alloc(fp Footprint) (int32, error) {
	if ds.live >= maxWakeup {
		return -1, fmt.Errorf("%w: the reduction has more than %d steps scheduled at once; use a preemption bound, or random or PCT mode", ErrLimit, maxWakeup)
	}
	ds.live++
	n := ds.free
	if n >= 0 {
		ds.free = ds.wt[n].next
		ds.wt[n] = wnode{fp: fp, first: -1, next: -1}
		return n, nil
	}
	ds.wt = append(ds.wt, wnode{fp: fp, first: -1, next: -1})
	return int32(len(ds.wt) - 1), nil
}

// release frees node n and its subtree.
func (ds *dpor) release(n int32) {
	for c := ds.wt[n].first; c >= 0; {
		next := ds.wt[c].next
		ds.release(c)
		c = next
	}
	ds.wt[n] = wnode{next: ds.free}
	ds.free = n
	ds.live--
}

// dropFirst removes the first branch under wakeup node n, and its subtree.
func (ds *dpor) dropFirst(n int32) {
	c := ds.wt[n].first
	ds.wt[n].first = ds.wt[c].next
	ds.wt[c].next = -1
	ds.release(c)
}

// addChild appends a branch for step fp under wakeup node n and returns it.
func (ds *dpor) addChild(n int32, fp Footprint) (int32, error) {
	c, err := ds.alloc(fp)
	if err != nil {
		return -1, err
	}
	if ds.wt[n].first < 0 {
		ds.wt[n].first = c
		return c, nil
	}
	k := ds.wt[n].first
	for ds.wt[k].next >= 0 {
		k = ds.wt[k].next
	}
	ds.wt[k].next = c
	return c, nil
}

// clear empties the search.
func (ds *dpor) clear() {
	ds.pidx, ds.prev, ds.vcs, ds.whos = ds.pidx[:0], ds.prev[:0], ds.vcs[:0], ds.whos[:0]
	for p := range ds.lastAt {
		ds.lastAt[p] = -1
	}
	ds.nodes = ds.nodes[:0]
	ds.wt, ds.free, ds.live = ds.wt[:0], -1, 0
	ds.seen, ds.marks = ds.seen[:0], ds.marks[:0]
	if ds.sym != nil {
		ds.sym.clear()
	}
}

// truncate forgets the steps from depth d on.
func (ds *dpor) truncate(d int, fps []Footprint) {
	for k := len(ds.pidx) - 1; k >= d; k-- {
		ds.lastAt[ds.whos[k]] = ds.prev[k]
	}
	ds.pidx, ds.prev, ds.vcs = ds.pidx[:d], ds.prev[:d], ds.vcs[:d*ds.parts]
	ds.whos = ds.whos[:d]
	if ds.obs {
		ds.unobserve(d, fps)
	}
	if ds.sym != nil {
		ds.sym.truncate(d)
	}
}

// clockOf computes, into ds.vc, the vector clock that participant p's next
// step (footprint fp) would get after the steps of the path (fps), and
// into ds.races the depths of the steps it races with. Scanning back, a
// step the clock covers already happens before; one that does not and is
// dependent is a race (nothing after it orders the two), and what happens
// before it joins the clock.
func (ds *dpor) clockOf(p int, fp *Footprint, fps []Footprint) {
	P := ds.parts
	vc := ds.vc
	n := int32(0)
	if l := ds.lastAt[p]; l >= 0 {
		copy(vc, ds.vcs[int(l)*P:int(l+1)*P])
		n = ds.pidx[l]
	} else {
		clear(vc)
	}
	vc[p] = n + 1
	ds.races = ds.races[:0]
	for d := len(ds.pidx) - 1; d >= 0; d-- {
		if vc[fps[d].Who] >= ds.pidx[d] {
			continue
		}
		if ds.depends(&fps[d], fp) {
			for q, x := range ds.vcs[d*P : (d+1)*P] {
				vc[q] = max(vc[q], x)
			}
			ds.races = append(ds.races, int32(d))
		}
	}
}

// push records the step just taken by p, whose vector clock is ds.vc.
func (ds *dpor) push(p int) {
	l := ds.lastAt[p]
	ds.prev = append(ds.prev, l)
	ds.pidx = append(ds.pidx, ds.vc[p])
	ds.vcs = append(ds.vcs, ds.vc...)
	ds.whos = append(ds.whos, int32(p))
	ds.lastAt[p] = int32(len(ds.pidx) - 1)
	if ds.obs {
		ds.seen = append(ds.seen, false)
	}
}

// reverse schedules, at depth i, the reversal of the race between the
// step there and the step fp about to be taken at the end of the path:
// the steps after i that do not happen after it, then fp. Nothing is
// scheduled when a participant asleep at depth i is a weak initial of
// that sequence: it would start a schedule equivalent to one explored.
func (ds *dpor) reverse(i int, fp *Footprint, fps []Footprint) error {
	return ds.reverseAt(i, len(ds.pidx), fp, fps)
}

// reverseAt is reverse for the race between the step at depth i and the
// step fp at depth end of the path (or about to be taken there).
func (ds *dpor) reverseAt(i, end int, fp *Footprint, fps []Footprint) error {
	P := ds.parts
	who, k := fps[i].Who, ds.pidx[i]
	v := ds.v[:0]
	for j := i + 1; j < end; j++ {
		if ds.vcs[j*P+who] < k {
			v = append(v, fps[j])
		}
	}
	v = append(v, *fp)
	ds.v = v
	nd := &ds.nodes[i]
	for s := range nd.sleep {
		if weakInitial(&nd.sleep[s], v) {
			return nil
		}
	}
	return ds.insert(nd.wut, v)
}

// weakInitial says whether the next step s of a participant can start a
// schedule equivalent to one that runs v: s is v's first step of its
// participant with nothing dependent before it, or s is not in v and
// independent of all of it.
func weakInitial(s *Footprint, v []Footprint) bool {
	for j := range v {
		if v[j].Who == s.Who {
			return true
		}
		if dependent(&v[j], s) {
			return false
		}
	}
	return true
}

// insert adds the wakeup sequence v to the tree under root (JACM's
// insert): it follows the branches whose step can start a schedule
// equivalent to v (an initial of the rest of v, which it takes off v, or a
// step independent of all of it) and appends what is left of v where none
// can. A leaf reached, or v used up, means v is covered already.
func (ds *dpor) insert(root int32, v []Footprint) error {
	at := root
	for len(v) > 0 && (at == root || ds.wt[at].first >= 0) {
		next := int32(-1)
	children:
		for c := ds.wt[at].first; c >= 0 && next < 0; c = ds.wt[c].next {
			cf := &ds.wt[c].fp
			for j := range v {
				if v[j].Who != cf.Who {
					continue
				}
				for k := range j {
					if dependent(&v[k], &v[j]) {
						continue children // in v, not an initial
					}
				}
				if !sameStep(&v[j], cf) {
					return fmt.Errorf("exploration bug: participant %d's step differs in two equivalent schedules", cf.Who)
				}
				v = append(v[:j], v[j+1:]...)
				next = c
				continue children
			}
			if independentOfAll(cf, v) {
				next = c
			}
		}
		if next < 0 {
			for j := range v {
				c, err := ds.addChild(at, v[j])
				if err != nil {
					return err
				}
				at = c
			}
			return nil
		}
		at = next
	}
	return nil
}

func independentOfAll(fp *Footprint, v []Footprint) bool {
	for j := range v {
		if dependent(fp, &v[j]) {
			return false
		}
	}
	return true
}

// sameStep says whether two footprints are of the same step.
func sameStep(a, b *Footprint) bool {
	return a.Who == b.Who && a.All == b.All && a.Info == b.Info && a.Value == b.Value
}

// optimal runs the reduced search over the whole tree.
func (w *worker) optimal() error {
	ds := w.ds
	ds.clear()
	if err := w.reset(); err != nil {
		return err
	}
	root, err := ds.alloc(Footprint{Who: -1})
	if err != nil {
		return err
	}
	inner, err := w.enter(root, nil, 0, -1)
	if err != nil || !inner {
		return err
	}
	fresh := true // the target is at the top node's state
	for len(ds.nodes) > 0 {
		d := len(ds.nodes) - 1
		nd := &ds.nodes[d]
		c := ds.wt[nd.wut].first
		if c < 0 && nd.free && !nd.started {
			if c, err = w.expand(nd); err != nil {
				return err
			}
			if c < 0 { // every participant asleep: never for optimal DPOR alone
				w.prune()
			}
		}
		if c < 0 { // every branch from here is explored
			ds.nodes = ds.nodes[:d]
			if d > 0 {
				ds.finish(d - 1)
			}
			fresh = false
			continue
		}
		if w.stopped() {
			w.res.complete = false
			return nil
		}
		if !fresh {
			if err := w.backTo(d); err != nil {
				return err
			}
			fresh = true
		}
		p := ds.wt[c].fp.Who
		fp := w.footprint(p)
		if !sameStep(&fp, &ds.wt[c].fp) {
			return fmt.Errorf("exploration bug: %s's next step differs from the one scheduled (a nondeterministic target?)", w.e.names[p])
		}
		if ds.obs {
			if err := ds.observe(&fp, w.fps); err != nil {
				return err
			}
		}
		ds.clockOf(p, &fp, w.fps)
		if !ds.full {
			for _, i := range ds.races {
				if err := ds.reverse(int(i), &fp, w.fps); err != nil {
					return err
				}
			}
		}
		if ds.sym != nil && w.doomed(p, &fp) {
			// Its classes mirror explored ones: asleep, as if explored.
			nd.sleep = append(nd.sleep, fp)
			ds.dropFirst(nd.wut)
			continue
		}
		nd.started = true
		sleep := ds.sleep[:0]
		for _, s := range nd.sleep {
			if !dependent(&s, &fp) {
				sleep = append(sleep, s)
			}
		}
		ds.sleep = sleep
		pre, last := nd.pre, nd.last
		if w.preempts(last, p, last >= 0 && nd.enabled(last)) {
			pre++
		}
		if p != w.n {
			last = p
		}
		fresh = false
		if err := w.stepKnown(p, fp); err != nil {
			return err
		}
		ds.push(p)
		if ds.sym != nil {
			if err := w.ordered(p); err != nil {
				return err
			}
		}
		inner, err := w.enter(c, sleep, pre, last)
		if err != nil {
			return err
		}
		if inner {
			fresh = true
		} else {
			ds.finish(d)
		}
	}
	return nil
}

// enter makes the state reached a node of the search, with the branches
// under wakeup node wut and the participants asleep, unless it is a
// complete schedule (judged here) or every step from it is asleep.
func (w *worker) enter(wut int32, sleep []Footprint, pre, last int) (bool, error) {
	ds := w.ds
	d := len(ds.nodes)
	if d == cap(ds.nodes) {
		ds.nodes = append(ds.nodes, dnode{})[:d]
	}
	nd := &ds.nodes[:d+1][d]
	nd.en = w.t.enabled(nd.en[:0])
	if len(nd.en) == 0 {
		return false, w.leaf(pre)
	}
	awake := 0
	for _, p := range nd.en {
		if !asleep(sleep, p) {
			awake++
		}
	}
	if awake == 0 {
		w.prune()
		return false, nil
	}
	ds.nodes = ds.nodes[:d+1]
	nd.wut, nd.sleep, nd.pre, nd.last, nd.started = wut, append(nd.sleep[:0], sleep...), pre, last, false
	nd.free = ds.wt[wut].first < 0
	// A copy is only needed to come back for a second branch, which only
	// a participant awake here can start.
	nd.saved = awake > 1 && w.m != nil
	if nd.saved {
		if nd.snap == nil {
			nd.snap = &machineSnap{}
		}
		w.m.save(nd.snap)
	}
	return true, nil
}

func asleep(sleep []Footprint, p int) bool {
	for i := range sleep {
		if sleep[i].Who == p {
			return true
		}
	}
	return false
}

func (nd *dnode) enabled(p int) bool {
	for _, q := range nd.en {
		if q == p {
			return true
		}
	}
	return false
}

// expand starts the exploration of a node no race scheduled anything at:
// with ds.full, a branch for every participant awake; else one, the last
// actor to run if it can go on (no preemption), else the first awake. It
// returns the first branch, or -1 when every participant is asleep.
func (w *worker) expand(nd *dnode) (int32, error) {
	ds := w.ds
	if nd.last >= 0 && nd.enabled(nd.last) && !asleep(nd.sleep, nd.last) {
		if _, err := ds.addChild(nd.wut, w.footprint(nd.last)); err != nil || !ds.full {
			return ds.wt[nd.wut].first, err
		}
	}
	for _, q := range nd.en {
		if q == nd.last || asleep(nd.sleep, q) {
			continue
		}
		if _, err := ds.addChild(nd.wut, w.footprint(q)); err != nil || !ds.full {
			return ds.wt[nd.wut].first, err
		}
	}
	return ds.wt[nd.wut].first, nil
}

// finish ends the branch being explored at depth d: its participant goes
// to sleep there, and its wakeup node is freed.
func (ds *dpor) finish(d int) {
	nd := &ds.nodes[d]
	nd.sleep = append(nd.sleep, ds.wt[ds.wt[nd.wut].first].fp)
	ds.dropFirst(nd.wut)
}

// backTo brings the target and the search back to depth d.
func (w *worker) backTo(d int) error {
	nd := &w.ds.nodes[d]
	if nd.saved {
		w.m.restore(nd.snap)
		w.path, w.fps = w.path[:d], w.fps[:d]
	} else if err := w.replayTo(d); err != nil {
		return err
	}
	w.ds.truncate(d, w.fps)
	return nil
}
