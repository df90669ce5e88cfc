package engine

import (
	"fmt"

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
	seen, stale, err := m.anomalies(path, seen)
	if err == nil && len(seen) == n && n < cap(seen) && (stale || m.cons.Model != Linearizable) {
		err = errMachine(path)
	}
	return seen, stale, err
}

// errMachine says the machine and the Runner disagree on a schedule.
func errMachine(path []int) error {
	return fmt.Errorf("exploration bug: the machine finds a stale read in schedule %v and the runner none", path)
}

// A runnerTarget explores with a Runner, replaying the prefix at every
// backtrack. It only serves the RESP and Direct paths, where a command
// costs far more than the Runner's bookkeeping.
type runnerTarget struct {
	r *Runner
}

func newRunnerTarget(r *Runner) *runnerTarget { return &runnerTarget{r: r} }

func (t *runnerTarget) reset() error { return t.r.Reset() }

func (t *runnerTarget) step(p int) error {
	if p == len(t.r.actors) {
		p = ClockIndex
	}
	return t.r.step(p)
}

func (t *runnerTarget) enabled(en []int) []int {
	for _, p := range t.r.Enabled() {
		if p == ClockIndex {
			p = len(t.r.actors)
		}
		en = append(en, p)
	}
	return en
}

func (t *runnerTarget) next(p int) (*Step, string) {
	a := &t.r.actors[p]
	st, _ := a.next()
	return st, a.lastValue
}

func (t *runnerTarget) judge(_ []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	return t.r.staleAnomalies(seen)
}

func (t *runnerTarget) close() { t.r.Close() }
