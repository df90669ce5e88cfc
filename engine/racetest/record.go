package racetest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// A recorder keeps the record of the schedule in progress, as the engine's
// Runner does for a scenario: the events, the reads, the expiries and,
// for a tape, the state after every step. Actors' goroutines write it
// under world.mu while they hold the grant.
type recorder struct {
	events   []timeline.Event
	groups   []int // the write operation of each event's actor (see Env.Op)
	reads    []timeline.Read
	expiries []timeline.Expiry
	initial  timeline.State
	// states records the state after every step (nil: no tape); dbMark
	// counts the commits it has seen.
	states *timeline.StateRecorder
	dbMark int
	clock  bool // the clock ticked: its lane is shown
}

func (r *recorder) reset(w *world, states bool) {
	r.events, r.groups, r.reads, r.expiries = r.events[:0], r.groups[:0], r.reads[:0], r.expiries[:0]
	r.clock = false
	r.states = nil
	if states {
		r.initial = w.state()
		r.states = timeline.NewStateRecorder(r.initial)
		r.dbMark = len(w.db.Commits())
	}
}

// state reads the cache and the database at the current instant.
func (w *world) state() timeline.State {
	rows := w.db.Rows(w.now)
	if rows == nil {
		rows = []timeline.Row{}
	}
	return timeline.State{At: w.now, Cache: engine.MiniredisEntries(w.mini), DB: rows}
}

