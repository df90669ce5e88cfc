// Package timeline is the plain data model of one recorded racetape run:
// the steps every actor took (events), the reads they served and the oracle's
// verdict on each, the intervals where the cache diverged from the database,
// and the cache/DB state after every step. It also holds the stable JSON form
// and the plain-text lane layout.
//
// A Timeline is immutable once built and cheap to query at any step: the
// states are kept as a StateLog, what each step changed with a full copy
// every so often, so that memory stays linear in steps + keys and the state
// after any step is rebuilt in time linear in the keys. The package imports
// nothing of racetape's and only the standard library, so tests and other
// tools can consume recorded runs without the engine.
package timeline

import (
	"sort"
	"strings"
	"time"
)

// A Source says where a read's served value came from.
type Source string

// The sources of a served value.
const (
	SourceCache   Source = "cache"
	SourceDB      Source = "db"
	SourceReplica Source = "replica"
)

// An Anomaly names why a stale read was served.
type Anomaly string

// The anomaly names used in the UI, the text form and JSON.
const (
	// StaleHit: served from the cache after a newer commit, before the
	// writer's invalidation landed.
	StaleHit Anomaly = "stale-hit"
	// StaleSet: a cache.set wrote a value older than the committed one and a
	// later read was served that value.
	StaleSet Anomaly = "stale-set"
	// LostInvalidation: a DEL landed before the stale set it should have
	// prevented, so the invalidation was lost.
	LostInvalidation Anomaly = "lost-invalidation"
	// TTLStaleness: nothing invalidated the key after the commit; it stays
	// stale until its TTL expires.
	TTLStaleness Anomaly = "ttl-staleness"
	// ReplicaLag: the value was read from a replica behind the primary.
	ReplicaLag Anomaly = "replica-lag"
	// SimultaneousCommit: the read took the database's row at the very
	// instant another actor committed a newer one, after it; a commit
	// counts as current at its instant.
	SimultaneousCommit Anomaly = "simultaneous-commit"
	// NewOldInversion (linearizable model): a read was served an older
	// value than a read that had finished before it began.
	NewOldInversion Anomaly = "new-old-inversion"
	// Unexplained (Go code): the value served is none the actor's steps
	// observed, so where it came from is unknown.
	Unexplained Anomaly = "unexplained"
)

// Explain returns one sentence saying what the anomaly means.
func (a Anomaly) Explain() string {
	switch a {
	case StaleHit:
		return "the cache still held the old value after the database committed a newer one, and the invalidation had not landed yet"
	case StaleSet:
		return "a cache.set wrote a value older than the committed row, and this read was served that old value"
	case LostInvalidation:
		return "the writer's delayed second DEL, meant to clean up after slow readers, landed before a slow reader's set of the old value, so that invalidation was lost"
	case TTLStaleness:
		return "nothing invalidated the key after the commit, so the old value is served until its TTL expires"
	case ReplicaLag:
		return "the value was read from a replica that had not yet applied the newer commit"
	case SimultaneousCommit:
		return "the database was read at the very instant a newer value was committed, just before it; a commit counts as current at its instant"
	case NewOldInversion:
		return "a read was served an older value than another read that had finished before it began: time went backwards for the callers"
	case Unexplained:
		return "the value served is not one the reader's steps observed (decoded or computed from them), so racetape cannot say where it came from; it was not current"
	}
	return string(a)
}

// ClockActor is the reserved actor name for TTL expiry in schedules: a
// "clock" entry advances the virtual clock to the next pending expiry.
const ClockActor = "clock"

// An Event is one step an actor took. Start and End are offsets from the
// scenario epoch; the step's effect happens, and what it observes is read, at
// End.
type Event struct {
	Seq   int    // position in the run, 0-based
	Actor string // actor name ("clock" for an expiry tick)
	Lane  int    // index of the actor in Timeline.Actors
	Step  int    // 1-based count of steps this actor has taken so far
	Op    string // e.g. "cache.get", "cache.set", "db.write", "sleep", "lease.get"
	Key   string // the key the step touches, "" for sleep
	// Command is the Redis command sent ("SET order:42 CANCELLED PX 300000"),
	// or a DB operation in the same spirit ("COMMIT order:42 = PAID"); "" for
	// sleep.
	Command string
	// Result is the outcome the step observed: "hit", "miss", "ok", "fail"
	// ("" for sleep).
	Result string
	// Value is the value read or written, after decoding; Version the DB row
	// version involved, when there is one (0 otherwise).
	Value   string
	Version int
	Start   time.Duration
	End     time.Duration
	// Note is a short, plain-words remark added by the engine, e.g.
	// "refused: lease held by reader-2".
	Note string
}

