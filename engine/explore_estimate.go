package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Estimating the size of an exhaustive search before running it: Knuth's
// estimator ("Estimating the efficiency of backtrack programs", 1975)
// walks a random path from the root, choosing uniformly among the
// children, and multiplies the numbers of children met: the mean over
// walks is the number of leaves. Alone it is erratic on these trees (a few
// walks into a wide subtree dominate), so it is stratified: the top of the
// tree is enumerated breadth-first into about estimateStrata subtrees,
// each walked on its own, and the estimates are added, with the leaves met
// above the cut counted exactly. Each stratum is walked estimateProbes
// times, doubled until the relative standard error is at most 10% (or the
// walks reach estimateWalks); the walks are seeded by their stratum, so an
// estimate is a function of the scenario and the options.
//
// The tree walked is the one whose leaves the search runs: with the
// reduction, the sleep-set tree (children: the participants awake, each
// asleep to its elder siblings that commute with it), whose complete
// leaves are the classes optimal DPOR and sleep sets run (with symmetry,
// each scores one over its orbit's size: see score); a blocked leaf scores
// 0. Without it, every schedule; with the bounded tree, every schedule in
// the bound.

// An Estimate is an estimate of the complete schedules an exhaustive
// search runs, counted or not (ExploreResult.SchedulesRun plus
// Uncounted).
type Estimate struct {
	Schedules float64 `json:"schedules"`
	// RelError is the relative standard error of Schedules.
	RelError float64 `json:"rel_error"`
	// Walks is the number of random walks it took.
	Walks int `json:"walks"`
}

// The estimator's effort.
const (
	estimateStrata = 256
	estimateProbes = 4
	estimateWalks  = 1 << 15
)

// ErrNoEstimate says an estimate was asked of a search that is not
// exhaustive (random and PCT modes run a known number of schedules).
var ErrNoEstimate = errors.New("only an exhaustive search has a size to estimate")

// Estimate estimates the number of complete schedules Run will run. It
// can run while Run does (it has a target of its own).
func (e *Explorer) Estimate(ctx context.Context) (Estimate, error) {
	if e.opts.Mode != Exhaustive {
		return Estimate{}, ErrNoEstimate
	}
	if err := e.chooseTree(ctx); err != nil {
		return Estimate{}, err
	}
	e.choosing.Lock()
	t := e.treeOf(e.canonical())
	e.choosing.Unlock()
	return e.estimate(ctx, t, estimateWalks)
}

// A tree is which search tree to walk.
type tree int

const (
	treeNaive   tree = iota // every schedule
	treeBounded             // every schedule in the bound
	treeReduced             // the sleep-set tree: a leaf per class (orbit)
)

// treeOf is the tree the search walks: the bounded tree for the canonical
// search (canon), else the reduced one when reduced.
func (e *Explorer) treeOf(canon bool) tree {
	switch {
	case e.reduced() && !canon:
		return treeReduced
	case e.opts.Bounded:
		return treeBounded
	}
	return treeNaive
}

// A stratum is a node of the tree at the cut: the steps to it, the
// participants asleep there, and its preemptions.
type stratum struct {
	path      []int
	sleep     []Footprint
	pre, last int
}

// estimate estimates the leaves of tree t, with at most walks walks.
func (e *Explorer) estimate(ctx context.Context, t tree, walks int) (Estimate, error) {
	w, err := e.newWorker(ctx)
	if err != nil {
		return Estimate{}, err
	}
	defer w.close()
	w.needFP = true
	w.res = partial{}
	ew := &estWalker{w: w, t: t}

	// The top of the tree, breadth first, down to the strata.
	exact := 0.0
	level := []stratum{{last: -1}}
	for len(level) > 0 && len(level) < estimateStrata {
		var next []stratum
		for _, st := range level {
			kids, leaf, err := ew.children(st)
			if err != nil {
				return Estimate{}, err
			}
			if leaf {
				exact += ew.score()
			}
			next = append(next, kids...)
		}
		level = next
		if ctx.Err() != nil {
			return Estimate{}, ctx.Err()
		}
	}

	// Walks below each stratum, their number doubled until the error is
	// small enough.
	type acc struct{ n, sum, sq float64 }
	accs := make([]acc, len(level))
	rngs := make([]*rand.Rand, len(level))
	for i := range rngs {
		rngs[i] = rand.New(rand.NewPCG(0x5eed0fe5, uint64(i)))
	}
	est := Estimate{Schedules: exact}
	for probes := estimateProbes; len(level) > 0; probes *= 2 {
		for i, st := range level {
			for accs[i].n < float64(probes) {
				v, err := ew.walk(st, rngs[i])
				if err != nil {
					return Estimate{}, err
				}
				accs[i].n++
				accs[i].sum += v
				accs[i].sq += v * v
				est.Walks++
			}
			if ctx.Err() != nil {
				return Estimate{}, ctx.Err()
			}
		}
		total, variance := exact, 0.0
		for _, a := range accs {
			mean := a.sum / a.n
			total += mean
			if a.n > 1 {
				variance += (a.sq/a.n - mean*mean) * a.n / (a.n - 1) / a.n
			}
		}
		est.Schedules, est.RelError = total, 0
		if total > 0 {
			est.RelError = math.Sqrt(max(variance, 0)) / total
		}
		if est.RelError <= 0.1 || est.Walks+len(level)*probes > walks {
			break
		}
	}
	return est, nil
}

