package presets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// allocatedBy returns the bytes f allocates on the heap.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// header is a scenario's start, before its actors' items.
const header = "name: x\nactors:\n"

// actorsYAML returns n one-step actors.
func actorsYAML(n int) string {
	var b strings.Builder
	b.WriteString(header)
	for i := range n {
		fmt.Fprintf(&b, "  - name: a%d\n    steps:\n      - cache.get: {key: k, took: 1ms}\n", i)
	}
	return b.String()
}

// stepsYAML returns one actor of n steps.
func stepsYAML(n int) string {
	var b strings.Builder
	b.WriteString(header + "  - name: a\n    steps:\n")
	for range n {
		b.WriteString("      - cache.get: {key: k, took: 1ms}\n")
	}
	return b.String()
}

// rowsYAML returns n db rows and n cache entries.
func rowsYAML(n int) string {
	var b strings.Builder
	b.WriteString("name: x\ndb:\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	b.WriteString("cache:\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: v\n", i)
	}
	b.WriteString("actors:\n  - name: a\n    steps:\n      - cache.get: {key: k0, took: 1ms}\n")
	return b.String()
}

// requireOneError parses data with ld and requires one error at line:col
// saying msg, found without the parser allocating more than most bytes.
func requireOneError(t *testing.T, ld Loader, data string, line, col int, msg string, most uint64) *Error {
	t.Helper()
	var err error
	raw := []byte(data)
	alloc := allocatedBy(func() { _, err = ld.Parse("f.yaml", raw) })
	var list List
	require.ErrorAs(t, err, &list, "want a List")
	require.NotEmpty(t, list)
	e := list[0]
	require.Equal(t, [2]int{line, col}, [2]int{e.Line, e.Col}, "position of %q", e.Msg)
	require.Contains(t, e.Msg, msg)
	require.Less(t, alloc, most, "allocated %d bytes", alloc)
	return e
}

func TestHostileFiles(t *testing.T) {
	const mb = 1 << 20
	ld := Loader{}
	cases := []struct {
		name      string
		data      string
		line, col int
		msg       string
		most      uint64 // bytes the loader may allocate
	}{
		{"flow sequence nested 100k deep", "name: x\nactors: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n",
			2, 8 + maxNesting, "nested more than", 4 * mb},
		{"block sequence nested 40k deep", "name: x\nactors:\n" + strings.Repeat("- ", 40000) + "x\n",
			3, 2*maxNesting - 1, "nested more than", 4 * mb},
		{"a million steps", stepsYAML(1000000)[:8<<20], 10021, 7, "more than 10016 entries in one list", 40 * mb},
		{"ten thousand and one steps", stepsYAML(10001), 10005, 9, "more than 10000 steps in one scenario, the limit (--max-steps)", 200 * mb},
		{"rows past the key limit", rowsYAML(50000), 1019, 3, "more than 1016 entries in one mapping", 16 * mb},
		{"keys past the limit", rowsYAML(1001), 1003, 3, "key \"k1000\" is one more than the limit of 1000 distinct keys (--max-keys)", 100 * mb},
		{"actors past the limit", actorsYAML(1001), 3003, 5, "more than 1000 actors, the limit (--max-actors)", 100 * mb},
		{"zeros", strings.Repeat("\x00", 1<<20), 1, 1, "control character U+0000", 4 * mb},
		{"random bytes", "name: x\n\xff\xfe\x80", 2, 1, "byte 0xff is not UTF-8", mb},
		{"escape and bell", "name: x\nactors:\n  - name: \"\x1b[2J\x07\"\n", 3, 12, "control character U+001B", mb},
		{"one long key over a long list", "a: {" + strings.Repeat("K", 100000) + ": [" + strings.Repeat("1,", 20000) + "]}\n",
			1, 100483, "add up to more than", 8 * mb},
		{"a comment bomb", strings.Repeat("#\n", 4<<20), 372097, 1, "more than 372096 YAML tokens", 8 * mb},
		{"past the size limit", strings.Repeat("#", 8<<20+1), 0, 0, "larger than the limit of 8 MiB (--max-file-size)", 4 * mb},
		{"an instant past the clock", header + "  - name: a\n    at: 2562047h\n    steps:\n      - sleep: 1ms\n",
			4, 9, "at: 2562047h is past the virtual time limit of 87600h (--max-time)", mb},
		{"instants that add up past the clock", header + "  - name: a\n    at: 80000h\n    steps:\n      - sleep: 7000h\n      - db.write: {key: k, value: v, took: 8000h}\n",
			7, 9, "can take the virtual clock to 95000h by this step, past the limit of 87600h (--max-time)", mb},
		{"a ttl below a millisecond", header + "  - name: a\n    steps:\n      - cache.set: {key: k, value: v, ttl: 1500us}\n",
			5, 44, "ttl: 1.5ms is not a whole number of milliseconds (Redis TTLs are)", mb},
		{"a seed ttl below a millisecond", "name: x\ncache:\n  k: {value: v, ttl: 1ms500us}\n" + header[8:] + "  - name: a\n    steps:\n      - sleep: 1ms\n",
			3, 22, "ttl: 1.5ms is not a whole number of milliseconds", mb},
		{"an expire at below a millisecond", header + "  - name: a\n    steps:\n      - cache.expire: {key: k, at: 2.5ms}\n",
			5, 36, "at: 2.5ms is not a whole number of milliseconds", mb},
		{"a lease below a millisecond", header + "  - name: a\n    steps:\n      - lease.get: {key: k, lease: 10500us}\n",
			5, 36, "lease: 10.5ms is not a whole number of milliseconds", mb},
		{"the zero epoch", "name: x\nepoch: 0001-01-01T00:00:00Z\n" + header[8:] + "  - name: a\n    steps:\n      - sleep: 1ms\n",
			2, 8, "epoch: 0001-01-01T00:00:00Z is before 1970-01-01T00:00:00Z", mb},
		{"two %YAML directives", "%YAML 1.2\n%YAML 1.2\n---\nname: x\n", 2, 1, "a second %YAML directive", mb},
		{"a directive without a document start", "%YAML 1.2\nname: x\n", 2, 1, `followed by a "---" line`, mb},
		{"YAML 2", "%YAML 2.0\n---\nname: x\n", 1, 1, "want a version 1.x", mb},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := requireOneError(t, ld, c.data, c.line, c.col, c.msg, c.most)
			require.Less(t, len(e.Error()), 1000, "an error is a few lines, whatever the file")
		})
	}
}

