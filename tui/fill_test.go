package tui

import (
	"encoding/base64"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// teaching are the presets a teacher projects (the "done when").
var teaching = []string{"cache-aside", "stale-set", "double-delete"}

// presetAt opens preset name at w×h, reveal mode on or off.
func presetAt(t *testing.T, name string, w, h int, reveal bool) Model {
	t.Helper()
	sources := presetSources(t)
	for i, s := range sources {
		if s.Name == name {
			m := newTestModel(t, sources, i, w, h)
			m.reveal = reveal
			require.NotNil(t, m.tape, "%v", m.loadErr)
			return m
		}
	}
	t.Fatalf("no preset %q", name)
	return Model{}
}

// lanesOf is the lanes' lines of a view: after the header, up to the legend
// or the first pane.
func lanesOf(view string) []string {
	lines := strings.Split(view, "\n")
	var out []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "├─┤") || strings.HasPrefix(l, "╶╌╴") || strings.HasPrefix(l, "╭") {
			break
		}
		out = append(out, l)
	}
	return out
}

// TestNoLabelCut: where the terminal is wide enough, every step of the
// teaching presets has its label drawn whole on the lanes, at every step,
// in both modes (in reveal mode, the steps up to the cursor).
func TestNoLabelCut(t *testing.T) {
	for _, name := range teaching {
		for _, size := range [][2]int{{120, 36}, {120, 40}, {200, 50}} {
			for _, reveal := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%dx%d/reveal=%v", name, size[0], size[1], reveal), func(t *testing.T) {
					m := presetAt(t, name, size[0], size[1], reveal)
					for {
						lanes := strings.Join(lanesOf(m.View()), "\n")
						require.NotContains(t, lanes, "…", "step %d: a label is cut:\n%s", m.pos, lanes)
						for seq := range m.tape.n {
							if reveal && seq >= m.pos {
								continue
							}
							require.Contains(t, lanes, stepLabel(m.tape, seq), "step %d: label of step %d missing:\n%s", m.pos, seq+1, lanes)
						}
						if m.pos == m.tape.n {
							break
						}
						m = press(t, m, "right")
					}
				})
			}
		}
	}
}

// blankRows counts the lines of view with nothing drawn.
func blankRows(view string) int {
	n := 0
	for _, l := range strings.Split(view, "\n") {
		if strings.TrimSpace(l) == "" {
			n++
		}
	}
	return n
}

// TestFillsTheTerminal: at 200×50 the teaching presets leave at most a few
// lines blank, at the start, on their stale read and at the end; and the
// frame at 200×50 shows more than at 120×36: wider lanes, the steps pane.
func TestFillsTheTerminal(t *testing.T) {
	for _, name := range teaching {
		for _, reveal := range []bool{false, true} {
			m := presetAt(t, name, 200, 50, reveal)
			for _, keys := range [][]string{{}, {"n", "n"}, {"G"}} {
				v := press(t, m, keys...).View()
				require.LessOrEqual(t, blankRows(v), 3, "%s reveal=%v after %v:\n%s", name, reveal, keys, v)
			}
			lay := m.layout()
			require.False(t, lay.side, "%s: the lanes take the whole width at 200×50", name)
			require.Equal(t, 200, lay.lanesW)
			require.Contains(t, m.View(), "╭─ Steps", "the steps pane from 160 columns")
			small := presetAt(t, name, 120, 36, reveal)
			require.Greater(t, m.window().cols(), small.window().cols()+70)
			require.NotContains(t, small.View(), "╭─ Steps")
		}
	}
}

// TestWideTerminalPanesBeside: many tracks on a wide, short terminal put
// the panes beside the lanes.
func TestWideTerminalPanesBeside(t *testing.T) {
	m := newTestModel(t, []Source{sourceOf(syntheticTimeline(300, 10, 4, 3))}, 0, 200, 40)
	lay := m.layout()
	require.True(t, lay.side)
	require.Less(t, lay.lanesW, 200)
	v := m.View()
	requireFits(t, v, 200, 40)
	require.Contains(t, v, "╭─ What happens")
	require.Contains(t, v, "╭─ Steps")
}

