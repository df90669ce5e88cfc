package engine

import (
	"context"
	"fmt"
	"slices"
)

// The bounded search with the reduction on: every class of equivalent
// schedules (with symmetry, every orbit) that has a schedule with at most
// MaxPreemptions preemptions, each once.
//
// A preemption bound is a property of a schedule, not of a class, so
// sleep sets or DPOR cut by it lose classes (Coons, Musuvathi, McKinley,
// "Bounded partial-order reduction", OOPSLA 2013): the schedule they keep
// A class's fewest preemptions, and its canonical schedule, do not depend
// on which of its schedules is run, though: the canonical one has the
// fewest preemptions, then is the lexicographically smallest (names of
// identical actors given in order of first appearance, with symmetry),
// which is what minimize returns and what the naive search reports. A
// class is in the bound iff its canonical schedule is. So two exact
// searches, with the same results:
//   - the whole reduced search (optimal DPOR, symmetry), counting and
//     judging a class only when its fewest preemptions (minimize's dynamic
//     program, cut at the bound) are in the bound: cheap when the classes
//     are few, whatever the bound;
//   - the bounded tree, as the naive search runs it (on the workers, cut
//     into tasks), counting and judging a complete schedule only when it
//     is its class's canonical one: it holds each class in the bound
//     exactly once, and is small when the bound is.
//
// Neither abandons a prefix; Uncounted says how many complete schedules
// they ran without counting them. A search takes the one that runs fewer
// schedules by estimate (explore_estimate.go), a schedule of the bounded
// tree costing boundedCost of the other's (its dynamic program runs for
// every one).

// boundedCost is the cost of a schedule of the bounded tree, in schedules
// of the whole reduced search (measured: 1 writer and 5 readers, bound 2).
const boundedCost = 8

// chooseTree decides, once, whether a bounded reduced search runs the
// bounded tree, by estimates with a small budget (deterministic, like the
// estimates). Run and Estimate both ask.
func (e *Explorer) chooseTree(ctx context.Context) error {
	if !e.reduced() || !e.opts.Bounded {
		return nil
	}
	e.choosing.Lock()
	defer e.choosing.Unlock()
	if e.chosen {
		return nil
	}
	if e.tree != nil {
		e.canon, e.chosen = *e.tree, true
		return nil
	}
	bounded, err := e.estimate(ctx, treeBounded, chooseSteps)
	if err != nil {
		return err
	}
	e.canon, e.chosen = true, true
	if cost := bounded.Schedules * boundedCost; cost > smallSearch {
		whole, err := e.estimate(ctx, treeReduced, chooseSteps)
		if err != nil {
			return err
		}
		e.canon = cost < whole.Schedules
	}
	return nil
}

// chooseSteps is the estimates' budget when choosing; a bounded tree
// estimated to cost less than smallSearch schedules of the whole reduced
// search is taken without estimating the other.
const (
	chooseSteps = 1 << 14
	smallSearch = 1 << 16
)

// inBound says whether the complete schedule just run, with pre
// preemptions, is counted, and the fewest preemptions of its class: in the
// bounded tree, when it is its class's canonical schedule; in the whole
// reduced search, when its class has a schedule in the bound. The others
// are counted as Uncounted.
func (w *worker) inBound(pre int) (int, bool, error) {
	fewest, ok := w.mz.fewest(w, w.path, w.fps, w.e.opts.MaxPreemptions)
	if w.mz.tooBig {
		return 0, false, fmt.Errorf("%w: a schedule of %d steps has too many equivalent schedules (more than %d prefixes) to find its simplest; use a smaller bound or --no-reduction", ErrLimit, len(w.path), maxStates)
	}
	if ok && w.canon {
		ok = fewest == pre
		if ok && w.e.renaming != nil {
			// The orbit's canonical schedule names identical actors in
			// order of first appearance.
			ok = w.e.renaming.normalized(w.path, w.e.names) && slices.Equal(w.minimizeOrbit(fewest), w.path)
		} else if ok {
			ok = slices.Equal(w.lexLeast(fewest), w.path)
		}
	}
	if !ok {
		w.res.uncounted++
		w.uncounted++
	}
	return fewest, ok, nil
}
