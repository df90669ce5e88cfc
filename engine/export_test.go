package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/racetape/racetape/timeline"
)

// ModelOptions returns opts with the cache steps on the pure-Go model of
// the cache that exploration uses.
func ModelOptions(opts Options) Options {
	opts.model = true
	return opts
}

// SleepSets makes a scenario's reduced search the one before optimal
// DPOR: sleep sets, cut into tasks.
func SleepSets(opts ExploreOptions) ExploreOptions {
	opts.sleepSets = true
	return opts
}

// ExploreCheckingState explores sc and, at every complete schedule,
// compares the machine's state (reached by restoring copies at branch
// points) with a fresh machine that replays the schedule from the start.
// It returns the first difference.
func ExploreCheckingState(sc *Scenario, opts ExploreOptions) error {
	ex, err := NewExplorer(sc, opts)
	if err != nil {
		return err
	}
	fresh := newMachine(sc, analyze(sc, Consistency{}))
	defer fresh.close()
	var first error
	ex.onLeaf = func(w *worker) {
		if first != nil {
			return
		}
		if err := fresh.reset(); err != nil {
			first = err
			return
		}
		for _, p := range w.path {
			if err := fresh.step(p); err != nil {
				first = err
				return
			}
		}
		if got, want := dumpMachine(w.m), dumpMachine(fresh); got != want {
			first = fmt.Errorf("schedule %v: restored state differs:\n got %s\nwant %s", w.path, got, want)
		}
	}
	if _, err := ex.Run(context.Background()); err != nil {
		return err
	}
	return first
}

// dumpMachine prints a machine's whole state.
func dumpMachine(m *machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "now=%v seq=%d live=%v\n", m.now, m.seq, m.live)
	for i, a := range m.actors {
		leases := a.leases
		a.leases = nil
		fmt.Fprintf(&b, "actor %d: %+v leases", i, a)
		for l := leases; l != nil; l = l.next {
			fmt.Fprintf(&b, " %s=%s", l.key, l.token)
		}
		b.WriteByte('\n')
	}
	for k, h := range m.hist {
		fmt.Fprintf(&b, "key %d: %v\n", k, h)
	}
	fmt.Fprintf(&b, "reads %d stale %d late %+v\n", m.closed, m.nstale, m.reads)
	fmt.Fprintf(&b, "cache %v\n", peek(&m.cache, m.now))
	return b.String()
}

// MachineAgrees walks sc along random schedules (drawn from rng) on the
// exploration machine and on a Runner side by side, and returns the first
// step where they differ: in who can move, in the step each actor is at,
// in what the actors remember, in the database, the cache, the reads
// served so far, or the verdict. Every other walk the machine records
// (as the one that names anomalies does): then its events, expiries and
// anomalies must be the Runner's too.
func MachineAgrees(sc *Scenario, walks int, rng *rand.Rand) error {
	m := newMachine(sc, analyze(sc, Consistency{}))
	defer m.close()
	r, err := NewRunner(sc, Options{NoStates: true, model: true})
	if err != nil {
		return err
	}
	defer r.Close()
	n := len(sc.Actors)
	for walk := range walks {
		m.rec = walk%2 == 1
		if err := m.reset(); err != nil {
			return err
		}
		if err := r.Reset(); err != nil {
			return err
		}
		var path []int
		for {
			if err := sameAsRunner(m, r); err != nil {
				return fmt.Errorf("after %v: %w", path, err)
			}
			en := m.enabled(nil)
			want := r.Enabled()
			for i, p := range want {
				if p == ClockIndex {
					want[i] = n
				}
			}
			if !slices.Equal(en, want) {
				return fmt.Errorf("after %v: enabled %v, runner %v", path, en, want)
			}
			if len(en) == 0 {
				break
			}
			p := en[rng.IntN(len(en))]
			path = append(path, p)
			errM := m.step(p)
			rp := p
			if p == n {
				rp = ClockIndex
			}
			_, errR := r.Step(rp)
			if fmt.Sprint(errM) != fmt.Sprint(errR) {
				return fmt.Errorf("after %v: error %v, runner %v", path, errM, errR)
			}
			if errM != nil {
				break
			}
		}
		want, stale, err := r.staleAnomalies(make([]timeline.Anomaly, 0, 8))
		if err != nil {
			return err
		}
		if m.stale() != stale {
			return fmt.Errorf("schedule %v: stale %v, runner %v", path, m.stale(), stale)
		}
		if m.rec {
			got, gotStale, err := m.recordedAnomalies(make([]timeline.Anomaly, 0, 8))
			if err != nil {
				return err
			}
			if !slices.Equal(got, want) || gotStale != stale {
				return fmt.Errorf("schedule %v: anomalies %v (stale %v), runner %v", path, got, want, gotStale)
			}
		}
	}
	return nil
}

