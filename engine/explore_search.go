package engine

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"
)

// The exhaustive search: stateless depth-first search with sleep sets (see
// explore.go), cut into tasks for the workers.

// A task is a subtree of the schedule tree: the node reached by path, with
// its sleep set and preemption count.
type task struct {
	path  []int
	sleep []int
	pre   int
	last  int // the last actor that ran (-1 none)
	// resume, when a budget stopped the task, is where to go on from.
	resume *suspended
}

// A suspended search is the stack of a task's depth-first search, to
// resume it: the path to the top node and the nodes.
type suspended struct {
	path  []int
	nodes []node
}

// suspend copies the search stack.
func (w *worker) suspend() *suspended {
	sp := &suspended{path: slices.Clone(w.path[:w.nodes[len(w.nodes)-1].depth])}
	for _, nd := range w.nodes {
		sp.nodes = append(sp.nodes, node{
			order: slices.Clone(nd.order), en: slices.Clone(nd.en), fp: slices.Clone(nd.fp),
			sleep: slices.Clone(nd.sleep), done: slices.Clone(nd.done),
			next: nd.next, pre: nd.pre, last: nd.last, depth: nd.depth,
		})
	}
	return sp
}

// A node is a state on the current search path.
type node struct {
	order []int       // enabled participants: actors in order, then the clock
	en    []bool      // by participant
	fp    []Footprint // by participant, where enabled
	sleep []int       // asleep: explored from an equivalent state already
	done  []int       // explored from here
	next  int
	pre   int
	last  int
	depth int // steps taken to reach the node
	// saved says snap holds the machine at this node, to come back to it
	// without replaying.
	saved bool
	snap  *machineSnap
}

// taskTarget is how many tasks the tree is cut into (when it is big
// enough). It does not depend on the number of workers, so neither do the
// schedules Limit lets run.
const taskTarget = 256

// runExhaustive cuts the tree into tasks, level by level, and runs them on
// the workers.
func (e *Explorer) runExhaustive(ctx context.Context) (partial, error) {
	if e.sys != nil {
		// A system has one worker (Go code runs in one bubble): the limit
		// stops its depth-first search, in order, without cutting the
		// tree into tasks, whose paths it would replay each.
		return e.parallel(ctx, func(w *worker) error {
			w.limit = e.opts.Limit
			return w.dfs(&task{last: -1}, 0, nil)
		})
	}
	if e.reduced() && e.opts.Bounded {
		if err := e.chooseTree(ctx); err != nil {
			return partial{}, err
		}
	}
	if e.reduced() && !e.canonical() && !e.opts.sleepSets {
		// Optimal DPOR is sequential (explore_dpor.go): one worker.
		w, err := e.newWorker(ctx)
		if err != nil {
			return partial{}, err
		}
		w.limit = e.opts.Limit
		err = w.optimal()
		w.close()
		tot := partial{complete: true}
		e.merge(&tot, &w.res)
		return tot, err
	}
	fw, err := e.newWorker(ctx)
	if err != nil {
		return partial{}, err
	}
	tasks := []task{{last: -1}}
	// One worker without a limit explores the whole tree as one task; the
	// result is the same, without the cost of cutting the tree.
	split := e.workers() > 1 || e.opts.Limit > 0
	for depth := 1; split && len(tasks) > 0 && len(tasks) < taskTarget; depth++ {
		var next []task
		for i := range tasks {
			if err := fw.dfs(&tasks[i], depth, func(t task) { next = append(next, t) }); err != nil {
				fw.close()
				return partial{}, err
			}
		}
		tasks = next
	}
	fw.close()
	tot := partial{complete: true}
	e.merge(&tot, &fw.res)

	if e.opts.Limit == 0 || len(tasks) == 0 {
		sub, err := e.runTasks(ctx, tasks)
		e.merge(&tot, &sub)
		return tot, err
	}
	// Under a limit each task runs at most its share, so that the schedules
	// run spread over the top of the tree and do not depend on the number
	// of workers. What small tasks leave unused goes, in further rounds, to
	// the tasks that used their share, which resume where they stopped.
	budgets := make([]int64, len(tasks))
	results := make([]partial, len(tasks))
	done := make([]bool, len(tasks))
	todo := make([]int, len(tasks))
	for i := range todo {
		todo[i] = i
	}
	left := e.opts.Limit - tot.runs
	for len(todo) > 0 && left > 0 && ctx.Err() == nil {
		if left < int64(len(todo)) {
			todo = todo[:left] // one more schedule each, in task order
		}
		share := left / int64(len(todo))
		for _, i := range todo {
			budgets[i] = share
		}
		if err := e.runRound(ctx, tasks, todo, budgets, results); err != nil {
			return tot, err
		}
		for _, i := range todo {
			done[i] = tasks[i].resume == nil && ctx.Err() == nil
		}
		left = e.opts.Limit - tot.runs
		todo = todo[:0]
		for i := range tasks {
			left -= results[i].runs
			if !done[i] {
				todo = append(todo, i)
			}
		}
	}
	for i := range results {
		results[i].complete = done[i]
		e.merge(&tot, &results[i])
	}
	return tot, ctx.Err()
}

