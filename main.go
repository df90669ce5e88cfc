// Command racetape turns a cache/database race into a rewindable tape: it
// runs reader and writer actors on a virtual clock against an embedded Redis
// and an in-memory database, and shows where a stale value was served.
//
// Exit status: 0 no stale read served, 1 at least one stale read served, 2
// bad input or usage.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
	"github.com/racetape/racetape/tui"
)

// Exit statuses.
const (
	exitClean = 0
	exitStale = 1
	exitUsage = 2
)

// An exitError carries the status the process ends with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run under ctx (explore stops, with what it found, when ctx
// is cancelled).
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runIO(ctx, args, os.Stdin, stdout, stderr)
}

// runIO is runContext with stdin, what a scenario file "-" reads.
func runIO(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetIn(stdin)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitClean
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitStale {
			fmt.Fprintf(stderr, "racetape: %v\n", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown command or flag, wrong arguments.
	fmt.Fprintf(stderr, "racetape: %v\nRun 'racetape --help' for usage.\n", err)
	return exitUsage
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var rootTUI tuiFlags
	root := &cobra.Command{
		Use:   "racetape",
		Short: "Turn a cache/database race into a rewindable tape",
		Long: `racetape runs reader and writer actors on a virtual clock against a real
embedded Redis (miniredis) and an in-memory database, records every step,
and shows exactly where a stale value was served and why.

With no command it opens the TUI on the cache-aside preset. A scenario file
may be "-", standard input.

No input can exhaust memory or run without end: a scenario file, its
steps, actors, keys and virtual time, a schedule, and an exploration's
workers, depth and time are bounded by limits with defaults that serve any
real scenario, each raised by a --max-* flag of the command (see
'racetape run --help' and 'racetape explore --help').

Exit status: 0 no stale read served, 1 at least one stale read served,
2 bad input or usage.`,
		Example: `  racetape                         # TUI on the default preset
  racetape list                    # the built-in scenarios
  racetape run cache-aside         # lanes + verdict as text, exit 1 if stale
  racetape run lease --json        # the same as JSON
  racetape explore stale-set       # every schedule, the simplest counterexample
  racetape validate my-race.yaml   # check a scenario file`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		Version:       version(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !isTerminal(cmd.OutOrStdout()) {
				// No terminal to draw on (racetape | cat, a CI log): the
				// same run as text, instead of a blank screen.
				return runText(cmd, "cache-aside", scenarioFlags{}, "", engine.DefaultLimits.Schedule, "", 100, false)
			}
			return runTUI(cmd, "cache-aside", rootTUI)
		},
	}
	rootTUI.add(root)
	root.SetVersionTemplate("racetape {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(plainFlagError(err)) })
	root.AddCommand(newListCmd(), newRunCmd(), newValidateCmd(), newTUICmd(), newExploreCmd(), newExportCmd(), newCompareCmd())
	strictCompletion(root)
	return root
}

// strconvFailure is how pflag passes on strconv's errors: `…: strconv.ParseUint:
// parsing "-1": invalid syntax`.
var strconvFailure = regexp.MustCompile(`strconv\.Parse(\w+): parsing "(?:[^"\\]|\\.)*": (invalid syntax|value out of range)$`)

// plainFlagError says what a number flag wants instead of how strconv
// failed to read it.
func plainFlagError(err error) error {
	m := strconvFailure.FindStringSubmatchIndex(err.Error())
	if m == nil {
		return err
	}
	msg := err.Error()
	kind, why := msg[m[2]:m[3]], msg[m[4]:m[5]]
	want := "out of range"
	switch {
	case why == "invalid syntax" && kind == "Uint":
		want = "want a whole number, 0 or more"
	case why == "invalid syntax" && kind == "Int":
		want = "want a whole number"
	case why == "invalid syntax":
		want = "want a number"
	}
	return errors.New(msg[:m[0]] + want)
}

// strictCompletion makes `racetape completion SHELL` with a shell it has
// no script for a usage error (cobra prints help and exits 0).
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sh := range c.Commands() {
			shells = append(shells, sh.Name())
		}
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("completion: unknown shell %q (racetape has scripts for %s)", args[0], strings.Join(shells, ", ")))
			}
			return nil
		}
		c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	}
}

