package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// exploreFlags are the explore command's options.
type exploreFlags struct {
	sf             scenarioFlags
	asJSON         bool
	noReduction    bool
	noSymmetry     bool
	noObservers    bool
	estimate       bool
	noShrink       bool
	maxPreemptions int
	random, pct    int
	depth          int
	seed           uint64
	workers        int
	limit          int64
	resp           bool
	timeout        time.Duration
	lf             *limitFlags
}

func newExploreCmd() *cobra.Command {
	var f exploreFlags
	cmd := &cobra.Command{
		Use:   "explore NAME|FILE",
		Short: "Run every schedule of a scenario and report the ones that serve stale data",
		Long: `Run a scenario along many schedules (orders of the actors' steps, each
step starting when the previous one ends, "clock" ticks where a TTL can run
out in between) and report how many serve a stale read, by anomaly, and for
each anomaly the stale schedule with the fewest preemptions (switching away
from an actor that could still run), then the fewest steps. Replay one with
'racetape run NAME --schedule "..."'.

By default every schedule is covered, with partial-order reduction: of
schedules that differ only in the order of steps that cannot affect each
other (different keys, two reads, ...) one is run, and actors with the same
program are explored once up to renaming; no schedule is started and then
abandoned (optimal DPOR), except where a key can expire during a run (sleep
sets). Where no actors are identical, or with --no-symmetry, two writes of
a key that no read sees (a SET or DEL, then another write of the key
before any read of it) are run in one order only (observers; not under
--max-preemptions). Every anomaly the full search finds is found, with the
same counterexample. --no-reduction runs every schedule;
--no-symmetry every order of identical actors; --no-observers both orders
of writes no read sees; --max-preemptions K only the schedules with at
most K preemptions (each class once, the reduction still on). --estimate
prints about how many schedules the search would run, and exits.

Scenarios too large to enumerate take --random N (N random schedules) or
--pct N --depth D (N schedules of the PCT scheduler, which finds bugs of
depth D with a known probability); the seed is printed, and the same seed
gives the same result. Their counterexamples are shrunk to simpler
schedules serving the same anomaly (--no-shrink keeps them as found).
Results do not depend on --workers.

seed-matrix without --set explores each cell of the matrix and prints a
table.

A search stops after --timeout of wall time (default 1m), or at Ctrl-C,
and prints what the schedules run so far found, marked incomplete. Wall
time and rate go to stderr, with a progress line (and, past a second, an
estimate of the search's size and an ETA) that updates itself when stderr
is a terminal, and a line every 5 seconds when it is not.

Exit status: 0 no stale schedule, 1 at least one (or none, but the timed
run of "racetape run" serves stale data: its gaps are not among the
schedules; a note says so, and JSON has timed_run_stale_reads), 2 bad
input, or a search stopped (by --limit, --timeout or Ctrl-C) before finding
one.`,
		Example: `  racetape explore cache-aside
  racetape explore stale-set --json
  racetape explore stale-set --max-preemptions 1
  racetape explore seed-matrix --set cell=1s --max-preemptions 2 --estimate
  racetape explore double-delete --workers 4
  racetape explore seed-matrix --random 10000 --seed 1
  racetape explore seed-matrix --set cell=5s --pct 1000 --depth 3
  racetape explore big.yaml --random 100000 --timeout 10m`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplore(cmd, args[0], &f)
		},
	}
	f.sf.add(cmd)
	f.lf = newLimitFlags()
	f.sf.withLimits(f.lf)
	f.lf.addExplore(cmd)
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&f.noReduction, "no-reduction", false, "run every schedule, without partial-order reduction")
	fl.BoolVar(&f.noSymmetry, "no-symmetry", false, "explore identical actors in every order (they are explored once by default)")
	fl.BoolVar(&f.noObservers, "no-observers", false, "explore both orders of two writes of a key no read sees (SET, DEL; run once by default)")
	fl.BoolVar(&f.estimate, "estimate", false, "estimate how many schedules the search would run, and exit")
	fl.BoolVar(&f.noShrink, "no-shrink", false, "keep --random and --pct counterexamples as found (they are shrunk to simpler schedules by default)")
	fl.IntVar(&f.maxPreemptions, "max-preemptions", 0, "only schedules with at most K preemptions")
	fl.IntVar(&f.random, "random", 0, "run N uniformly random schedules instead of all")
	fl.IntVar(&f.pct, "pct", 0, "run N schedules of the PCT scheduler instead of all")
	fl.IntVar(&f.depth, "depth", 3, "PCT bug depth D (D-1 priority change points)")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of --random and --pct")
	fl.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "parallel workers (the result does not depend on it)")
	fl.Int64Var(&f.limit, "limit", 1_000_000, "stop an exhaustive search after about N schedules (0: no limit)")
	fl.BoolVar(&f.resp, "resp", false, "send cache steps through go-redis over RESP, as run does (slower, same result)")
	fl.DurationVar(&f.timeout, "timeout", time.Minute, "stop after this much wall time with what the schedules run so far found, marked incomplete (0: no limit)")
	return cmd
}

