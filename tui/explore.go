package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// Exploration (e) runs every schedule of the current scenario in a
// goroutine (a tea.Cmd) while the view polls its progress on a tea.Tick,
// then lists what it found; enter opens the counterexample in the lanes.
// Esc cancels a running exploration through its context.

// The exploration the TUI runs: every schedule with partial-order
// reduction, stopped after exploreLimit schedules; a scenario with more
// than exploreMaxActors actors (seed-matrix) gets exploreSamples random
// schedules instead, seed 1. The view says which was done.
const (
	exploreMaxActors = 8
	exploreLimit     = 50_000
	exploreSamples   = 1000
	exploreSeed      = 1
	exploreTick      = 100 * time.Millisecond
)

// An explorePlan is how a scenario is explored, and how to say so.
type explorePlan struct {
	opts engine.ExploreOptions
	what string // "every schedule, partial-order reduction (optimal DPOR)"
	why  string // why not every schedule, or ""
}

// planFor chooses how to explore sc.
func planFor(sc *engine.Scenario) explorePlan {
	workers := runtime.GOMAXPROCS(0)
	if n := len(sc.Actors); n > exploreMaxActors {
		return explorePlan{
			opts: engine.ExploreOptions{Mode: engine.Random, Samples: exploreSamples, Seed: exploreSeed, Workers: workers},
			what: fmt.Sprintf("%d random schedules, seed %d", exploreSamples, exploreSeed),
			why:  fmt.Sprintf("%d actors: too many schedules to run them all", n),
		}
	}
	return explorePlan{
		opts: engine.ExploreOptions{Limit: exploreLimit, Workers: workers},
		what: "every schedule",
	}
}

// An exploreJob is what the view polls of an exploration running in its
// goroutine: the explorer, once the scenario is loaded, and its plan.
type exploreJob struct {
	mu      sync.Mutex
	ex      *engine.Explorer
	plan    explorePlan
	started time.Time        // when the explorer started
	est     *engine.Estimate // of the search's size, once known
}

// start records the explorer and returns the plan, which names the
// explorer's reduction.
func (j *exploreJob) start(ex *engine.Explorer, plan explorePlan) explorePlan {
	if plan.opts.Mode == engine.Exhaustive {
		plan.what += ", " + engine.ReductionText(ex.Reduction())
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ex, j.plan, j.started = ex, plan, time.Now()
	return plan
}

// estimated records the estimate of the search's size.
func (j *exploreJob) estimated(est engine.Estimate) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.est = &est
}

// poll returns the progress so far and the plan; ok is false until the
// exploration has started.
func (j *exploreJob) poll() (prog engine.ExploreProgress, plan explorePlan, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ex == nil {
		return prog, plan, false
	}
	return j.ex.Progress(), j.plan, true
}

// estimate returns the estimate of the search's size (nil until known),
// and when the exploration started.
func (j *exploreJob) estimate() (*engine.Estimate, time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.est, j.started
}

// An exploration is the exploration the view shows: running (res and err
// nil), or done.
type exploration struct {
	id      int
	job     *exploreJob
	ctx     context.Context // the exploration's; cancelled by esc
	cancel  context.CancelFunc
	frame   int // spinner frame
	prog    engine.ExploreProgress
	plan    explorePlan
	planned bool
	done    bool
	sc      *engine.Scenario
	res     *engine.ExploreResult
	err     error
	sel     int // the counterexample enter opens
	est     *engine.Estimate
	elapsed time.Duration // since the explorer started, at the last poll
}

// An exploreDoneMsg is a finished exploration.
type exploreDoneMsg struct {
	id   int
	sc   *engine.Scenario
	plan explorePlan
	res  *engine.ExploreResult
	err  error
}

// An exploreTickMsg asks the view to poll the exploration's progress; at
// is when.
type exploreTickMsg struct {
	id int
	at time.Time
}

// A cexLoadedMsg is the counterexample's run, for the lanes.
type cexLoadedMsg struct {
	id   int
	tape *tape
	err  error
}