// IsCache reports whether the event reached the cache.
func (e Event) IsCache() bool {
	return strings.HasPrefix(e.Op, "cache.") || strings.HasPrefix(e.Op, "lease.") || strings.HasPrefix(e.Op, "cas.")
}

// IsDB reports whether the event reached the database.
func (e Event) IsDB() bool { return strings.HasPrefix(e.Op, "db.") }

// A Read is one value served to a caller: the steps from its cache.get (or a
// db.read not under one) to the moment the actor has the value it returns.
// Start and End are closed: a commit at exactly Start or End counts as current
// for this read.
type Read struct {
	Actor  string
	Key    string
	Source Source
	Served string
	Start  time.Duration
	End    time.Duration
	// Events are the Seq numbers of the steps that make up the read.
	Events []int
	// Stale is the oracle's verdict: Served was not the committed value at
	// any instant of [Start, End].
	Stale bool
	// Current lists the values that were committed during [Start, End], in
	// commit order (set only when Stale).
	Current []string
	Anomaly Anomaly // set only when Stale
	// Cause is the Seq of the event that put the served value where it was
	// read from (the cache.set, or -1 for the scenario's initial cache), set
	// only for stale cache hits.
	Cause int
	// Why is one sentence explaining the verdict.
	Why string
}

// A Divergence is an interval during which the cache held a value for Key
// different from the committed database value.
type Divergence struct {
	Key        string
	CacheValue string // what the cache held
	DBValue    string // what the database had committed (at From)
	From       time.Duration
	// Until is nil when the cache still diverged at the end of the run.
	Until *time.Duration
	// Cause says which step put or left the value there, in plain words.
	Cause string
	// CauseEvent is the Seq of that step (-1: the scenario's initial state).
	CauseEvent int
	// End says how it ended: "del", "overwrite", "expiry", "commit" (the DB
	// caught up) or "end-of-run".
	End string
	// EndEvent is the Seq of the event that ended it, -1 for expiry or
	// end-of-run.
	EndEvent int
	// TTLLeft is the TTL the entry still had at the end of the run, when End
	// is "end-of-run" (-1: no TTL).
	TTLLeft time.Duration
}

// A CacheEntry is one key in the cache at some instant.
type CacheEntry struct {
	Key     string
	Value   string
	Version int           // > 0 for versioned (cas) entries
	TTL     time.Duration // time left; -1 when the key has no TTL
}

// A Row is one database row at some instant.
type Row struct {
	Key         string
	Value       string
	Version     int
	CommittedAt time.Duration
	Actor       string // who committed it ("seed" for the initial state)
}

// A State is the cache and database after a step (or, for Timeline.Initial,
// before the first). Slices are sorted by key.
type State struct {
	At      time.Duration
	Cache   []CacheEntry
	DB      []Row
	Replica []Row // nil when the scenario has no replica
}

// A Commit is one committed version of a DB row. A seed row (the
// scenario's initial database) is there before the run starts: it is not a
// commit at instant 0, and an actor's commit at 0 replaces it at 0.
type Commit struct {
	Key     string
	Value   string
	Version int
	At      time.Duration // 0 for a seed
	Actor   string        // "seed" for a seed
	Event   int           // Seq of the db.write, -1 for a seed
	Seed    bool          // an initial row, not a commit
}

// Row returns the database row c leaves.
func (c Commit) Row() Row {
	return Row{Key: c.Key, Value: c.Value, Version: c.Version, CommittedAt: c.At, Actor: c.Actor}
}

// An Operation is a write as the linearizable model sees it: a db.write
// of Key together with the invalidation steps its actor took after it (up
// to its next db.write or read), or a whole `op:` block. Start and End are
// closed: from the start of its first step to the end of its last.
type Operation struct {
	Actor string
	Key   string
	Value string // the value committed
	// Version is the row version its commit made: the database's order
	// of the key's writes (0: not known).
	Version int
	Start   time.Duration
	End     time.Duration
	Events  []int // Seq of its steps
}

// An Expiry is a key dropped from the cache because its TTL ran out.
type Expiry struct {
	Key   string
	Value string
	At    time.Duration
}