// runTasks explores every task to the end on the workers.
func (e *Explorer) runTasks(ctx context.Context, tasks []task) (partial, error) {
	var next atomic.Int64
	return e.parallel(ctx, func(w *worker) error {
		for {
			i := next.Add(1) - 1
			if i >= int64(len(tasks)) || ctx.Err() != nil {
				return nil
			}
			if err := w.dfs(&tasks[i], 0, nil); err != nil {
				return err
			}
		}
	})
}

// runRound explores (or resumes) tasks[todo[...]] for at most their
// budgets, adding to their results.
func (e *Explorer) runRound(ctx context.Context, tasks []task, todo []int, budgets []int64, results []partial) error {
	var next atomic.Int64
	_, err := e.parallel(ctx, func(w *worker) error {
		for {
			k := next.Add(1) - 1
			if k >= int64(len(todo)) || ctx.Err() != nil {
				return nil
			}
			i := todo[k]
			w.limit = budgets[i]
			w.res = partial{complete: true}
			err := w.dfs(&tasks[i], 0, nil)
			e.merge(&results[i], &w.res)
			w.res = partial{complete: true}
			if err != nil {
				return err
			}
		}
	})
	return err
}

// dfs explores the subtree of t. With cutoff > 0 it stops at that depth
// and emits the nodes there as tasks.
func (w *worker) dfs(t *task, cutoff int, emit func(task)) error {
	w.runs = 0
	// Steps nobody has to choose are taken at once, except when cutting
	// the tree into tasks at a depth.
	forced := cutoff == 0
	if sp := t.resume; sp != nil {
		t.resume = nil
		if err := w.replay(sp.path); err != nil {
			return err
		}
		w.nodes = sp.nodes
	} else {
		if err := w.replay(t.path); err != nil {
			return err
		}
		w.nodes = w.nodes[:0]
		st, err := w.push(t.sleep, t.pre, t.last, forced)
		if err != nil {
			return err
		}
		switch st {
		case leafNode:
			return w.leaf(t.pre)
		case blockedNode:
			w.prune()
			return nil
		}
	}
	fresh := true // the runner is at the top node's state
	var sleep []int
	for len(w.nodes) > 0 {
		nd := &w.nodes[len(w.nodes)-1]
		p, ok := w.choose(nd)
		if !ok {
			w.nodes = w.nodes[:len(w.nodes)-1]
			fresh = false
			continue
		}
		if w.stopped() { // with p still to explore
			nd.next--
			w.res.complete = false
			if w.ctx.Err() == nil {
				t.resume = w.suspend()
			}
			return nil
		}
		if !fresh {
			if nd.saved {
				w.restore(nd)
			} else if err := w.replayTo(nd.depth); err != nil {
				return err
			}
		}
		sleep = w.childSleep(nd, p, sleep[:0])
		nd.done = append(nd.done, p)
		pre, last := nd.pre, nd.last
		if w.preempts(last, p, last >= 0 && nd.en[last]) {
			pre++
		}
		if p != w.n {
			last = p
		}
		if err := w.step(p); err != nil {
			if !errors.Is(err, ErrPrune) {
				return err
			}
			w.res.pruned++
			fresh = false
			continue
		}
		fresh = false
		if cutoff > 0 && len(w.path) >= cutoff {
			switch w.status(sleep) {
			case leafNode:
				if err := w.leaf(pre); err != nil {
					return err
				}
			case blockedNode:
				w.prune()
			default:
				en := w.enabled()
				emit(task{path: slices.Clone(w.path), sleep: slices.DeleteFunc(slices.Clone(sleep), func(s int) bool { return !slices.Contains(en, s) }), pre: pre, last: last})
			}
			continue
		}
		st, err := w.push(sleep, pre, last, forced)
		if err != nil {
			return err
		}
		switch st {
		case leafNode:
			if err := w.leaf(pre); err != nil {
				return err
			}
		case blockedNode:
			w.prune()
		default:
			fresh = true
		}
	}
	return nil
}