// exploreCmd loads the source's scenario and explores it; job gets the
// explorer for polling. It runs off the UI goroutine and stops when ctx is
// cancelled.
func exploreCmd(ctx context.Context, src Source, id int, job *exploreJob) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if p := recover(); p != nil {
				msg = exploreDoneMsg{id: id, err: fmt.Errorf("explore: panic: %v", p)}
			}
		}()
		sc, err := src.Scenario()
		if err != nil {
			return exploreDoneMsg{id: id, err: err}
		}
		plan := planFor(sc)
		ex, err := engine.NewExplorer(sc, plan.opts)
		if err != nil {
			return exploreDoneMsg{id: id, sc: sc, plan: plan, err: err}
		}
		plan = job.start(ex, plan)
		if plan.opts.Mode == engine.Exhaustive {
			// Of about how many schedules, meanwhile (on a target of its
			// own; the context ends it with the exploration).
			go func() {
				if est, err := ex.Estimate(ctx); err == nil {
					job.estimated(est)
				}
			}()
		}
		res, err := ex.Run(ctx)
		return exploreDoneMsg{id: id, sc: sc, plan: plan, res: res, err: err}
	}
}

// exploreTickCmd polls again after exploreTick.
func exploreTickCmd(id int) tea.Cmd {
	return tea.Tick(exploreTick, func(at time.Time) tea.Msg { return exploreTickMsg{id: id, at: at} })
}

// cexCmd runs sc along the counterexample's schedule.
func cexCmd(sc *engine.Scenario, schedule []string, id int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if p := recover(); p != nil {
				msg = cexLoadedMsg{id: id, err: fmt.Errorf("counterexample: panic: %v", p)}
			}
		}()
		tl, err := engine.Run(sc, engine.Options{Schedule: schedule})
		if err != nil {
			return cexLoadedMsg{id: id, err: err}
		}
		return cexLoadedMsg{id: id, tape: newTape(tl)}
	}
}

// startExplore starts exploring the current source.
func (m Model) startExplore() (Model, tea.Cmd) {
	src := m.sources[m.cur]
	if src.Scenario == nil {
		m.note = notAvailable("exploration")
		return m, nil
	}
	m.stopExplore()
	m.playing = false
	ctx, cancel := context.WithCancel(context.Background())
	id := m.explore.id + 1
	m.explore = exploration{id: id, job: &exploreJob{}, ctx: ctx, cancel: cancel}
	m.state = stateExplore
	return m, tea.Batch(exploreCmd(ctx, src, id, m.explore.job), exploreTickCmd(id))
}

// stopExplore cancels the exploration if it is still running.
func (m *Model) stopExplore() {
	if m.explore.cancel != nil && !m.explore.done {
		m.explore.cancel()
	}
}

// exploreTicked polls the running exploration.
func (m Model) exploreTicked(msg exploreTickMsg) (tea.Model, tea.Cmd) {
	e := &m.explore
	if msg.id != e.id || e.done || m.state != stateExplore {
		return m, nil
	}
	if prog, plan, ok := e.job.poll(); ok {
		e.prog, e.plan, e.planned = prog, plan, true
		var started time.Time
		if e.est, started = e.job.estimate(); !msg.at.IsZero() {
			e.elapsed = msg.at.Sub(started)
		}
	}
	e.frame++
	return m, exploreTickCmd(e.id)
}

// exploreDone shows a finished exploration.
func (m Model) exploreDone(msg exploreDoneMsg) Model {
	e := &m.explore
	if msg.id != e.id || e.done {
		return m
	}
	e.done = true
	e.sc, e.res, e.err = msg.sc, msg.res, msg.err
	if msg.sc != nil {
		e.plan, e.planned = msg.plan, true
	}
	if msg.res != nil {
		e.prog = engine.ExploreProgress{Schedules: msg.res.SchedulesRun, Stale: msg.res.StaleSchedules}
	}
	if e.cancel != nil {
		e.cancel() // release the context
	}
	return m
}

// updateExplore handles a key in the exploration view.
func (m Model) updateExplore(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	e := &m.explore
	switch {
	case key.Matches(msg, k.Quit):
		m.stopExplore()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Cancel):
		m.stopExplore()
		m.explore.id++ // drop what the cancelled run still sends
		m.state = stateTape
		m.fit()
	case key.Matches(msg, k.Explore):
		if e.done {
			return m.startExplore()
		}
	case key.Matches(msg, k.Open):
		switch {
		case !e.done:
			m.note = "still exploring: the counterexample comes at the end"
		case len(counterexamples(e.res)) == 0:
			m.note = "no counterexample to open: no schedule served stale data"
		default:
			cs := counterexamples(e.res)
			m.reqID++
			return m, cexCmd(e.sc, cs[min(e.sel, len(cs)-1)].Schedule, m.reqID)
		}
	case key.Matches(msg, k.TrackDown):
		e.sel = min(e.sel+1, max(len(counterexamples(e.res))-1, 0))
	case key.Matches(msg, k.TrackUp):
		e.sel = max(e.sel-1, 0)
	}
	return m, nil
}

