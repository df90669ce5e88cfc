// Package tui is racetape's terminal UI: it shows one recorded run as lanes
// on a shared time axis (one per actor, then the cache and the database),
// with a cursor that steps forward and back through the run, the state of
// the cache and database at the cursor, a plain-words narration of the
// current step, and every stale read marked in red, with a ✗, the word
// STALE, and the served and current values, so it also reads without color.
//
// Viewing a run never runs the engine per keypress: a Source's Load runs
// the scenario once and the TUI views the recorded timeline. Two modes do
// run it: scheduler mode (s), where the user picks which actor takes the
// next step and each pick replays the schedule so far (a few hundred
// microseconds for the presets), exploration (e), which runs every
// schedule in a goroutine while the view polls its progress, and the
// comparison of the fixes (c), which runs the scenario under each cache
// protocol the same way and then stacks two protocols' runs on one time
// axis. i shows the preset's lesson. Drawing lives in plain functions
// (renderLanes, renderInspector, renderHeader, renderSchedPanel,
// renderExplore, renderCompare) that cost the same whatever the run's
// length, and that tests call directly; a frame reuses what the frame
// before computed (memo.go) under keys of all it depends on.
package tui

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// A Source is one scenario the TUI can show.
type Source struct {
	Name        string // preset or file name, e.g. "cache-aside"
	Title       string // one line, shown in the header and the picker
	Description string // shown in the picker
	// Load runs the scenario. An error (e.g. "file.yaml:3:7: unknown field
	// ...") is shown in the TUI, not a crash; the picker stays usable.
	Load func() (*timeline.Timeline, error)
	// Scenario returns the scenario Load runs, for scheduler mode (s) and
	// exploration (e). Nil when the source has none: those keys then say
	// they are not available.
	Scenario func() (*engine.Scenario, error)
	// Path is the scenario file Load reads, if any: r reloads it, and
	// Options.Watch reloads it when it changes.
	Path string
	// Lesson is what the scenario teaches, in labelled paragraphs
	// ("Watch: …", "Why: …", "Fix: …", "Cost: …"): the picker shows it,
	// and i in the lanes. Nil for none.
	Lesson []string
	// Command is how to run this source on the command line
	// ("racetape run cache-aside"), for y, which copies it with the
	// schedule shown.
	Command string
}

// Options tune the TUI.
type Options struct {
	// Schedule is the schedule the sources were run with (--schedule); the
	// header then says "schedule" (as it does for any run recorded in
	// schedule mode), and the first frame lists the run's schedule.
	Schedule string
	// NoColor draws plain text without any escape sequence. The NO_COLOR
	// environment variable has the same effect.
	NoColor bool
	// Speed is the auto-play interval between steps (0: 500ms).
	Speed time.Duration
	// NoMouse leaves the mouse to the terminal (Run only): text can then be
	// selected as usual, and the wheel no longer scrolls the lanes.
	NoMouse bool
	// Theme is the palette (ThemeAuto: dark or light, from the terminal's
	// background; Run asks the terminal, time-boxed, when COLORFGBG does
	// not say).
	Theme Theme
	// Reveal hides what lies ahead of the cursor: future steps are drawn
	// as shapes without words, the verdict is "?" until a stale read is
	// reached (R toggles).
	Reveal bool
	// Model names the consistency model the verdict was judged under, for
	// the header ("" shows none).
	Model string
	// Watch reloads the scenario when its file changes (sources with a
	// Path).
	Watch bool
	// Input and Output replace the terminal for Run (nil: stdin, stdout).
	Input  io.Reader
	Output io.Writer
}

// state is what the TUI is doing.
type state int

const (
	stateLoading  state = iota // a source is being loaded
	stateTape                  // viewing a recorded run, or its load error
	statePicker                // choosing a scenario
	stateSchedule              // scheduler mode: the user picks who moves next (s)
	stateExplore               // exploring every schedule, or its result (e)
	stateCompare               // comparing the protocols, or their table (c)
	stateStack                 // two protocols' runs, one above the other
)

