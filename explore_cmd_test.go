package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

// exploreJSON is the part of `explore --json` scripts rely on.
type exploreJSON struct {
	Scenario        string                        `json:"scenario"`
	Mode            string                        `json:"mode"`
	Reduction       string                        `json:"reduction"`
	Seed            *uint64                       `json:"seed"`
	SchedulesRun    int64                         `json:"schedules_run"`
	StaleSchedules  int64                         `json:"stale_schedules"`
	Anomalies       map[string]int64              `json:"anomalies"`
	Counterexample  *counterexampleJSON           `json:"counterexample"`
	Counterexamples map[string]counterexampleJSON `json:"counterexamples"`
	Complete        bool                          `json:"complete"`
	Pruned          int64                         `json:"pruned_prefixes"`
}

type counterexampleJSON struct {
	Schedule    string `json:"schedule"`
	Preemptions int    `json:"preemptions"`
	Steps       int    `json:"steps"`
	Anomaly     string `json:"anomaly"`
}

func exploreCLI(t *testing.T, args ...string) (int, exploreJSON) {
	t.Helper()
	code, out, errOut := cli(t, append([]string{"explore"}, args...)...)
	var j exploreJSON
	require.NoError(t, json.Unmarshal([]byte(out), &j), "stdout %q, stderr %q", out, errOut)
	return code, j
}