// options turns the flags into engine options.
func (f *exploreFlags) options(cmd *cobra.Command) (engine.ExploreOptions, error) {
	changed := cmd.Flags().Changed
	lim, err := f.lf.limits()
	if err != nil {
		return engine.ExploreOptions{}, err
	}
	opts := engine.ExploreOptions{
		NoReduction: f.noReduction, NoSymmetry: f.noSymmetry, NoObservers: f.noObservers, NoShrink: f.noShrink, Seed: f.seed, Workers: f.workers,
		Limit: f.limit, RESP: f.resp, Limits: lim,
	}
	switch {
	case changed("random") && changed("pct"):
		return opts, errors.New("--random and --pct are exclusive")
	case changed("random"):
		opts.Mode, opts.Samples = engine.Random, f.random
	case changed("pct"):
		opts.Mode, opts.Samples, opts.Depth = engine.PCT, f.pct, f.depth
	}
	if changed("max-preemptions") {
		opts.Bounded, opts.MaxPreemptions = true, f.maxPreemptions
	}
	if changed("depth") && opts.Mode != engine.PCT {
		return opts, errors.New("--depth goes with --pct")
	}
	if changed("seed") && opts.Mode == engine.Exhaustive {
		return opts, errors.New("--seed goes with --random or --pct")
	}
	if f.estimate && opts.Mode != engine.Exhaustive {
		return opts, errors.New("--estimate applies to the exhaustive search; --random and --pct run N schedules")
	}
	if changed("limit") && opts.Mode != engine.Exhaustive {
		return opts, errors.New("--limit applies to the exhaustive search; --random and --pct run N schedules")
	}
	if f.workers < 1 {
		return opts, errors.New("--workers must be at least 1")
	}
	if _, err := engine.ParseConsistency(f.sf.cons); err != nil {
		return opts, fmt.Errorf("--consistency: %w", err)
	}
	if f.timeout < 0 {
		return opts, errors.New("--timeout must be 0 (no limit) or more")
	}
	return opts, nil
}