// cexLoaded shows the counterexample in the lanes, on its first stale read.
func (m Model) cexLoaded(msg cexLoadedMsg) Model {
	if msg.id != m.reqID || m.state != stateExplore {
		return m
	}
	if msg.err != nil {
		m.note = "counterexample: " + msg.err.Error()
		return m
	}
	m.keepTimed()
	m.state = stateTape
	m.tape, m.shown = msg.tape, "counterexample"
	m.left, m.top, m.auto = 0, 0, true
	m.pos = 0
	for _, s := range msg.tape.marks {
		if msg.tape.isStaleFinal(s) {
			m.pos = s + 1
			break
		}
	}
	m.fit()
	return m
}

// renderExplore draws the exploration's body in width columns: what is
// run, then the progress or the result.
func renderExplore(e *exploration, name string, width int, st *styles, sel int, timedClean bool) []string {
	var out []string
	add := func(k ink, s string) { out = append(out, st.paint(k, clip(s, width))) }
	what := "…"
	if e.planned {
		what = e.plan.what
	}
	if !e.done {
		frames := spinner.MiniDot.Frames
		add(inkBold, frames[e.frame%len(frames)]+" exploring "+name+": "+what)
		if e.plan.why != "" {
			add(inkDim, "  "+e.plan.why)
		}
		add(inkPlain, "")
		add(inkPlain, fmt.Sprintf("  schedules run     %d", e.prog.Schedules))
		if e.est != nil {
			add(inkPlain, fmt.Sprintf("  of                %s, ETA %s", e.est, e.est.ETA(e.prog.Schedules+e.prog.Uncounted, e.elapsed)))
		}
		add(inkPlain, fmt.Sprintf("  stale schedules   %d", e.prog.Stale))
		if e.prog.Total > 0 {
			out = append(out, "  "+progressBar(e.prog.Schedules, e.prog.Total, min(width-9, 50), st))
		}
		add(inkPlain, "")
		add(inkDim, "esc cancels")
		return out
	}
	if e.err != nil && (e.res == nil || !errors.Is(e.err, context.Canceled)) {
		add(inkBold, "exploring "+name+" failed:")
		for _, l := range strings.Split(e.err.Error(), "\n") {
			add(inkError, "  "+l)
		}
		return out
	}
	r := e.res
	add(inkBold, "exploration of "+name+": "+what)
	if e.plan.why != "" {
		add(inkDim, e.plan.why)
	}
	if !r.Complete {
		add(inkDim, fmt.Sprintf("stopped after %d schedules (the TUI's limit): not every schedule was run; racetape explore has --limit", r.SchedulesRun))
	}
	add(inkPlain, "")
	col := 20 // the values' column: after the longest label
	for a := range r.Anomalies {
		col = max(col, 2+2+textWidth(string(a))+2)
	}
	kv := func(k ink, label, value string) { add(k, "  "+pad(label, col-2)+value) }
	kv(inkPlain, "schedules run", itoa64(r.SchedulesRun))
	staleText := itoa64(r.StaleSchedules)
	if r.SchedulesRun > 0 && r.StaleSchedules > 0 {
		staleText += fmt.Sprintf(" (%.1f%%)", 100*float64(r.StaleSchedules)/float64(r.SchedulesRun))
	}
	k := inkPlain
	if r.StaleSchedules > 0 {
		k = inkStale
	}
	kv(k, "stale schedules", staleText)
	names := make([]timeline.Anomaly, 0, len(r.Anomalies))
	for a := range r.Anomalies {
		names = append(names, a)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	for _, a := range names {
		for i, l := range wrapText(a.Explain(), max(width-col-7, 10), 2) {
			if i == 0 {
				kv(inkPlain, "  "+string(a), fmt.Sprintf("%-6d %s", r.Anomalies[a], l))
				continue
			}
			kv(inkPlain, "", "       "+l)
		}
	}
	add(inkPlain, "")
	cs := counterexamples(r)
	if len(cs) == 0 {
		add(inkBold, "✓ no schedule served stale data")
		return out
	}
	if why := fixNote(r, timedClean); why != "" {
		for _, l := range wrapText(why, width, 4) {
			add(inkDivLb, l)
		}
		add(inkPlain, "")
	}
	for i, c := range cs {
		sched := engine.FormatSchedule(c.Schedule)
		k, label := inkBold, "counterexample"
		if len(cs) > 1 {
			label = "  " + string(c.Anomaly)
			if i != sel {
				// The others on a line each: the list fits however many
				// anomalies were found.
				kv(inkPlain, label, fmt.Sprintf("%s, %s: %s", plural(c.Preemptions, "preemption", "preemptions"), plural(c.Steps, "step", "steps"), sched))
				continue
			}
			k, label = inkCursor, "▸ "+string(c.Anomaly)
		}
		for j, l := range wrapText(sched, width-col, 3) {
			if j == 0 {
				kv(k, label, l)
				continue
			}
			kv(k, "", l)
		}
		kv(inkPlain, "", fmt.Sprintf("%s, %s, %s (%s)", plural(c.Preemptions, "preemption", "preemptions"),
			plural(c.Steps, "step", "steps"), c.Anomaly, plural(c.StaleReads, "stale read", "stale reads")))
		for _, l := range wrapText(c.Anomaly.Explain(), width-col, 2) {
			kv(inkDim, "", l)
		}
		for j, l := range wrapText(fmt.Sprintf("racetape run %s --schedule %q", name, sched), width-col, 4) {
			label := ""
			if j == 0 {
				label = "replay"
			}
			kv(inkDim, label, l)
		}
	}
	add(inkPlain, "")
	open := "enter opens the counterexample in the lanes"
	if len(cs) > 1 {
		open = "↑/↓ choose a counterexample, enter opens it in the lanes"
	}
	add(inkBold, open+" · e explores again · esc goes back")
	return out
}

// counterexamples are the exploration's counterexamples, one per anomaly
// found, the simplest first (fewest preemptions, then steps, then the
// anomaly's name).
func counterexamples(r *engine.ExploreResult) []*engine.Counterexample {
	if r == nil {
		return nil
	}
	out := make([]*engine.Counterexample, 0, len(r.Counterexamples))
	for _, c := range r.Counterexamples {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *engine.Counterexample) int {
		return cmp.Or(cmp.Compare(a.Preemptions, b.Preemptions), cmp.Compare(a.Steps, b.Steps), cmp.Compare(a.Anomaly, b.Anomaly))
	})
	return out
}

