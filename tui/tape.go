package tui

import (
	"slices"
	"sort"
	"time"

	"github.com/racetape/racetape/timeline"
)

// A tape is a loaded timeline plus the indexes the view needs to draw any
// window in time independent of the run's length: per-lane event lists
// searchable by time, cache and DB events by instant, divergences and
// commits sorted, and the read each event belongs to. It is built once per
// load and never mutated.
type tape struct {
	tl    *timeline.Timeline
	names []string      // lane names: tl.Actors plus any actor missing from it
	n     int           // number of events
	end   time.Duration // instant the last step ended

	// labels, when set, are drawn instead of names in the lanes' gutter
	// (scheduler mode: "1 writer", the key that moves the actor).
	labels []string

	// lanes[l] holds the seqs of actor l's events ordered by start;
	// laneReach[l][i] is the latest end among lanes[l][:i+1] (non-decreasing,
	// so the first event reaching a window's left edge is a binary search).
	lanes     [][]int
	laneReach [][]time.Duration
	// laneStale[l] holds the positions in lanes[l] of events that end a stale
	// read, ascending.
	laneStale [][]int
	// laneOf[seq] is the lane event seq is drawn in.
	laneOf []int
	// laneSeqs[l] holds the seqs of actor l's events, ascending: how many
	// of them lie before the cursor says what reveal mode shows of the
	// lane.
	laneSeqs [][]int

	// keys are every key of the run, in order of first appearance (seeds
	// first); byKey indexes each one's cache and database track.
	keys  []string
	byKey map[string]*keyIndex

	divAt  map[int][]int // event seq → divergences it started
	divEnd map[int][]int // event seq → divergences it ended

	readOf    []int  // event seq → index in tl.Reads, or -1
	readFinal []bool // event seq ends its read
	stale     int    // number of stale reads
	// marks are the event seqs worth jumping to, ascending: the cause of
	// each stale read (the step that made the cache disagree with the
	// database: a commit the cache was not told of, or a stale SET), then
	// the read itself, and the start of every divergence that served no
	// stale read. causes are the marks that are causes.
	marks   []int
	causes  map[int]bool
	typical time.Duration // median step duration
}

// A keyIndex is what one key's cache and database tracks draw.
type keyIndex struct {
	cacheEv  []int             // seqs of its cache events ordered by end
	dbEv     []int             // seqs of its db events ordered by end
	commits  []timeline.Commit // ordered by instant
	expiries []timeline.Expiry // ordered by instant
	divs     []int             // indexes into tl.Divergences, ordered by From
	// divReach[i] is the latest end among divs[:i+1] (non-decreasing, so
	// the first divergence reaching a window's left edge is a binary
	// search).
	divReach []time.Duration
	// In reveal mode the cache track shows the events and divergences
	// that start (and end) before the cursor: cacheSeqs are the seqs of
	// its cache events and of its divergences' causes and ends, dbSeqs
	// those of its database events and commits, ascending. divFrom and
	// divTo are the divergences' causes and ends, ascending; ordered says
	// every divergence ends after its cause, so that the ones open at the
	// cursor are counted by two searches.
	cacheSeqs, dbSeqs []int
	divFrom, divTo    []int
	ordered           bool
}

// key returns key's index, adding key (in order of appearance) if new.
func (t *tape) key(key string) *keyIndex {
	if k, ok := t.byKey[key]; ok {
		return k
	}
	k := &keyIndex{}
	t.byKey[key] = k
	t.keys = append(t.keys, key)
	return k
}

