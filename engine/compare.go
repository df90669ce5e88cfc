package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// Comparing protocols: the same actors, keys and timings of a scenario,
// run under each cache protocol that applies. A scenario maps when each
// actor is a reader or a writer:
//
//   - a reader is a sequence of read-throughs, "get, on a miss read the row
//     (and maybe sleep) and set it", with sleeps between them; the get and
//     set may be the plain, lease or versioned ones;
//   - a writer is "write, then invalidate": a db.write followed by
//     invalidations (DEL, lease DEL, a set of the value) with sleeps
//     between them, or preceded by a DEL (delete-then-update).
//
// Each protocol then rewrites the programs keeping every duration: the
// get, read and set of a read-through, the reader's pause before its set,
// the write, the first invalidation, and the pauses between steps.

// A Protocol is one way to keep a cache in step with the database.
type Protocol struct {
	Name    string
	Summary string // what the writer and the reader do
}

// Protocols are the protocols Compare runs, in its order.
var Protocols = []Protocol{
	{"update-then-delete", "write the row, then DEL the key (cache-aside); read: GET, on a miss read the row and SET it"},
	{"delete-then-update", "DEL the key, then write the row"},
	{"double-delete", "write, DEL, and DEL again after a delay"},
	{"write-through", "write the row, then SET the new value"},
	{"lease", "write, then DEL the key and its lease; read: take a lease on a miss, SET only while holding it"},
	{"versioned-cas", "write, then set the new row version with a compare-and-set; read: fill with the same compare-and-set"},
	{"ttl-only", "write the row and leave the cache to its TTL"},
}

// ErrCannotCompare is wrapped by the error of a scenario whose actors do
// not map onto readers and writers.
var ErrCannotCompare = errors.New("cannot compare protocols")

// A readPart is one "get, on a miss read and set" of a reader.
type readPart struct {
	key                   string
	get, read, pause, set time.Duration
	ttl                   time.Duration
}

// A writeShape is a writer's "write, then invalidate".
type writeShape struct {
	key, value string
	write      time.Duration
	inval      time.Duration // the first invalidation's duration
	delay      time.Duration // between two invalidations, or 0
	ttl        time.Duration // of a write-through SET
}

// An actorShape is what Compare keeps of an actor: its name, start, and
// a list of parts (read-throughs, writes, pauses).
type actorShape struct {
	name  string
	at    time.Duration
	parts []shapePart
}

type shapePart struct {
	read   *readPart
	write  *writeShape
	direct *Step // a db.read of the primary outside any read-through: kept as it is
	pause  time.Duration
}

func isGet(op Op) bool { return op == OpCacheGet || op == OpLeaseGet || op == OpCASGet }
func isSet(op Op) bool { return op == OpCacheSet || op == OpLeaseSet || op == OpCASSet }
func isDel(op Op) bool { return op == OpCacheDel || op == OpLeaseDel }

