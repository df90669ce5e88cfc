package timeline

import (
	"slices"
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
			sp.Note = "✗ STALE served " + orQuoted(r.Served) + ", current " + strings.Join(quoteAll(r.Current), ", ")
			lanes[e.Lane].Marks = append(lanes[e.Lane].Marks, Mark{At: e.End, Label: "✗ " + string(r.Anomaly), Seq: e.Seq, Class: "stale"})
		}
		lanes[e.Lane].Spans = append(lanes[e.Lane].Spans, sp)
	}
	s.Tracks = append(s.Tracks, lanes...)
	for _, k := range t.keys() {
		s.Tracks = append(s.Tracks, t.cacheTrack(k, s.End), t.dbTrack(k, s.End))
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
	var out []string
	add := func(k string) {
		if k != "" && !slices.Contains(out, k) {
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

// cacheTrack is key's cache entry over time, from the recorded states,
// with its divergences and expiries.
func (t *Timeline) cacheTrack(key string, end time.Duration) Track {
	tr := Track{Kind: CacheTrack, Name: "cache " + key, Key: key}
	val, has, from := "", false, time.Duration(0)
	flush := func(at time.Duration) {
		if has && at >= from {
			tr.Spans = append(tr.Spans, Span{Start: from, End: at, Label: orQuoted(val), Seq: -1, Class: "value"})
		}
	}
	look := func(st State) (string, bool) {
		for _, e := range st.Cache {
			if e.Key == key {
				return e.Value, true
			}
		}
		return "", false
	}
	val, has = look(t.Initial)
	prev := time.Duration(0)
	for i, st := range t.States {
		v, ok := look(st)
		at := t.Events[i].End
		if v == val && ok == has {
			prev = at
			continue
		}
		if has && !ok { // gone: at its expiry, if that is what took it
			for _, x := range t.Expiries {
				if x.Key == key && x.At > prev && x.At <= at {
					at = x.At
				}
			}
		}
		flush(at)
		val, has, from, prev = v, ok, at, t.Events[i].End
	}
	flush(end)
	for _, d := range t.Divergences {
		if d.Key != key {
			continue
		}
		until := end
		if d.Until != nil {
			until = *d.Until
		}
		tr.Spans = append(tr.Spans, Span{Start: d.From, End: until, Label: "cache ≠ db", Seq: -1, Class: "diverged"})
	}
	for _, x := range t.Expiries {
		if x.Key == key {
			tr.Marks = append(tr.Marks, Mark{At: x.At, Label: "TTL ran out", Seq: -1, Class: "expiry"})
		}
	}
	return tr
}

// dbTrack is key's committed row over time, with a mark at each commit.
func (t *Timeline) dbTrack(key string, end time.Duration) Track {
	tr := Track{Kind: DBTrack, Name: "db " + key, Key: key}
	var cur *Commit
	for i := range t.Commits {
		c := &t.Commits[i]
		if c.Key != key {
			continue
		}
		if cur != nil {
			tr.Spans = append(tr.Spans, Span{Start: cur.At, End: c.At, Label: rowLabel(*cur), Seq: -1, Class: "row"})
		}
		cur = c
		if !c.Seed {
			tr.Marks = append(tr.Marks, Mark{At: c.At, Label: "COMMIT " + c.Value, Seq: c.Event, Class: "commit"})
		}
	}
	if cur != nil {
		tr.Spans = append(tr.Spans, Span{Start: cur.At, End: end, Label: rowLabel(*cur), Seq: -1, Class: "row"})
	}
	return tr
}

func rowLabel(c Commit) string { return orQuoted(c.Value) + " v" + strconv.Itoa(c.Version) }

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