func TestHostileFilesWithinRaisedLimits(t *testing.T) {
	ld := Loader{Limits: engine.Limits{Actors: 3000, Steps: 20000, Keys: 5000, Time: 20 * 365 * 24 * time.Hour}}
	for name, data := range map[string]string{
		"3,000 actors":         actorsYAML(3000),
		"10,001 steps":         stepsYAML(10001),
		"5,000 rows":           rowsYAML(5000),
		"an instant of 95000h": header + "  - name: a\n    at: 80000h\n    steps:\n      - sleep: 7000h\n      - db.write: {key: k, value: v, took: 8000h}\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ld.Parse("f.yaml", []byte(data))
			require.NoError(t, err)
		})
	}
}

func TestAcceptedOddities(t *testing.T) {
	good, err := os.ReadFile("scenarios/cache-aside.yaml")
	require.NoError(t, err)
	want, err := Parse("f.yaml", good)
	require.NoError(t, err)
	for name, data := range map[string]string{
		"a byte-order mark":            "\ufeff" + string(good),
		"%YAML and %TAG":               "%YAML 1.2\n%TAG !e! tag:example.com,2000:\n---\n" + string(good),
		"directives and comments":      "# a scenario\n%YAML 1.1 # old\n\n%TAG ! tag:x.org,2020:\n--- # here\n" + string(good),
		"CRLF":                         strings.ReplaceAll(string(good), "\n", "\r\n"),
		"lone CR":                      strings.ReplaceAll(string(good), "\n", "\r"),
		"a block scalar with brackets": strings.Replace(string(good), "description: >", "description: >\n  [[[[ {{{{ ]] # : - ? ,\n ", 1),
		"a multi-line quoted string":   strings.Replace(string(good), "title: ", "title: \"a\n  [b]\n  c\" # ", 1),
	} {
		t.Run(name, func(t *testing.T) {
			sc, err := Parse("f.yaml", []byte(data))
			require.NoError(t, err)
			require.Equal(t, withoutPos(want.Actors), withoutPos(sc.Actors))
			require.Equal(t, want.DB, sc.DB)
		})
	}
	// A step's position counts the lines of the directives.
	sc, err := Parse("f.yaml", []byte("%YAML 1.2\n%TAG !e! tag:example.com,2000:\n---\n"+string(good)))
	require.NoError(t, err)
	require.Equal(t, "f.yaml:"+shiftLine(want.Actors[0].Steps[0].Pos, 3), sc.Actors[0].Steps[0].Pos)
}

// withoutPos returns the actors with their steps' positions cleared.
func withoutPos(actors []engine.Actor) []engine.Actor {
	out := clone(&engine.Scenario{Actors: actors}).Actors
	var clear func([]engine.Step)
	clear = func(steps []engine.Step) {
		for i := range steps {
			steps[i].Pos = ""
			clear(steps[i].Then)
			clear(steps[i].Else)
		}
	}
	for _, a := range out {
		clear(a.Steps)
	}
	return out
}

// shiftLine returns the "LINE:COL" of a "file:LINE:COL" position, LINE
// moved down by n.
func shiftLine(p string, n int) string {
	parts := strings.Split(p, ":")
	var line int
	fmt.Sscan(parts[1], &line)
	return fmt.Sprintf("%d:%s", line+n, parts[2])
}

