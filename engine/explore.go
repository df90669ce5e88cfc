package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/racetape/racetape/timeline"
)

// An ExploreMode says how schedules are chosen.
type ExploreMode int

// The exploration modes.
const (
	Exhaustive ExploreMode = iota // every schedule (reduced unless NoReduction)
	Random                        // Samples uniformly random walks
	PCT                           // Samples PCT schedules of depth Depth
)

func (m ExploreMode) String() string {
	switch m {
	case Random:
		return "random"
	case PCT:
		return "pct"
	}
	return "exhaustive"
}

// ExploreOptions control an exploration.
type ExploreOptions struct {
	Mode ExploreMode
	// NoReduction runs every schedule in exhaustive mode.
	NoReduction bool
	// NoSymmetry explores every class of equivalent schedules, where the
	// reduction otherwise explores one of the classes that renaming
	// identical actors maps onto each other.
	NoSymmetry bool
	// NoObservers explores every class of equivalent schedules, where the
	// reduction otherwise lets two blind writes of a key (plain SET, DEL)
	// go in either order when no later step reads the second
	// (explore_observers.go). Observers apply to a scenario's search
	// without a preemption bound, identical actors explored once, or a key
	// that can expire during a run.
	NoObservers bool
	// Bounded limits exhaustive mode to schedules with at most
	// MaxPreemptions preemptions (switching away from an actor that could
	// still run; clock ticks do not count). With the reduction, each class
	// with a schedule in the bound counts once (explore_bounded.go).
	Bounded        bool
	MaxPreemptions int
	// Samples is the number of schedules in Random and PCT modes.
	Samples int
	// Depth is PCT's bug depth d: d-1 priority change points.
	Depth int
	// Seed seeds Random and PCT modes.
	Seed uint64
	// NoShrink keeps Random and PCT counterexamples as found (each the
	// simplest schedule of its class) instead of shrinking them
	// (explore_shrink.go).
	NoShrink bool
	// Workers is the number of parallel workers (each with its own
	// cache); < 1 means 1. Results do not depend on it.
	Workers int
	// Limit caps exhaustive mode at about Limit schedules; 0 means no
	// limit. The tree is cut into a fixed set of subtrees, each runs at
	// most its share and what small ones leave goes to the others, so the
	// schedules run spread over the first choices and do not depend on
	// Workers; a tree of at most Limit schedules is explored completely.
	// A System (one worker) runs its first Limit schedules in depth-first
	// order.
	Limit int64
	// RESP runs the schedules on a Runner whose cache steps go through
	// go-redis to miniredis, as Run does, instead of on the exploration
	// machine and its pure-Go model of the cache. Same results, much
	// slower.
	RESP bool
	// Direct is RESP through miniredis's Go API. Same results, slower.
	Direct bool
	// Limits bound Workers, Depth and the exhaustive search's state (zero
	// fields: defaults).
	Limits Limits
	// sleepSets runs a scenario's reduced search as before optimal DPOR:
	// sleep sets, cut into tasks (benchmarks compare them).
	sleepSets bool
}

// ErrExploreOptions is wrapped by errors for unusable options.
var ErrExploreOptions = errors.New("bad exploration options")

// An ExploreResult is what an exploration found. Everything in it is
// deterministic: the same scenario and options give the same result, for
// any Workers and GOMAXPROCS.
type ExploreResult struct {
	Scenario string `json:"scenario"`
	Mode     string `json:"mode"`
	// Consistency is the model schedules were judged by.
	Consistency string `json:"consistency"`
	Reduction   string `json:"reduction"` // Explorer.Reduction
	// Seed and Depth, for random and PCT modes.
	Seed  *uint64 `json:"seed,omitempty"`
	Depth int     `json:"depth,omitempty"`
	// MaxPreemptions is the bound, if any.
	MaxPreemptions *int `json:"max_preemptions,omitempty"`
	// SchedulesRun counts complete schedules run.
	SchedulesRun int64 `json:"schedules_run"`
	// StaleSchedules counts the schedules with at least one stale read.
	StaleSchedules int64 `json:"stale_schedules"`
	// Anomalies counts stale schedules by anomaly name; a schedule with
	// stale reads of two kinds counts under both.
	Anomalies map[timeline.Anomaly]int64 `json:"anomalies"`
	// Counterexample is the stale schedule with the fewest preemptions,
	// then the fewest steps, then the lexicographically smallest (by actor
	// names); nil when no schedule was stale. It is one of
	// Counterexamples.
	Counterexample *Counterexample `json:"counterexample"`
	// Counterexamples holds, for each anomaly found, the best stale
	// schedule (by the same order) that served a read of it; its Anomaly
	// is that anomaly.
	Counterexamples map[timeline.Anomaly]*Counterexample `json:"counterexamples"`
	// Pruned counts the prefixes abandoned: by the reduction, because every
	// step that could follow was asleep, or by a Target (ErrPrune).
	Pruned int64 `json:"pruned_prefixes"`
	// Uncounted counts, in a bounded search with the reduction, the
	// complete schedules run but not counted: equivalent to one that is,
	// or of a class whose every schedule is over the bound.
	Uncounted int64 `json:"uncounted_schedules,omitempty"`
	// TimedRunStale, set by the CLI when no schedule is stale, counts the
	// stale reads of the scenario's timed run, whose gaps (an actor's
	// `at`) no schedule has: `racetape explore` then exits 1.
	TimedRunStale int `json:"timed_run_stale_reads,omitempty"`
	// Complete is false when Limit (or a cancellation) stopped the search.
	Complete bool `json:"complete"`
	// Steps counts the steps executed, prefix replays included.
	Steps int64 `json:"-"`
}

