package engine

import (
	"fmt"
	"slices"

	"github.com/racetape/racetape/timeline"
)

// A target is what a worker explores: the machine (machine.go, the
// default), or a Runner whose cache steps go to miniredis through go-redis
// or through its Go API (ExploreOptions.RESP and Direct), the paths that
// show the machine's results are the real server's. Participants are the
// actors by index, then the clock.
type target interface {
	reset() error
	// step runs participant p's next step.
	step(p int) error
	// enabled appends the participants that can take a step to en, actors
	// in order, then the clock.
	enabled(en []int) []int
	// next returns actor p's next step and the value a set without a value
	// of its own would write.
	next(p int) (*Step, string)
	// judge applies the oracle to the complete schedule just run (path) and
	// appends the anomalies of its stale reads to seen, each once.
	judge(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error)
	close()
}

func (m *machine) judge(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	if !m.stale() {
		return seen, false, nil
	}
	n := len(seen)
	seen, err := m.anomalies(path, seen)
	if err == nil && len(seen) == n && n < cap(seen) {
		err = errMachine(path)
	}
	return seen, true, err
}

// errMachine says the machine and the Runner disagree on a schedule.
func errMachine(path []int) error {
	return fmt.Errorf("exploration bug: the machine finds a stale read in schedule %v and the runner none", path)
}

// A runnerTarget explores with a Runner, replaying the prefix at every
// backtrack.
type runnerTarget struct {
	r    *Runner
	live []int // actors with steps left, in order
	// bound is the most time all the actors' programs can take: no
	// remaining time exceeds it.
	bound int64
}

func newRunnerTarget(r *Runner) *runnerTarget {
	t := &runnerTarget{r: r}
	for _, a := range r.sc.Actors {
		t.bound += int64(maxTook(a.Steps))
	}
	return t
}

func (t *runnerTarget) reset() error {
	if err := t.r.Reset(); err != nil {
		return err
	}
	t.live = t.live[:0]
	for i := range t.r.actors {
		if _, ok := t.r.actors[i].next(); ok {
			t.live = append(t.live, i)
		}
	}
	return nil
}

func (t *runnerTarget) step(p int) error {
	if p == len(t.r.actors) {
		return t.r.step(ClockIndex)
	}
	if err := t.r.step(p); err != nil {
		return err
	}
	if _, ok := t.r.actors[p].next(); !ok {
		if i := slices.Index(t.live, p); i >= 0 {
			t.live = slices.Delete(t.live, i, i+1)
		}
	}
	return nil
}

// enabled is Runner.Enabled without allocating.
func (t *runnerTarget) enabled(en []int) []int {
	en = append(en, t.live...)
	// The clock can move when a pending expiry lands within the time the
	// remaining steps can take (checked against bound first: most of the
	// time no expiry is that close).
	r := t.r
	if at, ok := r.nextExpiry(); ok && int64(at) <= int64(r.now)+t.bound {
		var sum int64
		for _, i := range t.live {
			a := &r.actors[i]
			if _, ok := a.next(); ok {
				sum += int64(a.maxRemaining())
			}
		}
		if sum > 0 && int64(at) <= int64(r.now)+sum {
			en = append(en, len(r.actors))
		}
	}
	return en
}

func (t *runnerTarget) next(p int) (*Step, string) {
	a := &t.r.actors[p]
	st, _ := a.next()
	return st, a.lastValue
}

func (t *runnerTarget) judge(_ []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	seen, stale := t.r.staleAnomalies(seen)
	return seen, stale, nil
}

func (t *runnerTarget) close() { t.r.Close() }
