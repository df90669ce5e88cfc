package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/timeline"
)

const ms = time.Millisecond

// cacheAside is the seed story built in Go: the writer commits PAID and
// deletes the key; the reader arrives in between.
func cacheAside() *Scenario {
	return &Scenario{
		Name:  "cache-aside",
		DB:    []Seed{{Key: "order:42", Value: "CANCELLED"}},
		Cache: []Seed{{Key: "order:42", Value: "CANCELLED", TTL: 300 * time.Second}},
		Actors: []Actor{
			{Name: "writer", Steps: []Step{
				{Op: OpDBWrite, Key: "order:42", Value: "PAID", HasValue: true, Took: 3 * ms},
				{Op: OpCacheDel, Key: "order:42", Took: 2 * ms},
			}},
			{Name: "reader", At: 4 * ms, Steps: readThrough("order:42", 500*time.Microsecond, 2*ms, ms, 300*time.Second)},
		},
	}
}

func readThrough(key string, get, read, set, ttl time.Duration) []Step {
	return []Step{
		{Op: OpCacheGet, Key: key, Took: get},
		{Op: OpIf, Cond: "miss", Then: []Step{
			{Op: OpDBRead, Key: key, Took: read},
			{Op: OpCacheSet, Key: key, TTL: ttl, Took: set},
		}},
	}
}

func mustRun(t testing.TB, sc *Scenario, opts Options) *timeline.Timeline {
	t.Helper()
	tl, err := Run(sc, opts)
	require.NoError(t, err)
	return tl
}
