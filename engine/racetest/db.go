package racetest

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// A DB is an actor's handle on the run's database: a key/value store with
// every key's full version history (the engine's memory database). Each
// call is a step of the actor (a yield point) that takes effect at its end;
// each write is a commit in the oracle's history.
type DB struct{ e *Env }

// A Row is a key's committed value and its version (1 for the setup's
// row, then one more per commit).
type Row struct {
	Value   string
	Version int
}

// Get returns key's committed value, and whether the key has a row.
func (d *DB) Get(key string) (string, bool) {
	r, ok := d.GetRow(key)
	return r.Value, ok
}

// GetRow returns key's committed row, and whether there is one.
func (d *DB) GetRow(key string) (Row, bool) {
	var row Row
	var found bool
	d.call(dbCommand("db.read", "SELECT "+key, key, engine.DBRead), func(ev *timeline.Event) {
		c, ok := d.e.w.db.Read(key, ev.End)
		found = ok
		if !ok {
			ev.Result, ev.Note = "miss", engine.NoteNoRow
			return
		}
		row = Row{Value: c.Value, Version: c.Version}
		ev.Result, ev.Value, ev.Version = "hit", c.Value, c.Version
	})
	return row, found
}

// Put commits value for key and returns the new version.
func (d *DB) Put(key, value string) int {
	var version int
	d.call(dbCommand("db.write", fmt.Sprintf("COMMIT %s = %s", key, quote(value)), key, engine.DBWrite), func(ev *timeline.Event) {
		c := d.e.w.db.Commit(key, value, ev.End, d.e.a.name, ev.Seq)
		version = c.Version
		ev.Result, ev.Value, ev.Version = "ok", c.Value, c.Version
	})
	return version
}

// Tx runs fn as one atomic step: its reads see the rows committed before
// the step, its writes commit together at its end. Its keys are not known
// before it runs, so the reduction takes it as touching everything.
func (d *DB) Tx(fn func(tx *Tx)) {
	c := &command{name: "db.tx", text: "BEGIN … COMMIT", fp: engine.Footprint{All: true}}
	d.call(c, func(ev *timeline.Event) {
		tx := &Tx{d: d, at: ev}
		fn(tx)
		ev.Command = "BEGIN; " + strings.Join(tx.stmts, "; ") + "; COMMIT"
		ev.Op, ev.Result = string(engine.OpDBRead), "ok"
		if len(tx.writes) > 0 {
			ev.Op, ev.Key, ev.Value = string(engine.OpDBWrite), tx.writes[0], tx.values[0]
		} else if len(tx.reads) > 0 {
			ev.Key = tx.reads[0]
		}
	})
}

// A Tx is a database transaction in progress (see DB.Tx).
type Tx struct {
	d             *DB
	at            *timeline.Event
	stmts         []string
	reads, writes []string
	values        []string
}

// Get returns key's value as the transaction sees it: its own write, or
// the row committed before it.
func (tx *Tx) Get(key string) (string, bool) {
	tx.stmts = append(tx.stmts, "SELECT "+key)
	tx.reads = append(tx.reads, key)
	c, ok := tx.d.e.w.db.Read(key, tx.at.End)
	return c.Value, ok
}

// Put writes value for key; it commits with the transaction.
func (tx *Tx) Put(key, value string) {
	tx.stmts = append(tx.stmts, fmt.Sprintf("%s = %s", key, quote(value)))
	tx.writes = append(tx.writes, key)
	tx.values = append(tx.values, value)
	w := tx.d.e.w
	w.db.Commit(key, value, tx.at.End, tx.d.e.a.name, tx.at.Seq)
}

// dbCommand is the command of a database call on key.
func dbCommand(name, text, key string, acc engine.Access) *command {
	return &command{name: name, text: text, key: key,
		fp: engine.Footprint{Info: &engine.StepInfo{Keys: []engine.KeyAccess{{Key: key, Access: acc}}}}}
}

// call parks the actor at database call c, then runs it at its end
// instant: do fills in the event.
func (d *DB) call(c *command, do func(ev *timeline.Event)) {
	e := d.e
	w := e.w
	pk, err := w.park(e.a, e.gen, c)
	if err != nil {
		runtime.Goexit() // a goroutine that outlived its schedule: the fault is reported
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	ev := w.rec.event(w, pk)
	do(ev)
	w.rec.done(w, nil, false)
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"") {
		return fmt.Sprintf("%q", s)
	}
	return s
}
