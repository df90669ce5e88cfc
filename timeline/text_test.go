package timeline

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func textAt(t *testing.T, tl *Timeline, width int) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, tl.WriteText(&b, TextOptions{Width: width}))
	return b.String()
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestTextGolden(t *testing.T) {
	tests := []struct {
		file  string
		tl    *Timeline
		width int
	}{
		{"cache_aside.golden", cacheAside(), 0},
		{"cache_aside_wide.golden", cacheAside(), 160},
		{"cache_aside_narrow.golden", cacheAside(), 40},
		{"stale_set_open.golden", staleSetOpen(), 0},
		{"no_stale.golden", noStale(), 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			requireGolden(t, tc.file, []byte(textAt(t, tc.tl, tc.width)))
		})
	}
	require.Equal(t, textAt(t, cacheAside(), DefaultWidth), cacheAside().Text(), "Text is WriteText at the default width")
}

func TestTextLinesFitTheWidth(t *testing.T) {
	timelines := map[string]*Timeline{
		"cache-aside": cacheAside(), "stale-set": staleSetOpen(), "no-stale": noStale(), "empty": {},
	}
	for name, tl := range timelines {
		for _, width := range []int{40, 80, 120, 200} {
			t.Run(fmt.Sprintf("%s/%d", name, width), func(t *testing.T) {
				for _, l := range lines(textAt(t, tl, width)) {
					require.LessOrEqual(t, runeLen(l), width, "%q", l)
				}
			})
		}
		t.Run(name+"/narrow", func(t *testing.T) {
			for width := 1; width < 40; width++ {
				ls := lines(textAt(t, tl, width))
				last := 0 // the verdict follows the last blank line
				for i, l := range ls {
					if l == "" {
						last = i + 1
					}
				}
				cut := strings.TrimSuffix(ls[last], "…")
				require.True(t, ls[last] != "" && strings.HasPrefix(tl.Verdict(), cut),
					"width %d: the verdict, cut: %q", width, ls[last])
				for _, l := range ls {
					require.LessOrEqual(t, runeLen(l), width, "width %d: %q", width, l)
				}
			}
		})
	}
}

func TestTextMarksTheStaleRead(t *testing.T) {
	for _, width := range []int{60, 100, 160} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ls := lines(textAt(t, cacheAside(), width))
			var marked []int
			for i, l := range ls {
				if strings.HasPrefix(l, "✗ ") {
					marked = append(marked, i)
				}
			}
			require.Len(t, marked, 1, "one stale read, one marked row")
			row := ls[marked[0]]
			require.Contains(t, row, "+4.500ms")
			require.Contains(t, row, "└ GET", "the row of the read's last event")
			require.Contains(t, row, "CANCELLED")

			rest := strings.Join(ls[marked[0]+1:], " ")
			require.True(t, strings.HasPrefix(strings.TrimLeft(ls[marked[0]+1], " │"), "✗ STALE served CANCELLED"),
				"the annotation follows the row: %q", ls[marked[0]+1])
			require.Contains(t, rest, "current PAID")
			require.Contains(t, rest, "(stale-hit)")
		})
	}
}

func TestTextLanes(t *testing.T) {
	text := textAt(t, cacheAside(), 160)
	require.NotContains(t, text, "leave it out", "wide enough for the keys")
	require.Contains(t, text, "└ WRITE order:42=PAID (v2)")
	require.Contains(t, text, "└ GET order:42 → CANCELLED")
	require.Contains(t, text, "COMMIT order:42=PAID v2")

	text = textAt(t, cacheAside(), 100)
	require.Contains(t, text, "every step is on key order:42, so the lanes leave it out")
	require.Contains(t, text, "└ GET → CANCELLED")

	text = textAt(t, noStale(), 160)
	require.Contains(t, text, "expired order:42", "the expiry has its own row")
	require.Contains(t, text, "┌ sleep 4ms")
}

