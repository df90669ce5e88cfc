package timeline

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// A Scene is a run laid out for a picture (the SVG and HTML exports and
// the trace tracks): one track per actor, then a cache track and a db
// track per key, on one time axis. It is plain data, computed once and
// drawn by the writers; tests look at it directly.
type Scene struct {
	Title   string
	Verdict string // "✗ 1 stale read served (stale-hit ×1)" or "✓ no stale read served"
	Model   string // the consistency model, "strict" when unset
	End     time.Duration
	Tracks  []Track
	// Stale lists the stale reads, in order.
	Stale []Read
}

// A TrackKind says what a track shows.
type TrackKind int

// The kinds of tracks.
const (
	ActorTrack TrackKind = iota // the steps of one actor (or the clock)
	CacheTrack                  // one key's cache entry over time
	DBTrack                     // one key's committed row over time
)

// A Track is one row of the picture.
type Track struct {
	Kind  TrackKind
	Name  string // the actor, or "cache KEY" / "db KEY"
	Key   string // cache and db tracks
	Spans []Span
	Marks []Mark
}

// A Span is something that lasts on a track: a step, a cache value, a row
// value, a divergence.
type Span struct {
	Start, End time.Duration
	Label      string
	Seq        int    // the event, for steps (-1 otherwise)
	Class      string // "cache", "db", "sleep", "clock", "stale" (steps); "value", "diverged", "row"
	Note       string // a second line: the stale read's served vs current values
}

// A Mark is an instant on a track: a commit, an expiry, a stale read.
type Mark struct {
	At    time.Duration
	Label string
	Seq   int    // the event, or -1
	Class string // "commit", "expiry", "stale"
}

// Scene lays t out.
func (t *Timeline) Scene() Scene {
	s := Scene{Title: t.Scenario, Model: t.Consistency, End: t.End(), Stale: t.StaleReads()}
	s.Verdict = "✓ " + strings.TrimPrefix(t.Verdict(), "verdict: ")
	if len(s.Stale) > 0 {
		s.Verdict = "✗ " + strings.TrimPrefix(t.Verdict(), "verdict: ")
	}
	if t.Title != "" {
		s.Title = t.Scenario + " — " + t.Title
	}
	if s.Model == "" {
		s.Model = "strict"
	}
	staleEnd := map[int]Read{} // the last event of each stale read
	for _, r := range s.Stale {
		if len(r.Events) > 0 {
			staleEnd[r.Events[len(r.Events)-1]] = r
		}
	}
	lanes := make([]Track, len(t.Actors))
	for i, a := range t.Actors {
		lanes[i] = Track{Kind: ActorTrack, Name: a}
	}
	for _, e := range t.Events {
		if e.Lane < 0 || e.Lane >= len(lanes) {
			continue
		}
		sp := Span{Start: e.Start, End: e.End, Label: t.label(e, labelForm{}), Seq: e.Seq, Class: stepClass(e)}
		if r, ok := staleEnd[e.Seq]; ok {
			sp.Class = "stale"
			sp.Note = "✗ STALE served " + servedText(r) + ", current " + strings.Join(quoteAll(r.Current), ", ")
			lanes[e.Lane].Marks = append(lanes[e.Lane].Marks, Mark{At: e.End, Label: "✗ " + string(r.Anomaly), Seq: e.Seq, Class: "stale"})
		}
		lanes[e.Lane].Spans = append(lanes[e.Lane].Spans, sp)
	}
	s.Tracks = append(s.Tracks, lanes...)
	keys := t.keys()
	cache, db := t.cacheTracks(keys, s.End), t.dbTracks(keys, s.End)
	for i := range keys {
		s.Tracks = append(s.Tracks, cache[i], db[i])
	}
	return s
}

// stepClass is how a step is drawn.
func stepClass(e Event) string {
	switch {
	case e.Op == "sleep":
		return "sleep"
	case e.Op == "clock.tick":
		return "clock"
	case e.IsDB():
		return "db"
	}
	return "cache"
}

// keys returns the keys of the run's steps, rows and initial cache, sorted.
func (t *Timeline) keys() []string {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, e := range t.Events {
		if e.Op != "sleep" && e.Op != "clock.tick" {
			add(e.Key)
		}
	}
	for _, c := range t.Commits {
		add(c.Key)
	}
	for _, e := range t.Initial.Cache {
		if !strings.HasPrefix(e.Key, "lease:") {
			add(e.Key)
		}
	}
	sort.Strings(out)
	return out
}

