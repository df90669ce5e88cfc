package racetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// An Entry is a cache entry the run starts with. TTL 0 means none.
type Entry struct {
	Value string
	TTL   time.Duration
}

// Setup is what a Harness starts every schedule from, and how it
// explores. The zero value of every field is useful.
type Setup struct {
	// DB holds the database rows every schedule starts with.
	DB map[string]string
	// Cache holds the cache entries every schedule starts with.
	Cache map[string]Entry
	// Consistency is the model the oracle judges reads by (zero: strict;
	// see engine.ParseConsistency).
	Consistency engine.Consistency
	// Search says which schedules Explore tries: zero is every schedule,
	// with partial-order reduction, up to 100,000 schedules (engine.
	// ExploreOptions: a preemption bound, random or PCT sampling with a
	// seed, a Limit; -1: no limit). An exhaustive search that stops at its
	// limit without finding a stale read fails the test: it proved
	// nothing. Workers and RESP do not apply: one bubble runs every
	// schedule.
	Search engine.ExploreOptions
	// StepTime is the virtual time each Redis command and database call
	// takes (0: 1ms). A step takes effect at its end.
	StepTime time.Duration
	// Horizon is how far the clock may move at once while an actor is
	// parked (0: 1s): to the next timer of the actors' code (time.Sleep,
	// time.AfterFunc, a context deadline), or to the next TTL expiry. A
	// timer further away fires only once no actor is parked.
	Horizon time.Duration
	// MaxSteps is the step budget of one schedule (0: 10 000).
	MaxSteps int
	// Watchdog is how long, in wall time, the actors may take to reach a
	// yield point or block before the run is stopped as stuck (0: 10s): a
	// sync.Mutex held across a yield point, or code that spins.
	Watchdog time.Duration
	// Epoch is the instant virtual time 0 stands for in the lanes and the
	// tape (zero: engine.DefaultEpoch).
	Epoch time.Time
	// Tapes is the directory where counterexamples are written as tapes
	// (""; the RACETEST_TAPES environment variable, else racetest-tapes
	// in the system's temporary directory, kept after the test so that
	// `racetape tui TAPE` can open them).
	Tapes string
}

// config is a Setup with its defaults filled in.
type config struct {
	Setup
	Name string
}

// A Harness runs actors that are Go code under racetape's scheduler, in a
// testing/synctest bubble: every Redis command and database call of an
// actor is a yield point, exactly one actor runs at a time, and the
// schedule (which actor goes at each yield point, and when the clock
// moves) decides the run. Build one with New, add actors with Actor, then
// call Explore (every schedule) or Run (one).
type Harness struct {
	t      testing.TB
	cfg    config
	actors []actorDef
	// timers says the actors' code was seen to start timers: the clock is
	// then offered at every step.
	timers bool
}

type actorDef struct {
	name string
	fn   func(*Env)
}

// New returns a Harness for test t, whose schedules start from setup.
func New(t testing.TB, setup Setup) *Harness {
	t.Helper()
	h := &Harness{t: t, cfg: config{Setup: setup, Name: t.Name()}}
	c := &h.cfg
	c.StepTime = cmp.Or(c.StepTime, time.Millisecond)
	c.Horizon = cmp.Or(c.Horizon, time.Second)
	c.MaxSteps = cmp.Or(c.MaxSteps, 10000)
	c.Watchdog = cmp.Or(c.Watchdog, 10*time.Second)
	if c.Epoch.IsZero() {
		c.Epoch = engine.DefaultEpoch
	}
	switch {
	case c.Search.Mode == engine.Exhaustive && c.Search.Limit == 0:
		c.Search.Limit = 100000
	case c.Search.Limit < 0:
		c.Search.Limit = 0 // none
	}
	c.Search.Workers, c.Search.RESP, c.Search.Direct = 1, false, false
	if c.StepTime < 0 || c.Horizon < 0 || c.MaxSteps < 0 || c.Watchdog < 0 {
		t.Fatalf("racetest: Setup: StepTime, Horizon, MaxSteps and Watchdog must not be negative")
	}
	for _, k := range sortedKeys(c.Cache) {
		if ttl := c.Cache[k].TTL; ttl < 0 || ttl%time.Millisecond != 0 {
			t.Fatalf("racetest: Setup.Cache[%q]: TTL %s must be a whole number of milliseconds, 0 or more (Redis keeps TTLs in milliseconds)", k, ttl)
		}
	}
	return h
}