// shapeOf maps an actor's program onto read-throughs, writes and pauses.
func shapeOf(a Actor) (actorShape, error) {
	sh := actorShape{name: a.Name, at: a.At}
	steps := a.Steps
	bad := func(st Step, why string) error {
		where := ""
		if st.Pos != "" {
			where = " (" + st.Pos + ")"
		}
		return fmt.Errorf("%w: actor %q, %s%s: %s; compare maps readers (get, on a miss read + set) and writers (write + invalidate)",
			ErrCannotCompare, a.Name, st, where, why)
	}
	for i := 0; i < len(steps); i++ {
		st := steps[i]
		switch {
		case st.Op == OpSleep:
			sh.parts = append(sh.parts, shapePart{pause: st.Took})
		case st.Op == OpDBRead && !st.Replica:
			sh.parts = append(sh.parts, shapePart{direct: &steps[i]})
		case isGet(st.Op):
			rt := &readPart{key: st.Key, get: st.Took}
			if i+1 >= len(steps) || steps[i+1].Op != OpIf || steps[i+1].Cond != "miss" || len(steps[i+1].Else) > 0 {
				return sh, bad(st, "a get must be followed by `if: miss` with the read and the set")
			}
			i++
			then := steps[i].Then
			k := 0
			if k < len(then) && then[k].Op == OpDBRead && then[k].Key == st.Key && !then[k].Replica {
				rt.read = then[k].Took
				k++
			} else {
				return sh, bad(st, "on a miss, a reader reads the row of the same key from the primary")
			}
			if k < len(then) && then[k].Op == OpSleep {
				rt.pause = then[k].Took
				k++
			}
			if k < len(then) && isSet(then[k].Op) && then[k].Key == st.Key && !then[k].HasValue {
				rt.set, rt.ttl = then[k].Took, then[k].TTL
				k++
			} else {
				return sh, bad(st, "on a miss, a reader sets the value it read")
			}
			if k != len(then) {
				return sh, bad(then[k], "a read-through ends with its set")
			}
			sh.parts = append(sh.parts, shapePart{read: rt})
		case st.Op == OpDBWrite || isDel(st.Op):
			w := &writeShape{}
			j := i
			if isDel(st.Op) { // delete-then-update
				w.inval = st.Took
				j++
				for j < len(steps) && steps[j].Op == OpSleep {
					j++
				}
				if j >= len(steps) || steps[j].Op != OpDBWrite || steps[j].Key != st.Key {
					return sh, bad(st, "a DEL belongs to a write of the same key")
				}
			}
			wr := steps[j]
			w.key, w.value, w.write = wr.Key, wr.Value, wr.Took
			j++
			// The invalidations after it.
			n := 0
			var gap time.Duration
			for ; j < len(steps); j++ {
				s := steps[j]
				if s.Op == OpSleep {
					gap += s.Took
					continue
				}
				if s.Key != w.key || !(isDel(s.Op) || (isSet(s.Op) && s.HasValue == false)) {
					break
				}
				if n == 0 && w.inval == 0 {
					w.inval = s.Took
				} else if w.delay == 0 {
					w.delay = gap
				}
				if isSet(s.Op) {
					w.ttl = s.TTL
				}
				gap = 0
				n++
			}
			// Pauses after the last invalidation stay pauses.
			for j > i && steps[j-1].Op == OpSleep {
				j--
			}
			sh.parts = append(sh.parts, shapePart{write: w})
			i = j - 1
		default:
			return sh, bad(st, "not part of a read-through or of a write")
		}
	}
	return sh, nil
}

// A CompareOptions says how Compare judges each protocol.
type CompareOptions struct {
	// Bound is D of the bounded:D model (0: 1s).
	Bound time.Duration
	// Delay is the double delete's delay when the scenario has none (0:
	// 10ms).
	Delay time.Duration
	// Explore are the exploration options for each protocol and model (nil:
	// exhaustive, reduced, at most 100,000 schedules; 2,000 random
	// schedules, seed 1, for scenarios of more than 8 actors).
	Explore *ExploreOptions
	// Progress, when set, is called before each protocol is run.
	Progress func(done, total int, protocol string)
}

// A Cost counts what a protocol sends to Redis: round trips, and the
// Redis commands they carry (a script's calls count one each).
type Cost struct {
	RoundTrips int `json:"round_trips"`
	Commands   int `json:"commands"`
}

// A ProtocolResult is one row of the comparison.
type ProtocolResult struct {
	Protocol string `json:"protocol"`
	Summary  string `json:"summary"`
	// Scenario is the scenario rewritten for the protocol.
	Scenario *Scenario `json:"-"`
	// StaleReads counts the stale reads of the timed run (strict).
	StaleReads int `json:"stale_reads"`
	// Explored is the exploration under strict.
	SchedulesRun   int64                      `json:"schedules_run"`
	StaleSchedules int64                      `json:"stale_schedules"`
	Complete       bool                       `json:"complete"`
	Anomalies      map[timeline.Anomaly]int64 `json:"anomalies"`
	// LongestDivergence is the longest interval of the timed run where the
	// cache differed from the database (0: none); OpenAtEnd says it was
	// still open at the end.
	LongestDivergence   time.Duration `json:"-"`
	LongestDivergenceUS int64         `json:"longest_divergence_us"`
	OpenAtEnd           bool          `json:"diverged_at_end"`
	// Passes says, per model ("strict", "linearizable", "bounded:D"),
	// whether exploration found no stale schedule; a search cut short
	// that found none is not a pass (Verdicts says "unknown").
	Passes   map[string]bool   `json:"passes"`
	Verdicts map[string]string `json:"verdicts"` // "pass", "fail" or "unknown"
	// Costs per read (hit, miss) and per write, and what they add to
	// update-then-delete's.
	ReadHit    Cost `json:"read_hit"`
	ReadMiss   Cost `json:"read_miss"`
	Write      Cost `json:"write"`
	ExtraRead  Cost `json:"extra_per_read_miss"`
	ExtraWrite Cost `json:"extra_per_write"`
}

