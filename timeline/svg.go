package timeline

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// The SVG export draws a Scene for slides: 1600 units wide (it scales),
// dark text on white, every text at least 16 units high, no external font,
// script or link. Long quiet stretches of the time axis (a TTL running
// out) are cut and marked, so that the steps keep their room.

// SVGPalette is the picture's colours: every text colour and the fill it
// sits on, so that a test can check each pair's contrast (WCAG AA, 4.5:1).
var SVGPalette = struct {
	Background, Text, Muted                string
	CacheFill, CacheStroke                 string
	DBFill, DBStroke                       string
	SleepFill, SleepStroke                 string
	StaleFill, StaleStroke, StaleText      string
	DivergedFill, DivergedText             string
	ValueFill, RowFill, CommitMark, Expiry string
	OK                                     string
}{
	Background: "#ffffff", Text: "#111111", Muted: "#4a4a4a",
	CacheFill: "#d6eaff", CacheStroke: "#0b4f8a",
	DBFill: "#e6defc", DBStroke: "#4b2e9e",
	SleepFill: "#f0f0f0", SleepStroke: "#6b6b6b",
	StaleFill: "#ffe0e0", StaleStroke: "#b00020", StaleText: "#a0001c",
	DivergedFill: "#fff0b3", DivergedText: "#5c4300",
	ValueFill: "#eef6ff", RowFill: "#f3effd", CommitMark: "#4b2e9e", Expiry: "#5c4300",
	OK: "#1b6e20",
}

const (
	svgWidth    = 1600.0
	svgMargin   = 24.0
	svgLabelCol = 250.0 // track names
	svgFont     = 17.0  // step labels
	svgCharW    = 0.64  // average glyph width, in ems (bold included, with room)
	svgCut      = 70.0  // width of a cut stretch of time
)

// An svgAxis maps instants to x: linear between the instants of the run,
// except that long quiet stretches are cut to svgCut units.
type svgAxis struct {
	at []time.Duration // instants, increasing
	x  []float64
	// cut[i] says the stretch from at[i] to at[i+1] is cut.
	cut []bool
}

func newSVGAxis(s *Scene, x0, x1 float64) svgAxis {
	pts := []time.Duration{0, s.End}
	for _, tr := range s.Tracks {
		for _, sp := range tr.Spans {
			pts = append(pts, sp.Start, sp.End)
		}
		for _, m := range tr.Marks {
			pts = append(pts, m.At)
		}
	}
	slices.Sort(pts)
	pts = slices.Compact(pts)
	a := svgAxis{at: pts, x: make([]float64, len(pts)), cut: make([]bool, max(len(pts)-1, 0))}
	if len(pts) < 2 {
		a.at, a.x = []time.Duration{0, 1}, []float64{x0, x1}
		a.cut = []bool{false}
		return a
	}
	var gaps []time.Duration
	for i := 0; i+1 < len(pts); i++ {
		gaps = append(gaps, pts[i+1]-pts[i])
	}
	sorted := slices.Clone(gaps)
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	limit := max(10*median, (pts[len(pts)-1]-pts[0])/5)
	var kept time.Duration
	ncut := 0
	for i, g := range gaps {
		if g > limit && len(gaps) > 1 {
			a.cut[i] = true
			ncut++
		} else {
			kept += g
		}
	}
	room := x1 - x0 - svgCut*float64(ncut)
	a.x[0] = x0
	for i, g := range gaps {
		w := svgCut
		if !a.cut[i] {
			if kept > 0 {
				w = room * float64(g) / float64(kept)
			} else {
				w = room / float64(len(gaps)-ncut)
			}
		}
		a.x[i+1] = a.x[i] + w
	}
	return a
}

// pos returns the x of instant t.
func (a svgAxis) pos(t time.Duration) float64 {
	i, found := slices.BinarySearch(a.at, t)
	if found {
		return a.x[i]
	}
	if i == 0 {
		return a.x[0]
	}
	if i >= len(a.at) {
		return a.x[len(a.x)-1]
	}
	f := float64(t-a.at[i-1]) / float64(a.at[i]-a.at[i-1])
	return a.x[i-1] + f*(a.x[i]-a.x[i-1])
}

// svgWriter accumulates the picture.
type svgWriter struct {
	b strings.Builder
}

