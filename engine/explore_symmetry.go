package engine

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Symmetry between identical actors: actors whose programs are the same
// (same steps, keys, values, durations, conditions; only the names differ)
// behave the same wherever they are swapped, so renaming them maps each
// class of schedules onto a class with the same verdicts and anomalies.
// The search explores one class of each orbit (the classes renaming maps
// onto each other), as GenMC does for symmetric threads (Kokologiannakis
// et al.), by a rule every orbit has a class that keeps.
//
// The rule. For identical actors s < t (by index), compare their steps
// index by index: s_1 with t_1, s_2 with t_2, .... At the first index i
// where s_i and t_i are ordered (one happens before the other), s_i must
// come first. Until then the two actors took concurrent steps from the
// same local state, which gave the same results (the steps commute and
// have the same footprint), so they are still in the same state before
// step i and their i-th steps have the same footprint. Swapping the two
// names maps a class that breaks the rule at i onto one that keeps it,
// without changing anything before i; and "s comes first at its first
// ordered index" is transitive among three or more identical actors, so a
// renaming sorts all of them at once.
//
// The search keeps the rule without abandoning prefixes: it never takes a
// step after which every completion breaks it (a doomed step), and treats
// one as explored (asleep: its classes mirror explored ones). While t is
// ahead of s at an undecided pair, the steps s_j that t_j precedes are
// pending: each must not come to happen after t_j, and has t_j's
// footprint. s can always take them at once, so a prefix is doomed exactly
// when one already must (doomed).

// A symmetry is what the search knows of identical actors.
type symmetry struct {
	pairs []symPair // every pair of identical actors, s < t
	// fixed is, by pair, the depth of the step that ordered the pair's
	// steps of the first index where they are ordered (s first), or -1.
	fixed []int32
}

type symPair struct{ s, t int }

// identicalActors groups the actors of sc whose programs are the same and
// that can be renamed: a lease token names its actor, so an actor that
// takes a lease is in no group.
func identicalActors(sc *Scenario) [][]int {
	var groups [][]int
	placed := make([]bool, len(sc.Actors))
	for i := range sc.Actors {
		if placed[i] || takesLease(sc.Actors[i].Steps) {
			continue
		}
		g := []int{i}
		prog := withoutPos(sc.Actors[i].Steps)
		for j := i + 1; j < len(sc.Actors); j++ {
			if !placed[j] && reflect.DeepEqual(prog, withoutPos(sc.Actors[j].Steps)) {
				g = append(g, j)
				placed[j] = true
			}
		}
		if len(g) > 1 {
			groups = append(groups, g)
		}
	}
	return groups
}

// withoutPos copies a program without where its steps were written.
func withoutPos(steps []Step) []Step {
	out := slices.Clone(steps)
	for i := range out {
		out[i].Pos = ""
		out[i].Then, out[i].Else = withoutPos(out[i].Then), withoutPos(out[i].Else)
	}
	return out
}

func takesLease(steps []Step) bool {
	lease := false
	eachStep(steps, func(st *Step) {
		lease = lease || st.Op == OpLeaseGet || st.Op == OpLeaseSet || st.Op == OpLeaseDel
	})
	return lease
}

func newSymmetry(groups [][]int) *symmetry {
	sym := &symmetry{}
	for _, g := range groups {
		for a, s := range g {
			for _, t := range g[a+1:] {
				sym.pairs = append(sym.pairs, symPair{s, t})
			}
		}
	}
	sym.fixed = make([]int32, len(sym.pairs))
	sym.clear()
	return sym
}

func (sym *symmetry) clear() {
	for k := range sym.fixed {
		sym.fixed[k] = -1
	}
}

// truncate forgets what the steps from depth d on ordered.
func (sym *symmetry) truncate(d int) {
	for k, f := range sym.fixed {
		if f >= int32(d) {
			sym.fixed[k] = -1
		}
	}
}

// count is the number of steps p took on the path.
func (ds *dpor) count(p int) int32 {
	if l := ds.lastAt[p]; l >= 0 {
		return ds.pidx[l]
	}
	return 0
}

