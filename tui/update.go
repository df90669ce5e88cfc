package tui

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/racetape/racetape/engine"
)

// Update handles a message: keys, mouse, resizes, loaded runs and
// auto-play ticks.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 0), max(msg.Height, 0)
		m.help.Width = m.width
		m.sizePicker()
		m.fit()
		if m.state == stateStack {
			m.stackFit()
		}
		return m, nil
	case loadedMsg:
		return m.loaded(msg)
	case tickMsg:
		return m.tick(msg)
	case watchMsg:
		return m.watched(msg)
	case schedStartedMsg:
		return m.schedStarted(msg), nil
	case exploreTickMsg:
		return m.exploreTicked(msg)
	case exploreDoneMsg:
		return m.exploreDone(msg), nil
	case cexLoadedMsg:
		return m.cexLoaded(msg), nil
	case compareTickMsg:
		return m.compareTicked(msg)
	case compareDoneMsg:
		return m.compareDone(msg), nil
	case stackLoadedMsg:
		return m.stackLoaded(msg), nil
	case verdictsMsg:
		m.pickVerdicts = msg
		return m, m.picker.SetItems(pickItems(m.sources, msg, m.reveal))
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			return m.eachRune(msg)
		}
		if msg.Type == tea.KeyCtrlC {
			m.stopExplore()
			m.stopCompare()
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
		case stateCompare:
			return m.updateCompare(msg)
		case stateStack:
			return m.updateStack(msg)
		case stateLoading:
			switch {
			case key.Matches(msg, m.keys.Quit):
				return m, tea.Quit
			case key.Matches(msg, m.keys.Picker):
				return m.openPicker()
			}
			return m, nil
		}
		if m.filtering {
			return m.updateFilter(msg), nil
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

// loaded shows a freshly loaded run (or its error) from its start; a
// reload (r, --watch) keeps the cursor where it was.
func (m Model) loaded(msg loadedMsg) (Model, tea.Cmd) {
	if msg.id != m.loadID {
		return m, nil
	}
	reload := msg.src == m.cur && m.state == stateTape && m.timed != nil && msg.reload
	m.state = stateTape
	m.cur = msg.src
	m.loadedAt = msg.mtime
	m.tape, m.loadErr = msg.tape, msg.err
	m.timed, m.timedPos, m.shown = msg.tape, 0, ""
	if !reload {
		m.pos, m.left, m.top = 0, 0, 0
		m.lesson = false
	}
	m.auto, m.playing = true, false
	if reload {
		m.note = "reloaded " + m.sources[m.cur].Path
		if msg.err != nil {
			m.note = ""
		}
	}
	m.fit()
	return m, m.watchCmd()
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
		return m.openPicker()
	case key.Matches(msg, k.Reload):
		return m.reload()
	case key.Matches(msg, k.Schedule):
		return m.startSchedule()
	case key.Matches(msg, k.Explore):
		return m.startExplore()
	case key.Matches(msg, k.Compare):
		return m.startCompare()
	case key.Matches(msg, k.Lesson) && m.tape != nil:
		if len(m.sources[m.cur].Lesson) == 0 {
			m.note = "no lesson for " + m.sourceName() + ": the presets have one each (racetape list --long)"
			return m, nil
		}
		m.lesson = !m.lesson
		m.fit()
		return m, nil
	case key.Matches(msg, k.Timed) && m.lesson:
		m.lesson = false
		m.fit()
		return m, nil
	case key.Matches(msg, k.Timed) && m.filter != "":
		m.filter, m.top = "", 0
		m.fit()
		return m, nil
	case key.Matches(msg, k.Timed) && m.tape != m.timed:
		m.backToTimed()
		return m, nil
	}
	t := m.tape
	if t == nil {
		return m, nil
	}
	if ok, cmd := m.viewKey(msg); ok {
		return m, cmd
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
			m.note = m.markNote(p)
		} else {
			m.note = fmt.Sprintf("no further anomaly after step %d (N goes back, g to the start)", m.pos)
		}
	case key.Matches(msg, k.PrevMark):
		if p := t.prevMark(m.pos); p >= 0 {
			m.pos = p
			m.note = m.markNote(p)
		} else {
			m.note = fmt.Sprintf("no anomaly before step %d (n goes forward)", m.pos)
		}
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

// viewKey handles the keys that change how the run is shown, in the tape
// view and in scheduler mode: zoom, reveal, track scrolling, selection,
// collapsing and filtering, and y. It reports whether msg was one.
func (m *Model) viewKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.ZoomIn):
		m.zoom(-1)
	case key.Matches(msg, k.ZoomOut):
		m.zoom(+1)
	case key.Matches(msg, k.Fit):
		m.auto = true
		m.fit()
	case key.Matches(msg, k.Reveal):
		m.reveal = !m.reveal
		m.note = "reveal mode off: the whole run is shown"
		if m.reveal {
			m.note = "reveal mode on: what lies ahead of the cursor is hidden"
		}
	case key.Matches(msg, k.TrackDown):
		m.selectTrack(+1)
	case key.Matches(msg, k.TrackUp):
		m.selectTrack(-1)
	case key.Matches(msg, k.Collapse):
		m.collapse(false)
	case key.Matches(msg, k.CollapseAll):
		m.collapse(true)
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.note = "filter tracks: type part of a name, enter keeps it, esc clears"
	case key.Matches(msg, k.Copy):
		return true, m.copyCommand()
	default:
		return false, nil
	}
	m.fit()
	return true, nil
}

