package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every binding of the TUI, shown by bubbles/help. Each state
// shows its own subset (tapeHelp, schedHelp, exploreHelp).
type keyMap struct {
	Forward  key.Binding
	Back     key.Binding
	Play     key.Binding
	Faster   key.Binding
	Slower   key.Binding
	NextMark key.Binding
	PrevMark key.Binding
	First    key.Binding
	Last     key.Binding
	ZoomIn   key.Binding
	ZoomOut  key.Binding
	Fit      key.Binding
	Reveal   key.Binding
	// Tracks: select (and scroll), collapse, filter.
	TrackUp     key.Binding
	TrackDown   key.Binding
	Collapse    key.Binding
	CollapseAll key.Binding
	Filter      key.Binding
	Wheel       key.Binding // help only: the mouse wheel scrolls
	Copy        key.Binding
	Reload      key.Binding
	Picker      key.Binding
	Schedule    key.Binding
	Explore     key.Binding
	Lesson      key.Binding
	Compare     key.Binding
	Timed       key.Binding // back to the source's own run from another
	Help        key.Binding
	Quit        key.Binding

	// Used in the scenario picker.
	Select key.Binding
	Close  key.Binding

	// Used in scheduler mode.
	Choose  key.Binding // 1-9: the actor at that place in the scenario
	Clock   key.Binding
	SelNext key.Binding
	SelPrev key.Binding
	Run     key.Binding
	Undo    key.Binding
	Keep    key.Binding // open the built schedule's run in the tape view
	Leave   key.Binding

	// Used in exploration.
	Open   key.Binding // the counterexample, in the lanes
	Cancel key.Binding

	// Used in the comparison.
	Mark     key.Binding // a protocol to open
	OpenPair key.Binding // the two marked, stacked
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Forward:  b("→/l/space", "step", "right", "l", " "),
		Back:     b("←/h", "back", "left", "h"),
		Play:     b("p", "play/pause", "p"),
		Faster:   b("+", "faster", "+", "="),
		Slower:   b("-", "slower", "-", "_"),
		NextMark: b("n", "next anomaly", "n"),
		PrevMark: b("N", "prev anomaly", "N"),
		First:    b("g", "first", "g", "home"),
		Last:     b("G", "last", "G", "end"),
		ZoomIn:   b("z", "zoom in", "z"),
		ZoomOut:  b("Z", "zoom out", "Z"),
		Fit:      b("f", "fit the run", "f"),
		Reveal:   b("R", "reveal mode", "R"),

		TrackUp:     b("↑/k", "track up", "up", "k"),
		TrackDown:   b("↓/j", "track down", "down", "j"),
		Collapse:    b("x", "collapse track", "x"),
		CollapseAll: b("X", "collapse all", "X"),
		Filter:      b("/", "filter tracks", "/"),
		Wheel:       b("wheel", "scroll tracks (shift: time)", "\x00wheel"),
		Copy:        b("y", "copy replay cmd", "y"),
		Reload:      b("r", "reload", "r"),

		Picker:   b("o", "scenarios", "o"),
		Schedule: b("s", "scheduler", "s"),
		Explore:  b("e", "explore", "e"),
		Lesson:   b("i", "lesson", "i"),
		Compare:  b("c", "compare", "c"),
		Timed:    b("esc", "timed run", "esc"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q", "ctrl+c"),
		Select:   b("enter", "open", "enter"),
		Close:    b("esc", "back", "esc"),

		Choose:  b("1-9", "move actor", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
		Clock:   b("c", "clock", "c"),
		SelNext: b("→/↓", "select", "right", "down", "l", "j", "tab"),
		SelPrev: b("←/↑", "select", "left", "up", "h", "k", "shift+tab"),
		Run:     b("enter", "run selected", "enter"),
		Undo:    b("u", "undo", "u", "backspace"),
		Keep:    b("v", "view as tape", "v"),
		Leave:   b("esc/s", "leave", "esc", "s"),

		Open:   b("enter", "open counterexample", "enter"),
		Cancel: b("esc", "back", "esc"),

		Mark:     b("space", "mark", " ", "x"),
		OpenPair: b("enter", "open the two stacked", "enter"),
	}
}

// tapeHelp is the help of the tape view.
type tapeHelp struct{ k keyMap }

// ShortHelp is the one-line help bar.
func (h tapeHelp) ShortHelp() []key.Binding {
	k := h.k
	// quit and help come before play and zoom: cut at the right edge, the
	// bar must still say how to get out and how to learn more.
	return []key.Binding{k.Timed, k.Forward, k.Back, k.NextMark, k.Play, k.Reveal, k.Help, k.Quit, k.Picker, k.Lesson, k.Compare, k.Copy, k.Schedule, k.Explore, k.Fit, k.ZoomIn}
}

// FullHelp is the help shown by ?.
func (h tapeHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{
		{k.Forward, k.Back, k.First, k.Last, k.NextMark, k.PrevMark},
		{k.Play, k.Faster, k.Slower, k.Reveal, k.ZoomIn, k.ZoomOut, k.Fit},
		{k.TrackUp, k.TrackDown, k.Collapse, k.CollapseAll, k.Filter, k.Wheel},
		{k.Schedule, k.Explore, k.Compare, k.Timed, k.Copy, k.Reload},
		{k.Lesson, k.Picker, k.Help, k.Quit},
	}
}

// schedHelp is the help of scheduler mode.
type schedHelp struct{ k keyMap }

func (h schedHelp) ShortHelp() []key.Binding {
	k := h.k
	return []key.Binding{k.Choose, k.Undo, k.Leave, k.Help, k.Quit, k.SelNext, k.Run, k.Clock, k.Keep, k.Copy}
}

func (h schedHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{
		{k.Choose, k.Clock, k.Undo},
		{k.SelNext, k.SelPrev, k.Run},
		{k.Keep, k.Leave, k.Explore, k.Copy},
		{k.Reveal, k.ZoomIn, k.ZoomOut, k.Fit},
		{k.Help, k.Quit},
	}
}

// exploreHelp is the help of the exploration view.
type exploreHelp struct{ k keyMap }

func (h exploreHelp) ShortHelp() []key.Binding {
	k := h.k
	return []key.Binding{k.Open, k.Cancel, k.Explore, k.Help, k.Quit}
}

func (h exploreHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{{k.Open, k.Explore}, {k.Cancel, k.Help, k.Quit}}
}

// compareHelp is the help of the comparison page.
type compareHelp struct{ k keyMap }

func (h compareHelp) ShortHelp() []key.Binding {
	k := h.k
	return []key.Binding{k.TrackDown, k.Mark, k.OpenPair, k.Cancel, k.Help, k.Quit}
}

func (h compareHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{{k.TrackDown, k.Mark, k.OpenPair}, {k.Cancel, k.Help, k.Quit}}
}

// stackHelp is the help of two runs stacked.
type stackHelp struct{ k keyMap }

func (h stackHelp) ShortHelp() []key.Binding {
	k := h.k
	return []key.Binding{k.Close, k.Forward, k.Back, k.NextMark, k.Reveal, k.Help, k.Quit, k.ZoomIn, k.Fit}
}

func (h stackHelp) FullHelp() [][]key.Binding {
	k := h.k
	return [][]key.Binding{
		{k.Forward, k.Back, k.First, k.Last, k.NextMark, k.PrevMark},
		{k.ZoomIn, k.ZoomOut, k.Fit, k.Reveal, k.TrackUp, k.TrackDown},
		{k.Close, k.Help, k.Quit},
	}
}

var (
	_ help.KeyMap = compareHelp{}
	_ help.KeyMap = stackHelp{}
	_ help.KeyMap = tapeHelp{}
	_ help.KeyMap = schedHelp{}
	_ help.KeyMap = exploreHelp{}
)
