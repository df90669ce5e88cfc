package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
	"github.com/racetape/racetape/presets"
	"github.com/racetape/racetape/timeline"
)

// svgTexts parses an SVG as XML and returns its elements' names and the
// text of its <text> elements (tspans joined).
func svgTexts(t *testing.T, data []byte) (elems map[string]int, texts []string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	elems = map[string]int{}
	var cur *strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the SVG is not well-formed XML")
		switch tk := tok.(type) {
		case xml.StartElement:
			elems[tk.Name.Local]++
			for _, a := range tk.Attr {
				require.NotContains(t, []string{"href", "src"}, a.Name.Local, "no links or external resources")
			}
			if tk.Name.Local == "text" {
				cur, depth = &strings.Builder{}, 0
			}
			if cur != nil {
				depth++
			}
		case xml.EndElement:
			if cur != nil {
				depth--
				if depth == 0 {
					texts = append(texts, cur.String())
					cur = nil
				}
			}
		case xml.CharData:
			if cur != nil {
				cur.Write(tk)
			}
		}
	}
	return elems, texts
}

func containsText(texts []string, want string) bool {
	for _, s := range texts {
		if strings.Contains(s, want) {
			return true
		}
	}
	return false
}

// TestExportSVG: the picture of every preset is well-formed XML with no
// script, link or external font; it names every lane, has a time axis with
// units, and shows each stale read in words (STALE, served, current) and
// the verdict; the pictures of three presets match their golden files.
func TestExportSVG(t *testing.T) {
	for _, p := range presets.All() {
		t.Run(p.Name, func(t *testing.T) {
			tl, err := engine.Run(p.Scenario, engine.Options{})
			require.NoError(t, err)
			var buf bytes.Buffer
			require.NoError(t, tl.WriteSVG(&buf))
			elems, texts := svgTexts(t, buf.Bytes())
			require.Zero(t, elems["script"])
			require.Zero(t, elems["a"])
			require.Zero(t, elems["image"])
			require.NotContains(t, buf.String(), "@import")
			require.NotContains(t, buf.String(), "url(http")
			for _, a := range tl.Actors {
				require.True(t, containsText(texts, a), "lane %q", a)
			}
			require.True(t, containsText(texts, "time (from the epoch)"))
			require.True(t, containsText(texts, "+0s"), "the axis has units")
			stale := tl.StaleReads()
			if len(stale) > 0 {
				require.True(t, containsText(texts, "✗ STALE served "+stale[0].Served), "the stale read in words")
				require.True(t, containsText(texts, "current "+stale[0].Current[0]))
				require.Contains(t, buf.String(), `class="step stale"`)
				require.True(t, containsText(texts, "stale read"), "the verdict")
			} else {
				require.True(t, containsText(texts, "no stale reads"), "the verdict")
			}
			if p.Name == "cache-aside" || p.Name == "stale-set" || p.Name == "double-delete" {
				golden(t, filepath.Join("testdata", "export", p.Name+".svg"), buf.Bytes())
			}
		})
	}
}

// golden compares data with the file at path (rewritten with -update).
func golden(t *testing.T, path string, data []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, data, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test -run %s -update", t.Name())
	require.Equal(t, string(want), string(data), "%s differs: rerun with -update and review the diff", path)
}

// luminance is WCAG's relative luminance of "#rrggbb".
func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// TestExportContrast: every text colour of the picture on every fill it is
// drawn on reaches WCAG AA (4.5:1), so a projected slide stays legible.
func TestExportContrast(t *testing.T) {
	p := timeline.SVGPalette
	pairs := []struct{ what, text, on string }{
		{"title and labels", p.Text, p.Background},
		{"labels on a stripe", p.Text, "#f7f7f7"},
		{"muted axis", p.Muted, p.Background},
		{"muted axis on a stripe", p.Muted, "#f7f7f7"},
		{"label in a cache bar", p.Text, p.CacheFill},
		{"label in a db bar", p.Text, p.DBFill},
		{"label in a sleep bar", p.Text, p.SleepFill},
		{"stale words", p.StaleText, p.Background},
		{"stale words on a stripe", p.StaleText, "#f7f7f7"},
		{"stale label in its bar", p.StaleText, p.StaleFill},
		{"divergence words", p.DivergedText, p.Background},
		{"value over a divergence", p.Text, p.DivergedFill},
		{"cache value", p.Text, p.ValueFill},
		{"db row", p.Text, p.RowFill},
		{"verdict ok", p.OK, p.Background},
	}
	for _, c := range pairs {
		require.GreaterOrEqual(t, contrast(c.text, c.on), 4.5, "%s: %s on %s", c.what, c.text, c.on)
	}
}