// TestReveal: in reveal mode nothing ahead of the cursor is given away.
func TestReveal(t *testing.T) {
	m := presetAt(t, "cache-aside", 120, 36, true)
	v := m.View()
	for _, secret := range []string{"STALE", "PAID v2", "≠ cache", "DEL order:42", "WRITE", "stale hit"} {
		require.NotContains(t, v, secret, "step 0 gives away %q", secret)
	}
	require.NotContains(t, strings.Join(lanesOf(v), "\n"), "✗", "no stale mark on the lanes")
	require.Contains(t, headerOf(v), "? verdict")
	require.Contains(t, headerOf(v), "reveal")
	require.Contains(t, v, "╶╌", "the steps ahead are drawn as shapes")

	m = press(t, m, "right")
	v = m.View()
	require.Contains(t, v, "WRITE order:42=PAID (v2)")
	require.Contains(t, v, "PAID v2")
	require.NotContains(t, v, "STALE")
	require.Contains(t, headerOf(v), "? verdict")

	m = press(t, m, "right")
	v = m.View()
	require.Contains(t, v, "✗ STALE GET order:42 → CANCELLED, current PAID")
	require.Contains(t, headerOf(v), "✗ 1 stale read so far")
	require.NotContains(t, v, "DEL order:42", "the late DEL is still ahead")

	m = press(t, m, "G")
	require.Contains(t, headerOf(m.View()), "[✗ 1 stale read]")
	m = press(t, m, "g", "R")
	require.False(t, m.reveal)
	require.Contains(t, headerOf(m.View()), "[✗ 1 stale read]", "R shows the whole run")
	require.Contains(t, m.View(), "DEL order:42")
}

// TestRevealNoStale: a clean preset's badge says ? until the end.
func TestRevealNoStale(t *testing.T) {
	m := presetAt(t, "lease", 120, 36, true)
	require.Contains(t, headerOf(m.View()), "? verdict")
	m = press(t, m, "G")
	require.Contains(t, headerOf(m.View()), "✓ no stale reads")
}

// TestCopyCommand: y copies the replay command with OSC 52 and shows it in
// full.
func TestCopyCommand(t *testing.T) {
	var out strings.Builder
	sources := presetSources(t)
	m := newModel(sources, 0, Options{NoColor: true, Output: &out}, plainStyles())
	m = update(t, m, windowSize(120, 36))
	m = update(t, m, m.Init()())
	nm, cmd := m.Update(keyMsg("y"))
	m = nm.(Model)
	require.NotNil(t, cmd)
	cmd()
	want := `racetape run cache-aside --schedule 'writer reader writer'`
	require.Contains(t, out.String(), "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(want)))
	require.Contains(t, strings.ReplaceAll(m.View(), "\n│ ", " "), "copied (OSC 52): racetape run cache-aside --schedule")
}

// TestFilterAndCollapse: / keeps the tracks whose name holds the text; x
// collapses the selected track, X all of them.
func TestFilterAndCollapse(t *testing.T) {
	m := presetAt(t, "double-delete", 120, 36, false)
	require.Len(t, m.visibleTracks(), 8)
	m = press(t, m, "/")
	require.True(t, m.filtering)
	m = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("order:2")})
	m = press(t, m, "enter")
	require.False(t, m.filtering)
	names := []string{}
	for _, tr := range m.visibleTracks() {
		names = append(names, m.tape.trackName(tr))
	}
	require.Equal(t, []string{"cache order:2", "db order:2"}, names)
	lanes := strings.Join(lanesOf(m.View()), "\n")
	require.Contains(t, lanes, "cache order:2")
	require.NotContains(t, lanes, "reader-1")
	m = press(t, m, "esc")
	require.Len(t, m.visibleTracks(), 8, "esc clears the filter")

	m = press(t, m, "j")
	require.Equal(t, "reader-1", m.selName)
	m = press(t, m, "j", "x")
	require.True(t, m.collapsed["writer-1ms"])
	for _, s := range m.layout().tracks {
		if m.tape.trackName(s.track) == "writer-1ms" {
			require.Zero(t, s.labels, "collapsed: no label line")
		}
	}
	m = press(t, m, "X")
	for _, s := range m.layout().tracks {
		require.Zero(t, s.labels, "X collapses every track")
	}
}

// TestTracksScrollFromTheKeyboard: with more tracks than fit, ↓ moves the
// selection and scrolls.
func TestTracksScrollFromTheKeyboard(t *testing.T) {
	m := newTestModel(t, []Source{sourceOf(syntheticTimeline(200, 10, 4, 1))}, 0, 80, 24)
	n := len(m.layout().tracks)
	require.Less(t, n, len(m.visibleTracks()))
	for range n + 2 {
		m = press(t, m, "down")
	}
	require.Greater(t, m.top, 0, "the tracks scrolled")
	require.Contains(t, m.View(), "›"+m.selName)
	require.Contains(t, m.View(), "↑")
}

