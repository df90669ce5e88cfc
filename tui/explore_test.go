package tui

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// startExploring presses e on m and checks the exploration is running,
// with its command returned.
func startExploring(t *testing.T, m Model) Model {
	t.Helper()
	nm, cmd := m.Update(keyMsg("e"))
	m = nm.(Model)
	require.Equal(t, stateExplore, m.state)
	require.NotNil(t, cmd, "e starts the exploration and its progress ticks")
	require.False(t, m.explore.done)
	return m
}

// finishExploring runs the model's exploration here, synchronously, as its
// command would, and feeds the result.
func finishExploring(t *testing.T, m Model) Model {
	t.Helper()
	msg := exploreCmd(m.explore.ctx, m.sources[m.cur], m.explore.id, m.explore.job)()
	done, ok := msg.(exploreDoneMsg)
	require.True(t, ok, "%T", msg)
	require.NoError(t, done.err)
	return update(t, m, msg)
}

// TestExploreCacheAside explores the seed story: progress, the result by
// anomaly with the counterexample, and enter opens it in the lanes, stale.
func TestExploreCacheAside(t *testing.T) {
	m := presetModel(t, "cache-aside", 100, 30)
	m = press(t, m, "n", "n", "right", "left") // on the stale read, no note
	timedView := m.View()

	m = startExploring(t, m)
	view := m.View()
	requireFits(t, view, 100, 30)
	require.Contains(t, headerOf(view), "racetape · explore cache-aside")
	require.Contains(t, headerOf(view), "exploring…")
	require.Contains(t, view, "exploring cache-aside: …")
	require.Contains(t, view, "schedules run     0")
	require.Contains(t, view, "esc cancels")
	require.Contains(t, view, "esc cancel")
	require.NotContains(t, view, "open counterexample", "nothing to open yet")

	// A tick before the explorer has started changes only the spinner.
	before := view
	nm, cmd := m.Update(exploreTickMsg{id: m.explore.id})
	m = nm.(Model)
	require.NotNil(t, cmd, "the next poll is scheduled")
	require.NotEqual(t, before, m.View())
	require.Contains(t, m.View(), "schedules run     0")
	m = update(t, m, exploreTickMsg{id: m.explore.id - 1})

	// enter while running says to wait.
	require.Contains(t, press(t, m, "enter").View(), "still exploring")

	m = finishExploring(t, m)
	nm, cmd = m.Update(exploreTickMsg{id: m.explore.id})
	require.Nil(t, cmd, "no more polls once done")
	m = nm.(Model)
	view = m.View()
	requireFits(t, view, 100, 30)
	for _, want := range []string{
		"exploration of cache-aside: every schedule, partial-order reduction (optimal DPOR)",
		"schedules run     3",
		"stale schedules   1 (33.3%)",
		"stale-hit       1      the cache still held the old value",
		"counterexample    writer reader writer",
		"1 preemption, 3 steps, stale-hit (1 stale read)",
		`replay            racetape run cache-aside --schedule "writer reader writer"`,
		"enter opens the counterexample in the lanes",
		"✗ 1 stale schedule",
	} {
		require.Contains(t, view, want)
	}
	require.NotContains(t, view, "stopped after")

	// enter opens the counterexample on its stale read.
	m = pressRun(t, m, "enter")
	require.Equal(t, stateTape, m.state)
	require.Equal(t, "schedule", m.tape.tl.Mode)
	require.Equal(t, []string{"writer", "reader", "writer"}, m.tape.tl.Schedule)
	view = m.View()
	require.Contains(t, headerOf(view), "counterexample")
	require.Contains(t, view, "✗ STALE GET order:42 → CANCELLED, current PAID")
	require.Contains(t, view, "(stale-hit).")
	require.Equal(t, 2, m.pos)

	// esc goes back to the timed run, where the cursor was.
	m = press(t, m, "esc")
	require.Equal(t, timedView, m.View())

	// e again explores again; esc from the result goes back too.
	m = startExploring(t, m)
	m = finishExploring(t, m)
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
	require.Equal(t, timedView, m.View())

	// e in scheduler mode leaves it and explores; esc comes back to the
	// timed run.
	m = pressRun(t, m, "s")
	m = press(t, m, "1", "2")
	m = startExploring(t, m)
	require.False(t, m.sched.active())
	m = press(t, m, "esc")
	require.Equal(t, timedView, m.View())
}