// writeScenario writes a scenario file and returns its path.
func writeScenario(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

// readersOnly has many schedules and none of them stale: nobody writes.
const readersOnly = `name: readers-only
db:
  k: V
actors:
  - name: r1
    steps:
      - cache.get: {key: k, took: 1ms}
      - if: miss
        then:
          - db.read: {key: k, took: 1ms}
          - cache.set: {key: k, ttl: 300s, took: 1ms}
  - name: r2
    steps:
      - cache.get: {key: k, took: 1ms}
      - if: miss
        then:
          - db.read: {key: k, took: 1ms}
          - cache.set: {key: k, ttl: 300s, took: 1ms}
  - name: r3
    steps:
      - db.read: {key: k, took: 1ms}
      - db.read: {key: k, took: 1ms}
`

func TestCLIExploreExitCodes(t *testing.T) {
	code, out, errOut := cli(t, "explore", "cache-aside")
	require.Equal(t, exitStale, code, errOut)
	require.Contains(t, out, "schedules run     3\n")
	require.Contains(t, out, "stale schedules   1 (33.3%)\n")
	require.Contains(t, out, "counterexample    writer reader writer\n")
	require.Contains(t, out, "1 preemption, 3 steps, stale-hit")
	require.Contains(t, out, `replay            racetape run cache-aside --schedule "writer reader writer"`)
	require.Contains(t, errOut, "schedules/s")

	file := writeScenario(t, "readers.yaml", readersOnly)
	code, out, errOut = cli(t, "explore", file)
	require.Equal(t, exitClean, code, errOut)
	require.Contains(t, out, "verdict           no schedule served a stale read")

	// An exhaustive search stopped by --limit that found nothing cannot
	// say "clean".
	code, out, errOut = cli(t, "explore", file, "--no-reduction", "--limit", "3")
	require.Equal(t, exitUsage, code, out)
	require.Contains(t, out, "incomplete")
	require.Contains(t, errOut, "--limit")

	for _, args := range [][]string{
		{"nope"},
		{"cache-aside", "extra"},
		{"cache-aside", "--random", "0"},
		{"cache-aside", "--random", "5", "--pct", "5"},
		{"cache-aside", "--depth", "2"},
		{"cache-aside", "--pct", "5", "--depth", "0"},
		{"cache-aside", "--seed", "3"},
		{"cache-aside", "--random", "5", "--limit", "9"},
		{"cache-aside", "--random", "5", "--max-preemptions", "1"},
		{"cache-aside", "--random", "5", "--no-observers"},
		{"cache-aside", "--max-preemptions", "-1"},
		{"cache-aside", "--workers", "0"},
		{"cache-aside", "--random", "x"},
		{"seed-matrix", "--set", "cell=2s"},
		{writeScenario(t, "bad.yaml", "name: bad\nactors: []\n")},
	} {
		code, _, errOut := cli(t, append([]string{"explore"}, args...)...)
		require.Equal(t, exitUsage, code, "%v: %s", args, errOut)
		require.Contains(t, errOut, "racetape:", "%v", args)
	}
}

func TestCLIExploreJSON(t *testing.T) {
	code, j := exploreCLI(t, "stale-set", "--json")
	require.Equal(t, exitStale, code)
	require.Equal(t, "stale-set", j.Scenario)
	require.Equal(t, "optimal-dpor+observers", j.Reduction)
	require.Zero(t, j.Pruned)
	require.True(t, j.Complete)
	require.Positive(t, j.StaleSchedules)
	require.Less(t, j.StaleSchedules, j.SchedulesRun)
	require.NotEmpty(t, j.Anomalies)
	require.NotNil(t, j.Counterexample)
	require.Equal(t, 1, j.Counterexample.Preemptions)

	code, naive := exploreCLI(t, "stale-set", "--json", "--no-reduction")
	require.Equal(t, exitStale, code)
	require.Equal(t, "none", naive.Reduction)
	require.Greater(t, naive.SchedulesRun, j.SchedulesRun)
	require.Equal(t, j.Counterexample, naive.Counterexample)

	// Without observers: every class of equivalent schedules, the same
	// findings.
	code, traces := exploreCLI(t, "stale-set", "--json", "--no-observers")
	require.Equal(t, exitStale, code)
	require.Equal(t, "optimal-dpor", traces.Reduction)
	require.Greater(t, traces.SchedulesRun, j.SchedulesRun)
	require.Equal(t, j.Counterexample, traces.Counterexample)
	require.Equal(t, j.Counterexamples, traces.Counterexamples)

	code, bounded := exploreCLI(t, "stale-set", "--json", "--max-preemptions", "0")
	require.Equal(t, exitClean, code)
	require.Zero(t, bounded.StaleSchedules)
	require.Nil(t, bounded.Counterexample)
}

// TestCLIExploreReplays: `racetape run FILE --schedule "<counterexample>"`
// serves the stale read explore promised, for a file and for presets.
func TestCLIExploreReplays(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("presets", "scenarios", "delete-then-update.yaml"))
	require.NoError(t, err)
	file := writeScenario(t, "dtu.yaml", string(body))
	for _, arg := range []string{file, "double-delete", "replica-lag", "ttl-only"} {
		code, j := exploreCLI(t, arg, "--json")
		require.Equal(t, exitStale, code, arg)
		require.NotNil(t, j.Counterexample, arg)
		code, out, errOut := cli(t, "run", arg, "--schedule", j.Counterexample.Schedule)
		require.Equal(t, exitStale, code, "%s: %s", arg, errOut)
		require.Contains(t, out, "("+j.Counterexample.Anomaly+")", arg)
	}
}

// TestCLIExploreCounterexamples: explore reports, for every anomaly
// found, the simplest schedule serving it, in JSON and as text, and each
// replays with `racetape run --schedule`, serving a read of its anomaly.
// stale-set has a stale-hit and a stale-set.
func TestCLIExploreCounterexamples(t *testing.T) {
	code, j := exploreCLI(t, "stale-set", "--json")
	require.Equal(t, exitStale, code)
	require.Len(t, j.Counterexamples, 2)
	require.Equal(t, *j.Counterexample, j.Counterexamples[j.Counterexample.Anomaly], "the overall one is one of them")
	_, text, _ := cli(t, "explore", "stale-set")
	for a, ce := range j.Counterexamples {
		require.Equal(t, a, ce.Anomaly)
		require.GreaterOrEqual(t, ce.Preemptions, j.Counterexample.Preemptions)
		names, err := engine.ParseSchedule(ce.Schedule)
		require.NoError(t, err)
		require.Equal(t, ce.Steps, len(names))
		require.Equal(t, ce.Preemptions, engine.Preemptions(names))
		code, out, errOut := cli(t, "run", "stale-set", "--schedule", ce.Schedule)
		require.Equal(t, exitStale, code, errOut)
		require.Contains(t, out, "("+a+")")
		require.Contains(t, text, fmt.Sprintf("replay            racetape run stale-set --schedule %q\n", ce.Schedule))
	}
	require.Contains(t, text, "\nstale-set         ")

	// The naive search reports the same ones.
	_, naive := exploreCLI(t, "stale-set", "--json", "--no-reduction")
	require.Equal(t, j.Counterexamples, naive.Counterexamples)
}