// replayTo brings the runner back to the first n steps of the current path.
func (w *worker) replayTo(n int) error {
	w.scratch = append(w.scratch[:0], w.path[:n]...)
	return w.replay(w.scratch)
}

type nodeStatus int

const (
	innerNode nodeStatus = iota
	leafNode
	blockedNode
)

// status says whether the state reached is a complete schedule, or has
// every enabled step asleep.
func (w *worker) status(sleep []int) nodeStatus {
	en := w.enabled()
	switch {
	case len(en) == 0:
		return leafNode
	case w.reduced && allAsleep(en, sleep):
		return blockedNode
	}
	return innerNode
}

// allAsleep says whether every enabled participant is asleep.
func allAsleep(en, sleep []int) bool {
	for _, p := range en {
		if !slices.Contains(sleep, p) {
			return false
		}
	}
	return true
}

// push makes the state reached the new top node, unless it is a leaf or
// blocked. With forced, a state where only one participant can move is not
// made a node: there is nothing to choose there, and the step cannot be a
// preemption (nor asleep, past the first), so it is taken at once, and so
// on to the next choice.
func (w *worker) push(sleep []int, pre, last int, forced bool) (nodeStatus, error) {
	// The node is made in place; it only counts once it has children.
	if len(w.nodes) == cap(w.nodes) {
		w.nodes = append(w.nodes, node{})[:len(w.nodes)]
	}
	nd := &w.nodes[:len(w.nodes)+1][len(w.nodes)]
	var en []int
	for {
		nd.order = w.t.enabled(nd.order[:0])
		en = nd.order
		if len(en) == 0 {
			return leafNode, nil
		}
		if w.reduced && allAsleep(en, sleep) {
			return blockedNode, nil
		}
		if !forced || len(en) > 1 {
			break
		}
		p := en[0]
		if p != w.n {
			last = p
		}
		sleep = nil // what was asleep is not enabled
		if err := w.step(p); err != nil {
			if errors.Is(err, ErrPrune) {
				return blockedNode, nil
			}
			return 0, err
		}
	}
	w.nodes = w.nodes[:len(w.nodes)+1]
	if nd.en == nil {
		nd.en = make([]bool, w.n+1)
		nd.fp = make([]Footprint, w.n+1)
	}
	clear(nd.en)
	for _, p := range en {
		nd.en[p] = true
		if w.needFP {
			nd.fp[p] = w.footprint(p)
		}
	}
	nd.sleep = nd.sleep[:0]
	for _, s := range sleep {
		if nd.en[s] {
			nd.sleep = append(nd.sleep, s)
		}
	}
	nd.done = nd.done[:0]
	nd.next, nd.pre, nd.last, nd.depth = 0, pre, last, len(w.path)
	// A copy is only needed to come back for a second child.
	nd.saved = len(nd.order)-len(nd.sleep) > 1 && w.m != nil
	if nd.saved {
		if nd.snap == nil {
			nd.snap = &machineSnap{}
		}
		w.m.save(nd.snap)
	}
	return innerNode, nil
}

// restore brings the machine and the worker back to node nd.
func (w *worker) restore(nd *node) {
	w.m.restore(nd.snap)
	n := nd.depth
	w.path = w.path[:n]
	if w.needFP {
		w.fps = w.fps[:n]
	}
}

