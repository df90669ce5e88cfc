package main

import (
	"bytes"
	"context"
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

// The hostile inputs of issue 9, and more: each must end with exit status
// 2, a message naming the line to blame when a line is, nothing on stdout,
// no panic, and a bounded amount of memory.

const mib = 1 << 20

// gen builds a scenario from a header and n items made by item.
func gen(head string, n int, item func(i int) string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := range n {
		b.WriteString(item(i))
	}
	return b.String()
}

const (
	actorsHead = "name: x\nactors:\n"
	oneActor   = actorsHead + "  - name: a\n    steps:\n"
)

func oneStepActor(i int) string {
	return fmt.Sprintf("  - name: a%d\n    steps:\n      - cache.get: {key: k, took: 1ms}\n", i)
}

func getStep(int) string { return "      - cache.get: {key: k, took: 1ms}\n" }

func rows(n int) string {
	row := func(i int) string { return fmt.Sprintf("  k%d: v\n", i) }
	return gen("name: x\ndb:\n", n, row) + gen("cache:\n", n, row) + "actors:\n  - name: a\n    steps:\n      - sleep: 1ms\n"
}

// valid is a scenario with one actor of one step, written after head.
func valid(head string) string {
	return head + actorsHead[len("name: x\n"):] + "  - name: a\n    steps:\n      - cache.get: {key: k, took: 1ms}\n"
}

type hostile struct {
	name string
	// args run with "FILE" replaced by the path of a file holding file.
	args  []string
	file  string
	stdin string
	line  int    // the line the error names; 0 for an error of no line
	msg   string // what stderr says
	most  uint64 // bytes the run may allocate (0: 32 MiB)
}

func hostileCases() []hostile {
	return []hostile{
		// seed-matrix --set
		{name: "seed-matrix ttl=1000000h", args: []string{"run", "seed-matrix", "--set", "ttl=1000000h"}, msg: "past the virtual time limit of 87600h (--max-time)"},
		{name: "seed-matrix ttl=2562047h", args: []string{"run", "seed-matrix", "--set", "ttl=2562047h"}, msg: "past the virtual time limit"},
		{name: "seed-matrix ttl=20000h", args: []string{"run", "seed-matrix", "--set", "ttl=20000h"}, msg: "can take the virtual clock to"},
		{name: "seed-matrix ttl below a millisecond", args: []string{"run", "seed-matrix", "--set", "ttl=1500us"}, msg: "not a whole number of milliseconds"},
		{name: "seed-matrix readers=0", args: []string{"run", "seed-matrix", "--set", "readers=0"}, msg: "must be between 1 and 500"},
		{name: "seed-matrix readers too many digits", args: []string{"run", "seed-matrix", "--set", "readers=99999999999999999999"}, msg: "not a whole number"},
		{name: "seed-matrix seed not a number", args: []string{"explore", "seed-matrix", "--set", "seed=-1"}, msg: `seed="-1"`},
		{name: "seed-matrix beyond --max-actors", args: []string{"run", "seed-matrix", "--max-actors", "10"}, msg: "15 actors, more than the limit of 10 (--max-actors)"},
		// nesting
		{name: "flow sequence nested 100k deep", args: []string{"validate", "FILE"}, file: "name: x\nactors: " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "\n", line: 2, msg: "nested more than"},
		{name: "flow sequence nested 40k deep", args: []string{"run", "FILE"}, file: "name: x\nactors: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n", line: 2, msg: "nested more than"},
		{name: "flow mapping nested 50k deep", args: []string{"validate", "FILE"}, file: "name: x\nactors: " + strings.Repeat("{a: ", 50000) + "1" + strings.Repeat("}", 50000) + "\n", line: 2, msg: "nested more than"},
		{name: "block sequence nested 40k deep", args: []string{"validate", "FILE"}, file: "name: x\nactors:\n" + strings.Repeat("- ", 40000) + "x\n", line: 3, msg: "nested more than"},
		{name: "block mapping nested 2000 deep", args: []string{"validate", "FILE"}, file: gen("", 2000, func(i int) string { return strings.Repeat(" ", i) + "a:\n" }), line: 153, msg: "nested more than"},
		{name: "ifs nested 70 deep", args: []string{"validate", "FILE"}, file: oneActor + "      - cache.get: {key: k}\n" + gen("", 70, func(i int) string {
			ind := strings.Repeat("    ", i)
			return ind + "      - if: hit\n" + ind + "        then:\n" + ind + "          - cache.get: {key: k}\n"
		}), line: 198, msg: "if blocks nested more than 64 deep"},
		// sizes and counts
		{name: "a million steps (39 MB)", args: []string{"run", "FILE"}, file: gen(oneActor, 1000000, getStep), msg: "39.0 MB, larger than the limit of 8 MiB (--max-file-size)"},
		{name: "200k steps in 8 MiB", args: []string{"run", "FILE", "--max-file-size", "9MiB"}, file: gen(oneActor, 200000, getStep), line: 10021, msg: "more than 10016 entries in one list"},
		{name: "10,001 steps", args: []string{"run", "FILE"}, file: gen(oneActor, 10001, getStep), line: 10005, msg: "more than 10000 steps in one scenario, the limit (--max-steps)", most: 400 * mib},
		{name: "700k db and cache rows (18 MB)", args: []string{"validate", "FILE"}, file: rows(700000), msg: "larger than the limit of 8 MiB"},
		{name: "50k db and cache rows", args: []string{"validate", "FILE"}, file: rows(50000), line: 1019, msg: "more than 1016 entries in one mapping"},
		{name: "1,001 keys", args: []string{"validate", "FILE"}, file: rows(1001), line: 1003, msg: `key "k1000" is one more than the limit of 1000 distinct keys (--max-keys)`, most: 64 * mib},
		{name: "10,000 one-step actors", args: []string{"run", "FILE"}, file: gen(actorsHead, 10000, oneStepActor), line: 3003, msg: "more than 1000 actors, the limit (--max-actors)", most: 128 * mib},
		{name: "3,000 actors explored", args: []string{"explore", "FILE", "--max-actors", "3000"}, file: gen(actorsHead, 3000, oneStepActor), msg: "more than the limit of 1048576 (--max-search); use random or PCT mode", most: 256 * mib},
		{name: "8 MiB of comments", args: []string{"validate", "FILE"}, file: strings.Repeat("#\n", 4*mib), line: 372097, msg: "more than 372096 YAML tokens"},
		{name: "8 MiB flow sequence", args: []string{"validate", "FILE"}, file: "a: [" + strings.Repeat("1,", 4*mib-4) + "]\n", line: 1, msg: "more than 10016 entries in one list"},
		{name: "a long key over a long list", args: []string{"validate", "FILE"}, file: "a: {" + strings.Repeat("K", 100000) + ": [" + strings.Repeat("1,", 20000) + "]}\n", line: 1, msg: "too deep or too long keys"},
		{name: "an alias bomb", args: []string{"validate", "FILE"}, file: "s0: &s0 [{cache.get: {key: k}}]\n" + gen("", 30, func(i int) string {
			return fmt.Sprintf("s%d: &s%d [{cache.get: {key: k}}, {if: hit, then: *s%d, else: *s%d}]\n", i+1, i+1, i, i)
		}) + "name: x\nactors:\n  - name: a\n    steps: *s30\n", line: 4, msg: "more than 10000 steps in one scenario"},
		// bytes that are not a scenario
		{name: "validate /dev/zero", args: []string{"validate", "/dev/zero"}, msg: "/dev/zero: larger than the limit of 8 MiB"},
		{name: "run /dev/urandom", args: []string{"run", "/dev/urandom"}, msg: "/dev/urandom: larger than the limit of 8 MiB"},
		{name: "a megabyte of random bytes", args: []string{"validate", "FILE"}, file: "name: x\n" + string(bytes.Repeat([]byte{0xff, 0x00, 0x9b}, 1<<18)), line: 2, msg: "not UTF-8"},
		{name: "a NUL byte", args: []string{"validate", "FILE"}, file: "name: x\nactors:\x00\n", line: 2, msg: "control character U+0000"},
		{name: "raw escape and bell", args: []string{"validate", "FILE"}, file: "name: x\nactors:\n  - name: \"\x1b[2J\x07\"\n", line: 3, msg: `\x1b[2J\x07`},
		{name: "a C1 control character", args: []string{"validate", "FILE"}, file: "name: x\u009b\n", line: 1, msg: "U+009B"},
		// schedules
		{name: "writer*100000 9,000 times", args: []string{"run", "cache-aside", "--schedule", strings.Repeat("writer*100000 ", 9000)}, msg: "longer than 100000 entries, the limit (--max-schedule)"},
		{name: "writer*100000 100 times", args: []string{"run", "cache-aside", "--schedule", strings.Repeat("writer*100000 ", 100)}, msg: `entry 2 ("writer*100000") makes the schedule longer than 100000 entries`},
		{name: "a repeat past the limit", args: []string{"run", "cache-aside", "--schedule", "writer*100001"}, msg: "from 1 to 100000"},
		{name: "a schedule of 100000 entries", args: []string{"run", "cache-aside", "--schedule", "writer*100000"}, msg: `actor "writer" has no step left`},
		// exploration options
		{name: "explore --pct 10 --depth 1e9", args: []string{"explore", "cache-aside", "--pct", "10", "--depth", "1000000000"}, msg: "PCT depth 1000000000, more than the limit of 1000 (--max-depth)", most: mib},
		{name: "explore --workers 1e8", args: []string{"explore", "cache-aside", "--workers", "100000000"}, msg: "100000000 workers, more than the limit of 256 (--max-workers)", most: mib},
		{name: "explore --timeout -1s", args: []string{"explore", "cache-aside", "--timeout", "-1s"}, msg: "--timeout must be 0 (no limit) or more"},
		// errors that would repeat a long line
		{name: "one 1 MB line of 100,000 unknown fields", args: []string{"validate", "FILE", "--max-keys", "200000"}, file: "name: x\nactors: [{name: a, steps: [{cache.get: {key: k" + gen("", 100000, func(i int) string { return fmt.Sprintf(", z%d: 1", i) }) + "}}]}]\n",
			line: 2, msg: "99900 more errors not shown", most: 512 * mib},
		{name: "an unknown field of a megabyte", args: []string{"validate", "FILE"}, file: "name: x\n" + strings.Repeat("Z", mib) + ": 1\n", line: 2, msg: "unknown field",
			most: 96 * mib}, // the YAML parser's buffers: about 50 bytes per byte of a scalar
		// instants
		{name: "at and took of 2562047h", args: []string{"run", "FILE"}, file: oneActor[:len(oneActor)-len("    steps:\n")] + "    at: 2562047h\n    steps:\n      - db.write: {key: k, value: v, took: 2562047h}\n", line: 4, msg: "at: 2562047h is past the virtual time limit"},
		{name: "instants that add up past the clock", args: []string{"run", "FILE"}, file: gen(oneActor, 12, func(int) string { return "      - sleep: 8000h\n" }), line: 15, msg: "can take the virtual clock to 88000h by this step"},
		{name: "a TTL below a millisecond", args: []string{"run", "FILE"}, file: oneActor + "      - cache.set: {key: k, value: v, ttl: 1500us}\n", line: 5, msg: "ttl: 1.5ms is not a whole number of milliseconds (Redis TTLs are)"},
		{name: "a seed TTL below a millisecond", args: []string{"validate", "FILE"}, file: valid("name: x\ncache:\n  k: {value: v, ttl: 999us}\n"), line: 3, msg: "ttl: 999µs is not a whole number"},
		{name: "a lease below a millisecond", args: []string{"validate", "FILE"}, file: oneActor + "      - lease.get: {key: k, lease: 10500us}\n", line: 5, msg: "lease: 10.5ms"},
		{name: "an expiry instant below a millisecond", args: []string{"validate", "FILE"}, file: oneActor + "      - cache.expire: {key: k, at: 2.5ms}\n", line: 5, msg: "at: 2.5ms"},
		{name: "the zero epoch", args: []string{"run", "FILE"}, file: valid("name: x\nepoch: 0001-01-01T00:00:00Z\n"), line: 2, msg: "is before 1970-01-01T00:00:00Z"},
		{name: "an epoch in 9999", args: []string{"run", "FILE"}, file: valid("name: x\nepoch: 9999-12-31T23:59:59Z\n"), line: 2, msg: "is after 9900-01-01T00:00:00Z"},
		// directives
		{name: "two %YAML directives", args: []string{"validate", "FILE"}, file: "%YAML 1.2\n%YAML 1.2\n---\n" + valid("name: x\n"), line: 2, msg: "a second %YAML directive"},
		{name: "%YAML 2.0", args: []string{"validate", "FILE"}, file: "%YAML 2.0\n---\n" + valid("name: x\n"), line: 1, msg: "want a version 1.x"},
		// standard input
		{name: "a bad scenario on stdin", args: []string{"run", "-"}, stdin: "name: x\nactors: 3\n", line: 2, msg: "<stdin>:2:9: actors: want a list of actors"},
		{name: "an empty stdin", args: []string{"validate", "-"}, stdin: "", line: 1, msg: "<stdin>:1:1: empty file"},
		{name: "9 MiB on stdin", args: []string{"run", "-"}, stdin: strings.Repeat("#", 9*mib), msg: "<stdin>: larger than the limit of 8 MiB"},
		// flags
		{name: "--max-time past the clock", args: []string{"run", "cache-aside", "--max-time", "1000000h"}, msg: "past the virtual clock's range of 700800h"},
		{name: "--max-steps 0", args: []string{"validate", "FILE", "--max-steps", "0"}, file: valid("name: x\n"), msg: "--max-steps must be positive"},
		{name: "--max-file-size garbage", args: []string{"run", "cache-aside", "--max-file-size", "lots"}, msg: "want a size such as 8MiB"},
		{name: "--width 100000000", args: []string{"run", "cache-aside", "--width", "100000000"}, msg: "--width 100000000: want 20 to 1000 columns"},
	}
}

func TestHostileInputs(t *testing.T) {
	cases := hostileCases()
	require.GreaterOrEqual(t, len(cases), 40)
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string(nil), c.args...)
			path := ""
			if c.file != "" {
				path = filepath.Join(dir, fmt.Sprintf("case%d.yaml", i))
				require.NoError(t, os.WriteFile(path, []byte(c.file), 0o600))
				for k, a := range args {
					if a == "FILE" {
						args[k] = path
					}
				}
			}
			if (c.args[1] == "/dev/zero" || c.args[1] == "/dev/urandom") && !exists(c.args[1]) {
				t.Skip("no " + c.args[1])
			}
			var out, errOut bytes.Buffer
			stdin := strings.NewReader(c.stdin)
			code := -1
			alloc := allocatedBy(func() { code = runIO(context.Background(), args, stdin, &out, &errOut) })

			require.Equal(t, exitUsage, code, "stderr: %.2000s", errOut.String())
			require.Empty(t, out.String(), "nothing half-printed on stdout")
			msg := errOut.String()
			require.NotContains(t, msg, "goroutine ", "no stack trace")
			require.NotContains(t, msg, "panic", "no panic")
			require.NotContains(t, msg, "\x1b", "no raw escape reaches the terminal")
			require.Contains(t, msg, c.msg)
			if c.line > 0 {
				name := path
				if c.stdin != "" || c.args[1] == "-" {
					name = "<stdin>"
				}
				require.Contains(t, msg, fmt.Sprintf("%s:%d:", name, c.line), "the line to blame")
			}
			require.Less(t, len(msg), 64<<10, "stderr stays short")
			most := c.most
			if most == 0 {
				most = 32 * mib
			}
			require.Less(t, alloc, most, "allocated %d MiB", alloc/mib)
		})
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// allocatedBy returns the bytes f allocates on the heap.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestAcceptedInputs(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("presets", "scenarios", "cache-aside.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		return path
	}
	for name, c := range map[string]struct {
		args  []string
		stdin string
	}{
		"a scenario on stdin":           {[]string{"run", "-"}, string(good)},
		"validate stdin":                {[]string{"validate", "-"}, string(good)},
		"explore stdin":                 {[]string{"explore", "-"}, string(good)},
		"a byte-order mark":             {[]string{"run", write("bom.yaml", "\ufeff"+string(good))}, ""},
		"%YAML and %TAG":                {[]string{"run", write("dir.yaml", "%YAML 1.2\n%TAG !e! tag:example.com,2000:\n---\n"+string(good))}, ""},
		"1,001 actors, limit raised":    {[]string{"run", write("actors.yaml", gen(actorsHead, 1001, oneStepActor)), "--max-actors", "1001"}, ""},
		"10,001 steps, limit raised":    {[]string{"validate", write("steps.yaml", gen(oneActor, 10001, getStep)), "--max-steps", "10001"}, ""},
		"9 MiB file, limit raised":      {[]string{"validate", write("big.yaml", string(good)+strings.Repeat("#\n", 9*mib/2)), "--max-file-size", "10MiB", "--max-steps", "200000"}, ""},
		"seed-matrix ttl=20000h raised": {[]string{"run", "seed-matrix", "--set", "ttl=20000h", "--max-time", "700800h"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runIO(context.Background(), c.args, strings.NewReader(c.stdin), &out, &errOut)
			require.Contains(t, []int{exitClean, exitStale}, code, "stderr: %.2000s", errOut.String())
		})
	}
}

