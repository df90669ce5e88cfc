package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// The smallest terminal the tape view is drawn in; below it the TUI says
// "terminal too small".
const (
	minWidth  = 60
	minHeight = 14
)

// legend explains the lanes' glyphs; it is shown when there is room.
const legend = "├─┤ step  ┣━┫ current  ✗ stale read  ░ cache ≠ db  ● hit ○ miss ▲ set ✕ del † expired  ◆ commit · db read"

// narrationLines is the height of the narration; it gets one more line
// when the terminal has room.
const narrationLines = 2

// A layout is how the tape view's lines are shared out.
type layout struct {
	tooSmall  bool
	lanes     int // actor lanes shown
	inspector int // inspector lines, its title rule included
	fullHelp  bool
	help      int  // help lines
	narration int  // narration lines
	gap       bool // a blank line after each lane
	pad       int  // blank lines between the lanes and the inspector
	panel     int  // scheduler mode's panel lines (banner, choices, schedule)
}

// layout shares the terminal's height between the parts of the view: one
// actor lane and one inspector line at least; then up to three inspector
// lines, then every actor lane, then the rest of the inspector.
func (m Model) layout() layout {
	lay := layout{fullHelp: m.help.ShowAll, help: 1}
	if m.width < minWidth || m.height < minHeight {
		lay.tooSmall = true
		return lay
	}
	actors, want, panelWant := 0, 1, 0
	if m.tape != nil {
		actors = len(m.tape.names)
		want = inspectorWant(m.tape, m.pos, m.width)
	}
	fixed := 1 + 1 + 4 + narrationLines + 1 // header, axis, cache+db, narration, inspector rule
	if m.state == stateSchedule && m.sched.active() {
		lay.panel = 1 // who can go next, or the banner
		panelWant = schedPanelWant(m.sched.cur(), m.width)
		fixed += lay.panel
	}
	if lay.fullHelp {
		lay.help = 0
		for _, col := range m.helpKeys().FullHelp() {
			lay.help = max(lay.help, len(col))
		}
		if m.height-fixed-lay.help < 2*min(actors, 1)+1 {
			lay.fullHelp, lay.help = false, 1
		}
	}
	avail := m.height - fixed - lay.help
	lay.lanes = min(actors, 1)
	ins := 1
	rem := avail - 2*lay.lanes - ins
	if rem < 0 {
		lay.tooSmall = true
		return lay
	}
	// scheduler mode: room for the banner and who can go next first
	grow := min(rem, max(min(panelWant, 2)-lay.panel, 0))
	lay.panel, rem = lay.panel+grow, rem-grow
	grow = min(rem, max(min(want, 3)-ins, 0))
	ins, rem = ins+grow, rem-grow
	grow = min(rem, max(panelWant-lay.panel, 0))
	lay.panel, rem = lay.panel+grow, rem-grow
	more := min(actors-lay.lanes, rem/2)
	lay.lanes, rem = lay.lanes+more, rem-2*more
	grow = min(rem, max(want-ins, 0))
	ins, rem = ins+grow, rem-grow
	lay.inspector = 1 + ins
	lay.narration = narrationLines
	if rem > 0 {
		lay.narration++
		rem--
	}
	if rem >= lay.lanes+2 {
		lay.gap = true
		rem -= lay.lanes + 2
	}
	lay.pad = rem
	return lay
}

// View draws the model. It is a pure function of the model.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lay := m.layout()
	if lay.tooSmall {
		return tooSmall(m.width, m.height)
	}
	switch {
	case m.state == statePicker:
		return m.picker.View()
	case m.state == stateExplore:
		return m.exploreView()
	case m.state == stateLoading:
		return m.frame([]string{m.st.paint(inkDim, "loading "+m.sourceName()+"…")})
	case m.tape == nil:
		return m.frame(m.errorLines())
	}
	t := m.tape
	w := m.window()
	lines := make([]string, 0, m.height)
	lines = append(lines, renderHeader(t, m.sources[m.cur], m.pos, m.status(), m.width, m.st))
	lines = append(lines, renderLanes(t, w, m.st)...)
	if lay.panel > 0 {
		lines = append(lines, renderSchedPanel(m.sched.cur(), m.width, lay.panel, m.st)...)
	}
	for i := range lay.pad {
		if i == lay.pad-1 {
			lines = append(lines, m.st.paint(inkDim, clip(legend, m.width)))
			break
		}
		lines = append(lines, "")
	}
	lines = append(lines, renderInspector(t, m.pos, m.width, lay.inspector, m.st)...)
	lines = append(lines, m.narration(lay.narration)...)
	lines = append(lines, m.helpView(lay.fullHelp, false))
	return strings.Join(lines, "\n")
}

