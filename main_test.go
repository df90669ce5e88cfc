package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// cli runs the command line in-process and returns its exit status and
// output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCLIRunExitCodes(t *testing.T) {
	code, out, _ := cli(t, "run", "cache-aside")
	require.Equal(t, exitStale, code)
	require.Contains(t, out, "✗ STALE served CANCELLED, current PAID (stale-hit)")
	require.Contains(t, out, "verdict: 1 stale read served")

	code, out, _ = cli(t, "run", "lease", "--json")
	require.Equal(t, exitClean, code)
	j, err := timeline.ParseJSON([]byte(out))
	require.NoError(t, err)
	require.Equal(t, "lease", j.Scenario)
	require.Empty(t, j.StaleReads)
	require.NotEmpty(t, j.Events)

	code, out, _ = cli(t, "run", "cache-aside", "--json")
	require.Equal(t, exitStale, code)
	j, err = timeline.ParseJSON([]byte(out))
	require.NoError(t, err)
	require.Len(t, j.StaleReads, 1)
	require.Equal(t, int64(4000), j.StaleReads[0].StartUS)
	require.Equal(t, "writer reader writer", j.Schedule)
}

func TestCLISchedule(t *testing.T) {
	code, out, _ := cli(t, "run", "cache-aside", "--schedule", "reader writer writer")
	require.Equal(t, exitClean, code, out)
	require.Contains(t, out, "mode schedule")

	code, _, errOut := cli(t, "run", "cache-aside", "--schedule", "writer nobody")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, `unknown actor "nobody"`)

	code, _, errOut = cli(t, "run", "cache-aside", "--schedule", "writer*0")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--schedule")
}

func TestCLIUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run"},
		{"run", "a", "b"},
		{"run", "no-such-preset"},
		{"run", "cache-aside", "--nope"},
		{"frobnicate"},
		{"run", "seed-matrix", "--set", "cell=2h"},
		{"run", "seed-matrix", "--set", "novalue"},
		{"run", "cache-aside", "--set", "ttl=1s"},
		{"validate"},
		{"run", "missing-file.yaml"},
	} {
		code, out, errOut := cli(t, args...)
		require.Equal(t, exitUsage, code, "%v: %s%s", args, out, errOut)
		require.NotEmpty(t, errOut, args)
		require.Empty(t, out, "%v: nothing half-done on stdout", args)
	}
}

func TestCLIRunBadFile(t *testing.T) {
	path := filepath.Join("presets", "testdata", "bad", "unknown-op.yaml")
	code, out, errOut := cli(t, "run", path)
	require.Equal(t, exitUsage, code)
	require.Empty(t, out)
	require.Contains(t, errOut, path+":9:9: ")
	require.Contains(t, errOut, "^")
}

func TestCLIValidate(t *testing.T) {
	bad, err := filepath.Glob(filepath.Join("presets", "testdata", "bad", "*.yaml"))
	require.NoError(t, err)
	good := filepath.Join("presets", "scenarios", "stale-set.yaml")
	code, _, errOut := cli(t, append([]string{"validate", good}, bad...)...)
	require.Equal(t, exitUsage, code)
	for _, f := range bad {
		require.Contains(t, errOut, f+":", "every file's errors are reported")
	}
	require.NotContains(t, errOut, good)

	code, out, _ := cli(t, "validate", good)
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "1 file(s) valid")
}

func TestCLIRunFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	src := strings.ReplaceAll(mustRead(t, filepath.Join("presets", "scenarios", "cache-aside.yaml")), "at: 4ms", "at: 6ms")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	code, out, _ := cli(t, "run", path)
	require.Equal(t, exitClean, code, "the reader arrives after the delete")
	require.Contains(t, out, "verdict: no stale reads")
}

func TestCLIList(t *testing.T) {
	code, out, _ := cli(t, "list")
	require.Equal(t, exitClean, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, len(presets.Names()))
	require.True(t, strings.HasPrefix(lines[0], "cache-aside "))
}

func TestCLIHelp(t *testing.T) {
	for _, cmd := range []string{"run", "list", "validate", "tui"} {
		code, out, _ := cli(t, cmd, "--help")
		require.Equal(t, exitClean, code, cmd)
		require.Contains(t, out, "Examples:", cmd)
		require.Contains(t, out, "racetape "+cmd, cmd)
	}
}

func TestCLISeedMatrixParams(t *testing.T) {
	code, out, _ := cli(t, "run", "seed-matrix", "--set", "cell=5s", "--set", "seed=7", "--json")
	require.Contains(t, []int{exitClean, exitStale}, code)
	j, err := timeline.ParseJSON([]byte(out))
	require.NoError(t, err)
	require.Len(t, j.Actors, 30, "20 readers + 10 writers")
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}
