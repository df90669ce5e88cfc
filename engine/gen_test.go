package engine_test

import (
	"fmt"
	"time"

	"pgregory.net/rapid"

	"github.com/racetape/racetape/engine"
)

const ms = time.Millisecond

// cacheAsideN is cache-aside with one writer (commit NEW, then DEL) and n
// readers (GET; on a miss read the row and SET it with a 300 s TTL). With
// seeded the cache starts holding OLD.
func cacheAsideN(n int, seeded bool) *engine.Scenario {
	sc := &engine.Scenario{Name: fmt.Sprintf("cache-aside-1w%dr", n), DB: []engine.Seed{{Key: "k", Value: "OLD"}}}
	if seeded {
		sc.Cache = []engine.Seed{{Key: "k", Value: "OLD", TTL: 300 * time.Second}}
	}
	sc.Actors = append(sc.Actors, engine.Actor{Name: "writer", Steps: []engine.Step{
		{Op: engine.OpDBWrite, Key: "k", Value: "NEW", HasValue: true, Took: 3 * ms},
		{Op: engine.OpCacheDel, Key: "k", Took: 2 * ms},
	}})
	for i := range n {
		sc.Actors = append(sc.Actors, engine.Actor{Name: fmt.Sprintf("reader-%d", i+1), Steps: []engine.Step{
			{Op: engine.OpCacheGet, Key: "k", Took: ms / 2},
			{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{
				{Op: engine.OpDBRead, Key: "k", Took: 2 * ms},
				{Op: engine.OpCacheSet, Key: "k", TTL: 300 * time.Second, Took: ms},
			}},
		}})
	}
	return sc
}

// writersReaders is the protocol: w writers (commit NEW-i, then
// DEL) and r readers (GET; on a miss read the row and SET it with a 300 s
// TTL), all starting at 0ms, the cache cold. With zero, every step takes
// no time; else the durations of cacheAsideN.
func writersReaders(w, r int, zero bool) *engine.Scenario {
	d := func(x time.Duration) time.Duration {
		if zero {
			return 0
		}
		return x
	}
	sc := &engine.Scenario{Name: fmt.Sprintf("%dw%dr", w, r), DB: []engine.Seed{{Key: "k", Value: "OLD"}}}
	for i := range w {
		sc.Actors = append(sc.Actors, engine.Actor{Name: fmt.Sprintf("writer-%d", i+1), Steps: []engine.Step{
			{Op: engine.OpDBWrite, Key: "k", Value: fmt.Sprintf("NEW-%d", i+1), HasValue: true, Took: d(3 * ms)},
			{Op: engine.OpCacheDel, Key: "k", Took: d(2 * ms)},
		}})
	}
	for i := range r {
		sc.Actors = append(sc.Actors, engine.Actor{Name: fmt.Sprintf("reader-%d", i+1), Steps: []engine.Step{
			{Op: engine.OpCacheGet, Key: "k", Took: d(ms / 2)},
			{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{
				{Op: engine.OpDBRead, Key: "k", Took: d(2 * ms)},
				{Op: engine.OpCacheSet, Key: "k", TTL: 300 * time.Second, Took: d(ms)},
			}},
		}})
	}
	return sc
}

