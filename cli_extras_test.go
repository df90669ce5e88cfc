package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCLIVersion(t *testing.T) {
	code, out, _ := cli(t, "--version")
	require.Equal(t, exitClean, code)
	require.True(t, strings.HasPrefix(out, "racetape "), out)
	require.Contains(t, out, "go1.", "the toolchain the binary was built with")
	require.Equal(t, "racetape "+version()+"\n", out)
}

// TestCLINoTerminal: racetape with stdout not a terminal prints the text
// run instead of drawing a TUI nobody sees.
func TestCLINoTerminal(t *testing.T) {
	code, out, _ := cli(t)
	require.Equal(t, exitStale, code)
	require.Contains(t, out, "cache-aside — Cache-aside")
	require.Contains(t, out, "verdict: 1 stale read served")
	require.NotContains(t, out, "\x1b[", "no color into a pipe")
}

func TestCLIDidYouMean(t *testing.T) {
	for _, args := range [][]string{{"run", "cach-aside"}, {"tui", "cach-aside"}, {"explore", "cach-aside"}} {
		code, _, errOut := cli(t, args...)
		require.Equal(t, exitUsage, code, args)
		require.Contains(t, errOut, `did you mean "cache-aside"?`, args)
	}
	code, _, errOut := cli(t, "run", "zzzzzzzz")
	require.Equal(t, exitUsage, code)
	require.NotContains(t, errOut, "did you mean", "nothing close")
	require.Equal(t, 1, editDistance("stale-sett", "stale-set"))
	require.Equal(t, 3, editDistance("kitten", "sitting"))
}

func TestCLICompletion(t *testing.T) {
	code, out, _ := cli(t, "__complete", "run", "st")
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "stale-set\t")
	require.NotContains(t, out, "cache-aside")
	require.Contains(t, out, ":0\n", "files are completed too (directive default)")
	_, out, _ = cli(t, "__complete", "tui", "")
	for _, n := range []string{"cache-aside", "seed-matrix", "lease"} {
		require.Contains(t, out, n+"\t")
	}
	_, out, _ = cli(t, "__complete", "tui", "--theme", "")
	require.Contains(t, out, "high-contrast")
}

func TestCLIThemeFlag(t *testing.T) {
	code, _, errOut := cli(t, "tui", "--theme", "neon")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, `unknown theme "neon"`)
}

func TestColorText(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, colorText(&b, []byte("lanes\n  ✗ STALE served CANCELLED\n  fine\nverdict: 1 stale read served\nverdict: no stale reads\n")))
	out := b.String()
	require.Contains(t, out, sgrBold+"lanes"+sgrReset+"\n")
	require.Contains(t, out, sgrRed+"  ✗ STALE served CANCELLED"+sgrReset)
	require.Contains(t, out, "\n  fine\n")
	require.Contains(t, out, sgrRed+"verdict: 1 stale read served"+sgrReset)
	require.Contains(t, out, sgrGreen+"verdict: no stale reads"+sgrReset)
	t.Setenv("NO_COLOR", "1")
	require.False(t, wantColor(&b))
}

// TestCLICompletionUnknownShell: a shell racetape has no script for is a
// usage error naming the shells it has, not help and exit 0.
func TestCLICompletionUnknownShell(t *testing.T) {
	code, out, errOut := cli(t, "completion", "tcsh")
	require.Equal(t, exitUsage, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `unknown shell "tcsh"`)
	require.Contains(t, errOut, "bash, fish, powershell, zsh")
	code, out, _ = cli(t, "completion", "bash")
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "racetape")
}

// TestCLIFlagNumberErrors: a number flag given something else says what
// it wants, not how strconv failed.
func TestCLIFlagNumberErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "cache-aside", "--random", "3", "--seed", "-1"}, `invalid argument "-1" for "--seed" flag: want a whole number, 0 or more`},
		{[]string{"explore", "cache-aside", "--workers", "two"}, `invalid argument "two" for "--workers" flag: want a whole number`},
		{[]string{"explore", "cache-aside", "--random", "3", "--seed", "99999999999999999999999"}, `for "--seed" flag: out of range`},
	} {
		code, _, errOut := cli(t, c.args...)
		require.Equal(t, exitUsage, code, c.args)
		require.Contains(t, errOut, c.want, c.args)
		require.NotContains(t, errOut, "strconv", c.args)
	}
}