// TestCLIExploreDeterministic: the output does not depend on --workers,
// and random and PCT results on nothing but the seed, which is printed.
func TestCLIExploreDeterministic(t *testing.T) {
	for _, args := range [][]string{
		{"stale-set"},
		{"stale-set", "--no-reduction"},
		{"seed-matrix", "--set", "readers=3", "--set", "writers=2", "--random", "200", "--seed", "9"},
		{"seed-matrix", "--set", "readers=3", "--set", "writers=2", "--pct", "200", "--depth", "2", "--seed", "9"},
	} {
		var first string
		for _, w := range []string{"1", "2", "3"} {
			code, out, _ := cli(t, append(append([]string{"explore"}, args...), "--json", "--workers", w)...)
			require.Equal(t, exitStale, code)
			if first == "" {
				first = out
			}
			require.Equal(t, first, out, "%v with %s workers", args, w)
		}
		if slicesContain(args, "--seed") {
			require.Contains(t, first, `"seed": 9`)
			_, text, _ := cli(t, append([]string{"explore"}, args...)...)
			require.Contains(t, text, "seed 9")
		}
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestCLIExploreSeedMatrix: one row per cell of the matrix.
func TestCLIExploreSeedMatrix(t *testing.T) {
	code, out, errOut := cli(t, "explore", "seed-matrix", "--random", "20", "--seed", "1")
	require.Equal(t, exitStale, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Contains(t, lines[0], "20 random schedules, seed 1 per cell")
	for i, cell := range []string{"1s", "5s", "30s"} {
		require.True(t, strings.HasPrefix(lines[2+i], cell+" "), lines[2+i])
		require.Contains(t, lines[2+i], " 20 ")
	}

	code, out, _ = cli(t, "explore", "seed-matrix", "--random", "20", "--json")
	require.Equal(t, exitStale, code)
	var j struct {
		Cells []struct {
			Cell   string      `json:"cell"`
			Result exploreJSON `json:"result"`
		} `json:"cells"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &j))
	require.Len(t, j.Cells, 3)
	for _, c := range j.Cells {
		require.Equal(t, int64(20), c.Result.SchedulesRun, c.Cell)
		require.Equal(t, "seed-matrix", c.Result.Scenario)
	}
}

// TestExploreInterrupted: an exploration stopped by Ctrl-C (a cancelled
// context) still prints what it covered, says it is partial, and exits 2
// since it found nothing stale; --json says complete: false.
func TestExploreInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	file := writeScenario(t, "readers.yaml", readersOnly)
	for _, args := range [][]string{{"explore", file}, {"explore", "seed-matrix", "--random", "50"}} {
		var out, errOut bytes.Buffer
		code := runContext(ctx, args, &out, &errOut)
		require.Equal(t, exitUsage, code, "%v: stderr %s", args, errOut.String())
		require.Contains(t, out.String(), "interrupted", args)
		require.Contains(t, errOut.String(), "interrupted before covering every schedule, and found no stale one", args)
	}
	var out, errOut bytes.Buffer
	code := runContext(ctx, []string{"explore", file, "--json", "--workers", "1"}, &out, &errOut)
	require.Equal(t, exitUsage, code)
	var j exploreJSON
	require.NoError(t, json.Unmarshal(out.Bytes(), &j))
	require.False(t, j.Complete)
	require.Zero(t, j.StaleSchedules)
}

// TestExploreReplayKeepsTheModel: the replay command of a counterexample
// found under a model judges by that model.
func TestExploreReplayKeepsTheModel(t *testing.T) {
	code, out, errOut := cli(t, "explore", "new-old-inversion", "--consistency", "linearizable")
	require.Equal(t, exitStale, code, errOut)
	require.Contains(t, out, "--consistency linearizable")
	i := strings.Index(out, "racetape run ")
	require.GreaterOrEqual(t, i, 0, out)
	line := out[i:]
	line = line[:strings.IndexByte(line, '\n')]
	sched := line[strings.Index(line, `--schedule "`)+len(`--schedule "`):]
	sched = sched[:strings.IndexByte(sched, '"')]
	code, out, _ = cli(t, "run", "new-old-inversion", "--consistency", "linearizable", "--schedule", sched)
	require.Equal(t, exitStale, code)
	require.Contains(t, out, "new-old-inversion")
}

// TestExploreFoldsTheTimedRun: when every schedule passes but the timed
// run (with its gaps) serves a stale read under the model, explore says so
// and exits 1.
func TestExploreFoldsTheTimedRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gap.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`name: gap
db: {k: A}
cache: {k: {value: A, ttl: 300s}}
actors:
  - name: writer
    steps:
      - db.write: {key: k, value: B, took: 3ms}
  - name: reader
    at: 4ms
    steps:
      - cache.get: {key: k, took: 500us}
`), 0o644))
	code, out, _ := cli(t, "run", path, "--consistency", "linearizable")
	require.Equal(t, exitStale, code, out)
	code, out, _ = cli(t, "explore", path, "--consistency", "linearizable")
	require.Equal(t, exitStale, code, out)
	require.Contains(t, out, "but the timed run does")
	code, out, _ = cli(t, "explore", path, "--consistency", "linearizable", "--json")
	require.Equal(t, exitStale, code, out)
	require.Contains(t, out, `"timed_run_stale_reads": 1`)
	// A bounded search does not claim every schedule: it says what it ran.
	code, out, _ = cli(t, "explore", path, "--consistency", "linearizable", "--max-preemptions", "0")
	require.Equal(t, exitClean, code, out)
	require.NotContains(t, out, "timed run")
}

// TestCLIExploreEstimate: --estimate prints about how many schedules the
// search would run, as text and JSON, and runs none; it applies to the
// exhaustive search only.
func TestCLIExploreEstimate(t *testing.T) {
	code, out, errOut := cli(t, "explore", "stale-set", "--estimate")
	require.Equal(t, exitClean, code, errOut)
	require.Contains(t, out, "stale-set: every schedule, partial-order reduction (optimal DPOR), writes no read sees run in one order\n")
	require.Contains(t, out, "estimate          at most 88 schedules to run (counted without observers)\n")
	code, out, errOut = cli(t, "explore", "stale-set", "--estimate", "--no-observers")
	require.Equal(t, exitClean, code, errOut)
	require.Contains(t, out, "stale-set: every schedule, partial-order reduction (optimal DPOR)\n")
	require.Contains(t, out, "estimate          88 schedules to run (the search is small enough to count)\n")

	code, out, errOut = cli(t, "explore", "stale-set", "--estimate", "--no-reduction", "--json")
	require.Equal(t, exitClean, code, errOut)
	var j struct {
		Reduction string `json:"reduction"`
		Estimate  struct {
			Schedules float64 `json:"schedules"`
			RelError  float64 `json:"rel_error"`
			Walks     int     `json:"walks"`
		} `json:"estimate"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &j))
	require.Equal(t, "none", j.Reduction)
	require.InDelta(t, 1224, j.Estimate.Schedules, 0.35*1224, "the naive search runs 1224")
	require.Positive(t, j.Estimate.Walks)

	code, out, _ = cli(t, "explore", "seed-matrix", "--set", "cell=1s", "--max-preemptions", "1", "--estimate")
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "every schedule with at most 1 preemption, partial-order reduction")
	require.Regexp(t, `estimate +~\S+ \(±\d+%\) schedules to run, from \d+ random walks`, out)

	for _, args := range [][]string{{"stale-set", "--random", "5", "--estimate"}, {"seed-matrix", "--estimate"}} {
		code, _, errOut = cli(t, append([]string{"explore"}, args...)...)
		require.Equal(t, exitUsage, code, "%v", args)
		require.Contains(t, errOut, "--estimate")
	}
}

// TestCLIExploreShrinks: --random and --pct counterexamples come shrunk
// (seed-matrix: about thirty preemptions found, one to three shrunk), and
// each replays with `racetape run --schedule`, serving a read of its
// anomaly; --no-shrink keeps them as found.
func TestCLIExploreShrinks(t *testing.T) {
	args := []string{"seed-matrix", "--set", "cell=1s", "--random", "300", "--seed", "4", "--json"}
	code, j := exploreCLI(t, args...)
	require.Equal(t, exitStale, code)
	_, raw := exploreCLI(t, append(args, "--no-shrink")...)
	require.NotEmpty(t, j.Counterexamples)
	for a, ce := range j.Counterexamples {
		require.LessOrEqual(t, ce.Preemptions, 3, "%s: %s", a, ce.Schedule)
		require.Greater(t, raw.Counterexamples[a].Preemptions, 10, "%s as found", a)
		code, out, errOut := cli(t, "run", "seed-matrix", "--set", "cell=1s", "--schedule", ce.Schedule)
		require.Equal(t, exitStale, code, errOut)
		require.Contains(t, out, "("+a+")")
	}
	code, _, errOut := cli(t, "explore", "stale-set", "--no-shrink")
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "--no-shrink applies to random and PCT modes")
}