func (s state) String() string {
	switch s {
	case stateLoading:
		return "loading"
	case stateTape:
		return "tape"
	case statePicker:
		return "picker"
	case stateSchedule:
		return "schedule"
	case stateExplore:
		return "explore"
	case stateCompare:
		return "compare"
	case stateStack:
		return "stack"
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// Model is the TUI's top model (a tea.Model). The zero value is not usable:
// build one with New.
type Model struct {
	sources []Source
	opts    Options
	st      *styles
	keys    keyMap
	help    help.Model
	picker  list.Model
	state   state
	width   int
	height  int

	cur    int // index of the source shown, or being loaded
	loadID int // the load in flight; older results are dropped
	// loadedAt is the modification time of the source's file when it was
	// loaded (--watch reloads when it changes).
	loadedAt time.Time
	tape     *tape // what the lanes show; nil while loading or after a load error
	loadErr  error

	// timed is the source's own run (its timed run, or the --schedule run)
	// and timedPos the cursor there, while the lanes show another run: the
	// schedule being built, a counterexample, or "your schedule" (shown).
	timed    *tape
	timedPos int
	shown    string // what the lanes show instead of timed, for the header
	reqID    int    // the scheduler start or counterexample run in flight
	note     string // a one-off message, cleared by the next key

	sched   scheduler   // scheduler mode
	explore exploration // the exploration running or shown
	cmp     comparison  // the comparison running or shown

	pos   int           // cursor: 0 is the start, k is right after step k
	left  time.Duration // instant at the lanes' left edge
	scale time.Duration // virtual time per column
	auto  bool          // zoom to fit: the whole run in the width, until z
	top   int           // first track shown, among those the filter keeps
	// schedScale is scheduler mode's scale: it only grows, so the axis
	// stays put while the run grows step by step.
	schedScale time.Duration

	reveal    bool            // what lies ahead of the cursor is hidden
	lesson    bool            // the lesson is open in the panes' place (i)
	selName   string          // the selected track's name ("" none): x collapses it
	collapsed map[string]bool // tracks drawn without their label lines, by name
	filter    string          // only the tracks whose name holds it
	filtering bool            // typing the filter (/)

	playing bool
	speed   int // index in speeds
	tickID  int

	memo     *memo // what a frame computes that the next can reuse, shared by copies
	verdicts bool  // the picker's verdicts were asked for
	// pickVerdicts are the verdicts the picker has, by source.
	pickVerdicts verdictsMsg
}

// A memo keeps what drawing a frame computes that the next frame can
// reuse, each part under a key of everything it depends on, so that
// reusing it never changes what is drawn: the help bar, the tracks'
// drawings, the layout and the panes' texts.
type memo struct {
	help   helpMemo
	draws  drawCache
	lay    layout
	layKey layoutKey
	layOK  bool
	texts  map[textKey][]string
}

// A helpMemo keeps the last help bar drawn: it changes only with the width
// and the full/short toggle, and drawing it costs more than the lanes.
type helpMemo struct {
	width int
	full  bool
	bare  bool   // the bindings that need a run are off
	mode  string // which key map: the state, and whether esc goes back
	out   string
}

// scales are the zoom levels z and Z step through: virtual time per
// column. Zoom to fit (f) may choose any scale between them.
var scales = func() []time.Duration {
	var out []time.Duration
	for p := time.Microsecond; p < time.Hour; p *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			out = append(out, m*p)
		}
	}
	return append(out, time.Hour)
}()

// fitScale is the scale that shows a run ending at end in cols columns,
// rounded up to two significant digits (at least 1µs a column).
func fitScale(end time.Duration, cols int) time.Duration {
	cols = max(cols-1, 1)
	s := max((end+time.Duration(cols)-1)/time.Duration(cols), time.Microsecond)
	p := time.Duration(1)
	for s/p >= 100 {
		p *= 10
	}
	return (s + p - 1) / p * p
}

// speeds are the auto-play intervals, slowest first.
var speeds = []time.Duration{2 * time.Second, time.Second, 500 * time.Millisecond, 250 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond}

// New returns the TUI showing sources[initial] (clamped to the list).
func New(sources []Source, initial int, opts Options) Model {
	noColor := opts.NoColor || noColorEnv()
	theme := resolveTheme(opts.Theme, darkBackground(os.Getenv("COLORFGBG")))
	return newModel(sources, initial, opts, newStyles(newRenderer(opts.Output, noColor), theme, noColor))
}

