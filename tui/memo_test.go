package tui

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDrawCacheMatchesFreshDrawing: lanes drawn from the drawings kept
// while the cursor wanders back and forth are the lanes drawn anew, in
// both modes, at several zooms, with every number of label lines.
func TestDrawCacheMatchesFreshDrawing(t *testing.T) {
	st := plainStyles()
	tapes := map[string]*tape{
		"synthetic": newTape(syntheticTimeline(2_000, 6, 5, 11)),
		"stale-set": newTape(staleSetTimeline()),
	}
	for name, tp := range tapes {
		for _, reveal := range []bool{false, true} {
			for _, scale := range []time.Duration{fitScale(tp.end, 100), 50 * us, 2 * ms} {
				t.Run(fmt.Sprintf("%s/reveal=%v/%v", name, reveal, scale), func(t *testing.T) {
					cache := &drawCache{}
					rng := rand.New(rand.NewPCG(1, uint64(scale)))
					pos := 0
					for range 300 {
						switch r := rng.IntN(10); {
						case r < 6:
							pos++
						case r < 9:
							pos--
						default:
							pos = rng.IntN(tp.n + 1)
						}
						pos = max(0, min(pos, tp.n))
						w := testWindow(tp, 120, 0, scale, pos, 0, -1)
						w.Reveal = reveal
						if scale < time.Millisecond && pos > 0 {
							w.Left = floorTo(tp.timeAt(pos)-40*scale, scale)
						}
						for i := range w.Tracks {
							w.Tracks[i].labels = (i + pos) % (maxLabelLines + 1)
						}
						fresh := renderLanes(tp, w, st)
						w.Draws = cache
						kept := renderLanes(tp, w, st)
						require.Equal(t, strings.Join(fresh, "\n"), strings.Join(kept, "\n"), "at step %d", pos)
						for _, tr := range tp.tracks() {
							w.Draws = nil
							want := labelLines(tp, w, tr)
							w.Draws = cache
							require.Equal(t, want, labelLines(tp, w, tr), "label lines of %s at step %d", tp.trackName(tr), pos)
						}
					}
				})
			}
		}
	}
}

// TestMemoNeverChangesAFrame: after every key of a long walk through the
// teaching presets, the frame drawn with what earlier frames kept is the
// frame drawn from nothing.
func TestMemoNeverChangesAFrame(t *testing.T) {
	keys := []string{"right", "right", "n", "?", "left", "i", "right", "R", "i", "right", "i", "esc", "n", "N", "z", "right", "z", "Z", "f", "down", "x", "down", "X", "X", "?", "G", "R", "g", "/", "c", "a", "enter", "right", "esc", "y", "right", "p", "p", "left"}
	for _, name := range teaching {
		for _, size := range [][2]int{{80, 24}, {120, 36}, {200, 50}} {
			t.Run(fmt.Sprintf("%s/%dx%d", name, size[0], size[1]), func(t *testing.T) {
				m := presetAt(t, name, size[0], size[1], true)
				for i, k := range keys {
					m = press(t, m, k)
					fresh := m
					fresh.memo = &memo{help: helpMemo{width: -1}}
					require.Equal(t, fresh.View(), m.View(), "after key %d (%q)", i, k)
				}
			})
		}
	}
}
