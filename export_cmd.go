package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// exportFormats are export's formats, with what each is for.
var exportFormats = []struct{ name, what string }{
	{"svg", "the lanes as a vector picture for slides"},
	{"html", "one self-contained page: the picture, step controls (← →) and the explanations"},
	{"trace", "Chrome trace event JSON for Perfetto (ui.perfetto.dev) or chrome://tracing"},
	{"json", "a tape: the run as `racetape run --json` prints it, plus the state after every step (racetape tui and run open it)"},
	{"txt", "the run as `racetape run` prints it"},
}

func newExportCmd() *cobra.Command {
	var (
		sf       scenarioFlags
		format   string
		out      string
		schedule string
	)
	var names []string
	for _, f := range exportFormats {
		names = append(names, f.name)
	}
	cmd := &cobra.Command{
		Use:   "export NAME|FILE|TAPE --format " + strings.Join(names, "|") + " -o FILE",
		Short: "Export a run for slides, browsers and trace viewers",
		Long: `Run a preset or a scenario file, or open a tape (a .json file a failing
racetest wrote, or run --json printed), and write it in another form:
` + formatList() + `
The file is written whole or not at all; -o - writes to standard output.
Exit status 0 when the file is written (whatever the verdict), 2 on bad
input.`,
		Example: `  racetape export stale-set --format svg -o stale-set.svg
  racetape export cache-aside --format html -o cache-aside.html
  racetape export double-delete --format trace -o trace.json   # open in ui.perfetto.dev
  racetape export cache-aside --schedule "writer reader writer" --format txt -o -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !validFormat(format) {
				return usageErr(fmt.Errorf("--format %q: want one of %s", format, strings.Join(names, ", ")))
			}
			if out == "" {
				return usageErr(errors.New("-o FILE is required (-o - for standard output)"))
			}
			var tl *timeline.Timeline
			var err error
			if isTape(args[0]) {
				tl, err = tapeRun(cmd, args[0], &sf)
			} else {
				tl, err = runScenario(&sf, args[0], schedule, sf.lim.lim.Schedule, "")
			}
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			switch format {
			case "svg":
				err = tl.WriteSVG(&buf)
			case "html":
				err = tl.WriteHTML(&buf, timeline.HTMLOptions{Lesson: presets.LessonOf(args[0]).Paragraphs()})
			case "trace":
				err = tl.WriteTrace(&buf)
			case "json":
				buf.Write(tl.TapeJSON())
				buf.WriteByte('\n')
			case "txt":
				err = tl.WriteText(&buf, timeline.TextOptions{Width: 100})
			}
			if err != nil {
				return err
			}
			if out == "-" {
				_, err = cmd.OutOrStdout().Write(buf.Bytes())
				return err
			}
			if err := writeFileAtomic(out, buf.Bytes()); err != nil {
				return usageErr(fmt.Errorf("write %s: %w", out, err))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "racetape: wrote %s (%s, %d bytes)\n", out, format, buf.Len())
			return nil
		},
	}
	sf.add(cmd)
	lf := newLimitFlags()
	sf.withLimits(lf)
	cmd.Flags().StringVar(&format, "format", "", "svg, html, trace, json or txt")
	cmd.Flags().StringVarP(&out, "output", "o", "", "the file to write (- for standard output)")
	cmd.Flags().StringVar(&schedule, "schedule", "", "run in this order of actor names instead of the virtual clock's")
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return names, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func formatList() string {
	var b strings.Builder
	for _, f := range exportFormats {
		fmt.Fprintf(&b, "  %-6s %s\n", f.name, f.what)
	}
	return b.String()
}

func validFormat(f string) bool {
	for _, x := range exportFormats {
		if x.name == f {
			return true
		}
	}
	return false
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so that a failure leaves no half-written file.
func writeFileAtomic(path string, data []byte) error {
	dir := "."
	if i := strings.LastIndexByte(path, os.PathSeparator); i >= 0 {
		dir = path[:i+1]
	}
	f, err := os.CreateTemp(dir, ".racetape-export-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}
