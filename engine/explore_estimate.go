package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
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
// walks would take more than estimateSteps steps); the walks are seeded by
// their stratum, so an estimate is a function of the scenario and the
// options.
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
	// Rough says the estimate counts orbits (symmetry), which the walks
	// underestimate, more so the larger the groups of identical actors:
	// by a sixth with five, by a factor of twenty with nine (a few orbits
	// of classes that renaming leaves alone weigh much and are rarely
	// walked to). RelError does not cover that.
	Rough bool `json:"rough,omitempty"`
	// Upper says the search runs with observers (explore_observers.go):
	// the estimate counts the classes of the finer equivalence, more than
	// the search runs (1.8 times for one writer and four readers), even
	// when it counted them exactly (no Walks). It is about an upper bound.
	Upper bool `json:"upper,omitempty"`
	// Unreduced says the estimate is of the search without the reduction,
	// because no random walk of the reduced one reached a schedule: an
	// upper bound (Upper), often a loose one.
	Unreduced bool `json:"unreduced,omitempty"`
}

// String writes the estimate as "~22000 (±8%)": two significant digits
// from ten million up ("~1.3e+09 (±40%)").
func (e Estimate) String() string {
	n := e.Count()
	switch {
	case e.Rough:
		return fmt.Sprintf("~%s (rough)", n)
	case e.Upper:
		return fmt.Sprintf("at most ~%s (±%.0f%%)", n, 100*e.RelError)
	}
	return fmt.Sprintf("~%s (±%.0f%%)", n, 100*e.RelError)
}

// Count is the number of schedules estimated, as text: "22000", or two
// significant digits from ten million up ("1.3e+09").
func (e Estimate) Count() string {
	if e.Schedules == math.MaxFloat64 {
		return "over 1e+308"
	}
	if e.Schedules >= 1e7 {
		return strconv.FormatFloat(e.Schedules, 'g', 2, 64)
	}
	return strconv.FormatFloat(e.Schedules, 'f', 0, 64)
}

// ETA is the wall time a search that ran done schedules (counted or not)
// in elapsed has left at that rate, as "1:16:39" or "0:09"; "?" while the
// estimate is unsure (over 50%, or rough), once it is passed, or before
// anything is done. An upper bound gives "≤0:09"; a search that would
// outlast a century, "over a century".
func (e Estimate) ETA(done int64, elapsed time.Duration) string {
	if done <= 0 || e.RelError > 0.5 || e.Rough || float64(done) > e.Schedules {
		return "?"
	}
	left := (e.Schedules - float64(done)) / float64(done) * elapsed.Seconds()
	switch {
	case left >= century.Seconds() && e.Upper:
		return "?"
	case left >= century.Seconds():
		return "over a century"
	}
	text := clockText(time.Duration(left * float64(time.Second)).Round(time.Second))
	if e.Upper {
		return "≤" + text
	}
	return text
}

// century bounds the ETA shown (a time.Duration reaches 292 years).
const century = 100 * 365 * 24 * time.Hour

