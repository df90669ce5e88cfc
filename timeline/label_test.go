package timeline

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLabel(t *testing.T) {
	const key = "order:42"
	atMS := func(d int64) string { return strconv.FormatInt(epoch.UnixMilli()+d, 10) }
	tests := []struct {
		name string
		e    Event
		form labelForm
		want string
	}{
		{"get hit", Event{Op: "cache.get", Key: key, Result: "hit", Value: "CANCELLED"}, labelForm{}, "GET order:42 → CANCELLED"},
		{"get hit, no key", Event{Op: "cache.get", Key: key, Result: "hit", Value: "CANCELLED"}, labelForm{noKey: true}, "GET → CANCELLED"},
		{"get at its start", Event{Op: "cache.get", Key: key, Result: "hit", Value: "CANCELLED"}, labelForm{start: true}, "GET order:42"},
		{"get miss", Event{Op: "cache.get", Key: key, Result: "miss"}, labelForm{}, "GET order:42 → miss"},
		{"set with ttl", Event{Op: "cache.set", Key: key, Value: "CANCELLED", Result: "ok", Command: "SET order:42 CANCELLED PX 300000"}, labelForm{}, "SET order:42=CANCELLED PX 300s"},
		{"set nx refused", Event{Op: "cache.set", Key: key, Value: "CANCELLED", Result: "fail", Command: "SET order:42 CANCELLED PX 300000 NX"}, labelForm{}, "SET order:42=CANCELLED PX 300s NX → not set"},
		{"set nx at its start", Event{Op: "cache.set", Key: key, Value: "CANCELLED", Result: "fail", Command: "SET order:42 CANCELLED PX 300000 NX"}, labelForm{start: true}, "SET order:42=CANCELLED PX 300s NX"},
		{"set brief", Event{Op: "cache.set", Key: key, Value: "CANCELLED", Result: "ok", Command: "SET order:42 CANCELLED PX 300000"}, labelForm{noKey: true, brief: true}, "SET CANCELLED"},
		{"set quoted value", Event{Op: "cache.set", Key: key, Value: "a b", Result: "ok", Command: `SET order:42 "a b" PX 1500`}, labelForm{}, "SET order:42=a b PX 1.5s"},
		{"set EX", Event{Op: "cache.set", Key: key, Value: "X", Result: "ok", Command: "SET order:42 X EX 10"}, labelForm{}, "SET order:42=X EX 10s"},
		{"set PXAT", Event{Op: "cache.set", Key: key, Value: "X", Result: "ok", Command: "SET order:42 X PXAT " + atMS(301000)}, labelForm{}, "SET order:42=X PXAT +301.000s"},
		{"set value that looks like an option", Event{Op: "cache.set", Key: key, Value: "NX", Result: "ok", Command: "SET order:42 NX"}, labelForm{}, "SET order:42=NX"},
		{"set without ttl", Event{Op: "cache.set", Key: key, Value: "PAID", Result: "ok", Command: "SET order:42 PAID"}, labelForm{}, "SET order:42=PAID"},
		{"del", Event{Op: "cache.del", Key: key, Result: "ok", Command: "DEL order:42"}, labelForm{}, "DEL order:42"},
		{"del, no key", Event{Op: "cache.del", Key: key, Result: "ok"}, labelForm{noKey: true}, "DEL"},
		{"pexpire", Event{Op: "cache.expire", Key: key, Result: "ok", Command: "PEXPIRE order:42 300000"}, labelForm{}, "EXPIRE order:42 300s"},
		{"pexpireat", Event{Op: "cache.expire", Key: key, Result: "ok", Command: "PEXPIREAT order:42 " + atMS(301000)}, labelForm{}, "EXPIREAT order:42 +301.000s"},
		{"expire on no key", Event{Op: "cache.expire", Key: key, Result: "fail", Command: "PEXPIRE order:42 5000"}, labelForm{}, "EXPIRE order:42 5s → no key"},
		{"db read", Event{Op: "db.read", Key: key, Result: "hit", Value: "CANCELLED", Version: 1, Command: "SELECT order:42"}, labelForm{}, "READ order:42 → CANCELLED (v1)"},
		{"db read brief", Event{Op: "db.read", Key: key, Result: "hit", Value: "CANCELLED", Version: 1, Command: "SELECT order:42"}, labelForm{brief: true}, "READ order:42 → CANCELLED"},
		{"db read replica", Event{Op: "db.read", Key: key, Result: "hit", Value: "CANCELLED", Version: 1, Command: "SELECT order:42 FROM replica"}, labelForm{}, "READ order:42 (replica) → CANCELLED (v1)"},
		{"db read no row", Event{Op: "db.read", Key: key, Result: "miss", Command: "SELECT order:42"}, labelForm{}, "READ order:42 → no row"},
		{"db write", Event{Op: "db.write", Key: key, Result: "ok", Value: "PAID", Version: 2}, labelForm{}, "WRITE order:42=PAID (v2)"},
		{"db write at its start", Event{Op: "db.write", Key: key, Result: "ok", Value: "PAID", Version: 2}, labelForm{start: true}, "WRITE order:42=PAID"},
		{"sleep", Event{Op: "sleep", Result: "ok", Start: 3 * ms, End: 13 * ms}, labelForm{}, "sleep 10ms"},
		{"lease get hit", Event{Op: "lease.get", Key: key, Result: "hit", Value: "PAID"}, labelForm{}, "LEASE GET order:42 → PAID"},
		{"lease get miss", Event{Op: "lease.get", Key: key, Result: "miss", Note: "lease granted"}, labelForm{}, "LEASE GET order:42 → miss"},
		{"lease get held", Event{Op: "lease.get", Key: key, Result: "fail"}, labelForm{}, "LEASE GET order:42 → lease held"},
		{"lease set refused", Event{Op: "lease.set", Key: key, Value: "CANCELLED", Result: "fail", Command: "EVAL lease-set 2 order:42 lease:order:42 reader#1 CANCELLED 300000"}, labelForm{}, "LEASE SET order:42=CANCELLED PX 300s → refused"},
		{"lease set without ttl", Event{Op: "lease.set", Key: key, Value: "PAID", Result: "ok", Command: "EVAL lease-set 2 order:42 lease:order:42 reader#1 PAID 0"}, labelForm{}, "LEASE SET order:42=PAID"},
		{"lease del", Event{Op: "lease.del", Key: key, Result: "ok"}, labelForm{}, "LEASE DEL order:42"},
		{"cas get", Event{Op: "cas.get", Key: key, Result: "hit", Value: "PAID", Version: 2}, labelForm{}, "CAS GET order:42 → PAID (v2)"},
		{"cas set refused", Event{Op: "cas.set", Key: key, Value: "CANCELLED", Version: 1, Result: "fail", Command: "EVAL cas-set 1 order:42 1 CANCELLED 300000"}, labelForm{}, "CAS SET order:42=CANCELLED (v1) PX 300s → refused"},
		{"clock tick", Event{Op: "clock.tick", Actor: ClockActor, Key: key, Result: "ok", Start: 5 * ms, End: 300 * s}, labelForm{}, "advance to +300.000s"},
		{"unknown op", Event{Op: "queue.push", Key: key, Result: "ok"}, labelForm{}, "queue.push order:42 → ok"},
		{"unknown op at its start", Event{Op: "queue.push", Key: key, Result: "ok"}, labelForm{start: true}, "queue.push order:42"},
	}
	tl := &Timeline{Epoch: epoch}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tl.label(tc.e, tc.form))
		})
	}
}

func TestStepLabel(t *testing.T) {
	tl := cacheAside()
	require.Equal(t, "WRITE order:42=PAID (v2)", tl.StepLabel(0))
	require.Equal(t, "GET order:42 → CANCELLED", tl.StepLabel(1))
	require.Equal(t, "DEL order:42", tl.StepLabel(2))
	require.Equal(t, "", tl.StepLabel(3))
	require.Equal(t, "", tl.StepLabel(-1))

	// Seq numbers, not positions: a timeline holding a slice of a run.
	tl.Events = tl.Events[1:]
	require.Equal(t, "DEL order:42", tl.StepLabel(2))
	require.Equal(t, "", tl.StepLabel(0))
}
