package timeline

import (
	"strconv"
	"strings"
	"time"
)

// StepLabel returns the one-line label of event seq as it reads once the step
// is over, key and outcome included: "GET order:42 → CANCELLED",
// "SET order:42=CANCELLED PX 300s", "WRITE order:42=PAID (v2)",
// "READ order:42 → CANCELLED (v1)", "DEL order:42", "sleep 10ms". It returns
// "" when there is no such event.
func (t *Timeline) StepLabel(seq int) string {
	i := t.eventIndex(seq)
	if i < 0 {
		return ""
	}
	return t.label(t.Events[i], labelForm{})
}

// eventIndex returns the index in Events of the event numbered seq, or -1.
func (t *Timeline) eventIndex(seq int) int {
	if seq >= 0 && seq < len(t.Events) && t.Events[seq].Seq == seq {
		return seq
	}
	for i, e := range t.Events {
		if e.Seq == seq {
			return i
		}
	}
	return -1
}

// A labelForm says how much a step label says; the zero form says all of
// it, as at the step's end.
type labelForm struct {
	noKey bool // leave the key out (the lanes do when every step is on one key)
	start bool // the step's start: what it asks, not what it got
	brief bool // leave out row versions and SET options
}

// label renders event e in form f.
func (t *Timeline) label(e Event, f labelForm) string {
	withKey, atEnd := !f.noKey, !f.start
	verb := func(v string) string {
		if withKey && e.Key != "" {
			return v + " " + e.Key
		}
		return v
	}
	kv := func(v string) string {
		if withKey && e.Key != "" {
			return e.Key + "=" + v
		}
		return v
	}
	version := func(v int) string {
		if v > 0 && !f.brief {
			return " (v" + strconv.Itoa(v) + ")"
		}
		return ""
	}
	options := func(s string) string {
		if f.brief {
			return ""
		}
		return s
	}
	got := func(s string) string {
		if !atEnd {
			return ""
		}
		return " → " + s
	}
	// gotRead is what a read step got: the value (and version), missText
	// on a miss, or its result.
	gotRead := func(missText string) string {
		switch e.Result {
		case "hit":
			return got(e.Value + version(e.Version))
		case "miss":
			return got(missText)
		}
		return got(e.Result)
	}
	failed := atEnd && e.Result == "fail"

	switch e.Op {
	case "cache.get", "cas.get":
		s := verb("GET")
		if e.Op == "cas.get" {
			s = verb("CAS GET")
		}
		return s + gotRead("miss")
	case "cache.set":
		s := "SET " + kv(e.Value) + options(setOptions(e.Command, t.Epoch))
		if failed {
			s += " → not set"
		}
		return s
	case "cache.del":
		return verb("DEL")
	case "cache.expire":
		s := t.expireLabel(e, withKey)
		if failed {
			s += " → no key"
		}
		return s
	case "db.read":
		s := verb("READ")
		if strings.Contains(strings.ToLower(e.Command), "replica") {
			s += " (replica)"
		}
		return s + gotRead("no row")
	case "db.write":
		s := "WRITE " + kv(e.Value)
		if atEnd {
			s += version(e.Version)
		}
		return s
	case "sleep":
		return "sleep " + shortDuration(e.End-e.Start)
	case "lease.get":
		s := verb("LEASE GET")
		switch e.Result {
		case "hit":
			return s + got(e.Value)
		case "miss":
			return s + got("miss")
		case "fail":
			return s + got("lease held")
		}
		return s + got(e.Result)
	case "lease.set":
		s := "LEASE SET " + kv(e.Value) + options(evalTTL(e.Command))
		if failed {
			s += " → refused"
		}
		return s
	case "lease.del":
		return verb("LEASE DEL")
	case "cas.set":
		s := "CAS SET " + kv(e.Value) + version(e.Version) + options(evalTTL(e.Command))
		if failed {
			s += " → refused"
		}
		return s
	case "clock.tick":
		return "advance to " + FormatOffset(e.End)
	}
	s := verb(e.Op)
	if e.Result != "" {
		s += got(e.Result)
	}
	return s
}

// setOptions renders the options at the end of a SET command the way a
// person says them: "SET order:42 CANCELLED PX 300000 NX" gives
// " PX 300s NX". Options are read from the end, so a value with spaces does
// not confuse them.
func setOptions(cmd string, epoch time.Time) string {
	f := strings.Fields(cmd)
	if len(f) < 3 || !strings.EqualFold(f[0], "SET") {
		return ""
	}
	var opts []string
scan:
	for i := len(f); i > 3; {
		switch word := strings.ToUpper(f[i-1]); word {
		case "NX", "XX", "KEEPTTL", "GET":
			opts = append(opts, word)
			i--
			continue
		}
		if i-2 < 3 {
			break scan
		}
		n, err := strconv.ParseInt(f[i-1], 10, 64)
		if err != nil {
			break scan
		}
		var opt string
		switch name := strings.ToUpper(f[i-2]); name {
		case "PX":
			opt = "PX " + shortDuration(time.Duration(n)*time.Millisecond)
		case "EX":
			opt = "EX " + shortDuration(time.Duration(n)*time.Second)
		case "PXAT":
			opt = "PXAT " + FormatOffset(time.UnixMilli(n).Sub(epoch))
		case "EXAT":
			opt = "EXAT " + FormatOffset(time.Unix(n, 0).Sub(epoch))
		default:
			break scan
		}
		opts = append(opts, opt)
		i -= 2
	}
	var b strings.Builder
	for j := len(opts) - 1; j >= 0; j-- {
		b.WriteString(" " + opts[j])
	}
	return b.String()
}

// evalTTL reads the TTL of a protocol helper's set, sent as a script whose
// last argument is the TTL in milliseconds ("EVAL lease-set … 300000"):
// " PX 300s", or "" when there is none.
func evalTTL(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) < 3 || !strings.EqualFold(f[0], "EVAL") {
		return ""
	}
	n, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil || n <= 0 {
		return ""
	}
	return " PX " + shortDuration(time.Duration(n)*time.Millisecond)
}

// expireLabel renders a cache.expire step from its command: PEXPIRE and
// EXPIRE give "EXPIRE order:42 300s", PEXPIREAT and EXPIREAT give the
// instant as an offset, "EXPIREAT order:42 +301.000s".
func (t *Timeline) expireLabel(e Event, withKey bool) string {
	head := func(v string) string {
		if withKey && e.Key != "" {
			return v + " " + e.Key
		}
		return v
	}
	f := strings.Fields(e.Command)
	if len(f) == 3 {
		if n, err := strconv.ParseInt(f[2], 10, 64); err == nil {
			switch strings.ToUpper(f[0]) {
			case "PEXPIRE":
				return head("EXPIRE") + " " + shortDuration(time.Duration(n)*time.Millisecond)
			case "EXPIRE":
				return head("EXPIRE") + " " + shortDuration(time.Duration(n)*time.Second)
			case "PEXPIREAT":
				return head("EXPIREAT") + " " + FormatOffset(time.UnixMilli(n).Sub(t.Epoch))
			case "EXPIREAT":
				return head("EXPIREAT") + " " + FormatOffset(time.Unix(n, 0).Sub(t.Epoch))
			}
		}
	}
	return head("EXPIRE")
}
