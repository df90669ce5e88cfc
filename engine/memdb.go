package engine

import (
	"sort"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A MemDB is the in-memory database: every key keeps its full version
// history. Writes are atomic and commit at the instant they are applied. An
// optional replica sees the history Lag late.
type MemDB struct {
	rows       map[string][]timeline.Commit // per key, in commit order
	all        []timeline.Commit            // every commit, in order
	lag        time.Duration
	hasReplica bool
}

// NewMemDB returns an empty database; lag < 0 means no replica.
func NewMemDB(lag time.Duration) *MemDB {
	db := &MemDB{rows: map[string][]timeline.Commit{}}
	db.reset(lag)
	return db
}

func (db *MemDB) reset(lag time.Duration) {
	// Keep each key's history storage: exploration resets millions of
	// times. A key without commits reads as missing either way.
	for k, h := range db.rows {
		db.rows[k] = h[:0]
	}
	db.all = db.all[:0]
	db.lag = lag
	db.hasReplica = lag >= 0
}

// Commit writes a new version of key at instant at and returns it.
func (db *MemDB) Commit(key, value string, at time.Duration, actor string, event int) timeline.Commit {
	hist := db.rows[key]
	c := timeline.Commit{Key: key, Value: value, Version: len(hist) + 1, At: at, Actor: actor, Event: event}
	db.rows[key] = append(hist, c)
	db.all = append(db.all, c)
	return c
}

// Seed writes key's initial row: there before the run starts, not a commit
// at instant 0.
func (db *MemDB) Seed(key, value string) {
	hist := db.rows[key]
	c := seedRow(key, value, len(hist)+1)
	db.rows[key] = append(hist, c)
	db.all = append(db.all, c)
}

// seedRow is the commit record of an initial row.
func seedRow(key, value string, version int) timeline.Commit {
	return timeline.Commit{Key: key, Value: value, Version: version, Actor: "seed", Event: -1, Seed: true}
}

// Read returns the row of key committed at or before instant at.
func (db *MemDB) Read(key string, at time.Duration) (timeline.Commit, bool) {
	return valueAt(db.rows[key], at)
}

// ReadReplica returns the row of key as the replica sees it at instant at:
// the seed rows and the commits up to at-Lag (before t = Lag, only the
// seed rows).
func (db *MemDB) ReadReplica(key string, at time.Duration) (timeline.Commit, bool) {
	return db.Read(key, replicaSees(at, db.lag))
}

// replicaSees is the instant of the primary's history a replica lagging
// lag shows at instant at. It is negative before t = lag, when the replica
// shows the seed rows only (valueAt takes seeds at any instant).
func replicaSees(at, lag time.Duration) time.Duration { return at - lag }

// History returns the commits of key in order.
func (db *MemDB) History(key string) []timeline.Commit { return db.rows[key] }

// Commits returns every commit in order.
func (db *MemDB) Commits() []timeline.Commit { return db.all }

// Rows returns the committed rows at instant at, sorted by key.
func (db *MemDB) Rows(at time.Duration) []timeline.Row {
	return db.rowsAt(at)
}

// ReplicaRows returns the rows the replica shows at instant at, or nil
// without a replica.
func (db *MemDB) ReplicaRows(at time.Duration) []timeline.Row {
	if !db.hasReplica {
		return nil
	}
	rows := db.rowsAt(replicaSees(at, db.lag))
	if rows == nil {
		rows = []timeline.Row{}
	}
	return rows
}

func (db *MemDB) rowsAt(at time.Duration) []timeline.Row {
	var out []timeline.Row
	for key := range db.rows {
		if c, ok := db.Read(key, at); ok {
			out = append(out, c.Row())
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
