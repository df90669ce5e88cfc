package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// Comparing the fixes (c) runs the current scenario's actors under each
// cache protocol with engine.Compare — the table racetape compare prints,
// with the same options — in a goroutine while the view polls its
// progress; esc cancels it through its context. The table then lets the
// user mark two protocols and open their runs one above the other on one
// time axis (see stack.go). The result is kept for the source's load: c
// again shows it at once.

// A compareJob is what the view polls of a comparison running in its
// goroutine: how many protocols are done, and which one runs.
type compareJob struct {
	mu          sync.Mutex
	done, total int
	protocol    string
}

func (j *compareJob) progress(done, total int, protocol string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.done, j.total, j.protocol = done, total, protocol
}

func (j *compareJob) poll() (done, total int, protocol string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.done, j.total, j.protocol
}

// A comparison is the comparison the view shows: running, or done with
// its table or its error; and, once two protocols are opened, their runs
// stacked.
type comparison struct {
	id     int
	src    int // the source compared, and its load
	loadID int
	job    *compareJob
	ctx    context.Context // the comparison's; cancelled by esc
	cancel context.CancelFunc
	frame  int // spinner frame
	// progress while running
	done, total int
	protocol    string

	finished bool
	sc       *engine.Scenario
	res      []engine.ProtocolResult
	table    [][]string // engine.CompareTable: headings, then a row per protocol
	err      error

	sel    int   // the row highlighted
	marked []int // the rows marked to open, at most two, oldest first

	stack stack // the two protocols' runs, one above the other
}

// ok reports whether the comparison finished with a table.
func (c *comparison) ok() bool { return c.finished && c.err == nil && len(c.res) > 0 }

// A compareDoneMsg is a finished comparison.
type compareDoneMsg struct {
	id  int
	sc  *engine.Scenario
	res []engine.ProtocolResult
	err error
}

// A compareTickMsg asks the view to poll the comparison's progress.
type compareTickMsg struct{ id int }

// compareCmd loads the source's scenario and compares the protocols on
// it, off the UI goroutine; job gets the progress.
func compareCmd(ctx context.Context, src Source, id int, job *compareJob) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if p := recover(); p != nil {
				msg = compareDoneMsg{id: id, err: fmt.Errorf("compare: panic: %v", p)}
			}
		}()
		sc, err := src.Scenario()
		if err != nil {
			return compareDoneMsg{id: id, err: err}
		}
		res, err := engine.Compare(ctx, sc, engine.CompareOptions{Progress: job.progress})
		return compareDoneMsg{id: id, sc: sc, res: res, err: err}
	}
}

func compareTickCmd(id int) tea.Cmd {
	return tea.Tick(exploreTick, func(time.Time) tea.Msg { return compareTickMsg{id: id} })
}

// startCompare shows the comparison of the current source: the one kept
// for this load, or a new one.
func (m Model) startCompare() (Model, tea.Cmd) {
	src := m.sources[m.cur]
	if src.Scenario == nil {
		m.note = notAvailable("compare")
		return m, nil
	}
	m.playing = false
	c := &m.cmp
	if c.finished && c.src == m.cur && c.loadID == m.loadID && !errors.Is(c.err, context.Canceled) {
		m.state = stateCompare
		return m, nil
	}
	m.stopCompare()
	ctx, cancel := context.WithCancel(context.Background())
	id := c.id + 1
	m.cmp = comparison{id: id, src: m.cur, loadID: m.loadID, job: &compareJob{}, ctx: ctx, cancel: cancel, total: len(engine.Protocols)}
	m.state = stateCompare
	return m, tea.Batch(compareCmd(ctx, src, id, m.cmp.job), compareTickCmd(id))
}

// stopCompare cancels the comparison if it is still running.
func (m *Model) stopCompare() {
	if m.cmp.cancel != nil && !m.cmp.finished {
		m.cmp.cancel()
	}
}

// compareTicked polls the running comparison.
func (m Model) compareTicked(msg compareTickMsg) (tea.Model, tea.Cmd) {
	c := &m.cmp
	if msg.id != c.id || c.finished || m.state != stateCompare {
		return m, nil
	}
	c.done, c.total, c.protocol = c.job.poll()
	c.frame++
	return m, compareTickCmd(c.id)
}

// compareDone shows a finished comparison.
func (m Model) compareDone(msg compareDoneMsg) Model {
	c := &m.cmp
	if msg.id != c.id || c.finished {
		return m
	}
	c.finished = true
	c.sc, c.res, c.err = msg.sc, msg.res, msg.err
	if msg.err == nil {
		c.table = engine.CompareTable(msg.res, engine.CompareOptions{})
		c.done = len(msg.res)
	}
	if c.cancel != nil {
		c.cancel() // release the context
	}
	return m
}