// A Counterexample is a stale schedule, replayable with
// Options{Schedule: Schedule} (or `racetape run --schedule`).
type Counterexample struct {
	Schedule    []string
	Preemptions int
	Steps       int
	// Anomaly is the anomaly of its first stale read; StaleReads counts
	// them.
	Anomaly    timeline.Anomaly
	StaleReads int
}

// String returns the schedule in the form ParseSchedule reads.
func (c *Counterexample) String() string { return FormatSchedule(c.Schedule) }

// MarshalJSON writes the schedule as a string.
func (c *Counterexample) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Schedule    string           `json:"schedule"`
		Preemptions int              `json:"preemptions"`
		Steps       int              `json:"steps"`
		Anomaly     timeline.Anomaly `json:"anomaly"`
		StaleReads  int              `json:"stale_reads"`
	}{c.String(), c.Preemptions, c.Steps, c.Anomaly, c.StaleReads})
}

// FormatSchedule writes a schedule as ParseSchedule reads it: names
// separated by spaces, a run of three or more written "name*n".
func FormatSchedule(names []string) string {
	var b strings.Builder
	for i := 0; i < len(names); {
		j := i
		for j < len(names) && names[j] == names[i] {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(names[i])
		switch n := j - i; {
		case n >= 3:
			b.WriteString("*" + strconv.Itoa(n))
		case n == 2:
			b.WriteString(" " + names[i])
		}
		i = j
	}
	return b.String()
}

// Preemptions counts the preemptions of a complete schedule: the entries
// that switch away from an actor that still has steps (it appears again
// later). Clock entries neither count nor interrupt: "a clock a" has none.
func Preemptions(schedule []string) int {
	final := map[string]int{} // where each actor takes its last step
	for i, name := range schedule {
		final[name] = i
	}
	n, last := 0, ""
	for i, name := range schedule {
		if name == timeline.ClockActor {
			continue
		}
		if last != "" && name != last && final[last] > i {
			n++
		}
		last = name
	}
	return n
}

// ExploreProgress is a snapshot of a running exploration.
type ExploreProgress struct {
	Schedules int64 // complete schedules run so far (and counted)
	Stale     int64 // stale ones
	Pruned    int64 // prefixes the reduction abandoned
	Uncounted int64 // complete schedules run and not counted (ExploreResult.Uncounted)
	Total     int64 // schedules to run (random, PCT), 0 when unknown
}

// An Explorer runs one exploration: a scenario along many schedules, to
// report which ones serve stale data. Progress and Estimate may be called
// from any goroutine while Run runs.
//
// Exhaustive mode enumerates every complete schedule (every interleaving of
// the actors' programs that keeps each program's order, conditional steps
// following what each step observed, and clock ticks wherever a TTL can run
// out between steps) by depth-first search. Schedules run on the machine
// (machine.go): the Runner's semantics, with cache steps on a pure-Go model
// of the cache (cache_model.go, byte-identical to miniredis), on a state
// small enough to copy: at each node with more than one child the worker
// keeps a copy of the machine, and comes back to it for the next child
// instead of replaying the prefix (with miniredis, Direct or RESP, a Runner
// replays it).
//
// The default reduces it to one schedule per class of equivalent schedules
// (same steps, dependent steps in the same order; the dependency relation
// is explore_por.go's), with optimal DPOR (explore_dpor.go): no prefix is
// started and abandoned, and, with symmetry (explore_symmetry.go), one
// class of those that renaming identical actors maps onto each other.
// Equivalent schedules serve the same values and get the same verdicts, so
// the anomalies found are those the naive search finds; for each, the
// schedule reported is the best of the classes that show it (fewest
// preemptions, then steps, then the lexicographically smallest), which is
// what the naive search reports. Optimal DPOR is sequential; the naive
// search is cut into tasks at a fixed depth, which workers take in any
// order, merging sums and minima: the result does not depend on the worker
// count either way. A preemption bound keeps the reduction on
// (explore_bounded.go). Estimate estimates the search's size
// (explore_estimate.go).
//
// Random and PCT modes run Samples schedules; schedule i draws from a PCG
// seeded with (Seed, i), so results do not depend on workers either. PCT is
// Burckhardt et al., "A randomized scheduler with probabilistic guarantees
// of finding bugs" (2010): random distinct priorities, the highest-priority
// runnable participant runs, and at Depth-1 random steps the running one
// drops below all others. Their counterexamples are then shrunk
// (explore_shrink.go).
type Explorer struct {
	sc   *Scenario // nil for a System
	sys  *System   // nil for a scenario
	opts ExploreOptions
	por  *porInfo // the scenario's analysis (nil for a System)
	// groups are the scenario's identical actors, explored up to renaming
	// (explore_symmetry.go); none without the reduction or with NoSymmetry.
	groups   [][]int
	renaming *renaming // of groups, for the counterexamples; nil without
	// canon: a bounded reduced search runs the bounded tree (and counts
	// canonical schedules), not the whole reduced search (explore_bounded.go).
	canon bool
	// tree, when set, makes that choice instead of the estimates (tests).
	tree     *bool
	choosing sync.Mutex // guards canon and chosen, set by chooseTree
	chosen   bool
	prog     *program // the scenario compiled for the machine (nil with RESP or Direct)
	names    []string // participant names: the actors, then the clock
	// maxSteps bounds the length of a schedule, for PCT's change points.
	maxSteps int
	cons     Consistency

	runs, stale, pruned, uncounted atomic.Int64

	onLeaf func(*worker) // tests: called at every complete schedule
}

// A System is a set of actors an Explorer drives through Targets it
// makes, instead of a Scenario: actors that are Go code (package
// racetest). The search, its reduction, its limits and its results are
// those of a scenario's exploration.
type System struct {
	// Name names the system in the result (ExploreResult.Scenario).
	Name string
	// Actors are the participants' names, in order; the clock is
	// participant len(Actors), named "clock".
	Actors []string
	// Consistency is the model the Targets judge by, named in the result.
	Consistency Consistency
	// MaxSteps bounds the steps of a schedule (PCT draws its change
	// points below it); 0 means 100.
	MaxSteps int
	// NewTarget makes a Target at its initial state; each worker makes
	// one (and exhaustive mode one more, to cut the tree).
	NewTarget func() (Target, error)
	// Replay runs one schedule (actor names, "clock" for the clock) and
	// returns its full record, judged: it names a counterexample's
	// anomaly, as `racetape run --schedule` would.
	Replay func(schedule []string) (*timeline.Timeline, error)
}

// NewExplorer checks the options and prepares an exploration of sc.
func NewExplorer(sc *Scenario, opts ExploreOptions) (*Explorer, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	lim := opts.Limits.WithDefaults()
	if opts.Workers > lim.Workers {
		return nil, limitErrorf("%w: %d workers, more than the limit of %d (--max-workers)", ErrExploreOptions, opts.Workers, lim.Workers)
	}
	if opts.Mode == PCT && opts.Depth > lim.Depth {
		return nil, limitErrorf("%w: PCT depth %d, more than the limit of %d (--max-depth)", ErrExploreOptions, opts.Depth, lim.Depth)
	}
	if err := checkClock(sc); err != nil {
		return nil, err
	}
	e := &Explorer{sc: sc, opts: opts, por: analyze(sc, sc.Consistency), cons: sc.Consistency}
	if opts.Mode == Exhaustive {
		// The search keeps, at each step of the path it is on, a state per
		// participant.
		if n := int64(e.por.maxSteps) * int64(len(sc.Actors)+1); n > lim.Search {
			return nil, limitErrorf("%w: an exhaustive search of %d actors, with schedules of up to %d steps, keeps up to %d search states, more than the limit of %d (--max-search); use random or PCT mode", ErrExploreOptions, len(sc.Actors), e.por.maxSteps, n, lim.Search)
		}
	}
	if !opts.RESP && !opts.Direct {
		e.prog = compile(sc, e.por)
	}
	for _, a := range sc.Actors {
		e.names = append(e.names, a.Name)
	}
	e.names = append(e.names, timeline.ClockActor)
	if e.reduced() && !opts.NoSymmetry && !opts.sleepSets {
		if e.groups = identicalActors(sc); len(e.groups) > 0 {
			e.renaming = newRenaming(e.groups, e.names)
		}
	}

	e.maxSteps = e.por.maxSteps
	return e, nil
}

// NewSystemExplorer checks the options and prepares an exploration of
// sys. RESP and Direct do not apply.
func NewSystemExplorer(sys System, opts ExploreOptions) (*Explorer, error) {
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	switch {
	case len(sys.Actors) == 0:
		return nil, fmt.Errorf("%w: %q has no actors", ErrExploreOptions, sys.Name)
	case sys.NewTarget == nil || sys.Replay == nil:
		return nil, fmt.Errorf("%w: a system needs NewTarget and Replay", ErrExploreOptions)
	case opts.RESP || opts.Direct:
		return nil, fmt.Errorf("%w: RESP and Direct apply to scenarios only", ErrExploreOptions)
	}
	e := &Explorer{sys: &sys, opts: opts, cons: sys.Consistency, maxSteps: sys.MaxSteps}
	if e.maxSteps <= 0 {
		e.maxSteps = 100
	}
	e.names = append(slices.Clone(sys.Actors), timeline.ClockActor)
	return e, nil
}

// checkOptions checks the options that do not depend on what is explored.
func checkOptions(opts ExploreOptions) error {
	switch opts.Mode {
	case Exhaustive:
		if opts.NoShrink {
			return fmt.Errorf("%w: --no-shrink applies to random and PCT modes (an exhaustive search's counterexamples are the simplest)", ErrExploreOptions)
		}
		if opts.Bounded && opts.MaxPreemptions < 0 {
			return fmt.Errorf("%w: the preemption bound must be 0 or more", ErrExploreOptions)
		}
		if opts.Limit < 0 {
			return fmt.Errorf("%w: the limit must be 0 (none) or more", ErrExploreOptions)
		}
	case Random, PCT:
		if opts.Samples < 1 {
			return fmt.Errorf("%w: %s mode needs a number of schedules, at least 1", ErrExploreOptions, opts.Mode)
		}
		if opts.Mode == PCT && opts.Depth < 1 {
			return fmt.Errorf("%w: the PCT depth must be at least 1", ErrExploreOptions)
		}
		if opts.Bounded || opts.NoReduction || opts.NoSymmetry || opts.NoObservers {
			return fmt.Errorf("%w: a preemption bound, --no-reduction, --no-symmetry and --no-observers apply to exhaustive mode only", ErrExploreOptions)
		}
	default:
		return fmt.Errorf("%w: unknown mode %d", ErrExploreOptions, opts.Mode)
	}
	return nil
}

// Explore runs an exploration of sc to the end.
func Explore(ctx context.Context, sc *Scenario, opts ExploreOptions) (*ExploreResult, error) {
	e, err := NewExplorer(sc, opts)
	if err != nil {
		return nil, err
	}
	return e.Run(ctx)
}

// Progress returns the counts so far.
func (e *Explorer) Progress() ExploreProgress {
	p := ExploreProgress{Schedules: e.runs.Load(), Stale: e.stale.Load(), Pruned: e.pruned.Load(), Uncounted: e.uncounted.Load()}
	if e.opts.Mode != Exhaustive {
		p.Total = int64(e.opts.Samples)
	}
	return p
}

// Reduction names the reduction the exploration runs with, as
// ExploreResult.Reduction does: "none"; "optimal-dpor" (one schedule per
// class of equivalent schedules, no prefix abandoned); "sleep-sets" (the
// same classes, for a System, or a scenario whose clock can tick; see
// explore_dpor.go); with "+symmetry", one class of those that renaming
// identical actors maps onto each other (explore_symmetry.go).
func (e *Explorer) Reduction() string {
	switch {
	case !e.reduced():
		return "none"
	case e.sys != nil || e.opts.sleepSets:
		return "sleep-sets"
	}
	name := "optimal-dpor"
	if e.por.expires {
		name = "sleep-sets"
	}
	if len(e.groups) > 0 {
		name += "+symmetry"
	}
	if e.observers() {
		name += "+observers"
	}
	return name
}

// observers says whether the search lets unread blind writes go in either
// order (explore_observers.go): a scenario's optimal DPOR, unbounded,
// without symmetry.
func (e *Explorer) observers() bool {
	return e.reduced() && e.sys == nil && !e.opts.sleepSets && !e.por.expires && !e.opts.Bounded && len(e.groups) == 0 && !e.opts.NoObservers
}

// symmetry is a worker's state of the symmetry rule, or nil.
func (e *Explorer) symmetry() *symmetry {
	if len(e.groups) == 0 {
		return nil
	}
	return newSymmetry(e.groups)
}

// ReductionText says what a reduction (an ExploreResult.Reduction) does,
// for people: "partial-order reduction (optimal DPOR)".
func ReductionText(name string) string {
	if name == "none" {
		return "no reduction"
	}
	name, obs := strings.CutSuffix(name, "+observers")
	base, sym := strings.CutSuffix(name, "+symmetry")
	text := "partial-order reduction (optimal DPOR)"
	if base == "sleep-sets" {
		text = "partial-order reduction (sleep sets)"
	}
	if sym {
		text += ", identical actors explored once"
	}
	if obs {
		text += ", writes no read sees run in one order"
	}
	return text
}

// reduced reports whether the reduction is on: in exhaustive mode, unless
// turned off, or a System's search is bounded (sleep sets lose schedules
// under a bound).
func (e *Explorer) reduced() bool {
	return e.opts.Mode == Exhaustive && !e.opts.NoReduction && (!e.opts.Bounded || e.sys == nil)
}

// canonical reports whether the search is the bounded tree, counting each
// class at its canonical schedule (explore_bounded.go), rather than the
// whole reduced search, counting the classes in the bound.
func (e *Explorer) canonical() bool { return e.reduced() && e.opts.Bounded && e.canon }

func (e *Explorer) workers() int { return max(e.opts.Workers, 1) }

// Run explores. On cancellation it returns the partial result with the
// context's error.
func (e *Explorer) Run(ctx context.Context) (*ExploreResult, error) {
	run := e.runSampled
	if e.opts.Mode == Exhaustive {
		run = e.runExhaustive
	}
	tot, err := run(ctx)
	if err != nil && ctx.Err() == nil {
		return nil, err
	}
	if e.opts.Mode != Exhaustive && !e.opts.NoShrink && ctx.Err() == nil {
		if err := e.shrinkAll(ctx, &tot); err != nil {
			return nil, err
		}
	}
	res := &ExploreResult{
		Scenario: e.name(), Mode: e.opts.Mode.String(), Consistency: e.cons.String(),
		SchedulesRun: tot.runs, StaleSchedules: tot.stale, Anomalies: tot.anomalies,
		Pruned: tot.pruned, Uncounted: tot.uncounted, Steps: tot.steps, Complete: tot.complete && ctx.Err() == nil,
	}
	if res.Anomalies == nil {
		res.Anomalies = map[timeline.Anomaly]int64{}
	}
	res.Reduction = e.Reduction()
	if e.opts.Mode != Exhaustive {
		seed := e.opts.Seed
		res.Seed = &seed
	}
	if e.opts.Mode == PCT {
		res.Depth = e.opts.Depth
	}
	if e.opts.Mode == Exhaustive && e.opts.Bounded {
		k := e.opts.MaxPreemptions
		res.MaxPreemptions = &k
	}
	// The overall best is often also the best of its anomaly: replay each
	// schedule once.
	replays := &replayer{e: e, done: map[string][]timeline.Read{}}
	defer replays.close()
	if tot.best != nil {
		ce, cerr := e.counterexample(tot.best, "", replays)
		if cerr != nil {
			return nil, cerr
		}
		res.Counterexample = ce
	}
	res.Counterexamples = map[timeline.Anomaly]*Counterexample{}
	for a, c := range tot.byAnomaly {
		ce, cerr := e.counterexample(c, a, replays)
		if cerr != nil {
			return nil, cerr
		}
		res.Counterexamples[a] = ce
	}
	return res, ctx.Err()
}

// name is the name of what is explored.
func (e *Explorer) name() string {
	if e.sys != nil {
		return e.sys.Name
	}
	return e.sc.Name
}

// replay runs one schedule to the end and returns its record: on a Runner
// for a scenario (without the per-step states, which do not change the
// verdict), with the System's Replay otherwise.
func (e *Explorer) replay(names []string) (*timeline.Timeline, error) {
	if e.sys != nil {
		return e.sys.Replay(names)
	}
	return Run(e.sc, e.replayOptions(names))
}

// replayOptions are the Runner options that replay names as `racetape run
// --schedule` does, on the cache the exploration used.
func (e *Explorer) replayOptions(names []string) Options {
	return Options{Schedule: names, NoStates: true, Direct: !e.opts.RESP, model: !e.opts.RESP && !e.opts.Direct}
}

// A replayer replays the counterexamples of one exploration, each
// schedule once, on one Runner, and keeps their stale reads.
type replayer struct {
	e    *Explorer
	r    *Runner
	done map[string][]timeline.Read // stale reads, by schedule
}

// stale returns the stale reads of the schedule names.
func (p *replayer) stale(names []string) ([]timeline.Read, error) {
	key := FormatSchedule(names)
	if st, ok := p.done[key]; ok {
		return st, nil
	}
	var st []timeline.Read
	if p.e.sys != nil {
		tl, err := p.e.sys.Replay(names)
		if err != nil {
			return nil, err
		}
		st = tl.StaleReads()
	} else {
		if p.r == nil {
			r, err := NewRunner(p.e.sc, p.e.replayOptions(names))
			if err != nil {
				return nil, err
			}
			p.r = r
		} else if err := p.r.Reset(); err != nil {
			return nil, err
		}
		if err := p.r.runSchedule(names); err != nil {
			return nil, err
		}
		if err := p.r.finish(); err != nil {
			return nil, err
		}
		for _, rd := range p.r.reads {
			if rd.Stale {
				st = append(st, rd)
			}
		}
	}
	p.done[key] = st
	return st, nil
}

func (p *replayer) close() {
	if p.r != nil {
		p.r.Close()
	}
}

// counterexample replays the stale schedule c, to name its anomaly
// exactly as `racetape run --schedule` will: the anomaly of its first
// stale read, or a, which one of its stale reads must show.
func (e *Explorer) counterexample(c *candidate, a timeline.Anomaly, replays *replayer) (*Counterexample, error) {
	names := make([]string, len(c.path))
	for i, p := range c.path {
		names[i] = e.names[p]
	}
	stale, err := replays.stale(names)
	if err != nil {
		return nil, fmt.Errorf("replay counterexample %q: %w", FormatSchedule(names), err)
	}
	if len(stale) == 0 {
		return nil, fmt.Errorf("replay counterexample %q: no stale read (exploration bug)", FormatSchedule(names))
	}
	ce := &Counterexample{Schedule: names, Preemptions: c.pre, Steps: len(names), Anomaly: stale[0].Anomaly, StaleReads: len(stale)}
	if a != "" {
		if !slices.ContainsFunc(stale, func(r timeline.Read) bool { return r.Anomaly == a }) {
			return nil, fmt.Errorf("replay counterexample %q: no %s read (exploration bug)", FormatSchedule(names), a)
		}
		ce.Anomaly = a
	}
	return ce, nil
}

// A candidate is a stale schedule, as participant indexes.
type candidate struct {
	path []int
	pre  int
}

// better reports whether a is a better counterexample than b.
func (e *Explorer) better(a, b *candidate) bool {
	if b == nil {
		return true
	}
	if a.pre != b.pre {
		return a.pre < b.pre
	}
	if len(a.path) != len(b.path) {
		return len(a.path) < len(b.path)
	}
	for i := range a.path {
		if a.path[i] != b.path[i] {
			return e.names[a.path[i]] < e.names[b.path[i]]
		}
	}
	return false
}

// A partial is the result of part of an exploration. Merging partials sums
// counts and keeps the better counterexample, so the order of merging does
// not matter.
type partial struct {
	runs, stale, pruned, steps int64
	uncounted                  int64
	anomalies                  map[timeline.Anomaly]int64
	best                       *candidate
	byAnomaly                  map[timeline.Anomaly]*candidate // the best of each anomaly
	complete                   bool
}

func (e *Explorer) merge(into *partial, p *partial) {
	into.runs += p.runs
	into.stale += p.stale
	into.pruned += p.pruned
	into.uncounted += p.uncounted
	into.steps += p.steps
	for a, n := range p.anomalies {
		if into.anomalies == nil {
			into.anomalies = map[timeline.Anomaly]int64{}
		}
		into.anomalies[a] += n
	}
	if p.best != nil && e.better(p.best, into.best) {
		into.best = p.best
	}
	for a, c := range p.byAnomaly {
		into.keep(e, a, c)
	}
	into.complete = into.complete && p.complete
}

// A worker explores with its own target (the machine, or a Runner).
type worker struct {
	e   *Explorer
	t   target
	m   *machine // t, when it is the machine: its state can be saved
	n   int      // actors; the clock is participant n
	res partial

	path []int       // participants of the steps taken since reset
	fps  []Footprint // their footprints
	en   []int       // scratch: enabled participants

	nodes     []node
	limit     int64 // stop each task after this many schedules (0: none)
	runs      int64 // schedules of the current task
	polls     int   // calls of stopped
	flush     int64 // runs not yet added to the shared progress
	stale     int64
	pruned    int64
	uncounted int64
	ctx       context.Context

	reduced bool      // the reduction is on (but for canon)
	bounded bool      // a bounded search with the reduction: counts classes in the bound
	canon   bool      // the bounded tree, counting canonical schedules only
	ds      *dpor     // the optimal DPOR search's state (a scenario's reduced search)
	needFP  bool      // keep fps and the nodes' fp
	pcg     *rand.PCG // sampled modes' generator, reseeded per schedule
	rng     *rand.Rand
	mz      minimizer // minimize's program, reused
	scratch []int
	seen    [8]timeline.Anomaly // scratch: a schedule's anomalies
}

func (e *Explorer) newWorker(ctx context.Context) (*worker, error) {
	w := &worker{e: e, n: len(e.names) - 1, ctx: ctx, res: partial{complete: true}}
	switch {
	case e.sys != nil:
		t, err := e.sys.NewTarget()
		if err != nil {
			return nil, err
		}
		w.t = extTarget{t}
	case e.opts.RESP || e.opts.Direct:
		r, err := NewRunner(e.sc, Options{NoStates: true, Direct: e.opts.Direct})
		if err != nil {
			return nil, err
		}
		r.lean = true
		w.t = newRunnerTarget(r, e.por)
	default:
		w.m = e.prog.newMachine()
		w.t = w.m
	}
	// Footprints serve the reduction and minimize; the naive search needs
	// none (but tests look at them).
	w.canon = e.canonical()
	w.bounded = e.reduced() && e.opts.Bounded
	w.reduced = e.reduced() && !w.canon
	w.needFP = e.reduced() || e.opts.Mode != Exhaustive || e.onLeaf != nil
	if w.reduced && e.sys == nil && !e.opts.sleepSets {
		w.ds = newDPOR(w.n+1, e.por.expires, e.symmetry(), e.observers())
	}
	return w, nil
}

func (w *worker) close() {
	w.publish()
	w.t.close()
}

// publish adds the worker's recent counts to the shared progress.
func (w *worker) publish() {
	w.e.runs.Add(w.flush)
	w.e.stale.Add(w.stale)
	w.e.pruned.Add(w.pruned)
	w.e.uncounted.Add(w.uncounted)
	w.flush, w.stale, w.pruned, w.uncounted = 0, 0, 0, 0
}

// prune counts a prefix the reduction abandoned.
func (w *worker) prune() {
	w.res.pruned++
	w.pruned++
}

// reset brings the target back to the start.
func (w *worker) reset() error {
	if err := w.t.reset(); err != nil {
		return err
	}
	w.path, w.fps = w.path[:0], w.fps[:0]
	return nil
}

// enabled lists the participants that can take a step, actors in order and
// then the clock.
func (w *worker) enabled() []int {
	w.en = w.t.enabled(w.en[:0])
	return w.en
}

// footprint returns what participant p's next step touches.
func (w *worker) footprint(p int) Footprint {
	if p == w.n {
		return Footprint{Who: p, All: true}
	}
	fp := w.t.footprint(p)
	fp.Who = p
	return fp
}

// step runs participant p's next step.
func (w *worker) step(p int) error {
	if w.needFP {
		return w.stepKnown(p, w.footprint(p))
	}
	w.path = append(w.path, p)
	w.res.steps++
	return w.t.step(p)
}

// stepKnown runs participant p's next step, whose footprint is fp.
func (w *worker) stepKnown(p int, fp Footprint) error {
	w.fps = append(w.fps, fp)
	w.path = append(w.path, p)
	w.res.steps++
	return w.t.step(p)
}

// replay resets and takes the steps of path.
func (w *worker) replay(path []int) error {
	if err := w.reset(); err != nil {
		return err
	}
	for _, p := range path {
		if err := w.step(p); err != nil {
			return err
		}
	}
	return nil
}

// stopped reports whether the current task should stop.
func (w *worker) stopped() bool {
	if w.limit > 0 && w.runs >= w.limit {
		return true
	}
	// Asking the context takes a lock: once in a while is soon enough, and
	// then the progress is published, schedules completed or not.
	w.polls++
	if w.polls%128 != 0 {
		return false
	}
	w.publish()
	return w.ctx.Err() != nil
}

// leaf judges the complete schedule just run.
func (w *worker) leaf(pre int) error {
	fewest := -1 // the fewest preemptions of the schedule's class, once known
	if w.bounded {
		w.runs++ // work done, for Limit, even if not counted
		f, ok, err := w.inBound(pre)
		if err != nil || !ok {
			return err
		}
		w.runs--
		fewest = f
	}
	if w.e.onLeaf != nil {
		w.e.onLeaf(w)
	}
	w.res.runs++
	w.runs++
	w.flush++
	if w.flush >= 64 {
		w.publish()
	}
	seen, stale, err := w.t.judge(w.path, w.seen[:0])
	if err != nil || !stale {
		return err
	}
	w.res.stale++
	w.stale++
	if w.res.anomalies == nil {
		w.res.anomalies = map[timeline.Anomaly]int64{}
	}
	for _, a := range seen {
		w.res.anomalies[a]++
	}
	c := candidate{path: w.path, pre: pre}
	if (w.reduced || w.e.opts.Mode != Exhaustive) && !w.canon {
		// The schedule stands for its class (and, with symmetry, its
		// orbit): the best of them, if it can beat the best so far.
		if !w.mayImprove(seen, 0, len(c.path)) {
			return nil
		}
		ok := fewest >= 0
		if !ok {
			fewest, ok = w.mz.fewest(w, w.path, w.fps, int(unreachable-1))
		}
		if ok {
			if !w.mayImprove(seen, fewest, len(c.path)) {
				return nil
			}
			c.pre = fewest
			if w.e.renaming != nil {
				c.path = w.minimizeOrbit(fewest)
			} else {
				c.path = w.lexLeast(fewest)
			}
		}
	}
	if w.e.better(&c, w.res.best) {
		w.res.best = &candidate{path: slices.Clone(c.path), pre: c.pre}
	}
	for _, a := range seen {
		w.res.keep(w.e, a, &c)
	}
	return nil
}

// mayImprove says whether a stale schedule of n steps with pre
// preemptions (at least), serving anomalies seen, could beat a best
// counterexample: not when each of them (and the best overall) has one
// already with fewer preemptions, or as many and fewer steps.
func (w *worker) mayImprove(seen []timeline.Anomaly, pre, n int) bool {
	beaten := func(b *candidate) bool {
		return b != nil && (b.pre < pre || b.pre == pre && len(b.path) < n)
	}
	if !beaten(w.res.best) {
		return true
	}
	for _, a := range seen {
		if !beaten(w.res.byAnomaly[a]) {
			return true
		}
	}
	return false
}

// keep makes c (copied) the best counterexample of anomaly a if it is
// better than the one there.
func (p *partial) keep(e *Explorer, a timeline.Anomaly, c *candidate) {
	if !e.better(c, p.byAnomaly[a]) {
		return
	}
	if p.byAnomaly == nil {
		p.byAnomaly = map[timeline.Anomaly]*candidate{}
	}
	p.byAnomaly[a] = &candidate{path: slices.Clone(c.path), pre: c.pre}
}

// runSampled runs Random or PCT mode: schedule i is drawn from a generator
// seeded with (Seed, i); workers take schedules in chunks.
func (e *Explorer) runSampled(ctx context.Context) (partial, error) {
	const chunk = 64
	var next atomic.Int64
	total := int64(e.opts.Samples)
	return e.parallel(ctx, func(w *worker) error {
		for {
			start := next.Add(chunk) - chunk
			if start >= total || ctx.Err() != nil {
				return nil
			}
			for i := start; i < min(start+chunk, total); i++ {
				// The same generator as rand.New(rand.NewPCG(Seed, i)), reused.
				if w.pcg == nil {
					w.pcg = rand.NewPCG(0, 0)
					w.rng = rand.New(w.pcg)
				}
				w.pcg.Seed(e.opts.Seed, uint64(i))
				rng := w.rng
				var err error
				if e.opts.Mode == PCT {
					err = w.pct(rng)
				} else {
					err = w.random(rng)
				}
				if err != nil {
					return err
				}
			}
		}
	})
}

// parallel runs body on each worker and merges their results.
func (e *Explorer) parallel(ctx context.Context, body func(*worker) error) (partial, error) {
	n := e.workers()
	ws := make([]*worker, n)
	for i := range ws {
		w, err := e.newWorker(ctx)
		if err != nil {
			for _, v := range ws[:i] {
				v.close()
			}
			return partial{}, err
		}
		ws[i] = w
	}
	errs := make([]error, n)
	if n == 1 {
		errs[0] = body(ws[0]) // no goroutine to start, nor a stack to grow
	} else {
		var wg sync.WaitGroup
		for i, w := range ws {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = body(w)
			}()
		}
		wg.Wait()
	}
	tot := partial{complete: true}
	for _, w := range ws {
		w.close()
		e.merge(&tot, &w.res)
	}
	return tot, errors.Join(errs...)
}

