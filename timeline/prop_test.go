package timeline

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// genTimeline draws an arbitrary but well-formed timeline: events in the
// order of their ends, reads made of existing events, states either for
// every step or for none.
func genTimeline(t *rapid.T) *Timeline {
	actors := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"writer", "reader", "r2", "a-very-long-actor-name-indeed", "x", ClockActor}), 1, 5, rapid.ID[string]).Draw(t, "actors")
	keys := rapid.SliceOfNDistinct(rapid.SampledFrom([]string{"order:42", "k", "a:rather:long:cache:key:name"}), 1, 3, rapid.ID[string]).Draw(t, "keys")
	values := rapid.SampledFrom([]string{"", "PAID", "CANCELLED", "naïve café", "tab\there", "two\nlines", strings.Repeat("LONG", 20)})
	ops := rapid.SampledFrom([]string{"cache.get", "cache.set", "cache.del", "cache.expire", "db.read", "db.write", "sleep",
		"lease.get", "lease.set", "lease.del", "cas.get", "cas.set", "clock.tick", "weird.op"})
	results := rapid.SampledFrom([]string{"hit", "miss", "ok", "fail", ""})
	dur := rapid.Map(rapid.IntRange(0, 5000), func(n int) time.Duration { return time.Duration(n) * time.Microsecond })

	tl := &Timeline{
		Scenario: rapid.SampledFrom([]string{"", "cache-aside", "a-scenario-with-a-very-long-name"}).Draw(t, "scenario"),
		Title:    values.Draw(t, "title"),
		Epoch:    epoch,
		Mode:     "timed",
		Actors:   actors,
		Backend:  "miniredis",
		Clock:    true,
	}
	n := rapid.IntRange(0, 12).Draw(t, "events")
	var end time.Duration
	for i := range n {
		end += dur.Draw(t, "gap")
		e := Event{
			Seq: i, Actor: rapid.SampledFrom(actors).Draw(t, "actor"), Op: ops.Draw(t, "op"),
			Key: rapid.SampledFrom(keys).Draw(t, "key"), Value: values.Draw(t, "value"),
			Result: results.Draw(t, "result"), Version: rapid.IntRange(0, 3).Draw(t, "version"),
			End: end, Note: rapid.SampledFrom([]string{"", "lease granted", "nothing to delete"}).Draw(t, "note"),
		}
		e.Start = max(0, end-dur.Draw(t, "took"))
		e.Command = rapid.SampledFrom([]string{"", "SET " + e.Key + " v PX 300000 NX", "PEXPIREAT " + e.Key + " 1735732800000", "EVAL x 1 2"}).Draw(t, "command")
		tl.Events = append(tl.Events, e)
		tl.Schedule = append(tl.Schedule, e.Actor)
	}
	if n > 0 {
		for range rapid.IntRange(0, 3).Draw(t, "reads") {
			last := rapid.IntRange(0, n-1).Draw(t, "last")
			tl.Reads = append(tl.Reads, Read{
				Actor: tl.Events[last].Actor, Key: tl.Events[last].Key, Source: SourceCache,
				Served: values.Draw(t, "served"), Start: tl.Events[last].Start, End: tl.Events[last].End,
				Events: []int{last}, Stale: rapid.Bool().Draw(t, "stale"), Current: []string{values.Draw(t, "current")},
				Anomaly: rapid.SampledFrom([]Anomaly{"", StaleHit, TTLStaleness}).Draw(t, "anomaly"),
				Why:     values.Draw(t, "why"),
			})
		}
	}
	for range rapid.IntRange(0, 2).Draw(t, "expiries") {
		tl.Expiries = append(tl.Expiries, Expiry{Key: rapid.SampledFrom(keys).Draw(t, "key"), At: dur.Draw(t, "at")})
	}
	for range rapid.IntRange(0, 2).Draw(t, "divergences") {
		d := Divergence{Key: rapid.SampledFrom(keys).Draw(t, "key"), CacheValue: values.Draw(t, "cv"), DBValue: values.Draw(t, "dv"),
			From: dur.Draw(t, "from"), Cause: values.Draw(t, "cause"), CauseEvent: rapid.IntRange(-1, n).Draw(t, "cause event"),
			End: "end-of-run", EndEvent: rapid.IntRange(-1, n).Draw(t, "end event"), TTLLeft: dur.Draw(t, "ttl") - time.Millisecond}
		if rapid.Bool().Draw(t, "closed") {
			u := d.From + dur.Draw(t, "length")
			d.Until, d.End = &u, rapid.SampledFrom([]string{"del", "overwrite", "expiry", "commit", ""}).Draw(t, "end")
		}
		tl.Divergences = append(tl.Divergences, d)
	}
	entries := func(label string) []CacheEntry {
		var out []CacheEntry
		for _, k := range keys {
			if rapid.Bool().Draw(t, label) {
				out = append(out, CacheEntry{Key: k, Value: values.Draw(t, "cached"), TTL: dur.Draw(t, "ttl") - time.Millisecond})
			}
		}
		return out
	}
	rows := []Row{{Key: keys[0], Value: values.Draw(t, "row"), Version: 1, Actor: "seed"}}
	tl.Initial = State{Cache: entries("initial"), DB: rows}
	if rapid.Bool().Draw(t, "states") {
		var states []State
		for _, e := range tl.Events {
			states = append(states, State{At: e.End, Cache: entries("cache"), DB: rows})
		}
		tl.States = NewStateLog(tl.Initial, states)
	}
	return tl
}

func TestTextProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tl := genTimeline(rt)
		width := rapid.IntRange(1, 220).Draw(rt, "width")
		var b strings.Builder
		require.NoError(rt, tl.WriteText(&b, TextOptions{Width: width}))
		text := b.String()
		require.Equal(rt, text, func() string {
			var again strings.Builder
			_ = tl.WriteText(&again, TextOptions{Width: width})
			return again.String()
		}(), "the same timeline gives the same text")

		marked := 0
		for _, l := range lines(text) {
			require.LessOrEqual(rt, runeLen(l), width, "%q", l)
			require.False(rt, strings.ContainsAny(l, "\t\r"), "%q", l)
			if strings.HasPrefix(l, "✗ +") {
				marked++
			}
		}
		rowsWithStale := map[int]bool{}
		for _, r := range tl.StaleReads() {
			rowsWithStale[r.Events[len(r.Events)-1]] = true
		}
		if width >= 4 {
			require.Equal(rt, len(rowsWithStale), marked, "one ✗ row per step that ends a stale read\n%s", text)
		}
	})
}

func TestJSONProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		tl := genTimeline(rt)
		data := tl.JSON()
		run, err := ParseJSON(data)
		require.NoError(rt, err)
		require.Equal(rt, tl.JSONRun(), run)
		require.Equal(rt, len(tl.StaleReads()), run.Verdict.StaleReads)
		for i, d := range tl.Divergences {
			require.Equal(rt, d.Until == nil, run.Divergences[i].UntilUS == nil, "until_us is null exactly while still diverged")
			require.Equal(rt, d.Until == nil && d.TTLLeft >= 0, run.Divergences[i].TTLLeftUS != nil)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "null") {
				f := strings.TrimSpace(l)
				require.True(rt, strings.HasPrefix(f, `"until_us": null`) || strings.HasPrefix(f, `"ttl_left_us": null`), "only until_us and ttl_left_us are ever null: %q", l)
			}
		}
	})
}