func newListCmd() *cobra.Command {
	var long bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios, one line each (--long: with their lessons)",
		Example: `  racetape list
  racetape list --long`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			width := 0
			for _, n := range presets.Names() {
				width = max(width, len(n))
			}
			for i, p := range presets.All() {
				if !long {
					fmt.Fprintf(w, "%-*s  %s\n", width, p.Name, p.Title)
					continue
				}
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s — %s\n", p.Name, p.Title)
				for _, para := range presets.LessonOf(p.Name).Paragraphs() {
					for _, line := range wrapWords(para, 76) {
						fmt.Fprintf(w, "  %s\n", line)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&long, "long", false, "say what each preset teaches: what to watch for, why, the fix and its cost")
	return cmd
}

// wrapWords breaks text into lines of at most width bytes at spaces.
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = "  " + w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// scenarioFlags are the flags every command that loads and judges a
// scenario takes.
type scenarioFlags struct {
	sets []string
	cons string
	// lim, when set, are the command's --max-* flags (else the default
	// limits apply).
	lim *limitFlags
	cmd *cobra.Command
}

func (f *scenarioFlags) add(cmd *cobra.Command) {
	f.cmd = cmd
	cmd.Flags().StringArrayVar(&f.sets, "set", nil, "parameter of a generated preset, as key=value (repeatable; seed-matrix: "+presets.MatrixParams+")")
	cmd.Flags().StringVar(&f.cons, "consistency", "strict", "the model reads are judged by: "+engine.ConsistencyHelp)
}

// consistency returns the --consistency model.
func (f *scenarioFlags) consistency() (engine.Consistency, error) {
	c, err := engine.ParseConsistency(f.cons)
	if err != nil {
		return c, usageErr(fmt.Errorf("--consistency: %w", err))
	}
	return c, nil
}

// withLimits registers the --max-* flags on reading a scenario.
func (f *scenarioFlags) withLimits(lf *limitFlags) {
	f.lim = lf
	lf.addScenario(f.cmd)
}

// loader returns the scenario loader under the limits set; "-" reads the
// command's standard input.
func (f *scenarioFlags) loader() (presets.Loader, error) {
	ld := presets.Loader{}
	if f.cmd != nil {
		ld.Stdin = f.cmd.InOrStdin()
	}
	if f.lim != nil {
		lim, err := f.lim.limits()
		if err != nil {
			return ld, err
		}
		ld.Limits = lim
	}
	return ld, nil
}

// load resolves a preset name or a scenario file ("-": standard input),
// judged by the --consistency model; every failure is bad input.
func (f *scenarioFlags) load(arg string) (*engine.Scenario, error) {
	cons, err := f.consistency()
	if err != nil {
		return nil, err
	}
	ld, err := f.loader()
	if err != nil {
		return nil, err
	}
	var sc *engine.Scenario
	if len(f.sets) == 0 {
		sc, err = ld.Resolve(arg)
	} else {
		var params presets.Params
		if params, err = f.params(); err != nil {
			return nil, err
		}
		sc, err = ld.GetWith(arg, params)
	}
	if err != nil {
		return nil, usageErr(didYouMean(err, arg))
	}
	sc.Consistency = cons
	return sc, nil
}

// params returns the --set parameters (nil without any).
func (f *scenarioFlags) params() (presets.Params, error) {
	if len(f.sets) == 0 {
		return nil, nil
	}
	params := presets.Params{}
	for _, s := range f.sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("--set %q: want key=value", s))
		}
		params[k] = v
	}
	return params, nil
}

func parseScheduleFlag(s string) ([]string, error) {
	return parseScheduleMax(s, engine.DefaultLimits.Schedule)
}

// parseScheduleMax parses --schedule, of at most most entries.
func parseScheduleMax(s string, most int) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	names, err := engine.ParseScheduleMax(s, most)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--schedule: %w", err))
	}
	return names, nil
}

