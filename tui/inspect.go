package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/racetape/racetape/timeline"
)

// staleLinesMax is the most lines the verdict on a stale read takes.
const staleLinesMax = 4

// inspectorWant is how many inspector lines (without its title) the state
// at pos would fill at width.
func inspectorWant(t *tape, pos, width int) int {
	s := t.stateAt(pos)
	n := max(len(s.Cache), len(s.DB)+len(s.Replica), 1)
	if text := staleVerdict(t, pos); text != "" {
		n += len(wrapText(text, width, staleLinesMax))
	}
	return min(n, 14)
}

// staleVerdict explains the stale read that ends at cursor position pos,
// or is "".
func staleVerdict(t *tape, pos int) string {
	if pos <= 0 || !t.isStaleFinal(pos-1) {
		return ""
	}
	r := &t.tl.Reads[t.readOf[pos-1]]
	why := r.Why
	if why == "" {
		why = r.Anomaly.Explain()
	}
	why = strings.TrimSuffix(why, ".") + "."
	return fmt.Sprintf("✗ STALE (%s): %s read %s from the %s over [%s, %s]: served %s, current %s. Why: %s",
		r.Anomaly, r.Actor, r.Key, r.Source, formatOffset(r.Start), formatOffset(r.End), r.Served,
		strings.Join(r.Current, ", then "), why)
}

// renderInspector draws the state at the cursor in lines lines (title rule
// included): a stale verdict when the cursor is on one, then side by side
// every cache key with its value and TTL left, every database row with its
// value, version and commit instant, and the replica's rows if any. The key
// the current step touches comes first.
func renderInspector(t *tape, pos, width, lines int, st *styles) []string {
	if lines <= 0 {
		return nil
	}
	s := t.stateAt(pos)
	at := t.timeAt(pos)
	focus := ""
	if pos > 0 {
		focus = t.tl.Events[pos-1].Key
	}
	out := make([]string, 0, lines)

	// The replica gets its own column when there is room, else it is
	// listed under the database rows.
	cols := []string{"cache at " + formatOffset(at), "db (committed)"}
	sideReplica := s.Replica != nil && width >= 110
	if sideReplica {
		cols = append(cols, "replica")
	} else if s.Replica != nil {
		cols[1] = "db (committed) · replica"
	}
	gap := 2
	cw := (width - gap*(len(cols)-1)) / len(cols)
	title := newRow(width)
	title.fill(0, width-1, '─', inkDim)
	for i, c := range cols {
		title.text(i*(cw+gap)+1, " "+c+" ", inkBold, min(i*(cw+gap)+cw, width))
	}
	out = append(out, title.renderString(st))

	body := lines - 1
	if text := staleVerdict(t, pos); text != "" && body > 0 {
		// the verdict, keeping a line for the state when there are two
		n := min(staleLinesMax, max(body-1, 1))
		ls := wrapText(text, width, n)
		for _, l := range ls {
			out = append(out, st.paint(inkStale, l))
		}
		body -= len(ls)
	}
	if body <= 0 {
		return out
	}

	cells := make([][]string, len(cols))
	cells[0] = listRows(len(s.Cache), indexOfKey(len(s.Cache), func(i int) string { return s.Cache[i].Key }, focus), body, cw, func(i int) (string, ink) {
		c := s.Cache[i]
		v := c.Value
		if c.Version > 0 {
			v += " v" + itoa(c.Version)
		}
		mark, k := "  ", inkPlain
		if r, ok := rowOf(s.DB, c.Key); !ok || r.Value != c.Value {
			mark, k = "≠ ", inkShade
		}
		return mark + c.Key + " " + v + " " + formatTTL(c.TTL), k
	}, st)
	dbRow := func(rows []timeline.Row) func(i int) (string, ink) {
		return func(i int) (string, ink) {
			r := rows[i]
			return fmt.Sprintf("%s %s v%d @%s %s", r.Key, r.Value, r.Version, formatShortOffset(r.CommittedAt), r.Actor), inkPlain
		}
	}
	replicaRows := func(n int) []string {
		return listRows(len(s.Replica), indexOfKey(len(s.Replica), func(i int) string { return s.Replica[i].Key }, focus), n, cw, func(i int) (string, ink) {
			text, k := dbRow(s.Replica)(i)
			if !sideReplica {
				text = "replica " + text
			}
			return text, k
		}, st)
	}
	dbBody := body
	if s.Replica != nil && !sideReplica {
		dbBody = body - min(max(len(s.Replica), 1), body/2)
	}
	cells[1] = listRows(len(s.DB), indexOfKey(len(s.DB), func(i int) string { return s.DB[i].Key }, focus), dbBody, cw, dbRow(s.DB), st)
	switch {
	case sideReplica:
		cells[2] = replicaRows(body)
	case s.Replica != nil && body > len(cells[1]):
		cells[1] = append(cells[1], replicaRows(body-len(cells[1]))...)
	}
	for i := range body {
		var b strings.Builder
		for c := range cols {
			if c > 0 {
				b.WriteString(strings.Repeat(" ", gap))
			}
			if i < len(cells[c]) {
				b.WriteString(cells[c][i])
			} else if c < len(cols)-1 {
				b.WriteString(strings.Repeat(" ", cw))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// listRows draws up to n rows of a sorted list of size items, the focus item
// first, each padded to w columns; a last row says how many are left out.
func listRows(size, focus, n, w int, row func(i int) (string, ink), st *styles) []string {
	if size == 0 {
		return []string{st.paint(inkDim, pad("  (empty)", w))}
	}
	order := make([]int, 0, min(size, n))
	if focus >= 0 {
		order = append(order, focus)
	}
	for i := 0; i < size && len(order) < n; i++ {
		if i != focus {
			order = append(order, i)
		}
	}
	if size > n && n > 0 {
		order = order[:n-1]
	}
	out := make([]string, 0, n)
	for j, i := range order {
		text, k := row(i)
		if j == 0 && i == focus {
			if k == inkPlain {
				k = inkBold
			}
		}
		out = append(out, st.paint(k, pad(text, w)))
	}
	if size > len(order) {
		out = append(out, st.paint(inkDim, pad(fmt.Sprintf("  … +%d more", size-len(order)), w)))
	}
	return out
}

// indexOfKey finds key in a list sorted by key, or -1.
func indexOfKey(n int, keyAt func(int) string, key string) int {
	if key == "" {
		return -1
	}
	i := sort.Search(n, func(i int) bool { return keyAt(i) >= key })
	if i < n && keyAt(i) == key {
		return i
	}
	return -1
}

// rowOf finds key's row in rows (sorted by key).
func rowOf(rows []timeline.Row, key string) (timeline.Row, bool) {
	i := indexOfKey(len(rows), func(i int) string { return rows[i].Key }, key)
	if i < 0 {
		return timeline.Row{}, false
	}
	return rows[i], true
}
