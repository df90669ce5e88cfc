package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
)

// Update handles a message: keys, mouse, resizes, loaded runs and
// auto-play ticks.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 0), max(msg.Height, 0)
		m.help.Width = m.width
		m.picker.SetSize(m.width, m.height)
		m.fit()
		return m, nil
	case loadedMsg:
		return m.loaded(msg), nil
	case tickMsg:
		return m.tick(msg)
	case schedStartedMsg:
		return m.schedStarted(msg), nil
	case exploreTickMsg:
		return m.exploreTicked(msg)
	case exploreDoneMsg:
		return m.exploreDone(msg), nil
	case cexLoadedMsg:
		return m.cexLoaded(msg), nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return m.eachRune(msg)
		}
		if msg.Type == tea.KeyCtrlC {
			m.stopExplore()
			return m, tea.Quit
		}
		m.note = ""
		switch m.state {
		case statePicker:
			return m.updatePicker(msg)
		case stateSchedule:
			return m.updateSchedule(msg)
		case stateExplore:
			return m.updateExplore(msg)
		case stateLoading:
			switch {
			case key.Matches(msg, m.keys.Quit):
				return m, tea.Quit
			case key.Matches(msg, m.keys.Picker):
				return m.openPicker(), nil
			}
			return m, nil
		}
		return m.updateTape(msg)
	case tea.MouseMsg:
		if m.state == stateTape || m.state == stateSchedule {
			return m.mouse(msg), nil
		}
	}
	if m.state == statePicker {
		var cmd tea.Cmd
		m.picker, cmd = m.picker.Update(msg)
		return m, cmd
	}
	return m, nil
}

// eachRune handles the runes of one key message one by one: letters and
// digits typed fast, or over SSH, arrive in one read ("ll", "3v"), and each
// is a key. The picker's filter takes them as text, as they came.
func (m Model) eachRune(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.state == statePicker && m.picker.FilterState() == list.Filtering {
		var cmd tea.Cmd
		m.picker, cmd = m.picker.Update(msg)
		return m, cmd
	}
	var cmds []tea.Cmd
	var cur tea.Model = m
	for _, r := range msg.Runes {
		var cmd tea.Cmd
		cur, cmd = cur.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
		if cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	switch len(cmds) {
	case 0:
		return cur, nil
	case 1:
		return cur, cmds[0]
	}
	return cur, tea.Sequence(cmds...)
}

// loaded shows a freshly loaded run (or its error) from its start.
func (m Model) loaded(msg loadedMsg) Model {
	if msg.id != m.loadID {
		return m
	}
	m.state = stateTape
	m.cur = msg.src
	m.tape, m.loadErr = msg.tape, msg.err
	m.timed, m.timedPos, m.shown = msg.tape, 0, ""
	m.pos, m.left, m.top, m.auto, m.playing = 0, 0, 0, true, false
	m.fit()
	return m
}

// updateTape handles a key while viewing a run.
func (m Model) updateTape(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.fit()
		return m, nil
	case key.Matches(msg, k.Picker):
		return m.openPicker(), nil
	case key.Matches(msg, k.Schedule):
		return m.startSchedule()
	case key.Matches(msg, k.Explore):
		return m.startExplore()
	case key.Matches(msg, k.Timed) && m.tape != m.timed:
		m.backToTimed()
		return m, nil
	}
	t := m.tape
	if t == nil {
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Forward):
		m.pos = min(m.pos+1, t.n)
	case key.Matches(msg, k.Back):
		m.pos = max(m.pos-1, 0)
	case key.Matches(msg, k.First):
		m.pos = 0
	case key.Matches(msg, k.Last):
		m.pos = t.n
	case key.Matches(msg, k.NextMark):
		if p := t.nextMark(m.pos); p >= 0 {
			m.pos = p
		}
	case key.Matches(msg, k.PrevMark):
		if p := t.prevMark(m.pos); p >= 0 {
			m.pos = p
		}
	case key.Matches(msg, k.ZoomIn):
		m.zoom(-1)
	case key.Matches(msg, k.ZoomOut):
		m.zoom(+1)
	case key.Matches(msg, k.Faster):
		m.speed = min(m.speed+1, len(speeds)-1)
	case key.Matches(msg, k.Slower):
		m.speed = max(m.speed-1, 0)
	case key.Matches(msg, k.Play):
		if m.playing {
			m.playing = false
			return m, nil
		}
		if m.pos >= t.n {
			m.pos = 0
		}
		m.playing = true
		m.tickID++
		m.fit()
		return m, m.tickCmd()
	default:
		return m, nil
	}
	m.fit()
	return m, nil
}

// tickCmd schedules the next auto-play step.
func (m Model) tickCmd() tea.Cmd {
	id := m.tickID
	return tea.Tick(speeds[m.speed], func(time.Time) tea.Msg { return tickMsg{id: id} })
}

// tick advances auto-play by one step; it stops at the end of the run.
func (m Model) tick(msg tickMsg) (tea.Model, tea.Cmd) {
	if !m.playing || msg.id != m.tickID || m.tape == nil || m.state != stateTape {
		return m, nil
	}
	if m.pos < m.tape.n {
		m.pos++
		m.fit()
	}
	if m.pos >= m.tape.n {
		m.playing = false
		return m, nil
	}
	return m, m.tickCmd()
}

