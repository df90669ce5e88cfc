package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

// TestCompareTable: the cells racetape compare prints and the TUI shows,
// from results made by hand: anomalies in the taxonomy's order, a search
// cut short, an open divergence, costs with what they add.
func TestCompareTable(t *testing.T) {
	res := []ProtocolResult{
		{Protocol: "update-then-delete", StaleReads: 1, SchedulesRun: 88, StaleSchedules: 6, Complete: true,
			Anomalies:         map[timeline.Anomaly]int64{timeline.StaleSet: 4, timeline.StaleHit: 2},
			LongestDivergence: 3500 * time.Microsecond, OpenAtEnd: true,
			Verdicts: map[string]string{"strict": "fail", "linearizable": "fail", "bounded:5ms": "pass"},
			ReadHit:  Cost{1, 1}, ReadMiss: Cost{2, 2}, Write: Cost{1, 1}},
		{Protocol: "lease", SchedulesRun: 62, Anomalies: map[timeline.Anomaly]int64{},
			Verdicts: map[string]string{"strict": "unknown", "linearizable": "pass", "bounded:5ms": "pass"},
			ReadHit:  Cost{1, 1}, ReadMiss: Cost{2, 5}, Write: Cost{1, 1}, ExtraRead: Cost{0, 3}},
	}
	got := CompareTable(res, CompareOptions{Bound: 5 * time.Millisecond})
	require.Equal(t, [][]string{
		{"protocol", "stale", "explored", "anomalies", "longest ≠", "strict", "linearizable", "bounded:5ms", "read hit", "read miss", "write"},
		{"update-then-delete", "1", "6/88", "stale-hit 2, stale-set 4", "3.5ms (open)", "✗ fail", "✗ fail", "✓ pass", "1 RT (1)", "2 RT (2)", "1 RT (1)"},
		{"lease", "0", "0/62+", "-", "-", "? partial", "✓ pass", "✓ pass", "1 RT (1)", "2 RT (5) [+0 RT, +3]", "1 RT (1)"},
	}, got)
}
