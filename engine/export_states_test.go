package engine

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A Snapshotted run is a run with, beside its timeline, what runs recorded
// before the state log: the whole cache and database read after every
// step, and the divergences found by comparing every data key in each of
// those states.
type Snapshotted struct {
	Timeline    *timeline.Timeline
	Initial     timeline.State
	States      []timeline.State
	Divergences []timeline.Divergence
}

// RunSnapshotting runs sc to the end, in timed mode, or with pick, along
// the schedule pick makes: it is given the enabled participants (actor
// indexes, ClockIndex for the clock) and returns the one to move.
func RunSnapshotting(sc *Scenario, opts Options, pick func(enabled []int) int) (*Snapshotted, error) {
	if pick != nil && opts.Schedule == nil {
		opts.Schedule = []string{}
	}
	r, err := NewRunner(sc, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	out := &Snapshotted{}
	if out.Initial, err = r.state(0); err != nil {
		return nil, err
	}
	for {
		if pick == nil {
			more, err := r.stepTimed()
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
		} else {
			en := r.Enabled()
			if len(en) == 0 {
				break
			}
			if _, err := r.Step(pick(en)); err != nil {
				return nil, err
			}
		}
		st, err := r.state(r.now)
		if err != nil {
			return nil, err
		}
		out.States = append(out.States, st)
	}
	if out.Timeline, err = r.Timeline(); err != nil {
		return nil, err
	}
	out.Divergences = divergencesOfStates(r.dataKeys(), out.Initial, out.States, r.events, r.expiries)
	return out, nil
}

// divergencesOfStates is divergences as it was over whole states: every
// data key compared in every state.
func divergencesOfStates(keys []string, initial timeline.State, states []timeline.State, events []timeline.Event, expiries []timeline.Expiry) []timeline.Divergence {
	type open struct {
		d   timeline.Divergence
		val string
	}
	find := func(st timeline.State, k string) (timeline.CacheEntry, bool, timeline.Row, bool) {
		e, inCache := timeline.CacheEntry{}, false
		if i := slices.IndexFunc(st.Cache, func(e timeline.CacheEntry) bool { return e.Key == k }); i >= 0 {
			e, inCache = st.Cache[i], true
		}
		row, hasRow := timeline.Row{}, false
		if i := slices.IndexFunc(st.DB, func(r timeline.Row) bool { return r.Key == k }); i >= 0 {
			row, hasRow = st.DB[i], true
		}
		return e, inCache, row, hasRow
	}
	opened := map[string]*open{}
	var out []timeline.Divergence
	check := func(st timeline.State, at time.Duration, ev int) {
		for _, k := range keys {
			e, inCache, row, hasRow := find(st, k)
			div := inCache && e.Value != row.Value
			o := opened[k]
			start := func() {
				d := timeline.Divergence{Key: k, CacheValue: e.Value, DBValue: row.Value, From: at, CauseEvent: ev, EndEvent: -1, TTLLeft: -1}
				last := map[string]int{} // the cache write before ev, found by a scan back
				for s := ev - 1; s >= 0; s-- {
					if events[s].Key == k && isCacheWrite(events[s]) {
						last[k] = s
						break
					}
				}
				d.Cause = causeText(events, ev, k, e.Value, row, hasRow, last)
				opened[k] = &open{d: d, val: e.Value}
			}
			switch {
			case div && o == nil:
				start()
			case div && o.val != e.Value:
				u := at
				o.d.Until, o.d.End, o.d.EndEvent = &u, "overwrite", ev
				out = append(out, o.d)
				start()
			case !div && o != nil:
				u := at
				o.d.Until, o.d.EndEvent = &u, ev
				switch {
				case !inCache:
					o.d.End = "del"
				case events[ev].IsDB():
					o.d.End = "commit"
				default:
					o.d.End = "overwrite"
				}
				out = append(out, o.d)
				delete(opened, k)
			}
		}
	}
	check(initial, 0, -1)
	ex := 0
	for i, st := range states {
		ev := events[i]
		for ex < len(expiries) && expiries[ex].At <= ev.End {
			x := expiries[ex]
			ex++
			if o := opened[x.Key]; o != nil {
				u := x.At
				o.d.Until, o.d.End, o.d.EndEvent = &u, "expiry", -1
				out = append(out, o.d)
				delete(opened, x.Key)
			}
		}
		check(st, ev.End, i)
	}
	final := initial
	if len(states) > 0 {
		final = states[len(states)-1]
	}
	for _, k := range keys {
		if o := opened[k]; o != nil {
			o.d.End = "end-of-run"
			if e, ok, _, _ := find(final, k); ok {
				o.d.TTLLeft = e.TTL
			}
			out = append(out, o.d)
		}
	}
	slices.SortStableFunc(out, func(a, b timeline.Divergence) int {
		return cmp.Or(cmp.Compare(a.From, b.From), strings.Compare(a.Key, b.Key))
	})
	return out
}