func newRunCmd() *cobra.Command {
	var (
		sf       scenarioFlags
		lf       = newLimitFlags()
		asJSON   bool
		schedule string
		redis    string
		width    int
	)
	cmd := &cobra.Command{
		Use:   "run NAME|FILE|TAPE",
		Short: "Run a scenario headless: plain-text lanes and the verdict",
		Long: `Run a preset (see 'racetape list') or a scenario file, print the lanes of
every actor plus the cache and db lanes, the stale reads and divergences,
and a verdict. Exit status 1 when at least one stale read was served.
A TAPE (a .json file: a run racetest saved, or 'run --json') is shown as
it was recorded.

--consistency chooses the model reads are judged by: strict (the default:
a read is stale unless its value was committed at some instant of the
read), linearizable (a write is an operation — the db.write with the
invalidations its actor takes after it — and reads that overlap it may
return either side), or bounded:D (stale only when older than D).

--schedule replaces the virtual clock's order with your own: one actor name
per step ("writer reader writer"), each step starting when the previous one
ends; "name*3" repeats a name, and "clock" advances the clock to the next
TTL expiry.

--redis runs the cache steps against a real Redis server (127.0.0.1 only
recommended; keys are prefixed with racetape:<scenario>: and removed after).
The virtual clock cannot move a real server's clock, so TTLs then follow
wall time: scenarios whose verdict depends on expiry (ttl-only, ttl-boundary,
seed-matrix) give different results there.`,
		Example: `  racetape run cache-aside
  racetape run cache-aside --schedule "writer reader writer"
  racetape run lease --json
  racetape run stale-set --consistency bounded:10ms
  racetape run seed-matrix --set cell=5s --set seed=7
  racetape run ./my-race.yaml --redis 127.0.0.1:6379
  generate-scenario | racetape run -   # the scenario from standard input`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			if width < minWidth || width > maxWidth {
				return usageErr(fmt.Errorf("--width %d: want %d to %d columns", width, minWidth, maxWidth))
			}
			return runText(cmd, args[0], sf, schedule, lf.lim.Schedule, redis, width, asJSON)
		},
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run as JSON (times in microseconds from the epoch)")
	cmd.Flags().StringVar(&schedule, "schedule", "", "run in this order of actor names instead of the virtual clock's")
	cmd.Flags().StringVar(&redis, "redis", "", "use the real Redis server at ADDR instead of the embedded miniredis")
	cmd.Flags().IntVar(&width, "width", 100, fmt.Sprintf("width of the text lanes in columns (%d to %d)", minWidth, maxWidth))
	sf.withLimits(lf)
	lf.addSchedule(cmd)
	return cmd
}

// runText runs a scenario headless, or opens a tape (a .json file a
// failing racetest wrote), and prints its lanes and verdict (in color on
// a terminal, unless NO_COLOR), or its JSON.
func runText(cmd *cobra.Command, arg string, sf scenarioFlags, schedule string, most int, redis string, width int, asJSON bool) error {
	var tl *timeline.Timeline
	var err error
	if isTape(arg) {
		tl, err = tapeRun(cmd, arg, &sf)
	} else {
		tl, err = runScenario(&sf, arg, schedule, most, redis)
	}
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	switch {
	case asJSON:
		if _, err := w.Write(tl.JSON()); err != nil {
			return err
		}
		fmt.Fprintln(w)
	case wantColor(w):
		var b bytes.Buffer
		if err := tl.WriteText(&b, timeline.TextOptions{Width: width}); err != nil {
			return err
		}
		if err := colorText(w, b.Bytes()); err != nil {
			return err
		}
	default:
		if err := tl.WriteText(w, timeline.TextOptions{Width: width}); err != nil {
			return err
		}
	}
	if len(tl.StaleReads()) > 0 {
		return &exitError{code: exitStale, err: fmt.Errorf("%d stale reads", len(tl.StaleReads()))}
	}
	return nil
}

