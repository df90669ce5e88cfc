package tui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/timeline"
)

// Scheduler mode makes the user the scheduler: the lanes show the run of
// the schedule built so far, each actor that can move is numbered, and a
// number (or the arrows and enter) runs that actor's next step, which
// starts when the previous one ended, as in `racetape run --schedule`. The
// schedule is replayed from the start at every pick; undo goes back to the
// point before, kept as it was. A banner says when the run serves stale
// data and names the anomaly: the game is to make the cache lie.

// A choice is one participant that can take the next step.
type choice struct {
	name string // an actor, or timeline.ClockActor
	key  string // "1".."9" by the actor's place in the scenario, "c" for the clock; "" past the ninth
	next string // what the step would do: "DEL order:42"
}

// A schedPoint is the schedule built so far, run: its timeline as a tape
// (lanes labelled with the keys), who can go next, and which of them is
// selected.
type schedPoint struct {
	tape    *tape
	choices []choice
	sel     int
}

// schedule is the point's schedule: one name per step taken.
func (p *schedPoint) schedule() []string { return p.tape.tl.Schedule }

// choiceOf returns the index of name among the choices, or -1.
func (p *schedPoint) choiceOf(name string) int {
	return slices.IndexFunc(p.choices, func(c choice) bool { return c.name == name })
}

// A scheduler is scheduler mode's state: the scenario and every point from
// the start to the one shown (the last), so undo is a pop.
type scheduler struct {
	sc     *engine.Scenario
	points []schedPoint
}

func (s scheduler) active() bool { return len(s.points) > 0 }

// cur is the point shown.
func (s scheduler) cur() *schedPoint { return &s.points[len(s.points)-1] }

// step runs name's next step after the current point. The points are
// copied, not appended in place, so an older model keeps its own; the
// point before is kept as it was, selection included, for undo.
func (s scheduler) step(name string) (scheduler, error) {
	names := append(slices.Clone(s.cur().schedule()), name)
	p, err := newSchedPoint(s.sc, names)
	if err != nil {
		return s, err
	}
	if i := p.choiceOf(name); i >= 0 {
		p.sel = i // the same actor stays selected while it can move
	}
	n := len(s.points)
	s.points = append(s.points[:n:n], p)
	return s, nil
}

// undo goes back one step; at the start it does nothing.
func (s scheduler) undo() scheduler {
	if len(s.points) > 1 {
		s.points = s.points[:len(s.points)-1]
	}
	return s
}

// selectBy moves the selection by d choices, wrapping around.
func (s scheduler) selectBy(d int) scheduler {
	p := s.cur()
	if len(p.choices) == 0 {
		return s
	}
	n := len(s.points)
	pts := slices.Clone(s.points)
	pts[n-1].sel = ((p.sel+d)%len(p.choices) + len(p.choices)) % len(p.choices)
	s.points = pts
	return s
}

// newSchedPoint runs schedule on sc and returns the point it reaches.
func newSchedPoint(sc *engine.Scenario, schedule []string) (schedPoint, error) {
	tl, choices, err := runPrefix(sc, schedule)
	if err != nil {
		return schedPoint{}, err
	}
	t := newTape(tl)
	// Label the lanes: "1 writer" can move (press 1), "· name" can move
	// but has no number key, "  name" has finished.
	labels := make([]string, len(t.names))
	for l, name := range t.names {
		tag := "  "
		if i := slices.IndexFunc(choices, func(c choice) bool { return c.name == name }); i >= 0 {
			tag = "· "
			if choices[i].key != "" {
				tag = choices[i].key + " "
			}
		}
		labels[l] = tag + name
	}
	return schedPoint{tape: t.withLabels(labels), choices: choices}, nil
}