// choose returns the next participant to try from nd: not asleep, and
// within the preemption bound.
func (w *worker) choose(nd *node) (int, bool) {
	for nd.next < len(nd.order) {
		p := nd.order[nd.next]
		nd.next++
		if slices.Contains(nd.sleep, p) {
			continue
		}
		if w.e.opts.Bounded && nd.pre+boolInt(w.preempts(nd.last, p, nd.last >= 0 && nd.en[nd.last])) > w.e.opts.MaxPreemptions {
			continue
		}
		return p, true
	}
	return 0, false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// childSleep is the sleep set after taking p from nd: the steps asleep or
// already explored at nd that commute with p.
func (w *worker) childSleep(nd *node, p int, out []int) []int {
	if !w.reduced {
		return out
	}
	for _, set := range [2][]int{nd.sleep, nd.done} {
		for _, s := range set {
			if s != p && !dependent(&nd.fp[s], &nd.fp[p]) {
				out = append(out, s)
			}
		}
	}
	return out
}

// minimize returns the schedule equivalent to path (the same steps, every
// pair of dependent steps in the same order) with the fewest preemptions,
// then the lexicographically smallest, and its preemption count. It is a
// dynamic program over the prefixes of the equivalence class (one count of
// steps taken per participant, and who ran last); when that space is too
// large it returns path itself. The schedule returned is the worker's
// until the next call.
func (w *worker) minimize(path []int, fps []Footprint, pre int) ([]int, int) {
	total, ok := w.mz.fewest(w, path, fps, int(unreachable-1))
	if !ok {
		return path, pre
	}
	return w.lexLeast(total), total
}

// fewest sets the program up for path and returns the fewest preemptions
// of a schedule equivalent to it, when at most room; false when more, or
// when the space is too large.
func (mz *minimizer) fewest(w *worker, path []int, fps []Footprint, room int) (int, bool) {
	if !mz.prepare(w, path, fps) {
		return 0, false
	}
	total := mz.solve(0, 0, -1, int32(room))
	return int(total), total != unreachable && !mz.tooBig
}

// lexLeast returns the lexicographically smallest schedule with total
// preemptions of the class fewest was given (total is its fewest).
func (w *worker) lexLeast(total int) []int {
	mz := &w.mz
	out := mz.out[:0]
	code, last, room := uint64(0), -1, int32(total)
	for taken := range mz.m {
		pick, pickLast, pickCost := -1, 0, int32(0)
		for q := range mz.parts {
			v, nl, ok := mz.try(code, taken, last, q, room)
			if ok && v == room && (pick < 0 || w.e.names[q] < w.e.names[pick]) {
				pick, pickLast = q, nl
				pickCost, _ = mz.cost(last, q)
			}
		}
		out = append(out, pick)
		mz.s[pick]++
		code += mz.mult[pick]
		last = pickLast
		room -= pickCost
	}
	mz.out = out
	return out
}

// A minimizer is minimize's dynamic program, its storage reused from one
// stale schedule to the next.
type minimizer struct {
	clock int // the clock's participant number
	parts int // participants
	m     int // steps
	cnt   []int
	pos   []int    // pos[k]: how many steps of its participant come before step k
	mult  []uint64 // a prefix's code is sum(s[p] * mult[p])
	start []int    // participant p's steps are evs[start[p]:start[p+1]]
	evs   []int
	need  []int32 // need[k*parts+q]: how many of q's steps must come before step k
	read  []bool  // with observers: the blind writes a later step reads
	s     []int   // steps taken per participant, in the prefix being solved
	memo  map[uint64]int32
	// tooBig says the table outgrew maxStates.
	tooBig bool
	out    []int
	// minimizeOrbit's prefixes seen, and a key's storage.
	seen map[string]struct{}
	key  []byte
}

// maxStates bounds minimize's table.
const maxStates = 1 << 18

// prepare sets the program up for path; false when its state space cannot
// be numbered.
func (mz *minimizer) prepare(w *worker, path []int, fps []Footprint) bool {
	m, parts := len(path), w.n+1
	mz.clock, mz.parts, mz.m, mz.tooBig = w.n, parts, m, false
	mz.cnt = resize(mz.cnt, parts)
	mz.pos = resize(mz.pos, m)
	for k, p := range path {
		mz.pos[k] = mz.cnt[p]
		mz.cnt[p]++
	}
	mz.mult = resize(mz.mult, parts)
	size := uint64(1)
	for p := range parts {
		mz.mult[p] = size
		if size > math.MaxUint64/uint64(parts+1)/uint64(mz.cnt[p]+1) {
			return false
		}
		size *= uint64(mz.cnt[p] + 1)
	}
	mz.start = resize(mz.start, parts+1)
	for p := range parts {
		mz.start[p+1] = mz.start[p] + mz.cnt[p]
	}
	mz.evs = resize(mz.evs, m)
	mz.need = resize(mz.need, m*parts)
	obs := w.ds != nil && w.ds.obs
	if obs {
		mz.read = observedWrites(fps, mz.read)
	}
	for k, p := range path {
		mz.evs[mz.start[p]+mz.pos[k]] = k
		for j := range k {
			if q := path[j]; q != p && (!obs && dependent(&fps[j], &fps[k]) || obs && observerDependent(fps, mz.read, j, k)) {
				mz.need[k*parts+q] = max(mz.need[k*parts+q], int32(mz.pos[j]+1))
			}
		}
	}
	mz.s = resize(mz.s, parts)
	if mz.memo == nil {
		mz.memo = map[uint64]int32{}
	}
	clear(mz.memo)
	return true
}

// resize returns a zeroed slice of n elements, reusing b's storage.
func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	b = b[:n]
	clear(b)
	return b
}

