package timeline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// TestTapeRoundTrip: a tape gives back the timeline it was written from,
// for every preset: the same text, the same JSON, the same states. It
// keeps what each step changed, not the state after each step.
func TestTapeRoundTrip(t *testing.T) {
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			tl := presetRun(t, name)
			tape := tl.TapeJSON()
			require.Contains(t, string(tape), `"state_changes": [`)
			require.NotContains(t, string(tape), `"states":`)
			run, err := timeline.ParseJSON(tape)
			require.NoError(t, err)
			back, err := timeline.FromJSON(run)
			require.NoError(t, err)
			requireSameRun(t, tl, back)
			require.Equal(t, string(tape), string(back.TapeJSON()))
		})
	}
}

// TestTapeWithWholeStatesStillReads: a tape written with the whole state
// after every step (the form before state changes) opens as it did: for
// every preset, a tape rewritten in that form, and tapes written by that
// version (testdata/full-states-tapes).
func TestTapeWithWholeStatesStillReads(t *testing.T) {
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			tl := presetRun(t, name)
			run, err := timeline.ParseJSON(tl.TapeJSON())
			require.NoError(t, err)
			run.StateChanges = nil
			for i := range tl.Events {
				run.States = append(run.States, jsonState(tl.StateAt(i)))
			}
			back, err := timeline.FromJSON(run)
			require.NoError(t, err)
			requireSameRun(t, tl, back)
			require.Equal(t, string(tl.TapeJSON()), string(back.TapeJSON()), "it is written back with state changes")
		})
	}
	files, err := filepath.Glob("testdata/full-states-tapes/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			require.Contains(t, string(data), `"states": [`)
			run, err := timeline.ParseJSON(data)
			require.NoError(t, err)
			back, err := timeline.FromJSON(run)
			require.NoError(t, err)
			for i, want := range run.States {
				require.Equal(t, want, jsonState(back.StateAt(i)), "state after step %d", i)
			}
			requireSameRun(t, presetRun(t, strings.TrimSuffix(filepath.Base(file), ".json")), back)
		})
	}
}

// presetRun runs preset name.
func presetRun(t *testing.T, name string) *timeline.Timeline {
	t.Helper()
	sc, err := presets.Get(name)
	require.NoError(t, err)
	tl, err := engine.Run(sc, engine.Options{})
	require.NoError(t, err)
	return tl
}

// requireSameRun fails unless back shows what tl shows: its text, its
// JSON, its marks and the state before and after every step.
func requireSameRun(t *testing.T, tl, back *timeline.Timeline) {
	t.Helper()
	require.Equal(t, tl.Text(), back.Text())
	require.Equal(t, string(tl.JSON()), string(back.JSON()))
	require.Equal(t, tl.Marks(), back.Marks())
	require.Equal(t, tl.Initial, back.Initial)
	require.Equal(t, tl.States.Len(), back.States.Len())
	for i := -1; i < len(tl.Events); i++ {
		require.Equal(t, tl.StateAt(i), back.StateAt(i), "state after step %d", i)
	}
}

// jsonState is a state as tapes with whole states wrote it.
func jsonState(s timeline.State) timeline.JSONState {
	out := timeline.JSONState{AtUS: s.At.Microseconds(), Cache: []timeline.JSONCacheEntry{}}
	for _, e := range s.Cache {
		ttl := int64(-1)
		if e.TTL >= 0 {
			ttl = e.TTL.Microseconds()
		}
		out.Cache = append(out.Cache, timeline.JSONCacheEntry{Key: e.Key, Value: e.Value, Version: e.Version, TTLUS: ttl})
	}
	rows := func(rs []timeline.Row) []timeline.JSONRow {
		out := []timeline.JSONRow{}
		for _, r := range rs {
			out = append(out, timeline.JSONRow{Key: r.Key, Value: r.Value, Version: r.Version, CommittedAtUS: r.CommittedAt.Microseconds(), Actor: r.Actor})
		}
		return out
	}
	out.DB = rows(s.DB)
	if s.Replica != nil {
		out.Replica = rows(s.Replica)
	}
	return out
}

// TestFromJSONRejectsBrokenTapes: a tape whose events, reads or states do
// not fit together is an error, not a timeline that crashes a viewer.
func TestFromJSONRejectsBrokenTapes(t *testing.T) {
	sc, err := presets.Get("cache-aside")
	require.NoError(t, err)
	tl, err := engine.Run(sc, engine.Options{})
	require.NoError(t, err)
	for name, breakIt := range map[string]func(*timeline.JSONRun){
		"unknown actor": func(r *timeline.JSONRun) { r.Events[0].Actor = "nobody" },
		"bad seq":       func(r *timeline.JSONRun) { r.Events[1].Seq = 7 },
		"read event":    func(r *timeline.JSONRun) { r.Reads[0].Events = []int{99} },
		"state changes": func(r *timeline.JSONRun) { r.StateChanges = r.StateChanges[:1] },
		"both forms":    func(r *timeline.JSONRun) { r.States = make([]timeline.JSONState, len(r.Events)) },
		"no initial":    func(r *timeline.JSONRun) { r.InitialState = nil },
		"epoch":         func(r *timeline.JSONRun) { r.Epoch = "yesterday" },
	} {
		t.Run(name, func(t *testing.T) {
			run, err := timeline.ParseJSON(tl.TapeJSON())
			require.NoError(t, err)
			breakIt(run)
			_, err = timeline.FromJSON(run)
			require.Error(t, err)
		})
	}
}
