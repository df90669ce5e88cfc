package tui

import (
	"github.com/charmbracelet/bubbles/list"
)

// pickItem is one source in the scenario picker.
type pickItem struct {
	i   int
	src Source
}

func (p pickItem) Title() string {
	if p.src.Title != "" {
		return p.src.Title
	}
	return p.src.Name
}

func (p pickItem) Description() string {
	if p.src.Description == "" {
		return p.src.Name
	}
	return p.src.Name + " · " + p.src.Description
}

func (p pickItem) FilterValue() string { return p.src.Name + " " + p.src.Title }

// newPicker builds the scenario picker: a bubbles/list of the sources with
// their titles and descriptions.
func newPicker(sources []Source, st *styles) list.Model {
	items := make([]list.Item, len(sources))
	for i, s := range sources {
		items[i] = pickItem{i: i, src: s}
	}
	d := list.NewDefaultDelegate()
	d.Styles = st.item
	l := list.New(items, d, 0, 0)
	l.Title = "racetape · pick a scenario"
	l.Styles = st.list
	l.SetStatusBarItemName("scenario", "scenarios")
	l.DisableQuitKeybindings()
	return l
}