// The widths run's text may have: the lanes table needs a few columns,
// and a line of the table is as wide as the width allows.
const (
	minWidth = 20
	maxWidth = 1000
)

// runScenario runs a preset or scenario file, as run does, with a
// --schedule of at most most entries.
func runScenario(sf *scenarioFlags, arg, schedule string, most int, redis string) (*timeline.Timeline, error) {
	sc, err := sf.load(arg)
	if err != nil {
		return nil, err
	}
	sched, err := parseScheduleMax(schedule, most)
	if err != nil {
		return nil, err
	}
	tl, err := engine.Run(sc, engine.Options{Schedule: sched, Redis: redis})
	if err != nil {
		if errors.Is(err, engine.ErrScheduleActor) {
			return nil, usageErr(err)
		}
		return nil, usageErr(fmt.Errorf("run %s: %w", sc.Name, err))
	}
	return tl, nil
}

func newValidateCmd() *cobra.Command {
	lf := newLimitFlags()
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check scenario files and report every error",
		Long: `Check scenario files without running them. Every error of every file is
reported as FILE:LINE:COL: message, with the source line and a caret (the
first 100 errors of a file, then how many more). "-" reads standard input.
Exit status 2 when any file has an error, 0 when all are valid.`,
		Example: "  racetape validate scenarios/*.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lim, err := lf.limits()
			if err != nil {
				return err
			}
			errs := presets.Loader{Limits: lim, Stdin: cmd.InOrStdin()}.ValidateFiles(args...)
			w := cmd.ErrOrStderr()
			for _, err := range errs {
				fmt.Fprintln(w, err)
			}
			if len(errs) > 0 {
				return &exitError{code: exitUsage}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d file(s) valid\n", len(args))
			return nil
		},
	}
	lf.addScenario(cmd)
	return cmd
}

// tuiFlags are the tui command's options.
type tuiFlags struct {
	schedule string
	sf       scenarioFlags
	reveal   bool
	theme    string
	noMouse  bool
	watch    bool
}

// add registers the flags on cmd (tui, and the root command, which opens
// the TUI too).
func (f *tuiFlags) add(cmd *cobra.Command) {
	f.sf.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.schedule, "schedule", "", "run in this order of actor names instead of the virtual clock's")
	fl.BoolVar(&f.reveal, "reveal", true, "hide what lies ahead of the cursor, verdict included, until it is reached (presets; R toggles)")
	fl.StringVar(&f.theme, "theme", "auto", "colors: "+strings.Join(tui.Themes, ", ")+" (auto: the terminal's background)")
	fl.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal (select text as usual; the wheel no longer scrolls)")
	fl.BoolVar(&f.watch, "watch", false, "reload the scenario file when it changes")
	_ = cmd.RegisterFlagCompletionFunc("theme", cobra.FixedCompletions(tui.Themes, cobra.ShellCompDirectiveNoFileComp))
}

func newTUICmd() *cobra.Command {
	var f tuiFlags
	cmd := &cobra.Command{
		Use:   "tui [NAME|FILE|TAPE]",
		Short: "Step through a scenario in the terminal UI",
		Long: `Open the terminal UI on a preset or a scenario file (default cache-aside).
Step forward and back, jump to the stale reads, inspect the cache and the
database at any step; press ? for every key. A TAPE (a .json file a
failing racetest wrote) opens the run it recorded.

Presets open in reveal mode: what lies ahead of the cursor is hidden, the
verdict says ? until a stale read is reached, and play pauses at each
anomaly (R toggles; --reveal=false opens with the whole run shown). y
copies the command that replays the run shown (OSC 52); r reloads a
scenario file, --watch reloads it when it changes.`,
		Example: `  racetape tui stale-set
  racetape tui stale-set --reveal=false --theme high-contrast
  racetape tui ./my-race.yaml --watch
  racetape tui ./my-race.yaml --schedule "reader writer writer reader"`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeScenario,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "cache-aside"
			if len(args) == 1 {
				name = args[0]
			}
			return runTUI(cmd, name, f)
		},
	}
	f.add(cmd)
	return cmd
}
