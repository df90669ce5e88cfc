package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/presets"
)

// version is the module version and VCS revision the binary was built
// from, as the Go toolchain records them: "v1.2.0", or "(devel)
// rev 1a2b3c4d5e6f (modified) 2025-01-01T12:00:00Z" for a build from a
// work tree.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, at string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" {
		v += " rev " + rev[:min(len(rev), 12)]
		if dirty {
			v += " (modified)"
		}
		if at != "" {
			v += " " + at
		}
	}
	return v + ", " + bi.GoVersion
}

// completeScenario offers the preset names that start with what is typed,
// and lets the shell complete file names too.
func completeScenario(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	var out []cobra.Completion
	for _, p := range presets.All() {
		if strings.HasPrefix(p.Name, toComplete) {
			out = append(out, cobra.CompletionWithDesc(p.Name, p.Title))
		}
	}
	return out, cobra.ShellCompDirectiveDefault
}

// didYouMean adds the closest preset name to an unknown-preset error, when
// one is close enough to be a typo.
func didYouMean(err error, arg string) error {
	if !errors.Is(err, presets.ErrUnknownPreset) {
		return err
	}
	best, bestD := "", 1<<30
	for _, n := range presets.Names() {
		if d := editDistance(strings.ToLower(arg), n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" || bestD > max(2, len(arg)/3) {
		return err
	}
	return fmt.Errorf("%w; did you mean %q?", err, best)
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := prev[j-1]
			if ra[i-1] != rb[j-1] {
				c = 1 + min(prev[j-1], prev[j], cur[j-1])
			} else {
				c = min(c, 1+prev[j], 1+cur[j-1])
			}
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// SGR sequences of the text run's colors.
const (
	sgrRed   = "\x1b[1;31m"
	sgrGreen = "\x1b[1;32m"
	sgrBold  = "\x1b[1m"
	sgrReset = "\x1b[0m"
)

// colorText writes the plain-text run text to w with its meaning in color:
// the stale reads and the ✗ verdict red, a ✓ verdict green, headings bold.
// The words and glyphs are the same as without color.
func colorText(w io.Writer, text []byte) error {
	bw := bufio.NewWriter(w)
	for _, line := range bytes.SplitAfter(text, []byte("\n")) {
		s := string(line)
		body := strings.TrimRight(s, "\n")
		nl := s[len(body):]
		switch {
		case body == "":
		case strings.HasPrefix(body, "verdict:") && strings.Contains(body, "no stale"):
			body = sgrGreen + body + sgrReset
		case strings.HasPrefix(body, "verdict:") || strings.Contains(body, "✗") || strings.Contains(body, "STALE"):
			body = sgrRed + body + sgrReset
		case strings.Contains(body, "✓"):
			body = sgrGreen + body + sgrReset
		case !strings.HasPrefix(body, " ") && !strings.Contains(body, ":"):
			body = sgrBold + body + sgrReset
		}
		bw.WriteString(body + nl)
	}
	return bw.Flush()
}

// wantColor reports whether output to w gets color: a terminal, unless
// NO_COLOR is set.
func wantColor(w io.Writer) bool {
	return os.Getenv("NO_COLOR") == "" && isTerminal(w)
}
