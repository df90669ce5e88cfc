package main

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
	"github.com/racetape/racetape/tui"
)

// tuiSources builds the picker's list: every preset, plus the scenario file
// named on the command line (first). It returns the index to open. A file
// that does not parse is still a source: the TUI shows its FILE:LINE:COL
// error and the picker stays usable.
func tuiSources(arg string, f tuiFlags) ([]tui.Source, int, error) {
	sched, err := parseScheduleFlag(f.schedule)
	if err != nil {
		return nil, 0, err
	}
	params, err := f.sf.params()
	if err != nil {
		return nil, 0, err
	}
	cons, err := f.sf.consistency()
	if err != nil {
		return nil, 0, err
	}
	if params != nil {
		// Check the parameters now: a wrong one is a usage error, not a
		// load error inside the TUI.
		if _, err := f.sf.load(arg); err != nil {
			return nil, 0, err
		}
	}
	// Every scenario the TUI loads is judged by the --consistency model.
	judged := func(load func() (*engine.Scenario, error)) func() (*engine.Scenario, error) {
		return func() (*engine.Scenario, error) {
			sc, err := load()
			if err == nil {
				sc.Consistency = cons
			}
			return sc, err
		}
	}
	runner := func(load func() (*engine.Scenario, error), sched []string) func() (*timeline.Timeline, error) {
		return func() (*timeline.Timeline, error) {
			sc, err := load()
			if err != nil {
				return nil, err
			}
			return engine.Run(sc, engine.Options{Schedule: sched})
		}
	}
	var sources []tui.Source
	initial := -1
	if isTape(arg) {
		sources, initial = append(sources, tapeSource(arg)), 0
	}
	names := presets.Names()
	if initial < 0 && !slices.Contains(names, arg) {
		if _, err := os.Stat(arg); err != nil {
			// Neither a preset nor a file: the same error as run gives.
			if _, rerr := presets.Resolve(arg); rerr != nil {
				return nil, 0, usageErr(didYouMean(rerr, arg))
			}
			return nil, 0, usageErr(err)
		}
		path := arg
		load := judged(func() (*engine.Scenario, error) { return presets.LoadFile(path) })
		sources = append(sources, tui.Source{
			Name: path, Title: path, Description: "scenario file " + path,
			Load: runner(load, sched), Scenario: load, Path: path,
			Command: replayCommand(path, nil, f.sf.cons),
		})
		if sc, err := presets.LoadFile(path); err == nil && sc.Title != "" {
			sources[0].Title, sources[0].Description = sc.Title, sc.Description
		}
		initial = 0
	}
	for _, p := range presets.All() {
		name := p.Name
		var s []string
		var ps presets.Params
		var sets []string
		if name == arg {
			initial = len(sources)
			s, ps, sets = sched, params, f.sf.sets
		}
		load := judged(func() (*engine.Scenario, error) { return presets.GetWith(name, ps) })
		sources = append(sources, tui.Source{
			Name: name, Title: p.Title, Description: p.Description,
			Load: runner(load, s), Scenario: load, Lesson: presets.LessonOf(name).Paragraphs(),
			Command: replayCommand(name, sets, f.sf.cons),
		})
	}
	if initial < 0 {
		return nil, 0, usageErr(fmt.Errorf("%w %q", presets.ErrUnknownPreset, arg))
	}
	return sources, initial, nil
}

// runTUI opens the terminal UI on a scenario.
func runTUI(cmd *cobra.Command, name string, f tuiFlags) error {
	theme, err := tui.ParseTheme(f.theme)
	if err != nil {
		return usageErr(fmt.Errorf("--theme: %w", err))
	}
	sources, initial, err := tuiSources(name, f)
	if err != nil {
		return err
	}
	// Reveal mode is for teaching the presets; a scenario file or a tape
	// (a failing test's run, there to be debugged) opens whole unless
	// --reveal is given.
	reveal := f.reveal
	if (sources[initial].Path != "" || isTape(name)) && !cmd.Flags().Changed("reveal") {
		reveal = false
	}
	cons, err := f.sf.consistency()
	if err != nil {
		return err
	}
	opts := tui.Options{Schedule: f.schedule, Reveal: reveal, Theme: theme, NoMouse: f.noMouse, Watch: f.watch, Model: cons.String()}
	if err := tui.Run(sources, initial, opts); err != nil {
		return usageErr(errors.New("tui: " + err.Error()))
	}
	return nil
}