func TestExploreTimeout(t *testing.T) {
	file := writeScenario(t, "readers.yaml", readersOnly)
	code, out, errOut := cli(t, "explore", file, "--timeout", "1ns")
	require.Equal(t, exitUsage, code)
	require.Contains(t, out, "incomplete        stopped at the --timeout of 1ns: not every schedule was run")
	require.Contains(t, errOut, "stopped at the --timeout of 1ns before covering every schedule, and found no stale one")

	code, out, _ = cli(t, "explore", "cache-aside", "--timeout", "1ns", "--json")
	require.Equal(t, exitStale, code, "what was found is still the verdict")
	require.Contains(t, out, `"complete": false`)
}

func TestProgressText(t *testing.T) {
	require.Equal(t, "12 schedules, 0 stale, 6 schedules/s", progressText(engine.ExploreProgress{Schedules: 12}, 2*time.Second, nil))
	require.Equal(t, "5/10 schedules, 1 stale, 5 schedules/s", progressText(engine.ExploreProgress{Schedules: 5, Stale: 1, Total: 10}, time.Second, nil))
	require.Equal(t, "0 schedules, 0 stale, 4000000 prefixes abandoned, 0 schedules/s",
		progressText(engine.ExploreProgress{Pruned: 4000000}, time.Second, nil), "a search that completes nothing still shows it moves")

	// With an estimate: of about how many, and when it ends at this rate.
	est := &engine.Estimate{Schedules: 21892, RelError: 0.08}
	require.Equal(t, "12040 of ~21892 (±8%) schedules, 3 stale, 6020 schedules/s, ETA 0:02",
		progressText(engine.ExploreProgress{Schedules: 12040, Stale: 3}, 2*time.Second, est))
	require.Equal(t, "12040 of ~21892 (±8%) schedules (40 counted), 0 stale, 1204 schedules/s, ETA 0:08",
		progressText(engine.ExploreProgress{Schedules: 40, Uncounted: 12000}, 10*time.Second, est), "a bounded search counts some")
	require.Contains(t, progressText(engine.ExploreProgress{Schedules: 30000}, time.Second, est), "ETA ?", "past the estimate")
	require.Contains(t, progressText(engine.ExploreProgress{Schedules: 1}, time.Second, &engine.Estimate{Schedules: 5e9, RelError: 0.7}), "of ~5e+09 (±70%) schedules, 0 stale, 1 schedules/s, ETA ?")
	require.Contains(t, progressText(engine.ExploreProgress{Schedules: 1000}, time.Second, &engine.Estimate{Schedules: 4.6e6, RelError: 0.1}), "ETA 1:16:39")
}

