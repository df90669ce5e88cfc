package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

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
		return m.pickerView()
	case m.state == stateExplore:
		return m.exploreView()
	case m.state == stateCompare:
		return m.compareView()
	case m.state == stateStack:
		return m.stackView()
	case m.state == stateLoading:
		return m.frame([]string{m.st.paint(inkDim, "loading "+m.sourceName()+"…")})
	case m.tape == nil:
		return m.frame(m.errorLines())
	}
	t := m.tape
	w := m.windowOf(lay)
	lines := make([]string, 0, m.height)
	lines = append(lines, renderHeader(t, m.sources[m.cur], m.headerInfo(), m.width, m.st))
	left := renderLanes(t, w, m.st)
	if lay.legend {
		lg := legend
		if m.reveal {
			lg = revealLegend + lg
		}
		left = append(left, m.st.paint(inkDim, clip(lg, lay.lanesW)))
	}
	panes := m.renderPanes(lay)
	if lay.side {
		for i := range lay.panesH {
			l, p := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(panes) {
				p = panes[i]
			}
			lines = append(lines, padStyled(l, lay.lanesW)+" "+p)
		}
	} else {
		lines = append(lines, left...)
		lines = append(lines, panes...)
	}
	if lay.panel > 0 {
		lines = append(lines, renderSchedPanel(m.sched.cur(), m.width, lay.panel, m.st)...)
	}
	help := m.helpView(lay.fullHelp, false)
	for len(lines) < m.height-strings.Count(help, "\n")-1 {
		lines = append(lines, "")
	}
	lines = append(lines, help)
	return strings.Join(lines, "\n")
}

