package presets

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// TestOpBlocks: an op: block is flattened into its actor's program, each
// step marked with the block's number (the linearizable model's write
// operation); if blocks inside it are marked too.
func TestOpBlocks(t *testing.T) {
	sc, err := Parse("op.yaml", []byte(`name: op
db: {k: A}
actors:
  - name: w
    steps:
      - cache.get: {key: k}
      - op:
          - db.write: {key: k, value: B, took: 1ms}
          - if: ok
            then:
              - cache.del: {key: k, took: 1ms}
      - op:
          - db.write: {key: k, value: C}
  - name: r
    steps:
      - op:
          - db.write: {key: k, value: D}
`))
	require.NoError(t, err)
	steps := sc.Actors[0].Steps
	require.Len(t, steps, 4)
	require.Equal(t, []int{0, 1, 1, 2}, []int{steps[0].Group, steps[1].Group, steps[2].Group, steps[3].Group})
	require.Equal(t, engine.OpIf, steps[2].Op)
	require.Equal(t, 1, steps[2].Then[0].Group)
	require.Equal(t, 1, sc.Actors[1].Steps[0].Group, "numbered per actor")
}

func TestOpBlockErrors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		line, col  int
		msg        string
	}{
		{"nested", "name: x\nactors:\n  - name: w\n    steps:\n      - op:\n          - op:\n              - db.write: {key: k, value: B}\n", 6, 13, "op: blocks do not nest"},
		{"empty", "name: x\nactors:\n  - name: w\n    steps:\n      - op: []\n", 5, 13, "op: empty block"},
		{"stray field", "name: x\nactors:\n  - name: w\n    steps:\n      - op:\n          - db.write: {key: k, value: B}\n        took: 1ms\n", 7, 9, `unknown field "took" next to op:`},
		{"bad step inside", "name: x\nactors:\n  - name: w\n    steps:\n      - op:\n          - db.wrte: {key: k, value: B}\n", 6, 13, `op: step 1: unknown op "db.wrte"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("op.yaml", []byte(c.yaml))
			var list List
			require.ErrorAs(t, err, &list)
			require.Equal(t, c.line, list[0].Line, "%v", err)
			require.Equal(t, c.col, list[0].Col, "%v", err)
			require.Contains(t, list[0].Msg, c.msg)
		})
	}
}

// TestTapeIsNotAScenario: a tape given where a scenario is wanted is told
// so in one error, not as a list of unknown fields.
func TestTapeIsNotAScenario(t *testing.T) {
	_, err := Parse("run.json", []byte(`{"scenario": "x", "verdict": {"stale_reads": 0}, "events": []}`))
	var list List
	require.ErrorAs(t, err, &list)
	require.Len(t, list, 1)
	require.Contains(t, list[0].Msg, "this is a tape")
}