func TestTextShadesDivergence(t *testing.T) {
	// In cache-aside the cache differs from the db from the commit at +3ms
	// until the DEL at +5ms.
	shaded := func(text string) []string {
		var out []string
		for _, l := range lines(text) {
			f := strings.Fields(strings.TrimPrefix(l, "✗"))
			if len(f) > 0 && strings.HasPrefix(f[0], "+") && strings.Contains(l, "░") {
				out = append(out, f[0])
			}
		}
		return out
	}
	require.Equal(t, []string{"+3.000ms", "+3.000ms", "+4.000ms", "+4.500ms"}, shaded(textAt(t, cacheAside(), 160)))
	require.Empty(t, shaded(textAt(t, noStale(), 160)), "nothing diverges")
}

func TestTextSections(t *testing.T) {
	text := textAt(t, cacheAside(), 100)
	require.Contains(t, text, "stale reads (1)\n  1. ✗ reader · order:42 from cache · [+4.000ms, +4.500ms] · stale-hit\n     served CANCELLED, current PAID\n     why: writer committed PAID")
	require.Contains(t, text, "divergences (1)\n  1. order:42 · cache CANCELLED ≠ db PAID · from +3.000ms until +5.000ms\n")
	require.Contains(t, text, "     end: del at +5.000ms (writer's DEL order:42)\n")
	require.True(t, strings.HasSuffix(text, "\nverdict: 1 stale read served (stale-hit ×1)\n"))

	text = textAt(t, staleSetOpen(), 100)
	require.Contains(t, text, "  1. order:42 · cache CANCELLED ≠ db PAID · from +5.000ms\n")
	require.Contains(t, text, "     end: still diverged at the end of the run, TTL left 295s\n")

	text = textAt(t, noStale(), 100)
	require.Contains(t, text, "\nstale reads: none\n")
	require.Contains(t, text, "\ndivergences: none\n")
	require.True(t, strings.HasSuffix(text, "\nverdict: no stale reads\n"))
	for _, l := range lines(text) {
		require.False(t, strings.HasPrefix(l, "✗"), "no stale read, no mark: %q", l)
	}
}

func TestDivergenceEnd(t *testing.T) {
	tl := cacheAside()
	d := tl.Divergences[0]
	require.Equal(t, "del at +5.000ms (writer's DEL order:42)", tl.divergenceEnd(d))
	d.End, d.EndEvent = "expiry", -1
	require.Equal(t, "expiry at +5.000ms (the TTL ran out)", tl.divergenceEnd(d))
	d.End, d.EndEvent = "commit", 0
	require.Equal(t, "commit at +5.000ms (the database caught up: writer's WRITE order:42=PAID (v2))", tl.divergenceEnd(d))
	d.End, d.EndEvent = "overwrite", 1
	require.Equal(t, "overwrite at +5.000ms (reader's GET order:42 → CANCELLED)", tl.divergenceEnd(d))
	d.Until, d.TTLLeft = nil, -1
	require.Equal(t, "still diverged at the end of the run, no TTL", tl.divergenceEnd(d))
}

func TestVerdict(t *testing.T) {
	require.Equal(t, "verdict: no stale reads", noStale().Verdict())
	require.Equal(t, "verdict: 1 stale read served (stale-hit ×1)", cacheAside().Verdict())

	tl := staleSetOpen()
	tl.Reads = append(tl.Reads, cacheAside().Reads[0], cacheAside().Reads[0])
	tl.Reads[0].Stale = true // no anomaly name
	require.Equal(t, "verdict: 4 stale reads served (lost-invalidation ×1, stale-hit ×2, unnamed ×1)", tl.Verdict())
}

func TestTextHeader(t *testing.T) {
	tl := cacheAside()
	tl.Backend, tl.Clock = "redis 127.0.0.1:6379", false
	tl.Mode = "schedule"
	ls := lines(textAt(t, tl, 200))
	require.Equal(t, "cache-aside — The 2 AM order-status bug", ls[0])
	require.Equal(t, tl.Description, ls[1])
	require.Equal(t, "mode schedule · epoch 2025-01-01T12:00:00Z · backend redis 127.0.0.1:6379 (TTLs follow the server's own clock)", ls[2])
	require.Equal(t, "expiry rule: "+expiryRule, ls[3])
	require.Equal(t, "schedule: writer reader writer", ls[4])
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteTextReportsWriteErrors(t *testing.T) {
	w := &failingWriter{n: 3}
	require.EqualError(t, cacheAside().WriteText(w, TextOptions{}), "disk full")
}
