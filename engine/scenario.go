package engine

import (
	"errors"
	"fmt"
	"time"
)

// DefaultEpoch is the instant virtual time 0 stands for when a scenario does
// not set one.
var DefaultEpoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// A Scenario is a complete, validated description of a race: the initial
// database rows and cache entries, and the actors' programs. Scenarios are
// built by the presets package from YAML, or by hand in Go.
type Scenario struct {
	Name        string
	Title       string
	Description string
	Epoch       time.Time // zero means DefaultEpoch
	// File is where the scenario was loaded from ("" for presets built in Go);
	// used in error messages.
	File    string
	DB      []Seed // initial rows, committed at instant 0 by "seed"
	Cache   []Seed // initial cache entries
	Replica *Replica
	Actors  []Actor
	// Consistency is the model the oracle judges the reads by (zero:
	// strict); `racetape --consistency` sets it.
	Consistency Consistency
}

// A Seed is one initial DB row or cache entry. TTL applies to cache entries
// only (0 = no TTL).
type Seed struct {
	Key   string
	Value string
	TTL   time.Duration
}

// A Replica is a read replica that sees primary commits Lag late.
type Replica struct {
	Lag time.Duration
}

// An Actor is a named program of steps, started at virtual instant At.
type Actor struct {
	Name  string
	At    time.Duration
	Steps []Step
}

// An Op names what a step does.
type Op string

// The step operations. Cache operations are real Redis commands; lease and
// cas operations are Lua scripts sent with EVAL.
const (
	OpCacheGet    Op = "cache.get"    // GET key → hit(value) | miss
	OpCacheSet    Op = "cache.set"    // SET key value [PX ttl] [NX] → ok | fail (NX refused)
	OpCacheDel    Op = "cache.del"    // DEL key → ok
	OpCacheExpire Op = "cache.expire" // PEXPIRE key ttl, or PEXPIREAT epoch+At → ok | fail (no key)
	OpDBRead      Op = "db.read"      // read the committed row (or the replica) → hit | miss
	OpDBWrite     Op = "db.write"     // commit a new version → ok
	OpSleep       Op = "sleep"        // nothing, for Took
	OpLeaseGet    Op = "lease.get"    // GET, or take a lease on miss → hit | miss (lease granted) | fail (lease held)
	OpLeaseSet    Op = "lease.set"    // set only while holding the lease → ok | fail
	OpLeaseDel    Op = "lease.del"    // DEL key and its lease (invalidate) → ok
	OpCASGet      Op = "cas.get"      // read a versioned entry → hit | miss
	OpCASSet      Op = "cas.set"      // set unless the cache holds a newer version → ok | fail
	OpIf          Op = "if"           // branch on the previous step's result
)

// Ops lists every step operation, for validation and help.
var Ops = []Op{OpCacheGet, OpCacheSet, OpCacheDel, OpCacheExpire, OpDBRead, OpDBWrite, OpSleep,
	OpLeaseGet, OpLeaseSet, OpLeaseDel, OpCASGet, OpCASSet, OpIf}

// A Step is one atomic action of an actor's program, or an `if` block.
type Step struct {
	Op    Op
	Key   string
	Value string // cache.set/lease.set/cas.set: "" means the value the actor last read
	// HasValue distinguishes an explicit empty value from "the last read".
	HasValue bool
	TTL      time.Duration // cache.set/lease.set/cas.set/cache.expire; 0 = none
	// ExpireAt, for cache.expire: an absolute instant (offset from the epoch),
	// sent as PEXPIREAT. Used when HasExpireAt.
	ExpireAt    time.Duration
	HasExpireAt bool
	NX          bool          // cache.set only
	Replica     bool          // db.read only: read the replica
	Took        time.Duration // virtual duration of the step
	Lease       time.Duration // lease.get: how long a granted lease lasts (default 10s)

	// If blocks: Cond is "hit", "miss", "ok" or "fail", tested against the
	// previous step's result.
	Cond string
	Then []Step
	Else []Step

	// Group numbers the `op:` block the step belongs to (1, 2, … in its
	// actor; 0: none). The linearizable model takes each block's db.writes
	// as one write operation spanning the whole block.
	Group int

	// Pos is where the step was written ("file:line:col"), for messages.
	Pos string
}

// Conds are the results an `if` can test.
var Conds = []string{"hit", "miss", "ok", "fail"}

func (s Step) String() string {
	switch s.Op {
	case OpSleep:
		return fmt.Sprintf("sleep %s", s.Took)
	case OpIf:
		return "if " + s.Cond
	}
	return fmt.Sprintf("%s %s", s.Op, s.Key)
}

// ErrScenario is wrapped by the errors of Validate: a scenario the engine
// cannot run as written.
var ErrScenario = errors.New("bad scenario")

// Validate checks what the engine needs of a scenario built in Go (the
// presets loader reports the same problems with their file positions): it
// has actors, and every TTL, lease and expiry instant is a whole number of
// milliseconds, as Redis keeps them.
func (sc *Scenario) Validate() error {
	if len(sc.Actors) == 0 {
		return fmt.Errorf("%w: scenario %q has no actors", ErrScenario, sc.Name)
	}
	for _, s := range sc.Cache {
		if !wholeMillis(s.TTL) {
			return fmt.Errorf("%w: cache key %q: ttl %s is not a whole number of milliseconds (Redis keeps TTLs in milliseconds)", ErrScenario, s.Key, s.TTL)
		}
	}
	for _, a := range sc.Actors {
		var err error
		eachStep(a.Steps, func(st *Step) {
			if err != nil {
				return
			}
			for _, d := range []struct {
				what string
				d    time.Duration
			}{{"ttl", st.TTL}, {"lease", st.Lease}, {"at", st.ExpireAt}} {
				if !wholeMillis(d.d) {
					where := ""
					if st.Pos != "" {
						where = st.Pos + ": "
					}
					err = fmt.Errorf("%w: %sactor %q: %s: %s %s is not a whole number of milliseconds (Redis keeps TTLs in milliseconds)", ErrScenario, where, a.Name, st, d.what, d.d)
					return
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func wholeMillis(d time.Duration) bool { return d%time.Millisecond == 0 }
