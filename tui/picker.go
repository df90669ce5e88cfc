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
	reveal  bool   // reveal mode: the verdict is not told
}

func (p pickItem) Title() string {
	if p.src.Title != "" {
		return p.src.Title
	}
	return p.src.Name
}

func (p pickItem) Description() string {
	d := p.src.Name
	switch {
	case p.verdict != "" && p.reveal:
		d += " · ? verdict"
	case p.verdict != "":
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

// pickItems are the picker's items, with the verdicts known (in reveal
// mode, not told).
func pickItems(sources []Source, verdicts map[int]string, reveal bool) []list.Item {
	items := make([]list.Item, len(sources))
	for i, s := range sources {
		items[i] = pickItem{i: i, src: s, verdict: verdicts[i], reveal: reveal}
	}
	return items
}

// pickerTitle is the picker's title; in reveal mode it says the verdicts
// are hidden.
func pickerTitle(reveal bool) string {
	if reveal {
		return "racetape · pick a scenario · reveal mode: verdicts hidden"
	}
	return "racetape · pick a scenario"
}

// minPickerLesson is the height from which the picker shows the
// highlighted scenario's lesson; minSidePicker the width from which it
// sits beside the list.
const (
	minPickerLesson = 16
	minSidePicker   = 100
)

// pickerPanes shares the terminal between the picker's list and the
// lesson of the highlighted scenario, above the help: beside the list from
// minSidePicker columns, below it otherwise, none on a short terminal.
// The lesson's pane is as tall as the longest lesson needs, so that it
// does not jump while the highlight moves.
func (m Model) pickerPanes() (items pane, lesson pane, ok bool) {
	h := m.height - strings.Count(m.pickerHelp(), "\n") - 1
	items = pane{w: m.width, h: max(h, 0)}
	if m.height < minPickerLesson {
		return items, pane{}, false
	}
	want := m.pickerLessonWant(m.width) + 2
	if m.width >= minSidePicker {
		items.w = m.width * 52 / 100
		lw := m.width - items.w - 1
		return items, pane{x: items.w + 1, y: 1, w: lw, h: min(m.pickerLessonWant(lw)+2, h-1)}, true
	}
	lh := min(max(want, 5), h/2)
	items.h = h - lh
	return items, pane{y: items.h, w: m.width, h: lh}, true
}

// pickerHelp is the picker's help bar, the whole width under the list and
// the lesson.
func (m Model) pickerHelp() string {
	h := m.picker.Help
	h.Width = max(m.width-2, 0)
	return m.st.clip(m.picker.Styles.HelpStyle.Render(h.View(m.picker)), m.width)
}

// pickerLessonWant is how many lines the longest lesson the picker shows
// takes at outer width w, so that the list keeps its height while the
// highlight moves.
func (m Model) pickerLessonWant(w int) int {
	n := 0
	for _, s := range m.sources {
		n = max(n, len(lessonLines(s, w-4, 40, m.reveal, m.st)))
	}
	return n
}

// sizePicker sizes the picker's list to its share of the terminal.
func (m *Model) sizePicker() {
	l, _, _ := m.pickerPanes()
	m.picker.SetSize(l.w, l.h)
	m.picker.Title = pickerTitle(m.reveal)
}

// pickerView is the picker: the list, and the highlighted scenario's
// lesson (in reveal mode, only what to watch for).
func (m Model) pickerView() string {
	l, lp, ok := m.pickerPanes()
	lines := strings.Split(m.picker.View(), "\n")
	for len(lines) < l.h {
		lines = append(lines, "")
	}
	lines = lines[:l.h]
	if !ok {
		return strings.Join(append(lines, m.pickerHelp()), "\n")
	}
	title := "Lesson"
	if m.reveal {
		title = "What to watch for"
	}
	var body []string
	if it, ok := m.picker.SelectedItem().(pickItem); ok {
		title += " · " + it.src.Name
		body = lessonLines(it.src, lp.w-4, lp.h-2, m.reveal, m.st)
	}
	b := box(title, body, lp.w, lp.h, m.st)
	if lp.y >= l.h { // below the list
		lines = append(lines, b...)
	} else {
		for i := range lines {
			lines[i] = padStyled(m.st.clip(lines[i], l.w), l.w)
			if j := i - lp.y; j >= 0 && j < len(b) {
				lines[i] += " " + b[j]
			}
		}
	}
	return strings.Join(append(lines, m.pickerHelp()), "\n")
}

func (p pickItem) FilterValue() string { return p.src.Name + " " + p.src.Title }

// newPicker builds the scenario picker: a bubbles/list of the sources with
// their titles and descriptions.
func newPicker(sources []Source, st *styles) list.Model {
	items := pickItems(sources, nil, false)
	d := list.NewDefaultDelegate()
	d.Styles = st.item
	l := list.New(items, d, 0, 0)
	l.Title = "racetape · pick a scenario"
	l.Styles = st.list
	l.Help.Styles = st.help
	l.SetStatusBarItemName("scenario", "scenarios")
	l.SetShowHelp(false) // drawn under the list and the lesson (pickerView)
	l.DisableQuitKeybindings()
	keys := []key.Binding{
		key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/o", "back")),
	}
	l.AdditionalShortHelpKeys = func() []key.Binding { return keys }
	l.AdditionalFullHelpKeys = func() []key.Binding { return keys }
	return l
}
