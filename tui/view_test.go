package tui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// fixtures are the hand-built and generated runs the golden files show.
var fixtures = []struct {
	name string
	tl   func() *timeline.Timeline
}{
	{"cache-aside", cacheAsideTimeline},
	{"stale-set", staleSetTimeline},
	{"replica-lag", replicaTimeline},
	{"clean", cleanTimeline},
	{"synthetic-200", func() *timeline.Timeline { return syntheticTimeline(200, 6, 4, 1) }},
}

// toStale presses n until the cursor is on the last step of a stale read.
func toStale(t *testing.T, m Model) Model {
	t.Helper()
	for range len(m.tape.marks) {
		m = press(t, m, "n")
		if m.pos > 0 && m.tape.isStaleFinal(m.pos-1) {
			return m
		}
	}
	t.Fatalf("n never lands on a stale read (marks %v)", m.tape.marks)
	return m
}

// TestViewGolden compares whole frames, color off, with testdata (rewrite
// with -update): every fixture at its start, on its first stale read, and
// at its end, at 80×24 and 120×40.
func TestViewGolden(t *testing.T) {
	for _, f := range fixtures {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			for _, at := range []string{"start", "stale", "end"} {
				tl := f.tl()
				if at == "stale" && tl.StaleReads() == nil {
					continue
				}
				t.Run(fmt.Sprintf("%s/%s-%dx%d", f.name, at, size[0], size[1]), func(t *testing.T) {
					m := newTestModel(t, []Source{sourceOf(tl)}, 0, size[0], size[1])
					switch at {
					case "stale":
						m = toStale(t, m)
					case "end":
						m = press(t, m, "G")
					}
					view := m.View()
					requireFits(t, view, size[0], size[1])
					if at == "stale" {
						require.Contains(t, view, "✗ STALE")
					}
					golden.RequireEqual(t, []byte(view))
				})
			}
		}
	}
}

// TestRenderLanesGolden draws lanes directly for windows the keys rarely
// reach: clipped at both edges, zoomed far out over a long run, and
// scrolled through many actors.
func TestRenderLanesGolden(t *testing.T) {
	st := plainStyles()
	long := newTape(syntheticTimeline(10_000, 8, 8, 1))
	cases := []struct {
		name string
		t    *tape
		w    window
	}{
		{"cache-aside-clipped", newTape(cacheAsideTimeline()), testWindow(newTape(cacheAsideTimeline()), 60, 3500*us, 20*us, 2, 0, -1)},
		{"cache-aside-fine", newTape(cacheAsideTimeline()), testWindow(newTape(cacheAsideTimeline()), 100, 0, 50*us, 3, 0, -1)},
		{"synthetic-10k-far", long, testWindow(long, 100, 0, 500*ms, 5000, 0, 8)},
		{"synthetic-10k-scrolled", long, testWindow(long, 100, 200*ms, 200*us, 700, 3, 3)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := renderLanes(c.t, c.w, st)
			require.Len(t, lines, c.w.laneLines())
			for i, l := range lines {
				require.Equal(t, c.w.Width, textWidth(l), "line %d: %q", i, l)
			}
			golden.RequireEqual(t, []byte(strings.Join(lines, "\n")+"\n"))
		})
	}
}

// TestLanesCoverEverySpan checks the skipping drawer against a naive one:
// on every lane, a column shows a bar exactly when some step covers it, and
// a ✗ shows in a lane whenever a stale read ends inside the window.
func TestLanesCoverEverySpan(t *testing.T) {
	st := plainStyles()
	tp := newTape(syntheticTimeline(3_000, 6, 6, 7))
	for _, scale := range []timeTest{{0, 100 * us}, {5 * ms, 1 * ms}, {0, 20 * ms}, {90 * ms, 7 * us}, {0, time.Second}} {
		w := testWindow(tp, 90, scale.left, scale.scale, 0, 0, len(tp.names))
		lines := renderLanes(tp, w, st)
		g := w.Gutter
		cols := w.cols()
		for l := range tp.names {
			bar := []rune(lines[1+2*l])[g:]
			covered := make([]bool, cols)
			stale := false
			for _, seq := range tp.lanes[l] {
				c0, c1 := w.spanCols(&tp.tl.Events[seq])
				for c := max(c0, 0); c <= min(c1, cols-1); c++ {
					covered[c] = true
				}
				if c1 >= 0 && c0 < cols && tp.isStaleFinal(seq) {
					stale = true
				}
			}
			for c := range cols {
				drawn := bar[c] != ' ' && bar[c] != '┊'
				require.Equal(t, covered[c], drawn, "scale %v lane %d column %d: covered %v, drawn %q\n%s", scale, l, c, covered[c], bar[c], string(bar))
			}
			require.Equal(t, stale, strings.ContainsRune(string(bar), '✗'), "scale %v lane %d: stale mark\n%s", scale, l, string(bar))
		}
	}
}

type timeTest struct{ left, scale time.Duration }
