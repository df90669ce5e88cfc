package tui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/racetape/racetape/timeline"
)

const (
	us = time.Microsecond
	ms = time.Millisecond
)

func dp(d time.Duration) *time.Duration { return &d }

// cacheAsideTimeline is the seed story, built by hand: the writer commits
// PAID over [0,3ms] and deletes the key over [3ms,5ms]; the reader's GET
// over [4ms,4.5ms] is served CANCELLED from the cache: stale.
func cacheAsideTimeline() *timeline.Timeline {
	const key = "order:42"
	seed := timeline.Row{Key: key, Value: "CANCELLED", Version: 1, CommittedAt: 0, Actor: "seed"}
	paid := timeline.Row{Key: key, Value: "PAID", Version: 2, CommittedAt: 3 * ms, Actor: "writer"}
	entry := func(ttl time.Duration) []timeline.CacheEntry {
		return []timeline.CacheEntry{{Key: key, Value: "CANCELLED", TTL: ttl}}
	}
	initial := timeline.State{At: 0, Cache: entry(300 * time.Second), DB: []timeline.Row{seed}}
	return &timeline.Timeline{
		Scenario:    "cache-aside",
		Title:       "Update the database, then delete the key",
		Description: "The writer commits PAID, then deletes the cache key; a reader in between is served CANCELLED.",
		Epoch:       time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC),
		Mode:        "timed",
		Schedule:    []string{"writer", "reader", "writer"},
		Actors:      []string{"writer", "reader"},
		Events: []timeline.Event{
			{Seq: 0, Actor: "writer", Lane: 0, Step: 1, Op: "db.write", Key: key, Command: "COMMIT order:42 = PAID", Result: "ok", Value: "PAID", Version: 2, Start: 0, End: 3 * ms},
			{Seq: 1, Actor: "reader", Lane: 1, Step: 1, Op: "cache.get", Key: key, Command: "GET order:42", Result: "hit", Value: "CANCELLED", Start: 4 * ms, End: 4500 * us},
			{Seq: 2, Actor: "writer", Lane: 0, Step: 2, Op: "cache.del", Key: key, Command: "DEL order:42", Result: "ok", Start: 3 * ms, End: 5 * ms},
		},
		Reads: []timeline.Read{{
			Actor: "reader", Key: key, Source: timeline.SourceCache, Served: "CANCELLED",
			Start: 4 * ms, End: 4500 * us, Events: []int{1}, Stale: true, Current: []string{"PAID"},
			Anomaly: timeline.StaleHit, Cause: -1,
			Why: "the cache still held CANCELLED, set before the run, after the writer committed PAID at +3ms; the writer's DEL landed at +5ms",
		}},
		Commits: []timeline.Commit{
			{Key: key, Value: "CANCELLED", Version: 1, At: 0, Actor: "seed", Event: -1},
			{Key: key, Value: "PAID", Version: 2, At: 3 * ms, Actor: "writer", Event: 0},
		},
		Divergences: []timeline.Divergence{{
			Key: key, CacheValue: "CANCELLED", DBValue: "PAID", From: 3 * ms, Until: dp(5 * ms),
			Cause: "writer committed PAID while the cache held CANCELLED", CauseEvent: 0,
			End: "del", EndEvent: 2, TTLLeft: -1,
		}},
		Initial: initial,
		States: timeline.NewStateLog(initial, []timeline.State{
			{At: 3 * ms, Cache: entry(300*time.Second - 3*ms), DB: []timeline.Row{paid}},
			{At: 4500 * us, Cache: entry(300*time.Second - 4500*us), DB: []timeline.Row{paid}},
			{At: 5 * ms, DB: []timeline.Row{paid}},
		}),
		ExpiryRule: "now >= expiry",
		Backend:    "miniredis",
		Clock:      true,
	}
}