func runExplore(cmd *cobra.Command, arg string, f *exploreFlags) error {
	opts, err := f.options(cmd)
	if err != nil {
		return usageErr(err)
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
	defer stop()
	if f.timeout > 0 {
		// The engine never reads the wall clock: the budget is the
		// context's deadline.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	if arg == "seed-matrix" && len(f.sf.sets) == 0 {
		if f.estimate {
			return usageErr(errors.New("--estimate takes one cell of seed-matrix: --set cell=1s"))
		}
		return exploreMatrix(ctx, cmd, opts, f)
	}
	sc, err := f.sf.load(arg)
	if err != nil {
		return err
	}
	if f.estimate {
		return estimateOne(ctx, cmd.OutOrStdout(), sc, opts, f.asJSON)
	}
	res, err := exploreOne(ctx, cmd.ErrOrStderr(), sc, opts, f.timeout)
	if err != nil {
		return err
	}
	note := ""
	if res.StaleSchedules == 0 && res.Complete && opts.Mode == engine.Exhaustive && !opts.Bounded {
		// Every schedule was run, and none is stale. Schedules run each
		// step as soon as the previous one ends: the
		// timed run's gaps (an actor's `at`) are not among them, and under
		// bounded:D or linearizable a gap can make a read stale.
		if tl, err := engine.Run(sc, engine.Options{NoStates: true}); err == nil && len(tl.StaleReads()) > 0 {
			res.TimedRunStale = len(tl.StaleReads())
			note = fmt.Sprintf("note: no explored schedule serves a stale read, but the timed run does (%d under %s: %s): explored schedules start each step as soon as the previous one ends, without the timed run's gaps\n",
				res.TimedRunStale, sc.Consistency, replayLine(arg, f.sf.sets, f.sf.cons, ""))
		}
	}
	w := cmd.OutOrStdout()
	if f.asJSON {
		if err := writeJSON(w, res); err != nil {
			return err
		}
	} else {
		writeExplore(w, res, func(schedule string) string { return replayLine(arg, f.sf.sets, f.sf.cons, schedule) }, stopReason(ctx, f.timeout))
	}
	if note != "" {
		if f.asJSON {
			fmt.Fprint(cmd.ErrOrStderr(), "racetape: "+note)
		} else {
			fmt.Fprint(w, note)
		}
		return &exitError{code: exitStale, err: errors.New("the timed run served stale data")}
	}
	return exploreVerdict(res.StaleSchedules, !res.Complete, stopReason(ctx, f.timeout), opts)
}

// estimateOne prints an estimate of the schedules an exhaustive search of
// sc would run.
func estimateOne(ctx context.Context, w io.Writer, sc *engine.Scenario, opts engine.ExploreOptions, asJSON bool) error {
	ex, err := engine.NewExplorer(sc, opts)
	if err != nil {
		return usageErr(err)
	}
	est, err := ex.Estimate(ctx)
	if err != nil {
		return usageErr(fmt.Errorf("estimate %s: %w", sc.Name, err))
	}
	if asJSON {
		return writeJSON(w, struct {
			Scenario       string          `json:"scenario"`
			Reduction      string          `json:"reduction"`
			MaxPreemptions *int            `json:"max_preemptions,omitempty"`
			Estimate       engine.Estimate `json:"estimate"`
		}{sc.Name, ex.Reduction(), boundOf(opts), est})
	}
	what := "every schedule"
	if opts.Bounded {
		what = fmt.Sprintf("every schedule with at most %s", plural(opts.MaxPreemptions, "preemption"))
	}
	if r := ex.Reduction(); r != "none" {
		what += ", " + engine.ReductionText(r)
	}
	fmt.Fprintf(w, "%s: %s\n", sc.Name, what)
	observers := est.Upper && !est.Unreduced
	switch {
	case est.Unreduced:
		fmt.Fprintf(w, "estimate          %s schedules to run, from %d random walks of the search without the reduction\n", est, est.Walks)
		fmt.Fprintf(w, "                  (no random walk of the reduced search reached a schedule, so this counts the\n                  unreduced search: the reduced one runs far fewer)\n")
		return nil
	case est.Walks == 0 && observers:
		fmt.Fprintf(w, "estimate          at most %.0f schedules to run (counted without observers)\n", est.Schedules)
		return nil
	case est.Walks == 0:
		fmt.Fprintf(w, "estimate          %.0f schedules to run (the search is small enough to count)\n", est.Schedules)
		return nil
	}
	fmt.Fprintf(w, "estimate          %s schedules to run, from %d random walks of the search\n", est, est.Walks)
	switch {
	case observers:
		fmt.Fprintf(w, "                  (counted without observers: writes no read sees, in either order, run once, so the\n                  search runs fewer)\n")
	case est.Rough:
		fmt.Fprintf(w, "                  (identical actors are explored once, and the walks count such searches low: by a sixth\n                  with five identical actors, up to twenty times with nine)\n")
	}
	return nil
}

// boundOf is the preemption bound of opts, if any.
func boundOf(opts engine.ExploreOptions) *int {
	if !opts.Bounded {
		return nil
	}
	k := opts.MaxPreemptions
	return &k
}

// stopReason says why a search ended before its end, from its context: ""
// (it did not), "interrupted" (Ctrl-C), or the time budget.
func stopReason(ctx context.Context, timeout time.Duration) string {
	switch {
	case ctx.Err() == nil:
		return ""
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Sprintf("stopped at the --timeout of %s", timeout)
	}
	return "interrupted"
}

// exploreVerdict is the exit status: stale schedules found (even by a
// search cut short), none, or a search that stopped (for the reason stop,
// or at the limit) before it could say.
func exploreVerdict(stale int64, incomplete bool, stop string, opts engine.ExploreOptions) error {
	switch {
	case stale > 0:
		return &exitError{code: exitStale, err: fmt.Errorf("%d stale schedules", stale)}
	case stop != "":
		return usageErr(fmt.Errorf("%s before covering every schedule, and found no stale one", stop))
	case incomplete:
		return usageErr(fmt.Errorf("the search stopped at --limit %d before covering every schedule, and found no stale one; raise --limit or use --random/--pct", opts.Limit))
	}
	return nil
}

// exploreOne runs one exploration, with a progress line on a terminal and
// the wall time and rate on stderr.
func exploreOne(ctx context.Context, stderr io.Writer, sc *engine.Scenario, opts engine.ExploreOptions, timeout time.Duration) (*engine.ExploreResult, error) {
	ex, err := engine.NewExplorer(sc, opts)
	if err != nil {
		return nil, usageErr(err)
	}
	start := time.Now()
	stopProgress := progressLine(stderr, sc.Name, ex, start, opts.Limit)
	res, err := ex.Run(ctx)
	stopProgress()
	wall := time.Since(start)
	if err != nil {
		if ctx.Err() == nil || res == nil {
			return nil, usageErr(fmt.Errorf("explore %s: %w", sc.Name, err))
		}
		// Stopped: what was found so far is still worth showing.
		fmt.Fprintf(stderr, "racetape: %s: %s; the result covers the schedules run so far\n", sc.Name, stopReason(ctx, timeout))
	}
	perStep := ""
	if res.SchedulesRun > 0 {
		perStep = fmt.Sprintf(", %.1f steps/schedule", float64(res.Steps)/float64(res.SchedulesRun))
	}
	fmt.Fprintf(stderr, "racetape: %s: %s in %s (%s schedules/s%s)\n",
		sc.Name, plural(int(res.SchedulesRun), "schedule"), wall.Round(time.Microsecond), rate(res.SchedulesRun, wall), perStep)
	return res, nil
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(n)/d.Seconds(), 'f', 0, 64)
}

