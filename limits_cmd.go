package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"
)

// limitFlags are the --max-* flags: each limit of engine.Limits, with its
// default shown in --help. A command registers the ones that apply to it.
type limitFlags struct {
	lim engine.Limits
}

// newLimitFlags returns flags holding the default limits.
func newLimitFlags() *limitFlags {
	return &limitFlags{lim: engine.DefaultLimits}
}

// addScenario registers the limits on reading a scenario.
func (f *limitFlags) addScenario(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Var((*byteSize)(&f.lim.FileSize), "max-file-size", "largest scenario file read, in bytes or with KiB/MiB/GiB")
	fl.IntVar(&f.lim.Steps, "max-steps", f.lim.Steps, "most steps in a scenario, those in if blocks included")
	fl.IntVar(&f.lim.Actors, "max-actors", f.lim.Actors, "most actors in a scenario")
	fl.IntVar(&f.lim.Keys, "max-keys", f.lim.Keys, "most distinct keys a scenario names (db rows, cache entries, steps)")
	fl.DurationVar(&f.lim.Time, "max-time", f.lim.Time, fmt.Sprintf("latest virtual instant a run may reach: starts, plus every step's duration and TTL (at most %s)", engine.FormatLimit(engine.MaxTime)))
}

// addSchedule registers the limit on --schedule.
func (f *limitFlags) addSchedule(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.lim.Schedule, "max-schedule", f.lim.Schedule, `most entries in --schedule, once "name*N" is expanded`)
}

// addExplore registers the limits on an exploration.
func (f *limitFlags) addExplore(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&f.lim.Workers, "max-workers", f.lim.Workers, "most --workers")
	fl.IntVar(&f.lim.Depth, "max-depth", f.lim.Depth, "deepest --depth")
	fl.Int64Var(&f.lim.Search, "max-search", f.lim.Search, "most search states an exhaustive exploration keeps: (actors+1) × steps of the longest schedule")
}

// limits returns the limits set, checked.
func (f *limitFlags) limits() (engine.Limits, error) {
	l := f.lim
	for _, c := range []struct {
		name string
		n    int64
	}{
		{"--max-file-size", l.FileSize}, {"--max-steps", int64(l.Steps)}, {"--max-actors", int64(l.Actors)},
		{"--max-keys", int64(l.Keys)}, {"--max-time", int64(l.Time)}, {"--max-schedule", int64(l.Schedule)},
		{"--max-workers", int64(l.Workers)}, {"--max-depth", int64(l.Depth)}, {"--max-search", l.Search},
	} {
		if c.n < 1 {
			return l, usageErr(fmt.Errorf("%s must be positive", c.name))
		}
	}
	if l.Time > engine.MaxTime {
		return l, usageErr(fmt.Errorf("--max-time %s: past the virtual clock's range of %s", engine.FormatLimit(l.Time), engine.FormatLimit(engine.MaxTime)))
	}
	return l, nil
}

// A byteSize is a flag for a number of bytes: "8388608", "8MiB", "512KiB",
// "1GiB" (also "8M", "8MB": binary units).
type byteSize int64

func (b *byteSize) String() string {
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return strconv.FormatInt(n>>u.shift, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	num := strings.TrimRight(s, "KMGiBkmgb")
	unit := strings.ToUpper(s[len(num):])
	if u, ok := strings.CutSuffix(unit, "IB"); ok {
		unit = u
	} else {
		unit = strings.TrimSuffix(unit, "B")
	}
	shift := map[string]uint{"": 0, "K": 10, "M": 20, "G": 30}
	sh, ok := shift[unit]
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n < 1 || n > 1<<(62-sh) {
		return fmt.Errorf("want a size such as 8MiB, 512KiB or 1048576")
	}
	*b = byteSize(n << sh)
	return nil
}

func (b *byteSize) Type() string { return "size" }
