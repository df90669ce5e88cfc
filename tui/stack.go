package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/racetape/racetape/engine"
)

// Two protocols' runs, stacked: the comparison's two marked protocols run
// on their own (timed) and drawn one above the other with the same gutter,
// zoom and scroll, so that a column is the same instant in both. The
// cursor is an instant: → goes to the next instant a step of either run
// ends, and each run shows its steps up to it (in reveal mode, nothing
// after it).

// A stack is the two runs and the view of them.
type stack struct {
	rows  [2]int // the protocols' rows in the comparison
	tapes [2]*tape
	times []time.Duration // 0, then every instant a step of either run ends, ascending
	marks []time.Duration // the instants of either run's marks (causes, stale reads), ascending
	at    int             // the cursor: an index in times

	left, scale time.Duration
	auto        bool // zoom to fit
	top         int  // the first track shown in each run
}

// now is the cursor's instant.
func (s *stack) now() time.Duration { return s.times[s.at] }

// posAt is run b's cursor position at the cursor's instant: after every
// step ended by then (a timed run records its steps as they end).
func (s *stack) posAt(b int) int {
	t, now := s.tapes[b], s.now()
	return sort.Search(t.n, func(i int) bool { return t.tl.Events[i].End > now })
}

// newStack builds the stack of two runs, the cursor at the start.
func newStack(rows [2]int, tapes [2]*tape) stack {
	s := stack{rows: rows, tapes: tapes, times: []time.Duration{0}, auto: true}
	for _, t := range tapes {
		for i := range t.tl.Events {
			s.times = append(s.times, t.tl.Events[i].End)
		}
		for _, mk := range t.marks {
			s.marks = append(s.marks, t.timeAt(mk+1))
		}
	}
	slices.Sort(s.times)
	s.times = slices.Compact(s.times)
	slices.Sort(s.marks)
	s.marks = slices.Compact(s.marks)
	return s
}

// A stackLoadedMsg brings the two runs to stack, or why they failed.
type stackLoadedMsg struct {
	id    int
	rows  [2]int
	tapes [2]*tape
	err   error
}

// stackCmd runs the two protocols' scenarios, off the UI goroutine.
func stackCmd(scs [2]*engine.Scenario, rows [2]int, id int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if p := recover(); p != nil {
				msg = stackLoadedMsg{id: id, err: fmt.Errorf("compare: panic: %v", p)}
			}
		}()
		out := stackLoadedMsg{id: id, rows: rows}
		for b, sc := range scs {
			tl, err := engine.Run(sc, engine.Options{})
			if err != nil {
				return stackLoadedMsg{id: id, err: err}
			}
			out.tapes[b] = newTape(tl)
		}
		return out
	}
}

// openStack asks for the runs of the comparison's rows pair.
func (m Model) openStack(pair [2]int) (Model, tea.Cmd) {
	c := &m.cmp
	m.reqID++
	return m, stackCmd([2]*engine.Scenario{c.res[pair[0]].Scenario, c.res[pair[1]].Scenario}, pair, m.reqID)
}

// stackLoaded shows the two runs stacked.
func (m Model) stackLoaded(msg stackLoadedMsg) Model {
	if msg.id != m.reqID || m.state != stateCompare {
		return m
	}
	if msg.err != nil {
		m.note = "compare: " + msg.err.Error()
		return m
	}
	m.cmp.stack = newStack(msg.rows, msg.tapes)
	m.state = stateStack
	m.stackFit()
	return m
}

// updateStack handles a key while two runs are stacked.
func (m Model) updateStack(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	s := &m.cmp.stack
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Close), key.Matches(msg, k.Compare):
		m.state = stateCompare
		return m, nil
	case key.Matches(msg, k.Forward):
		s.at = min(s.at+1, len(s.times)-1)
	case key.Matches(msg, k.Back):
		s.at = max(s.at-1, 0)
	case key.Matches(msg, k.First):
		s.at = 0
	case key.Matches(msg, k.Last):
		s.at = len(s.times) - 1
	case key.Matches(msg, k.NextMark):
		i := sort.Search(len(s.marks), func(i int) bool { return s.marks[i] > s.now() })
		if i == len(s.marks) {
			m.note = "no further anomaly in either run (N goes back, g to the start)"
			return m, nil
		}
		s.at = sort.Search(len(s.times), func(j int) bool { return s.times[j] >= s.marks[i] })
	case key.Matches(msg, k.PrevMark):
		i := sort.Search(len(s.marks), func(i int) bool { return s.marks[i] >= s.now() })
		if i == 0 {
			m.note = "no anomaly before this instant in either run (n goes forward)"
			return m, nil
		}
		s.at = sort.Search(len(s.times), func(j int) bool { return s.times[j] >= s.marks[i-1] })
	case key.Matches(msg, k.ZoomIn), key.Matches(msg, k.ZoomOut):
		d := -1
		if key.Matches(msg, k.ZoomOut) {
			d = 1
		}
		m.stackZoom(d)
	case key.Matches(msg, k.Fit):
		s.auto = true
	case key.Matches(msg, k.Reveal):
		m.reveal = !m.reveal
	case key.Matches(msg, k.TrackDown):
		s.top++
	case key.Matches(msg, k.TrackUp):
		s.top = max(s.top-1, 0)
	default:
		return m, nil
	}
	m.stackFit()
	return m, nil
}

