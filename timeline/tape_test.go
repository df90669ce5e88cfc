package timeline_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// TestTapeRoundTrip: a tape gives back the timeline it was written from,
// for every preset: the same text, the same JSON, the same states.
func TestTapeRoundTrip(t *testing.T) {
	for _, name := range presets.Names() {
		t.Run(name, func(t *testing.T) {
			sc, err := presets.Get(name)
			require.NoError(t, err)
			tl, err := engine.Run(sc, engine.Options{})
			require.NoError(t, err)
			run, err := timeline.ParseJSON(tl.TapeJSON())
			require.NoError(t, err)
			back, err := timeline.FromJSON(run)
			require.NoError(t, err)
			require.Equal(t, tl.Text(), back.Text())
			require.Equal(t, string(tl.TapeJSON()), string(back.TapeJSON()))
			require.Equal(t, tl.States, back.States)
			require.Equal(t, tl.Initial, back.Initial)
			require.Equal(t, tl.Marks(), back.Marks())
		})
	}
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
		"states":        func(r *timeline.JSONRun) { r.States = r.States[:1] },
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