// A Timeline is one recorded run.
type Timeline struct {
	Scenario    string // preset or file name
	Title       string
	Description string
	Epoch       time.Time
	// Mode is "timed" (ordered by the virtual clock) or "schedule".
	Mode string
	// Consistency names the model the reads were judged by: "strict",
	// "linearizable" or "bounded:D" ("" is strict); ConsistencyRule says
	// it in words.
	Consistency     string
	ConsistencyRule string
	// Schedule is the actor name of every event, in order: replayable with
	// --schedule.
	Schedule []string
	Actors   []string // lane order: the scenario's actors (plus "clock" if it ticked)
	Events   []Event
	Reads    []Read
	// Commits is the full version history, seeds (Seed set) first.
	Commits []Commit
	// Operations are the write operations, in the order of their commits.
	Operations  []Operation
	Expiries    []Expiry
	Divergences []Divergence
	Initial     State
	// States holds the state right after each event (StateAt(i) after
	// Events[i]); nil when the run was recorded without them.
	States *StateLog
	// ExpiryRule states which expiry rule the cache followed.
	ExpiryRule string
	// Backend names the cache backend ("miniredis" or "redis ADDR").
	Backend string
	// Clock reports whether the cache followed the virtual clock (false
	// against a real Redis server).
	Clock bool
}

// StaleReads returns the reads the oracle found stale, in order.
func (t *Timeline) StaleReads() []Read {
	var out []Read
	for _, r := range t.Reads {
		if r.Stale {
			out = append(out, r)
		}
	}
	return out
}

// End returns the instant the last step ended.
func (t *Timeline) End() time.Duration {
	var end time.Duration
	for _, e := range t.Events {
		if e.End > end {
			end = e.End
		}
	}
	return end
}

// StateAt returns the state after step i; i < 0 gives the initial state,
// and so does any i when no states were recorded; i past the last step
// gives the last state.
func (t *Timeline) StateAt(i int) State {
	if i < 0 || t.States.Len() == 0 {
		return t.Initial
	}
	return t.States.State(i)
}

// ReadAt returns the index in Reads of the read that event seq belongs to,
// or -1.
func (t *Timeline) ReadAt(seq int) int {
	for i, r := range t.Reads {
		for _, s := range r.Events {
			if s == seq {
				return i
			}
		}
	}
	return -1
}

// Marks returns, in order, the Seq of every event worth jumping to: the last
// event of each stale read, and the event that starts each divergence that
// served no stale read (for a divergence present from the start, event 0).
// A divergence during which a stale read was served is marked by that read:
// the read is what it did wrong.
func (t *Timeline) Marks() []int {
	seen := map[int]bool{}
	var out []int
	add := func(s int) {
		if s < 0 {
			s = 0
		}
		if s < len(t.Events) && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, r := range t.Reads {
		if r.Stale && len(r.Events) > 0 {
			add(r.Events[len(r.Events)-1])
		}
	}
	for _, d := range t.Divergences {
		if !t.servedStaleDuring(d) {
			add(d.CauseEvent)
		}
	}
	sort.Ints(out)
	return out
}

// servedStaleDuring reports whether a stale read of d's key was served from
// the cache while d lasted.
func (t *Timeline) servedStaleDuring(d Divergence) bool {
	for _, r := range t.Reads {
		if !r.Stale || r.Key != d.Key || r.Source != SourceCache || len(r.Events) == 0 {
			continue
		}
		seq := r.Events[0]
		if seq < 0 || seq >= len(t.Events) {
			continue
		}
		at := t.Events[seq].End // the hit
		if at >= d.From && (d.Until == nil || at <= *d.Until) {
			return true
		}
	}
	return false
}

// anomalyOrder is the order of the taxonomy: the order the anomalies are
// introduced in (DESIGN.md), and listed in.
var anomalyOrder = []Anomaly{StaleHit, StaleSet, LostInvalidation, TTLStaleness, ReplicaLag,
	SimultaneousCommit, NewOldInversion, Unexplained}

// SortedAnomalies returns the anomalies of counts that counted something,
// in the taxonomy's order; names it does not know come last, by name.
func SortedAnomalies[N int | int64](counts map[Anomaly]N) []Anomaly {
	var out []Anomaly
	for a, n := range counts {
		if n > 0 {
			out = append(out, a)
		}
	}
	rank := func(a Anomaly) int {
		for i, o := range anomalyOrder {
			if o == a {
				return i
			}
		}
		return len(anomalyOrder)
	}
	sort.Slice(out, func(i, j int) bool {
		if ri, rj := rank(out[i]), rank(out[j]); ri != rj {
			return ri < rj
		}
		return out[i] < out[j]
	})
	return out
}