// TestPerKeyTracks: double-delete's two keys each get a cache and a db
// track; no commit disappears.
func TestPerKeyTracks(t *testing.T) {
	m := presetAt(t, "double-delete", 200, 50, false)
	lanes := strings.Join(lanesOf(m.View()), "\n")
	for _, name := range []string{"cache order:1", "db order:1", "cache order:2", "db order:2"} {
		require.Contains(t, lanes, name)
	}
	require.Equal(t, 2, strings.Count(lanes, "PAID v2"), "both commits are drawn")
}

// TestAxisNeverRepeats: at any scale the tick labels are distinct, and
// each is a whole time with its unit (none cut at the right edge).
func TestAxisNeverRepeats(t *testing.T) {
	tl := syntheticTimeline(3000, 4, 2, 1)
	tp := newTape(tl)
	unit := regexp.MustCompile(`^(0|[0-9.]+(ns|µs|ms|s|m|h))$`)
	for _, width := range []int{140, 97, 61} {
		for _, scale := range []int64{1, 7, 20, 130, 1000, 20000, 400000} {
			for _, left := range []int64{0, 2_510_000_000} {
				w := testWindow(tp, width, 0, 0, 0, 0, 1)
				w.Scale, w.Left = durUS(scale), durUS(left/1000)
				axis := renderLanes(tp, w, plainStyles())[0]
				seen := map[string]bool{}
				for _, f := range strings.Fields(strings.ReplaceAll(string([]rune(axis)[w.Gutter:]), "╵", " ")) {
					f = strings.Trim(f, "▼◂▸")
					if f == "" {
						continue
					}
					require.False(t, seen[f], "scale %dµs left %dµs: %q twice in %q", scale, left/1000, f, axis)
					require.Regexp(t, unit, f, "scale %dµs left %dµs width %d: a cut label in %q", scale, left/1000, width, axis)
					seen[f] = true
				}
			}
		}
	}
	f := tickFormat(20*us, 3*time1s)
	require.Equal(t, "2.51002s", f(2_510_020*us))
}

// TestReloadKeepsTheCursor: r runs the source again and keeps the step.
func TestReloadKeepsTheCursor(t *testing.T) {
	loads := 0
	src := Source{Name: "file.yaml", Path: "file.yaml", Load: func() (*timeline.Timeline, error) {
		loads++
		tl := cacheAsideTimeline()
		tl.Title = fmt.Sprintf("version %d", loads)
		return tl, nil
	}}
	m := newTestModel(t, []Source{src}, 0, 120, 36)
	m = press(t, m, "right", "right")
	m = pressRun(t, m, "r")
	require.Equal(t, 2, loads)
	require.Equal(t, 2, m.pos)
	require.Contains(t, headerOf(m.View()), "version 2")
	require.Contains(t, m.View(), "reloaded file.yaml")
	// picking the file again in the picker reloads it too
	m = press(t, m, "o")
	m = pressRun(t, m, "enter")
	require.Equal(t, 3, loads)
}

// TestWatchReloads: with Options.Watch, a change of the file's
// modification time reloads it; no change polls again.
func TestWatchReloads(t *testing.T) {
	path := t.TempDir() + "/race.yaml"
	require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
	loads := 0
	src := Source{Name: path, Path: path, Load: func() (*timeline.Timeline, error) {
		loads++
		return cacheAsideTimeline(), nil
	}}
	m := newModel([]Source{src}, 0, Options{NoColor: true, Watch: true}, plainStyles())
	m = update(t, m, windowSize(120, 36))
	nm, cmd := m.Update(m.Init()())
	m = nm.(Model)
	require.NotNil(t, cmd, "loading starts the watch")
	require.Equal(t, 1, loads)

	nm, cmd = m.Update(watchMsg{src: 0, id: m.loadID, mtime: m.loadedAt})
	m = nm.(Model)
	require.NotNil(t, cmd, "unchanged: it polls again")
	require.Equal(t, 1, loads)

	later := m.loadedAt.Add(time.Second)
	nm, cmd = m.Update(watchMsg{src: 0, id: m.loadID, mtime: later})
	m = nm.(Model)
	require.NotNil(t, cmd)
	m = update(t, m, cmd())
	require.Equal(t, 2, loads, "changed: reloaded")
}

// TestHelpListsTheWheel: the full help names the mouse wheel and the track
// keys.
func TestHelpListsTheWheel(t *testing.T) {
	m := press(t, presetAt(t, "cache-aside", 160, 40, false), "?")
	v := m.View()
	for _, want := range []string{"wheel", "scroll tracks (shift: time)", "filter tracks", "collapse track", "copy replay cmd", "reveal mode", "fit the run"} {
		require.Contains(t, v, want)
	}
}
