package racetest_test

import (
	"testing"
	"time"

	"github.com/racetape/racetape/engine/racetest"
	"github.com/racetape/racetape/engine/racetest/examples/orders"
)

// The test of the package documentation, on the example service: it
// fails with a stale hit and a stale set, each drawn as lanes.
func Example() {
	var t *testing.T // your test's
	h := racetest.New(t, racetest.Setup{
		DB:    map[string]string{"order:42": "CANCELLED"},
		Cache: map[string]racetest.Entry{"order:42": {Value: "CANCELLED", TTL: 300 * time.Second}},
	})
	h.Actor("writer", func(env *racetest.Env) {
		orders.New(env.Redis(), env.DB()).MarkPaid(env.Ctx(), 42)
	})
	h.Actor("reader", func(env *racetest.Env) {
		env.Served("order:42", orders.New(env.Redis(), env.DB()).Status(env.Ctx(), 42))
	})
	h.Explore()
}

// TestExample runs the package documentation's example, which must find
// the stale hit.
func TestExample(t *testing.T) {
	h := racetest.New(t, racetest.Setup{
		DB:    map[string]string{"order:42": "CANCELLED"},
		Cache: map[string]racetest.Entry{"order:42": {Value: "CANCELLED", TTL: 300 * time.Second}},
	})
	h.Actor("writer", func(env *racetest.Env) {
		orders.New(env.Redis(), env.DB()).MarkPaid(env.Ctx(), 42)
	})
	h.Actor("reader", func(env *racetest.Env) {
		env.Served("order:42", orders.New(env.Redis(), env.DB()).Status(env.Ctx(), 42))
	})
	rep, err := h.Check()
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Anomalies(); len(got) != 1 || got[0] != "stale-hit" {
		t.Fatalf("anomalies %v, want [stale-hit]", got)
	}
}

// The fixed service passes every schedule under every model.
func ExampleHarness_Explore_fixed() {
	var t *testing.T // your test's
	h := racetest.New(t, racetest.Setup{DB: map[string]string{"order:42": "CANCELLED"}})
	h.Actor("writer", func(env *racetest.Env) {
		orders.Fenced(env.Redis(), env.DB(), env.Name()).MarkPaid(env.Ctx(), 42)
	})
	for _, name := range []string{"reader-1", "reader-2"} {
		h.Actor(name, func(env *racetest.Env) {
			env.Served("order:42", orders.Fenced(env.Redis(), env.DB(), env.Name()).Status(env.Ctx(), 42))
		})
	}
	h.Explore()
}