// TestCLIExploreEstimateHuge: an estimate whose variance overflows a
// float64 (seed-matrix's 5 s cell, ~3e227 schedules) is still JSON, with
// the error bar at 100%; it was NaN, which JSON refused ("exit 2").
func TestCLIExploreEstimateHuge(t *testing.T) {
	code, out, errOut := cli(t, "explore", "seed-matrix", "--set", "cell=5s", "--estimate", "--json")
	require.Equal(t, exitClean, code, errOut)
	var got struct {
		Estimate engine.Estimate `json:"estimate"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got), out)
	require.Greater(t, got.Estimate.Schedules, 1e100)
	require.Equal(t, 1.0, got.Estimate.RelError)
	code, out, _ = cli(t, "explore", "double-delete", "--estimate")
	require.Equal(t, exitClean, code)
	require.Contains(t, out, "at most ~")
	require.Contains(t, out, "without the reduction")
}

// TestCLIExploreMatrixMarksCutCells: seed-matrix's table marks each cell
// the limit cut short, on stdout, where "0 stale" read as a clean result.
func TestCLIExploreMatrixMarksCutCells(t *testing.T) {
	code, out, _ := cli(t, "explore", "seed-matrix", "--limit", "1000")
	require.Equal(t, exitUsage, code)
	require.Equal(t, 3, strings.Count(out, " 1000+ "), out)
	require.Contains(t, out, "+ incomplete: the search stopped at --limit")
	_, out, _ = cli(t, "explore", "seed-matrix", "--random", "20", "--seed", "1")
	require.NotContains(t, out, "+ incomplete", out)
}

// TestCLIExploreStdinReplay: a scenario read from standard input gets a
// replay command that says it needs the scenario there again.
func TestCLIExploreStdinReplay(t *testing.T) {
	yaml, err := os.ReadFile("presets/scenarios/cache-aside.yaml")
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	code := runIO(context.Background(), []string{"explore", "-"}, strings.NewReader(string(yaml)), &out, &errOut)
	require.Equal(t, exitStale, code, errOut.String())
	require.Contains(t, out.String(), `racetape run - --schedule "writer reader writer" < the same scenario`)
}