// markNote says what n or N landed on: the cause of a stale read ahead, or
// the stale read.
func (m Model) markNote(pos int) string {
	seq := pos - 1
	t := m.tape
	switch {
	case t.isStaleFinal(seq):
		return "⚑ a stale read: why, below"
	case t.causes[seq] && m.reveal:
		// what it causes lies ahead: say what happened, not what follows
		return "⚑ from here the cache disagrees with the database — watch what a reader is served"
	case t.causes[seq]:
		return "⚑ the cause: from here the cache disagrees with the database, and a reader is served the old value (n goes on to it)"
	}
	return "⚑ the cache starts to disagree with the database here"
}

// selectTrack moves the track selection by d among the tracks shown (the
// first press selects the first track in view), scrolling to keep it in
// view.
func (m *Model) selectTrack(d int) {
	all := m.visibleTracks()
	if len(all) == 0 {
		return
	}
	i := -1
	for j, tr := range all {
		if m.tape.trackName(tr) == m.selName {
			i = j
		}
	}
	if i < 0 {
		i = max(0, min(m.top, len(all)-1))
	} else {
		i = max(0, min(i+d, len(all)-1))
	}
	m.selName = m.tape.trackName(all[i])
	lay := m.layout()
	if i < m.top {
		m.top = i
	}
	if n := len(lay.tracks); n > 0 && i >= m.top+n {
		m.top = i - n + 1
	}
}

// collapse toggles the selected track's label lines (all: every track's).
func (m *Model) collapse(all bool) {
	if all {
		any := false
		for _, tr := range m.visibleTracks() {
			if !m.collapsed[m.tape.trackName(tr)] {
				any = true
			}
		}
		for _, tr := range m.visibleTracks() {
			m.collapsed[m.tape.trackName(tr)] = any
		}
		return
	}
	if m.selName == "" {
		m.selectTrack(0)
		m.note = "↑/↓ select a track, x collapses it"
	}
	m.collapsed[m.selName] = !m.collapsed[m.selName]
}

// updateFilter handles a key while typing the track filter.
func (m Model) updateFilter(msg tea.KeyMsg) Model {
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
	case tea.KeyEsc:
		m.filtering, m.filter = false, ""
	case tea.KeyBackspace:
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case tea.KeyRunes, tea.KeySpace:
		m.filter += string(msg.Runes)
	}
	if m.filtering {
		m.note = "filter tracks: " + m.filter + "▏ (enter keeps it, esc clears)"
	}
	if m.filter != "" && len(m.visibleTracks()) == 0 {
		m.note = "no track matches " + fmt.Sprintf("%q", m.filter)
	}
	m.top = 0
	m.fit()
	return m
}

// matchFilter reports whether a track name holds filter (case-insensitive).
func matchFilter(name, filter string) bool {
	return strings.Contains(strings.ToLower(name), strings.ToLower(filter))
}

// replayCommand is the command line that replays the run shown, along its
// schedule.
func (m Model) replayCommand() string {
	src := m.sources[m.cur]
	base := src.Command
	if base == "" {
		base = "racetape run " + shellQuote(src.Name)
	}
	if m.tape == nil || len(m.tape.tl.Schedule) == 0 {
		return base
	}
	return base + " --schedule " + shellQuote(engine.FormatSchedule(m.tape.tl.Schedule))
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// copyCommand copies the replay command to the clipboard with OSC 52 (the
// terminal, or tmux with set-clipboard on, puts it there) and shows it in
// full.
func (m *Model) copyCommand() tea.Cmd {
	text := m.replayCommand()
	m.note = "copied (OSC 52): " + text
	out := m.opts.Output
	return func() tea.Msg {
		var w io.Writer = os.Stdout
		if out != nil {
			w = out
		}
		termenv.NewOutput(w).Copy(text)
		return nil
	}
}

// tickCmd schedules the next auto-play step.
func (m Model) tickCmd() tea.Cmd {
	id := m.tickID
	return tea.Tick(speeds[m.speed], func(time.Time) tea.Msg { return tickMsg{id: id} })
}

// tick advances auto-play by one step; it stops at the end of the run and
// pauses at each anomaly (the cause, then the stale read) with its
// explanation.
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
	if m.tape.isMark(m.pos - 1) {
		m.playing = false
		m.note = "⏸ " + strings.TrimPrefix(m.markNote(m.pos), "⚑ ") + " · p plays on"
		return m, nil
	}
	return m, m.tickCmd()
}