// Actor adds an actor: fn runs once per schedule, in a goroutine of its
// own, with env giving it its Redis client and database handle. Names are
// what schedules are written with; "clock" is reserved.
func (h *Harness) Actor(name string, fn func(env *Env)) {
	h.t.Helper()
	switch {
	case name == "" || strings.ContainsAny(name, " ,*\t\n"):
		h.t.Fatalf("racetest: actor name %q: want a name without spaces, commas or '*'", name)
	case name == timeline.ClockActor:
		h.t.Fatalf("racetest: actor name %q is reserved for the clock", name)
	case slices.ContainsFunc(h.actors, func(a actorDef) bool { return a.name == name }):
		h.t.Fatalf("racetest: two actors named %q", name)
	case fn == nil:
		h.t.Fatalf("racetest: actor %q has no function", name)
	}
	h.actors = append(h.actors, actorDef{name: name, fn: fn})
}

// A Finding is one anomaly an exploration found, with its simplest
// counterexample (fewest preemptions, then fewest steps).
type Finding struct {
	Anomaly timeline.Anomaly
	// Schedule replays it: RACETEST_SCHEDULE, or Harness.Run.
	Schedule string
	// Timeline is its run, judged, with the state after every step.
	Timeline *timeline.Timeline
	// Tape is the file it was written to (racetape tui TAPE opens it).
	Tape string
}

// A Report is what Explore found.
type Report struct {
	// Result counts the schedules run, by verdict and anomaly.
	Result *engine.ExploreResult
	// Findings has one entry per anomaly found, in name order.
	Findings []Finding
}

// Stale reports whether some schedule served a stale read.
func (r *Report) Stale() bool { return len(r.Findings) > 0 }

// Anomalies returns the anomalies found, in name order.
func (r *Report) Anomalies() []timeline.Anomaly {
	var out []timeline.Anomaly
	for _, f := range r.Findings {
		out = append(out, f.Anomaly)
	}
	return out
}

// A PanicError is an actor's panic, with the schedule that led to it.
type PanicError struct {
	Actor string
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("racetest: actor %q panicked: %v\n%s", e.Actor, e.Value, e.Stack)
}

// A ScheduleError is a failure of the actors' code (a panic, a deadlock,
// a lock held across a yield point, misuse) in the schedule that led to
// it, which Run replays.
type ScheduleError struct {
	Schedule string
	Err      error
}

func (e *ScheduleError) Error() string {
	return fmt.Sprintf("%v\nschedule: %s", e.Err, e.Schedule)
}

func (e *ScheduleError) Unwrap() error { return e.Err }

// Explore runs every schedule (as Setup.Search says) and fails the test
// with, for each anomaly found, its explanation, its simplest schedule,
// the lanes of that run, and the tape it was written to with the command
// that opens it. With RACETEST_SCHEDULE set, it runs that schedule only,
// as Run does.
func (h *Harness) Explore() *Report {
	h.t.Helper()
	if s := os.Getenv("RACETEST_SCHEDULE"); s != "" {
		h.Run(s)
		return nil
	}
	rep, err := h.Check()
	if err != nil {
		h.t.Fatal(err)
		return nil
	}
	for _, msg := range h.failures(rep) {
		h.t.Error(msg)
	}
	return rep
}

// failures are what an exploration's report fails the test with: the
// stale reads found, or an exhaustive search that stopped at its limit
// without finding any (it proved nothing).
func (h *Harness) failures(rep *Report) []string {
	switch {
	case rep.Stale():
		return []string{rep.String(h.t.Name())}
	case !rep.Result.Complete && h.cfg.Search.Mode == engine.Exhaustive:
		return []string{fmt.Sprintf("racetest: the search stopped after %d schedules (Setup.Search.Limit %d) without covering every schedule, and found no stale read: raise the limit (-1: none), bound the preemptions, or sample with Mode: engine.Random or engine.PCT",
			rep.Result.SchedulesRun, h.cfg.Search.Limit)}
	}
	return nil
}

// Check is Explore without failing the test: it returns what it found
// (tapes are written all the same), or the failure of the actors' code.
func (h *Harness) Check() (*Report, error) {
	h.t.Helper()
	var rep *Report
	err := h.inBubble(func(w *world) error {
		var err error
		rep, err = h.explore(w)
		return err
	})
	return rep, err
}