// stackMarks mark the upper and the lower run.
var stackMarks = [2]string{"▲ ", "▼ "}

// stackLayout shares the terminal between the two runs and the pane that
// says what each did at the cursor: the pane what its text wants (up to a
// third of the room, none on a short terminal), each run the lines its
// tracks fill (its title line included), half the rest when they do not
// both fit; the pane then takes what the runs leave.
func (m Model) stackLayout() (runs [2]int, story int) {
	avail := m.height - 1 - strings.Count(m.stackHelp(), "\n") - 1
	if avail >= 22 {
		story = min(2+len(m.stackStory(m.width-4, 12)), avail/3)
	}
	rest := avail - story
	var need [2]int
	for b := range 2 {
		bm := m.blockModel(b)
		lay := layout{lanesW: m.width, gutter: m.stackGutter()}
		// the legend's line, when it would fit, parts the runs
		need[b] = 1 + bm.shareTracks(&lay, bm.visibleTracks(), rest)
	}
	runs = [2]int{rest / 2, rest - rest/2}
	switch {
	case need[0]+need[1] <= rest:
		runs = need
	case need[0] < runs[0]:
		runs = [2]int{need[0], rest - need[0]}
	case need[1] < runs[1]:
		runs = [2]int{rest - need[1], need[1]}
	}
	if story > 0 {
		story = avail - runs[0] - runs[1]
	}
	return runs, story
}

// stackStory is the pane's text in at most n lines of width columns: the
// note if any, then what each run did at the cursor; the lower run gets
// the lines it needs up to half, and what the upper one leaves.
func (m Model) stackStory(width, n int) []string {
	var body []string
	if m.note != "" && n > 0 {
		body = append(body, m.st.paint(inkNote, pad(clip(m.note, width), width)))
	}
	room := n - len(body)
	var want [2]int
	for b := range 2 {
		who, text, _ := m.stackText(b)
		want[b] = len(wrapText(who+" "+text, width, room))
	}
	lower := min(want[1], max(room/2, room-want[0]))
	for b, lim := range [2]int{room - lower, lower} {
		who, text, k := m.stackText(b)
		for i, l := range wrapText(who+" "+text, width, lim) {
			if i == 0 {
				l = m.st.paint(inkBold, who) + m.st.paint(k, strings.TrimPrefix(l, who))
			} else {
				l = m.st.paint(k, l)
			}
			body = append(body, l)
		}
	}
	return body
}

// stackText is what run b did at the cursor (or last, before it), after
// whose run it is ("▲ lease:"); on a stale read, why it is stale, in the
// stale ink.
func (m Model) stackText(b int) (who, text string, k ink) {
	s := &m.cmp.stack
	bm := m.blockModel(b)
	text, stale := narrate(bm.tape, bm.pos, m.reveal)
	if bm.pos > 0 && bm.tape.timeAt(bm.pos) < s.now() {
		text = "(nothing at this instant; last, at " + formatOffset(bm.tape.timeAt(bm.pos)) + ") " + text
	} else if v := staleVerdict(bm.tape, bm.pos); v != "" {
		text += " " + v
	}
	k = inkPlain
	if stale {
		k = inkStale
	}
	return stackMarks[b] + m.cmp.res[s.rows[b]].Protocol + ":", text, k
}

// stackHelp is the help bar under the stacked runs: the full help when
// it leaves them ten lines.
func (m Model) stackHelp() string {
	if m.help.ShowAll {
		if h := m.helpView(true, false); m.height-2-strings.Count(h, "\n") >= 10 {
			return h
		}
	}
	return m.helpView(false, false)
}

// stackGutter is the gutter both runs share, so that their columns are
// the same instants.
func (m Model) stackGutter() int {
	s := &m.cmp.stack
	return max(s.tapes[0].naturalGutter(max(m.width/5, 12)), s.tapes[1].naturalGutter(max(m.width/5, 12)))
}

// stackEnd is when the later of the two runs ends.
func (s *stack) end() time.Duration { return max(s.tapes[0].end, s.tapes[1].end) }