// expireUntil records the expiries of the mirrored TTLs up to instant at.
func (r *recorder) expireUntil(w *world, at time.Duration) {
	n := len(r.expiries)
	for k, t := range w.keyTTL {
		if t.at <= at {
			r.expiries = append(r.expiries, timeline.Expiry{Key: k, Value: t.value, At: t.at})
			delete(w.keyTTL, k)
		}
	}
	slices.SortFunc(r.expiries[n:], func(a, b timeline.Expiry) int {
		if a.At != b.At {
			return int(a.At - b.At)
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// event appends the event of the step pk just took and returns it; the
// caller fills in what it observed. Call with world.mu held.
func (r *recorder) event(w *world, pk *parking) *timeline.Event {
	a := pk.a
	r.expireUntil(w, pk.end)
	a.taken++
	seq := len(r.events)
	r.events = append(r.events, timeline.Event{
		Seq: seq, Actor: a.name, Lane: a.idx, Step: a.taken, Op: opOf(pk.cmd.name), Key: pk.cmd.key,
		Command: pk.cmd.text, Start: pk.start, End: pk.end,
	})
	r.groups = append(r.groups, a.group)
	if len(a.opNames) > 0 {
		r.events[seq].Note = "op " + a.opNames[0]
		a.opNames = a.opNames[:0]
	}
	a.span = append(a.span, seq)
	return &r.events[seq]
}

// done finishes the event just recorded: it refreshes the mirrored TTLs
// of the cache keys the step touched and records the state after it:
// what changed in those keys and in the database, or, with whole (a step
// that may touch keys it does not name), the whole state.
func (r *recorder) done(w *world, keys []engine.KeyAccess, whole bool) {
	if r.states != nil {
		r.states.Step(w.now)
		r.states.Expire()
	}
	for _, ka := range keys {
		if ka.Access&(engine.CacheRead|engine.CacheWrite) == 0 {
			continue
		}
		e, ok := engine.MiniredisEntry(w.mini, ka.Key)
		if ok && e.TTL >= 0 {
			w.keyTTL[ka.Key] = ttl{at: w.now + e.TTL, value: e.Value}
		} else {
			delete(w.keyTTL, ka.Key)
		}
		switch {
		case r.states == nil || whole:
		case ok:
			r.states.SetCache(e)
		default:
			r.states.DropCache(ka.Key)
		}
	}
	if r.states == nil {
		return
	}
	commits := w.db.Commits()
	if whole {
		r.states.Full(w.state())
	} else {
		for _, c := range commits[r.dbMark:] {
			r.states.SetRow(c.Row())
		}
	}
	r.dbMark = len(commits)
}

// tick records a clock tick to instant at.
func (r *recorder) tick(w *world, at time.Duration) {
	n := len(r.expiries)
	r.expireUntil(w, at)
	var keys []string
	for _, x := range r.expiries[n:] {
		if x.At == at {
			keys = append(keys, x.Key)
		}
	}
	r.clock = true
	note := "a timer of the actors' code fires"
	if len(keys) > 0 {
		note = "TTL of " + strings.Join(keys, ", ") + " runs out"
	}
	r.events = append(r.events, timeline.Event{
		Seq: len(r.events), Actor: timeline.ClockActor, Lane: len(w.actors), Op: "clock.tick", Key: strings.Join(keys, " "),
		Command: "advance clock to " + timeline.FormatOffset(at), Result: "ok", Start: w.now, End: at, Note: note,
	})
	r.groups = append(r.groups, 0)
	w.now = at
	if r.states != nil {
		r.states.Step(at)
		r.states.Expire()
	}
}

// served closes actor a's read of key, served value: from its first step
// on key since its last read (or, with none, from when that read began)
// to now. Its source is the step that observed the value: the actor's own
// last one on key, or else, for a value another actor fetched (a
// coalesced call), that actor's.
func (r *recorder) served(w *world, a *actor, key, value string) {
	var own []int
	for _, s := range a.span {
		if r.events[s].Key == key {
			own = append(own, s)
		}
	}
	rd := timeline.Read{Actor: a.name, Key: key, Served: value, Start: a.spanAt, End: w.now, Cause: -1, Source: timeline.SourceDB}
	if len(own) > 0 {
		rd.Start = r.events[own[0]].Start
	}
	src := -1
	for i := len(own) - 1; i >= 0 && src < 0; i-- {
		if observed(&r.events[own[i]], value) {
			src = i
		}
	}
	switch {
	case src >= 0:
		rd.Events = own[src:]
		if r.events[own[src]].IsDB() {
			rd.Events = own
		}
		rd.Source = sourceOf(&r.events[own[src]])
	default:
		for s := len(r.events) - 1; s >= 0; s-- {
			if ev := &r.events[s]; ev.Key == key && ev.End >= rd.Start && observed(ev, value) {
				rd.Events, rd.Source = []int{s}, sourceOf(ev)
				break
			}
		}
	}
	r.reads = append(r.reads, rd)
	a.span = a.span[:0]
	a.spanAt = w.now
}

// observed says whether event ev saw value: a cache hit or a database
// read of it (a missing row reads as "").
func observed(ev *timeline.Event, value string) bool {
	switch engine.Op(ev.Op) {
	case engine.OpCacheGet:
		return ev.Result == "hit" && ev.Value == value
	case engine.OpDBRead:
		return ev.Value == value
	}
	return false
}

func sourceOf(ev *timeline.Event) timeline.Source {
	if ev.IsDB() {
		return timeline.SourceDB
	}
	return timeline.SourceCache
}

// timeline returns the record of the schedule run, not yet judged.
func (r *recorder) timeline(w *world) *timeline.Timeline {
	lanes := make([]string, 0, len(w.actors)+1)
	for _, a := range w.actors {
		lanes = append(lanes, a.name)
	}
	if r.clock {
		lanes = append(lanes, timeline.ClockActor)
	}
	tl := &timeline.Timeline{
		Scenario: w.h.cfg.Name, Title: w.h.cfg.Name + " (Go code explored by racetest)", Epoch: w.cfg.Epoch, Mode: "schedule",
		Actors: lanes, Events: r.events, Reads: r.reads, Commits: w.db.Commits(), Expiries: r.expiries,
		ExpiryRule: engine.ExpiryRule, Backend: "miniredis", Clock: true,
		Description: fmt.Sprintf("%d actors; each Redis command and database call is a step of %s", len(w.actors), w.cfg.StepTime),
	}
	tl.Schedule = make([]string, len(r.events))
	for i, e := range r.events {
		tl.Schedule[i] = e.Actor
	}
	if r.states != nil {
		tl.Initial, tl.States = r.initial, r.states.Log()
	}
	return tl
}

// dataKeys are the keys whose cache entries are data, for divergences: the
// keys of the setup and every key the database was asked about.
func (w *world) dataKeys() []string {
	seen := map[string]bool{}
	for k := range w.cfg.DB {
		seen[k] = true
	}
	for k := range w.cfg.Cache {
		seen[k] = true
	}
	for _, ev := range w.rec.events {
		if ev.IsDB() && ev.Key != "" {
			seen[ev.Key] = true
		}
	}
	return sortedKeys(seen)
}
