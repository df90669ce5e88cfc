package engine

import (
	"github.com/alicebob/miniredis/v2"

	"github.com/racetape/racetape/timeline"
)

// Judge applies the oracle, under cons, to a run recorded outside the
// engine's Runner (actors that are Go code: package racetest) and completes
// its record as Run does, so that the lanes, the JSON and the TUI show it
// as they show a scenario's run.
//
// tl must hold the Events (with engine Op names where the step is one:
// cache.get, cache.set, cache.del, cache.expire, db.read, db.write), the
// Reads without verdicts (a cache read's Events start with its hit), the
// Commits (the seeds first, then in commit order) and the Expiries.
// groups[i] > 0 puts event i in an explicit write operation (all events
// of an actor with the same group number, as an `op:` block of a
// scenario); 0 leaves it to the default rule (a db.write with the
// invalidations its actor takes after it). Judge sets Consistency,
// ConsistencyRule and Operations, each read's Stale, Current, Anomaly,
// Cause and Why and, when tl.States is set (with the state after each of
// Events), the Divergences of the data keys (sorted).
func Judge(tl *timeline.Timeline, cons Consistency, groups []int, keys []string) error {
	tl.Consistency, tl.ConsistencyRule = cons.String(), cons.Rule()
	tl.Operations = writeOps(tl.Events, groups)
	rec := runRecord{events: tl.Events, expiries: tl.Expiries, lag: -1}
	if _, _, err := cons.judgeReads(tl.Reads, histories(tl.Commits), tl.Operations, rec, true, nil); err != nil {
		return err
	}
	if n := tl.States.Len(); n == len(tl.Events) && n > 0 {
		tl.Divergences = divergences(keys, tl.States, tl.Events, tl.Expiries)
	}
	return nil
}

// Anomalies is Judge for exploration: it judges tl's reads under cons
// without explaining them, leaves tl unchanged, appends the anomaly of
// each stale read to seen (once each, up to seen's capacity) and reports
// whether any read is stale.
func Anomalies(tl *timeline.Timeline, cons Consistency, groups []int, seen []timeline.Anomaly) ([]timeline.Anomaly, bool, error) {
	rec := runRecord{events: tl.Events, expiries: tl.Expiries, lag: -1}
	return cons.judgeReads(tl.Reads, histories(tl.Commits), writeOps(tl.Events, groups), rec, false, seen)
}

// histories indexes commits (in order) by key.
func histories(commits []timeline.Commit) func(string) []timeline.Commit {
	by := map[string][]timeline.Commit{}
	for _, c := range commits {
		by[c.Key] = append(by[c.Key], c)
	}
	return func(k string) []timeline.Commit { return by[k] }
}

// Notes on events that Judge's classification reads.
const (
	// NoteGoneAtOnce marks a cache.expire that deleted its key at once
	// (an expiry instant already past, or a TTL of 0 or less): an
	// invalidation.
	NoteGoneAtOnce = noteGoneAtOnce
	// NoteNoRow marks a db.read that found no row.
	NoteNoRow = noteNoRow
)

// MiniredisEntries returns miniredis's keys as a State shows them, sorted
// (a hash shows its "val" and "v" fields, as the versioned CAS keeps
// them), through its Go API.
func MiniredisEntries(m *miniredis.Miniredis) []timeline.CacheEntry { return miniSnapshot(m) }

// MiniredisEntry returns one key of miniredis as MiniredisEntries shows
// it, and whether it exists.
func MiniredisEntry(m *miniredis.Miniredis, key string) (timeline.CacheEntry, bool) {
	return miniEntry(m, key)
}

// Rejudge judges a recorded run (a tape) again, under cons: its reads
// against its commits and the write operations it recorded.
func Rejudge(tl *timeline.Timeline, cons Consistency) error {
	for i := range tl.Reads {
		r := &tl.Reads[i]
		r.Stale, r.Current, r.Anomaly, r.Cause, r.Why = false, nil, "", -1, ""
	}
	tl.Consistency, tl.ConsistencyRule = cons.String(), cons.Rule()
	rec := runRecord{events: tl.Events, expiries: tl.Expiries, lag: -1}
	_, _, err := cons.judgeReads(tl.Reads, histories(tl.Commits), tl.Operations, rec, true, nil)
	return err
}