// narration is the narration lines: a note when there is one, the
// scheduler's intro before its first step, else the current step's story.
func (m Model) narration(n int) []string {
	text := ""
	switch {
	case m.note != "":
		text = m.note
	case m.state == stateSchedule && m.pos == 0:
		text = schedIntro
	default:
		return renderNarration(m.tape, m.pos, m.width, n, m.st)
	}
	lines := wrapText(text, m.width, n)
	if m.note != "" {
		for i := range lines {
			lines[i] = m.st.paint(inkError, lines[i])
		}
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

// exploreView is the exploration page: the header, what is being run and
// the progress or the result, a note if any, and the help bar.
func (m Model) exploreView() string {
	e := &m.explore
	name := m.sourceName()
	title := "racetape · explore " + name
	status := exploreStatus(e)
	head := m.st.paint(inkBold, clip(title, m.width))
	if lw := m.width - textWidth(status) - 1; lw >= min(textWidth(title), 20) {
		k := inkBold
		if e.done && e.res != nil && e.res.StaleSchedules > 0 {
			k = inkBadBadge
		}
		head = m.st.paint(inkBold, pad(title, lw)) + " " + m.st.paint(k, status)
	}
	body := renderExplore(e, name, m.width, m.st)
	if m.note != "" {
		body = append(body, "")
		for _, l := range wrapText(m.note, m.width, 2) {
			body = append(body, m.st.paint(inkError, l))
		}
	}
	return m.page(head, body, false)
}

// page stacks a header line, a blank line, as many body lines as fit and
// the help bar (bare: without the bindings that need a run), padded to the
// terminal's height.
func (m Model) page(head string, body []string, bare bool) string {
	helpLines := strings.Split(m.helpView(m.help.ShowAll, bare), "\n")
	lines := []string{head, ""}
	room := m.height - len(lines) - len(helpLines)
	if room < 0 {
		return strings.Join(append(lines, helpLines...)[:max(m.height, 0)], "\n")
	}
	lines = append(lines, body[:min(len(body), room)]...)
	for len(lines) < m.height-len(helpLines) {
		lines = append(lines, "")
	}
	return strings.Join(append(lines, helpLines...), "\n")
}

// helpKeys is the key map of the current state, for the help bar.
func (m Model) helpKeys() help.KeyMap {
	switch m.state {
	case stateSchedule:
		return schedHelp{m.keys}
	case stateExplore:
		return exploreHelp{m.keys}
	}
	return tapeHelp{m.keys}
}

// frame puts body lines between a header and the help bar, for the views
// without a run.
func (m Model) frame(body []string) string {
	title := "racetape"
	if n := m.sourceName(); n != "" {
		title += " · " + n
	}
	return m.page(m.st.paint(inkBold, clip(title, m.width)), body, true)
}

// helpView is the help bar, full or short; bare leaves out the bindings
// that need a run. It is drawn once per width and kept.
func (m Model) helpView(full, bare bool) string {
	mode := m.state.String()
	alt := m.state == stateTape && m.tape != m.timed
	if alt {
		mode += "+timed"
	}
	if m.state == stateExplore && !m.explore.done {
		mode += "+running"
	}
	memo := m.helpMemo
	if memo != nil && memo.width == m.width && memo.full == full && memo.bare == bare && memo.mode == mode {
		return memo.out
	}
	k := m.keys
	if bare {
		for _, b := range []*key.Binding{&k.Forward, &k.Back, &k.NextMark, &k.PrevMark, &k.Play, &k.ZoomIn, &k.ZoomOut, &k.First, &k.Last, &k.Faster, &k.Slower, &k.Schedule, &k.Explore} {
			b.SetEnabled(false)
		}
	}
	k.Timed.SetEnabled(alt)
	if m.state == stateExplore && !m.explore.done {
		k.Open.SetEnabled(false)
		k.Explore.SetEnabled(false)
		k.Cancel.SetHelp("esc", "cancel")
	}
	m2 := m
	m2.keys = k
	h := m.help
	h.ShowAll = full
	out := m.st.clip(h.View(m2.helpKeys()), m.width)
	if memo != nil {
		*memo = helpMemo{width: m.width, full: full, bare: bare, mode: mode, out: out}
	}
	return out
}

// errorLines shows why the current source did not load.
func (m Model) errorLines() []string {
	var out []string
	out = append(out, clip("cannot load "+m.sourceName()+":", m.width))
	for _, l := range strings.Split(m.loadErr.Error(), "\n") {
		out = append(out, m.st.paint(inkError, clip(strings.ReplaceAll(l, "\t", "    "), m.width)))
	}
	out = append(out, "", clip("press o to pick another scenario, q to quit", m.width))
	if m.note != "" {
		out = append(out, m.st.paint(inkError, clip(m.note, m.width)))
	}
	return out
}

func (m Model) sourceName() string {
	if m.cur < len(m.sources) {
		return m.sources[m.cur].Name
	}
	return ""
}

// status is the header's note on how the run is shown: "▶ 500ms/step"
// while playing, "schedule" for a run under an explicit schedule.
func (m Model) status() string {
	var parts []string
	if m.playing {
		parts = append(parts, "▶ "+formatShort(speeds[m.speed])+"/step")
	}
	switch {
	case m.state == stateSchedule:
		parts = append(parts, "scheduler")
	case m.shown != "":
		parts = append(parts, m.shown)
	case m.opts.Schedule != "" || (m.tape != nil && m.tape.tl.Mode == "schedule"):
		parts = append(parts, "schedule")
	}
	return strings.Join(parts, "  ")
}

// tooSmall is the message shown below the minimum size, cut to fit.
func tooSmall(w, h int) string {
	words := []string{"terminal too small:", fmt.Sprintf("need %d×%d", minWidth, minHeight), fmt.Sprintf("(have %d×%d)", w, h)}
	lines := wrapWords(words, w)
	if len(lines) > h {
		lines = lines[:h]
	}
	return strings.Join(lines, "\n")
}

// wrapWords fills lines of at most w columns with words (which may hold
// spaces); a longer word is cut.
func wrapWords(words []string, w int) []string {
	var lines []string
	cur := ""
	for _, wd := range words {
		switch {
		case cur == "":
			cur = wd
		case textWidth(cur)+1+textWidth(wd) <= w:
			cur += " " + wd
		default:
			lines = append(lines, clip(cur, w))
			cur = wd
		}
	}
	if cur != "" {
		lines = append(lines, clip(cur, w))
	}
	return lines
}

// renderHeader is the top line: title on the left; play state, virtual time
// at the cursor, step k/N and the verdict badge on the right.
func renderHeader(t *tape, src Source, pos int, status string, width int, st *styles) string {
	title := t.tl.Title
	if title == "" {
		title = src.Title
	}
	if title == "" {
		title = src.Name
	}
	at := t.timeAt(pos)
	badge := "✓ no stale reads"
	bk := inkOKBadge
	if t.stale > 0 {
		badge = "✗ " + plural(t.stale, "stale read", "stale reads")
		bk = inkBadBadge
	}
	if st.noColor {
		badge = "[" + badge + "]"
	} else {
		badge = " " + badge + " "
	}
	parts := []string{
		"t=" + formatOffset(at) + "  " + formatClock(t.tl.Epoch, at),
		fmt.Sprintf("step %d/%d", pos, t.n),
	}
	if status != "" {
		parts = append([]string{status}, parts...)
	}
	right := strings.Join(parts, "  ")
	rw := textWidth(right) + 2 + textWidth(badge)
	if width-rw-1 < min(textWidth(title), 30) {
		// the wall clock goes before the title is cut short
		parts[len(parts)-2] = "t=" + formatOffset(at)
		right = strings.Join(parts, "  ")
		rw = textWidth(right) + 2 + textWidth(badge)
	}
	lw := width - rw - 1
	if lw < 1 {
		return clip(right+"  "+badge, width)
	}
	left := title
	if textWidth("racetape · "+title) <= lw {
		left = "racetape · " + title
	}
	return st.paint(inkBold, pad(left, lw)) + " " + right + "  " + st.paint(bk, badge)
}