// progressLine reports "schedules done, stale found, prefixes abandoned,
// rate" on stderr once a run takes longer than a second: on a terminal, a
// line that rewrites itself every quarter second; elsewhere (a log, a CI
// job), a line every progressEvery. An exhaustive search that goes on
// past the first second is estimated meanwhile (engine.Explorer.Estimate,
// on a target of its own): the line then says of about how many, and when
// it should end; and it says so once when the estimate is over the limit.
// The returned function stops it and clears a terminal's line.
func progressLine(stderr io.Writer, name string, ex *engine.Explorer, start time.Time, limit int64) func() {
	term := isTerminal(stderr)
	every := progressEvery
	if term {
		every = 250 * time.Millisecond
	}
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var est atomic.Pointer[engine.Estimate]
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		shown, estimating, warned := false, false, false
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(stderr, "\r\033[K")
				}
				return
			case <-tick.C:
				el := time.Since(start)
				if el < time.Second {
					continue
				}
				if !estimating {
					estimating = true
					wg.Add(1)
					go func() {
						defer wg.Done()
						if e, err := ex.Estimate(ctx); err == nil {
							est.Store(&e)
						}
					}()
				}
				e := est.Load()
				if e != nil && limit > 0 && e.Schedules > 2*float64(limit) && !warned {
					warned = true
					if shown {
						fmt.Fprint(stderr, "\r\033[K")
					}
					fmt.Fprintf(stderr, "racetape: %s: about %s schedules to run, more than --limit %d: the search will stop there (raise --limit, or use --random/--pct)\n", name, e.Count(), limit)
				}
				line := progressText(ex.Progress(), el, e)
				if !term {
					fmt.Fprintf(stderr, "racetape: %s: %s, %s so far\n", name, line, el.Round(time.Second))
					continue
				}
				fmt.Fprintf(stderr, "\r\033[Kexploring: %s", line)
				shown = true
			}
		}
	}()
	return func() {
		cancel()
		close(done)
		wg.Wait()
	}
}

// progressEvery is how often progress is reported where stderr is not a
// terminal.
const progressEvery = 5 * time.Second