// genScenario draws a small scenario: two or three actors with up to three
// steps or read-through blocks each, over one or two keys, with every kind
// of step, conditional steps, TTLs that can run out during a run, steps
// that take no time, and sometimes a lagging replica.
func genScenario(t *rapid.T) *engine.Scenario {
	keys := []string{"a", "b"}[:rapid.IntRange(1, 2).Draw(t, "keys")]
	key := func(label string) string { return rapid.SampledFrom(keys).Draw(t, label) }
	took := func(label string) time.Duration {
		return rapid.SampledFrom([]time.Duration{0, ms / 2, ms, ms, 2 * ms, 2 * ms, 3 * ms, 3 * ms}).Draw(t, label)
	}
	ttl := func(label string) time.Duration {
		return rapid.SampledFrom([]time.Duration{0, 0, ms, 3 * ms, 300 * time.Second, 300 * time.Second}).Draw(t, label)
	}
	sc := &engine.Scenario{Name: "generated"}
	for _, k := range keys {
		if rapid.Bool().Draw(t, "db-"+k) {
			sc.DB = append(sc.DB, engine.Seed{Key: k, Value: "v0"})
		}
		if rapid.Bool().Draw(t, "cache-"+k) {
			sc.Cache = append(sc.Cache, engine.Seed{Key: k, Value: rapid.SampledFrom([]string{"v0", "x"}).Draw(t, "cached"), TTL: ttl("seed-ttl")})
		}
	}
	if rapid.IntRange(0, 4).Draw(t, "replica") == 0 {
		sc.Replica = &engine.Replica{Lag: rapid.SampledFrom([]time.Duration{ms, 5 * ms}).Draw(t, "lag")}
	}
	var step func(actor, i int) engine.Step
	step = func(actor, i int) engine.Step {
		l := fmt.Sprintf("a%d-s%d-", actor, i)
		k := key(l + "key")
		switch op := rapid.IntRange(0, 13).Draw(t, l+"op"); op {
		case 0, 1:
			return engine.Step{Op: engine.OpCacheGet, Key: k, Took: took(l + "took")}
		case 2:
			st := engine.Step{Op: engine.OpCacheSet, Key: k, TTL: ttl(l + "ttl"), NX: rapid.IntRange(0, 3).Draw(t, l+"nx") == 0, Took: took(l + "took")}
			if rapid.Bool().Draw(t, l+"explicit") {
				st.Value, st.HasValue = rapid.SampledFrom([]string{"v0", "x", "y"}).Draw(t, l+"value"), true
			}
			return st
		case 3:
			return engine.Step{Op: engine.OpCacheDel, Key: k, Took: took(l + "took")}
		case 4:
			st := engine.Step{Op: engine.OpCacheExpire, Key: k, TTL: ttl(l + "ttl"), Took: took(l + "took")}
			if rapid.Bool().Draw(t, l+"at") {
				st.ExpireAt, st.HasExpireAt, st.TTL = rapid.SampledFrom([]time.Duration{2 * ms, 5 * ms}).Draw(t, l+"expire-at"), true, 0
			}
			return st
		case 5, 6:
			return engine.Step{Op: engine.OpDBRead, Key: k, Replica: sc.Replica != nil && rapid.Bool().Draw(t, l+"replica"), Took: took(l + "took")}
		case 7, 8:
			return engine.Step{Op: engine.OpDBWrite, Key: k, Value: fmt.Sprintf("w%d.%d", actor, i), HasValue: true, Took: took(l + "took")}
		case 9:
			return engine.Step{Op: engine.OpSleep, Took: took(l + "took")}
		case 10:
			return engine.Step{Op: rapid.SampledFrom([]engine.Op{engine.OpLeaseGet, engine.OpLeaseSet, engine.OpLeaseDel}).Draw(t, l+"lease-op"), Key: k, TTL: ttl(l + "ttl"),
				Lease: rapid.SampledFrom([]time.Duration{0, 2 * ms}).Draw(t, l+"lease"), Took: took(l + "took")}
		case 11:
			return engine.Step{Op: rapid.SampledFrom([]engine.Op{engine.OpCASGet, engine.OpCASSet}).Draw(t, l+"cas-op"), Key: k, TTL: ttl(l + "ttl"), Took: took(l + "took")}
		default: // a read-through block, or a branch on the previous result
			if op == 12 {
				return engine.Step{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{
					{Op: engine.OpDBRead, Key: k, Took: took(l + "read-took")},
					{Op: engine.OpCacheSet, Key: k, TTL: ttl(l + "ttl"), Took: took(l + "set-took")},
				}}
			}
			st := engine.Step{Op: engine.OpIf, Cond: rapid.SampledFrom(engine.Conds).Draw(t, l+"cond"), Then: []engine.Step{step(actor, i*10+1)}}
			if rapid.Bool().Draw(t, l+"else") {
				st.Else = []engine.Step{step(actor, i*10+2)}
			}
			return st
		}
	}
	for a := range rapid.IntRange(2, 3).Draw(t, "actors") {
		act := engine.Actor{Name: fmt.Sprintf("p%d", a+1)}
		for i := range rapid.IntRange(1, 3).Draw(t, fmt.Sprintf("a%d-steps", a)) {
			act.Steps = append(act.Steps, step(a, i))
		}
		sc.Actors = append(sc.Actors, act)
	}
	return sc
}
