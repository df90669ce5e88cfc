package timeline

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// decodeMap decodes JSON into plain maps, to look at it as a consumer
// in another language would.
func decodeMap(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func TestJSONGolden(t *testing.T) {
	requireGolden(t, "cache_aside.json", cacheAside().JSON())
	requireGolden(t, "stale_set_open.json", staleSetOpen().JSON())
}

func TestJSONIsByteIdentical(t *testing.T) {
	for _, build := range []func() *Timeline{cacheAside, staleSetOpen, noStale} {
		a, b := build().JSON(), build().JSON()
		require.Equal(t, string(a), string(b))
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, tl := range []*Timeline{cacheAside(), staleSetOpen(), noStale(), {}} {
		data := tl.JSON()
		run, err := ParseJSON(data)
		require.NoError(t, err)
		require.Equal(t, tl.JSONRun(), run)

		var again bytes.Buffer
		enc := json.NewEncoder(&again)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		require.NoError(t, enc.Encode(run))
		require.Equal(t, string(data)+"\n", again.String(), "decoding and encoding again changes nothing")
	}
}

func TestParseJSONError(t *testing.T) {
	_, err := ParseJSON([]byte(`{"scenario": `))
	require.ErrorContains(t, err, "timeline: parse json")
	_, err = ParseJSON([]byte(`{"events": "nope"}`))
	require.Error(t, err)
}

func TestJSONFieldOrder(t *testing.T) {
	data := cacheAside().JSON()
	last := -1
	for _, k := range []string{"scenario", "title", "mode", "epoch", "backend", "expiry_rule", "schedule",
		"actors", "verdict", "stale_reads", "reads", "divergences", "commits", "expiries", "events", "final_state"} {
		i := bytes.Index(data, []byte("\n  \""+k+"\": "))
		require.Greater(t, i, last, "top-level field %q out of order or missing", k)
		last = i
	}
	require.False(t, bytes.HasSuffix(data, []byte("\n")), "no final newline, as json.MarshalIndent")
	require.Contains(t, string(data), "\n  \"scenario\": \"cache-aside\",\n", "two-space indent")
}

func TestJSONContent(t *testing.T) {
	m := decodeMap(t, cacheAside().JSON())
	require.Equal(t, "2025-01-01T12:00:00Z", m["epoch"])
	require.Equal(t, "writer reader writer", m["schedule"])
	require.Equal(t, map[string]any{
		"stale_reads": 1.0, "divergences": 1.0, "anomalies": map[string]any{"stale-hit": 1.0},
	}, m["verdict"])

	stale := m["stale_reads"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{
		"actor": "reader", "key": "order:42", "source": "cache", "served": "CANCELLED",
		"current": []any{"PAID"}, "start_us": 4000.0, "end_us": 4500.0, "anomaly": "stale-hit",
		"why":    cacheAside().Reads[0].Why,
		"events": []any{1.0},
	}, stale, "a stale read has no stale field")
	read := m["reads"].([]any)[0].(map[string]any)
	require.Equal(t, true, read["stale"])

	div := m["divergences"].([]any)[0].(map[string]any)
	require.Equal(t, 3000.0, div["from_us"])
	require.Equal(t, 5000.0, div["until_us"])
	require.Contains(t, div, "ttl_left_us")
	require.Nil(t, div["ttl_left_us"], "ttl_left_us is null unless still diverged at the end")
	require.Equal(t, "del", div["end"])

	ev := m["events"].([]any)
	require.Len(t, ev, 3)
	require.Equal(t, 2.0, ev[0].(map[string]any)["version"])
	require.NotContains(t, ev[1].(map[string]any), "version", "version is left out when 0")
	require.NotContains(t, ev[1].(map[string]any), "note", "note is left out when empty")
	require.Equal(t, 3000.0, ev[2].(map[string]any)["start_us"])
	require.Equal(t, 5000.0, ev[2].(map[string]any)["end_us"])

	final := m["final_state"].(map[string]any)
	require.Equal(t, []any{}, final["cache"])
	require.Equal(t, []any{map[string]any{
		"key": "order:42", "value": "PAID", "version": 2.0, "committed_at_us": 3000.0, "actor": "writer",
	}}, final["db"])
	require.NotContains(t, final, "replica", "no replica in the scenario")
	require.NotContains(t, string(cacheAside().JSON()), `"states"`, "per-step states stay out of JSON")
}

func TestJSONOpenDivergence(t *testing.T) {
	m := decodeMap(t, staleSetOpen().JSON())
	div := m["divergences"].([]any)[0].(map[string]any)
	require.Contains(t, div, "until_us")
	require.Nil(t, div["until_us"], "until_us is null while still diverged at the end")
	require.Equal(t, 295e6, div["ttl_left_us"])
	require.Equal(t, "end-of-run", div["end"])
	require.Equal(t, 4.0, div["cause_event"])
	require.Equal(t, -1.0, div["end_event"])

	require.Equal(t, map[string]any{"lost-invalidation": 1.0}, m["verdict"].(map[string]any)["anomalies"])
	require.Equal(t, "nothing to delete", m["events"].([]any)[3].(map[string]any)["note"])
	cache := m["final_state"].(map[string]any)["cache"].([]any)
	require.Equal(t, 295e6, cache[0].(map[string]any)["ttl_us"])

	tl := staleSetOpen()
	tl.Divergences[0].TTLLeft = -1 // the entry has no TTL
	div = decodeMap(t, tl.JSON())["divergences"].([]any)[0].(map[string]any)
	require.Nil(t, div["ttl_left_us"])
}

func TestJSONNoTTLIsMinusOne(t *testing.T) {
	tl := cacheAside()
	withState(tl, 2, func(st *State) {
		st.Cache = []CacheEntry{{Key: "order:42", Value: "PAID", TTL: -1}, {Key: "v", Value: "x", Version: 3, TTL: 1500 * time.Microsecond}}
	})
	cache := decodeMap(t, tl.JSON())["final_state"].(map[string]any)["cache"].([]any)
	require.Equal(t, map[string]any{"key": "order:42", "value": "PAID", "ttl_us": -1.0}, cache[0])
	require.Equal(t, map[string]any{"key": "v", "value": "x", "version": 3.0, "ttl_us": 1500.0}, cache[1])
}

func TestJSONEmptyListsAreNotNull(t *testing.T) {
	data := string(noStale().JSON())
	require.Contains(t, data, `"stale_reads": [],`)
	require.Contains(t, data, `"divergences": [],`)
	require.Contains(t, data, `"current": [],`)
	require.Contains(t, data, `"anomalies": {}`)

	data = string((&Timeline{}).JSON())
	require.NotContains(t, data, "null")
	for _, k := range []string{"actors", "stale_reads", "reads", "divergences", "commits", "expiries", "events", "cache", "db"} {
		require.Contains(t, data, `"`+k+`": []`, k)
	}
}

func TestJSONReplica(t *testing.T) {
	tl := cacheAside()
	tl.Initial.Replica = []Row{} // a scenario with a replica has one from the start
	withState(tl, 2, func(st *State) { st.Replica = []Row{} })
	final := decodeMap(t, tl.JSON())["final_state"].(map[string]any)
	require.NotContains(t, final, "replica", "an empty replica is left out too")

	withState(tl, 2, func(st *State) { st.Replica = []Row{seedRow("order:42", "CANCELLED")} })
	final = decodeMap(t, tl.JSON())["final_state"].(map[string]any)
	require.Equal(t, []any{map[string]any{
		"key": "order:42", "value": "CANCELLED", "version": 1.0, "committed_at_us": 0.0, "actor": "seed",
	}}, final["replica"])
}

func TestJSONNoHTMLEscaping(t *testing.T) {
	tl := cacheAside()
	tl.Reads[0].Why = "a <b> & c"
	require.Contains(t, string(tl.JSON()), `"why": "a <b> & c"`)
}
