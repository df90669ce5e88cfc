package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/stretchr/testify/require"
)

// waitFor waits until the program has drawn every one of wants.
func waitFor(t *testing.T, tm *teatest.TestModel, wants ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(out []byte) bool {
		for _, w := range wants {
			if !bytes.Contains(out, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// TestSession runs the TUI as a program, the way a new user would: open the
// seed story, step, jump to the stale read, step back, quit.
func TestSession(t *testing.T) {
	sources := []Source{sourceOf(cacheAsideTimeline()), sourceOf(staleSetTimeline())}
	m := newModel(sources, 0, Options{NoColor: true}, plainStyles())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))

	waitFor(t, tm, "step 0/3", "Start: no step taken yet")
	tm.Send(keyMsg("right"))
	waitFor(t, tm, "step 1/3", "writer commits order:42 = PAID")
	tm.Send(keyMsg("n"))
	waitFor(t, tm, "step 2/3", "✗ STALE (stale-hit)")
	tm.Send(keyMsg("left"))
	tm.Send(keyMsg("q"))

	out, err := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(10*time.Second)))
	require.NoError(t, err)
	require.Contains(t, string(out), "step 1/3", "the last frame drawn is the step before the stale read")
	fm, ok := tm.FinalModel(t).(Model)
	require.True(t, ok)
	require.Equal(t, stateTape, fm.state)
	require.Equal(t, 1, fm.pos)
	require.Equal(t, "cache-aside", fm.tape.tl.Scenario)
	view := fm.View()
	require.Contains(t, view, "step 1/3")
	require.Contains(t, view, "┣━━━━")
}

// TestSessionPicker opens the picker, filters it, and loads another run.
func TestSessionPicker(t *testing.T) {
	sources := []Source{sourceOf(cacheAsideTimeline()), sourceOf(staleSetTimeline()), sourceOf(replicaTimeline())}
	m := newModel(sources, 0, Options{NoColor: true}, plainStyles())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))

	waitFor(t, tm, "step 0/3")
	tm.Send(keyMsg("o"))
	waitFor(t, tm, "pick a scenario", "A slow reader sets the old row back", "replica-lag")
	tm.Type("/slow")
	waitFor(t, tm, "slow")
	tm.Send(keyMsg("enter"))
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "A slow reader sets the old row back", "step 0/8")
	tm.Send(keyMsg("G"))
	waitFor(t, tm, "step 8/8")
	tm.Send(keyMsg("ctrl+c"))

	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	fm := tm.FinalModel(t).(Model)
	require.Equal(t, "stale-set", fm.tape.tl.Scenario)
	require.Equal(t, 8, fm.pos)
}

// TestRun runs the real entry point on piped input: it draws, quits on q,
// and returns no error.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	in := &slowReader{r: strings.NewReader("llq")}
	err := Run([]Source{sourceOf(cacheAsideTimeline())}, 0, Options{NoColor: true, Input: in, Output: &out})
	require.NoError(t, err)
	require.Contains(t, out.String(), "\x1b[?1049h", "the alternate screen is entered")
	require.Contains(t, out.String(), "\x1b[?1049l", "and left")
}

// slowReader hands out one byte per read, so each key is its own message,
// then reports EOF.
type slowReader struct{ r io.Reader }

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return s.r.Read(p)
}

var _ tea.Model = Model{}

// TestSessionModes runs scheduler mode and exploration as a program, with
// real commands and ticks: make the cache serve stale data by hand, undo,
// leave, explore, open the counterexample, quit.
func TestSessionModes(t *testing.T) {
	m := newModel(presetSources(t), 0, Options{NoColor: true}, plainStyles())
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(100, 30))

	waitFor(t, tm, "step 0/3")
	tm.Send(keyMsg("s"))
	waitFor(t, tm, "scheduler", "next: [1 writer: WRITE order:42=PAID]")
	tm.Send(keyMsg("1"))
	waitFor(t, tm, `--schedule "writer"`)
	tm.Send(keyMsg("2"))
	waitFor(t, tm, "ttl-staleness so far")
	tm.Send(keyMsg("1"))
	waitFor(t, tm, "You made the cache serve stale data! stale-hit", `--schedule "writer reader writer"`)
	tm.Send(keyMsg("u"))
	waitFor(t, tm, "next: [1 writer: DEL order:42]")
	tm.Send(keyMsg("esc"))
	waitFor(t, tm, "Press → to step")
	tm.Send(keyMsg("e"))
	waitFor(t, tm, "schedules run     3", "counterexample    writer reader writer")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "counterexample  t=+3.500ms", "✗ STALE GET order:42 → CANCELLED, current PAID")
	tm.Send(keyMsg("q"))

	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	fm := tm.FinalModel(t).(Model)
	require.Equal(t, stateTape, fm.state)
	require.Equal(t, "counterexample", fm.shown)
	require.Equal(t, []string{"writer", "reader", "writer"}, fm.tape.tl.Schedule)
}