// TestExploreProgress polls an explorer that has run: the view shows its
// counts while the result message has not come.
func TestExploreProgress(t *testing.T) {
	m := startExploring(t, presetModel(t, "stale-set", 100, 30))
	sc, err := presets.Get("stale-set")
	require.NoError(t, err)
	plan := planFor(sc)
	ex, err := engine.NewExplorer(sc, plan.opts)
	require.NoError(t, err)
	m.explore.job.start(ex, plan)
	res, err := ex.Run(context.Background())
	require.NoError(t, err)

	m = update(t, m, exploreTickMsg{id: m.explore.id})
	view := m.View()
	require.Contains(t, view, "exploring stale-set: every schedule, partial-order reduction")
	require.Contains(t, view, fmt.Sprintf("schedules run     %d", res.SchedulesRun))
	require.Contains(t, view, fmt.Sprintf("stale schedules   %d", res.StaleSchedules))
	require.False(t, m.explore.done)
}

// TestExploreCancel: esc stops a running exploration through its context
// and goes back; what the cancelled run still sends is dropped.
func TestExploreCancel(t *testing.T) {
	m := presetModel(t, "cache-aside", 100, 30)
	timedView := m.View()
	m = startExploring(t, m)
	ctx, id, job, src := m.explore.ctx, m.explore.id, m.explore.job, m.sources[m.cur]
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
	require.ErrorIs(t, ctx.Err(), context.Canceled)
	require.Equal(t, timedView, m.View())

	msg := exploreCmd(ctx, src, id, job)()
	require.ErrorIs(t, msg.(exploreDoneMsg).err, context.Canceled)
	m = update(t, m, msg)
	m = update(t, m, exploreTickMsg{id: id})
	require.Equal(t, stateTape, m.state)
	require.Equal(t, timedView, m.View())

	// q while exploring cancels too.
	m = startExploring(t, m)
	ctx = m.explore.ctx
	nm, cmd := m.Update(keyMsg("q"))
	require.Equal(t, tea.QuitMsg{}, cmd())
	require.ErrorIs(t, ctx.Err(), context.Canceled)
	_ = nm
}

// TestExploreCancelStopsTheRun cancels a long random exploration: the
// command returns without running its schedules.
func TestExploreCancelStopsTheRun(t *testing.T) {
	sc, err := presets.GetWith("seed-matrix", presets.Params{"cell": "30s"})
	require.NoError(t, err)
	src := Source{Name: "seed-matrix", Scenario: func() (*engine.Scenario, error) { return sc, nil }}
	ctx, cancel := context.WithCancel(context.Background())
	job := &exploreJob{}
	done := make(chan tea.Msg)
	go func() { done <- exploreCmd(ctx, src, 1, job)() }()
	for {
		if p, _, ok := job.poll(); ok && p.Schedules > 0 {
			break
		}
		select {
		case msg := <-done:
			t.Fatalf("the exploration ended before it was cancelled: %+v", msg)
		case <-time.After(time.Millisecond):
		}
	}
	cancel()
	msg := (<-done).(exploreDoneMsg)
	require.ErrorIs(t, msg.err, context.Canceled)
	require.Less(t, msg.res.SchedulesRun, int64(exploreSamples))
}

