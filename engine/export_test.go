package engine

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/racetape/racetape/timeline"
)

// ModelOptions returns opts with the cache steps on the pure-Go model of
// the cache that exploration uses.
func ModelOptions(opts Options) Options {
	opts.model = true
	return opts
}

// ExploreCheckingState explores sc and, at every complete schedule,
// compares the runner's state (reached by restoring copies at branch
// points) with a fresh runner that replays the schedule from the start.
// It returns the first difference.
func ExploreCheckingState(sc *Scenario, opts ExploreOptions) error {
	ex, err := NewExplorer(sc, opts)
	if err != nil {
		return err
	}
	fresh, err := NewRunner(sc, Options{NoStates: true, model: true})
	if err != nil {
		return err
	}
	defer fresh.Close()
	fresh.lean = true
	var first error
	ex.onLeaf = func(w *worker) {
		if first != nil {
			return
		}
		first = sameRunState(w, fresh)
	}
	if _, err := ex.Run(context.Background()); err != nil {
		return err
	}
	return first
}

func sameRunState(w *worker, fresh *Runner) error {
	if err := fresh.Reset(); err != nil {
		return err
	}
	for _, p := range w.path {
		if p == w.n {
			p = ClockIndex
		}
		if _, err := fresh.Step(p); err != nil {
			return err
		}
	}
	r := w.r
	ttls := func(r *Runner) []pendingExpiry {
		return slices.SortedFunc(slices.Values(r.ttls), func(a, b pendingExpiry) int { return strings.Compare(a.key, b.key) })
	}
	keys := func(r *Runner) []timeline.CacheEntry {
		s, _ := r.cache.snapshot()
		return s
	}
	actors := func(r *Runner) string {
		var b strings.Builder
		for i := range r.actors {
			r.actors[i].normalize()
			a := r.actors[i]
			fmt.Fprintf(&b, "%v %v %v %v %v %v %v %v %v|", a.frames, a.ready, a.taken, a.last, a.lastValue, a.lastVersion, a.hasLast, a.token, a.tokens)
			if a.open != nil {
				fmt.Fprintf(&b, "%v %v %v %v %v %v %v|", a.open.key, a.open.start, a.open.end, a.open.served, a.open.source, a.open.have, a.open.events)
			}
		}
		return b.String()
	}
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"now", r.now, fresh.now},
		{"lanes", r.lanes, fresh.lanes},
		{"clock lane", r.clockLane, fresh.clockLane},
		{"events", r.events, fresh.events},
		{"reads", r.reads, fresh.reads},
		{"expiries", r.expiries, fresh.expiries},
		{"commits", r.db.all, fresh.db.all},
		{"ttls", ttls(r), ttls(fresh)},
		{"cache", keys(r), keys(fresh)},
		{"actors", actors(r), actors(fresh)},
	} {
		if !reflect.DeepEqual(c.got, c.want) && !(emptySlice(c.got) && emptySlice(c.want)) {
			return fmt.Errorf("schedule %v: %s differ:\n got %v\nwant %v", w.path, c.what, c.got, c.want)
		}
	}
	for k, h := range r.db.rows {
		if !slices.Equal(h, fresh.db.rows[k]) {
			return fmt.Errorf("schedule %v: history of %q differs", w.path, k)
		}
	}
	return nil
}

func emptySlice(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Slice && rv.Len() == 0
}