// preempts reports whether taking p after last, with last still able to
// run, is a preemption.
func (w *worker) preempts(last, p int, lastEnabled bool) bool {
	return p != w.n && last >= 0 && p != last && lastEnabled
}

// walk runs one schedule from the start, letting choose pick among the
// enabled participants at each step, and counts its preemptions. after, if
// set, is called with the participant that just took step number taken.
func (w *worker) walk(choose func(en []int) int, after func(p, taken int)) error {
	if err := w.reset(); err != nil {
		return err
	}
	pre, last := 0, -1
	for taken := 1; ; taken++ {
		en := w.enabled()
		if len(en) == 0 {
			return w.leaf(pre)
		}
		p := choose(en)
		if w.preempts(last, p, last >= 0 && slices.Contains(en, last)) {
			pre++
		}
		if p != w.n {
			last = p
		}
		if err := w.step(p); err != nil {
			if errors.Is(err, ErrPrune) {
				w.res.pruned++ // the walk is not a schedule
				return nil
			}
			return err
		}
		if after != nil {
			after(p, taken)
		}
	}
}

// random runs one uniformly random walk.
func (w *worker) random(rng *rand.Rand) error {
	return w.walk(func(en []int) int { return en[rng.IntN(len(en))] }, nil)
}

// pct runs one PCT schedule: participants get distinct random priorities
// Depth..Depth+n; the highest-priority enabled one runs; after the step
// numbered by the i-th change point, the one that ran drops to Depth-i.
func (w *worker) pct(rng *rand.Rand) error {
	d := w.e.opts.Depth
	prio := make([]int, w.n+1)
	for i, p := range rng.Perm(w.n + 1) {
		prio[i] = d + p
	}
	k := max(w.e.maxSteps, 1)
	changes := make([]int, d-1)
	for i := range changes {
		changes[i] = 1 + rng.IntN(k)
	}
	highest := func(en []int) int {
		p := en[0]
		for _, q := range en[1:] {
			if prio[q] > prio[p] {
				p = q
			}
		}
		return p
	}
	return w.walk(highest, func(p, taken int) {
		for i, c := range changes {
			if c == taken {
				prio[p] = d - 1 - i
			}
		}
	})
}