// TestExplorePlan: presets are explored whole; seed-matrix, with fifteen
// actors, by random schedules, and the view says so.
func TestExplorePlan(t *testing.T) {
	sc, err := presets.Get("double-delete")
	require.NoError(t, err)
	p := planFor(sc)
	require.Equal(t, engine.Exhaustive, p.opts.Mode)
	require.EqualValues(t, exploreLimit, p.opts.Limit)

	sc, err = presets.Get("seed-matrix")
	require.NoError(t, err)
	p = planFor(sc)
	require.Equal(t, engine.Random, p.opts.Mode)
	require.Equal(t, exploreSamples, p.opts.Samples)
	require.EqualValues(t, exploreSeed, p.opts.Seed)
	require.Equal(t, "1000 random schedules, seed 1", p.what)
	require.Contains(t, p.why, "15 actors: too many schedules to run them all")
}

// TestExploreResults draws the results that need no real exploration: no
// stale schedule, a search stopped at the limit, an error, random mode's
// progress bar.
func TestExploreResults(t *testing.T) {
	st := plainStyles()
	plan := explorePlan{what: "every schedule, partial-order reduction (optimal DPOR)"}
	text := func(e exploration) string {
		var b []byte
		for _, l := range renderExplore(&e, "x", 100, st, 0, false) {
			b = append(b, l...)
			b = append(b, '\n')
		}
		return string(b)
	}
	clean := exploration{done: true, planned: true, plan: plan, res: &engine.ExploreResult{SchedulesRun: 7, Anomalies: map[timeline.Anomaly]int64{}, Complete: true}}
	out := text(clean)
	require.Contains(t, out, "schedules run     7")
	require.Contains(t, out, "stale schedules   0")
	require.Contains(t, out, "✓ no schedule served stale data")
	require.NotContains(t, out, "enter opens")
	require.Equal(t, "✓ no stale schedule", exploreStatus(&clean))

	partial := clean
	partial.res = &engine.ExploreResult{SchedulesRun: 50_001, Anomalies: map[timeline.Anomaly]int64{}}
	require.Contains(t, text(partial), "stopped after 50001 schedules (the TUI's limit): not every schedule was run")

	failed := exploration{done: true, err: errors.New("x.yaml:3:7: unknown field")}
	require.Contains(t, text(failed), "exploring x failed:\n  x.yaml:3:7: unknown field")

	running := exploration{planned: true, plan: plan, prog: engine.ExploreProgress{Schedules: 250, Stale: 9, Total: 1000}}
	out = text(running)
	require.Contains(t, out, "schedules run     250")
	require.Contains(t, out, "stale schedules   9")
	require.Contains(t, out, "████████████░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░  25%")
}

// TestExploreNoCounterexample: on a scenario that never serves stale data
// enter has nothing to open, and says so.
func TestExploreNoCounterexample(t *testing.T) {
	sc := &engine.Scenario{Name: "solo", DB: []engine.Seed{{Key: "k", Value: "v"}}, Actors: []engine.Actor{{Name: "reader", Steps: []engine.Step{
		{Op: engine.OpCacheGet, Key: "k", Took: time.Millisecond},
		{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{{Op: engine.OpDBRead, Key: "k", Took: time.Millisecond}}},
	}}}}
	src := Source{Name: "solo",
		Load:     func() (*timeline.Timeline, error) { return engine.Run(sc, engine.Options{}) },
		Scenario: func() (*engine.Scenario, error) { return sc, nil }}
	m := newTestModel(t, []Source{src}, 0, 100, 30)
	m = finishExploring(t, startExploring(t, m))
	view := m.View()
	require.Contains(t, view, "✓ no schedule served stale data")
	require.Contains(t, press(t, m, "enter").View(), "no counterexample to open")
	require.Equal(t, stateExplore, press(t, m, "enter").state)
}

