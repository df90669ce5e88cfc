package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/racetape/racetape/timeline"
)

// Shrinking a random or PCT counterexample: a schedule drawn at random is
// stale, but long and full of preemptions that have nothing to do with
// its stale read. Each anomaly's counterexample is rewritten, a step at a
// time, into a simpler schedule that still serves a read of that anomaly,
// until no rewrite gives a simpler one: fewer preemptions, then fewer
// steps, then fewer actors involved (with a step before the stale read
// ends), then the lexicographically smallest. The rewrites only propose;
// every candidate is run, and judged by replay as `racetape run
// --schedule` judges it. The rewrites, tried in a fixed order, the first
// improvement taken (so the result is deterministic):
//   - let an actor go last: its steps are taken out, and it runs after the
//     others;
//   - remove a preemption: where an actor is preempted and takes its next
//     steps later, let it run on, or move what it ran before the
//     preemption to where it comes back.
//
// A candidate is a sequence of participants followed as far as they can
// move (an actor whose branch took fewer steps, or that is done, is
// skipped), then completed without preemptions: the actor that ran last
// goes on, else the first that can, the clock when nothing else can.
// Each improvement is replaced by its class's best schedule (minimize).
// Jalbert and Sen, "A trace simplification technique for effective
// debugging of concurrent programs" (FSE 2010), and Zeller and
// Hildebrandt's delta debugging (TSE 2002) do the same for threads.

// shrinkAll shrinks the counterexample of each anomaly in tot (in name
// order), and takes the best of them as the overall one.
func (e *Explorer) shrinkAll(ctx context.Context, tot *partial) error {
	if len(tot.byAnomaly) == 0 {
		return nil
	}
	w, err := e.newWorker(ctx)
	if err != nil {
		return err
	}
	defer w.close()
	w.needFP = true
	tot.best = nil
	for _, a := range slices.Sorted(maps.Keys(tot.byAnomaly)) {
		c, err := w.shrink(tot.byAnomaly[a], a)
		if err != nil {
			return err
		}
		tot.byAnomaly[a] = c
		if e.better(c, tot.best) {
			tot.best = c
		}
	}
	return nil
}

// maxShrinkRuns bounds the candidates a counterexample's shrinking runs.
const maxShrinkRuns = 4000

// A shrinking is a counterexample being shrunk: its schedule, its
// preemptions, and the actors with a step before its stale read ends.
type shrinking struct {
	path     []int
	pre      int
	involved int
}

// shrink returns a simpler counterexample than c for anomaly a, or c.
func (w *worker) shrink(c *candidate, a timeline.Anomaly) (*candidate, error) {
	best := shrinking{path: slices.Clone(c.path), pre: c.pre}
	ok, involved, err := w.serves(best.path, a)
	if err != nil || !ok {
		return c, err
	}
	best.involved = involved
	runs := 0
	for improved := true; improved && runs < maxShrinkRuns; {
		improved = false
		for _, seq := range w.rewrites(best.path) {
			runs++
			got, ok, err := w.follow(seq)
			if err != nil {
				return nil, err
			}
			if ok && w.simpler(got, best, a) {
				if best, err = w.settle(got, a); err != nil {
					return nil, err
				}
				improved = true
				break
			}
			if runs >= maxShrinkRuns {
				break
			}
		}
	}
	return &candidate{path: best.path, pre: best.pre}, nil
}

// simpler says whether the schedule path (run last, by follow) serves a
// read of anomaly a and is simpler than best.
func (w *worker) simpler(path []int, best shrinking, a timeline.Anomaly) bool {
	pre := w.preemptionsOf(path)
	if pre > best.pre || pre == best.pre && len(path) > len(best.path) {
		return false // not worth a replay
	}
	serves, involved, err := w.serves(path, a)
	switch {
	case err != nil || !serves:
		return false
	case pre != best.pre || len(path) != len(best.path):
		return true
	case involved != best.involved:
		return involved < best.involved
	}
	return w.e.better(&candidate{path: path, pre: pre}, &candidate{path: best.path, pre: best.pre})
}

// settle makes path (just run, simpler, and serving a) the best: its
// class's simplest schedule, which serves the same reads.
func (w *worker) settle(path []int, a timeline.Anomaly) (shrinking, error) {
	canon, pre := w.minimize(path, w.fps, w.preemptionsOf(path))
	s := shrinking{path: slices.Clone(canon), pre: pre}
	ok, involved, err := w.serves(s.path, a)
	switch {
	case err != nil:
		return s, err
	case !ok:
		return s, fmt.Errorf("exploration bug: %q serves a %s read, its equivalent %q none", w.e.namesOf(path), a, w.e.namesOf(s.path))
	}
	s.involved = involved
	return s, nil
}