// newTape indexes tl. It copies nothing large: events and states stay in tl.
func newTape(tl *timeline.Timeline) *tape {
	t := &tape{tl: tl, n: len(tl.Events), byKey: map[string]*keyIndex{}}
	for _, r := range tl.Initial.DB {
		t.key(r.Key)
	}
	for _, c := range tl.Initial.Cache {
		t.key(c.Key)
	}
	t.names = slices.Clone(tl.Actors)
	nl := len(t.names)
	laneIdx := make(map[string]int, nl)
	for i, a := range t.names {
		laneIdx[a] = i
	}
	t.laneOf = make([]int, t.n)
	t.readOf = make([]int, t.n)
	t.readFinal = make([]bool, t.n)
	durs := make([]time.Duration, 0, min(t.n, 4096))
	for _, c := range tl.Commits {
		if c.Event < 0 {
			t.key(c.Key)
		}
	}
	for i := range tl.Events {
		e := &tl.Events[i]
		if e.End > t.end {
			t.end = e.End
		}
		l := e.Lane
		if l < 0 || l >= nl || t.names[l] != e.Actor {
			var ok bool
			if l, ok = laneIdx[e.Actor]; !ok {
				l = nl
				t.names = append(t.names, e.Actor) // an actor missing from the lane list
				laneIdx[e.Actor] = l
				nl++
			}
		}
		t.laneOf[i] = l
		t.readOf[i] = -1
		if len(durs) < cap(durs) {
			durs = append(durs, e.End-e.Start)
		}
		switch {
		case e.Key == "":
		case e.IsCache():
			k := t.key(e.Key)
			k.cacheEv = append(k.cacheEv, i)
		case e.IsDB():
			k := t.key(e.Key)
			k.dbEv = append(k.dbEv, i)
		}
	}
	t.lanes = make([][]int, nl)
	for i, l := range t.laneOf {
		t.lanes[l] = append(t.lanes[l], i)
	}
	t.laneSeqs = make([][]int, nl)
	for l, seqs := range t.lanes {
		t.laneSeqs[l] = slices.Clone(seqs)
	}
	ev := tl.Events
	byEnd := func(a, b int) int {
		if c := cmpDur(ev[a].End, ev[b].End); c != 0 {
			return c
		}
		return a - b
	}

	for ri, r := range tl.Reads {
		for _, s := range r.Events {
			if s >= 0 && s < t.n {
				t.readOf[s] = ri
			}
		}
		if len(r.Events) > 0 {
			if last := r.Events[len(r.Events)-1]; last >= 0 && last < t.n {
				t.readFinal[last] = true
			}
		}
		if r.Stale {
			t.stale++
		}
	}

	t.laneReach = make([][]time.Duration, nl)
	t.laneStale = make([][]int, nl)
	for l, seqs := range t.lanes {
		slices.SortStableFunc(seqs, func(a, b int) int {
			if c := cmpDur(ev[a].Start, ev[b].Start); c != 0 {
				return c
			}
			return a - b
		})
		reach := make([]time.Duration, len(seqs))
		var hi time.Duration
		for i, s := range seqs {
			hi = max(hi, ev[s].End)
			reach[i] = hi
			if t.isStaleFinal(s) {
				t.laneStale[l] = append(t.laneStale[l], i)
			}
		}
		t.laneReach[l] = reach
	}

	for _, c := range tl.Commits {
		k := t.key(c.Key)
		k.commits = append(k.commits, c)
	}
	for _, x := range tl.Expiries {
		k := t.key(x.Key)
		k.expiries = append(k.expiries, x)
	}
	t.divAt = map[int][]int{}
	t.divEnd = map[int][]int{}
	for i, d := range tl.Divergences {
		t.divAt[max(d.CauseEvent, 0)] = append(t.divAt[max(d.CauseEvent, 0)], i)
		if d.EndEvent >= 0 {
			t.divEnd[d.EndEvent] = append(t.divEnd[d.EndEvent], i)
		}
		k := t.key(d.Key)
		k.divs = append(k.divs, i)
	}
	for _, k := range t.byKey {
		slices.SortStableFunc(k.cacheEv, byEnd)
		slices.SortStableFunc(k.dbEv, byEnd)
		slices.SortStableFunc(k.commits, func(a, b timeline.Commit) int { return cmpDur(a.At, b.At) })
		slices.SortStableFunc(k.expiries, func(a, b timeline.Expiry) int { return cmpDur(a.At, b.At) })
		slices.SortStableFunc(k.divs, func(a, b int) int {
			return cmpDur(tl.Divergences[a].From, tl.Divergences[b].From)
		})
	}
	for _, k := range t.byKey {
		k.divReach = make([]time.Duration, len(k.divs))
		var hi time.Duration
		k.ordered = true
		for i, d := range k.divs {
			hi = max(hi, t.divUntil(d))
			k.divReach[i] = hi
			dd := &tl.Divergences[d]
			k.divFrom = append(k.divFrom, dd.CauseEvent)
			if dd.EndEvent >= 0 {
				k.divTo = append(k.divTo, dd.EndEvent)
				k.ordered = k.ordered && dd.EndEvent > dd.CauseEvent
			}
		}
		slices.Sort(k.divFrom)
		slices.Sort(k.divTo)
		k.cacheSeqs = slices.Concat(k.cacheEv, k.divFrom, k.divTo)
		slices.Sort(k.cacheSeqs)
		k.dbSeqs = slices.Clone(k.dbEv)
		for _, c := range k.commits {
			k.dbSeqs = append(k.dbSeqs, c.Event)
		}
		slices.Sort(k.dbSeqs)
	}

	t.marks, t.causes = marksOf(tl)
	slices.Sort(durs)
	if len(durs) > 0 {
		t.typical = durs[len(durs)/2]
	}
	return t
}

