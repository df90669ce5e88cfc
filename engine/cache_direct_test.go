package engine_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
)

// randomSchedules draws n complete schedules of sc by random walks.
func randomSchedules(t require.TestingT, sc *engine.Scenario, n int, rng *rand.Rand) [][]string {
	r, err := engine.NewRunner(sc, engine.Options{Direct: true, NoStates: true})
	require.NoError(t, err)
	defer r.Close()
	var out [][]string
	for range n {
		require.NoError(t, r.Reset())
		var names []string
		for {
			en := r.Enabled()
			if len(en) == 0 {
				break
			}
			p := en[rng.IntN(len(en))]
			ev, err := r.Step(p)
			require.NoError(t, err)
			names = append(names, ev.Actor)
		}
		out = append(out, names)
	}
	return out
}

// requireSameOnBothBackends runs sc (timed, or along schedule) through
// go-redis, through miniredis's Go API and on the pure-Go model of the
// cache that exploration uses, and compares the JSON.
func requireSameOnBothBackends(t require.TestingT, sc *engine.Scenario, schedule []string) {
	viaRESP, err := engine.Run(sc, engine.Options{Schedule: schedule})
	require.NoError(t, err)
	direct, err := engine.Run(sc, engine.Options{Schedule: schedule, Direct: true})
	require.NoError(t, err)
	require.Equal(t, string(viaRESP.JSON()), string(direct.JSON()), "schedule %q", strings.Join(schedule, " "))
	model, err := engine.Run(sc, engine.ModelOptions(engine.Options{Schedule: schedule}))
	require.NoError(t, err)
	require.Equal(t, string(viaRESP.JSON()), string(model.JSON()), "model backend, schedule %q", strings.Join(schedule, " "))
}

// TestBackendsAgree: every preset gives a byte-identical timeline on the
// three cache paths, in timed mode and along random schedules.
func TestBackendsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			requireSameOnBothBackends(t, p.Scenario, nil)
			for _, s := range randomSchedules(t, p.Scenario, 5, rng) {
				requireSameOnBothBackends(t, p.Scenario, s)
			}
		})
	}
}

// TestBackendsAgreeOnGeneratedScenarios does the same on generated
// scenarios, which mix every kind of step on shared keys (wrong types
// inside scripts, sub-millisecond TTLs, expiry instants, leases that run
// out).
func TestBackendsAgreeOnGeneratedScenarios(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := genScenario(t)
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		requireSameOnBothBackends(t, sc, nil)
		for _, s := range randomSchedules(t, sc, 3, rng) {
			requireSameOnBothBackends(t, sc, s)
		}
	})
}
