package timeline

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatOffset renders an instant of the run as an offset from the epoch, the
// way every racetape view shows time: "+0s", "+4.500ms" below one second,
// "+1.250s" and "+301.000s" from one second on (never minutes, so offsets
// compare at a glance). Three decimals always; more only when the instant
// needs them ("+4.000250ms", "+300.000500s"), so two distinct instants never
// print the same.
func FormatOffset(d time.Duration) string {
	sign := "+"
	u := uint64(d)
	if d < 0 {
		sign = "-"
		u = uint64(-(d + 1)) + 1 // safe for math.MinInt64
	}
	switch {
	case u == 0:
		return "+0s"
	case u < uint64(time.Second):
		return sign + decimal(u, uint64(time.Millisecond), 3, 3) + "ms"
	default:
		return sign + decimal(u, uint64(time.Second), 3, 3) + "s"
	}
}

// FormatTTL renders a time-to-live or a duration in the shortest exact form:
// "300s", "295s", "299.9985s", "1.5s", "500ms", "250µs". A negative TTL is
// the package's "no TTL" and renders as "no TTL".
func FormatTTL(d time.Duration) string {
	if d < 0 {
		return "no TTL"
	}
	return shortDuration(d)
}

// shortDuration renders a non-negative duration in seconds, milliseconds,
// microseconds or nanoseconds, whichever is the largest unit not above it,
// with only the decimals it needs.
func shortDuration(d time.Duration) string {
	u := uint64(d)
	if d < 0 {
		return "-" + shortDuration(-d)
	}
	switch {
	case u == 0:
		return "0s"
	case u >= uint64(time.Second):
		return decimal(u, uint64(time.Second), 0, 1) + "s"
	case u >= uint64(time.Millisecond):
		return decimal(u, uint64(time.Millisecond), 0, 1) + "ms"
	case u >= uint64(time.Microsecond):
		return decimal(u, uint64(time.Microsecond), 0, 1) + "µs"
	}
	return strconv.FormatUint(u, 10) + "ns"
}

// decimal writes n/unit in base 10 with at least minFrac decimals and no
// trailing zeros beyond them, except to complete a group of step digits
// (step 3 writes "4.000250", not "4.00025"). unit is a power of ten.
func decimal(n, unit uint64, minFrac, step int) string {
	digits := len(strconv.FormatUint(unit, 10)) - 1
	whole, frac := n/unit, n%unit
	s := strconv.FormatUint(whole, 10)
	if digits == 0 {
		return s
	}
	f := strconv.FormatUint(frac, 10)
	f = strings.Repeat("0", digits-len(f)) + f
	keep := len(strings.TrimRight(f, "0"))
	keep = min((keep+step-1)/step*step, digits)
	keep = max(keep, min(minFrac, digits))
	if keep == 0 {
		return s
	}
	return s + "." + f[:keep]
}

// runeLen is the display width of s: every character racetape prints is one
// column wide.
func runeLen(s string) int { return utf8.RuneCountInString(s) }

// fit cuts s to at most w runes, marking a cut with "…".
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if runeLen(s) <= w {
		return s
	}
	r := []rune(s)
	return string(r[:w-1]) + "…"
}

// pad fits s into exactly w runes, padding with spaces.
func pad(s string, w int) string {
	s = fit(s, w)
	return s + strings.Repeat(" ", w-runeLen(s))
}

// wrap breaks text into lines of at most width runes: the first line starts
// with first, the others with rest. Words longer than a line are cut.
func wrap(text string, width int, first, rest string) []string {
	var lines []string
	prefix := first
	cur := ""
	flush := func() {
		lines = append(lines, prefix+cur)
		prefix, cur = rest, ""
	}
	for _, word := range strings.Fields(text) {
		room := width - runeLen(prefix)
		if room < 1 {
			room = 1
		}
		switch {
		case cur == "" && runeLen(word) <= room:
			cur = word
		case cur != "" && runeLen(cur)+1+runeLen(word) <= room:
			cur += " " + word
		default:
			if cur != "" {
				flush()
				room = max(width-runeLen(prefix), 1)
			}
			if runeLen(word) > room {
				r := []rune(word) // once: cutting a long word is linear in it
				for len(r) > room {
					cur = string(r[:room])
					flush()
					r = r[room:]
					room = max(width-runeLen(prefix), 1)
				}
				word = string(r)
			}
			cur = word
		}
	}
	if cur != "" || len(lines) == 0 {
		flush()
	}
	return lines
}
