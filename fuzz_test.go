package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// FuzzSetParams feeds --set values to seed-matrix through the command
// line: it never panics, bad values are usage errors that say which
// --set, and what it builds is within the default limits.
func FuzzSetParams(f *testing.F) {
	for _, s := range []string{
		"cell=5s", "cell=30s\nseed=7", "ttl=1000000h", "ttl=2562047h", "ttl=1500us", "ttl=2h",
		"readers=3\nwriters=2", "readers=0", "readers=99999999999999999999", "seed=-1", "novalue", "=x", "ttl=", "cell=2h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sets string) {
		args := []string{"explore", "seed-matrix", "--random", "2", "--workers", "1", "--json"}
		for _, s := range strings.Split(sets, "\n") {
			args = append(args, "--set", s)
		}
		var out, errOut bytes.Buffer
		code := runIO(context.Background(), args, strings.NewReader(""), &out, &errOut)
		require.NotContains(t, errOut.String(), "panic")
		switch code {
		case exitClean, exitStale:
			sf := scenarioFlags{sets: strings.Split(sets, "\n")}
			params, err := sf.params()
			require.NoError(t, err)
			require.NotNil(t, params)
		case exitUsage:
			require.Empty(t, out.String(), "nothing half-printed")
			require.True(t, strings.Contains(errOut.String(), "seed-matrix") || strings.Contains(errOut.String(), "--set"), errOut.String())
		default:
			t.Fatalf("exit status %d: %s", code, errOut.String())
		}
	})
}

func TestSetParamsWithinLimits(t *testing.T) {
	// What seed-matrix builds from any accepted parameters passes the
	// engine's own check of the limits.
	for _, sets := range [][]string{{"ttl=87600h"}, {"readers=500", "writers=500"}, {"cell=30s", "seed=18446744073709551615"}} {
		sf := scenarioFlags{sets: sets, cmd: newRunCmd()}
		sc, err := sf.load("seed-matrix")
		if err != nil {
			require.ErrorIs(t, err, engine.ErrLimit, sets)
			continue
		}
		require.NoError(t, engine.Limits{}.Check(sc), sets)
	}
}