// runPrefix is engine.RunPrefix plus a preview of each actor's next step:
// it runs the steps of schedule (actor names, "clock" for a clock tick) one
// after the other and returns the timeline so far (reads in progress judged
// as they stand) and who can take the next step, in scenario order, the
// clock last.
func runPrefix(sc *engine.Scenario, schedule []string) (*timeline.Timeline, []choice, error) {
	r, err := engine.NewRunner(sc, engine.Options{Schedule: append([]string{}, schedule...)})
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	actors := r.Actors()
	index := map[string]int{timeline.ClockActor: engine.ClockIndex}
	for i, a := range actors {
		index[a] = i
	}
	for k, name := range schedule {
		i, ok := index[name]
		if !ok {
			return nil, nil, fmt.Errorf("schedule step %d: no actor %q", k+1, name)
		}
		if _, err := r.Step(i); err != nil {
			return nil, nil, fmt.Errorf("schedule step %d: %w", k+1, err)
		}
	}
	var out []choice
	for _, i := range r.Enabled() {
		if i == engine.ClockIndex {
			out = append(out, choice{name: timeline.ClockActor, key: "c", next: "advance to the next TTL expiry"})
			continue
		}
		c := choice{name: actors[i]}
		if i < 9 {
			c.key = strconv.Itoa(i + 1)
		}
		if st, ok := r.Next(i); ok {
			c.next = stepPreview(st)
		}
		out = append(out, c)
	}
	tl, err := r.Timeline()
	return tl, out, err
}

// stepPreview names a step before it runs: "GET order:42",
// "WRITE order:42=PAID", "sleep 3ms".
func stepPreview(st *engine.Step) string {
	w := opWord(string(st.Op))
	switch st.Op {
	case engine.OpSleep:
		return "sleep " + formatShort(st.Took)
	case engine.OpDBWrite:
		return w + " " + st.Key + "=" + st.Value
	case engine.OpCacheSet, engine.OpLeaseSet, engine.OpCASSet:
		if st.HasValue || st.Value != "" {
			return w + " " + st.Key + "=" + st.Value
		}
	case engine.OpDBRead:
		if st.Replica {
			return w + " " + st.Key + " (replica)"
		}
	}
	if st.Key == "" {
		return w
	}
	return w + " " + st.Key
}

// A schedStartedMsg brings scheduler mode's first point, or why it failed.
type schedStartedMsg struct {
	src, id int
	sc      *engine.Scenario
	point   schedPoint
	err     error
}

// schedStartCmd loads the source's scenario and its starting point, off
// the UI goroutine.
func schedStartCmd(src Source, i, id int) tea.Cmd {
	return func() (msg tea.Msg) {
		defer func() {
			if p := recover(); p != nil {
				msg = schedStartedMsg{src: i, id: id, err: fmt.Errorf("scheduler mode: panic: %v", p)}
			}
		}()
		sc, err := src.Scenario()
		if err != nil {
			return schedStartedMsg{src: i, id: id, err: err}
		}
		p, err := newSchedPoint(sc, nil)
		return schedStartedMsg{src: i, id: id, sc: sc, point: p, err: err}
	}
}

// notAvailable is the note for s and e on a source without a scenario.
func notAvailable(what string) string {
	return what + " is not available for this source: it has no scenario to run"
}

// startSchedule asks for scheduler mode on the current source.
func (m Model) startSchedule() (Model, tea.Cmd) {
	src := m.sources[m.cur]
	if src.Scenario == nil {
		m.note = notAvailable("scheduler mode")
		return m, nil
	}
	m.playing = false
	m.reqID++
	return m, schedStartCmd(src, m.cur, m.reqID)
}

// schedStarted enters scheduler mode.
func (m Model) schedStarted(msg schedStartedMsg) Model {
	if msg.id != m.reqID || msg.src != m.cur || m.state != stateTape {
		return m
	}
	if msg.err != nil {
		m.note = "scheduler mode: " + msg.err.Error()
		return m
	}
	m.keepTimed()
	m.state = stateSchedule
	// the axis starts at the timed run's scale and only grows from there
	m.schedScale = m.scale
	m.sched = scheduler{sc: msg.sc, points: []schedPoint{msg.point}}
	m.showPoint()
	return m
}

// keepTimed remembers the source's own run and the cursor there, before
// the lanes show another run.
func (m *Model) keepTimed() {
	if m.tape == m.timed {
		m.timedPos = m.pos
	}
}

// backToTimed shows the source's own run again, where the cursor was.
func (m *Model) backToTimed() {
	m.tape, m.pos, m.shown = m.timed, m.timedPos, ""
	m.left, m.top, m.auto = 0, 0, true
	m.fit()
}

