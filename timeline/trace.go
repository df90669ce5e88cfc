package timeline

import (
	"encoding/json"
	"io"
	"time"
)

// A TraceEvent is one event of the Chrome trace event format (the JSON
// that Perfetto, ui.perfetto.dev, and chrome://tracing open): "M" metadata
// naming a track, "X" a complete span with a duration, "i" an instant.
// Times are microseconds.
type TraceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	TS   float64        `json:"ts"`
	Dur  *float64       `json:"dur,omitempty"`
	PID  int            `json:"pid"`
	TID  int            `json:"tid"`
	S    string         `json:"s,omitempty"` // instant scope: "t" (thread)
	Args map[string]any `json:"args,omitempty"`
}

// A Trace is the JSON object form of the format.
type Trace struct {
	TraceEvents     []TraceEvent   `json:"traceEvents"`
	DisplayTimeUnit string         `json:"displayTimeUnit"`
	OtherData       map[string]any `json:"otherData"`
}

// Trace returns the run as trace events: one track (thread) per actor and
// per key's cache and db, a span per step and per cache or row value, a
// track of divergences per key, and instant events for commits, expiries
// and stale reads, with the explanation in args.
func (t *Timeline) Trace() Trace {
	s := t.Scene()
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	tr := Trace{DisplayTimeUnit: "ms", OtherData: map[string]any{
		"scenario": t.Scenario, "verdict": s.Verdict, "consistency": s.Model, "epoch": t.Epoch.Format(time.RFC3339Nano),
	}}
	add := func(e TraceEvent) { tr.TraceEvents = append(tr.TraceEvents, e) }
	add(TraceEvent{Name: "process_name", Ph: "M", PID: 1, Args: map[string]any{"name": "racetape: " + s.Title}})
	tid := 0
	track := func(name string) int {
		tid++
		add(TraceEvent{Name: "thread_name", Ph: "M", PID: 1, TID: tid, Args: map[string]any{"name": name}})
		add(TraceEvent{Name: "thread_sort_index", Ph: "M", PID: 1, TID: tid, Args: map[string]any{"sort_index": tid}})
		return tid
	}
	span := func(id int, name, cat string, from, to time.Duration, args map[string]any) {
		d := us(to - from)
		add(TraceEvent{Name: name, Cat: cat, Ph: "X", TS: us(from), Dur: &d, PID: 1, TID: id, Args: args})
	}
	instant := func(id int, name, cat string, at time.Duration, args map[string]any) {
		add(TraceEvent{Name: name, Cat: cat, Ph: "i", S: "t", TS: us(at), PID: 1, TID: id, Args: args})
	}
	for _, trk := range s.Tracks {
		id := track(trk.Name)
		switch trk.Kind {
		case ActorTrack:
			for _, sp := range trk.Spans {
				e := t.Events[t.eventIndex(sp.Seq)]
				args := map[string]any{"seq": e.Seq, "command": e.Command, "result": e.Result, "start": FormatOffset(e.Start), "end": FormatOffset(e.End)}
				if e.Note != "" {
					args["note"] = e.Note
				}
				span(id, sp.Label, sp.Class, sp.Start, sp.End, args)
			}
			for _, r := range s.Stale {
				if len(r.Events) > 0 && t.Events[t.eventIndex(r.Events[len(r.Events)-1])].Lane == laneOf(t, trk.Name) {
					instant(id, "✗ STALE "+string(r.Anomaly), "stale", r.End, map[string]any{
						"key": r.Key, "source": string(r.Source), "served": r.Served, "current": r.Current,
						"start": FormatOffset(r.Start), "end": FormatOffset(r.End), "anomaly": string(r.Anomaly), "why": r.Why,
					})
				}
			}
		case CacheTrack:
			var div []Span
			for _, sp := range trk.Spans {
				if sp.Class == "diverged" {
					div = append(div, sp)
					continue
				}
				span(id, sp.Label, "cache", sp.Start, sp.End, map[string]any{"key": trk.Key})
			}
			for _, m := range trk.Marks {
				instant(id, m.Label, m.Class, m.At, map[string]any{"key": trk.Key})
			}
			if len(div) > 0 {
				did := track(trk.Name + " ≠ db")
				for _, d := range t.Divergences {
					if d.Key != trk.Key {
						continue
					}
					end := s.End
					if d.Until != nil {
						end = *d.Until
					}
					span(did, "cache "+orQuoted(d.CacheValue)+" ≠ db "+orQuoted(d.DBValue), "diverged", d.From, end,
						map[string]any{"cause": d.Cause, "end": t.divergenceEnd(d)})
				}
			}
		case DBTrack:
			for _, sp := range trk.Spans {
				span(id, sp.Label, "db", sp.Start, sp.End, map[string]any{"key": trk.Key})
			}
			for _, m := range trk.Marks {
				instant(id, m.Label, "commit", m.At, map[string]any{"key": trk.Key, "event": m.Seq})
			}
		}
	}
	return tr
}

func laneOf(t *Timeline, actor string) int {
	for i, a := range t.Actors {
		if a == actor {
			return i
		}
	}
	return -1
}

// WriteTrace writes Trace as indented JSON.
func (t *Timeline) WriteTrace(out io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	return enc.Encode(t.Trace())
}
