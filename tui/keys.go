package tui

import "github.com/charmbracelet/bubbles/key"

// keyMap is every binding of the tape view, shown by bubbles/help.
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
	Picker   key.Binding
	Help     key.Binding
	Quit     key.Binding

	// Used in the scenario picker.
	Select key.Binding
	Close  key.Binding
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
		Picker:   b("o", "scenarios", "o"),
		Help:     b("?", "help", "?"),
		Quit:     b("q", "quit", "q", "ctrl+c"),
		Select:   b("enter", "open", "enter"),
		Close:    b("esc", "back", "esc"),
	}
}

// ShortHelp is the one-line help bar.
func (k keyMap) ShortHelp() []key.Binding {
	// quit and help come before play and zoom: cut at the right edge, the
	// bar must still say how to get out and how to learn more.
	return []key.Binding{k.Forward, k.Back, k.NextMark, k.Picker, k.Help, k.Quit, k.Play, k.ZoomIn}
}

// FullHelp is the help shown by ?.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Forward, k.Back, k.First, k.Last},
		{k.NextMark, k.PrevMark, k.ZoomIn, k.ZoomOut},
		{k.Play, k.Faster, k.Slower},
		{k.Picker, k.Help, k.Quit},
	}
}