// showPoint puts the current point in the lanes, the cursor on its last
// step.
func (m *Model) showPoint() {
	p := m.sched.cur()
	m.tape, m.pos, m.shown = p.tape, p.tape.n, ""
	m.left = 0
	m.fit()
}

// updateSchedule handles a key in scheduler mode.
func (m Model) updateSchedule(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	p := m.sched.cur()
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.fit()
	case key.Matches(msg, k.Leave):
		m.state = stateTape
		m.sched = scheduler{}
		m.backToTimed()
	case key.Matches(msg, k.Explore):
		m.state = stateTape
		m.sched = scheduler{}
		m.backToTimed()
		return m.startExplore()
	case key.Matches(msg, k.Keep):
		m.state = stateTape
		m.shown = "your schedule"
		m.sched = scheduler{}
	case key.Matches(msg, k.Undo):
		if len(m.sched.points) == 1 {
			m.note = "nothing to undo: no step taken yet"
			break
		}
		m.sched = m.sched.undo()
		m.showPoint()
	case key.Matches(msg, k.SelNext):
		m.sched = m.sched.selectBy(1)
	case key.Matches(msg, k.SelPrev):
		m.sched = m.sched.selectBy(-1)
	case key.Matches(msg, k.Run):
		if len(p.choices) == 0 {
			m.note = "every actor has finished: u undoes a step"
			break
		}
		return m.schedStep(p.choices[p.sel].name), nil
	case key.Matches(msg, k.Clock):
		if p.choiceOf(timeline.ClockActor) < 0 {
			m.note = "the clock cannot move: no TTL can run out before the run ends"
			break
		}
		return m.schedStep(timeline.ClockActor), nil
	case key.Matches(msg, k.Choose):
		i := int(msg.Runes[0] - '1')
		if i >= len(m.sched.sc.Actors) {
			m.note = fmt.Sprintf("no actor %d: this scenario has %s", i+1, plural(len(m.sched.sc.Actors), "actor", "actors"))
			break
		}
		name := m.sched.sc.Actors[i].Name
		if p.choiceOf(name) < 0 {
			m.note = name + " has finished its program"
			break
		}
		return m.schedStep(name), nil
	default:
		if _, cmd := m.viewKey(msg); cmd != nil {
			return m, cmd
		}
	}
	return m, nil
}

// schedStep runs name's next step.
func (m Model) schedStep(name string) Model {
	s, err := m.sched.step(name)
	if err != nil {
		m.note = "scheduler mode: " + err.Error()
		return m
	}
	m.sched = s
	m.showPoint()
	return m
}

// schedIntro is the narration before the first pick.
const schedIntro = "Scheduler mode: you decide who moves next. Press an actor's number to run its next step; it starts when the previous one ended. u undoes. Can you make the cache serve stale data?"

// schedBanner celebrates a stale read in the run built so far, naming its
// anomaly, or is "". While actors can still move the name is the one the
// run has as it stands (a later DEL can turn ttl-staleness into stale-hit).
func schedBanner(p *schedPoint) string {
	stale := p.tape.tl.StaleReads()
	if len(stale) == 0 {
		return ""
	}
	var names []string
	for _, r := range stale {
		if a := string(r.Anomaly); a != "" && !slices.Contains(names, a) {
			names = append(names, a)
		}
	}
	an := strings.Join(names, ", ")
	if an == "" {
		an = "stale"
	}
	if len(p.choices) > 0 {
		an += " so far"
	}
	r := stale[0]
	src := string(r.Source)
	if src == "cache" || src == "db" || src == "replica" {
		src = "the " + src
	}
	var b strings.Builder
	fmt.Fprintf(&b, "★ You made the cache serve stale data! %s: %s got %s from %s, current %s.",
		an, r.Actor, r.Served, src, strings.Join(r.Current, "/"))
	if len(stale) > 1 {
		fmt.Fprintf(&b, " (%s in all.)", plural(len(stale), "stale read", "stale reads"))
	}
	return b.String()
}