// An estWalker walks a tree of the search on a worker of its own.
type estWalker struct {
	w     *worker
	t     tree
	kids  []stratum // scratch
	level []int32   // scratch: score's levels
}

// reach resets the worker's target and takes the steps of path.
func (ew *estWalker) reach(path []int) error {
	w := ew.w
	if err := w.reset(); err != nil {
		return err
	}
	for _, p := range path {
		if err := ew.take(p); err != nil {
			return err
		}
	}
	return nil
}

// take takes participant p's next step.
func (ew *estWalker) take(p int) error {
	return ew.w.step(p)
}

// score is what a complete schedule counts for: 1, or with symmetry 1 over
// the size of its class's orbit (the classes renaming identical actors
// maps it onto), so that the sleep-set tree, a leaf per class, estimates
// the orbits. A renaming maps the class onto itself iff it maps each
// identical actor onto one whose steps are the same at the same levels of
// the class's Foata normal form (each step one level above the highest of
// the steps before it it depends on), so the renamings that do form, in
// each group, the permutations of the actors that look alike: the orbit
// has |group|! over the product of their factorials classes.
func (ew *estWalker) score() float64 {
	w := ew.w
	if w.e.renaming == nil {
		return 1
	}
	level := ew.level[:0]
	for k, p := range w.path {
		l := int32(1)
		for j := range k {
			if w.path[j] == p || dependent(&w.fps[j], &w.fps[k]) {
				l = max(l, level[j]+1)
			}
		}
		level = append(level, l)
	}
	ew.level = level
	score := 1.0
	for _, g := range w.e.groups {
		looks := map[string]int{}
		for _, p := range g {
			var sig []byte
			for k, q := range w.path {
				if q == p {
					sig = fmt.Appendf(sig, "%d/%v/%s;", level[k], *w.fps[k].Info, w.fps[k].Value)
				}
			}
			looks[string(sig)]++
		}
		lg, _ := math.Lgamma(float64(len(g) + 1))
		for _, n := range looks {
			ln, _ := math.Lgamma(float64(n + 1))
			lg -= ln
		}
		score *= math.Exp(-lg)
	}
	return score
}

// expand lists the children of the node reached (its sleep set, pre and
// last given): nil and true at a complete schedule, nil and false when
// blocked.
func (ew *estWalker) expand(path []int, sleep []Footprint, pre, last int) ([]stratum, bool) {
	w := ew.w
	en := w.enabled()
	if len(en) == 0 {
		return nil, true
	}
	order := slices.Clone(en)
	if last >= 0 && slices.Contains(order, last) {
		// The search tries the last actor first (no preemption).
		order = append([]int{last}, slices.DeleteFunc(order, func(q int) bool { return q == last })...)
	}
	kids := ew.kids[:0]
	asleepHere := slices.Clone(sleep)
	for _, q := range order {
		lastEnabled := last >= 0 && slices.Contains(en, last)
		np, nl := pre, last
		if w.preempts(last, q, lastEnabled) {
			np++
		}
		if q != w.n {
			nl = q
		}
		switch ew.t {
		case treeBounded:
			if np > w.e.opts.MaxPreemptions {
				continue
			}
		case treeReduced:
			if asleep(asleepHere, q) {
				continue
			}
			fp := w.footprint(q)
			var ks []Footprint
			for _, s := range asleepHere {
				if !dependent(&s, &fp) {
					ks = append(ks, s)
				}
			}
			kids = append(kids, stratum{path: append(slices.Clip(path), q), sleep: ks, pre: np, last: nl})
			asleepHere = append(asleepHere, fp)
			continue
		}
		kids = append(kids, stratum{path: append(slices.Clip(path), q), pre: np, last: nl})
	}
	ew.kids = kids
	return kids, false
}

// children lists the children of stratum st; true when st is a complete
// schedule.
func (ew *estWalker) children(st stratum) ([]stratum, bool, error) {
	if err := ew.reach(st.path); err != nil {
		return nil, false, err
	}
	kids, leaf := ew.expand(st.path, st.sleep, st.pre, st.last)
	return slices.Clone(kids), leaf, nil
}

// walk is one Knuth walk from stratum st: the product of the numbers of
// children met on a random path to a leaf, 0 if it ends blocked.
func (ew *estWalker) walk(st stratum, rng *rand.Rand) (float64, error) {
	if err := ew.reach(st.path); err != nil {
		return 0, err
	}
	weight := 1.0
	path, sleep, pre, last := st.path, st.sleep, st.pre, st.last
	for {
		kids, leaf := ew.expand(path, sleep, pre, last)
		switch {
		case leaf:
			return weight * ew.score(), nil
		case len(kids) == 0:
			return 0, nil
		}
		weight *= float64(len(kids))
		k := kids[rng.IntN(len(kids))]
		if err := ew.take(k.path[len(k.path)-1]); err != nil {
			return 0, err
		}
		path, sleep, pre, last = k.path, k.sleep, k.pre, k.last
	}
}
