package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Limits bound what racetape accepts, so that no input — a scenario file, a
// schedule, a command-line flag — can exhaust memory or run without end.
// Each limit is checked before the work it bounds starts. A field left at
// zero means its default (DefaultLimits); every one can be raised.
type Limits struct {
	// FileSize bounds a scenario file, in bytes (checked by the loader,
	// before it reads past it).
	FileSize int64
	// Steps bounds a scenario's steps, those in if blocks included.
	Steps int
	// Actors bounds a scenario's actors.
	Actors int
	// Keys bounds the distinct keys a scenario names: its db rows, its
	// cache entries and the keys of its steps.
	Keys int
	// Time bounds virtual time: the latest instant a run of the scenario
	// can reach, in any mode (see TimeBound). It can be raised up to
	// MaxTime, the virtual clock's range.
	Time time.Duration
	// Schedule bounds a schedule's entries, after "name*N" expansion.
	Schedule int
	// Workers bounds an exploration's workers.
	Workers int
	// Depth bounds the PCT depth of an exploration.
	Depth int
	// Search bounds what an exhaustive exploration keeps on its search
	// path: one entry per participant (the actors and the clock) at each
	// step of the longest schedule.
	Search int64
}

// DefaultLimits serve any scenario written by hand, and seed-matrix's
// largest form (1,000 actors), with room to spare. A run records what
// each step changed, so memory stays linear in steps + keys: 10,000 steps
// over 1,000 keys take about 1.5 s and 120 MB. More keys cost time the
// record does not: parsing a file's rows (the YAML parser's mappings grow
// quadratically: 10,000 keys allocate 900 MB) and miniredis's clock, which
// visits every key at each step (10,000 keys: 10 s for 10,000 steps).
var DefaultLimits = Limits{
	FileSize: 8 << 20,
	Steps:    10000,
	Actors:   1000,
	Keys:     1000,
	Time:     10 * 365 * 24 * time.Hour,
	Schedule: 100000,
	Workers:  256,
	Depth:    1000,
	Search:   1 << 20,
}

// MaxTime is the virtual clock's range: Limits.Time cannot be raised past
// it. Three times it still fits in a time.Duration, so that no sum of a
// scenario's instants can wrap.
const MaxTime = 80 * 365 * 24 * time.Hour

// DefaultLease is how long a lease.get's lease lasts when the step does not
// say.
const DefaultLease = 10 * time.Second

// The epochs a scenario may have: Redis keeps absolute expiry instants
// (PEXPIREAT) as Unix milliseconds, which start in 1970; the latest leaves
// room for MaxTime within a four-digit year.
var (
	MinEpoch = time.Unix(0, 0).UTC()
	MaxEpoch = time.Date(9900, 1, 1, 0, 0, 0, 0, time.UTC)
)

// ErrLimit is wrapped by every error for an input past a limit.
var ErrLimit = errors.New("over a limit")

// limitErrorf formats an error (its %w verbs wrap as fmt.Errorf's do) that
// also wraps ErrLimit, without saying so in its text.
func limitErrorf(format string, args ...any) error {
	return &limitError{fmt.Errorf(format, args...)}
}

type limitError struct{ err error }

func (e *limitError) Error() string   { return e.err.Error() }
func (e *limitError) Unwrap() []error { return []error{e.err, ErrLimit} }

// WithDefaults returns l with every field left at zero set to its default,
// and Time at most MaxTime.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	keep(&d.FileSize, l.FileSize)
	keep(&d.Steps, l.Steps)
	keep(&d.Actors, l.Actors)
	keep(&d.Keys, l.Keys)
	keep(&d.Time, min(l.Time, MaxTime))
	keep(&d.Schedule, l.Schedule)
	keep(&d.Workers, l.Workers)
	keep(&d.Depth, l.Depth)
	keep(&d.Search, l.Search)
	return d
}

// keep sets *field to v when v is set (positive).
func keep[T int | int64 | time.Duration](field *T, v T) {
	if v > 0 {
		*field = v
	}
}

// StepSpan is the most step st (an atomic step) can move the virtual clock:
// its duration, plus the TTL or lease it sets, which the clock may later
// be advanced to.
func StepSpan(st *Step) time.Duration {
	span := satAdd(st.Took, st.TTL)
	if st.Op == OpLeaseGet {
		lease := st.Lease
		if lease <= 0 {
			lease = DefaultLease
		}
		span = satAdd(span, lease)
	}
	return span
}