func sameAsRunner(m *machine, r *Runner) error {
	if m.now != r.now {
		return fmt.Errorf("now %v, runner %v", m.now, r.now)
	}
	if m.seq != len(r.events) {
		return fmt.Errorf("%d steps, runner %d", m.seq, len(r.events))
	}
	for i := range m.actors {
		a, ra := &m.actors[i], &r.actors[i]
		var st *Step
		if m.normalize(i) {
			st, _ = m.next(i)
		}
		rst, _ := ra.next()
		if st != rst {
			return fmt.Errorf("actor %d at step %v, runner at %v", i, st, rst)
		}
		if !reflect.DeepEqual(a.actorMemory, ra.actorMemory) {
			return fmt.Errorf("actor %d remembers %+v, runner %+v", i, a.actorMemory, ra.actorMemory)
		}
		if a.hasOpen != (ra.open != nil) {
			return fmt.Errorf("actor %d read in progress: %v, runner %v", i, a.hasOpen, ra.open != nil)
		}
		if a.hasOpen {
			o, ro := a.open, ra.open
			if key := keyOf(m, o.kid); key != ro.key || o.have != ro.have || o.served != ro.served || o.start != ro.start || o.end != ro.end {
				return fmt.Errorf("actor %d read in progress %+v (%s), runner %+v", i, o, key, *ro)
			}
		}
	}
	if m.closed != len(r.reads) {
		return fmt.Errorf("%d reads closed, runner %d", m.closed, len(r.reads))
	}
	rstale := 0
	for _, rd := range r.reads {
		if IsStale(r.db.History(rd.Key), rd.Served, rd.Start, rd.End) {
			rstale++
		}
	}
	if m.staleReads() != rstale {
		return fmt.Errorf("%d stale reads, runner %d", m.staleReads(), rstale)
	}
	for key, k := range m.kids {
		if h, rh := m.hist[k], r.db.History(key); !slices.Equal(h, rh) && len(h)+len(rh) > 0 {
			return fmt.Errorf("history of %q %v, runner %v", key, h, rh)
		}
	}
	// Not snapshot, which ticks the clock and would hide a key the machine
	// keeps past its expiry.
	mc, rc := peek(&m.cache, m.now), peek(r.model, r.now)
	if !reflect.DeepEqual(mc, rc) {
		return fmt.Errorf("cache %v, runner %v", mc, rc)
	}
	if m.rec {
		var evs []timeline.Event
		for _, ev := range r.events {
			evs = append(evs, timeline.Event{Seq: ev.Seq, Actor: ev.Actor, Lane: ev.Lane, Step: ev.Step, Op: ev.Op, Key: ev.Key,
				Result: ev.Result, Value: ev.Value, Version: ev.Version, Start: ev.Start, End: ev.End, Note: ev.Note})
		}
		if !slices.Equal(m.events, evs) {
			return fmt.Errorf("events %+v, runner %+v", m.events, evs)
		}
		if !slices.Equal(m.expiries, r.expiries) {
			return fmt.Errorf("expiries %+v, runner %+v", m.expiries, r.expiries)
		}
	}
	at, ok := m.nextExpiry()
	rat, rok := r.nextExpiry()
	if at != rat || ok != rok {
		return fmt.Errorf("next expiry %v %v, runner %v %v", at, ok, rat, rok)
	}
	return nil
}

// peek lists a model's live keys at instant now (with their expiry
// instants) without ticking its clock.
func peek(b *modelBackend, now time.Duration) []string {
	var out []string
	for _, e := range b.keys {
		at := time.Duration(-1)
		if e.hasTTL {
			if at = b.lastTick + e.ttl; at <= now {
				continue
			}
		}
		out = append(out, fmt.Sprint(e.key, e.hash, e.val, e.ver, at))
	}
	slices.Sort(out)
	return out
}

func keyOf(m *machine, kid int32) string {
	for k, id := range m.kids {
		if id == kid {
			return k
		}
	}
	return "?"
}

// A Leaf is a complete schedule an exploration ran: its participants and
// the footprints its steps had.
type Leaf struct {
	Path []int
	FPs  []Footprint
}

// ExploreLeaves explores sc and returns the complete schedules it ran, in
// the order it ran them, with the result.
func ExploreLeaves(sc *Scenario, opts ExploreOptions) ([]Leaf, *ExploreResult, error) {
	return ExploreLeavesOn(sc, opts, nil)
}

// ExploreLeavesOn is ExploreLeaves where a bounded reduced search runs the
// bounded tree (tree true) or the whole reduced search (false) instead of
// the one the estimates choose (nil).
func ExploreLeavesOn(sc *Scenario, opts ExploreOptions, tree *bool) ([]Leaf, *ExploreResult, error) {
	ex, err := NewExplorer(sc, opts)
	if err != nil {
		return nil, nil, err
	}
	ex.tree = tree
	var out []Leaf
	var mu sync.Mutex
	ex.onLeaf = func(w *worker) {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, Leaf{Path: slices.Clone(w.path), FPs: slices.Clone(w.fps)})
	}
	res, err := ex.Run(context.Background())
	return out, res, err
}

// Dependent is the reduction's dependency relation.
func Dependent(a, b *Footprint) bool { return dependent(a, b) }

// ShrinkAgain shrinks each of res's counterexamples again (as the
// exploration of sc with opts would) and returns them.
func ShrinkAgain(sc *Scenario, opts ExploreOptions, res *ExploreResult) (map[timeline.Anomaly][]string, error) {
	e, err := NewExplorer(sc, opts)
	if err != nil {
		return nil, err
	}
	w, err := e.newWorker(context.Background())
	if err != nil {
		return nil, err
	}
	defer w.close()
	w.needFP = true
	out := map[timeline.Anomaly][]string{}
	for a, ce := range res.Counterexamples {
		c := &candidate{pre: ce.Preemptions}
		for _, name := range ce.Schedule {
			c.path = append(c.path, slices.Index(e.names, name))
		}
		s, err := w.shrink(c, a)
		if err != nil {
			return nil, err
		}
		for _, p := range s.path {
			out[a] = append(out[a], e.names[p])
		}
	}
	return out, nil
}
