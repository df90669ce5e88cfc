package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"

	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
	"github.com/racetape/racetape/tui"
)

// isTape says whether arg names a tape: a .json file holding a recorded
// run (racetest's, `racetape export --format json`'s, `run --json`'s), an
// object with "events" and "verdict", rather than a scenario written in
// JSON (which YAML reads too).
func isTape(arg string) bool {
	if !strings.HasSuffix(strings.ToLower(arg), ".json") {
		return false
	}
	data, err := presets.Loader{}.ReadFile(arg)
	if err != nil {
		return true // too large or unreadable: loadTape says why
	}
	if json.Valid(data) {
		return presets.IsTape(data)
	}
	return true // not JSON: loadTape says where
}

// tapeRun opens a tape for run and export: the recorded run, judged again
// when --consistency names another model; the flags that make a new run
// of a scenario do not apply to it.
func tapeRun(cmd *cobra.Command, arg string, sf *scenarioFlags) (*timeline.Timeline, error) {
	for _, name := range []string{"schedule", "redis", "set"} {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			return nil, usageErr(fmt.Errorf("--%s: %s is a tape, a recorded run; --%s applies to scenarios", name, arg, name))
		}
	}
	ld, err := sf.loader()
	if err != nil {
		return nil, err
	}
	tl, err := loadTape(arg, ld)
	if err != nil {
		return nil, err
	}
	if f := cmd.Flags().Lookup("consistency"); f != nil && f.Changed {
		cons, err := sf.consistency()
		if err != nil {
			return nil, err
		}
		if err := engine.Rejudge(tl, cons); err != nil {
			return nil, usageErr(fmt.Errorf("%s: %w", arg, err))
		}
	}
	return tl, nil
}

// loadTape reads a tape, under the file size limit of ld, and rebuilds
// the run it recorded.
func loadTape(path string, ld presets.Loader) (*timeline.Timeline, error) {
	data, err := ld.ReadFile(path)
	if err != nil {
		return nil, usageErr(err)
	}
	run, err := timeline.ParseJSON(data)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", path, err))
	}
	tl, err := timeline.FromJSON(run)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %w", path, err))
	}
	return tl, nil
}

// tapeSource is the TUI's source for a tape: its recorded run, without a
// scenario (scheduler mode and exploration say they are not available).
func tapeSource(path string) tui.Source {
	title := "tape " + path
	if tl, err := loadTape(path, presets.Loader{}); err == nil && tl.Title != "" {
		title = tl.Title
	}
	return tui.Source{
		Name: path, Title: title, Description: "recorded run " + path,
		Load: func() (*timeline.Timeline, error) { return loadTape(path, presets.Loader{}) },
	}
}
