package tui

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// presetModel opens the named preset (as the command line offers it) at
// w×h.
func presetModel(t *testing.T, name string, w, h int) Model {
	t.Helper()
	sources := presetSources(t)
	for i, s := range sources {
		if s.Name == name {
			m := newTestModel(t, sources, i, w, h)
			require.NotNil(t, m.tape, "load %s: %v", name, m.loadErr)
			return m
		}
	}
	t.Fatalf("no preset %q", name)
	return Model{}
}

// schedOf is the schedule of the point shown in scheduler mode.
func schedOf(m Model) string { return strings.Join(m.sched.cur().schedule(), " ") }

// TestRunPrefixAgreesWithEngine walks random schedules of every preset but
// the largest: at each point the TUI's runPrefix gives the timeline and the
// next actors engine.RunPrefix gives, and a preview for each actor.
func TestRunPrefixAgreesWithEngine(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, p := range presets.All() {
		if len(p.Scenario.Actors) > exploreMaxActors {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			for range 3 {
				var sched []string
				for {
					tl, cs, err := runPrefix(p.Scenario, sched)
					require.NoError(t, err)
					want, next, err := engine.RunPrefix(p.Scenario, sched, engine.Options{})
					require.NoError(t, err)
					require.Equal(t, string(want.JSON()), string(tl.JSON()), "after %v", sched)
					var names []string
					for _, c := range cs {
						names = append(names, c.name)
						require.NotEmpty(t, c.next, "%s has no preview", c.name)
					}
					require.Equal(t, next, names, "after %v", sched)
					if len(cs) == 0 {
						break
					}
					sched = append(sched, cs[rng.IntN(len(cs))].name)
				}
			}
		})
	}
}

// TestSchedulerCacheAside plays the teaching game on the seed story: the
// writer commits, the reader is served the old value from the cache, the
// writer deletes too late, and the banner names the anomaly.
func TestSchedulerCacheAside(t *testing.T) {
	m := presetModel(t, "cache-aside", 100, 30)
	m = press(t, m, "n", "n", "right", "left") // on the stale read, no note
	timedPos, timedView := m.pos, m.View()
	require.Equal(t, 2, timedPos)

	m = pressRun(t, m, "s")
	require.Equal(t, stateSchedule, m.state)
	view := m.View()
	require.Contains(t, headerOf(view), "scheduler")
	require.Contains(t, headerOf(view), "step 0/0")
	require.Contains(t, view, "1 writer")
	require.Contains(t, view, "2 reader")
	require.Contains(t, view, "next: [1 writer: WRITE order:42=PAID]  2 reader: GET order:42")
	require.Contains(t, view, "Scheduler mode: you decide who moves next.")
	require.NotContains(t, view, "★")

	m = press(t, m, "1")
	require.Equal(t, "writer", schedOf(m))
	require.Equal(t, 1, m.pos)
	view = m.View()
	require.Contains(t, view, "WRITE order:42=PAID")
	require.Contains(t, view, "next: [1 writer: DEL order:42]  2 reader: GET order:42")
	require.Contains(t, view, `schedule (1 step): --schedule "writer"`)
	text, _ := narrate(m.tape, m.pos, false)
	require.Contains(t, text, "writer commits order:42 = PAID to the database (v2).")
	afterWrite := m.View()

	// The reader hits before the writer's DEL: stale, as the run stands.
	m = press(t, m, "2")
	require.Equal(t, "writer reader", schedOf(m))
	view = m.View()
	require.Contains(t, view, "✗ STALE GET order:42 → CANCELLED, current PAID")
	require.Equal(t, "★ You made the cache serve stale data! ttl-staleness so far: reader got CANCELLED from the cache, current PAID.", schedBanner(m.sched.cur()))
	require.Contains(t, view, "★ You made the cache serve stale data! ttl-staleness so far")
	require.Contains(t, headerOf(view), "✗ 1 stale read")
	require.Contains(t, view, "  reader", "the reader has finished: no key")
	require.NotContains(t, view, "2 reader")

	// Undo restores exactly the point before.
	m = press(t, m, "u")
	require.Equal(t, "writer", schedOf(m))
	require.Equal(t, afterWrite, m.View())
	require.Len(t, m.sched.points, 2)

	m = press(t, m, "2", "1")
	require.Equal(t, "writer reader writer", schedOf(m))
	view = m.View()
	require.Equal(t, "★ You made the cache serve stale data! stale-hit: reader got CANCELLED from the cache, current PAID.", schedBanner(m.sched.cur()))
	require.Contains(t, view, "★ You made the cache serve stale data! stale-hit: reader")
	require.NotContains(t, view, "so far")
	require.Contains(t, view, "every actor has finished")
	require.Contains(t, view, `--schedule "writer reader writer"`)
	requireFits(t, view, 100, 30)

	// Finished actors, actors that do not exist, the clock that cannot
	// move and enter with nobody left change nothing but say why.
	for k, note := range map[string]string{
		"2":     "reader has finished its program",
		"1":     "writer has finished its program",
		"9":     "no actor 9: this scenario has 2 actors",
		"c":     "the clock cannot move",
		"enter": "every actor has finished",
	} {
		mm := press(t, m, k)
		require.Equal(t, "writer reader writer", schedOf(mm), "key %q", k)
		require.Len(t, mm.sched.points, 4, "key %q", k)
		require.Contains(t, mm.View(), note, "key %q", k)
		require.Equal(t, view, press(t, mm, "right").View(), "key %q: the note goes with the next key", k)
	}

	// Undo to the start; one more undo says there is nothing to undo.
	m = press(t, m, "u", "u", "u")
	require.Equal(t, "", schedOf(m))
	require.Contains(t, m.View(), "Scheduler mode: you decide who moves next.")
	require.Contains(t, press(t, m, "u").View(), "nothing to undo")

	// esc leaves, back to the timed run where the cursor was.
	m = press(t, m, "esc")
	require.Equal(t, stateTape, m.state)
	require.Same(t, m.timed, m.tape)
	require.Equal(t, timedPos, m.pos)
	require.Equal(t, timedView, m.View())

	// s leaves too; a new visit starts from scratch.
	m = pressRun(t, m, "s")
	m = press(t, m, "2")
	require.Equal(t, "reader", schedOf(m))
	m = press(t, m, "s")
	require.Equal(t, stateTape, m.state)
	require.Equal(t, timedView, m.View())
	m = pressRun(t, m, "s")
	require.Equal(t, "", schedOf(m))
}