// clockText writes d as "1:16:39" or "0:09".
func clockText(left time.Duration) string {
	h, m, sec := int(left.Hours()), int(left.Minutes())%60, int(left.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// The estimator's effort.
const (
	estimateStrata = 256
	estimateProbes = 4
	estimateSteps  = 1 << 20
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
	est, err := e.estimate(ctx, t, estimateSteps)
	if err != nil {
		return est, err
	}
	est.Rough = t == treeReduced && e.renaming != nil && est.Walks > 0
	est.Upper = t == treeReduced && e.observers()
	if t == treeReduced && est.Walks > 0 && est.Schedules == 0 {
		// Every walk of the sleep-set tree ended with every actor asleep
		// (sleeps that commute with everything do that): estimate the
		// search without the reduction, which runs no fewer.
		t = treeNaive
		if e.opts.Bounded {
			t = treeBounded
		}
		if est, err = e.estimate(ctx, t, estimateSteps); err != nil {
			return est, err
		}
		est.Upper, est.Unreduced = true, true
	}
	return est, nil
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

// An estNode is a node of a tree the estimator walks: the steps to it, the
// participants asleep there, its preemptions and the last actor to run.
type estNode struct {
	path      []int
	sleep     []Footprint
	pre, last int
}

// estimate estimates the leaves of tree t, with walks of at most about
// steps steps in all.
func (e *Explorer) estimate(ctx context.Context, t tree, steps int) (Estimate, error) {
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
	level := []estNode{{last: -1}}
	for len(level) > 0 && len(level) < estimateStrata {
		var next []estNode
		for i := range level {
			nd := &level[i]
			if err := ew.w.replay(nd.path); err != nil {
				return Estimate{}, err
			}
			kids, leaf := ew.options(nd)
			if leaf {
				exact += ew.score()
			}
			kids = slices.Clone(kids)
			for k := range kids {
				next = append(next, ew.child(nd, kids, k, true))
			}
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
		for i := range level {
			for accs[i].n < float64(probes) {
				v, err := ew.walk(&level[i], rngs[i])
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
		if math.IsInf(total, 0) || math.IsNaN(total) {
			// Past what a float64 holds: say so, with no error bar.
			est.Schedules, est.RelError = math.MaxFloat64, 1
			break
		}
		if math.IsInf(est.RelError, 0) || math.IsNaN(est.RelError) {
			est.RelError = 1 // the variance overflowed: unknown
		}
		// The next round doubles the walks, and so the steps.
		if est.RelError <= 0.1 || 2*ew.steps > steps {
			break
		}
	}
	return est, nil
}

// An estWalker walks a tree of the search on a worker of its own.
type estWalker struct {
	w      *worker
	t      tree
	steps  int     // taken by the walks
	kids   []int   // scratch: options
	lastOn bool    // options found the last actor enabled
	level  []int32 // scratch: score's levels
}

// options lists the children of node nd, reached: the participants the
// search takes from there, in its order (the last actor first, then the
// others as enabled); true at a complete schedule (none blocked: an empty
// list then means every participant is asleep).
func (ew *estWalker) options(nd *estNode) ([]int, bool) {
	w := ew.w
	en := w.enabled()
	if len(en) == 0 {
		return nil, true
	}
	kids := ew.kids[:0]
	lastEnabled := nd.last >= 0 && slices.Contains(en, nd.last)
	ew.lastOn = lastEnabled
	add := func(q int) {
		switch ew.t {
		case treeBounded:
			if nd.pre+boolInt(w.preempts(nd.last, q, lastEnabled)) > w.e.opts.MaxPreemptions {
				return
			}
		case treeReduced:
			if asleep(nd.sleep, q) {
				return
			}
		}
		kids = append(kids, q)
	}
	if lastEnabled {
		add(nd.last)
	}
	for _, q := range en {
		if q != nd.last {
			add(q)
		}
	}
	ew.kids = kids
	return kids, false
}

// child is node nd's child by kids[i] (options' last list): in the reduced
// tree asleep to what slept at nd and to its elder siblings, where they
// commute with it; with its path when withPath.
func (ew *estWalker) child(nd *estNode, kids []int, i int, withPath bool) estNode {
	w := ew.w
	q := kids[i]
	c := estNode{pre: nd.pre, last: nd.last}
	if withPath {
		c.path = append(slices.Clip(nd.path), q)
	}
	if w.preempts(nd.last, q, ew.lastOn) {
		c.pre++
	}
	if q != w.n {
		c.last = q
	}
	if ew.t == treeReduced {
		fp := w.footprint(q)
		keep := func(s Footprint) {
			if !dependent(&s, &fp) {
				c.sleep = append(c.sleep, s)
			}
		}
		for _, s := range nd.sleep {
			keep(s)
		}
		for _, elder := range kids[:i] {
			keep(w.footprint(elder))
		}
	}
	return c
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
	if w.e.renaming == nil || ew.t != treeReduced {
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

// walk is one Knuth walk from node nd: the product of the numbers of
// children met on a random path to a leaf, 0 if it ends blocked.
func (ew *estWalker) walk(nd *estNode, rng *rand.Rand) (float64, error) {
	if err := ew.w.replay(nd.path); err != nil {
		return 0, err
	}
	weight := 1.0
	cur := *nd
	for {
		kids, leaf := ew.options(&cur)
		switch {
		case leaf:
			return weight * ew.score(), nil
		case len(kids) == 0:
			return 0, nil
		}
		weight *= float64(len(kids))
		i := rng.IntN(len(kids))
		next := ew.child(&cur, kids, i, false)
		if err := ew.w.step(kids[i]); err != nil {
			return 0, err
		}
		ew.steps++
		cur = next
	}
}
