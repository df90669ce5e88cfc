package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
	"github.com/racetape/racetape/tui"
)

// isTape says whether arg names a tape: a .json file (a run saved by
// racetest, or `racetape run --json`), opened as a recorded run.
func isTape(arg string) bool {
	if !strings.HasSuffix(strings.ToLower(arg), ".json") {
		return false
	}
	st, err := os.Stat(arg)
	return err == nil && !st.IsDir()
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
