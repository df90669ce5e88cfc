package timeline

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A JSONRun is the stable JSON form of a Timeline, as `racetape run --json`
// prints it. Field order is fixed by the struct, names are snake_case, and
// every instant or duration is an integer count of microseconds (_us) from
// the scenario epoch. Slices are never null: an empty list renders as [].
// The per-step states are left out (only the final one is kept); the
// Timeline has them.
type JSONRun struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Mode     string `json:"mode"`
	// Consistency is the model the reads were judged by: "strict",
	// "linearizable" or "bounded:D".
	Consistency string `json:"consistency"`
	Epoch       string `json:"epoch"` // RFC 3339 with nanoseconds
	Backend     string `json:"backend"`
	ExpiryRule  string `json:"expiry_rule"`
	// Schedule is the actor of every step, space-separated: the form
	// --schedule replays.
	Schedule    string           `json:"schedule"`
	Actors      []string         `json:"actors"`
	Verdict     JSONVerdict      `json:"verdict"`
	StaleReads  []JSONStaleRead  `json:"stale_reads"`
	Reads       []JSONRead       `json:"reads"`
	Divergences []JSONDivergence `json:"divergences"`
	// Seeds are the database rows the run starts with: there before the
	// first instant, not commits at 0.
	Seeds   []JSONSeed   `json:"seeds"`
	Commits []JSONCommit `json:"commits"`
	// Operations are the write operations the linearizable model judges
	// by (listed under every model).
	Operations []JSONOperation `json:"operations"`
	Expiries   []JSONExpiry    `json:"expiries"`
	Events     []JSONEvent     `json:"events"`
	FinalState JSONState       `json:"final_state"`
	// Tape fields (TapeJSON only): what FromJSON needs to rebuild the
	// Timeline the TUI draws. Description, the consistency rule, the
	// state before the first step and what every step changed in it.
	Description     string            `json:"description,omitempty"`
	ConsistencyRule string            `json:"consistency_rule,omitempty"`
	InitialState    *JSONState        `json:"initial_state,omitempty"`
	StateChanges    []JSONStateChange `json:"state_changes,omitempty"`
	// States is the whole state after every step, as tapes were written
	// before they kept only the changes; FromJSON still reads it.
	States []JSONState `json:"states,omitempty"`
}

// A JSONVerdict counts what the oracle found. Anomalies maps each anomaly
// name to its number of stale reads (keys sorted, as encoding/json does).
type JSONVerdict struct {
	StaleReads  int            `json:"stale_reads"`
	Divergences int            `json:"divergences"`
	Anomalies   map[string]int `json:"anomalies"`
}

// A JSONStaleRead is a Read as listed in stale_reads. Current, Anomaly and
// Why are the oracle's: the values committed during [start_us, end_us], the
// anomaly name and one sentence. Events are the Seq numbers of its steps.
type JSONStaleRead struct {
	Actor   string   `json:"actor"`
	Key     string   `json:"key"`
	Source  string   `json:"source"`
	Served  string   `json:"served"`
	Current []string `json:"current"`
	StartUS int64    `json:"start_us"`
	EndUS   int64    `json:"end_us"`
	Anomaly string   `json:"anomaly"`
	Why     string   `json:"why"`
	Events  []int    `json:"events"`
}

// A JSONRead is any Read as listed in reads: the fields of a stale read plus
// the verdict.
type JSONRead struct {
	JSONStaleRead
	Stale bool `json:"stale"`
}

// A JSONDivergence is a Divergence. UntilUS is null while the cache still
// diverged at the end of the run; TTLLeftUS is set only then, and only when
// the entry had a TTL. CauseEvent and EndEvent are Seq numbers (-1: the
// initial state, or an expiry / the end of the run).
type JSONDivergence struct {
	Key        string `json:"key"`
	CacheValue string `json:"cache_value"`
	DBValue    string `json:"db_value"`
	FromUS     int64  `json:"from_us"`
	UntilUS    *int64 `json:"until_us"`
	Cause      string `json:"cause"`
	CauseEvent int    `json:"cause_event"`
	End        string `json:"end"`
	EndEvent   int    `json:"end_event"`
	TTLLeftUS  *int64 `json:"ttl_left_us"`
}

// A JSONSeed is a database row the run starts with.
type JSONSeed struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// A JSONCommit is a Commit by an actor; Event is the Seq of its db.write.
// Versions count the seed row, if the key has one, as version 1.
type JSONCommit struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Version int    `json:"version"`
	AtUS    int64  `json:"at_us"`
	Actor   string `json:"actor"`
	Event   int    `json:"event"`
}