// updateCompare handles a key on the comparison page.
func (m Model) updateCompare(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	c := &m.cmp
	switch {
	case key.Matches(msg, k.Quit):
		m.stopCompare()
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
	case key.Matches(msg, k.Cancel), key.Matches(msg, k.Compare):
		if !c.finished {
			m.stopCompare()
			c.id++ // drop what the cancelled run still sends
			c.finished, c.err = true, context.Canceled
		}
		m.state = stateTape
		m.fit()
	case !c.ok():
	case key.Matches(msg, k.TrackDown):
		c.sel = min(c.sel+1, len(c.res)-1)
	case key.Matches(msg, k.TrackUp):
		c.sel = max(c.sel-1, 0)
	case key.Matches(msg, k.Mark):
		c.mark(c.sel)
	case key.Matches(msg, k.Open):
		pair, ok := c.pair()
		if !ok {
			m.note = "mark two protocols with space (↑/↓ to choose), then enter opens them one above the other"
			return m, nil
		}
		return m.openStack(pair)
	}
	return m, nil
}

// mark marks row i to open, or unmarks it; a third mark replaces the
// oldest.
func (c *comparison) mark(i int) {
	for j, r := range c.marked {
		if r == i {
			c.marked = append(c.marked[:j:j], c.marked[j+1:]...)
			return
		}
	}
	if len(c.marked) == 2 {
		c.marked = c.marked[1:]
	}
	c.marked = append(c.marked[:len(c.marked):len(c.marked)], i)
}

// pair is the two protocols enter opens: the two marked, or the one
// marked and the one highlighted.
func (c *comparison) pair() ([2]int, bool) {
	switch {
	case len(c.marked) == 2:
		return [2]int{c.marked[0], c.marked[1]}, true
	case len(c.marked) == 1 && c.marked[0] != c.sel:
		return [2]int{c.marked[0], c.sel}, true
	}
	return [2]int{}, false
}

// compareView is the comparison page.
func (m Model) compareView() string {
	c := &m.cmp
	name := m.sourceName()
	title := "racetape · compare the fixes on " + name
	status := "comparing…"
	switch {
	case c.ok():
		status = plural(len(c.res), "protocol", "protocols")
	case c.finished:
		status = "compare"
	}
	head := m.pageHead(title, status, inkBold)
	body := renderCompare(c, name, m.width, m.st)
	if m.note != "" {
		body = append([]string{m.st.paint(inkNote, pad(clip(m.note, m.width), m.width)), ""}, body...)
	}
	return m.page(head, body, false)
}

// renderCompare draws the comparison's body in width columns: the
// progress while it runs; then how the actors were mapped, the table
// (the columns that fit; the others under it, for the highlighted row),
// what to press, and what the columns mean.
func renderCompare(c *comparison, name string, width int, st *styles) []string {
	var out []string
	add := func(k ink, s string) { out = append(out, st.paint(k, clip(s, width))) }
	wrap := func(k ink, s string, n int) {
		indent := s[:len(s)-len(strings.TrimLeft(s, " "))]
		for _, l := range wrapText(s, width-len(indent), n) {
			add(k, indent+l)
		}
	}
	switch {
	case !c.finished:
		frames := spinner.MiniDot.Frames
		now := "loading the scenario"
		if c.protocol != "" {
			now = c.protocol
		}
		add(inkBold, fmt.Sprintf("%s comparing %d protocols on %s: %s", frames[c.frame%len(frames)], c.total, name, now))
		add(inkDim, "  each protocol: the timed run, then every schedule explored under strict, linearizable and bounded:1s")
		add(inkPlain, "")
		if c.total > 0 {
			out = append(out, "  "+progressBar(int64(c.done), int64(c.total), min(width-9, 50), st))
		}
		add(inkPlain, "")
		add(inkDim, "esc cancels")
		return out
	case errors.Is(c.err, engine.ErrCannotCompare):
		add(inkBold, name+" cannot be compared across protocols:")
		why := strings.TrimPrefix(c.err.Error(), engine.ErrCannotCompare.Error()+": ")
		wrap(inkError, why, 6)
		add(inkPlain, "")
		wrap(inkPlain, "compare rewrites a scenario under each protocol keeping its actors and timings; it maps readers (get, on a miss read the row and set it) and writers (write, then invalidate). Try cache-aside, stale-set or double-delete.", 4)
		add(inkPlain, "")
		add(inkDim, "esc goes back")
		return out
	case c.err != nil:
		add(inkBold, "comparing the protocols on "+name+" failed:")
		for _, l := range strings.Split(c.err.Error(), "\n") {
			wrap(inkError, "  "+l, 4)
		}
		add(inkPlain, "")
		add(inkDim, "esc goes back; c compares again")
		return out
	}
	wrap(inkDim, engine.MappingText(c.sc), 3)
	add(inkPlain, "")
	table := c.table
	shown := compareColumns(table, width-compareMark)
	widths := make([]int, len(table[0]))
	for _, row := range table {
		for i, cell := range row {
			widths[i] = max(widths[i], textWidth(cell))
		}
	}
	line := func(row []string, first, rest ink, verdictInk bool) string {
		var b strings.Builder
		for j, i := range shown {
			if j > 0 {
				b.WriteString("  ")
			}
			k := rest
			switch {
			case i == 0:
				k = first
			case verdictInk && isVerdictColumn(table[0], i):
				k = verdictCellInk(row[i])
			}
			b.WriteString(st.paint(k, pad(row[i], widths[i])))
		}
		return b.String()
	}
	out = append(out, strings.Repeat(" ", compareMark)+line(table[0], inkBold, inkBold, false))
	rule := compareMark - 1
	for _, i := range shown {
		rule += widths[i] + 2
	}
	add(inkDim, strings.Repeat(" ", compareMark)+strings.Repeat("─", max(rule-compareMark-1, 0)))
	for r, row := range table[1:] {
		sel, mk, k, mkInk := " ", "    ", inkPlain, inkKey
		if n := c.markOf(r); n > 0 {
			mk = fmt.Sprintf(" [%d]", n)
		}
		if r == c.sel {
			sel, k, mkInk = "▸", inkCursor, inkCursor
		}
		out = append(out, st.paint(mkInk, sel+mk)+" "+line(row, k, inkPlain, true))
	}
	add(inkPlain, "")
	// the highlighted row: its protocol and the columns left out
	r := c.res[c.sel]
	wrap(inkTitle, r.Protocol+": "+r.Summary, 2)
	for i, h := range table[0] {
		if !slices.Contains(shown, i) {
			wrap(inkPlain, "  "+h+": "+table[1+c.sel][i], 2)
		}
	}
	for _, a := range timeline.SortedAnomalies(r.Anomalies) {
		wrap(inkDim, fmt.Sprintf("  %s: %s", a, a.Explain()), 2)
	}
	add(inkPlain, "")
	switch pair, ok := c.pair(); {
	case ok:
		add(inkBold, fmt.Sprintf("enter opens %s and %s one above the other · space marks · ↑/↓ choose · esc back", c.res[pair[0]].Protocol, c.res[pair[1]].Protocol))
	default:
		add(inkBold, "↑/↓ choose · space marks two protocols · enter opens them one above the other · esc back")
	}
	add(inkPlain, "")
	for _, l := range compareLegend {
		wrap(inkDim, l, 2)
	}
	return out
}

