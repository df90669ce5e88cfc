package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
)

// pickItem is one source in the scenario picker.
type pickItem struct {
	i       int
	src     Source
	verdict string // "✗ 1 stale read (stale-hit)", "✓ no stale reads", "" not known yet
}

func (p pickItem) Title() string {
	if p.src.Title != "" {
		return p.src.Title
	}
	return p.src.Name
}

func (p pickItem) Description() string {
	d := p.src.Name
	if p.verdict != "" {
		d += " · " + p.verdict
	}
	if p.src.Description != "" {
		d += " · " + p.src.Description
	}
	return d
}

// A verdictsMsg is every source's verdict, by index.
type verdictsMsg map[int]string

// verdictsCmd runs every source for the picker's verdicts.
func verdictsCmd(sources []Source) tea.Cmd {
	return func() tea.Msg {
		out := verdictsMsg{}
		for i, s := range sources {
			out[i] = verdictOf(s)
		}
		return out
	}
}

// verdictOf runs s and says its verdict in a few words.
func verdictOf(s Source) (v string) {
	defer func() {
		if recover() != nil {
			v = "✗ does not run"
		}
	}()
	if s.Load == nil {
		return ""
	}
	tl, err := s.Load()
	if err != nil || tl == nil {
		return "✗ does not load"
	}
	stale := tl.StaleReads()
	if len(stale) == 0 {
		return "✓ no stale reads"
	}
	var names []string
	for _, r := range stale {
		if a := string(r.Anomaly); a != "" && !slices.Contains(names, a) {
			names = append(names, a)
		}
	}
	return "✗ " + plural(len(stale), "stale read", "stale reads") + " (" + strings.Join(names, ", ") + ")"
}

// pickItems are the picker's items, with the verdicts known.
func pickItems(sources []Source, verdicts map[int]string) []list.Item {
	items := make([]list.Item, len(sources))
	for i, s := range sources {
		items[i] = pickItem{i: i, src: s, verdict: verdicts[i]}
	}
	return items
}

func (p pickItem) FilterValue() string { return p.src.Name + " " + p.src.Title }

// newPicker builds the scenario picker: a bubbles/list of the sources with
// their titles and descriptions.
func newPicker(sources []Source, st *styles) list.Model {
	items := pickItems(sources, nil)
	d := list.NewDefaultDelegate()
	d.Styles = st.item
	l := list.New(items, d, 0, 0)
	l.Title = "racetape · pick a scenario"
	l.Styles = st.list
	l.Help.Styles = st.help
	l.SetStatusBarItemName("scenario", "scenarios")
	l.DisableQuitKeybindings()
	keys := []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/o", "back")),
	}
	l.AdditionalShortHelpKeys = func() []key.Binding { return keys }
	l.AdditionalFullHelpKeys = func() []key.Binding { return keys }
	return l
}