// Models returns the models Compare judges by, in order.
func (o CompareOptions) Models() []Consistency {
	return []Consistency{{}, {Model: Linearizable}, {Model: Bounded, Bound: o.bound()}}
}

func (o CompareOptions) bound() time.Duration {
	if o.Bound > 0 {
		return o.Bound
	}
	return time.Second
}

// ProtocolScenarios rewrites sc under each protocol, or says why it
// cannot.
func ProtocolScenarios(sc *Scenario, opts CompareOptions) ([]*Scenario, error) {
	var shapes []actorShape
	delay, ttl := time.Duration(0), time.Duration(0)
	for _, a := range sc.Actors {
		sh, err := shapeOf(a)
		if err != nil {
			return nil, err
		}
		for _, p := range sh.parts {
			if p.write != nil && p.write.delay > delay {
				delay = p.write.delay
			}
			if p.read != nil {
				ttl = max(ttl, p.read.ttl)
			}
		}
		shapes = append(shapes, sh)
	}
	// A writer that sets the cache (write-through, versioned CAS) gives
	// the entry its own TTL, or the readers'.
	for _, sh := range shapes {
		for _, p := range sh.parts {
			if p.write != nil && p.write.ttl == 0 {
				p.write.ttl = ttl
			}
		}
	}
	if delay == 0 {
		delay = opts.Delay
		if delay == 0 {
			delay = 10 * time.Millisecond
		}
	}
	if sc.Replica != nil {
		return nil, fmt.Errorf("%w: the scenario reads a replica; compare maps reads of the primary", ErrCannotCompare)
	}
	var out []*Scenario
	for _, p := range Protocols {
		c := &Scenario{Name: sc.Name + " · " + p.Name, Title: p.Name + ": " + p.Summary, Description: sc.Description,
			Epoch: sc.Epoch, File: sc.File, DB: slices.Clone(sc.DB), Consistency: sc.Consistency}
		for _, s := range sc.Cache {
			if p.Name == "versioned-cas" {
				s.Version = seedVersion(sc, s.Key, s.Value)
			}
			c.Cache = append(c.Cache, s)
		}
		for _, sh := range shapes {
			c.Actors = append(c.Actors, Actor{Name: sh.name, At: sh.at, Steps: protocolSteps(p.Name, sh, delay)})
		}
		out = append(out, c)
	}
	return out, nil
}

// seedVersion is the row version a versioned cache seed carries: the seed
// row's (1) when the values agree, else 0 — an entry older than any row.
func seedVersion(sc *Scenario, key, value string) int {
	for _, s := range sc.DB {
		if s.Key == key && s.Value == value {
			return 1
		}
	}
	return 0
}

// protocolSteps writes an actor's program under protocol p.
func protocolSteps(p string, sh actorShape, delay time.Duration) []Step {
	var steps []Step
	get, set, del := OpCacheGet, OpCacheSet, OpCacheDel
	switch p {
	case "lease":
		get, set, del = OpLeaseGet, OpLeaseSet, OpLeaseDel
	case "versioned-cas":
		get, set = OpCASGet, OpCASSet
	}
	for _, part := range sh.parts {
		switch {
		case part.read != nil:
			r := part.read
			then := []Step{{Op: OpDBRead, Key: r.key, Took: r.read}}
			if r.pause > 0 {
				then = append(then, Step{Op: OpSleep, Took: r.pause})
			}
			then = append(then, Step{Op: set, Key: r.key, TTL: r.ttl, Took: r.set})
			steps = append(steps, Step{Op: get, Key: r.key, Took: r.get}, Step{Op: OpIf, Cond: "miss", Then: then})
		case part.direct != nil:
			steps = append(steps, *part.direct)
		case part.write != nil:
			w := part.write
			inval := max(w.inval, time.Millisecond)
			write := Step{Op: OpDBWrite, Key: w.key, Value: w.value, HasValue: true, Took: w.write}
			d := Step{Op: del, Key: w.key, Took: inval}
			switch p {
			case "delete-then-update":
				steps = append(steps, d, write)
			case "double-delete":
				steps = append(steps, write, d, Step{Op: OpSleep, Took: delay}, d)
			case "write-through":
				steps = append(steps, write, Step{Op: OpCacheSet, Key: w.key, TTL: w.ttl, Took: inval})
			case "versioned-cas":
				steps = append(steps, write, Step{Op: OpCASSet, Key: w.key, TTL: w.ttl, Took: inval})
			case "ttl-only":
				steps = append(steps, write)
			default:
				steps = append(steps, write, d)
			}
		default:
			steps = append(steps, Step{Op: OpSleep, Took: part.pause})
		}
	}
	return steps
}