// padStyled pads styled text s with spaces to w columns (s is no wider).
func padStyled(s string, w int) string {
	if n := w - lipgloss.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// renderPanes draws the panes' block: lay.panesH lines of lay.panesW
// columns.
func (m Model) renderPanes(lay layout) []string {
	out := make([]string, lay.panesH)
	for _, p := range lay.panes {
		inner := max(p.w-4, 1)
		var title string
		var body []string
		switch p.kind {
		case paneStory:
			title = "What happens"
			if m.pos > 0 {
				title += " · step " + itoa(m.pos)
			}
			body = m.storyLines(inner, p.h-2)
		case paneState:
			title = "State at " + formatOffset(m.tape.timeAt(m.pos))
			body = renderInspector(m.tape, m.pos, inner, p.h-2, m.st)
		case paneSteps:
			title = "Steps"
			body = m.stepsLines(inner, p.h-2)
		case paneLesson:
			title = "Lesson · " + m.sourceName() + " · i or esc closes"
			body = m.lessonText(inner, p.h-2)
		}
		for i, l := range box(title, body, p.w, p.h, m.st) {
			if y := p.y + i; y < len(out) {
				out[y] += l
			}
		}
	}
	for i := range out {
		out[i] = padStyled(out[i], lay.panesW)
	}
	return out
}

// box draws body in a rounded border of w×h with title in its top edge;
// body lines are cut or padded to the inside.
func box(title string, body []string, w, h int, st *styles) []string {
	if w < 4 || h < 2 {
		return nil
	}
	inner := w - 4
	out := make([]string, 0, h)
	t := clip(title, max(w-6, 0))
	top := st.paint(inkBorder, "╭─") + st.paint(inkTitle, " "+t+" ") + st.paint(inkBorder, strings.Repeat("─", max(w-5-textWidth(t), 0))+"╮")
	if w-6 < 1 {
		top = st.paint(inkBorder, "╭"+strings.Repeat("─", w-2)+"╮")
	}
	out = append(out, top)
	side := st.paint(inkBorder, "│")
	for i := range h - 2 {
		l := ""
		if i < len(body) && inner > 0 {
			l = body[i]
			if lipgloss.Width(l) > inner {
				l = st.clip(l, inner)
			}
		}
		out = append(out, side+" "+padStyled(l, inner)+" "+side)
	}
	return append(out, st.paint(inkBorder, "╰"+strings.Repeat("─", w-2)+"╯"))
}

// storyLines is the story pane's text in at most n lines of width columns:
// a note when there is one, the scheduler's intro before its first step,
// else what the current step did; then, on a stale read, why it is stale.
func (m Model) storyLines(width, n int) []string {
	k := textKey{pane: paneStory, tape: m.tape, pos: m.pos, width: width, lines: n, reveal: m.reveal,
		sched: m.state == stateSchedule, note: m.note}
	if out, ok := m.memo.texts[k]; ok {
		return out
	}
	out := m.story(width, n)
	m.memo.keepText(k, out)
	return out
}

// story is storyLines, computed.
func (m Model) story(width, n int) []string {
	var out []string
	add := func(text string, k ink) {
		for _, l := range wrapText(text, width, max(n-len(out), 0)) {
			if k == inkNote && !m.st.noColor {
				l = pad(l, width)
			}
			out = append(out, m.st.paint(k, l))
		}
	}
	if m.note != "" {
		add(m.note, inkNote)
	}
	if m.state == stateSchedule && m.pos == 0 {
		add(schedIntro, inkPlain)
	} else {
		text, stale := narrate(m.tape, m.pos, m.reveal)
		k := inkPlain
		if stale {
			k = inkStale
		}
		add(text, k)
	}
	if v := staleVerdict(m.tape, m.pos); v != "" {
		add(v, inkStale)
	}
	// the story so far, latest first, while there is room
	if m.state != stateSchedule || m.pos > 0 {
		for p := m.pos - 1; p > 0 && len(out) < n-1; p-- {
			if p == m.pos-1 {
				out = append(out, m.st.paint(inkDim, clip("── before ──", width)))
			}
			text, _ := narrate(m.tape, p, m.reveal)
			add(fmt.Sprintf("%d. %s", p, text), inkDim)
		}
	}
	return out
}

// lessonText is the current source's lesson in at most n lines of width
// columns.
func (m Model) lessonText(width, n int) []string {
	return lessonLines(m.sources[m.cur], width, n, false, m.st)
}

// stepsLines lists the steps in n lines of width columns, the current one
// marked and kept in view; in reveal mode the steps ahead are only counted.
func (m Model) stepsLines(width, n int) []string {
	t := m.tape
	if n <= 0 {
		return nil
	}
	if t.n == 0 {
		return []string{m.st.paint(inkDim, "no steps")}
	}
	shown := t.n
	if m.reveal {
		shown = min(m.pos, t.n)
	}
	rows := n
	if shown < t.n {
		rows-- // the line that counts the hidden steps
	}
	first := 0
	if m.pos > rows {
		first = m.pos - rows + rows/3
	}
	first = max(0, min(first, shown-rows))
	aw := 0
	for _, a := range t.names {
		aw = max(aw, textWidth(a))
	}
	aw = min(aw, 12)
	tw := 0 // the times' column: as wide as the widest shown
	for i := first; i < shown && i < first+rows; i++ {
		tw = max(tw, textWidth(formatShortOffset(t.tl.Events[i].End)))
	}
	var out []string
	for i := first; i < shown && len(out) < rows; i++ {
		e := &t.tl.Events[i]
		text := pad(formatShortOffset(e.End), tw) + " " + pad(e.Actor, aw) + " " + stepLabel(t, i)
		k, mark := inkPlain, "  "
		switch {
		case i == m.pos-1:
			k, mark = inkCursorLb, "▸ "
		case t.isStaleFinal(i):
			k = inkStale
		}
		line := clip(mark+text, width)
		if k == inkCursorLb && !m.st.noColor {
			line = pad(line, width)
		}
		out = append(out, m.st.paint(k, line))
	}
	if shown < t.n && len(out) < n {
		out = append(out, m.st.paint(inkFuture, clip("  ╌ "+plural(t.n-shown, "step", "steps")+" ahead, hidden (reveal mode: R shows them)", width)))
	}
	return out
}

// exploreView is the exploration page: the header, what is being run and
// the progress or the result, a note if any, and the help bar.
func (m Model) exploreView() string {
	e := &m.explore
	name := m.sourceName()
	title := "racetape · explore " + name
	k := inkBold
	if e.done && e.res != nil && e.res.StaleSchedules > 0 {
		k = inkBadBadge
	}
	head := m.pageHead(title, exploreStatus(e), k)
	body := renderExplore(e, name, m.width, m.st, e.sel, m.timed != nil && m.timed.stale == 0)
	if m.note != "" {
		body = append(body, "")
		for _, l := range wrapText(m.note, m.width, 2) {
			body = append(body, m.st.paint(inkError, l))
		}
	}
	return m.page(head, body, false)
}

// pageHead is a page's header line: its title on the left, its status on
// the right in ink k when there is room for both.
func (m Model) pageHead(title, status string, k ink) string {
	if lw := m.width - textWidth(status) - 1; lw >= min(textWidth(title), 20) {
		return m.st.paint(inkBold, pad(title, lw)) + " " + m.st.paint(k, status)
	}
	return m.st.paint(inkBold, clip(title, m.width))
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
	case stateCompare:
		return compareHelp{m.keys}
	case stateStack:
		return stackHelp{m.keys}
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
	mode := m.helpMode()
	alt := m.state == stateTape && m.tape != m.timed
	memo := &m.memo.help
	if memo.width == m.width && memo.full == full && memo.bare == bare && memo.mode == mode {
		return memo.out
	}
	k := m.keys
	if bare {
		for _, b := range []*key.Binding{&k.Forward, &k.Back, &k.NextMark, &k.PrevMark, &k.Play, &k.ZoomIn, &k.ZoomOut, &k.First, &k.Last, &k.Faster, &k.Slower, &k.Schedule, &k.Explore} {
			b.SetEnabled(false)
		}
	}
	k.Timed.SetEnabled(alt)
	if m.state == stateCompare {
		k.TrackDown.SetHelp("↑/↓", "choose")
	}
	if m.state == stateCompare && !m.cmp.ok() {
		k.TrackDown.SetEnabled(false)
		k.Mark.SetEnabled(false)
		k.OpenPair.SetEnabled(false)
		if !m.cmp.finished {
			k.Cancel.SetHelp("esc", "cancel")
		}
	}
	if m.state == stateStack {
		k.Close.SetHelp("esc/c", "back to the table")
	}
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
	*memo = helpMemo{width: m.width, full: full, bare: bare, mode: mode, out: out}
	return out
}

// helpMode names which help bar the state shows: the state, whether esc
// goes back to the timed run, whether an exploration is running.
func (m Model) helpMode() string {
	mode := m.state.String()
	if m.state == stateTape && m.tape != m.timed {
		mode += "+timed"
	}
	switch {
	case m.state == stateExplore && !m.explore.done, m.state == stateCompare && !m.cmp.finished:
		mode += "+running"
	case m.state == stateCompare && !m.cmp.ok():
		mode += "+failed"
	}
	return mode
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

// A headerInfo is what the header says besides the title.
type headerInfo struct {
	pos    int
	status string // "▶ 500ms/step", "scheduler", "counterexample"
	reveal bool
	// model names the consistency model the verdict is judged under
	// ("strict"); shown after the title when set.
	model string
}

// headerInfo is the header's state.
func (m Model) headerInfo() headerInfo {
	return headerInfo{pos: m.pos, status: m.status(), reveal: m.reveal, model: m.opts.Model}
}

// verdictBadge is the header's verdict: in reveal mode "?" until the
// cursor reaches a stale read, then the stale reads so far; otherwise, and
// at the end, the whole run's.
func verdictBadge(t *tape, pos int, reveal bool) (string, ink) {
	if !reveal || pos >= t.n {
		if t.stale > 0 {
			return "✗ " + plural(t.stale, "stale read", "stale reads"), inkBadBadge
		}
		return "✓ no stale reads", inkOKBadge
	}
	seen := 0
	for _, s := range t.marks {
		if s < pos && t.isStaleFinal(s) {
			seen++
		}
	}
	if seen == 0 {
		return "? verdict", inkWaitBadge
	}
	return "✗ " + plural(seen, "stale read", "stale reads") + " so far", inkBadBadge
}

// renderHeader is the top line: title (and the consistency model) on the
// left; play state, virtual time at the cursor, step k/N and the verdict
// badge on the right.
func renderHeader(t *tape, src Source, h headerInfo, width int, st *styles) string {
	title := t.tl.Title
	if title == "" {
		title = src.Title
	}
	if title == "" {
		title = src.Name
	}
	if h.model != "" {
		title += " · " + h.model
	}
	at := t.timeAt(h.pos)
	badge, bk := verdictBadge(t, h.pos, h.reveal)
	if st.noColor {
		badge = "[" + badge + "]"
	} else {
		badge = " " + badge + " "
	}
	parts := []string{
		"t=" + formatOffset(at) + "  " + formatClock(t.tl.Epoch, at),
		fmt.Sprintf("step %d/%d", h.pos, t.n),
	}
	if h.reveal {
		parts = append([]string{"reveal"}, parts...)
	}
	if h.status != "" {
		parts = append([]string{h.status}, parts...)
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
		return st.clip(right+"  "+st.paint(bk, badge), width)
	}
	left := title
	if textWidth("racetape · "+title) <= lw {
		left = "racetape · " + title
	}
	return st.paint(inkTitle, pad(left, lw)) + " " + right + "  " + st.paint(bk, badge)
}
