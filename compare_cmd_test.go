package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// compareVerdicts runs compare --json on name and returns, per protocol,
// the verdict under each model.
func compareVerdicts(t *testing.T, name string) map[string]map[string]string {
	t.Helper()
	code, out, errOut := cli(t, "compare", name, "--json")
	require.Equal(t, exitClean, code, errOut)
	var rows []engine.ProtocolResult
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Len(t, rows, len(engine.Protocols))
	got := map[string]map[string]string{}
	for i, r := range rows {
		require.Equal(t, engine.Protocols[i].Name, r.Protocol)
		got[r.Protocol] = r.Verdicts
	}
	return got
}

// TestCompareWhichFixesPass: which protocol closes which race under which
// model, on the three races a class sees first.
func TestCompareWhichFixesPass(t *testing.T) {
	// cache-aside: the window between commit and DEL is open under strict
	// in every protocol that has one; under linearizable every protocol
	// passes (the read overlaps the write); deleting first closes it here
	// (one reader, nobody reads the stale set afterwards).
	ca := compareVerdicts(t, "cache-aside")
	require.Equal(t, "fail", ca["update-then-delete"]["strict"])
	require.Equal(t, "pass", ca["update-then-delete"]["linearizable"])
	require.Equal(t, "pass", ca["delete-then-update"]["strict"])
	require.Equal(t, "fail", ca["lease"]["strict"], "no invalidation scheme closes the window")
	for p, v := range ca {
		require.Equal(t, "pass", v["bounded:1s"], p)
	}

	// stale-set: only leases and versioned CAS close the stale set, and so
	// pass linearizable; nothing passes strict.
	ss := compareVerdicts(t, "stale-set")
	for p, v := range ss {
		require.Equal(t, "fail", v["strict"], p)
		want := "fail"
		if p == "lease" || p == "versioned-cas" {
			want = "pass"
		}
		require.Equal(t, want, v["linearizable"], p)
	}

	// double-delete: its own delays (1ms and 10ms) do not close the race
	// for every schedule.
	dd := compareVerdicts(t, "double-delete")
	require.Equal(t, "fail", dd["double-delete"]["strict"])
	require.Equal(t, "fail", dd["update-then-delete"]["linearizable"])
}

// TestCompareCostsAndTable: the text table names every protocol and model,
// says how the actors were mapped, and counts what each protocol sends.
func TestCompareCostsAndTable(t *testing.T) {
	code, out, errOut := cli(t, "compare", "stale-set")
	require.Equal(t, exitClean, code, errOut)
	for _, p := range engine.Protocols {
		require.Contains(t, out, p.Name)
	}
	for _, want := range []string{"strict", "linearizable", "bounded:1s", "readers (get, on a miss read + set): slow-reader", "writers (write + invalidate): writer", "2 RT (5) [+0 RT, +3]"} {
		require.Contains(t, out, want)
	}
	code, out, _ = cli(t, "compare", "stale-set", "--bound", "5ms")
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "bounded:5ms")

	for _, bad := range [][]string{{"--bound", "0s"}, {"--bound", "-1s"}, {"--delay", "-5ms"}} {
		code, _, errOut := cli(t, append([]string{"compare", "stale-set"}, bad...)...)
		require.Equal(t, exitUsage, code, bad)
		require.Contains(t, errOut, bad[0], bad)
	}

	code, _, errOut = cli(t, "compare", "replica-lag")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "cannot compare protocols")
	require.Contains(t, errOut, "replica-lag.yaml:")
}