// TestSchedulerSelect picks actors with the arrows and enter.
func TestSchedulerSelect(t *testing.T) {
	m := pressRun(t, presetModel(t, "cache-aside", 100, 30), "s")
	m = press(t, m, "right")
	require.Contains(t, m.View(), "next:  1 writer: WRITE order:42=PAID  [2 reader: GET order:42]")
	m = press(t, m, "right")
	require.Contains(t, m.View(), "next: [1 writer: WRITE order:42=PAID]  2 reader: GET order:42", "the selection wraps")
	m = press(t, m, "left", "enter")
	require.Equal(t, "reader", schedOf(m))
	require.Contains(t, m.View(), "next: [1 writer: WRITE order:42=PAID]", "the reader has finished: the selection moves on")
	m = press(t, m, "enter", "enter")
	require.Equal(t, "reader writer writer", schedOf(m))
	require.NotContains(t, m.View(), "★", "this order serves no stale data")
	require.Contains(t, headerOf(m.View()), "✓ no stale reads")

	// Undo brings back the point as it was, selection included.
	m = press(t, m, "u", "u")
	require.Equal(t, "reader", schedOf(m))
	require.Contains(t, m.View(), "next: [1 writer: WRITE order:42=PAID]")
	m = press(t, m, "u")
	require.Contains(t, m.View(), "next:  1 writer: WRITE order:42=PAID  [2 reader: GET order:42]")
}

// TestSchedulerClock moves the clock on ttl-only: the key expires and the
// clock gets a lane.
func TestSchedulerClock(t *testing.T) {
	m := pressRun(t, presetModel(t, "ttl-only", 100, 30), "s")
	require.Contains(t, m.View(), "c clock: advance to the next TTL expiry")
	m = press(t, m, "c")
	require.Equal(t, timeline.ClockActor, schedOf(m))
	view := m.View()
	require.Contains(t, view, "clock")
	require.Contains(t, view, "the clock advances to")
	text, _ := narrate(m.tape, m.pos, false)
	require.Contains(t, text, "expires from the cache")
}

