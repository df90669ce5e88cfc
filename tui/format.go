package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/racetape/racetape/timeline"
)

// defaultEpoch is the instant virtual time 0 stands for when a timeline
// carries no epoch; it matches the engine's default.
var defaultEpoch = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

// formatOffset renders a virtual instant precisely, as the header and the
// text form show it: "+4.500ms".
func formatOffset(d time.Duration) string { return timeline.FormatOffset(d) }

// formatShort renders a duration compactly for axis ticks, labels and TTLs:
// "0", "500µs", "1.5ms", "3ms", "2.25s", "5m".
func formatShort(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	unit, div := "ns", time.Duration(1)
	switch {
	case d >= time.Hour:
		unit, div = "h", time.Hour
	case d >= time.Minute:
		unit, div = "m", time.Minute
	case d >= time.Second:
		unit, div = "s", time.Second
	case d >= time.Millisecond:
		unit, div = "ms", time.Millisecond
	case d >= time.Microsecond:
		unit, div = "µs", time.Microsecond
	}
	s := strconv.FormatFloat(float64(d)/float64(div), 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return sign + s + unit
}

// formatClock renders the wall-clock instant of virtual time d.
func formatClock(epoch time.Time, d time.Duration) string {
	if epoch.IsZero() {
		epoch = defaultEpoch
	}
	return epoch.Add(d).Format("15:04:05.000000")
}

// formatTTL renders a cache entry's time left to three significant digits
// ("ttl 4.5ms"), marked ~ when rounded ("ttl ~300s" for 299.9955s), or
// "no TTL".
func formatTTL(d time.Duration) string {
	if d < 0 {
		return "no TTL"
	}
	r := roundSig(d, 3)
	if r != d {
		return "ttl ~" + timeline.FormatTTL(r)
	}
	return "ttl " + timeline.FormatTTL(d)
}

// roundSig rounds d to n significant digits.
func roundSig(d time.Duration, n int) time.Duration {
	lim := time.Duration(1)
	for range n {
		lim *= 10
	}
	p := time.Duration(1)
	for d/p >= lim {
		p *= 10
	}
	return (d + p/2) / p * p
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