// zoom changes the time scale by d levels, keeping the cursor's column.
func (m *Model) zoom(d int) {
	if m.tape == nil {
		return
	}
	w := m.window()
	cc := w.cursorCol(m.tape)
	m.auto = false
	m.level = max(0, min(m.level+d, len(scales)-1))
	at := m.tape.timeAt(m.pos)
	m.left = max(0, floorTo(at-time.Duration(cc)*scales[m.level], scales[m.level]))
}

// mouse scrolls the lanes: the wheel moves through the actor lanes when they
// do not all fit, through time otherwise (or with shift, or sideways).
func (m Model) mouse(msg tea.MouseMsg) Model {
	if m.tape == nil || msg.Action != tea.MouseActionPress {
		return m
	}
	lay := m.layout()
	cols := m.window().cols(m.tape)
	pan := max(cols/8, 1)
	vertical := len(m.tape.names) > lay.lanes && !msg.Shift
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		if vertical {
			m.top = max(m.top-1, 0)
		} else {
			m.pan(-pan)
		}
	case tea.MouseButtonWheelDown:
		if vertical {
			m.top = min(m.top+1, max(len(m.tape.names)-lay.lanes, 0))
		} else {
			m.pan(pan)
		}
	case tea.MouseButtonWheelLeft:
		m.pan(-pan)
	case tea.MouseButtonWheelRight:
		m.pan(pan)
	}
	return m
}

// pan moves the lanes by n columns (the cursor may leave the view until the
// next step).
func (m *Model) pan(n int) {
	s := scales[m.level]
	m.left = max(0, min(m.left+time.Duration(n)*s, floorTo(m.tape.end, s)))
}

// openPicker shows the scenario picker, on the current source.
func (m Model) openPicker() Model {
	m.playing = false
	m.state = statePicker
	m.picker.ResetFilter()
	m.picker.Select(m.cur)
	return m
}

// updatePicker handles a key in the scenario picker.
func (m Model) updatePicker(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.picker.FilterState() != list.Filtering {
		switch {
		case key.Matches(msg, m.keys.Select):
			it, ok := m.picker.SelectedItem().(pickItem)
			if !ok {
				return m, nil
			}
			if it.i == m.cur && (m.tape != nil || m.loadErr != nil) {
				m.state = stateTape
				return m, nil
			}
			m.cur = it.i
			m.loadID++
			m.state = stateLoading
			return m, loadCmd(m.sources[it.i], it.i, m.loadID)
		case key.Matches(msg, m.keys.Close) && m.picker.FilterState() == list.Unfiltered,
			key.Matches(msg, m.keys.Picker), key.Matches(msg, m.keys.Quit):
			m.state = stateTape
			if m.tape == nil && m.loadErr == nil {
				m.state = stateLoading
			}
			return m, nil
		}
	}
	var cmd tea.Cmd
	m.picker, cmd = m.picker.Update(msg)
	return m, cmd
}

// floorTo rounds d down to a multiple of s.
func floorTo(d, s time.Duration) time.Duration {
	if d < 0 {
		return -((-d + s - 1) / s * s)
	}
	return d / s * s
}

// window is the part of the run the lanes show now.
func (m Model) window() window {
	lay := m.layout()
	return window{
		Width: m.width,
		Left:  m.left,
		Scale: scales[m.level],
		Top:   m.top,
		Lanes: lay.lanes,
		Pos:   m.pos,
		Gap:   lay.gap,
	}
}

// fit adjusts the view after a change: the zoom (while automatic), and the
// scroll, so that the cursor's step and lane stay in view.
func (m *Model) fit() {
	t := m.tape
	if t == nil || m.width < minWidth || m.height < minHeight {
		return // nothing drawn: keep the scroll for when it grows back
	}
	m.pos = max(0, min(m.pos, t.n))
	cols := max(m.width-t.gutter(), 1)
	if m.auto {
		m.level = autoLevel(t, cols)
	}
	s := scales[m.level]
	if t.end <= time.Duration(cols-1)*s {
		m.left = 0 // the whole run fits
	}
	w := m.window()
	at := t.timeAt(m.pos)
	c0, c1 := w.colOf(0), w.colOf(0)
	if m.pos > 0 {
		c0, c1 = w.spanCols(&t.tl.Events[m.pos-1])
	}
	if c1 < 0 || c1 >= cols || (c0 < 0 && c1-c0 < cols) {
		target := cols / 3
		if c1 >= cols {
			target = cols * 2 / 3
		}
		// put the cursor's column at target, then its step's start in view
		left := at - 1 - time.Duration(target)*s
		if m.pos > 0 {
			e := &t.tl.Events[m.pos-1]
			if e.End-e.Start < time.Duration(cols)*s && e.Start < left {
				left = e.Start
			}
		}
		m.left = max(0, floorTo(left, s))
	}

	lay := m.layout()
	if m.pos > 0 {
		l := t.laneOf[m.pos-1]
		if l < m.top {
			m.top = l
		}
		if l >= m.top+lay.lanes {
			m.top = l - lay.lanes + 1
		}
	}
	m.top = max(0, min(m.top, len(t.names)-lay.lanes))
}

// autoLevel is the zoom that fits the whole run in cols columns, or, for a
// long run, the one that gives a typical step about four columns.
func autoLevel(t *tape, cols int) int {
	fit := len(scales) - 1
	for i, s := range scales {
		if s*time.Duration(cols) >= t.end {
			fit = i
			break
		}
	}
	if t.typical <= 0 {
		return fit
	}
	readable := 0
	for i, s := range scales {
		if s*4 <= t.typical {
			readable = i
		}
	}
	return min(fit, readable)
}
