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