// compareMark is the width of the rows' mark column: "▸ [1] ".
const compareMark = 6

// compareLegend says what the table's columns mean, as racetape compare
// does.
var compareLegend = []string{
	"stale: stale reads of the timed run (strict) · explored: stale schedules / schedules explored (strict; + the search stopped at its limit)",
	"longest ≠: the longest time the cache held a value different from the database (open: still at the end)",
	"✓ no schedule serves stale data under that model, ✗ some does, ? none found but the search was cut short",
	"costs: Redis round trips (commands) per read hit, read miss and write, in brackets what they add to update-then-delete",
}

// markOf is 1 or 2 when row i is marked (in the order marked), else 0.
func (c *comparison) markOf(i int) int {
	for j, r := range c.marked {
		if r == i {
			return j + 1
		}
	}
	return 0
}

// compareColumns chooses the table's columns that fit in width: the
// protocol and the verdicts first, then the counts, the costs, and the
// anomalies last (the highlighted row shows those left out below the
// table). They keep the table's order.
func compareColumns(table [][]string, width int) []int {
	head := table[0]
	n := len(head)
	widths := make([]int, n)
	for _, row := range table {
		for i, cell := range row {
			widths[i] = max(widths[i], textWidth(cell))
		}
	}
	// protocol, the models, stale, explored, longest ≠, read miss, write,
	// read hit, anomalies
	prio := []int{0}
	for i := range head {
		if isVerdictColumn(head, i) {
			prio = append(prio, i)
		}
	}
	prio = append(prio, 1, 2, 4, n-2, n-1, n-3, 3)
	used := -2
	var shown []int
	for _, i := range prio {
		if used+2+widths[i] <= width || len(shown) == 0 {
			shown = append(shown, i)
			used += 2 + widths[i]
		}
	}
	var out []int
	for i := range head {
		if slices.Contains(shown, i) {
			out = append(out, i)
		}
	}
	return out
}

// isVerdictColumn reports whether column i of the table's headings is a
// model's verdict: those after "longest ≠" and before "read hit".
func isVerdictColumn(head []string, i int) bool { return i > 4 && i < len(head)-3 }

// verdictCellInk is the ink of a verdict cell: ✓ pass, ✗ fail, ? partial.
func verdictCellInk(cell string) ink {
	switch {
	case strings.HasPrefix(cell, "✓"):
		return inkCommit
	case strings.HasPrefix(cell, "✗"):
		return inkStale
	}
	return inkDim
}