// serves replays path and says whether it serves a read of anomaly a, and
// how many actors take a step before the first such read ends.
func (w *worker) serves(path []int, a timeline.Anomaly) (bool, int, error) {
	names := make([]string, len(path))
	for i, p := range path {
		names[i] = w.e.names[p]
	}
	tl, err := w.e.replay(names)
	if err != nil {
		return false, 0, err
	}
	for _, r := range tl.Reads {
		if !r.Stale || r.Anomaly != a || len(r.Events) == 0 {
			continue
		}
		end := slices.Max(r.Events)
		actors := map[string]bool{}
		for _, ev := range tl.Events {
			if ev.Seq <= end && ev.Actor != timeline.ClockActor {
				actors[ev.Actor] = true
			}
		}
		return true, len(actors), nil
	}
	return false, 0, nil
}

// preemptionsOf counts the preemptions of a complete schedule.
func (w *worker) preemptionsOf(path []int) int {
	final := make([]int, w.n+1)
	for i, p := range path {
		final[p] = i
	}
	n, last := 0, -1
	for i, p := range path {
		if p == w.n {
			continue
		}
		if last >= 0 && p != last && final[last] > i {
			n++
		}
		last = p
	}
	return n
}

// follow runs seq as far as its participants can move, then completes the
// schedule without preemptions. It returns the schedule run (the worker's
// path, with its footprints), or false when it could not complete.
func (w *worker) follow(seq []int) ([]int, bool, error) {
	if err := w.reset(); err != nil {
		return nil, false, err
	}
	limit := 2*w.e.maxSteps + len(seq)
	take := func(p int) (bool, error) {
		if err := w.step(p); err != nil {
			if errors.Is(err, ErrPrune) {
				return false, nil
			}
			return false, err
		}
		return true, nil
	}
	last := -1
	for _, p := range seq {
		if !slices.Contains(w.enabled(), p) {
			continue
		}
		if ok, err := take(p); !ok {
			return nil, false, err
		}
		if p != w.n {
			last = p
		}
	}
	for len(w.path) < limit {
		en := w.enabled()
		if len(en) == 0 {
			return w.path, true, nil
		}
		p := en[0]
		if slices.Contains(en, last) {
			p = last
		}
		if ok, err := take(p); !ok {
			return nil, false, err
		}
		if p != w.n {
			last = p
		}
	}
	return nil, false, nil
}

// rewrites lists the candidates shrinking tries after path, in order: each
// actor (in name order) going last, then, at each preemption (in order),
// the preempted actor running on, or its run before the preemption moved
// to where it comes back.
func (w *worker) rewrites(path []int) [][]int {
	var out [][]int
	for _, x := range w.byName() {
		if !slices.Contains(path, x) {
			continue
		}
		out = append(out, slices.DeleteFunc(slices.Clone(path), func(p int) bool { return p == x }))
	}
	// Blocks: runs of one participant, [start, end).
	type block struct{ p, start, end int }
	var blocks []block
	for i := 0; i < len(path); {
		j := i
		for j < len(path) && path[j] == path[i] {
			j++
		}
		blocks = append(blocks, block{path[i], i, j})
		i = j
	}
	for i, b := range blocks {
		if b.p == w.n {
			continue
		}
		next := -1
		for j := i + 1; j < len(blocks); j++ {
			if blocks[j].p == b.p {
				next = j
				break
			}
		}
		if next < 0 || next == i+1 {
			continue
		}
		nb := blocks[next]
		// Run on: the next block right after this one.
		on := slices.Concat(path[:b.end], path[nb.start:nb.end], path[b.end:nb.start], path[nb.end:])
		// Defer: this block right before the next one.
		later := slices.Concat(path[:b.start], path[b.end:nb.start], path[b.start:b.end], path[nb.start:])
		out = append(out, on, later)
	}
	return out
}

// byName lists the actors in name order.
func (w *worker) byName() []int {
	ps := make([]int, w.n)
	for i := range ps {
		ps[i] = i
	}
	slices.SortFunc(ps, func(a, b int) int {
		switch {
		case w.e.names[a] < w.e.names[b]:
			return -1
		case w.e.names[a] > w.e.names[b]:
			return 1
		}
		return 0
	})
	return ps
}

// namesOf writes a schedule of participants as names.
func (e *Explorer) namesOf(path []int) string {
	names := make([]string, len(path))
	for i, p := range path {
		names[i] = e.names[p]
	}
	return FormatSchedule(names)
}