// stepOf is the depth of p's k-th step (from 1) on the path.
func (ds *dpor) stepOf(p int, k int32) int32 {
	d := ds.lastAt[p]
	for ds.pidx[d] > k {
		d = ds.prev[d]
	}
	return d
}

// doomed says whether participant p's next step, footprint fp, whose
// vector clock ds.vc holds, breaks the symmetry rule in every completion.
// For a pair where t is (or, by this step, gets) ahead of s, each step
// s_j that t_j precedes is pending, with t_j's footprint: the step dooms
// if it happens after t_j and depends on s_j (s_j would then happen after
// t_j), or if it is s's next step and happens after t's of its index.
func (w *worker) doomed(p int, fp *Footprint) bool {
	ds := w.ds
	sym := ds.sym
	for k, pr := range sym.pairs {
		if sym.fixed[k] >= 0 {
			continue
		}
		s, t := pr.s, pr.t
		a, b := ds.count(s), ds.count(t)
		if p == s {
			if a < b && ds.vc[t] > a {
				return true
			}
			continue
		}
		if p == t {
			b++
		}
		for j := a + 1; j <= b && ds.vc[t] >= j; j++ {
			mirror := *fp // t's step about to be taken, when j is its index
			if p != t || j < b {
				mirror = w.fps[ds.stepOf(t, j)]
			}
			mirror.Who = s
			if dependent(fp, &mirror) {
				return true
			}
		}
	}
	return false
}

// ordered records what p's step, just taken (the last of the path),
// decided: t's step of an index s took already, after it. It checks that
// s, at a step concurrent with t's of the same index, is where t was.
func (w *worker) ordered(p int) error {
	ds := w.ds
	sym := ds.sym
	D := len(ds.pidx) - 1
	for k, pr := range sym.pairs {
		if sym.fixed[k] >= 0 || (p != pr.s && p != pr.t) {
			continue
		}
		s, t := pr.s, pr.t
		a, b := ds.count(s), ds.count(t)
		switch {
		case p == t && b <= a:
			if ds.vcs[D*ds.parts+s] >= b {
				sym.fixed[k] = int32(D)
			}
		case p == s && a < b:
			mirror := w.fps[ds.stepOf(t, a+1)]
			mirror.Who = s
			if !slices.Contains(w.enabled(), s) {
				return fmt.Errorf("exploration bug: identical actors %s and %s differ after concurrent steps", w.e.names[s], w.e.names[t])
			}
			if next := w.footprint(s); !sameStep(&next, &mirror) {
				return fmt.Errorf("exploration bug: identical actors %s and %s differ after concurrent steps", w.e.names[s], w.e.names[t])
			}
		}
	}
	return nil
}

// A renaming is what minimizeOrbit needs of the identical actors: for each
// participant its group (-1: none), and each group's names in order.
type renaming struct {
	group []int      // by participant
	names [][]string // by group, sorted
	// byName[g][k] is the participant whose name is names[g][k].
	byName [][]int
}

func newRenaming(groups [][]int, names []string) *renaming {
	r := &renaming{group: make([]int, len(names))}
	for p := range r.group {
		r.group[p] = -1
	}
	for g, members := range groups {
		sorted := slices.Clone(members)
		slices.SortFunc(sorted, func(a, b int) int { return strings.Compare(names[a], names[b]) })
		var gn []string
		for _, p := range sorted {
			gn = append(gn, names[p])
			r.group[p] = g
		}
		r.names = append(r.names, gn)
		r.byName = append(r.byName, sorted)
	}
	return r
}

// A beamState is a prefix of a linearization minimizeOrbit follows: its
// steps taken per participant, who ran last, its preemptions, and the
// rank each identical actor got when it first appeared.
type beamState struct {
	code uint64
	s    []int
	last int
	cost int32
	rank []int16 // by participant, -1 until it appears
	next []int16 // by group: ranks given
}

// maxBeam bounds the prefixes minimizeOrbit follows at once.
const maxBeam = 1 << 12

