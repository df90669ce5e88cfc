package timeline

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode"
)

// DefaultWidth is the line width of Text, and of WriteText when
// TextOptions.Width is 0.
const DefaultWidth = 100

// TextOptions control the plain-text form.
type TextOptions struct {
	// Width is the most characters a line may hold (every character racetape
	// prints is one column wide); 0 means DefaultWidth.
	Width int
}

// Text returns the plain-text form of t at DefaultWidth: what `racetape run`
// prints and golden files hold. See WriteText.
func (t *Timeline) Text() string {
	var b strings.Builder
	_ = t.WriteText(&b, TextOptions{}) // a strings.Builder does not fail
	return b.String()
}

// WriteText writes the plain-text form of t, made to be read aloud: a
// header (scenario, mode, epoch, backend, expiry rule, schedule); the lanes,
// one per actor then the cache and the database, as a table in time order
// where every step shows where it starts (┌) and where it ends and takes
// effect (└), the cache lane is shaded (░) while the cache differs from the
// database, and a stale read is marked ✗ in the margin with a line saying
// what was served and what was current; then the stale reads, the
// divergences, and the verdict. No line is longer than opts.Width; when the
// lanes cannot be read side by side at that width, they are written one row
// per line instead.
func (t *Timeline) WriteText(w io.Writer, opts TextOptions) error {
	width := opts.Width
	if width <= 0 {
		width = DefaultWidth
	}
	p := &printer{w: w, width: width}
	t.writeHeader(p)
	p.line("")
	t.writeLanes(p)
	p.line("")
	t.writeStaleReads(p)
	p.line("")
	t.writeDivergences(p)
	p.line("")
	p.para(t.Verdict(), "", "  ")
	return p.err
}

// Verdict returns the one-line verdict: "verdict: no stale reads", or
// "verdict: 2 stale reads served (lost-invalidation ×1, stale-hit ×1)" with
// the anomalies in name order.
func (t *Timeline) Verdict() string {
	stale := t.StaleReads()
	if len(stale) == 0 {
		return "verdict: no stale reads"
	}
	counts := map[string]int{}
	for _, r := range stale {
		name := string(r.Anomaly)
		if name == "" {
			name = "unnamed"
		}
		counts[name]++
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s ×%d", n, counts[n])
	}
	noun := "stale reads"
	if len(stale) == 1 {
		noun = "stale read"
	}
	return fmt.Sprintf("verdict: %d %s served (%s)", len(stale), noun, strings.Join(parts, ", "))
}

// A printer writes lines of at most width runes and keeps the first error.
type printer struct {
	w     io.Writer
	width int
	err   error
}

func (p *printer) line(s string) {
	if p.err != nil {
		return
	}
	// A value with a tab or a newline in it must not break the layout.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '�'
		}
		return r
	}, s)
	s = fit(strings.TrimRight(s, " "), p.width)
	_, p.err = io.WriteString(p.w, s+"\n")
}

// minWrap is the narrowest width text is wrapped to; below it, wrapped
// lines are cut instead, rather than wrapped one word fragment a line.
const minWrap = 24

// para writes text word-wrapped, the first line led by first, the others by
// rest.
func (p *printer) para(text, first, rest string) {
	for _, l := range wrap(text, max(p.width, minWrap), first, rest) {
		p.line(l)
	}
}

// items writes short items side by side, two spaces apart, starting a new
// line (led by lead) when the next item would not fit.
func (p *printer) items(items []string, lead string) {
	cur := lead
	for _, it := range items {
		if cur != lead && runeLen(cur)+2+runeLen(it) > p.width {
			p.line(cur)
			cur = lead
		}
		if cur != lead {
			cur += "  "
		}
		cur += it
	}
	p.line(cur)
}

func (t *Timeline) writeHeader(p *printer) {
	title := t.Scenario
	if t.Title != "" {
		if title != "" {
			title += " — "
		}
		title += t.Title
	}
	if title == "" {
		title = "(unnamed run)"
	}
	p.para(title, "", "  ")
	if strings.TrimSpace(t.Description) != "" {
		p.para(t.Description, "", "")
	}
	var facts []string
	if t.Mode != "" {
		facts = append(facts, "mode "+t.Mode)
	}
	facts = append(facts, "epoch "+t.Epoch.Format(time.RFC3339Nano))
	if t.Backend != "" {
		b := "backend " + t.Backend
		if !t.Clock {
			b += " (TTLs follow the server's own clock)"
		}
		facts = append(facts, b)
	}
	p.para(strings.Join(facts, " · "), "", "  ")
	if t.Consistency != "" {
		p.para(t.Consistency+" — "+t.ConsistencyRule, "consistency: ", "  ")
	}
	if t.ExpiryRule != "" {
		p.para(t.ExpiryRule, "expiry rule: ", "  ")
	}
	if len(t.Schedule) > 0 {
		p.para(strings.Join(t.Schedule, " "), "schedule: ", "  ")
	}
}

