package tui

import (
	"bytes"
	"fmt"
	"os"
	"time"

	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
)

// Run shows the TUI on sources[initial] until the user quits, in the
// terminal's alternate screen with mouse-wheel scrolling (unless
// opts.NoMouse). The terminal is restored on return, also after a panic.
func Run(sources []Source, initial int, opts Options) error {
	// Decide the background once, time-boxed: lipgloss would otherwise
	// query it (OSC 11) the first time an adaptive color is drawn, and a
	// terminal that does not answer (tmux with no client attached, some CI
	// terminals) would stall the first frame for termenv's 5 s timeout.
	dark := true
	if opts.Theme == ThemeAuto {
		dark = detectDark(os.Getenv("COLORFGBG"), opts.Output == nil && !opts.NoColor && !noColorEnv())
		opts.Theme = resolveTheme(ThemeAuto, dark)
	}
	lipgloss.SetHasDarkBackground(dark && opts.Theme != ThemeLight)
	m := New(sources, initial, opts)
	po := []tea.ProgramOption{tea.WithAltScreen()}
	if !opts.NoMouse {
		po = append(po, tea.WithMouseCellMotion())
	}
	if opts.Input != nil {
		po = append(po, tea.WithInput(opts.Input))
	}
	if opts.Output != nil {
		po = append(po, tea.WithOutput(opts.Output))
	}
	_, err := tea.NewProgram(m, po...).Run()
	return err
}

// bgQueryTimeout bounds the wait for the terminal's answer to the
// background color query.
const bgQueryTimeout = 150 * time.Millisecond

// detectDark decides whether the terminal's background is dark: from
// COLORFGBG when it is set, else, when ask, from the terminal's answer to
// an OSC 11 query, waited for at most bgQueryTimeout; without an answer,
// dark.
func detectDark(colorfgbg string, ask bool) bool {
	if colorfgbg != "" || !ask || !term.IsTerminal(os.Stdout.Fd()) {
		return darkBackground(colorfgbg)
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return true
	}
	defer tty.Close()
	hex, ok := queryBackground(tty, bgQueryTimeout)
	return !ok || luminance(hex) < 0.18
}

// queryBackground asks the terminal tty for its background color (OSC 11),
// followed by a cursor position request that every terminal answers, so
// one that ignores OSC 11 costs no wait; it waits at most timeout. It
// returns the color as "#rrggbb".
func queryBackground(tty *os.File, timeout time.Duration) (string, bool) {
	old, err := term.MakeRaw(tty.Fd())
	if err != nil {
		return "", false
	}
	defer term.Restore(tty.Fd(), old) //nolint:errcheck
	if _, err := tty.WriteString("\x1b]11;?\x07\x1b[6n"); err != nil {
		return "", false
	}
	if err := tty.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return "", false
	}
	var got []byte
	buf := make([]byte, 256)
	for len(got) < 1024 {
		n, err := tty.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil || bytes.Contains(got, []byte("R")) {
			break
		}
	}
	return parseOSC11(string(got))
}

// parseOSC11 finds "rgb:RRRR/GGGG/BBBB" (1 to 4 hex digits a channel) in a
// terminal's answer and returns it as "#rrggbb".
func parseOSC11(s string) (string, bool) {
	i := strings.Index(s, "rgb:")
	if i < 0 {
		return "", false
	}
	parts := strings.SplitN(s[i+4:], "/", 3)
	if len(parts) != 3 {
		return "", false
	}
	out := "#"
	for _, p := range parts {
		n := 0
		for n < len(p) && n < 4 && strings.IndexByte("0123456789abcdefABCDEF", p[n]) >= 0 {
			n++
		}
		if n == 0 {
			return "", false
		}
		v, err := strconv.ParseUint(p[:n], 16, 32)
		if err != nil {
			return "", false
		}
		out += fmt.Sprintf("%02x", v*255/(1<<(4*n)-1))
	}
	return out, true
}

// darkBackground reads the COLORFGBG convention ("fg;bg", e.g. "15;0"):
// background colors 0–6 and 8 are dark, 7 and 9–15 light. Without it the
// background is taken as dark, the common case.
func darkBackground(colorfgbg string) bool {
	i := strings.LastIndexByte(colorfgbg, ';')
	if i < 0 {
		return true
	}
	bg, err := strconv.Atoi(colorfgbg[i+1:])
	if err != nil {
		return true
	}
	return bg <= 6 || bg == 8
}
