package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
)

// TestCLIRunTape: run opens a tape as it runs the scenario it recorded:
// the same text, the same exit status; a broken tape is bad input.
func TestCLIRunTape(t *testing.T) {
	sc, err := presets.Get("cache-aside")
	require.NoError(t, err)
	tl, err := engine.Run(sc, engine.Options{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cache-aside.json")
	require.NoError(t, os.WriteFile(path, tl.TapeJSON(), 0o644))

	code, out, _ := cli(t, "run", path)
	require.Equal(t, exitStale, code)
	_, want, _ := cli(t, "run", "cache-aside")
	require.Equal(t, want, out)

	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"events": [`), 0o644))
	code, _, errOut := cli(t, "run", bad)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "bad.json")
}

// TestTUISourcesTape: the TUI opens a tape first, without a scenario.
func TestTUISourcesTape(t *testing.T) {
	sc, err := presets.Get("stale-set")
	require.NoError(t, err)
	tl, err := engine.Run(sc, engine.Options{})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "tape.json")
	require.NoError(t, os.WriteFile(path, tl.TapeJSON(), 0o644))
	sources, initial, err := tuiSources(path, tuiFlags{})
	require.NoError(t, err)
	require.Equal(t, 0, initial)
	require.Nil(t, sources[0].Scenario)
	got, err := sources[0].Load()
	require.NoError(t, err)
	require.Equal(t, tl.Text(), got.Text())
}

// TestTapeOrScenarioJSON: a scenario written in JSON (YAML reads it) runs
// as a scenario even in a .json file; a tape is told by its content.
func TestTapeOrScenarioJSON(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "scenario.json")
	require.NoError(t, os.WriteFile(sc, []byte(`{"name": "j", "db": {"k": "A"}, "actors": [{"name": "w", "steps": [{"db.write": {"key": "k", "value": "B"}}]}]}`), 0o644))
	code, out, errOut := cli(t, "run", sc)
	require.Equal(t, exitClean, code, errOut)
	require.Contains(t, out, "WRITE")
	tape := filepath.Join(dir, "tape.json")
	code, _, errOut = cli(t, "export", "cache-aside", "--format", "json", "-o", tape)
	require.Equal(t, exitClean, code, errOut)
	code, _, _ = cli(t, "run", tape)
	require.Equal(t, exitStale, code)
}

// TestTapeFlags: --consistency judges a tape again; the flags that make a
// new run of a scenario are refused on a tape.
func TestTapeFlags(t *testing.T) {
	tape := filepath.Join(t.TempDir(), "tape.json")
	code, _, errOut := cli(t, "export", "cache-aside", "--format", "json", "-o", tape)
	require.Equal(t, exitClean, code, errOut)
	code, out, _ := cli(t, "run", tape, "--consistency", "linearizable")
	require.Equal(t, exitClean, code, out)
	require.Contains(t, out, "consistency: linearizable")
	code, out, _ = cli(t, "run", tape, "--consistency", "strict", "--json")
	require.Equal(t, exitStale, code)
	require.Contains(t, out, `"anomaly": "stale-hit"`)
	for _, flag := range [][]string{{"--schedule", "reader writer writer"}, {"--redis", "127.0.0.1:1"}, {"--set", "ttl=1s"}} {
		code, _, errOut := cli(t, append([]string{"run", tape}, flag...)...)
		require.Equal(t, exitUsage, code, flag)
		require.Contains(t, errOut, "is a tape", flag)
	}
}
