package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/racetape/racetape/engine"
)

func newCompareCmd() *cobra.Command {
	var (
		sf     scenarioFlags
		asJSON bool
		bound  time.Duration
		delay  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "compare NAME|FILE",
		Short: "Run the same actors under each cache protocol, side by side",
		Long: `Run a scenario's actors, keys and timings under each protocol that applies —
update-then-delete (cache-aside), delete-then-update, delayed double delete,
write-through, leases, versioned CAS and TTL only — and print a table: stale
reads in the timed run, stale schedules found by exploration, the anomalies,
the longest divergence, whether each passes strict, linearizable and
bounded:D, and what it costs in Redis round trips and commands per read
and per write (and what that adds to update-then-delete).

The actors are mapped as readers ("get, on a miss read the row and set it",
with any pause before the set) and writers ("write, then invalidate"); every
duration is kept. A scenario whose actors do something else is refused
with the step that does not map.

Exit status 0 when the table is printed, 2 on bad input.`,
		Example: `  racetape compare stale-set
  racetape compare cache-aside --bound 5ms
  racetape compare double-delete --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if bound <= 0 {
				return usageErr(fmt.Errorf("--bound %s: want a positive duration (bounded:0s is strict)", bound))
			}
			if delay <= 0 {
				return usageErr(fmt.Errorf("--delay %s: want a positive duration", delay))
			}
			sc, err := sf.load(args[0])
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			opts := engine.CompareOptions{Bound: bound, Delay: delay}
			stderr := cmd.ErrOrStderr()
			if isTerminal(stderr) {
				opts.Progress = func(done, total int, p string) {
					fmt.Fprintf(stderr, "\r\033[Kcomparing %d/%d: %s", done+1, total, p)
				}
			}
			start := time.Now()
			res, err := engine.Compare(ctx, sc, opts)
			if opts.Progress != nil {
				fmt.Fprint(stderr, "\r\033[K")
			}
			if err == nil {
				fmt.Fprintf(stderr, "racetape: %s: %d protocols compared in %s\n", sc.Name, len(res), time.Since(start).Round(time.Millisecond))
			}
			if err != nil {
				return usageErr(err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				out, err := json.MarshalIndent(res, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(w, "%s\n", out)
				return err
			}
			writeCompare(w, sc, res, opts)
			return nil
		},
	}
	sf.add(cmd)
	sf.withLimits(newLimitFlags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print an array of objects, one per protocol")
	cmd.Flags().DurationVar(&bound, "bound", time.Second, "D of the bounded:D column")
	cmd.Flags().DurationVar(&delay, "delay", 10*time.Millisecond, "the double delete's delay when the scenario has none of its own")
	return cmd
}

// writeCompare prints the comparison as a table, then what its columns
// mean.
func writeCompare(w io.Writer, sc *engine.Scenario, res []engine.ProtocolResult, opts engine.CompareOptions) {
	fmt.Fprintf(w, "%s: the same actors under each protocol\n", sc.Name)
	fmt.Fprintf(w, "%s\n\n", engine.MappingText(sc))
	models := opts.Models()
	rows := engine.CompareTable(res, opts)
	head := rows[0]
	widths := make([]int, len(head))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for k, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c + strings.Repeat(" ", widths[i]-len([]rune(c))))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 {
			fmt.Fprintln(w, strings.Repeat("─", len([]rune(strings.TrimRight(b.String(), " ")))))
		}
	}
	fmt.Fprintf(w, `
stale      stale reads of the timed run (strict)
explored   stale schedules / schedules explored (strict; "+" the search stopped at its limit)
longest ≠  the longest time the cache held a value different from the database ("open": still at the end)
%s  ✓ no schedule serves stale data under that model, ✗ some does,
           ? none found, but the search was cut short (its limit, or a random sample)
costs      Redis round trips (commands, a script's calls counted) per read hit, read miss and write,
           and in brackets what they add to update-then-delete
`, strings.Join(modelNames(models), ", "))
}

func modelNames(ms []engine.Consistency) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.String())
	}
	return out
}