// stepCost is what one step sends to Redis when its result is result.
func stepCost(op Op, result string) Cost {
	switch op {
	case OpCacheGet, OpCacheSet, OpCacheDel, OpCacheExpire, OpCASGet:
		return Cost{1, 1}
	case OpLeaseGet:
		if result == "hit" {
			return Cost{1, 1} // GET
		}
		return Cost{1, 2} // GET, SET NX
	case OpLeaseSet:
		return Cost{1, 3} // GET lease, SET, DEL lease
	case OpLeaseDel:
		return Cost{1, 1} // DEL key lease
	case OpCASSet:
		return Cost{1, 3} // HGET, HSET, PEXPIRE
	}
	return Cost{}
}

// protocolCosts counts a protocol's read (hit, miss) and write.
func protocolCosts(sc *Scenario) (hit, miss, write Cost) {
	add := func(a *Cost, b Cost) { a.RoundTrips += b.RoundTrips; a.Commands += b.Commands }
	readDone, writeDone := false, false
	for _, a := range sc.Actors {
		steps := a.Steps
		for i, st := range steps {
			switch {
			case isGet(st.Op) && !readDone && i+1 < len(steps):
				add(&hit, stepCost(st.Op, "hit"))
				add(&miss, stepCost(st.Op, "miss"))
				for _, t := range steps[i+1].Then {
					add(&miss, stepCost(t.Op, ""))
				}
				readDone = true
			case st.Op == OpDBWrite && !writeDone:
				writeDone = true
				for _, t := range steps {
					if t.Op != OpDBWrite && t.Op != OpSleep && !isGet(t.Op) && t.Op != OpIf {
						add(&write, stepCost(t.Op, ""))
					}
				}
			}
		}
	}
	return hit, miss, write
}

// Compare runs sc under each protocol: the timed run, and an exploration
// under each consistency model. The scenario's own model is ignored.
func Compare(ctx context.Context, sc *Scenario, opts CompareOptions) ([]ProtocolResult, error) {
	scs, err := ProtocolScenarios(sc, opts)
	if err != nil {
		return nil, err
	}
	eo := ExploreOptions{Limit: 100_000}
	if len(sc.Actors) > 8 {
		eo = ExploreOptions{Mode: Random, Samples: 2000, Seed: 1}
	}
	if opts.Explore != nil {
		eo = *opts.Explore
	}
	var out []ProtocolResult
	var baseMiss, baseWrite Cost
	for i, p := range Protocols {
		if opts.Progress != nil {
			opts.Progress(i, len(Protocols), p.Name)
		}
		c := scs[i]
		c.Consistency = Consistency{}
		res := ProtocolResult{Protocol: p.Name, Summary: p.Summary, Scenario: c,
			Passes: map[string]bool{}, Verdicts: map[string]string{}}
		tl, err := Run(c, Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.Name, err)
		}
		res.StaleReads = len(tl.StaleReads())
		for _, d := range tl.Divergences {
			end := tl.End()
			if d.Until != nil {
				end = *d.Until
			} else {
				res.OpenAtEnd = true
			}
			res.LongestDivergence = max(res.LongestDivergence, end-d.From)
		}
		res.LongestDivergenceUS = res.LongestDivergence.Microseconds()
		for _, m := range opts.Models() {
			judged := *c
			judged.Consistency = m
			er, err := Explore(ctx, &judged, eo)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", p.Name, m, err)
			}
			// The timed run is judged too: explored schedules run each
			// step as soon as the previous one ends, without its gaps.
			timed, err := Run(&judged, Options{NoStates: true})
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", p.Name, m, err)
			}
			if m.Model == Strict {
				res.SchedulesRun, res.StaleSchedules, res.Complete, res.Anomalies = er.SchedulesRun, er.StaleSchedules, er.Complete, er.Anomalies
			}
			v := "pass"
			switch {
			case er.StaleSchedules > 0 || len(timed.StaleReads()) > 0:
				v = "fail"
			case !er.Complete || eo.Mode != Exhaustive:
				v = "unknown"
			}
			res.Verdicts[m.String()] = v
			res.Passes[m.String()] = v == "pass"
		}
		res.ReadHit, res.ReadMiss, res.Write = protocolCosts(c)
		if i == 0 {
			baseMiss, baseWrite = res.ReadMiss, res.Write
		}
		res.ExtraRead = Cost{res.ReadMiss.RoundTrips - baseMiss.RoundTrips, res.ReadMiss.Commands - baseMiss.Commands}
		res.ExtraWrite = Cost{res.Write.RoundTrips - baseWrite.RoundTrips, res.Write.Commands - baseWrite.Commands}
		out = append(out, res)
	}
	return out, nil
}