// TestExportTrace: the trace has the trace event format's required fields
// (name, ph, ts, pid, tid; dur for complete events, s for instants, a
// name for metadata), a named track per actor and per key's cache and db,
// and the stale read as an instant with its explanation.
func TestExportTrace(t *testing.T) {
	for _, name := range []string{"cache-aside", "stale-set", "double-delete", "ttl-only"} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := cli(t, "export", name, "--format", "trace", "-o", "-")
			require.Equal(t, exitClean, code, errOut)
			var doc struct {
				TraceEvents []map[string]any `json:"traceEvents"`
				DisplayTime string           `json:"displayTimeUnit"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &doc))
			require.NotEmpty(t, doc.TraceEvents)
			tracks := map[string]bool{}
			var stale []map[string]any
			for i, e := range doc.TraceEvents {
				for _, f := range []string{"name", "ph", "pid", "tid"} {
					require.Contains(t, e, f, "event %d: %v", i, e)
				}
				switch e["ph"] {
				case "M":
					args := e["args"].(map[string]any)
					if e["name"] == "thread_name" {
						tracks[args["name"].(string)] = true
					}
				case "X":
					require.Contains(t, e, "ts", "event %d", i)
					require.Contains(t, e, "dur", "event %d", i)
					require.GreaterOrEqual(t, e["dur"].(float64), 0.0)
				case "i":
					require.Contains(t, e, "ts", "event %d", i)
					require.Equal(t, "t", e["s"], "event %d", i)
					if strings.HasPrefix(e["name"].(string), "✗ STALE") {
						stale = append(stale, e)
					}
				default:
					t.Fatalf("event %d: unexpected phase %v", i, e["ph"])
				}
			}
			sc, err := presets.Get(name)
			require.NoError(t, err)
			tl, err := engine.Run(sc, engine.Options{})
			require.NoError(t, err)
			for _, a := range tl.Actors {
				require.True(t, tracks[a], "track %q in %v", a, tracks)
			}
			for _, c := range tl.Commits {
				require.True(t, tracks["cache "+c.Key] && tracks["db "+c.Key], "tracks of %s", c.Key)
			}
			require.Len(t, stale, len(tl.StaleReads()))
			for _, e := range stale {
				args := e["args"].(map[string]any)
				require.NotEmpty(t, args["why"])
				require.NotEmpty(t, args["served"])
			}
		})
	}
}

// TestExportHTML: one self-contained page: the picture inline, the step
// controls and their script, the explanations and the lesson, and nothing
// fetched from elsewhere (the browser check in .ci drives the controls).
func TestExportHTML(t *testing.T) {
	code, out, errOut := cli(t, "export", "stale-set", "--format", "html", "-o", "-")
	require.Equal(t, exitClean, code, errOut)
	for _, want := range []string{"<svg", `id="next"`, `id="prev"`, "ArrowRight", `id="narration"`, "Why the stale reads are stale", "Lesson", "Watch:", `data-seq="`} {
		require.Contains(t, out, want)
	}
	for _, bad := range []string{"http://", "https://", "<link", "src="} {
		require.NotContains(t, strings.ReplaceAll(out, `xmlns="http://www.w3.org/2000/svg"`, ""), bad)
	}
}

// TestExportCLI: every format writes its file whole; bad usage is exit 2
// and writes nothing.
func TestExportCLI(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"svg", "html", "trace", "json", "txt"} {
		path := filepath.Join(dir, "out."+f)
		code, _, errOut := cli(t, "export", "cache-aside", "--format", f, "-o", path)
		require.Equal(t, exitClean, code, errOut)
		require.Contains(t, errOut, "wrote "+path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NotEmpty(t, data)
	}
	// json is a tape: run --json plus the states; txt is what run prints.
	_, runJSON, _ := cli(t, "run", "cache-aside", "--json")
	data, _ := os.ReadFile(filepath.Join(dir, "out.json"))
	var run, tape map[string]any
	require.NoError(t, json.Unmarshal([]byte(runJSON), &run))
	require.NoError(t, json.Unmarshal(data, &tape))
	for k, v := range run {
		require.Equal(t, v, tape[k], "field %q", k)
	}
	require.Contains(t, tape, "initial_state")
	require.Contains(t, tape, "state_changes")

	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	for _, args := range [][]string{
		{"export", "cache-aside", "--format", "png", "-o", filepath.Join(dir, "x.png")},
		{"export", "cache-aside", "--format", "svg"},
		{"export", "no-such-preset", "--format", "svg", "-o", filepath.Join(dir, "y.svg")},
		{"export", "cache-aside", "--format", "svg", "-o", filepath.Join(dir, "no-such-dir", "z.svg")},
		{"export", "cache-aside", "--format", "svg", "-o", sub},
	} {
		code, _, errOut := cli(t, args...)
		require.Equal(t, exitUsage, code, "%v: %s", args, errOut)
	}
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 6, "nothing half-written (5 files and sub/)")
}

// TestExportTape: a tape (export --format json) exports like the run it
// recorded.
func TestExportTape(t *testing.T) {
	dir := t.TempDir()
	tape := filepath.Join(dir, "run.json")
	code, _, errOut := cli(t, "export", "stale-set", "--format", "json", "-o", tape)
	require.Equal(t, exitClean, code, errOut)
	code, fromTape, errOut := cli(t, "export", tape, "--format", "svg", "-o", "-")
	require.Equal(t, exitClean, code, errOut)
	_, fromRun, _ := cli(t, "export", "stale-set", "--format", "svg", "-o", "-")
	require.Equal(t, fromRun, fromTape)
}