func TestLoadStdinAndDevices(t *testing.T) {
	good, err := os.ReadFile("scenarios/cache-aside.yaml")
	require.NoError(t, err)
	sc, err := Loader{Stdin: strings.NewReader(string(good))}.LoadFile("-")
	require.NoError(t, err)
	require.Equal(t, "cache-aside", sc.Name)
	require.Equal(t, StdinName, sc.File)

	_, err = Loader{Stdin: strings.NewReader("name: x\nactors: 3\n")}.Resolve("-")
	require.ErrorContains(t, err, "<stdin>:2:9: actors: want a list of actors")

	if _, err := os.Stat("/dev/zero"); err == nil {
		var err error
		alloc := allocatedBy(func() { _, err = LoadFile("/dev/zero") })
		require.ErrorContains(t, err, "/dev/zero: larger than the limit of 8 MiB (--max-file-size)")
		require.Less(t, alloc, uint64(64<<20), "reads no further than the limit")
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(big, make([]byte, 9<<20), 0o600))
	_, err = LoadFile(big)
	require.ErrorContains(t, err, "big.yaml: 9 MiB, larger than the limit of 8 MiB")
	_, err = Loader{Limits: engine.Limits{FileSize: 16 << 20}}.LoadFile(big)
	require.ErrorContains(t, err, "big.yaml:1:1: control character U+0000", "a raised limit reads it")
}

func TestErrorsAreBounded(t *testing.T) {
	// One 1 MB line with 100,000 unknown fields: every error shows a short
	// excerpt of the line, and the list stops after maxErrors.
	var b strings.Builder
	b.WriteString("name: x\nactors: [{name: a, steps: [{cache.get: {key: k")
	for i := range 100000 {
		fmt.Fprintf(&b, ", z%d: 1", i)
	}
	b.WriteString("}}]}]\n")
	_, err := Loader{Limits: engine.Limits{Keys: 200000}}.Parse("f.yaml", []byte(b.String()))
	var list List
	require.ErrorAs(t, err, &list)
	require.Len(t, list, maxErrors+1)
	require.Equal(t, fmt.Sprintf("%d more errors not shown", 100000-maxErrors), list[maxErrors].Msg)
	require.Less(t, len(err.Error()), 400*(maxErrors+1))
	first := list[0].Error()
	require.Contains(t, first, `f.yaml:2:49: actor "a": step 1: cache.get: unknown field "z0"`)
	require.Contains(t, first, "\nactors: [{name: a, steps: [{cache.get: {key: k, z0: 1, z1: 1")
	require.Contains(t, first, "…\n")
}

func TestErrorSourceEscaped(t *testing.T) {
	e := &Error{File: "f", Line: 1, Col: 8, Msg: "bad \x1b]0;pwned\x07", Source: "  key: \x1b[2J\x07 x"}
	require.Equal(t, "f:1:8: bad \\x1b]0;pwned\\x07\n  key: \\x1b[2J\\x07 x\n       ^", e.Error())
	long := &Error{File: "f", Line: 1, Col: 5000, Msg: "m", Source: strings.Repeat("a", 4999) + "B" + strings.Repeat("c", 5000)}
	lines := strings.Split(long.Error(), "\n")
	require.Len(t, lines, 3)
	require.Less(t, len([]rune(lines[1])), 2*excerptWidth)
	require.Equal(t, len([]rune(lines[1][:strings.IndexRune(lines[1], 'B')])), len(lines[2])-1, "the caret is under the column")
	require.True(t, strings.HasPrefix(lines[1], "…") && strings.HasSuffix(lines[1], "…"))
	tab := &Error{Line: 1, Col: 3, Msg: "m", Source: "\t\tx"}
	require.Equal(t, "1:3: m\n\t\tx\n\t\t^", tab.Error(), "tabs stay, so the caret lines up")
}

func TestSeedMatrixTTL(t *testing.T) {
	for _, c := range []struct{ ttl, want string }{
		{"1000000h", `ttl="1000000h": past the virtual time limit of 87600h (--max-time)`},
		{"2562047h", `ttl="2562047h": past the virtual time limit`},
		{"1500us", `ttl="1500us": 1.5ms is not a whole number of milliseconds (Redis TTLs are)`},
		{"0s", `ttl="0s": must be positive`},
		{"20000h", "can take the virtual clock to"},
	} {
		t.Run(c.ttl, func(t *testing.T) {
			_, err := GetWith("seed-matrix", Params{"ttl": c.ttl})
			require.ErrorContains(t, err, c.want)
		})
	}
	sc, err := GetWith("seed-matrix", Params{"ttl": "2h"})
	require.NoError(t, err)
	require.Equal(t, 2*time.Hour, sc.Cache[0].TTL)
	_, err = Loader{Limits: engine.Limits{Time: engine.MaxTime}}.GetWith("seed-matrix", Params{"ttl": "20000h"})
	require.NoError(t, err, "a raised limit")
	_, err = Loader{Limits: engine.Limits{Actors: 10}}.GetWith("seed-matrix", nil)
	require.ErrorContains(t, err, "15 actors, more than the limit of 10 (--max-actors)")
	require.True(t, errors.Is(err, engine.ErrLimit))
}