// fixNote says why a protocol whose own run serves no stale data (a "fix":
// a lease, a versioned CAS, a double delete) still has schedules that do,
// or is "".
func fixNote(r *engine.ExploreResult, timedClean bool) string {
	if !timedClean || r == nil || r.Anomalies[timeline.StaleHit] == 0 {
		return ""
	}
	return "Why a fix still serves stale data: the writer commits, then deletes the key; no invalidation scheme closes the window between the commit and the DEL. A reader that hits the cache in between is served the old value (stale-hit), whatever keeps an old value from outliving the DEL."
}

func itoa64(n int64) string { return fmt.Sprint(n) }

// exploreStatus is the header's note in the exploration view.
func exploreStatus(e *exploration) string {
	switch {
	case !e.done:
		return "exploring…"
	case e.res != nil && e.res.StaleSchedules > 0:
		return "✗ " + plural(int(e.res.StaleSchedules), "stale schedule", "stale schedules")
	case e.res != nil:
		return "✓ no stale schedule"
	}
	return "explore"
}

// progressBar is "██████░░░░  60%" in w columns (the bar) plus the
// percentage.
func progressBar(done, total int64, w int, st *styles) string {
	if w <= 0 || total <= 0 {
		return ""
	}
	f := min(float64(done)/float64(total), 1)
	full := int(f * float64(w))
	return st.paint(inkCommit, strings.Repeat("█", full)) + st.paint(inkDim, strings.Repeat("░", w-full)) + fmt.Sprintf(" %3.0f%%", 100*f)
}
