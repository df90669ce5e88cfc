package engine

import (
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestZonesAgreeWithSearch: the zone check decides exactly as the
// Wing & Gong search on histories whose writes write distinct values,
// drawn on a coarse grid so that intervals touch and tie often.
func TestZonesAgreeWithSearch(t *testing.T) {
	n, lin := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		var ops []linOp
		at := func(label string) time.Duration {
			return time.Duration(rapid.IntRange(0, 6).Draw(t, label)) * time.Millisecond
		}
		writes := rapid.IntRange(0, 3).Draw(t, "writes")
		values := []string{"init"}
		for i := range writes {
			s := at("ws")
			v := fmt.Sprintf("w%d", i)
			values = append(values, v)
			ops = append(ops, linOp{write: true, value: v, start: s, end: s + at("wl")})
		}
		for range rapid.IntRange(0, 4).Draw(t, "reads") {
			s := at("rs")
			v := rapid.SampledFrom(append(values, "ghost")).Draw(t, "v")
			ops = append(ops, linOp{value: v, start: s, end: s + at("rl")})
		}
		got, decided := zonesLinearizable("init", ops)
		if !decided {
			t.Fatalf("values are distinct: the zones must decide")
		}
		want, err := searchLinearizable("init", ops)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if want {
			lin++
		}
		if got != want {
			t.Fatalf("zones %v, search %v on %+v", got, want, ops)
		}
	})
	t.Logf("%d histories, %d linearizable", n, lin)
}

// TestOrderedAgreesWithSearch: with the writes' commit order known, the
// ordered check decides exactly as the search does under that order, on
// histories drawn on a coarse grid (touching intervals, ties, writes whose
// commit order contradicts real time, reads of values never written).
func TestOrderedAgreesWithSearch(t *testing.T) {
	n, lin := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		var ops []linOp
		at := func(label string) time.Duration {
			return time.Duration(rapid.IntRange(0, 6).Draw(t, label)) * time.Millisecond
		}
		writes := rapid.IntRange(0, 4).Draw(t, "writes")
		values := []string{"init"}
		for i := range writes {
			s := at("ws")
			v := fmt.Sprintf("w%d", i)
			values = append(values, v)
			ops = append(ops, linOp{write: true, value: v, start: s, end: s + at("wl"), version: 2 + rapid.IntRange(0, 100).Draw(t, "version")*10 + i})
		}
		for range rapid.IntRange(0, 5).Draw(t, "reads") {
			s := at("rs")
			v := rapid.SampledFrom(append(values, "ghost")).Draw(t, "v")
			ops = append(ops, linOp{value: v, start: s, end: s + at("rl")})
		}
		got, decided := orderedLinearizable("init", ops)
		if !decided {
			t.Fatalf("versions known, values distinct: the ordered check must decide")
		}
		want, err := searchLinearizable("init", ops)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if want {
			lin++
		}
		if got != want {
			t.Fatalf("ordered %v, search %v on %+v", got, want, ops)
		}
	})
	t.Logf("%d histories, %d linearizable", n, lin)
}

// TestLinearizableTies: closed intervals that touch overlap, whatever
// their kinds.
func TestLinearizableTies(t *testing.T) {
	w := linOp{write: true, value: "B", start: 0, end: 3 * time.Millisecond, version: 2}
	read := func(v string, s, e time.Duration) linOp { return linOp{value: v, start: s, end: e} }
	ms := time.Millisecond
	for _, c := range []struct {
		name string
		ops  []linOp
		want bool
	}{
		{"old value right as the write ends", []linOp{w, read("A", 3*ms, 4*ms)}, true},
		{"old value after the write ended", []linOp{w, read("A", 3*ms+1, 4*ms)}, false},
		{"new value ending as the write starts", []linOp{read("B", -ms, 0), w}, true},
		{"new value before the write began", []linOp{read("B", -ms, -1), w}, false},
		{"touching reads, new then old, during the write", []linOp{w, read("B", ms, 2*ms), read("A", 2*ms, 3*ms)}, true},
		{"new then old, one after the other, during the write", []linOp{w, read("B", ms, ms+ms/2), read("A", 2*ms, 3*ms)}, false},
	} {
		for _, check := range []func(string, []linOp) (bool, error){linearizable, searchLinearizable} {
			got, err := check("A", c.ops)
			if err != nil || got != c.want {
				t.Errorf("%s: got %v (%v), want %v", c.name, got, err, c.want)
			}
		}
	}
}

// TestCommitOrderDecides: two overlapping writes are linearized in their
// commit order: a read after both sees the later commit.
func TestCommitOrderDecides(t *testing.T) {
	ms := time.Millisecond
	w1 := linOp{write: true, value: "B", start: 0, end: 5 * ms, version: 2}
	w2 := linOp{write: true, value: "C", start: ms, end: 4 * ms, version: 3}
	late := func(v string) linOp { return linOp{value: v, start: 6 * ms, end: 7 * ms} }
	for _, check := range []func(string, []linOp) (bool, error){linearizable, searchLinearizable} {
		if ok, _ := check("A", []linOp{w1, w2, late("B")}); ok {
			t.Errorf("B after both writes, though C was committed after it, passed")
		}
		if ok, _ := check("A", []linOp{w1, w2, late("C")}); !ok {
			t.Errorf("C, the last commit, after both writes, failed")
		}
	}
}