// builder builds a timeline by simulating a cache and a database: steps are
// added in the order they take effect, and it records states, commits,
// reads with the oracle's verdict and divergences.
type builder struct {
	tl      *timeline.Timeline
	cache   map[string]timeline.CacheEntry
	db      map[string]timeline.Row
	replica bool
	open    map[string]int // key → index in Divergences of an open one
	lanes   map[string]int
	steps   map[string]int
	dirty   bool
	states  []timeline.State // after each step, made a log by done
	last    timeline.State
	setAt   map[string]time.Duration // when each cache entry was set, for TTLs
	ttl     map[string]time.Duration
	byKey   map[string][]timeline.Commit
}

func newBuilder(name, title string, actors ...string) *builder {
	b := &builder{
		tl: &timeline.Timeline{Scenario: name, Title: title, Mode: "timed", Actors: actors,
			Epoch: time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)},
		cache: map[string]timeline.CacheEntry{}, db: map[string]timeline.Row{},
		open: map[string]int{}, lanes: map[string]int{}, steps: map[string]int{},
		setAt: map[string]time.Duration{}, ttl: map[string]time.Duration{},
		byKey: map[string][]timeline.Commit{},
	}
	for i, a := range actors {
		b.lanes[a] = i
	}
	return b
}

func (b *builder) commit(c timeline.Commit) {
	b.tl.Commits = append(b.tl.Commits, c)
	b.byKey[c.Key] = append(b.byKey[c.Key], c)
}

func (b *builder) seedDB(key, value string) {
	b.db[key] = timeline.Row{Key: key, Value: value, Version: 1, Actor: "seed"}
	b.commit(timeline.Commit{Key: key, Value: value, Version: 1, Actor: "seed", Event: -1})
}

func (b *builder) seedCache(key, value string, ttl time.Duration) {
	b.cache[key] = timeline.CacheEntry{Key: key, Value: value, TTL: -1}
	if ttl > 0 {
		b.ttl[key] = ttl
	}
}

// begin records the initial state; call after seeding.
func (b *builder) begin() {
	b.tl.Initial = b.snapshot(0)
	b.last = b.tl.Initial
	b.divergences(0, -1)
}

func (b *builder) snapshot(at time.Duration) timeline.State {
	return b.snapshotOf(at, true, true)
}

// snapshotOf rebuilds the changed parts of the last state.
func (b *builder) snapshotOf(at time.Duration, cacheChanged, dbChanged bool) timeline.State {
	s := timeline.State{At: at, Cache: b.last.Cache, DB: b.last.DB, Replica: b.last.Replica}
	if cacheChanged {
		s.Cache = nil
	}
	if dbChanged {
		s.DB = nil
	}
	for _, k := range sortedKeys(b.cache) {
		if !cacheChanged {
			break
		}
		e := b.cache[k]
		if ttl, ok := b.ttl[k]; ok {
			e.TTL = ttl - (at - b.setAt[k])
		}
		s.Cache = append(s.Cache, e)
	}
	for _, k := range sortedKeys(b.db) {
		if !dbChanged {
			break
		}
		s.DB = append(s.DB, b.db[k])
	}
	if b.replica {
		s.Replica = []timeline.Row{}
		for _, c := range b.tl.Commits {
			if c.At <= at-5*ms || c.Event < 0 {
				s.Replica = upsert(s.Replica, timeline.Row{Key: c.Key, Value: c.Value, Version: c.Version, CommittedAt: c.At, Actor: c.Actor})
			}
		}
	}
	return s
}

