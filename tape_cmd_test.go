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