// renderSchedPanel draws scheduler mode's panel in n lines of width
// columns: the banner (when the run served stale data), who can go next,
// and the schedule so far as a --schedule argument. When the lines do not
// suffice the schedule goes first, then the choices.
func renderSchedPanel(p *schedPoint, width, n int, st *styles) []string {
	if n <= 0 || width <= 0 {
		return nil
	}
	banner := schedBanner(p)
	var bl []string
	if banner != "" {
		bl = wrapText(banner, width, 2)
	}
	sched := "schedule: none yet — each step you run is added here, replayable with --schedule"
	if s := p.schedule(); len(s) > 0 {
		sched = fmt.Sprintf("schedule (%s): --schedule %q", plural(len(s), "step", "steps"), engine.FormatSchedule(s))
	}

	// Share the lines: a banner line, a choices line, the schedule, then
	// the banner's and the choices' second lines.
	nb, nc, ns := 0, 0, 0
	left := n
	take := func(want int, got *int) {
		if left > 0 && *got < want {
			*got++
			left--
		}
	}
	take(len(bl), &nb)
	take(2, &nc)
	take(1, &ns)
	take(len(bl), &nb)
	take(2, &nc)

	out := make([]string, 0, n)
	for _, l := range bl[:nb] {
		if !st.noColor {
			l = pad(l, width) // a band across the screen
		}
		out = append(out, st.paint(inkStaleLb, l))
	}
	out = append(out, choiceLines(p, width, nc, st)...)
	if ns > 0 {
		out = append(out, st.paint(inkDim, clip(sched, width)))
	}
	for len(out) < n {
		out = append(out, "")
	}
	return out
}

// choiceLines lists who can go next in up to n lines: "next: [1 writer:
// DEL order:42]  2 reader: GET order:42", the selected one in brackets.
// When they do not all fit, the list scrolls to keep the selection in
// view, with ◂ and ▸ where some are left out.
func choiceLines(p *schedPoint, width, n int, st *styles) []string {
	if n <= 0 {
		return nil
	}
	if len(p.choices) == 0 {
		text := "every actor has finished: u undoes a step, v opens this run in the tape view, esc leaves"
		return []string{st.paint(inkBold, clip(text, width))}
	}
	items := make([]string, len(p.choices))
	for i, c := range p.choices {
		s := c.name
		if c.key != "" {
			s = c.key + " " + s
		}
		if c.next != "" {
			s += ": " + c.next
		}
		if i == p.sel {
			s = "[" + s + "]"
		} else {
			s = " " + s + " "
		}
		items[i] = s
	}
	const lead = "next:"
	// lay out from first; move first right until the selection shows
	layout := func(first int) ([][]int, bool) {
		var lines [][]int
		w := textWidth(lead)
		if first > 0 {
			w += 2 // " ◂"
		}
		cur := []int{}
		for i := first; i < len(items); i++ {
			iw := 1 + textWidth(items[i])
			if w+iw > width-2 && len(cur) > 0 { // keep room for " ▸"
				lines = append(lines, cur)
				if len(lines) == n {
					return lines, true
				}
				cur, w = []int{}, 0
			}
			cur = append(cur, i)
			w += iw
		}
		return append(lines, cur), false
	}
	first := 0
	var lines [][]int
	var more bool
	for {
		lines, more = layout(first)
		last := lines[len(lines)-1]
		if p.sel <= last[len(last)-1] || first >= p.sel {
			break
		}
		first++
	}
	out := make([]string, 0, len(lines))
	for li, idx := range lines {
		var b strings.Builder
		if li == 0 {
			b.WriteString(st.paint(inkBold, lead))
			if first > 0 {
				b.WriteString(st.paint(inkDim, " ◂"))
			}
		}
		for _, i := range idx {
			b.WriteString(" ")
			k := inkPlain
			if i == p.sel {
				k = inkCursorLb
			}
			b.WriteString(st.paint(k, items[i]))
		}
		line := strings.TrimRight(b.String(), " ")
		if more && li == len(lines)-1 {
			line += st.paint(inkDim, " ▸")
		}
		out = append(out, st.clip(line, width))
	}
	return out
}

// schedPanelWant is how many panel lines the point would fill at width.
func schedPanelWant(p *schedPoint, width int) int {
	n := 2 // choices, schedule
	if b := schedBanner(p); b != "" {
		n += len(wrapText(b, width, 2))
	}
	if len(choiceLines(p, width, 2, &styles{noColor: true})) > 1 {
		n++
	}
	return n
}
