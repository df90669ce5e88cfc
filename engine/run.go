// Package engine runs racetape scenarios: actors' programs on a virtual
// clock against a real embedded Redis (miniredis, reached through go-redis
// over its in-process Dial) and an in-memory database with full version
// history, and judges every read with the staleness oracle.
//
// Quick start, from a test:
//
//	sc, _ := presets.Get("cache-aside")
//	tl, err := engine.Run(sc, engine.Options{})
//	if len(tl.StaleReads()) > 0 { … }
//
// Nothing in the engine reads the wall clock: the same scenario and schedule
// give a byte-identical timeline.
package engine

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/racetape/racetape/timeline"
)

// Run executes sc to the end — in timed mode, or along opts.Schedule — and
// returns the recorded timeline with the oracle's verdict.
func Run(sc *Scenario, opts Options) (*timeline.Timeline, error) {
	r, err := NewRunner(sc, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if opts.Schedule == nil {
		if err := r.RunTimed(); err != nil {
			return nil, err
		}
		return r.Timeline()
	}
	if err := r.runSchedule(opts.Schedule); err != nil {
		return nil, err
	}
	return r.Timeline()
}

// runSchedule takes the steps of names, by actor name, from where the
// Runner is, and fails unless that ends the run.
func (r *Runner) runSchedule(names []string) error {
	idx, err := r.resolveSchedule(names)
	if err != nil {
		return err
	}
	for _, i := range idx {
		if _, err := r.Step(i); err != nil {
			return fmt.Errorf("schedule step %d: %w", len(r.events)+1, err)
		}
	}
	if !r.Done() {
		var left []string
		for i := range r.actors {
			if _, ok := r.actors[i].next(); ok {
				left = append(left, r.actors[i].name)
			}
		}
		return fmt.Errorf("%w: the schedule ends with steps left for %s", ErrScheduleActor, strings.Join(left, ", "))
	}
	return nil
}

// resolveSchedule maps actor names to indexes.
func (r *Runner) resolveSchedule(names []string) ([]int, error) {
	idx := make([]int, len(names))
	for k, n := range names {
		if n == timeline.ClockActor {
			idx[k] = ClockIndex
			continue
		}
		found := -1
		for i, a := range r.sc.Actors {
			if a.Name == n {
				found = i
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("%w: entry %d names unknown actor %q (actors: %s)", ErrScheduleActor, k+1, n, strings.Join(r.Actors(), ", "))
		}
		idx[k] = found
	}
	return idx, nil
}

// ErrSchedule is returned by ParseSchedule for malformed schedules.
var ErrSchedule = errors.New("bad schedule")

// ParseSchedule splits a schedule string into actor names. Names are
// separated by spaces or commas; "name*3" repeats a name. A schedule
// expands to at most DefaultLimits.Schedule names.
func ParseSchedule(s string) ([]string, error) {
	return ParseScheduleMax(s, DefaultLimits.Schedule)
}

// ParseScheduleMax is ParseSchedule for a schedule of at most most names
// once expanded (most < 1: the default). A longer one is an error,
// decided before any name is expanded.
func ParseScheduleMax(s string, most int) ([]string, error) {
	if most < 1 {
		most = DefaultLimits.Schedule
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' || r == '\n' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrSchedule)
	}
	// Count first: a schedule too long is refused before it is expanded.
	type entry struct {
		name  string
		count int
	}
	entries := make([]entry, 0, len(fields))
	total := 0
	for k, f := range fields {
		name, count := f, 1
		if i := strings.LastIndexByte(f, '*'); i >= 0 {
			name = f[:i]
			n, err := strconv.Atoi(f[i+1:])
			if err != nil || n < 1 || n > most || strconv.Itoa(n) != f[i+1:] {
				return nil, fmt.Errorf("%w: %q: repeat count must be a whole number from 1 to %d", ErrSchedule, f, most)
			}
			count = n
		}
		if name == "" {
			return nil, fmt.Errorf("%w: %q: missing actor name", ErrSchedule, f)
		}
		if total += count; total > most {
			return nil, limitErrorf("%w: entry %d (%q) makes the schedule longer than %d entries, the limit (--max-schedule)", ErrSchedule, k+1, f, most)
		}
		entries = append(entries, entry{name, count})
	}
	out := make([]string, 0, total)
	for _, e := range entries {
		for range e.count {
			out = append(out, e.name)
		}
	}
	return out, nil
}

// RunPrefix runs the first steps of a schedule and stops, for building a
// schedule one step at a time (the TUI's scheduler mode): it returns the
// timeline of the steps so far and the names of the actors that can take
// the next step ("clock" when a TTL expiry can be moved to). Reads still in
// progress are judged as they stand. An empty schedule gives the initial
// state.
func RunPrefix(sc *Scenario, schedule []string, opts Options) (*timeline.Timeline, []string, error) {
	opts.Schedule = schedule
	if opts.Schedule == nil {
		opts.Schedule = []string{}
	}
	r, err := NewRunner(sc, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	idx, err := r.resolveSchedule(schedule)
	if err != nil {
		return nil, nil, err
	}
	for _, i := range idx {
		if _, err := r.Step(i); err != nil {
			return nil, nil, fmt.Errorf("schedule step %d: %w", len(r.events)+1, err)
		}
	}
	var next []string
	for _, i := range r.Enabled() {
		if i == ClockIndex {
			next = append(next, timeline.ClockActor)
			continue
		}
		next = append(next, r.actors[i].name)
	}
	tl, err := r.Timeline()
	return tl, next, err
}