func (w *svgWriter) f(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

func esc(s string) string { return html.EscapeString(s) }

// textWidth estimates the width of s in units at font size size.
func textWidth(s string, size float64) float64 {
	return float64(utf8.RuneCountInString(s)) * size * svgCharW
}

// A placedLabel is a step label where the picture draws it.
type placedLabel struct {
	x    float64
	row  int
	text string
	seq  int
	bold bool
}

// placeLabels lays out the labels of an actor track under its bars: each
// at its step's start (or ending at the right edge), on the first row
// where it covers no other label, a new row when none is free (up to
// maxRows, then pushed right and shortened).
func placeLabels(ax svgAxis, tr Track) (labels []placedLabel, rows int) {
	const maxRows, gap = 6, 14.0
	right := svgWidth - svgMargin
	var ends []float64 // each row's right end
	for _, sp := range tr.Spans {
		x0, x1 := ax.pos(sp.Start), ax.pos(sp.End)
		if sp.Class != "stale" && textWidth(sp.Label, svgFont)+12 <= x1-x0 {
			// It fits in its bar: row -1.
			labels = append(labels, placedLabel{x: x0 + 6, row: -1, text: sp.Label, seq: sp.Seq})
			continue
		}
		if x1-x0 < 6 {
			x0 = (x0+x1)/2 - 9
		}
		lines := []string{sp.Label}
		if sp.Note != "" {
			lines = []string{sp.Note, sp.Label}
		}
		prev := -1
		for _, line := range lines {
			bold := sp.Class == "stale"
			width := textWidth(line, svgFont)
			want := max(min(x0, right-width), svgMargin+svgLabelCol)
			r := -1
			for i := range ends {
				if i != prev && ends[i]+gap <= want {
					r = i
					break
				}
			}
			if r < 0 && len(ends) < maxRows {
				ends = append(ends, -1e9)
				r = len(ends) - 1
			}
			if r < 0 { // every row taken: the one that frees up first
				r = (prev + 1) % len(ends)
				for i := range ends {
					if i != prev && ends[i] < ends[r] {
						r = i
					}
				}
			}
			prev = r
			x := max(want, ends[r]+gap)
			line = clip(line, right-x, svgFont)
			labels = append(labels, placedLabel{x: x, row: r, text: line, seq: sp.Seq, bold: bold})
			ends[r] = x + min(width, right-x)
		}
	}
	return labels, len(ends)
}

// clip shortens s with "…" to fit width units at size.
func clip(s string, width, size float64) string {
	n := int(width/(size*svgCharW) + 1e-6)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// wrapText cuts text into lines of at most width units at size.
func wrapText(text string, width, size float64) []string {
	n := max(int(width/(size*svgCharW)), 10)
	return wrap(text, n, "", "")
}

// WriteSVG writes the run as an SVG picture for slides: lane labels, a time
// axis with units, the steps as spans, stale reads in red with the word
// STALE and the served and current values, divergences shaded on the
// cache tracks, and a caption with the verdict and why.
func (t *Timeline) WriteSVG(out io.Writer) error {
	s := t.Scene()
	_, err := io.WriteString(out, s.svg(""))
	return err
}

// svg renders the scene; class is added to the root element.
func (s *Scene) svg(class string) string {
	p := SVGPalette
	w := &svgWriter{}
	plotX0, plotX1 := svgMargin+svgLabelCol, svgWidth-svgMargin
	ax := newSVGAxis(s, plotX0, plotX1)

	// Heights first: the caption's lines decide the picture's height.
	const titleY, subY, axisY, tracksY = 48.0, 82.0, 126.0, 150.0
	y := tracksY
	heights := make([]float64, len(s.Tracks))
	labels := make([][]placedLabel, len(s.Tracks))
	for i, tr := range s.Tracks {
		heights[i] = 58
		if tr.Kind == ActorTrack {
			var rows int
			labels[i], rows = placeLabels(ax, tr)
			heights[i] = 10 + 28 + 12 + 22*float64(max(rows, 1))
		}
		y += heights[i]
	}
	capY := y + 40
	var caption []string
	for i, r := range s.Stale {
		if i == 3 {
			caption = append(caption, fmt.Sprintf("… and %d more stale reads", len(s.Stale)-3))
			break
		}
		head := fmt.Sprintf("%d. %s, %s from %s over [%s, %s], %s: served %s, current %s.", i+1, r.Actor, r.Key, r.Source,
			FormatOffset(r.Start), FormatOffset(r.End), r.Anomaly, orQuoted(r.Served), strings.Join(quoteAll(r.Current), ", "))
		caption = append(caption, wrapText(head+" "+r.Why+".", svgWidth-2*svgMargin, 18)...)
	}
	height := capY + 16 + float64(len(caption))*26 + svgMargin

	w.f(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" font-family="DejaVu Sans, Verdana, Arial, sans-serif"`, svgWidth, height, svgWidth, height)
	if class != "" {
		w.f(` class="%s"`, class)
	}
	w.f(">\n")
	w.f("<title>%s</title>\n", esc(s.Title))
	w.f(`<defs><pattern id="hatch" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="10" height="10" fill="%s"/><line x1="0" y1="0" x2="0" y2="10" stroke="%s" stroke-width="3" stroke-opacity="0.35"/></pattern></defs>`+"\n", p.DivergedFill, p.DivergedText)
	w.f(`<rect width="100%%" height="100%%" fill="%s"/>`+"\n", p.Background)
	w.f(`<text x="%.0f" y="%.0f" font-size="30" font-weight="bold" fill="%s">%s</text>`+"\n", svgMargin, titleY, p.Text, esc(clip(s.Title, svgWidth-2*svgMargin, 30)))
	verdictColor := p.OK
	if len(s.Stale) > 0 {
		verdictColor = p.StaleText
	}
	w.f(`<text x="%.0f" y="%.0f" font-size="20" fill="%s"><tspan font-weight="bold" fill="%s">%s</tspan>   consistency %s</text>`+"\n",
		svgMargin, subY, p.Muted, verdictColor, esc(s.Verdict), esc(s.Model))

	s.svgAxis(w, ax, axisY, height-svgMargin-float64(len(caption))*26-56)

	y = tracksY
	for i, tr := range s.Tracks {
		s.svgTrack(w, ax, tr, labels[i], y, heights[i], i)
		y += heights[i]
	}

	w.f(`<text x="%.0f" y="%.0f" font-size="24" font-weight="bold" fill="%s">%s</text>`+"\n", svgMargin, capY, verdictColor, esc(s.Verdict))
	for i, line := range caption {
		w.f(`<text x="%.0f" y="%.0f" font-size="18" fill="%s">%s</text>`+"\n", svgMargin, capY+34+float64(i)*26, p.Text, esc(line))
	}
	w.f("</svg>\n")
	return w.b.String()
}

// svgAxis draws the time axis at y, with ticks down to bottom, and marks
// the cut stretches.
func (s *Scene) svgAxis(w *svgWriter, ax svgAxis, y, bottom float64) {
	p := SVGPalette
	x0, x1 := ax.x[0], ax.x[len(ax.x)-1]
	w.f(`<g class="axis"><line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-width="2"/>`+"\n", x0, y, x1, y, p.Muted)
	w.f(`<text x="%.0f" y="%.0f" font-size="16" fill="%s">time (from the epoch)</text>`+"\n", svgMargin, y+5, p.Muted)
	lastLabel := -1e9
	tick := func(t time.Duration) {
		x := ax.pos(t)
		w.f(`<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="%s" stroke-opacity="0.18"/>`, x, y, x, bottom, p.Muted)
		label := FormatOffset(t)
		if x-lastLabel < textWidth(label, 16)+12 || x+textWidth(label, 16)/2 > x1+svgMargin {
			return
		}
		w.f(`<text x="%.1f" y="%.0f" font-size="16" fill="%s" text-anchor="middle">%s</text>`+"\n", x, y-10, p.Muted, esc(label))
		lastLabel = x
	}
	// Ticks at a round step in each stretch that is not cut.
	i := 0
	for i < len(ax.cut) {
		if ax.cut[i] {
			xa, xb := ax.x[i], ax.x[i+1]
			mid := (xa + xb) / 2
			w.f(`<path d="M%.1f %.0f l6 -8 l6 16 l6 -8" fill="none" stroke="%s" stroke-width="2"/>`, mid-9, y, p.Muted)
			w.f(`<text x="%.1f" y="%.0f" font-size="16" fill="%s" text-anchor="middle">%s</text>`+"\n", mid, y+22, p.Muted, esc("⋯ "+shortDuration(ax.at[i+1]-ax.at[i])))
			i++
			continue
		}
		j := i
		for j < len(ax.cut) && !ax.cut[j] {
			j++
		}
		from, to := ax.at[i], ax.at[j]
		width := ax.x[j] - ax.x[i]
		step := niceStep(time.Duration(float64(to-from) * 140 / math.Max(width, 1)))
		first := (from + step - 1) / step * step
		if from == 0 || (i > 0 && ax.cut[i-1]) {
			tick(from) // where a stretch starts after a cut
		}
		for t := first; t <= to; t += step {
			tick(t)
		}
		i = j
	}
	w.f("</g>\n")
}

// niceStep rounds d up to 1, 2 or 5 times a power of ten (at least 1µs).
func niceStep(d time.Duration) time.Duration {
	for step := time.Microsecond; step <= math.MaxInt64/10; step *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if step*m >= d {
				return step * m
			}
		}
	}
	return d
}

// svgTrack draws track tr, with its labels placed, in the band [y, y+h).
func (s *Scene) svgTrack(w *svgWriter, ax svgAxis, tr Track, labels []placedLabel, y, h float64, index int) {
	p := SVGPalette
	if index%2 == 1 {
		w.f(`<rect x="0" y="%.0f" width="%.0f" height="%.0f" fill="#f7f7f7"/>`+"\n", y, svgWidth, h)
	}
	nameSize, weight := 20.0, "bold"
	if tr.Kind != ActorTrack {
		nameSize, weight = 17, "normal"
	}
	w.f(`<text x="%.0f" y="%.0f" font-size="%.0f" font-weight="%s" fill="%s">%s</text>`+"\n", svgMargin, y+28, nameSize, weight, p.Text, esc(clip(tr.Name, svgLabelCol-12, nameSize)))
	barY, barH := y+10, 28.0
	if tr.Kind != ActorTrack {
		s.svgValues(w, ax, tr, barY, barH)
		return
	}
	// Steps: a bar each (a diamond when it takes no time), and their
	// labels where placeLabels put them.
	for _, sp := range tr.Spans {
		x0, x1 := ax.pos(sp.Start), ax.pos(sp.End)
		fill, stroke, text := p.CacheFill, p.CacheStroke, p.Text
		switch sp.Class {
		case "db":
			fill, stroke = p.DBFill, p.DBStroke
		case "sleep", "clock":
			fill, stroke = p.SleepFill, p.SleepStroke
		case "stale":
			fill, stroke, text = p.StaleFill, p.StaleStroke, p.StaleText
		}
		w.f(`<g class="step %s" data-seq="%d">`, sp.Class, sp.Seq)
		if x1-x0 < 6 {
			cx := (x0 + x1) / 2
			w.f(`<path d="M%.1f %.1f l9 14 l-9 14 l-9 -14 z" fill="%s" stroke="%s" stroke-width="2"/>`, cx, barY, fill, stroke)
		} else {
			dash := ""
			if sp.Class == "sleep" {
				dash = ` stroke-dasharray="6 4"`
			}
			w.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" rx="5" fill="%s" stroke="%s" stroke-width="2"%s/>`, x0, barY, x1-x0, barH, fill, stroke, dash)
		}
		for _, l := range labels {
			if l.seq != sp.Seq {
				continue
			}
			weight := "normal"
			if l.bold {
				weight = "bold"
			}
			ly := barY + barH + 22 + float64(l.row)*22
			if l.row < 0 {
				ly = barY + barH - 8
			}
			w.f(`<text x="%.1f" y="%.1f" font-size="%.0f" font-weight="%s" fill="%s">%s</text>`, l.x, ly, svgFont, weight, text, esc(l.text))
		}
		w.f("</g>\n")
	}
}

// svgValues draws a cache or db track: the value over time as bars with
// the value inside, divergences hatched, commits and expiries marked.
func (s *Scene) svgValues(w *svgWriter, ax svgAxis, tr Track, y, h float64) {
	p := SVGPalette
	// Bars, then the divergences over them, then the values' words on top.
	for _, pass := range []string{"bars", "diverged", "words"} {
		for _, sp := range tr.Spans {
			x0, x1 := ax.pos(sp.Start), ax.pos(sp.End)
			if x1-x0 < 1 || (pass == "diverged") != (sp.Class == "diverged") {
				continue
			}
			switch {
			case pass == "bars":
				fill := p.ValueFill
				if sp.Class == "row" {
					fill = p.RowFill
				}
				w.f(`<rect class="value" data-from="%d" x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="%s" stroke="%s" stroke-opacity="0.5"/>`+"\n", sp.Start.Microseconds(), x0, y, x1-x0, h, fill, p.Muted)
			case pass == "diverged":
				w.f(`<g class="value diverged" data-from="%d"><rect x="%.1f" y="%.1f" width="%.1f" height="%.0f" fill="url(#hatch)" fill-opacity="0.75" stroke="%s"/>`, sp.Start.Microseconds(), x0, y, x1-x0, h, p.DivergedText)
				w.f(`<text x="%.1f" y="%.1f" font-size="15" font-weight="bold" fill="%s">%s</text></g>`+"\n", x0+4, y+h+17, p.DivergedText, esc(clip("░ "+sp.Label, max(x1-x0, 110), 15)))
			default:
				w.f(`<text class="value" data-from="%d" x="%.1f" y="%.1f" font-size="16" font-weight="bold" fill="%s">%s</text>`+"\n", sp.Start.Microseconds(), x0+6, y+h-8, p.Text, esc(clip(sp.Label, x1-x0-8, 16)))
			}
		}
	}
	for _, m := range tr.Marks {
		x := ax.pos(m.At)
		color := p.CommitMark
		if m.Class == "expiry" {
			color = p.Expiry
		}
		w.f(`<g class="value mark %s" data-from="%d" data-seq="%d"><line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/><title>%s</title></g>`+"\n",
			m.Class, m.At.Microseconds(), m.Seq, x, y-4, x, y+h+4, color, esc(m.Label+" at "+FormatOffset(m.At)))
	}
}
