package tui

import (
	"fmt"
	"strconv"
	"strings"

	"time"

	"github.com/racetape/racetape/timeline"
)

func itoa(i int) string { return strconv.Itoa(i) }

// opWord is the short name of a step's operation on its lane.
func opWord(op string) string {
	switch op {
	case "cache.get":
		return "GET"
	case "cache.set":
		return "SET"
	case "cache.del":
		return "DEL"
	case "cache.expire":
		return "EXPIRE"
	case "db.read":
		return "READ"
	case "db.write":
		return "WRITE"
	case "sleep":
		return "sleep"
	}
	return strings.ToUpper(strings.ReplaceAll(op, ".", " "))
}

// baseLabel is a step's label on its lane: "GET order:42 → CANCELLED",
// "DEL order:42", "WRITE order:42=PAID".
func baseLabel(e *timeline.Event) string {
	w := opWord(e.Op)
	if e.Op == "sleep" {
		return "sleep " + formatShort(e.End-e.Start)
	}
	if e.Key == "" {
		if e.Command != "" {
			return e.Command
		}
		return w
	}
	kind := e.Op
	if i := strings.IndexByte(kind, '.'); i >= 0 {
		kind = kind[i+1:]
	}
	switch kind {
	case "get", "read":
		switch e.Result {
		case "hit", "ok", "":
			return w + " " + e.Key + " → " + e.Value
		default:
			return w + " " + e.Key + " → " + e.Result
		}
	case "set", "write":
		s := w + " " + e.Key + "=" + e.Value
		if e.Result == "fail" {
			s += " refused"
		}
		return s
	}
	return w + " " + e.Key
}

// stepLabel is baseLabel, marked when the step ends a stale read:
// "✗ STALE GET order:42 → CANCELLED, current PAID".
func stepLabel(t *tape, seq int) string {
	s := t.tl.StepLabel(seq)
	if s == "" {
		s = baseLabel(&t.tl.Events[seq])
	}
	if t.isStaleFinal(seq) {
		r := &t.tl.Reads[t.readOf[seq]]
		s = "✗ STALE " + s + ", current " + strings.Join(r.Current, "/")
	}
	return s
}

// narrate says in plain words what the step before cursor position pos did,
// and whether it served stale data. In reveal mode the start does not tell
// the story's end (the scenario's description often does).
func narrate(t *tape, pos int, reveal bool) (string, bool) {
	if pos <= 0 || t.n == 0 {
		var b strings.Builder
		switch {
		case reveal:
			b.WriteString("Start: no step taken yet. Reveal mode: what lies ahead is hidden. Press → to step; p plays and pauses at each anomaly; n jumps to the next; R shows the whole run.")
		default:
			b.WriteString("Start: no step taken yet. Press → to step, n to jump to the next anomaly.")
			if d := strings.TrimSpace(t.tl.Description); d != "" {
				b.WriteString(" " + strings.Join(strings.Fields(d), " "))
			}
		}
		if t.tl.Mode == "schedule" && len(t.tl.Schedule) > 0 {
			b.WriteString(" Schedule: " + strings.Join(t.tl.Schedule, " ") + ".")
		}
		return b.String(), false
	}
	seq := min(pos, t.n) - 1
	e := &t.tl.Events[seq]
	var b strings.Builder
	b.WriteString(sentence(t, seq, e))
	if e.Note != "" {
		fmt.Fprintf(&b, " (%s)", strings.TrimSuffix(e.Note, "."))
	}
	b.WriteString(".")

	stale := false
	if ri := t.readOf[seq]; ri >= 0 && t.readFinal[seq] {
		r := &t.tl.Reads[ri]
		if r.Stale {
			stale = true
			b.WriteString(" " + staleSentence(t, r))
		} else if r.Served != "" {
			fmt.Fprintf(&b, " %s returns %s: current, not stale.", r.Actor, r.Served)
		}
	}
	for _, d := range t.divAt[seq] {
		dv := &t.tl.Divergences[d]
		if dv.CauseEvent < 0 && seq == 0 {
			fmt.Fprintf(&b, " The cache diverges from the database on %s from the start (cache %s, db %s).", dv.Key, dv.CacheValue, dv.DBValue)
			continue
		}
		fmt.Fprintf(&b, " Now the cache diverges from the database on %s: cache %s, db %s.", dv.Key, dv.CacheValue, dv.DBValue)
	}
	for _, d := range t.divEnd[seq] {
		fmt.Fprintf(&b, " The cache agrees with the database on %s again.", t.tl.Divergences[d].Key)
	}
	return b.String(), stale
}