// zoom changes the time scale by d levels, keeping the cursor's column;
// zooming out stops at the scale that fits the whole run.
func (m *Model) zoom(d int) {
	w := m.window()
	if m.tape == nil || w.cols() <= 0 || m.scale <= 0 {
		return // nothing drawn yet: too small a terminal
	}
	cc := w.cursorCol(m.tape)
	s, whole := nextScale(m.scale, fitScale(m.tape.end, w.cols()), d)
	if whole {
		m.auto = true
		m.note = "the whole run fits: z zooms in"
		return
	}
	m.auto = false
	m.scale = s
	at := m.tape.timeAt(m.pos)
	m.left = max(0, floorTo(at-time.Duration(cc)*s, s))
}

// nextScale is the zoom level d levels (one) from scale, in (d < 0) or
// out; whole reports that it would show the whole run, fit being the
// scale that fits it.
func nextScale(scale, fit time.Duration, d int) (s time.Duration, whole bool) {
	s = scale
	switch {
	case d < 0:
		s = scales[0]
		for _, c := range scales {
			if c < scale {
				s = c
			}
		}
		s = min(s, scale)
	default:
		for i := len(scales) - 1; i >= 0 && scales[i] > scale; i-- {
			s = scales[i]
		}
	}
	return s, s >= fit
}

// mouse scrolls the lanes: the wheel moves through the tracks when they
// do not all fit, through time otherwise (or with shift, or sideways).
func (m Model) mouse(msg tea.MouseMsg) Model {
	if m.tape == nil || msg.Action != tea.MouseActionPress {
		return m
	}
	lay := m.layout()
	w := m.windowOf(lay)
	pan := max(w.cols()/8, 1)
	n := len(m.visibleTracks())
	vertical := n > len(lay.tracks) && !msg.Shift
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		if vertical {
			m.top = max(m.top-1, 0)
		} else {
			m.pan(-pan)
		}
	case tea.MouseButtonWheelDown:
		if vertical {
			m.top = min(m.top+1, max(n-len(lay.tracks), 0))
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
	if m.auto {
		return // the whole run is in view
	}
	s := m.scale
	m.left = max(0, min(m.left+time.Duration(n)*s, floorTo(m.tape.end, s)))
}

// openPicker shows the scenario picker, on the current source; the first
// time, it runs every source for its verdict, off the UI goroutine.
func (m Model) openPicker() (Model, tea.Cmd) {
	m.playing = false
	m.state = statePicker
	m.picker.ResetFilter()
	m.picker.SetItems(pickItems(m.sources, m.pickVerdicts, m.reveal))
	m.sizePicker()
	m.picker.Select(m.cur)
	if m.verdicts {
		return m, nil
	}
	m.verdicts = true
	return m, verdictsCmd(m.sources)
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
				if m.sources[it.i].Path != "" {
					return m.reload() // the file may have been edited
				}
				return m, nil
			}
			m.cur = it.i
			m.loadID++
			m.state = stateLoading
			return m, loadCmd(m.sources[it.i], it.i, m.loadID, false)
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
	m.sizePicker() // ? changes the help's height
	return m, cmd
}

// floorTo rounds d down to a multiple of s (s > 0; d itself otherwise).
func floorTo(d, s time.Duration) time.Duration {
	if s <= 0 {
		return d
	}
	if d < 0 {
		return -((-d + s - 1) / s * s)
	}
	return d / s * s
}

// window is the part of the run the lanes show now.
func (m Model) window() window { return m.windowOf(m.layout()) }

// windowOf is the window of layout lay.
func (m Model) windowOf(lay layout) window {
	return window{
		Width:  lay.lanesW,
		Gutter: lay.gutter,
		Left:   m.left,
		Scale:  max(m.scale, 1),
		Pos:    m.pos,
		Reveal: m.reveal,
		Tracks: lay.tracks,
		Above:  lay.above,
		Below:  lay.below,
		Draws:  &m.memo.draws,
	}
}

// fit adjusts the view after a change: the zoom (to fit the run, while
// automatic; never wider than the run), and the scroll, so that the
// cursor's step and track stay in view.
func (m *Model) fit() {
	t := m.tape
	if t == nil || m.width < minWidth || m.height < minHeight {
		return // nothing drawn: keep the scroll for when it grows back
	}
	m.pos = max(0, min(m.pos, t.n))
	lay := m.layout()
	if lay.tooSmall {
		return
	}
	cols := max(lay.lanesW-lay.gutter, 1)
	fit := fitScale(t.end, cols)
	switch {
	case m.state == stateSchedule:
		m.schedScale = max(m.schedScale, fit)
		m.scale, m.left, m.auto = m.schedScale, 0, false
	case m.auto || m.scale >= fit:
		m.scale, m.left, m.auto = fit, 0, true
	}
	s := m.scale
	w := m.windowOf(lay)
	if !m.auto {
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
	}

	// keep the current step's actor track in view
	all := m.visibleTracks()
	shown := len(lay.tracks)
	if m.pos > 0 && shown > 0 {
		l := t.laneOf[m.pos-1]
		for i, tr := range all {
			if tr.kind == trackActor && tr.lane == l {
				if i < m.top {
					m.top = i
				}
				if i >= m.top+shown {
					m.top = i - shown + 1
				}
			}
		}
	}
	m.top = max(0, min(m.top, len(all)-shown))
}
