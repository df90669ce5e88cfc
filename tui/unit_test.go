package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

func TestColOf(t *testing.T) {
	w := window{Left: 10 * ms, Scale: ms}
	for at, want := range map[time.Duration]int{10 * ms: 0, 10500 * us: 0, 11 * ms: 1, 9999 * us: -1, 9 * ms: -1, 8500 * us: -2} {
		require.Equal(t, want, w.colOf(at), "colOf(%v)", at)
	}
	// An instant that ends a step is drawn in the step's last column.
	require.Equal(t, 0, w.instCol(11*ms))
	require.Equal(t, 1, w.instCol(11*ms+1))
	e := timeline.Event{Start: 10 * ms, End: 13 * ms}
	c0, c1 := w.spanCols(&e)
	require.Equal(t, [2]int{0, 2}, [2]int{c0, c1})
	e = timeline.Event{Start: 12 * ms, End: 12 * ms}
	c0, c1 = w.spanCols(&e)
	require.Equal(t, [2]int{2, 2}, [2]int{c0, c1}, "a zero-length step takes one column")
}

func TestRowText(t *testing.T) {
	r := newRow(10)
	end := r.text(-2, "abcdef", inkPlain, 10)
	require.Equal(t, 4, end)
	require.Equal(t, "cdef      ", r.String(), "runes left of column 0 are skipped")

	r = newRow(8)
	r.fit(0, "注文:42=済み", inkPlain, 8, 4)
	require.Equal(t, "注文:42…", r.String(), "double-width runes take two columns")
	require.Equal(t, 8, lipgloss.Width(r.String()))

	r = newRow(8)
	r.fit(5, "GET order:42", inkPlain, 8, minLabel)
	require.Equal(t, "        ", r.String(), "no label squeezed under minLabel columns")

	require.Equal(t, "ab…", clip("abcdef", 3))
	require.Equal(t, "abc", clip("abc", 3))
	require.Equal(t, "", clip("abc", 0))
	require.Equal(t, "ab  ", pad("ab", 4))
}

func TestGlyphWidths(t *testing.T) {
	// Every glyph the lanes draw must take one column, or rows would be
	// misaligned.
	for _, g := range "├─┤│┣━┫┃✗═░●○▲△✕◇†◆·┊▼◂▸╵…≠→↑↓" {
		require.Equal(t, 1, runeWidth(g), "%q", g)
		require.Equal(t, 1, lipgloss.Width(string(g)), "%q per lipgloss", g)
	}
	require.Equal(t, 2, runeWidth('注'))
	require.Equal(t, 0, runeWidth('\u0301'))
	require.Equal(t, textWidth(legend), lipgloss.Width(legend))
}

func TestWrapText(t *testing.T) {
	require.Equal(t, []string{"one two", "three"}, wrapText("one two three", 8, 3))
	require.Equal(t, []string{"one two", "three f…"}, wrapText("one two three four five", 8, 2))
	require.Equal(t, []string{"abcdefg…"}, wrapText("abcdefghijkl", 8, 1))
	require.Nil(t, wrapText("x", 0, 2))
}

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0", 500 * us: "500µs", 1500 * us: "1.5ms", 3 * ms: "3ms", 2250 * ms: "2.25s", 5 * time.Minute: "5m", -2 * ms: "-2ms"} {
		require.Equal(t, want, formatShort(d))
	}
	require.Equal(t, "+4.500ms", formatOffset(4500*us))
	require.Equal(t, "12:00:00.004500", formatClock(time.Time{}, 4500*us))
	require.Equal(t, "no TTL", formatTTL(-1))
	require.Equal(t, "ttl ~300s", formatTTL(300*time.Second-4500*us), "rounded, and marked so")
	require.Equal(t, "ttl 300s", formatTTL(300*time.Second))
	require.Equal(t, "ttl ~4.57ms", formatTTL(4567*us))
	require.Equal(t, 20*ms, niceStep(11*ms))
	require.Equal(t, 50*us, niceStep(50*us))
}

func TestFitScale(t *testing.T) {
	short := newTape(cacheAsideTimeline())
	require.Equal(t, 73*us, fitScale(short.end, 70), "5ms in 69 columns, two significant digits up")
	require.Equal(t, 51*us, fitScale(short.end, 100))
	require.Equal(t, time.Microsecond, fitScale(0, 100))
	for _, cols := range []int{10, 61, 100, 187} {
		s := fitScale(short.end, cols)
		w := window{Scale: s}
		require.Less(t, w.instCol(short.end), cols, "%d columns: the run's end is in view", cols)
	}
}