func TestHelpListsLimits(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"run":      {"--max-file-size size", "(default 8MiB)", "--max-steps int", "(default 10000)", "--max-actors int", "(default 1000)", "--max-keys int", "--max-time duration", "(default 87600h0m0s)", "--max-schedule int", "(default 100000)"},
		"validate": {"--max-file-size", "--max-steps", "--max-actors", "--max-keys", "--max-time"},
		"explore":  {"--max-workers int", "(default 256)", "--max-depth int", "(default 1000)", "--max-search int", "(default 1048576)", "--timeout duration", "(default 1m0s)", "--max-steps"},
	} {
		code, out, _ := cli(t, cmd, "--help")
		require.Equal(t, exitClean, code)
		for _, f := range flags {
			require.Contains(t, out, f, cmd)
		}
	}
}

func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"1024": 1024, "8MiB": 8 << 20, "8M": 8 << 20, "8mb": 8 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30, "2g": 2 << 30} {
		var b byteSize
		require.NoError(t, b.Set(in), in)
		require.Equal(t, want, int64(b), in)
	}
	for _, bad := range []string{"", "MiB", "-1", "0", "8TiB", "1.5MiB", "99999999999GiB", "8 MiB"} {
		var b byteSize
		require.Error(t, b.Set(bad), bad)
	}
	b := byteSize(8 << 20)
	require.Equal(t, "8MiB", b.String())
	b = byteSize(1000)
	require.Equal(t, "1000", b.String())
}