// TimeBound returns an instant no run of sc can pass, in timed mode, along
// a schedule, or in exploration: the latest start, seed expiry or absolute
// expiry, plus the span (StepSpan) of every step of every actor, those of
// both branches of each if included. The sum saturates instead of
// wrapping.
//
// Why it holds: the clock only moves to the end of a step — no later than
// where it was, or the actor's start, plus the step's duration — or to a
// pending expiry, which a seed or an absolute expiry put no later than the
// first term, and a step no later than the instant it ran plus its TTL or
// lease. Each step runs at most once.
func TimeBound(sc *Scenario) time.Duration {
	var base, sum time.Duration
	for _, a := range sc.Actors {
		base = max(base, a.At)
		eachStep(a.Steps, func(st *Step) {
			if st.HasExpireAt {
				base = max(base, st.ExpireAt)
			}
			sum = satAdd(sum, StepSpan(st))
		})
	}
	for _, s := range sc.Cache {
		base = max(base, s.TTL)
	}
	return satAdd(base, sum)
}

// Check reports the first way sc goes past l (zero fields: defaults), as an
// error wrapping ErrLimit that names the actor and step to blame. The
// scenario loader reports the same limits with file positions as it reads
// a file; Check is for scenarios built in Go.
func (l Limits) Check(sc *Scenario) error {
	l = l.WithDefaults()
	if len(sc.Actors) > l.Actors {
		return limitErrorf("%d actors, more than the limit of %d (--max-actors)", len(sc.Actors), l.Actors)
	}
	if !sc.Epoch.IsZero() && (sc.Epoch.Before(MinEpoch) || sc.Epoch.After(MaxEpoch)) {
		return limitErrorf("epoch %s is outside %s to %s", sc.Epoch.Format(time.RFC3339), MinEpoch.Format(time.RFC3339), MaxEpoch.Format(time.RFC3339))
	}
	keys := map[string]bool{}
	addKey := func(k string) error {
		if k == "" || keys[k] {
			return nil
		}
		keys[k] = true
		if len(keys) > l.Keys {
			return limitErrorf("key %q is one more than the limit of %d distinct keys (--max-keys)", k, l.Keys)
		}
		return nil
	}
	for _, seeds := range [][]Seed{sc.DB, sc.Cache} {
		for _, s := range seeds {
			if err := addKey(s.Key); err != nil {
				return err
			}
		}
	}
	steps := 0
	for _, a := range sc.Actors {
		var err error
		walkSteps(a.Steps, func(n int, st *Step) bool {
			steps++
			switch {
			case steps > l.Steps:
				err = limitErrorf("actor %q step %d is one more than the limit of %d steps (--max-steps)", a.Name, n, l.Steps)
			default:
				err = addKey(st.Key)
			}
			return err == nil
		})
		if err != nil {
			return err
		}
	}
	if b := TimeBound(sc); b > l.Time {
		return limitErrorf("a run can take the virtual clock to %s, past the limit of %s (--max-time)", fmtBound(b), FormatLimit(l.Time))
	}
	return nil
}

// checkClock reports a scenario whose instants could pass the clock's
// range, whatever the limits: the engine's arithmetic on instants must not
// wrap.
func checkClock(sc *Scenario) error {
	if b := TimeBound(sc); b > MaxTime {
		return limitErrorf("scenario %q can take the virtual clock to %s, past its range of %s", sc.Name, fmtBound(b), FormatLimit(MaxTime))
	}
	return nil
}

// fmtBound writes a bound that may have saturated.
func fmtBound(d time.Duration) string {
	if d > MaxTime {
		return "more than " + FormatLimit(MaxTime)
	}
	return FormatLimit(d)
}

// FormatLimit writes a duration as a limit reads best: "87600h" rather
// than "87600h0m0s", "1h30m", "1.5ms".
func FormatLimit(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}

// walkSteps calls f with every step of steps, if steps and those in their
// blocks included, numbered from 1 in program order, until f returns false.
func walkSteps(steps []Step, f func(n int, st *Step) bool) {
	n := 0
	var walk func([]Step) bool
	walk = func(steps []Step) bool {
		for i := range steps {
			n++
			st := &steps[i]
			if !f(n, st) || !walk(st.Then) || !walk(st.Else) {
				return false
			}
		}
		return true
	}
	walk(steps)
}
