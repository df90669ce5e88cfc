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
	inkBold
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
	inkError
	numInks
)

// A paint is the escape sequences around a run of text in one ink; both are
// empty when color is off. Precomputing them once lets the lanes be drawn
// cell by cell without a lipgloss render per cell.
type paint struct{ pre, post string }

// styles is every look the TUI uses, built once per model from one
// lipgloss renderer and passed to the render functions.
type styles struct {
	noColor bool
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
	// Never ask the terminal for its background (see Run).
	r.SetHasDarkBackground(darkBackground(os.Getenv("COLORFGBG")))
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	return r
}

// newStyles builds the styles for renderer r.
func newStyles(r *lipgloss.Renderer, noColor bool) *styles {
	s := &styles{noColor: noColor || r.ColorProfile() == termenv.Ascii, clipper: r.NewStyle()}
	c := func(s string) lipgloss.Color { return lipgloss.Color(s) }
	def := map[ink]lipgloss.Style{
		inkDim:      r.NewStyle().Foreground(c("8")),
		inkBold:     r.NewStyle().Bold(true),
		inkCacheOp:  r.NewStyle().Foreground(c("6")),
		inkDBOp:     r.NewStyle().Foreground(c("4")),
		inkSleep:    r.NewStyle().Foreground(c("8")),
		inkCursor:   r.NewStyle().Foreground(c("3")).Bold(true),
		inkCursorLb: r.NewStyle().Reverse(true).Bold(true),
		inkStale:    r.NewStyle().Foreground(c("1")).Bold(true),
		inkStaleLb:  r.NewStyle().Foreground(c("15")).Background(c("1")).Bold(true),
		inkShade:    r.NewStyle().Foreground(c("3")),
		inkDivLb:    r.NewStyle().Foreground(c("3")),
		inkCommit:   r.NewStyle().Foreground(c("2")).Bold(true),
		inkBadBadge: r.NewStyle().Foreground(c("15")).Background(c("1")).Bold(true),
		inkOKBadge:  r.NewStyle().Foreground(c("0")).Background(c("2")).Bold(true),
		inkError:    r.NewStyle().Foreground(c("1")),
	}
	for k, st := range def {
		if s.noColor {
			continue
		}
		out := st.Render("\x00")
		if i := strings.IndexByte(out, 0); i >= 0 {
			s.paints[k] = paint{out[:i], out[i+1:]}
		}
	}

	h := help.New().Styles
	for _, p := range []*lipgloss.Style{&h.Ellipsis, &h.ShortKey, &h.ShortDesc, &h.ShortSeparator, &h.FullKey, &h.FullDesc, &h.FullSeparator} {
		*p = p.Renderer(r)
	}
	s.help = h

	l := list.DefaultStyles()
	for _, p := range []*lipgloss.Style{&l.TitleBar, &l.Title, &l.Spinner, &l.FilterPrompt, &l.FilterCursor,
		&l.DefaultFilterCharacterMatch, &l.StatusBar, &l.StatusEmpty, &l.StatusBarActiveFilter,
		&l.StatusBarFilterCount, &l.NoItems, &l.PaginationStyle, &l.HelpStyle, &l.ActivePaginationDot,
		&l.InactivePaginationDot, &l.ArabicPagination, &l.DividerDot} {
		*p = p.Renderer(r)
	}
	s.list = l
	it := list.NewDefaultItemStyles()
	for _, p := range []*lipgloss.Style{&it.NormalTitle, &it.NormalDesc, &it.SelectedTitle, &it.SelectedDesc,
		&it.DimmedTitle, &it.DimmedDesc, &it.FilterMatch} {
		*p = p.Renderer(r)
	}
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
