package timeline

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// HTMLOptions add to the page what the timeline does not hold.
type HTMLOptions struct {
	// Lesson is a short text under the picture (what to watch for, why it
	// happens, what fixes it), one paragraph per element; none when empty.
	Lesson []string
}

// WriteHTML writes the run as one self-contained page, for a browser with
// no network: the SVG picture, step controls (previous / next buttons and
// the arrow keys) that highlight the current step, dim the ones ahead and
// show its narration, the explanation of every stale read, and the lesson.
func (t *Timeline) WriteHTML(out io.Writer, opts HTMLOptions) error {
	s := t.Scene()
	var steps []string
	var ends []int64 // when each step ends, µs
	for _, e := range t.Events {
		steps = append(steps, t.Narration(e.Seq))
		ends = append(ends, e.End.Microseconds())
	}
	stepsJSON, err := json.Marshal(steps) // escapes <, > and &: safe in a script
	if err != nil {
		return err
	}
	endsJSON, _ := json.Marshal(ends)
	titleJSON, _ := json.Marshal(s.Title)
	var b strings.Builder
	f := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p := SVGPalette
	f("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	f("<title>racetape — %s</title>\n", esc(s.Title))
	f(`<style>
body { margin: 0; padding: 16px 24px; background: %[1]s; color: %[2]s; font: 18px/1.45 "DejaVu Sans", Verdana, Arial, sans-serif; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 22px 0 8px; }
.verdict { font-weight: bold; color: %[4]s; }
.verdict.ok { color: %[5]s; }
#picture svg { width: 100%%; height: auto; border: 1px solid #cccccc; }
#controls { position: sticky; top: 0; background: %[1]s; padding: 10px 0; display: flex; gap: 12px; align-items: center; border-bottom: 1px solid #dddddd; }
button { font: inherit; padding: 6px 16px; border: 2px solid %[3]s; background: #ffffff; color: %[2]s; border-radius: 6px; cursor: pointer; }
button:focus-visible { outline: 3px solid %[6]s; outline-offset: 2px; }
#position { color: %[3]s; min-width: 9em; }
#narration { min-height: 3em; margin: 8px 0 0; padding: 10px 14px; background: #f4f4f4; border-left: 6px solid %[6]s; }
#picture .step.ahead, #picture .value.ahead { opacity: 0.18; }
#picture .step.current rect, #picture .step.current path { stroke: %[2]s; stroke-width: 5; }
#picture .step.current text { font-weight: bold; }
li { margin-bottom: 8px; }
.why { color: %[2]s; }
kbd { border: 1px solid #999999; border-radius: 4px; padding: 0 5px; background: #f7f7f7; }
</style>
</head>
<body>
`, p.Background, p.Text, p.Muted, p.StaleText, p.OK, p.CacheStroke)
	verdictClass := "verdict"
	if len(s.Stale) == 0 {
		verdictClass += " ok"
	}
	f("<h1>%s</h1>\n", esc(s.Title))
	if strings.TrimSpace(t.Description) != "" {
		f("<p>%s</p>\n", esc(strings.TrimSpace(t.Description)))
	}
	f("<p><span class=\"%s\">%s</span> · consistency %s · %s</p>\n", verdictClass, esc(s.Verdict), esc(s.Model), esc(t.Backend))
	f("<div id=\"controls\"><button id=\"first\" title=\"start (Home)\">start</button><button id=\"prev\" title=\"previous step (←)\">◀ previous</button><button id=\"next\" title=\"next step (→)\">next ▶</button><button id=\"last\" title=\"end (End)\">end</button><span id=\"position\" aria-live=\"polite\"></span></div>\n")
	f("<p id=\"narration\" aria-live=\"polite\"></p>\n")
	f("<div id=\"picture\">\n%s</div>\n", s.svg("racetape"))
	f("<p>Step with <kbd>←</kbd> <kbd>→</kbd> (<kbd>Home</kbd> <kbd>End</kbd>); steps ahead of the current one are dimmed.</p>\n")
	if len(s.Stale) > 0 {
		f("<h2>Why the stale reads are stale</h2>\n<ol>\n")
		for _, r := range s.Stale {
			f("<li><strong>%s</strong> read %s from %s over [%s, %s]: served <strong>%s</strong>, current %s — <em>%s</em>. <span class=\"why\">%s.</span></li>\n",
				esc(r.Actor), esc(r.Key), esc(string(r.Source)), esc(FormatOffset(r.Start)), esc(FormatOffset(r.End)),
				esc(orQuoted(r.Served)), esc(strings.Join(quoteAll(r.Current), ", ")), esc(string(r.Anomaly)), esc(r.Why))
		}
		f("</ol>\n")
	}
	if len(t.Divergences) > 0 {
		f("<h2>Where the cache differed from the database</h2>\n<ul>\n")
		for _, d := range t.Divergences {
			f("<li>%s: cache %s ≠ db %s from %s — %s; %s.</li>\n", esc(d.Key), esc(orQuoted(d.CacheValue)), esc(orQuoted(d.DBValue)),
				esc(FormatOffset(d.From)), esc(d.Cause), esc(t.divergenceEnd(d)))
		}
		f("</ul>\n")
	}
	if len(opts.Lesson) > 0 {
		f("<h2>Lesson</h2>\n")
		for _, para := range opts.Lesson {
			f("<p>%s</p>\n", esc(para))
		}
	}
	f(`<script>
"use strict";
const steps = %s;
const ends = %s; // when each step ends, µs from the epoch
const title = %s;
let cur = -1; // -1: before the first step
const shapes = Array.from(document.querySelectorAll("#picture .step"));
const values = Array.from(document.querySelectorAll("#picture .value"));
function show(i) {
  cur = Math.max(-1, Math.min(steps.length - 1, i));
  for (const g of shapes) {
    const seq = Number(g.dataset.seq);
    g.classList.toggle("current", seq === cur);
    g.classList.toggle("ahead", seq > cur);
  }
  const now = cur < 0 ? 0 : ends[cur];
  for (const v of values) {
    v.classList.toggle("ahead", Number(v.dataset.from) > now);
  }
  document.getElementById("position").textContent = cur < 0 ? "before step 1 of " + steps.length : "step " + (cur + 1) + " of " + steps.length;
  document.getElementById("narration").textContent = cur < 0 ? title + ": press → to take the first step." : steps[cur];
  document.getElementById("prev").disabled = cur < 0;
  document.getElementById("next").disabled = cur >= steps.length - 1;
}
document.getElementById("first").onclick = () => show(-1);
document.getElementById("prev").onclick = () => show(cur - 1);
document.getElementById("next").onclick = () => show(cur + 1);
document.getElementById("last").onclick = () => show(steps.length - 1);
document.addEventListener("keydown", (e) => {
  const to = {ArrowRight: cur + 1, ArrowLeft: cur - 1, Home: -1, End: steps.length - 1}[e.key];
  if (to !== undefined) { show(to); e.preventDefault(); }
});
show(-1);
</script>
</body>
</html>
`, stepsJSON, endsJSON, titleJSON)
	_, err = io.WriteString(out, b.String())
	return err
}