// sentence is the plain-words account of one step, without a final period.
func sentence(t *tape, seq int, e *timeline.Event) string {
	who := e.Actor
	kind := e.Op
	if i := strings.IndexByte(kind, '.'); i >= 0 {
		kind = kind[i+1:]
	}
	if e.Op == "clock.tick" || e.Actor == timeline.ClockActor {
		if e.Key == "" {
			return "the clock advances to " + formatOffset(e.End)
		}
		return fmt.Sprintf("the clock advances to %s: %s expires from the cache, its TTL ran out", formatOffset(e.End), e.Key)
	}
	fromReplica := false
	if ri := t.readOf[seq]; ri >= 0 && t.tl.Reads[ri].Source == timeline.SourceReplica {
		fromReplica = true
	}
	switch {
	case e.Op == "sleep":
		return fmt.Sprintf("%s sleeps for %s", who, formatShort(e.End-e.Start))
	case e.IsCache() && kind == "get":
		switch e.Result {
		case "hit":
			return fmt.Sprintf("%s gets %s from the cache: %s", who, e.Key, e.Value)
		case "fail":
			return fmt.Sprintf("%s misses %s in the cache and cannot take the lease", who, e.Key)
		}
		if strings.HasPrefix(e.Op, "lease.") {
			return fmt.Sprintf("%s misses %s in the cache and takes a lease", who, e.Key)
		}
		return fmt.Sprintf("%s misses %s in the cache", who, e.Key)
	case e.IsCache() && kind == "set":
		if e.Result == "fail" {
			return fmt.Sprintf("%s tries to set %s to %s in the cache: refused", who, e.Key, e.Value)
		}
		return fmt.Sprintf("%s sets %s to %s in the cache", who, e.Key, e.Value)
	case e.IsCache() && kind == "del":
		return fmt.Sprintf("%s deletes %s from the cache", who, e.Key)
	case e.IsCache() && kind == "expire":
		return fmt.Sprintf("%s sets an expiry on %s in the cache", who, e.Key)
	case e.Op == "db.read":
		src := "the database"
		if fromReplica {
			src = "the replica"
		}
		if e.Result == "miss" {
			return fmt.Sprintf("%s reads %s from %s: no row", who, e.Key, src)
		}
		if e.Version > 0 {
			return fmt.Sprintf("%s reads %s from %s: %s (v%d)", who, e.Key, src, e.Value, e.Version)
		}
		return fmt.Sprintf("%s reads %s from %s: %s", who, e.Key, src, e.Value)
	case e.Op == "db.write":
		if e.Version > 0 {
			return fmt.Sprintf("%s commits %s = %s to the database (v%d)", who, e.Key, e.Value, e.Version)
		}
		return fmt.Sprintf("%s commits %s = %s to the database", who, e.Key, e.Value)
	}
	if e.Command != "" {
		return fmt.Sprintf("%s sends %s", who, e.Command)
	}
	return fmt.Sprintf("%s: %s %s", who, e.Op, e.Key)
}

// staleSentence says what was current during a stale read, and why.
func staleSentence(t *tape, r *timeline.Read) string {
	var parts []string
	for _, v := range r.Current {
		if c, ok := t.commitOf(r.Key, v, r.End); ok {
			parts = append(parts, fmt.Sprintf("%s at %s", v, formatShortOffset(c.At)))
		} else {
			parts = append(parts, v)
		}
	}
	cur := strings.Join(parts, ", then ")
	if cur == "" {
		cur = "another value"
	}
	an := string(r.Anomaly)
	if an == "" {
		an = "stale"
	}
	return fmt.Sprintf("The database committed %s: this read is stale (%s).", cur, an)
}

// formatShortOffset is "+3ms", "+4.5ms".
func formatShortOffset(d time.Duration) string { return "+" + formatShort(d) }

// wrapText wraps text in at most n lines of width columns; the last is cut
// with "…" when the text does not fit.
func wrapText(text string, width, n int) []string {
	if n <= 0 || width <= 0 {
		return nil
	}
	words := strings.Fields(text)
	var lines []string
	cur := ""
	for i, wd := range words {
		if cur == "" {
			cur = wd
		} else if textWidth(cur)+1+textWidth(wd) <= width {
			cur += " " + wd
		} else {
			if len(lines) == n-1 {
				return append(lines, clip(cur+" "+strings.Join(words[i:], " "), width))
			}
			lines = append(lines, clip(cur, width))
			cur = wd
		}
	}
	if cur != "" {
		lines = append(lines, clip(cur, width))
	}
	return lines
}