func TestTapeIndexes(t *testing.T) {
	tp := newTape(cacheAsideTimeline())
	require.Equal(t, 3, tp.n)
	require.Equal(t, 5*ms, tp.end)
	require.Equal(t, []int{0, 1}, tp.marks, "the stale read and its cause")
	require.Equal(t, [][]int{{0, 2}, {1}}, tp.lanes)
	require.Equal(t, []int{-1, 0, -1}, tp.readOf)
	require.True(t, tp.isStaleFinal(1))
	require.Equal(t, 1, tp.stale)
	require.Equal(t, []string{"order:42"}, tp.keys)
	require.Equal(t, []int{0}, tp.byKey["order:42"].divs)
	require.Equal(t, []int{1, 2}, tp.byKey["order:42"].cacheEv)
	require.Equal(t, 1, tp.nextMark(0), "n stops at the cause first: the commit the cache was not told of")
	require.Equal(t, 2, tp.nextMark(1), "then at the stale read")
	require.Equal(t, -1, tp.nextMark(2))
	require.Equal(t, 2, tp.prevMark(3))
	require.Equal(t, 1, tp.prevMark(2))
	require.True(t, tp.causes[0])
	c, ok := tp.commitOf("order:42", "PAID", 4500*us)
	require.True(t, ok)
	require.Equal(t, 3*ms, c.At)
	_, ok = tp.commitOf("order:42", "PAID", 2*ms)
	require.False(t, ok, "not yet committed")
}

func TestTapeToleratesOddTimelines(t *testing.T) {
	// Wrong lane numbers, an actor missing from the lane list, no states
	// (the engine's NoStates), no events at all.
	tl := cacheAsideTimeline()
	tl.Events[1].Lane = 7
	tl.Events[2].Actor, tl.Events[2].Lane = "janitor", 0
	tl.States = nil
	tp := newTape(tl)
	require.Equal(t, []string{"writer", "reader", "janitor"}, tp.names)
	require.Equal(t, []string{"writer", "reader"}, tl.Actors, "the timeline is not changed")
	require.Equal(t, []int{0, 1, 2}, tp.laneOf)

	empty := &timeline.Timeline{Scenario: "empty", Title: "Nothing happens"}
	for _, tl := range []*timeline.Timeline{tl, empty} {
		m := newTestModel(t, []Source{sourceOf(tl)}, 0, 80, 24)
		for _, k := range []string{"", "right", "n", "G", "z", "Z", "p", "left", "?"} {
			if k != "" {
				m = press(t, m, k)
			}
			requireFits(t, m.View(), 80, 24)
		}
	}
}

// colorStyles are the styles of a 256-color terminal.
func colorStyles() *styles {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.ANSI256)
	return newStyles(r, ThemeDark, false)
}

func TestColor(t *testing.T) {
	tp := newTape(cacheAsideTimeline())
	w := testWindow(tp, 100, 0, 100*us, 2, 0, -1)
	lines := renderLanes(tp, w, colorStyles())
	reader := lines[4] // the reader's label line
	red := colorStyles().paints[inkStaleLb].pre
	require.NotEmpty(t, red)
	require.Contains(t, reader, red+"✗ STALE GET order:42 → CANCELLED, current PAID")
	require.Contains(t, reader, "\x1b[0m")

	plain := renderLanes(tp, w, plainStyles())
	for _, l := range plain {
		require.NotContains(t, l, "\x1b", "color off draws no escape sequence")
	}
	// Without color the same words are there: color is never the only signal.
	for i := range lines {
		require.Equal(t, plain[i], stripANSI(lines[i]))
	}
}

func TestNoColorEnv(t *testing.T) {
	t.Setenv("CLICOLOR_FORCE", "1") // color even though the output is no terminal
	src := []Source{sourceOf(cacheAsideTimeline())}
	var out strings.Builder
	frame := func(opts Options) string {
		opts.Output = &out
		m := New(src, 0, opts)
		m = update(t, m, windowSize(100, 30))
		m = update(t, m, m.Init()())
		return press(t, m, "n", "n").View()
	}
	require.Contains(t, frame(Options{}), "\x1b[", "colored when the terminal says so")
	require.NotContains(t, frame(Options{NoColor: true}), "\x1b[", "Options.NoColor")
	t.Setenv("NO_COLOR", "1")
	view := frame(Options{})
	require.NotContains(t, view, "\x1b[", "NO_COLOR")
	require.Contains(t, view, "✗ STALE")
}

// stripANSI removes SGR sequences.
func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestCursorOnAnInstantStep(t *testing.T) {
	// A step that takes no time is drawn in one column; the cursor is there
	// too, not in the column before.
	tl := cacheAsideTimeline()
	tl.Events[1].Start, tl.Events[1].End = 4*ms, 4*ms
	tp := newTape(tl)
	w := testWindow(tp, 80, 0, 100*us, 2, 0, -1)
	require.Equal(t, 40, w.cursorCol(tp))
	lines := renderLanes(tp, w, plainStyles())
	g := w.Gutter
	require.Equal(t, '▼', []rune(lines[0])[g+40])
	require.Equal(t, '✗', []rune(lines[3])[g+40])
	require.Equal(t, pad("reader", g-1)+"▸", string([]rune(lines[3])[:g]))
}

func TestDarkBackground(t *testing.T) {
	for in, want := range map[string]bool{"": true, "15;0": true, "0;15": false, "0;7": false, "7;8": true, "default;default": true, "12;5;4": true, "0;11": false} {
		require.Equal(t, want, darkBackground(in), in)
	}
}

func TestBox(t *testing.T) {
	st := plainStyles()
	for _, w := range []int{4, 5, 6, 7, 20, 61} {
		lines := box("State at +4.500ms", []string{"a line far too long to fit in a narrow box at all", "short"}, w, 5, st)
		require.Len(t, lines, 5, "width %d", w)
		for i, l := range lines {
			require.Equal(t, w, textWidth(l), "width %d line %d: %q", w, i, l)
		}
	}
}
