package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/racetape/racetape/timeline"
)

// inspectorCols is the width from which the cache and the database are
// shown side by side.
const inspectorCols = 70

// inspectorWant is how many lines the state at pos would fill at width
// (its column headings included).
func inspectorWant(t *tape, pos, width int) int {
	s := t.stateAt(pos)
	if width < inspectorCols {
		return min(2+len(s.Cache)+1+len(s.DB)+len(s.Replica), 16)
	}
	return min(1+max(len(s.Cache), len(s.DB)+len(s.Replica), 1), 16)
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

// renderInspector draws the state at the cursor in at most lines lines of
// width columns: every cache key with its value and TTL left, every
// database row with its value, version and commit instant, and the
// replica's rows if any, side by side under their headings (one under the
// other when narrow). The key the current step touches comes first.
func renderInspector(t *tape, pos, width, lines int, st *styles) []string {
	if lines <= 0 || width <= 0 {
		return nil
	}
	s := t.stateAt(pos)
	focus := ""
	if pos > 0 {
		focus = t.tl.Events[pos-1].Key
	}
	cacheRow := func(i int) (string, ink) {
		c := s.Cache[i]
		v := c.Value
		if c.Version > 0 {
			v += " v" + itoa(c.Version)
		}
		mark, k := "= ", inkPlain
		if r, ok := rowOf(s.DB, c.Key); !ok || r.Value != c.Value {
			mark, k = "≠ ", inkShade
		}
		return mark + c.Key + " " + v + " " + formatTTL(c.TTL), k
	}
	dbRow := func(rows []timeline.Row, prefix string) func(i int) (string, ink) {
		return func(i int) (string, ink) {
			r := rows[i]
			return fmt.Sprintf("%s%s %s v%d @%s %s", prefix, r.Key, r.Value, r.Version, formatShortOffset(r.CommittedAt), r.Actor), inkPlain
		}
	}
	keyOf := func(rows []timeline.Row) func(int) string { return func(i int) string { return rows[i].Key } }
	cacheKey := func(i int) string { return s.Cache[i].Key }

	if width < inspectorCols {
		// one column: the cache, then the database
		var out []string
		out = append(out, st.paint(inkTitle, clip("cache", width)))
		n := max(min(len(s.Cache), lines-3), 1)
		out = append(out, listRows(len(s.Cache), indexOfKey(len(s.Cache), cacheKey, focus), n, width, cacheRow, st)...)
		out = append(out, st.paint(inkTitle, clip("db (committed)", width)))
		rest := max(lines-len(out), 1)
		out = append(out, listRows(len(s.DB), indexOfKey(len(s.DB), keyOf(s.DB), focus), rest, width, dbRow(s.DB, ""), st)...)
		if s.Replica != nil && len(out) < lines {
			out = append(out, listRows(len(s.Replica), indexOfKey(len(s.Replica), keyOf(s.Replica), focus), lines-len(out), width, dbRow(s.Replica, "replica "), st)...)
		}
		return out[:min(len(out), lines)]
	}

	cols := []string{"cache", "db (committed)"}
	sideReplica := s.Replica != nil && width >= 110
	if sideReplica {
		cols = append(cols, "replica")
	} else if s.Replica != nil {
		cols[1] = "db (committed) · replica"
	}
	gap := 2
	cw := (width - gap*(len(cols)-1)) / len(cols)
	body := lines - 1
	cells := make([][]string, len(cols))
	cells[0] = listRows(len(s.Cache), indexOfKey(len(s.Cache), cacheKey, focus), body, cw, cacheRow, st)
	replicaRows := func(n int, prefix string) []string {
		return listRows(len(s.Replica), indexOfKey(len(s.Replica), keyOf(s.Replica), focus), n, cw, dbRow(s.Replica, prefix), st)
	}
	dbBody := body
	if s.Replica != nil && !sideReplica {
		dbBody = body - min(max(len(s.Replica), 1), body/2)
	}
	cells[1] = listRows(len(s.DB), indexOfKey(len(s.DB), keyOf(s.DB), focus), max(dbBody, 1), cw, dbRow(s.DB, ""), st)
	switch {
	case sideReplica:
		cells[2] = replicaRows(body, "")
	case s.Replica != nil && body > len(cells[1]):
		cells[1] = append(cells[1], replicaRows(body-len(cells[1]), "replica ")...)
	}
	out := make([]string, 0, lines)
	var head strings.Builder
	for i, c := range cols {
		if i > 0 {
			head.WriteString(strings.Repeat(" ", gap))
		}
		head.WriteString(st.paint(inkTitle, pad(c, cw)))
	}
	out = append(out, head.String())
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
		if strings.TrimSpace(b.String()) == "" {
			break
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
	if size > n && n > 1 {
		order = order[:n-1] // the last line says how many more
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
	if size > len(order) && n > 1 {
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