// stackFit adjusts the shared zoom and scroll after a change: the whole
// of both runs in the width while zooming to fit, else the cursor's
// instant kept in view; and the track scroll within the longer run.
func (m *Model) stackFit() {
	s := &m.cmp.stack
	if m.width < minWidth {
		return
	}
	cols := max(m.width-m.stackGutter(), 1)
	fit := fitScale(s.end(), cols)
	if s.auto || s.scale >= fit {
		s.scale, s.left, s.auto = fit, 0, true
	}
	if !s.auto {
		w := window{Left: s.left, Scale: s.scale, Instant: true, At: s.now()}
		if c := w.cursorCol(nil); c < 0 || c >= cols {
			s.left = max(0, floorTo(s.now()-time.Duration(cols/3)*s.scale, s.scale))
		}
	}
	most := max(len(s.tapes[0].tracks()), len(s.tapes[1].tracks()))
	s.top = max(0, min(s.top, most-1))
}

// stackZoom zooms both runs by d levels, keeping the cursor's column.
func (m *Model) stackZoom(d int) {
	s := &m.cmp.stack
	cols := max(m.width-m.stackGutter(), 1)
	sc, whole := nextScale(s.scale, fitScale(s.end(), cols), d)
	if whole {
		s.auto = true
		m.note = "both runs fit: z zooms in"
		return
	}
	cc := window{Left: s.left, Scale: s.scale, Instant: true, At: s.now()}.cursorCol(nil)
	s.auto, s.scale = false, sc
	s.left = max(0, floorTo(s.now()-time.Duration(cc)*sc, sc))
}

// blockModel is the model that draws run b of the stack as the tape view
// would, with the stack's zoom, scroll and cursor.
func (m Model) blockModel(b int) Model {
	s := &m.cmp.stack
	bm := m
	bm.state = stateTape
	bm.tape, bm.timed = s.tapes[b], s.tapes[b]
	bm.pos = s.posAt(b)
	bm.left, bm.scale, bm.auto, bm.top = s.left, s.scale, s.auto, s.top
	bm.filter, bm.selName, bm.lesson = "", "", false
	return bm
}

// stackView draws the two runs one above the other, then what each did at
// the cursor.
func (m Model) stackView() string {
	s := &m.cmp.stack
	c := &m.cmp
	runs, story := m.stackLayout()
	gutter := m.stackGutter()
	names := [2]string{c.res[s.rows[0]].Protocol, c.res[s.rows[1]].Protocol}
	now := s.now()

	title := fmt.Sprintf("racetape · %s: %s ▲ vs %s ▼", m.sourceName(), names[0], names[1])
	right := fmt.Sprintf("t=%s  instant %d/%d", formatOffset(now), s.at, len(s.times)-1)
	if m.reveal {
		right = "reveal  " + right
	}
	lw := m.width - textWidth(right) - 1
	head := m.st.paint(inkTitle, pad(title, max(lw, 0))) + " " + right
	if lw < 20 {
		head = m.st.clip(m.st.paint(inkTitle, title), m.width)
	}
	lines := []string{head}
	for b := range 2 {
		bm := m.blockModel(b)
		t := bm.tape
		badge, bk := verdictBadge(t, bm.pos, m.reveal)
		label := stackMarks[b] + names[b] + "  "
		sum := "  " + c.res[s.rows[b]].Summary
		line := m.st.paint(inkBold, label) + m.st.paint(bk, " "+badge+" ")
		if rest := m.width - textWidth(label) - textWidth(badge) - 2; rest > 4 {
			line += m.st.paint(inkDim, clip(sum, rest))
		}
		lines = append(lines, line)
		lay := layout{lanesW: m.width, gutter: gutter}
		all := bm.visibleTracks()
		bm.shareTracks(&lay, all, runs[b]-1)
		w := bm.windowOf(lay)
		w.Instant, w.At = true, now
		lanes := renderLanes(t, w, m.st)
		lines = append(lines, lanes[:min(len(lanes), max(runs[b]-1, 0))]...)
		for range runs[b] - 1 - len(lanes) {
			lines = append(lines, "")
		}
	}
	// the pane takes what the runs leave
	if story > 0 {
		lines = append(lines, box("At "+formatOffset(now), m.stackStory(m.width-4, story-2), m.width, story, m.st)...)
	}
	help := m.stackHelp()
	room := m.height - strings.Count(help, "\n") - 1
	for len(lines) < room {
		lines = append(lines, "")
	}
	if m.note != "" && story == 0 && room > 1 {
		lines[room-1] = m.st.paint(inkNote, pad(clip(m.note, m.width), m.width))
	}
	return strings.Join(append(lines[:max(room, 0)], help), "\n")
}
