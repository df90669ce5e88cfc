package tui

import (
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// An ink is one of the few looks a cell or a text segment can have. Meaning
// never rests on color alone: every ink that matters comes with its own
// glyph or word (✗ STALE, ━ for the cursor, ░ for divergence, ◆ for commits),
// so the view reads the same under NO_COLOR.
type ink uint8

const (
	inkPlain ink = iota
	inkDim
	inkFuture // reveal mode: what lies ahead of the cursor, shape only
	inkBold
	inkTitle    // a pane's title
	inkCacheOp  // a step that reached the cache
	inkDBOp     // a step that reached the database
	inkSleep    // a sleep or other step
	inkCursor   // the current step's bar
	inkCursorLb // the current step's label
	inkStale    // a stale read's bar and marks
	inkStaleLb  // a stale read's label
	inkShade    // divergence shading on the cache lane
	inkDivLb    // a divergence label
	inkCommit   // a commit on the db lane
	inkBadBadge // "✗ 2 stale reads"
	inkOKBadge  // "✓ no stale reads"
	inkWaitBadge
	inkError
	inkKey    // a key in the help bar
	inkBorder // a pane's border
	inkFocus  // the selected lane's name
	inkNote   // play paused on an anomaly: the band that says why
	numInks
)

// A paint is the escape sequences around a run of text in one ink; both are
// empty when color is off. Precomputing them once lets the lanes be drawn
// cell by cell without a lipgloss render per cell.
type paint struct{ pre, post string }

// styles is every look the TUI uses, built once per model from one
// lipgloss renderer and a theme, and passed to the render functions.
type styles struct {
	noColor bool
	theme   Theme
	paints  [numInks]paint
	help    help.Styles
	list    list.Styles
	item    list.DefaultItemStyles
	clipper lipgloss.Style // cuts styled lines to a width
}

// noColorEnv reports whether the NO_COLOR convention asks for no color.
func noColorEnv() bool { return os.Getenv("NO_COLOR") != "" }

// newRenderer returns the lipgloss renderer for out; noColor forces plain
// text (no escape sequences at all).
func newRenderer(out io.Writer, noColor bool) *lipgloss.Renderer {
	if out == nil {
		out = os.Stdout
	}
	r := lipgloss.NewRenderer(out)
	// Never ask the terminal for its background here (see Run).
	r.SetHasDarkBackground(darkBackground(os.Getenv("COLORFGBG")))
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

// resolveTheme is theme, or for ThemeAuto the dark or light theme of the
// background.
func resolveTheme(theme Theme, dark bool) Theme {
	if theme != ThemeAuto {
		return theme
	}
	if dark {
		return ThemeDark
	}
	return ThemeLight
}

// styleOf is ink k's lipgloss style in palette p.
func styleOf(r *lipgloss.Renderer, p *palette, k ink) lipgloss.Style {
	lk := p.looks[k]
	s := r.NewStyle().Bold(lk.bold)
	if lk.fg != "" {
		s = s.Foreground(lipgloss.Color(lk.fg))
	}
	if lk.bg != "" {
		s = s.Background(lipgloss.Color(lk.bg))
	}
	return s
}

// newStyles builds the styles of theme (not ThemeAuto) for renderer r.
func newStyles(r *lipgloss.Renderer, theme Theme, noColor bool) *styles {
	p, ok := palettes[theme]
	if !ok {
		theme, p = ThemeDark, palettes[ThemeDark]
	}
	s := &styles{noColor: noColor || r.ColorProfile() == termenv.Ascii, theme: theme, clipper: r.NewStyle()}
	for k := range numInks {
		if s.noColor || k == inkPlain && p.looks[k] == (look{}) {
			continue
		}
		out := styleOf(r, p, k).Render("\x00")
		if i := strings.IndexByte(out, 0); i >= 0 {
			s.paints[k] = paint{out[:i], out[i+1:]}
		}
	}
	st := func(k ink) lipgloss.Style { return styleOf(r, p, k) }

	s.help = help.Styles{
		Ellipsis:       st(inkDim),
		ShortKey:       st(inkKey),
		ShortDesc:      st(inkDim),
		ShortSeparator: st(inkDim),
		FullKey:        st(inkKey),
		FullDesc:       st(inkDim),
		FullSeparator:  st(inkDim),
	}

	// The picker: the theme's colors instead of bubbles' stock purple.
	l := list.DefaultStyles()
	for _, p := range []*lipgloss.Style{&l.TitleBar, &l.Spinner, &l.FilterCursor,
		&l.DefaultFilterCharacterMatch, &l.StatusEmpty, &l.StatusBarActiveFilter,
		&l.StatusBarFilterCount, &l.NoItems, &l.PaginationStyle, &l.ActivePaginationDot,
		&l.InactivePaginationDot, &l.ArabicPagination, &l.DividerDot} {
		*p = p.Renderer(r)
	}
	l.Title = st(inkTitle).Padding(0, 1)
	l.FilterPrompt = st(inkKey)
	l.StatusBar = st(inkDim).Padding(0, 0, 1, 2)
	l.HelpStyle = r.NewStyle().Padding(1, 0, 0, 2)
	l.NoItems = st(inkDim)
	l.ActivePaginationDot = st(inkKey).SetString("•")
	l.InactivePaginationDot = st(inkDim).SetString("•")
	l.DefaultFilterCharacterMatch = r.NewStyle().Underline(true)
	s.list = l
	it := list.NewDefaultItemStyles()
	it.NormalTitle = r.NewStyle().Padding(0, 0, 0, 2)
	it.NormalDesc = st(inkDim).Padding(0, 0, 0, 2)
	bar := lipgloss.Border{Left: "▌"}
	it.SelectedTitle = st(inkCursor).Border(bar, false, false, false, true).BorderForeground(lipgloss.Color(p.looks[inkCursor].fg)).Padding(0, 0, 0, 1)
	it.SelectedDesc = st(inkKey).Border(bar, false, false, false, true).BorderForeground(lipgloss.Color(p.looks[inkCursor].fg)).Padding(0, 0, 0, 1)
	it.DimmedTitle = st(inkDim).Padding(0, 0, 0, 2)
	it.DimmedDesc = st(inkDim).Padding(0, 0, 0, 2)
	it.FilterMatch = r.NewStyle().Underline(true)
	s.item = it
	return s
}

// paint returns text in ink k.
func (s *styles) paint(k ink, text string) string {
	p := s.paints[k]
	if p.pre == "" || text == "" {
		return text
	}
	return p.pre + text + p.post
}

// clip cuts every line of styled text s to at most w columns. bubbles/help
// can overflow its width by one item when there is no room for its "…".
func (s *styles) clip(text string, w int) string {
	return s.clipper.MaxWidth(w).Render(text)
}