// cacheTracks are the cache tracks of keys: each key's entry over time,
// from the recorded states, with its divergences and expiries. One walk
// over the states serves every key.
func (t *Timeline) cacheTracks(keys []string, end time.Duration) []Track {
	tracks := make([]Track, len(keys))
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		tracks[i] = Track{Kind: CacheTrack, Name: "cache " + k, Key: k}
		index[k] = i
	}
	type now struct {
		val  string
		has  bool
		from time.Duration
	}
	cur := make([]now, len(keys))
	for _, e := range t.Initial.Cache {
		if i, ok := index[e.Key]; ok && !cur[i].has {
			cur[i].val, cur[i].has = e.Value, true
		}
	}
	flush := func(i int, at time.Duration) {
		if c := cur[i]; c.has && at >= c.from {
			tracks[i].Spans = append(tracks[i].Spans, Span{Start: c.from, End: at, Label: orQuoted(c.val), Seq: -1, Class: "value"})
		}
	}
	expiries := map[string][]time.Duration{}
	for _, x := range t.Expiries {
		expiries[x.Key] = append(expiries[x.Key], x.At)
	}
	if t.States != nil {
		prev := time.Duration(0)
		look := t.States.Cursor()
		// see compares key i's entry in the state after event seq with
		// the one before.
		see := func(i, seq int) {
			e, ok := look.Entry(keys[i])
			if e.Value == cur[i].val && ok == cur[i].has {
				return
			}
			at := t.Events[seq].End
			if cur[i].has && !ok { // gone: at its expiry, if that is what took it
				for _, x := range expiries[keys[i]] {
					if x > prev && x <= at {
						at = x
					}
				}
			}
			flush(i, at)
			cur[i] = now{val: e.Value, has: ok, from: at}
		}
		for seq := 0; seq < len(t.Events) && look.Next(); seq++ {
			if seq == 0 { // the initial state may not be the log's
				for i := range keys {
					see(i, seq)
				}
			}
			for p, k := range look.Changes() {
				if i, ok := index[k]; ok && p == PartCache && seq > 0 {
					see(i, seq)
				}
			}
			prev = t.Events[seq].End
		}
	}
	for i := range keys {
		flush(i, end)
	}
	for _, d := range t.Divergences {
		i, ok := index[d.Key]
		if !ok {
			continue
		}
		until := end
		if d.Until != nil {
			until = *d.Until
		}
		tracks[i].Spans = append(tracks[i].Spans, Span{Start: d.From, End: until, Label: "cache ≠ db", Seq: -1, Class: "diverged"})
	}
	for _, x := range t.Expiries {
		if i, ok := index[x.Key]; ok {
			tracks[i].Marks = append(tracks[i].Marks, Mark{At: x.At, Label: "TTL ran out", Seq: -1, Class: "expiry"})
		}
	}
	return tracks
}

// dbTracks are the db tracks of keys: each key's committed row over time,
// with a mark at each commit.
func (t *Timeline) dbTracks(keys []string, end time.Duration) []Track {
	tracks := make([]Track, len(keys))
	index := make(map[string]int, len(keys))
	for i, k := range keys {
		tracks[i] = Track{Kind: DBTrack, Name: "db " + k, Key: k}
		index[k] = i
	}
	cur := make([]*Commit, len(keys))
	for n := range t.Commits {
		c := &t.Commits[n]
		i, ok := index[c.Key]
		if !ok {
			continue
		}
		if p := cur[i]; p != nil {
			tracks[i].Spans = append(tracks[i].Spans, Span{Start: p.At, End: c.At, Label: rowLabel(*p), Seq: -1, Class: "row"})
		}
		cur[i] = c
		if !c.Seed {
			tracks[i].Marks = append(tracks[i].Marks, Mark{At: c.At, Label: "COMMIT " + c.Value, Seq: c.Event, Class: "commit"})
		}
	}
	for i, p := range cur {
		if p != nil {
			tracks[i].Spans = append(tracks[i].Spans, Span{Start: p.At, End: end, Label: rowLabel(*p), Seq: -1, Class: "row"})
		}
	}
	return tracks
}

func rowLabel(c Commit) string { return orQuoted(c.Value) + " v" + strconv.Itoa(c.Version) }

// servedText is what a read was served, as text: a missing database row
// reads "no row", an empty value "".
func servedText(r Read) string {
	if r.Served == "" && r.Source != SourceCache {
		return "no row"
	}
	return orQuoted(r.Served)
}

func orQuoted(v string) string {
	if v == "" {
		return `""`
	}
	return v
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = orQuoted(v)
	}
	return out
}

// Narration returns what happens at event seq, in a sentence or two, for
// a presenter stepping through the run: the instant, who did what, and,
// where a stale read ends, why it is stale.
func (t *Timeline) Narration(seq int) string {
	i := t.eventIndex(seq)
	if i < 0 {
		return ""
	}
	e := t.Events[i]
	var b strings.Builder
	b.WriteString(FormatOffset(e.End) + " · " + e.Actor + ": " + t.label(e, labelForm{}))
	if e.Note != "" {
		b.WriteString(" (" + e.Note + ")")
	}
	b.WriteString(".")
	for _, r := range t.Reads {
		if r.Stale && len(r.Events) > 0 && r.Events[len(r.Events)-1] == seq {
			b.WriteString(" ✗ Stale read (" + string(r.Anomaly) + "): " + r.Why + ".")
		}
	}
	for _, d := range t.Divergences {
		if d.CauseEvent == seq {
			b.WriteString(" The cache now differs from the database on " + d.Key + ".")
		}
	}
	return b.String()
}
