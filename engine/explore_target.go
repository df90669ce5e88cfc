package engine

import (
	"errors"
	"fmt"

	"github.com/racetape/racetape/timeline"
)

// A Target is a system an Explorer drives, one step at a time: the
// scenario machine (machine.go, the default), a Runner whose cache steps go
// to miniredis (ExploreOptions.RESP and Direct), or actors that are Go code
// (package racetest, through NewSystemExplorer).
//
// Participants are numbered: the actors by index 0..n-1, then the clock,
// n. The search is stateless: it calls Reset and replays a prefix of steps
// whenever it backtracks (the machine also restores saved copies, an
// optimization private to the engine), so a Target must be deterministic:
// the same steps from Reset reach the same state, with the same enabled
// participants and footprints. A partial-order reduction (sleep sets
// today, DPOR later) needs nothing else than Footprint and dependent.
type Target interface {
	// Reset brings the target back to its initial state.
	Reset() error
	// Step runs participant p's next step; p is enabled. It returns
	// ErrPrune when the step turned out to change nothing a schedule can
	// observe, so that every schedule through it repeats one of its
	// siblings' (a clock tick with no timer due, which a Target of Go code
	// cannot know before it tries).
	Step(p int) error
	// Enabled appends to en the participants that can take a step, actors
	// in order, then the clock. None: the schedule is complete.
	Enabled(en []int) []int
	// Footprint returns what actor p's next step touches (p is enabled and
	// not the clock; the clock depends on every step). Who is set by the
	// caller.
	Footprint(p int) Footprint
	// Judge applies the oracle to the complete schedule just run (path:
	// the participants of its steps) and appends the anomaly of each stale
	// read to seen, each once (up to seen's capacity); it reports whether
	// any read is stale.
	Judge(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error)
	// Close releases what the target holds.
	Close()
}

// ErrPrune is returned by Target.Step for a step whose subtree repeats its
// siblings': the search abandons it (counting it in Pruned) and goes on
// from the state before it, reached again by replaying.
var ErrPrune = errors.New("step abandoned: it changes nothing")

// target is Target with the engine's own names, which the machine and
// the Runner target implement; external Targets are wrapped by extTarget.
type target interface {
	reset() error
	step(p int) error
	enabled(en []int) []int
	footprint(p int) Footprint
	judge(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error)
	close()
}

// extTarget adapts a Target to target.
type extTarget struct{ t Target }

func (x extTarget) reset() error              { return x.t.Reset() }
func (x extTarget) step(p int) error          { return x.t.Step(p) }
func (x extTarget) enabled(en []int) []int    { return x.t.Enabled(en) }
func (x extTarget) footprint(p int) Footprint { return x.t.Footprint(p) }
func (x extTarget) judge(path []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	return x.t.Judge(path, seen)
}
func (x extTarget) close() { x.t.Close() }

func (m *machine) footprint(p int) Footprint {
	st, value := m.next(p)
	return m.program.por.footprintOf(p, st, value)
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
	r   *Runner
	por *porInfo
}

func newRunnerTarget(r *Runner, por *porInfo) *runnerTarget { return &runnerTarget{r: r, por: por} }

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

func (t *runnerTarget) footprint(p int) Footprint {
	a := &t.r.actors[p]
	st, _ := a.next()
	return t.por.footprintOf(p, st, a.lastValue)
}

func (t *runnerTarget) judge(_ []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	return t.r.staleAnomalies(seen)
}

func (t *runnerTarget) close() { t.r.Close() }