// MappingText says how compare mapped sc's actors: who reads and who
// writes, with their timings.
func MappingText(sc *Scenario) string {
	var rs, ws []string
	for _, a := range sc.Actors {
		sh, err := shapeOf(a)
		if err != nil {
			continue
		}
		for _, p := range sh.parts {
			switch {
			case p.read != nil:
				r := p.read
				s := fmt.Sprintf("%s (get %s, read %s", a.Name, r.get, r.read)
				if r.pause > 0 {
					s += fmt.Sprintf(", pause %s", r.pause)
				}
				rs = append(rs, s+fmt.Sprintf(", set %s)", r.set))
			case p.write != nil:
				ws = append(ws, fmt.Sprintf("%s (write %s=%s %s, invalidate %s)", a.Name, p.write.key, p.write.value, p.write.write, max(p.write.inval, time.Millisecond)))
			}
		}
	}
	return "readers (get, on a miss read + set): " + strings.Join(dedupe(rs), ", ") +
		"; writers (write + invalidate): " + strings.Join(dedupe(ws), ", ")
}

// CompareTable is the comparison as text, as racetape compare prints it
// and the TUI shows it: a heading row, then one row per result. The
// columns are: protocol, stale (the timed run's stale reads), explored
// (stale schedules / schedules, "+" when the search stopped at its limit),
// anomalies ("stale-hit 2, stale-set 4", "-"), longest ≠ ("3.5ms (open)",
// "-"), one per model of opts.Models() ("✓ pass", "✗ fail", "? partial"),
// then read hit, read miss and write: "2 RT (5)", round trips and
// commands, with what they add to update-then-delete ("[+0 RT, +3]").
func CompareTable(res []ProtocolResult, opts CompareOptions) [][]string {
	models := opts.Models()
	head := []string{"protocol", "stale", "explored", "anomalies", "longest ≠"}
	for _, m := range models {
		head = append(head, m.String())
	}
	head = append(head, "read hit", "read miss", "write")
	rows := [][]string{head}
	for _, r := range res {
		var an []string
		for _, a := range timeline.SortedAnomalies(r.Anomalies) {
			an = append(an, fmt.Sprintf("%s %d", a, r.Anomalies[a]))
		}
		if len(an) == 0 {
			an = []string{"-"}
		}
		explored := fmt.Sprintf("%d/%d", r.StaleSchedules, r.SchedulesRun)
		if !r.Complete {
			explored += "+"
		}
		div := "-"
		if r.LongestDivergence > 0 {
			div = r.LongestDivergence.String()
			if r.OpenAtEnd {
				div += " (open)"
			}
		}
		row := []string{r.Protocol, fmt.Sprint(r.StaleReads), explored, strings.Join(an, ", "), div}
		for _, m := range models {
			row = append(row, map[string]string{"pass": "✓ pass", "fail": "✗ fail", "unknown": "? partial"}[r.Verdicts[m.String()]])
		}
		row = append(row, r.ReadHit.cell(Cost{}), r.ReadMiss.cell(r.ExtraRead), r.Write.cell(r.ExtraWrite))
		rows = append(rows, row)
	}
	return rows
}

// cell renders "2 RT (4)" or, with what it adds, "2 RT (4) [+1 RT, +1]".
func (c Cost) cell(extra Cost) string {
	s := fmt.Sprintf("%d RT (%d)", c.RoundTrips, c.Commands)
	if extra != (Cost{}) {
		s += fmt.Sprintf(" [%+d RT, %+d]", extra.RoundTrips, extra.Commands)
	}
	return s
}