// TestSchedulerKeep opens the schedule built in the tape view; esc goes
// back to the timed run.
func TestSchedulerKeep(t *testing.T) {
	m := pressRun(t, presetModel(t, "cache-aside", 100, 30), "s")
	timed := m.timed
	m = press(t, m, "1", "2", "1", "v")
	require.Equal(t, stateTape, m.state)
	require.Contains(t, headerOf(m.View()), "your schedule")
	require.Contains(t, m.View(), "esc timed run")
	require.Equal(t, 3, m.pos)
	m = press(t, m, "g", "n", "n")
	require.Equal(t, 2, m.pos, "the tape keys work on it")
	m = press(t, m, "esc")
	require.Same(t, timed, m.tape)
	require.NotContains(t, m.View(), "your schedule")
	require.NotContains(t, m.View(), "esc timed run")
}

// TestNotAvailable: a source without a scenario has neither scheduler
// mode nor exploration, and says so.
func TestNotAvailable(t *testing.T) {
	m := cacheAsideModel(t)
	for _, k := range []string{"s", "e"} {
		nm, cmd := m.Update(keyMsg(k))
		require.Nil(t, cmd)
		mm := nm.(Model)
		require.Equal(t, stateTape, mm.state)
		require.Contains(t, mm.View(), "not available for this source", "key %q", k)
	}
}

// TestSchedulerBadScenario: a scenario that does not load is a note, not
// a mode.
func TestSchedulerBadScenario(t *testing.T) {
	src := sourceOf(cacheAsideTimeline())
	src.Scenario = func() (*engine.Scenario, error) { return nil, fmt.Errorf("x.yaml:3:7: unknown field") }
	m := newTestModel(t, []Source{src}, 0, 100, 30)
	m = pressRun(t, m, "s")
	require.Equal(t, stateTape, m.state)
	require.Contains(t, m.View(), "scheduler mode: x.yaml:3:7: unknown field")
}

// TestSchedulerManyActors: seed-matrix has more actors than number keys;
// the rest are reached with the arrows, and the choices scroll.
func TestSchedulerManyActors(t *testing.T) {
	m := pressRun(t, presetModel(t, "seed-matrix", 100, 30), "s")
	view := m.View()
	require.Contains(t, view, "1 writer-1")
	require.Contains(t, view, "8 reader-3")
	require.Contains(t, m.tape.labels, "9 reader-4")
	require.Contains(t, m.tape.labels, "· reader-5", "past the ninth actor: no key")
	require.Contains(t, view, "5 writer-5: WRITE order:42=w5 ▸")
	for range 9 {
		m = press(t, m, "right")
	}
	require.Contains(t, m.View(), "[reader-5: GET order:42]")
	require.Contains(t, m.View(), "next: ◂")
	m = press(t, m, "enter")
	require.Equal(t, "reader-5", schedOf(m))
	requireFits(t, m.View(), 100, 30)
}

// TestSchedulerGolden draws scheduler mode, color off: at the start, with
// a stale read as the run stands, and complete.
func TestSchedulerGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, c := range []struct {
			name string
			keys []string
		}{{"start", nil}, {"so-far", []string{"1", "2"}}, {"stale-hit", []string{"1", "2", "1"}}} {
			t.Run(fmt.Sprintf("%s-%dx%d", c.name, size[0], size[1]), func(t *testing.T) {
				m := pressRun(t, presetModel(t, "cache-aside", size[0], size[1]), "s")
				m = press(t, m, c.keys...)
				view := m.View()
				requireFits(t, view, size[0], size[1])
				if len(c.keys) > 1 {
					require.Contains(t, view, "★ You made the cache serve stale data!")
				}
				golden.RequireEqual(t, []byte(view))
			})
		}
	}
}

// TestSchedulerAxisStable: the scale does not change while the run grows
// inside the timed run's span, and y copies the schedule built so far.
func TestSchedulerAxisStable(t *testing.T) {
	m := pressRun(t, presetModel(t, "stale-set", 120, 40), "s")
	scale := m.scale
	for _, k := range []string{"1", "1", "2", "2"} {
		m = press(t, m, k)
		require.Equal(t, scale, m.scale, "after %s: the axis rescaled", schedOf(m))
	}
	m = press(t, m, "y")
	require.Contains(t, m.note, "--schedule 'slow-reader slow-reader writer writer'")
}
