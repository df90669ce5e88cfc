package tui

import (
	"sort"
	"time"
)

// A drawing is one track drawn in a window: its bar line and its label
// lines.
type drawing struct {
	bar    row
	labels []row
	// need is how many label lines the track needs for every label to be
	// drawn whole (maxLabelLines when even these are not enough).
	need int
}

// A drawKey is everything a track's drawing depends on.
type drawKey struct {
	t           *tape
	tr          track
	cols        int
	left, scale time.Duration
	reveal      bool
	cursor      cursorSig
	lines       int // label lines
}

// A drawCache keeps tracks' drawings between frames, so that a frame draws
// only the tracks that changed: stepping with the whole run shown redraws
// the lane of the step left and the lane of the step reached. Copies of a
// model share it; it never holds more than drawCacheMax drawings.
type drawCache struct{ m map[drawKey]*drawing }

// drawCacheMax bounds the drawings a drawCache holds (each a few
// kilobytes): a frame of many tracks, twice over, with room to spare.
const drawCacheMax = 1024

// A cursorSig is what of the cursor a track's drawing depends on.
type cursorSig [3]int64

// cursorSigOf is what of the cursor position tr's drawing in w depends on.
// With the whole run shown, only an actor lane depends on it, and only
// when the current step is on it (drawn on top, its label first). In
// reveal mode a track shows the steps before the cursor: how many of the
// track's own events lie before it says which; the cache track also
// shades a divergence still open up to the cursor's instant, and marks
// the expiries before it.
func cursorSigOf(t *tape, w window, tr track) cursorSig {
	cur := w.Pos - 1
	if !w.Reveal {
		if tr.kind == trackActor && cur >= 0 && cur < t.n && t.laneOf[cur] == tr.lane {
			return cursorSig{int64(cur)}
		}
		return cursorSig{-1}
	}
	before := func(seqs []int) int64 { return int64(sort.SearchInts(seqs, w.Pos)) }
	if tr.kind == trackActor {
		on := int64(0)
		if cur >= 0 && cur < t.n && t.laneOf[cur] == tr.lane {
			on = 1
		}
		return cursorSig{before(t.laneSeqs[tr.lane]), on}
	}
	ki := t.byKey[tr.key]
	if ki == nil {
		return cursorSig{}
	}
	if tr.kind == trackDB {
		return cursorSig{before(ki.dbSeqs)}
	}
	if !ki.ordered {
		return cursorSig{int64(w.Pos), -1, -1}
	}
	now := w.now(t)
	open := int64(-1)
	if before(ki.divFrom) > before(ki.divTo) {
		open = int64(now)
	}
	xs := ki.expiries
	expired := sort.Search(len(xs), func(i int) bool { return xs[i].At > now })
	return cursorSig{before(ki.cacheSeqs), open, int64(expired)}
}

// drawing returns tr drawn in w on lines label lines, from w.Draws when it
// has it. Labels take the first line they fit on, in the same order
// whatever the number of lines, so a track drawn on the lines it needs is
// the drawing on maxLabelLines lines, cut: one drawing serves both.
func (w window) drawing(t *tape, tr track, lines int) *drawing {
	full := w.draw(t, tr, maxLabelLines)
	if lines == 0 || lines == full.need {
		return full
	}
	return w.draw(t, tr, lines)
}

// draw draws tr in w on lines label lines, or finds it in w.Draws.
func (w window) draw(t *tape, tr track, lines int) *drawing {
	cols := w.cols()
	k := drawKey{t: t, tr: tr, cols: cols, left: w.Left, scale: w.Scale, reveal: w.Reveal, cursor: cursorSigOf(t, w, tr), lines: lines}
	if c := w.Draws; c != nil {
		if d, ok := c.m[k]; ok {
			return d
		}
	}
	d := &drawing{bar: newRow(cols), labels: make([]row, lines)}
	for i := range d.labels {
		d.labels[i] = newRow(cols)
	}
	d.need = lines
	if drawTrack(t, w, tr, d.bar, d.labels, cols) {
		d.need = 1
		for i := lines - 1; i > 0; i-- {
			if !d.labels[i].blank() {
				d.need = i + 1
				break
			}
		}
	}
	if c := w.Draws; c != nil {
		if c.m == nil || len(c.m) >= drawCacheMax {
			c.m = make(map[drawKey]*drawing)
		}
		c.m[k] = d
	}
	return d
}

// A textKey is everything a pane's text depends on (the styles are the
// model's, set once).
type textKey struct {
	pane         paneKind
	tape         *tape
	pos          int
	width, lines int
	reveal       bool
	sched        bool // scheduler mode
	note         string
}

// textsMax bounds the panes' texts a memo keeps: the few sizes a frame
// asks for, for a few frames.
const textsMax = 64

// keepText keeps a pane's text under k.
func (mm *memo) keepText(k textKey, lines []string) {
	if mm.texts == nil || len(mm.texts) >= textsMax {
		mm.texts = make(map[textKey][]string)
	}
	mm.texts[k] = lines
}