// TestExploreGolden draws the exploration of cache-aside, running (before
// any progress) and done, color off.
func TestExploreGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, at := range []string{"running", "result"} {
			t.Run(fmt.Sprintf("%s-%dx%d", at, size[0], size[1]), func(t *testing.T) {
				m := startExploring(t, presetModel(t, "stale-set", size[0], size[1]))
				if at == "result" {
					m = finishExploring(t, m)
				}
				view := m.View()
				requireFits(t, view, size[0], size[1])
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}

// TestExploreFixNote: exploring a fix (lease: its own run is clean) finds
// the stale hit no invalidation scheme prevents, and the page says why.
func TestExploreFixNote(t *testing.T) {
	m := presetModel(t, "lease", 120, 40)
	require.Zero(t, m.tape.stale)
	m = finishExploring(t, startExploring(t, m))
	view := m.View()
	require.Contains(t, view, "Why a fix still serves stale data")
	require.Contains(t, view, "no invalidation scheme closes the window")
	cs := counterexamples(m.explore.res)
	require.Len(t, cs, len(m.explore.res.Anomalies), "one per anomaly")
	require.Equal(t, m.explore.res.Counterexample, cs[0], "the simplest first")

	// the seed story is no fix: no such note
	m = finishExploring(t, startExploring(t, presetModel(t, "cache-aside", 120, 40)))
	require.NotContains(t, m.View(), "Why a fix")
}

// TestExploreOpensEachCounterexample: the page lists a counterexample per
// anomaly (stale-set has a stale hit and a stale set), ↓ selects the next
// one and shows it whole, and enter opens the selected one in the lanes,
// on a stale read of its anomaly.
func TestExploreOpensEachCounterexample(t *testing.T) {
	m := finishExploring(t, startExploring(t, presetModel(t, "stale-set", 120, 40)))
	cs := counterexamples(m.explore.res)
	require.Len(t, cs, 2)
	view := m.View()
	require.Contains(t, view, "▸ "+string(cs[0].Anomaly))
	require.Contains(t, view, "↑/↓ choose a counterexample, enter opens it in the lanes")

	m = press(t, m, "down")
	view = m.View()
	require.Contains(t, view, "▸ "+string(cs[1].Anomaly))
	require.Contains(t, view, fmt.Sprintf("--schedule %q", engine.FormatSchedule(cs[1].Schedule)))
	require.Equal(t, m.View(), press(t, m, "down").View(), "the last stays selected")

	m = pressRun(t, m, "enter")
	require.Equal(t, stateTape, m.state)
	require.Equal(t, cs[1].Schedule, m.tape.tl.Schedule)
	found := false
	for _, r := range m.tape.tl.StaleReads() {
		found = found || r.Anomaly == cs[1].Anomaly
	}
	require.True(t, found, "the run serves a %s read", cs[1].Anomaly)
}

// TestExploreEstimate: while an exhaustive search runs, the page shows the
// estimate of its size once known, and when it should end at the rate so
// far (the tick's time since the explorer started).
func TestExploreEstimate(t *testing.T) {
	m := startExploring(t, presetModel(t, "stale-set", 100, 30))
	sc, err := presets.Get("stale-set")
	require.NoError(t, err)
	ex, err := engine.NewExplorer(sc, planFor(sc).opts)
	require.NoError(t, err)
	job := m.explore.job
	job.start(ex, planFor(sc))
	res, err := ex.Run(context.Background())
	require.NoError(t, err)

	_, started := job.estimate()
	m = update(t, m, exploreTickMsg{id: m.explore.id, at: started.Add(2 * time.Second)})
	require.NotContains(t, m.View(), "  of       ", "no estimate yet")

	job.estimated(engine.Estimate{Schedules: float64(2 * res.SchedulesRun), RelError: 0.05})
	m = update(t, m, exploreTickMsg{id: m.explore.id, at: started.Add(2 * time.Second)})
	view := m.View()
	requireFits(t, view, 100, 30)
	require.Contains(t, view, fmt.Sprintf("  of                ~%d (±5%%), ETA 0:02", 2*res.SchedulesRun))

	job.estimated(engine.Estimate{Schedules: float64(2 * res.SchedulesRun), RelError: 0.8})
	m = update(t, m, exploreTickMsg{id: m.explore.id, at: started.Add(2 * time.Second)})
	require.Contains(t, m.View(), "(±80%), ETA ?", "an unsure estimate gives no time")
}