func newModel(sources []Source, initial int, opts Options, st *styles) Model {
	m := Model{
		sources: sources,
		opts:    opts,
		st:      st,
		keys:    newKeyMap(),
		help:    help.New(),
		state:   stateLoading,
		cur:     max(0, min(initial, len(sources)-1)),
		auto:    true,
		speed:   2,
		reveal:  opts.Reveal,

		collapsed: map[string]bool{},

		memo: &memo{help: helpMemo{width: -1}},
	}
	m.help.Styles = st.help
	if opts.Speed > 0 {
		for i, s := range speeds {
			if s >= opts.Speed {
				m.speed = i
			}
		}
	}
	m.picker = newPicker(sources, st)
	if len(sources) == 0 {
		m.state = stateTape
		m.loadErr = errors.New("no scenario to show")
	}
	return m
}

// Init starts loading the initial source.
func (m Model) Init() tea.Cmd {
	if len(m.sources) == 0 {
		return nil
	}
	return loadCmd(m.sources[m.cur], m.cur, m.loadID, false)
}

// reload runs the current source's scenario again (r): a file is read
// anew.
func (m Model) reload() (Model, tea.Cmd) {
	if len(m.sources) == 0 {
		return m, nil
	}
	m.loadID++
	m.playing = false
	return m, loadCmd(m.sources[m.cur], m.cur, m.loadID, true)
}

// watchCmd polls the current source's file for --watch.
func (m Model) watchCmd() tea.Cmd {
	if !m.opts.Watch || len(m.sources) == 0 || m.sources[m.cur].Path == "" {
		return nil
	}
	src, id, path := m.cur, m.loadID, m.sources[m.cur].Path
	return tea.Tick(watchEvery, func(time.Time) tea.Msg {
		var mt time.Time
		if fi, err := os.Stat(path); err == nil {
			mt = fi.ModTime()
		}
		return watchMsg{src: src, id: id, mtime: mt}
	})
}

// watched reloads the file when it changed since it was loaded, and polls
// again.
func (m Model) watched(msg watchMsg) (Model, tea.Cmd) {
	if msg.src != m.cur || msg.id != m.loadID {
		return m, nil // another load since: it polls on its own
	}
	if !msg.mtime.IsZero() && !msg.mtime.Equal(m.loadedAt) && m.state == stateTape {
		return m.reload()
	}
	return m, m.watchCmd()
}

// A loadedMsg carries a loaded (and indexed) run, or why it failed.
type loadedMsg struct {
	src, id int
	tape    *tape
	err     error
	reload  bool // r or --watch: keep the cursor
	mtime   time.Time
}

// A watchMsg is the scenario file's modification time, polled for --watch.
type watchMsg struct {
	src, id int
	mtime   time.Time
}

// watchEvery is how often --watch looks at the scenario file.
const watchEvery = 500 * time.Millisecond

// A tickMsg is one auto-play step; id drops ticks of an older play.
type tickMsg struct{ id int }

// loadCmd runs src.Load and indexes the result, off the UI goroutine. A
// panic in Load becomes an error.
func loadCmd(src Source, i, id int, reload bool) tea.Cmd {
	return func() (msg tea.Msg) {
		var mt time.Time
		if src.Path != "" {
			if fi, err := os.Stat(src.Path); err == nil {
				mt = fi.ModTime()
			}
		}
		defer func() {
			if p := recover(); p != nil {
				msg = loadedMsg{src: i, id: id, reload: reload, mtime: mt, err: fmt.Errorf("load %s: panic: %v", src.Name, p)}
			}
		}()
		if src.Load == nil {
			return loadedMsg{src: i, id: id, reload: reload, mtime: mt, err: fmt.Errorf("load %s: nothing to load", src.Name)}
		}
		tl, err := src.Load()
		if err == nil && tl == nil {
			err = fmt.Errorf("load %s: no timeline", src.Name)
		}
		if err != nil {
			return loadedMsg{src: i, id: id, reload: reload, mtime: mt, err: err}
		}
		return loadedMsg{src: i, id: id, reload: reload, mtime: mt, tape: newTape(tl)}
	}
}