// available says whether q's next step can come next in the prefix s.
func (mz *minimizer) available(q int) bool {
	if mz.s[q] == mz.cnt[q] {
		return false
	}
	k := mz.evs[mz.start[q]+mz.s[q]]
	for r := range mz.parts {
		if int(mz.need[k*mz.parts+r]) > mz.s[r] {
			return false
		}
	}
	return true
}

// cost is what taking q after last adds to the preemptions, and who has
// then run last.
func (mz *minimizer) cost(last, q int) (int32, int) {
	if q == mz.clock {
		return 0, last
	}
	if last >= 0 && q != last && mz.s[last] < mz.cnt[last] {
		return 1, q
	}
	return 0, q
}

// solve is the fewest preemptions to complete the prefix numbered code (of
// taken steps, last run by last), when they are at most room; else
// unreachable. The memo keeps a prefix's exact count, or that it needs
// more than a room tried (-(room+1)): a bound keeps the prefixes solved to
// those with few preemptions.
func (mz *minimizer) solve(code uint64, taken, last int, room int32) int32 {
	if taken == mz.m {
		return 0
	}
	key := code*uint64(mz.parts) + uint64(last+1)
	v, ok := mz.memo[key]
	switch {
	case ok && v >= 0 && v <= room:
		return v
	case ok && (v >= 0 || -v-1 >= room):
		return unreachable
	}
	if len(mz.memo) >= maxStates {
		mz.tooBig = true
		return unreachable
	}
	best := unreachable
	for q := range mz.parts {
		if v, _, ok := mz.try(code, taken, last, q, room); ok {
			best = min(best, v)
		}
	}
	if best <= room {
		mz.memo[key] = best
	} else {
		mz.memo[key] = -room - 1
	}
	return best
}

// unreachable is solve's "more than room".
const unreachable int32 = math.MaxInt32

// try is the fewest preemptions (at most room) to complete the prefix by
// taking q's next step first, and who has then run last; false when q
// cannot go next.
func (mz *minimizer) try(code uint64, taken, last, q int, room int32) (int32, int, bool) {
	if !mz.available(q) {
		return 0, 0, false
	}
	c, nl := mz.cost(last, q)
	if c > room {
		return unreachable, nl, true
	}
	mz.s[q]++
	v := mz.solve(code+mz.mult[q], taken+1, nl, room-c)
	mz.s[q]--
	if v != unreachable {
		v += c
	}
	return v, nl, true
}