// progressText is a progress line: "1200/5000 schedules, 3 stale, 412
// schedules/s", with the prefixes the reduction abandoned when there are
// any (a search can abandon millions while it completes no schedule). With
// an estimate of an exhaustive search: "1200 of ~5000 (±8%) schedules,
// ..., ETA 0:09" (ETA ? while the estimate is unsure, or has been passed).
func progressText(p engine.ExploreProgress, el time.Duration, est *engine.Estimate) string {
	of := ""
	run := p.Schedules + p.Uncounted
	switch {
	case p.Total > 0:
		of = fmt.Sprintf("/%d", p.Total)
	case est != nil:
		of = " of " + est.String()
	}
	s := fmt.Sprintf("%d%s schedules", run, of)
	if p.Uncounted > 0 {
		s += fmt.Sprintf(" (%d counted)", p.Schedules)
	}
	s += fmt.Sprintf(", %d stale", p.Stale)
	if p.Pruned > 0 {
		s += fmt.Sprintf(", %d prefixes abandoned", p.Pruned)
	}
	s += fmt.Sprintf(", %s schedules/s", rate(run, el))
	if est != nil && p.Total == 0 {
		s += ", ETA " + est.ETA(run, el)
	}
	return s
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func writeJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// describe says how the schedules were chosen.
func describe(res *engine.ExploreResult) string {
	switch res.Mode {
	case "random":
		return fmt.Sprintf("%d random schedules, seed %d", res.SchedulesRun, *res.Seed)
	case "pct":
		return fmt.Sprintf("%d PCT schedules, depth %d, seed %d", res.SchedulesRun, res.Depth, *res.Seed)
	}
	switch {
	case res.MaxPreemptions != nil:
		return fmt.Sprintf("every schedule with at most %s, %s", plural(*res.MaxPreemptions, "preemption"), engine.ReductionText(res.Reduction))
	case res.Reduction == "none":
		return "every schedule (no reduction)"
	}
	return "every schedule, " + engine.ReductionText(res.Reduction)
}

// writeExplore prints a result as text; stop says why the search stopped
// early, if it did.
func writeExplore(w io.Writer, res *engine.ExploreResult, replay func(schedule string) string, stop string) {
	fmt.Fprintf(w, "%s: %s\n", res.Scenario, describe(res))
	if res.Consistency != "strict" {
		fmt.Fprintf(w, "consistency       %s\n", res.Consistency)
	}
	fmt.Fprintf(w, "schedules run     %d\n", res.SchedulesRun)
	if res.Pruned > 0 {
		fmt.Fprintf(w, "                  (and %d prefixes the reduction abandoned: every next step led to schedules already covered)\n", res.Pruned)
	}
	if res.Uncounted > 0 {
		fmt.Fprintf(w, "                  (and %d more run to the end and not counted: equivalent to one of those, or over the bound whatever the order)\n", res.Uncounted)
	}
	fmt.Fprintf(w, "stale schedules   %d%s\n", res.StaleSchedules, percent(res.StaleSchedules, res.SchedulesRun))
	width := 16 // the anomaly names, counts aligned after the longest
	for a := range res.Anomalies {
		width = max(width, len(a)+1)
	}
	for _, a := range timeline.SortedAnomalies(res.Anomalies) {
		fmt.Fprintf(w, "  %-*s%d\n", width, string(a)+" ", res.Anomalies[a])
	}
	switch {
	case stop != "":
		fmt.Fprintf(w, "incomplete        %s: not every schedule was run\n", stop)
	case !res.Complete:
		fmt.Fprintf(w, "incomplete        stopped at --limit: not every schedule was run\n")
	}
	ce := res.Counterexample
	if ce == nil {
		fmt.Fprintf(w, "verdict           no schedule served a stale read\n")
		return
	}
	writeCounterexample(w, "counterexample", ce, replay)
	// Then the simplest schedule of each other anomaly found, simplest
	// first.
	var others []timeline.Anomaly
	for _, a := range timeline.SortedAnomalies(res.Anomalies) {
		if c := res.Counterexamples[a]; c != nil && a != ce.Anomaly {
			others = append(others, a)
		}
	}
	slices.SortStableFunc(others, func(a, b timeline.Anomaly) int {
		x, y := res.Counterexamples[a], res.Counterexamples[b]
		return cmp.Or(cmp.Compare(x.Preemptions, y.Preemptions), cmp.Compare(x.Steps, y.Steps))
	})
	for _, a := range others {
		writeCounterexample(w, string(a), res.Counterexamples[a], replay)
	}
}

// writeCounterexample prints a counterexample under label, with the
// command that replays it.
func writeCounterexample(w io.Writer, label string, ce *engine.Counterexample, replay func(schedule string) string) {
	fmt.Fprintf(w, "%-*s%s\n", max(18, len(label)+1), label, ce)
	fmt.Fprintf(w, "                  %s, %s, %s (%s)\n", plural(ce.Preemptions, "preemption"), plural(ce.Steps, "step"), ce.Anomaly, plural(ce.StaleReads, "stale read"))
	fmt.Fprintf(w, "                  %s\n", ce.Anomaly.Explain())
	fmt.Fprintf(w, "replay            %s\n", replay(ce.String()))
}

func percent(n, of int64) string {
	if of == 0 {
		return ""
	}
	return fmt.Sprintf(" (%.1f%%)", 100*float64(n)/float64(of))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// replayCommand is the command that runs arg with its parameters, judged
// by the consistency model cons ("" or "strict": the default).
func replayCommand(arg string, sets []string, cons string) string {
	parts := []string{"racetape", "run", shellQuote(arg)}
	for _, s := range sets {
		parts = append(parts, "--set", shellQuote(s))
	}
	if cons != "" && cons != "strict" {
		parts = append(parts, "--consistency", shellQuote(cons))
	}
	return strings.Join(parts, " ")
}

// replayLine is the whole command that replays schedule ("": the timed
// run) of arg; a scenario read from standard input needs it there again.
func replayLine(arg string, sets []string, cons string, schedule string) string {
	line := replayCommand(arg, sets, cons)
	if schedule != "" {
		line += fmt.Sprintf(" --schedule %q", schedule)
	}
	if arg == "-" {
		line += " < the same scenario"
	}
	return line
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// A matrixCell is one row of the seed-matrix table.
type matrixCell struct {
	Cell    string                `json:"cell"`
	TTL     string                `json:"ttl"`
	Readers int                   `json:"readers"`
	Writers int                   `json:"writers"`
	Result  *engine.ExploreResult `json:"result"`
}

// exploreMatrix explores each cell of seed-matrix and prints a table.
func exploreMatrix(ctx context.Context, cmd *cobra.Command, opts engine.ExploreOptions, f *exploreFlags) error {
	var cells []matrixCell
	var stale int64
	incomplete := false
	for _, c := range presets.MatrixCells {
		sc, err := presets.GetWith("seed-matrix", presets.MatrixCellParams(c, 1))
		if err != nil {
			return usageErr(err)
		}
		if sc.Consistency, err = f.sf.consistency(); err != nil {
			return err
		}
		sc.Name += " cell=" + c.Name
		res, err := exploreOne(ctx, cmd.ErrOrStderr(), sc, opts, f.timeout)
		if err != nil {
			return err
		}
		res.Scenario = "seed-matrix"
		cells = append(cells, matrixCell{Cell: c.Name, TTL: c.TTL.String(), Readers: c.Readers, Writers: c.Writers, Result: res})
		stale += res.StaleSchedules
		incomplete = incomplete || !res.Complete
		if ctx.Err() != nil {
			break // the cells so far, the rest not run
		}
	}
	w := cmd.OutOrStdout()
	if f.asJSON {
		if err := writeJSON(w, struct {
			Scenario string       `json:"scenario"`
			Cells    []matrixCell `json:"cells"`
		}{"seed-matrix", cells}); err != nil {
			return err
		}
	} else {
		writeMatrix(w, cells, stopReason(ctx, f.timeout))
	}
	return exploreVerdict(stale, incomplete, stopReason(ctx, f.timeout), opts)
}

func writeMatrix(w io.Writer, cells []matrixCell, stop string) {
	fmt.Fprintf(w, "seed-matrix: %s per cell\n", describe(cells[0].Result))
	fmt.Fprintf(w, "%-5s %-4s %7s %7s %10s %16s  %s\n", "cell", "TTL", "readers", "writers", "schedules", "stale", "anomalies (stale schedules)")
	cut := false
	for _, c := range cells {
		r := c.Result
		var an []string
		for _, a := range timeline.SortedAnomalies(r.Anomalies) {
			an = append(an, fmt.Sprintf("%s %d", a, r.Anomalies[a]))
		}
		runs := strconv.FormatInt(r.SchedulesRun, 10)
		if !r.Complete {
			runs += "+" // stopped short
			cut = true
		}
		fmt.Fprintf(w, "%-5s %-4s %7d %7d %10s %16s  %s\n", c.Cell, c.TTL, c.Readers, c.Writers, runs,
			fmt.Sprintf("%d%s", r.StaleSchedules, percent(r.StaleSchedules, r.SchedulesRun)), strings.Join(an, ", "))
	}
	if cut && stop == "" {
		fmt.Fprintf(w, "+ incomplete: the search stopped at --limit before it had run every schedule, so a cell with\n  no stale schedule proves nothing; sample them instead: racetape explore seed-matrix --random 10000\n")
	}
	if stop != "" {
		fmt.Fprintf(w, "%s: the last cell shown is partial, and the cells after it were not run\n", stop)
	}
	fmt.Fprintf(w, "replay a cell: racetape explore seed-matrix --set cell=NAME ... (its counterexample and replay command)\n")
}