// explore runs the search in world w.
func (h *Harness) explore(w *world) (*Report, error) {
	names := make([]string, len(h.actors))
	for i, a := range h.actors {
		names[i] = a.name
	}
	sys := engine.System{
		Name: h.cfg.Name, Actors: names, Consistency: h.cfg.Consistency, MaxSteps: min(h.cfg.MaxSteps, 100),
		NewTarget: func() (engine.Target, error) { return w, nil },
		Replay:    func(s []string) (*timeline.Timeline, error) { return w.replay(s, false) },
	}
	var res *engine.ExploreResult
	for {
		ex, err := engine.NewSystemExplorer(sys, h.cfg.Search)
		if err != nil {
			return nil, fmt.Errorf("racetest: %w", err)
		}
		res, err = ex.Run(context.Background())
		if errors.Is(err, errTimers) {
			continue // h.timers is now set: explore again, offering the clock
		}
		if err != nil {
			return nil, err
		}
		break
	}
	rep := &Report{Result: res}
	for _, a := range slices.Sorted(maps.Keys(res.Counterexamples)) {
		ce := res.Counterexamples[a]
		tl, err := w.replay(ce.Schedule, true)
		if err != nil {
			return nil, err
		}
		f := Finding{Anomaly: ce.Anomaly, Schedule: engine.FormatSchedule(tl.Schedule), Timeline: tl}
		if f.Tape, err = h.writeTape(tl, string(ce.Anomaly)); err != nil {
			return nil, err
		}
		rep.Findings = append(rep.Findings, f)
	}
	return rep, nil
}

// Run runs one schedule (actor names, "clock" to move the clock, as
// engine.ParseSchedule reads them: "writer reader*3 clock writer"), then
// lets the clock run out; it fails the test with the lanes if a read was
// stale, writing the tape. It returns the run.
func (h *Harness) Run(schedule string) *timeline.Timeline {
	h.t.Helper()
	tl, err := h.Replay(schedule)
	if err != nil {
		h.t.Fatal(err)
		return nil
	}
	if len(tl.StaleReads()) > 0 {
		var b strings.Builder
		fmt.Fprintf(&b, "racetest: schedule %q served %d stale reads\n", schedule, len(tl.StaleReads()))
		if tape, err := h.writeTape(tl, "run"); err == nil {
			fmt.Fprintf(&b, "tape: %s\nopen it: racetape tui %s\n", tape, tape)
		}
		_ = tl.WriteText(&b, timeline.TextOptions{})
		h.t.Error(b.String())
	}
	return tl
}

// Replay is Run without failing the test: it returns the run, judged.
func (h *Harness) Replay(schedule string) (*timeline.Timeline, error) {
	h.t.Helper()
	names, err := engine.ParseSchedule(schedule)
	if err != nil {
		return nil, fmt.Errorf("racetest: %w", err)
	}
	var tl *timeline.Timeline
	err = h.inBubble(func(w *world) error {
		var err error
		tl, err = w.replay(names, true)
		return err
	})
	return tl, err
}

// inBubble builds a world in a new synctest bubble, runs f in it, and
// tears it down, with the watchdog watching.
func (h *Harness) inBubble(f func(w *world) error) (err error) {
	t, ok := h.t.(*testing.T)
	if !ok {
		return fmt.Errorf("racetest: the harness needs a *testing.T (a testing/synctest bubble needs one), not a %T", h.t)
	}
	if len(h.actors) == 0 {
		return errors.New("racetest: no actors: add them with Actor")
	}
	wd := startWatchdog(t.Name(), h.cfg.Watchdog)
	defer wd.stop()
	defer func() {
		// The bubble refuses to end while goroutines of the actors' code
		// are still blocked: say so instead of crashing.
		if r := recover(); r != nil {
			if e, ok := r.(error); !ok || !strings.HasPrefix(e.Error(), "deadlock:") {
				panic(r)
			}
			err = errors.Join(err, fmt.Errorf("racetest: goroutines started by the actors were still blocked when the run ended (%v); an actor's goroutines must finish within its schedule", r))
		}
	}()
	synctest.Test(t, func(*testing.T) {
		w, werr := newWorld(h)
		if werr != nil {
			err = werr
			return
		}
		wd.watch(w)
		defer w.close()
		err = f(w)
	})
	return err
}