func upsert(rows []timeline.Row, r timeline.Row) []timeline.Row {
	for i := range rows {
		if rows[i].Key == r.Key {
			rows[i] = r
			return rows
		}
	}
	rows = append(rows, r)
	slices.SortFunc(rows, func(a, b timeline.Row) int { return cmpStr(a.Key, b.Key) })
	return rows
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// step adds one step that takes effect at end, and returns its seq.
func (b *builder) step(actor, op, key, value string, start, end time.Duration) int {
	seq := len(b.tl.Events)
	b.steps[actor]++
	e := timeline.Event{Seq: seq, Actor: actor, Lane: b.lanes[actor], Step: b.steps[actor], Op: op, Key: key, Start: start, End: end, Result: "ok"}
	cacheChanged, dbChanged := len(b.ttl) > 0, false
	switch op {
	case "cache.get":
		e.Command = "GET " + key
		if c, ok := b.cache[key]; ok {
			e.Result, e.Value = "hit", c.Value
		} else {
			e.Result = "miss"
		}
	case "cache.set":
		cacheChanged = true
		e.Command, e.Value = "SET "+key+" "+value, value
		b.cache[key] = timeline.CacheEntry{Key: key, Value: value, TTL: -1}
		delete(b.ttl, key)
	case "cache.del":
		cacheChanged = true
		e.Command = "DEL " + key
		delete(b.cache, key)
		delete(b.ttl, key)
	case "db.read":
		r := b.db[key]
		e.Command, e.Value, e.Version = "SELECT "+key, r.Value, r.Version
	case "db.write":
		dbChanged = true
		v := b.db[key].Version + 1
		e.Command, e.Value, e.Version = "COMMIT "+key+" = "+value, value, v
		b.db[key] = timeline.Row{Key: key, Value: value, Version: v, CommittedAt: end, Actor: actor}
		b.commit(timeline.Commit{Key: key, Value: value, Version: v, At: end, Actor: actor, Event: seq})
	case "sleep":
		e.Result = ""
	}
	b.tl.Events = append(b.tl.Events, e)
	b.tl.Schedule = append(b.tl.Schedule, actor)
	b.last = b.snapshotOf(end, cacheChanged, dbChanged || b.replica)
	b.states = append(b.states, b.last)
	b.divergences(end, seq)
	return seq
}

// setTTL gives key a TTL from instant at.
func (b *builder) setTTL(key string, ttl, at time.Duration) {
	b.ttl[key], b.setAt[key] = ttl, at
	b.last = b.snapshot(at)
	b.states[len(b.states)-1] = b.last
}

// divergences opens and closes divergence intervals after a step.
func (b *builder) divergences(at time.Duration, seq int) {
	for _, k := range sortedKeys(b.db) {
		c, inCache := b.cache[k]
		div := inCache && c.Value != b.db[k].Value
		i, isOpen := b.open[k]
		switch {
		case div && !isOpen:
			b.open[k] = len(b.tl.Divergences)
			b.tl.Divergences = append(b.tl.Divergences, timeline.Divergence{Key: k, CacheValue: c.Value, DBValue: b.db[k].Value,
				From: at, CauseEvent: seq, EndEvent: -1, TTLLeft: -1, Cause: "step " + fmt.Sprint(seq)})
		case !div && isOpen:
			d := &b.tl.Divergences[i]
			d.Until, d.EndEvent = dp(at), seq
			d.End = "commit"
			if !inCache {
				d.End = "del"
			}
			delete(b.open, k)
		}
	}
}

// read records a read over events seqs, judged by the oracle's rule.
func (b *builder) read(actor, key string, src timeline.Source, served string, seqs ...int) {
	ev := b.tl.Events
	start, end := ev[seqs[0]].Start, ev[seqs[len(seqs)-1]].End
	r := timeline.Read{Actor: actor, Key: key, Source: src, Served: served, Start: start, End: end, Events: seqs, Cause: -1}
	// the committed values during [start, end]
	var cur []string
	var before string
	for _, c := range b.byKey[key] {
		if c.At <= start {
			before = c.Value
		} else if c.At <= end {
			cur = append(cur, c.Value)
		}
	}
	cur = append([]string{before}, cur...)
	if !slices.Contains(cur, served) {
		r.Stale = true
		r.Current = cur
		r.Anomaly = timeline.StaleHit
		if src == timeline.SourceReplica {
			r.Anomaly = timeline.ReplicaLag
		}
	}
	b.tl.Reads = append(b.tl.Reads, r)
}

func (b *builder) done() *timeline.Timeline {
	b.tl.States = timeline.NewStateLog(b.tl.Initial, b.states)
	for k, i := range b.open {
		d := &b.tl.Divergences[i]
		d.End = "end-of-run"
		if ttl, ok := b.ttl[k]; ok {
			d.TTLLeft = ttl
		}
	}
	return b.tl
}

// staleSetTimeline: a slow reader misses, reads CANCELLED, and sets it
// after the writer committed PAID and deleted the key; a second reader is
// served the old value, which lasts until the end of the run.
func staleSetTimeline() *timeline.Timeline {
	b := newBuilder("stale-set", "A slow reader sets the old row back", "writer", "slow-reader", "reader")
	b.seedDB("order:42", "CANCELLED")
	b.seedDB("user:7", "alice")
	b.seedCache("user:7", "alice", 0)
	b.begin()
	get := b.step("slow-reader", "cache.get", "order:42", "", 0, 500*us)
	rd := b.step("slow-reader", "db.read", "order:42", "", 500*us, 2500*us)
	b.step("writer", "db.write", "order:42", "PAID", 1*ms, 3*ms)
	b.step("writer", "cache.del", "order:42", "", 3*ms, 4*ms)
	b.step("slow-reader", "sleep", "", "", 2500*us, 6*ms)
	set := b.step("slow-reader", "cache.set", "order:42", "CANCELLED", 6*ms, 7*ms)
	b.setTTL("order:42", 300*time.Second, 7*ms)
	b.read("slow-reader", "order:42", timeline.SourceDB, "CANCELLED", get, rd, set)
	g2 := b.step("reader", "cache.get", "order:42", "", 8*ms, 8500*us)
	b.read("reader", "order:42", timeline.SourceCache, "CANCELLED", g2)
	g3 := b.step("reader", "cache.get", "user:7", "", 8500*us, 9*ms)
	b.read("reader", "user:7", timeline.SourceCache, "alice", g3)
	tl := b.done()
	tl.Reads[1].Anomaly = timeline.LostInvalidation
	tl.Reads[1].Cause = set
	return tl
}

// replicaTimeline: a correct delete-after-write, but the refill reads a
// replica 5ms behind.
func replicaTimeline() *timeline.Timeline {
	b := newBuilder("replica-lag", "The refill reads a lagging replica", "writer", "reader")
	b.replica = true
	b.seedDB("order:42", "CANCELLED")
	b.begin()
	b.step("writer", "db.write", "order:42", "PAID", 0, 2*ms)
	b.step("writer", "cache.del", "order:42", "", 2*ms, 3*ms)
	g := b.step("reader", "cache.get", "order:42", "", 3500*us, 4*ms)
	r := b.step("reader", "db.read", "order:42", "", 4*ms, 5*ms)
	b.tl.Events[r].Value, b.tl.Events[r].Version = "CANCELLED", 1
	s := b.step("reader", "cache.set", "order:42", "CANCELLED", 5*ms, 6*ms)
	b.read("reader", "order:42", timeline.SourceReplica, "CANCELLED", g, r, s)
	return b.done()
}

// cleanTimeline: a correct run with no stale read.
func cleanTimeline() *timeline.Timeline {
	b := newBuilder("lease", "Leases refuse the stale set", "writer", "reader")
	b.seedDB("order:42", "CANCELLED")
	b.begin()
	b.step("writer", "db.write", "order:42", "PAID", 0, 3*ms)
	b.step("writer", "cache.del", "order:42", "", 3*ms, 5*ms)
	g := b.step("reader", "cache.get", "order:42", "", 6*ms, 6500*us)
	r := b.step("reader", "db.read", "order:42", "", 6500*us, 8*ms)
	s := b.step("reader", "cache.set", "order:42", "PAID", 8*ms, 9*ms)
	b.read("reader", "order:42", timeline.SourceDB, "PAID", g, r, s)
	return b.done()
}

// syntheticTimeline generates a run of n steps by actors actors (half
// writers, half readers) over keys keys, deterministically from seed.
// Readers do cache-aside reads; writers commit and delete, sometimes late,
// so stale reads and divergences occur throughout.
func syntheticTimeline(n, actors, keys int, seed uint64) *timeline.Timeline {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	names := make([]string, actors)
	for i := range names {
		if i%2 == 0 {
			names[i] = fmt.Sprintf("writer-%d", i/2+1)
		} else {
			names[i] = fmt.Sprintf("reader-%d", i/2+1)
		}
	}
	type plan struct {
		actor      string
		op, key    string
		value      string
		start, end time.Duration
		read       int // the read this step belongs to, -1
		lastOfRead bool
	}
	// Each actor's program, back to back; then merged by end instant.
	var all []plan
	per := n/actors + 1
	reads := 0
	for a, name := range names {
		now := time.Duration(rng.IntN(500)) * us
		for len(all) < (a+1)*per && len(all) < n+actors {
			k := fmt.Sprintf("key:%d", rng.IntN(keys))
			d := func() time.Duration { return time.Duration(200+rng.IntN(2800)) * us }
			if a%2 == 0 {
				v := fmt.Sprintf("v%d", rng.IntN(1000))
				e1 := now + d()
				all = append(all, plan{name, "db.write", k, v, now, e1, -1, false})
				e2 := e1 + d()
				all = append(all, plan{name, "cache.del", k, "", e1, e2, -1, false})
				now = e2 + time.Duration(rng.IntN(3000))*us
				continue
			}
			r := reads
			reads++
			e1 := now + d()
			all = append(all, plan{name, "cache.get", k, "", now, e1, r, false})
			e2 := e1 + d()
			all = append(all, plan{name, "db.read", k, "", e1, e2, r, false})
			e3 := e2 + d()
			all = append(all, plan{name, "cache.set", k, "", e2, e3, r, true})
			now = e3
		}
	}
	slices.SortStableFunc(all, func(a, b plan) int {
		if c := cmpDur(a.end, b.end); c != 0 {
			return c
		}
		return cmpStr(a.actor, b.actor)
	})
	all = all[:min(n, len(all))]

	b := newBuilder(fmt.Sprintf("synthetic-%d", n), fmt.Sprintf("Synthetic run of %d steps", n), names...)
	for k := range keys {
		b.seedDB(fmt.Sprintf("key:%d", k), "v0")
	}
	b.begin()
	type openRead struct {
		seqs   []int
		served string
		hit    bool
		key    string
	}
	open := map[int]*openRead{}
	for _, p := range all {
		o := open[p.read]
		if p.read >= 0 && o == nil {
			o = &openRead{key: p.key}
			open[p.read] = o
		}
		switch p.op {
		case "cache.get":
			seq := b.step(p.actor, p.op, p.key, "", p.start, p.end)
			o.seqs = append(o.seqs, seq)
			if e := b.tl.Events[seq]; e.Result == "hit" {
				o.hit, o.served = true, e.Value
				b.read(p.actor, p.key, timeline.SourceCache, o.served, o.seqs...)
				delete(open, p.read)
			}
		case "db.read":
			if o == nil {
				continue // the read ended on a hit
			}
			seq := b.step(p.actor, p.op, p.key, "", p.start, p.end)
			o.seqs = append(o.seqs, seq)
			o.served = b.tl.Events[seq].Value
		case "cache.set":
			if o == nil {
				continue
			}
			seq := b.step(p.actor, p.op, p.key, o.served, p.start, p.end)
			o.seqs = append(o.seqs, seq)
			b.read(p.actor, p.key, timeline.SourceDB, o.served, o.seqs...)
			delete(open, p.read)
		default:
			b.step(p.actor, p.op, p.key, p.value, p.start, p.end)
		}
	}
	return b.done()
}