func (t *Timeline) writeLanes(p *printer) {
	// Say everything if it fits; else leave out the key when it is always
	// the same, then versions and SET options; squeeze the columns last.
	key, single := t.singleKey()
	forms := []lanesForm{{}, {noKey: single}, {noKey: single, brief: true}}
	var (
		lt       laneTable
		l        tableLayout
		form     lanesForm
		fits     bool
		readable bool
	)
	for _, form = range forms {
		lt = t.lanes(form)
		if l, fits, readable = lt.layout(p.width); fits {
			break
		}
	}
	if !readable {
		// One row per line has room for versions and options again.
		form = lanesForm{noKey: single}
		lt = t.lanes(form)
	}
	omitted := form.noKey
	p.line("lanes")
	p.items([]string{"┌ step starts", "└ step ends (its effect)", "• instant step", "░ cache ≠ db", "✗ stale read"}, "  ")
	if omitted {
		p.para("every step is on key "+key+", so the lanes leave it out", "  ", "  ")
	}
	p.line("")
	switch {
	case len(lt.rows) == 0:
		p.line("  (no steps)")
	case readable:
		lt.drawTable(p, l)
	default:
		lt.drawList(p)
	}
}

func (t *Timeline) writeStaleReads(p *printer) {
	stale := t.StaleReads()
	if len(stale) == 0 {
		p.line("stale reads: none")
		return
	}
	p.line(fmt.Sprintf("stale reads (%d)", len(stale)))
	for i, r := range stale {
		num := fmt.Sprintf("  %d. ", i+1)
		ind := strings.Repeat(" ", runeLen(num))
		head := fmt.Sprintf("✗ %s · %s from %s · [%s, %s]", r.Actor, r.Key, r.Source, FormatOffset(r.Start), FormatOffset(r.End))
		if r.Anomaly != "" {
			head += " · " + string(r.Anomaly)
		}
		p.para(head, num, ind)
		served := "served " + servedText(r)
		if len(r.Current) > 0 {
			served += ", current " + strings.Join(r.Current, " → ")
		}
		p.para(served, ind, ind)
		why := r.Why
		if why == "" && r.Anomaly != "" {
			why = r.Anomaly.Explain()
		}
		if why != "" {
			p.para(why, ind+"why: ", ind+"  ")
		}
	}
}

func (t *Timeline) writeDivergences(p *printer) {
	if len(t.Divergences) == 0 {
		p.line("divergences: none")
		return
	}
	p.line(fmt.Sprintf("divergences (%d)", len(t.Divergences)))
	for i, d := range t.Divergences {
		num := fmt.Sprintf("  %d. ", i+1)
		ind := strings.Repeat(" ", runeLen(num))
		span := "from " + FormatOffset(d.From)
		if d.Until != nil {
			span += " until " + FormatOffset(*d.Until)
		}
		p.para(fmt.Sprintf("%s · cache %s ≠ db %s · %s", d.Key, d.CacheValue, d.DBValue, span), num, ind)
		if d.Cause != "" {
			p.para(d.Cause, ind+"cause: ", ind+"  ")
		}
		p.para(t.divergenceEnd(d), ind+"end: ", ind+"  ")
	}
}

// divergenceEnd says how a divergence ended, in the words of Divergence.End
// followed by the instant and the step.
func (t *Timeline) divergenceEnd(d Divergence) string {
	if d.Until == nil {
		if d.TTLLeft >= 0 {
			return "still diverged at the end of the run, TTL left " + FormatTTL(d.TTLLeft)
		}
		return "still diverged at the end of the run, no TTL"
	}
	s := d.End
	if s == "" {
		s = "ended"
	}
	s += " at " + FormatOffset(*d.Until)
	var step string
	if i := t.eventIndex(d.EndEvent); d.EndEvent >= 0 && i >= 0 {
		e := t.Events[i]
		step = e.Actor + "'s " + t.label(e, labelForm{})
	}
	switch {
	case d.End == "expiry":
		s += " (the TTL ran out)"
	case d.End == "commit" && step != "":
		s += " (the database caught up: " + step + ")"
	case step != "":
		s += " (" + step + ")"
	}
	return s
}