// minimizeOrbit is minimize up to renaming identical actors: of the
// schedules equivalent to path or to a renaming of it, the one with the
// fewest preemptions, then the lexicographically smallest. Renaming gives
// identical actors their names in order of first appearance (the k-th of a
// group to appear takes its k-th name), which is what the smallest member
// of an orbit does, so it follows every linearization of path's class
// with the fewest preemptions at once (a beam: ties between identical
// actors that have not appeared yet take the same name and branch),
// keeping those that write the smallest names.
//
// fewest has set the program up, and found total preemptions.
func (w *worker) minimizeOrbit(total int) []int {
	mz := &w.mz
	rn := w.e.renaming
	start := beamState{last: -1, s: make([]int, mz.parts), rank: make([]int16, mz.parts), next: make([]int16, len(rn.names))}
	if mz.seen == nil {
		mz.seen = map[string]struct{}{}
	}
	for p := range start.rank {
		start.rank[p] = -1
	}
	beam := []beamState{start}
	out := mz.out[:0]
	type move struct {
		from int
		q    int
		nl   int
		c    int32
	}
	var moves []move
	for taken := range mz.m {
		best := ""
		moves = moves[:0]
		for i := range beam {
			st := &beam[i]
			copy(mz.s, st.s)
			for q := range mz.parts {
				room := int32(total) - st.cost
				v, nl, ok := mz.try(st.code, taken, st.last, q, room)
				if !ok || v != room {
					continue
				}
				name := rn.nameOf(st, q, w.e.names)
				if best != "" && name > best {
					continue
				}
				if name != best {
					best, moves = name, moves[:0]
				}
				c, _ := mz.cost(st.last, q)
				moves = append(moves, move{i, q, nl, c})
			}
		}
		var next []beamState
		clear(mz.seen)
		for _, mv := range moves {
			st := beam[mv.from]
			ns := beamState{code: st.code + mz.mult[mv.q], last: mv.nl, cost: st.cost + mv.c,
				s: slices.Clone(st.s), rank: slices.Clone(st.rank), next: slices.Clone(st.next)}
			ns.s[mv.q]++
			if g := rn.group[mv.q]; g >= 0 && ns.rank[mv.q] < 0 {
				ns.rank[mv.q] = ns.next[g]
				ns.next[g]++
			}
			// States that agree on the steps taken, the last to run and
			// the names given complete the same way: follow one.
			key := binary.LittleEndian.AppendUint64(mz.key[:0], ns.code)
			key = binary.LittleEndian.AppendUint32(key, uint32(ns.last))
			for _, r := range ns.rank {
				key = binary.LittleEndian.AppendUint16(key, uint16(r))
			}
			mz.key = key
			if _, dup := mz.seen[string(key)]; !dup {
				mz.seen[string(key)] = struct{}{}
				next = append(next, ns)
			}
		}
		if len(next) > maxBeam {
			// Too many ties to follow: the class's own best.
			clear(mz.s)
			return w.lexLeast(total)
		}
		beam = next
		out = append(out, rn.participant(best, moves[0].q, w.e.names))
	}
	mz.out = out
	return out
}

// nameOf is the name participant q takes next in the prefix st.
func (rn *renaming) nameOf(st *beamState, q int, names []string) string {
	g := rn.group[q]
	switch {
	case g < 0:
		return names[q]
	case st.rank[q] >= 0:
		return rn.names[g][st.rank[q]]
	}
	return rn.names[g][st.next[g]]
}

// participant is the participant named name, q or one of its group.
func (rn *renaming) participant(name string, q int, names []string) int {
	g := rn.group[q]
	if g < 0 {
		return q
	}
	return rn.byName[g][slices.Index(rn.names[g], name)]
}

// normalized says whether identical actors first appear in path in name
// order.
func (rn *renaming) normalized(path []int, names []string) bool {
	next := make([]int, len(rn.names))
	seen := make([]bool, len(rn.group))
	for _, p := range path {
		g := rn.group[p]
		if g < 0 || seen[p] {
			continue
		}
		if names[p] != rn.names[g][next[g]] {
			return false
		}
		seen[p] = true
		next[g]++
	}
	return true
}