func cmpDur(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// divUntil is when divergence i stopped, or the end of the run.
func (t *tape) divUntil(i int) time.Duration {
	d := t.tl.Divergences[i]
	if d.Until != nil {
		return *d.Until
	}
	return max(t.end, d.From)
}

// isStaleFinal reports whether event seq is the last step of a stale read.
func (t *tape) isStaleFinal(seq int) bool {
	r := t.readOf[seq]
	return r >= 0 && t.readFinal[seq] && t.tl.Reads[r].Stale
}

// inStaleRead reports whether event seq belongs to a stale read.
func (t *tape) inStaleRead(seq int) bool {
	r := t.readOf[seq]
	return r >= 0 && t.tl.Reads[r].Stale
}

// timeAt is the virtual instant of cursor position pos (0: the start; k: the
// end of event k-1).
func (t *tape) timeAt(pos int) time.Duration {
	if pos <= 0 || t.n == 0 {
		return 0
	}
	return t.tl.Events[min(pos, t.n)-1].End
}

// stateAt is the cache/DB state at cursor position pos.
func (t *tape) stateAt(pos int) timeline.State {
	return t.tl.StateAt(pos - 1)
}

// nextMark returns the cursor position of the first mark after pos, or -1.
func (t *tape) nextMark(pos int) int {
	// mark seq m is shown at position m+1
	i := sort.SearchInts(t.marks, pos) // first m with m >= pos, i.e. m+1 > pos
	if i < len(t.marks) {
		return t.marks[i] + 1
	}
	return -1
}

// isMark reports whether event seq is a mark.
func (t *tape) isMark(seq int) bool {
	i := sort.SearchInts(t.marks, seq)
	return i < len(t.marks) && t.marks[i] == seq
}

// prevMark returns the cursor position of the last mark before pos, or -1.
func (t *tape) prevMark(pos int) int {
	i := sort.SearchInts(t.marks, pos-1) // first m with m+1 >= pos
	if i > 0 {
		return t.marks[i-1] + 1
	}
	return -1
}

// firstReaching returns the first index i in lane l whose events up to i
// reach (end at or after) instant at.
func (t *tape) firstReaching(l int, at time.Duration) int {
	reach := t.laneReach[l]
	return sort.Search(len(reach), func(i int) bool { return reach[i] >= at })
}

// staleBetween reports whether lane l has a stale read's last step among
// positions [i, j).
func (t *tape) staleBetween(l, i, j int) bool {
	st := t.laneStale[l]
	k := sort.SearchInts(st, i)
	return k < len(st) && st[k] < j
}

// marksOf returns the seqs worth jumping to (see tape.marks) and which of
// them are causes.
func marksOf(tl *timeline.Timeline) ([]int, map[int]bool) {
	marks := tl.Marks()
	causes := map[int]bool{}
	for _, r := range tl.Reads {
		if !r.Stale || len(r.Events) == 0 {
			continue
		}
		first := r.Events[0]
		if first < 0 || first >= len(tl.Events) {
			continue
		}
		hit := tl.Events[first].End
		cause := -1
		for _, d := range tl.Divergences {
			if d.Key == r.Key && d.From <= hit && (d.Until == nil || hit <= *d.Until) && d.CauseEvent >= 0 {
				cause = d.CauseEvent
			}
		}
		if r.Cause >= 0 && r.Source == timeline.SourceCache {
			cause = max(cause, r.Cause)
		}
		if cause >= 0 && cause < first && !slices.Contains(marks, cause) {
			marks = append(marks, cause)
			causes[cause] = true
		}
	}
	slices.Sort(marks)
	return marks, causes
}

// commitOf finds when key's value v was committed at or before instant at.
func (t *tape) commitOf(key, v string, at time.Duration) (timeline.Commit, bool) {
	k, ok := t.byKey[key]
	if !ok {
		return timeline.Commit{}, false
	}
	cs := k.commits
	i := sort.Search(len(cs), func(i int) bool { return cs[i].At > at })
	for k := i - 1; k >= 0 && k >= i-64; k-- {
		if cs[k].Value == v {
			return cs[k], true
		}
	}
	return timeline.Commit{}, false
}

// withLabels returns a copy of t whose lanes are labelled labels (one per
// lane) instead of with their names. t itself is not changed.
func (t *tape) withLabels(labels []string) *tape {
	c := *t
	c.labels = labels
	return &c
}

// laneLabel is what the gutter shows for lane l.
func (t *tape) laneLabel(l int) string {
	if l < len(t.labels) {
		return t.labels[l]
	}
	return t.names[l]
}