// replay runs schedule names from the start, lets the clock run out, and
// returns the run, judged; with states, it records the state after every
// step, for a tape.
func (w *world) replay(names []string, states bool) (*timeline.Timeline, error) {
	if err := w.startSchedule(states); err != nil {
		return nil, w.scheduleError(err)
	}
	var en []int
	for i, name := range names {
		p := slices.IndexFunc(w.actors, func(a *actor) bool { return a.name == name })
		if name == timeline.ClockActor {
			p = len(w.actors)
		}
		if p < 0 {
			return nil, fmt.Errorf("racetest: schedule entry %d names unknown actor %q (actors: %s)", i+1, name, strings.Join(w.names(), ", "))
		}
		en = w.Enabled(en[:0])
		if !slices.Contains(en, p) {
			return nil, fmt.Errorf("racetest: schedule entry %d: %s cannot move there (can: %s)", i+1, name, strings.Join(w.participants(en), ", "))
		}
		if err := w.Step(p); err != nil {
			if errors.Is(err, engine.ErrPrune) {
				return nil, fmt.Errorf("racetest: schedule entry %d: the clock has nothing to do there", i+1)
			}
			return nil, w.scheduleError(err)
		}
	}
	for {
		en = w.Enabled(en[:0])
		if len(en) == 0 {
			break
		}
		if len(en) > 1 || en[0] != len(w.actors) {
			return nil, fmt.Errorf("racetest: the schedule ends with steps left for %s", strings.Join(w.participants(en), ", "))
		}
		if err := w.Step(en[0]); err != nil {
			return nil, w.scheduleError(err)
		}
	}
	w.mu.Lock()
	tl := w.rec.timeline(w)
	groups, keys := slices.Clone(w.rec.groups), w.dataKeys()
	w.mu.Unlock()
	tl.Events, tl.Reads, tl.Expiries = slices.Clone(tl.Events), slices.Clone(tl.Reads), slices.Clone(tl.Expiries)
	tl.Commits = slices.Clone(tl.Commits)
	if err := engine.Judge(tl, w.cfg.Consistency, groups, keys); err != nil {
		return nil, err
	}
	return tl, nil
}

// scheduleError puts err in the schedule run so far.
func (w *world) scheduleError(err error) error {
	var se *ScheduleError
	if err == nil || errors.As(err, &se) || errors.Is(err, errTimers) || errors.Is(err, engine.ErrPrune) {
		return err
	}
	return &ScheduleError{Schedule: engine.FormatSchedule(w.participants(w.path)), Err: err}
}

// names returns the actors' names.
func (w *world) names() []string {
	out := make([]string, len(w.actors))
	for i, a := range w.actors {
		out[i] = a.name
	}
	return out
}

// participants names participants: actors, or the clock.
func (w *world) participants(ps []int) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p == len(w.actors) {
			out[i] = timeline.ClockActor
		} else {
			out[i] = w.actors[p].name
		}
	}
	return out
}

// writeTape writes tl as a tape, named after the test and what, and
// returns its path.
func (h *Harness) writeTape(tl *timeline.Timeline, what string) (string, error) {
	dir := cmp.Or(h.cfg.Tapes, os.Getenv("RACETEST_TAPES"), filepath.Join(os.TempDir(), "racetest-tapes"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("racetest: tapes: %w", err)
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\\' || r == ':' {
			return '-'
		}
		return r
	}, h.t.Name()) + "-" + what + ".json"
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, append(tl.TapeJSON(), '\n'), 0o644); err != nil {
		return "", fmt.Errorf("racetest: write tape: %w", err)
	}
	return path, nil
}

// String reports the findings as Explore fails the test with them.
func (r *Report) String(test string) string {
	var b strings.Builder
	res := r.Result
	schedules := "schedules"
	if res.SchedulesRun == 1 {
		schedules = "schedule"
	}
	fmt.Fprintf(&b, "racetest: %d of %d %s served stale data (%s)\n", res.StaleSchedules, res.SchedulesRun, schedules, res.Consistency)
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "\n%s: %s\n", f.Anomaly, f.Anomaly.Explain())
		for _, rd := range f.Timeline.StaleReads() {
			if rd.Anomaly == f.Anomaly {
				fmt.Fprintf(&b, "  %s\n", rd.Why)
				break
			}
		}
		fmt.Fprintf(&b, "  schedule: %s\n", f.Schedule)
		fmt.Fprintf(&b, "  replay:   RACETEST_SCHEDULE=%q go test -run '^%s$'\n", f.Schedule, test)
		fmt.Fprintf(&b, "  tape:     %s\n  open it:  racetape tui %s\n\n", f.Tape, f.Tape)
		_ = f.Timeline.WriteText(&b, timeline.TextOptions{})
	}
	return b.String()
}