// A JSONOperation is an Operation: a write of value to key by actor over
// [start_us, end_us]; Events are the Seq numbers of its steps.
type JSONOperation struct {
	Actor   string `json:"actor"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	Version int    `json:"version,omitempty"`
	StartUS int64  `json:"start_us"`
	EndUS   int64  `json:"end_us"`
	Events  []int  `json:"events"`
}

// A JSONExpiry is an Expiry.
type JSONExpiry struct {
	Key   string `json:"key"`
	Value string `json:"value"`
	AtUS  int64  `json:"at_us"`
}

// A JSONEvent is an Event.
type JSONEvent struct {
	Seq     int    `json:"seq"`
	Actor   string `json:"actor"`
	Step    int    `json:"step"`
	Op      string `json:"op"`
	Key     string `json:"key"`
	Command string `json:"command"`
	Result  string `json:"result"`
	Value   string `json:"value"`
	Version int    `json:"version,omitempty"`
	StartUS int64  `json:"start_us"`
	EndUS   int64  `json:"end_us"`
	Note    string `json:"note,omitempty"`
}

// A JSONState is the cache and database after the last step (or, in a
// tape, after any step: AtUS is then its instant). Replica is left out
// when the scenario has none.
type JSONState struct {
	AtUS    int64            `json:"at_us,omitempty"`
	Cache   []JSONCacheEntry `json:"cache"`
	DB      []JSONRow        `json:"db"`
	Replica []JSONRow        `json:"replica,omitempty"`
}

// A JSONStateChange is what one step of a tape changed in the state, by
// key: the cache entries it set (their TTL left at AtUS) and the keys it
// removed from the cache (deleted, or their TTL ran out), the database and
// replica rows it wrote, and the rows it removed. Each list is sorted by
// key, and a key is in at most one list of its part. The state after step
// i is the initial state with the changes of steps 0 to i applied; AtUS is
// its instant.
type JSONStateChange struct {
	AtUS        int64            `json:"at_us"`
	Cache       []JSONCacheEntry `json:"cache,omitempty"`
	CacheGone   []string         `json:"cache_gone,omitempty"`
	DB          []JSONRow        `json:"db,omitempty"`
	DBGone      []string         `json:"db_gone,omitempty"`
	Replica     []JSONRow        `json:"replica,omitempty"`
	ReplicaGone []string         `json:"replica_gone,omitempty"`
}

// A JSONCacheEntry is a CacheEntry; TTLUS is -1 when the key has no TTL.
type JSONCacheEntry struct {
	Key     string `json:"key"`
	Value   string `json:"value"`
	Version int    `json:"version,omitempty"`
	TTLUS   int64  `json:"ttl_us"`
}

// A JSONRow is a database Row.
type JSONRow struct {
	Key           string `json:"key"`
	Value         string `json:"value"`
	Version       int    `json:"version"`
	CommittedAtUS int64  `json:"committed_at_us"`
	Actor         string `json:"actor"`
}

// JSON returns the stable JSON form of t (see JSONRun), indented with two
// spaces, without a final newline (as json.MarshalIndent). Identical
// timelines give identical bytes.
func (t *Timeline) JSON() []byte { return encodeJSON(t.JSONRun()) }

// encodeJSON encodes run, indented with two spaces, without a final
// newline.
func encodeJSON(run *JSONRun) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(run); err != nil {
		// Only strings, integers and string-keyed maps: encoding cannot fail.
		panic("timeline: encode json: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// TapeJSON returns the JSON form of t with what a viewer needs to show it
// step by step (see FromJSON): a tape. It is JSON plus the description,
// the consistency rule, the state before the first step and what every
// step changed in it (see JSONStateChange): its size is linear in the
// steps and keys.
func (t *Timeline) TapeJSON() []byte {
	run := t.JSONRun()
	run.Description, run.ConsistencyRule = t.Description, t.ConsistencyRule
	init := jsonState(t.Initial)
	init.AtUS = t.Initial.At.Microseconds()
	run.InitialState = &init
	run.StateChanges = make([]JSONStateChange, t.States.Len())
	for i := range run.StateChanges {
		run.StateChanges[i] = t.States.jsonChange(i)
	}
	return encodeJSON(run)
}

// jsonChange is what step i changed, as a tape writes it.
func (l *StateLog) jsonChange(i int) JSONStateChange {
	at := l.steps[i].at
	out := JSONStateChange{AtUS: at.Microseconds()}
	for _, c := range l.changesOf(i) {
		switch {
		case c.part == PartCache && c.gone:
			out.CacheGone = append(out.CacheGone, c.key)
		case c.part == PartCache:
			out.Cache = append(out.Cache, jsonEntry(c.entry(at)))
		case c.part == PartDB && c.gone:
			out.DBGone = append(out.DBGone, c.key)
		case c.part == PartDB:
			out.DB = append(out.DB, jsonRow(c.row()))
		case c.gone:
			out.ReplicaGone = append(out.ReplicaGone, c.key)
		default:
			out.Replica = append(out.Replica, jsonRow(c.row()))
		}
	}
	return out
}

// FromJSON rebuilds a Timeline from its JSON form: the tape of a run
// (TapeJSON) gives back the timeline it was written from, as far as the
// lanes, the inspector, the narration and the anomaly marks show it
// (instants are whole microseconds). A tape written with the whole state
// after every step (States) reads as well. The JSON form of `run --json`
// has no per-step states: its timeline then shows the final state at every
// step.
func FromJSON(run *JSONRun) (*Timeline, error) {
	us := usDuration
	epoch, err := time.Parse(time.RFC3339Nano, run.Epoch)
	if err != nil {
		return nil, fmt.Errorf("timeline: epoch %q: %w", run.Epoch, err)
	}
	t := &Timeline{
		Scenario: run.Scenario, Title: run.Title, Description: run.Description, Epoch: epoch, Mode: run.Mode,
		Consistency: run.Consistency, ConsistencyRule: run.ConsistencyRule, Actors: append([]string{}, run.Actors...),
		ExpiryRule: run.ExpiryRule, Backend: run.Backend, Clock: true,
	}
	if run.Schedule != "" {
		t.Schedule = strings.Fields(run.Schedule)
	}
	lanes := map[string]int{}
	for i, a := range t.Actors {
		lanes[a] = i
	}
	for i, e := range run.Events {
		lane, ok := lanes[e.Actor]
		if !ok {
			return nil, fmt.Errorf("timeline: event %d: actor %q is not among the actors", i, e.Actor)
		}
		if e.Seq != i {
			return nil, fmt.Errorf("timeline: event %d has seq %d", i, e.Seq)
		}
		t.Events = append(t.Events, Event{Seq: e.Seq, Actor: e.Actor, Lane: lane, Step: e.Step, Op: e.Op, Key: e.Key,
			Command: e.Command, Result: e.Result, Value: e.Value, Version: e.Version, Start: us(e.StartUS), End: us(e.EndUS), Note: e.Note})
	}
	seqOK := func(what string, seqs []int) error {
		for _, s := range seqs {
			if s < -1 || s >= len(t.Events) {
				return fmt.Errorf("timeline: %s names event %d of %d", what, s, len(t.Events))
			}
		}
		return nil
	}
	for i, r := range run.Reads {
		if err := seqOK(fmt.Sprintf("read %d", i), r.Events); err != nil {
			return nil, err
		}
		rd := Read{Actor: r.Actor, Key: r.Key, Source: Source(r.Source), Served: r.Served, Start: us(r.StartUS), End: us(r.EndUS),
			Events: append([]int{}, r.Events...), Stale: r.Stale, Anomaly: Anomaly(r.Anomaly), Why: r.Why, Cause: -1}
		if r.Stale {
			rd.Current = append([]string{}, r.Current...)
		}
		t.Reads = append(t.Reads, rd)
	}
	for _, d := range run.Divergences {
		if err := seqOK("divergence", []int{d.CauseEvent, d.EndEvent}); err != nil {
			return nil, err
		}
		dv := Divergence{Key: d.Key, CacheValue: d.CacheValue, DBValue: d.DBValue, From: us(d.FromUS), Cause: d.Cause,
			CauseEvent: d.CauseEvent, End: d.End, EndEvent: d.EndEvent, TTLLeft: -1}
		if d.UntilUS != nil {
			u := us(*d.UntilUS)
			dv.Until = &u
		}
		if d.TTLLeftUS != nil {
			dv.TTLLeft = us(*d.TTLLeftUS)
		}
		t.Divergences = append(t.Divergences, dv)
	}
	versions := map[string]int{}
	for _, s := range run.Seeds {
		versions[s.Key]++
		t.Commits = append(t.Commits, Commit{Key: s.Key, Value: s.Value, Version: versions[s.Key], Actor: "seed", Event: -1, Seed: true})
	}
	for _, c := range run.Commits {
		t.Commits = append(t.Commits, Commit{Key: c.Key, Value: c.Value, Version: c.Version, At: us(c.AtUS), Actor: c.Actor, Event: c.Event})
	}
	for _, o := range run.Operations {
		op := Operation{Actor: o.Actor, Key: o.Key, Value: o.Value, Version: o.Version, Start: us(o.StartUS), End: us(o.EndUS), Events: append([]int{}, o.Events...)}
		if op.Version == 0 { // a tape written before operations kept their version
			for _, seq := range op.Events {
				if i := t.eventIndex(seq); i >= 0 && t.Events[i].Op == "db.write" && t.Events[i].Key == op.Key {
					op.Version = t.Events[i].Version
				}
			}
		}
		t.Operations = append(t.Operations, op)
	}
	for _, x := range run.Expiries {
		t.Expiries = append(t.Expiries, Expiry{Key: x.Key, Value: x.Value, At: us(x.AtUS)})
	}
	n := len(t.Events)
	switch {
	case run.InitialState != nil && len(run.States) == 0 && len(run.StateChanges) == n:
		t.Initial = fromJSONState(*run.InitialState)
		rec := NewStateRecorder(t.Initial)
		for _, c := range run.StateChanges {
			rec.Step(us(c.AtUS))
			c.apply(rec)
		}
		t.States = rec.Log()
	case run.InitialState != nil && len(run.StateChanges) == 0 && len(run.States) == n:
		t.Initial = fromJSONState(*run.InitialState)
		states := make([]State, n)
		for i, s := range run.States {
			states[i] = fromJSONState(s)
		}
		t.States = NewStateLog(t.Initial, states)
	case run.InitialState != nil || len(run.States) > 0 || len(run.StateChanges) > 0:
		return nil, fmt.Errorf("timeline: %d states and %d state changes for %d events", len(run.States), len(run.StateChanges), n)
	default:
		final := fromJSONState(run.FinalState)
		t.Initial = final
		rec := NewStateRecorder(final)
		for range n {
			rec.Step(final.At)
		}
		t.States = rec.Log()
	}
	return t, nil
}

func usDuration(n int64) time.Duration { return time.Duration(n) * time.Microsecond }

// fromJSONState is s as a State.
func fromJSONState(s JSONState) State {
	st := State{At: usDuration(s.AtUS), Cache: []CacheEntry{}, DB: fromJSONRows(s.DB)}
	for _, e := range s.Cache {
		st.Cache = append(st.Cache, fromJSONEntry(e))
	}
	if s.Replica != nil {
		st.Replica = fromJSONRows(s.Replica)
	}
	return st
}

func fromJSONEntry(e JSONCacheEntry) CacheEntry {
	ttl := time.Duration(-1)
	if e.TTLUS >= 0 {
		ttl = usDuration(e.TTLUS)
	}
	return CacheEntry{Key: e.Key, Value: e.Value, Version: e.Version, TTL: ttl}
}

func fromJSONRow(r JSONRow) Row {
	return Row{Key: r.Key, Value: r.Value, Version: r.Version, CommittedAt: usDuration(r.CommittedAtUS), Actor: r.Actor}
}

func fromJSONRows(rows []JSONRow) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		out = append(out, fromJSONRow(r))
	}
	return out
}

// apply records the changes of c in rec's open step.
func (c *JSONStateChange) apply(rec *StateRecorder) {
	for _, e := range c.Cache {
		rec.SetCache(fromJSONEntry(e))
	}
	for _, k := range c.CacheGone {
		rec.DropCache(k)
	}
	for _, r := range c.DB {
		rec.SetRow(fromJSONRow(r))
	}
	for _, k := range c.DBGone {
		rec.drop(PartDB, k)
	}
	for _, r := range c.Replica {
		rec.SetReplicaRow(fromJSONRow(r))
	}
	for _, k := range c.ReplicaGone {
		rec.drop(PartReplica, k)
	}
}

// ParseJSON decodes the JSON form of a run, as JSON produces it.
func ParseJSON(data []byte) (*JSONRun, error) {
	var run JSONRun
	if err := json.Unmarshal(data, &run); err != nil {
		return nil, fmt.Errorf("timeline: parse json: %w", err)
	}
	return &run, nil
}

// JSONRun returns the JSON form of t as Go values; JSON encodes it.
func (t *Timeline) JSONRun() *JSONRun {
	run := &JSONRun{
		Scenario:    t.Scenario,
		Title:       t.Title,
		Mode:        t.Mode,
		Consistency: cmp.Or(t.Consistency, "strict"),
		Epoch:       t.Epoch.Format(time.RFC3339Nano),
		Backend:     t.Backend,
		ExpiryRule:  t.ExpiryRule,
		Schedule:    strings.Join(t.Schedule, " "),
		Actors:      append([]string{}, t.Actors...),
		StaleReads:  []JSONStaleRead{},
		Reads:       make([]JSONRead, 0, len(t.Reads)),
		Divergences: make([]JSONDivergence, 0, len(t.Divergences)),
		Seeds:       []JSONSeed{},
		Commits:     make([]JSONCommit, 0, len(t.Commits)),
		Operations:  make([]JSONOperation, 0, len(t.Operations)),
		Expiries:    make([]JSONExpiry, 0, len(t.Expiries)),
		Events:      make([]JSONEvent, 0, len(t.Events)),
		FinalState:  jsonState(t.StateAt(t.States.Len() - 1)),
	}
	run.Verdict = JSONVerdict{Divergences: len(t.Divergences), Anomalies: map[string]int{}}
	for _, r := range t.Reads {
		jr := JSONStaleRead{
			Actor:   r.Actor,
			Key:     r.Key,
			Source:  string(r.Source),
			Served:  r.Served,
			Current: append([]string{}, r.Current...),
			StartUS: r.Start.Microseconds(),
			EndUS:   r.End.Microseconds(),
			Anomaly: string(r.Anomaly),
			Why:     r.Why,
			Events:  append([]int{}, r.Events...),
		}
		run.Reads = append(run.Reads, JSONRead{JSONStaleRead: jr, Stale: r.Stale})
		if r.Stale {
			run.StaleReads = append(run.StaleReads, jr)
			run.Verdict.StaleReads++
			run.Verdict.Anomalies[string(r.Anomaly)]++
		}
	}
	for _, d := range t.Divergences {
		jd := JSONDivergence{
			Key:        d.Key,
			CacheValue: d.CacheValue,
			DBValue:    d.DBValue,
			FromUS:     d.From.Microseconds(),
			Cause:      d.Cause,
			CauseEvent: d.CauseEvent,
			End:        d.End,
			EndEvent:   d.EndEvent,
		}
		if d.Until != nil {
			u := d.Until.Microseconds()
			jd.UntilUS = &u
		} else if d.TTLLeft >= 0 {
			l := d.TTLLeft.Microseconds()
			jd.TTLLeftUS = &l
		}
		run.Divergences = append(run.Divergences, jd)
	}
	for _, c := range t.Commits {
		if c.Seed {
			run.Seeds = append(run.Seeds, JSONSeed{Key: c.Key, Value: c.Value})
			continue
		}
		run.Commits = append(run.Commits, JSONCommit{
			Key: c.Key, Value: c.Value, Version: c.Version,
			AtUS: c.At.Microseconds(), Actor: c.Actor, Event: c.Event,
		})
	}
	for _, o := range t.Operations {
		run.Operations = append(run.Operations, JSONOperation{Actor: o.Actor, Key: o.Key, Value: o.Value, Version: o.Version,
			StartUS: o.Start.Microseconds(), EndUS: o.End.Microseconds(), Events: append([]int{}, o.Events...)})
	}
	for _, x := range t.Expiries {
		run.Expiries = append(run.Expiries, JSONExpiry{Key: x.Key, Value: x.Value, AtUS: x.At.Microseconds()})
	}
	for _, e := range t.Events {
		run.Events = append(run.Events, JSONEvent{
			Seq: e.Seq, Actor: e.Actor, Step: e.Step, Op: e.Op, Key: e.Key,
			Command: e.Command, Result: e.Result, Value: e.Value, Version: e.Version,
			StartUS: e.Start.Microseconds(), EndUS: e.End.Microseconds(), Note: e.Note,
		})
	}
	return run
}

func jsonState(s State) JSONState {
	out := JSONState{
		Cache: make([]JSONCacheEntry, 0, len(s.Cache)),
		DB:    jsonRows(s.DB),
	}
	for _, e := range s.Cache {
		out.Cache = append(out.Cache, jsonEntry(e))
	}
	if s.Replica != nil {
		out.Replica = jsonRows(s.Replica)
	}
	return out
}

func jsonEntry(e CacheEntry) JSONCacheEntry {
	ttl := int64(-1)
	if e.TTL >= 0 {
		ttl = e.TTL.Microseconds()
	}
	return JSONCacheEntry{Key: e.Key, Value: e.Value, Version: e.Version, TTLUS: ttl}
}

func jsonRow(r Row) JSONRow {
	return JSONRow{Key: r.Key, Value: r.Value, Version: r.Version, CommittedAtUS: r.CommittedAt.Microseconds(), Actor: r.Actor}
}

func jsonRows(rows []Row) []JSONRow {
	out := make([]JSONRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, jsonRow(r))
	}
	return out
}
