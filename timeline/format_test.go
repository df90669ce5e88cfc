package timeline

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "+0s"},
		{1, "+0.000001ms"},
		{500 * us, "+0.500ms"},
		{3 * ms, "+3.000ms"},
		{4500 * us, "+4.500ms"},
		{4*ms + 250, "+4.000250ms"},
		{999999 * us, "+999.999ms"},
		{1 * s, "+1.000s"},
		{1250 * ms, "+1.250s"},
		{5*s + 5*ms, "+5.005s"},
		{301 * s, "+301.000s"},
		{300*s + 500*us, "+300.000500s"},
		{3600 * s, "+3600.000s"},
		{-500 * us, "-0.500ms"},
		{-2 * s, "-2.000s"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, FormatOffset(tc.d), "FormatOffset(%d)", int64(tc.d))
	}
	require.True(t, strings.HasPrefix(FormatOffset(math.MinInt64), "-9223372036.854775808s"))
}

func TestFormatTTL(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{-1, "no TTL"},
		{0, "0s"},
		{7, "7ns"},
		{250 * us, "250µs"},
		{2500 * us, "2.5ms"},
		{500 * ms, "500ms"},
		{1500 * ms, "1.5s"},
		{295 * s, "295s"},
		{300 * s, "300s"},
		{300*s - 1500*us, "299.9985s"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, FormatTTL(tc.d), "FormatTTL(%d)", int64(tc.d))
	}
}

func TestFit(t *testing.T) {
	require.Equal(t, "abc", fit("abc", 3))
	require.Equal(t, "ab…", fit("abcd", 3))
	require.Equal(t, "…", fit("abcd", 1))
	require.Equal(t, "", fit("abcd", 0))
	require.Equal(t, "░…", fit("░░░░", 2), "counts runes, not bytes")
	require.Equal(t, "ab  ", pad("ab", 4))
	require.Equal(t, "a…", pad("abc", 2))
}

func TestWrap(t *testing.T) {
	require.Equal(t, []string{"aaa bbb", "ccc"}, wrap("aaa bbb ccc", 7, "", ""))
	require.Equal(t, []string{"> aaa", "  bbb", "  ccc"}, wrap("aaa bbb ccc", 7, "> ", "  "))
	require.Equal(t, []string{"abcd", "efgh", "ij"}, wrap("abcdefghij", 4, "", ""), "a word longer than a line is cut")
	require.Equal(t, []string{"x: "}, wrap("", 10, "x: ", ""), "no words: the lead alone")
	for _, l := range wrap("the quick brown fox jumps over the lazy dog", 9, "1. ", "   ") {
		require.LessOrEqual(t, runeLen(l), 9, "%q", l)
	}
}

func TestFitWidths(t *testing.T) {
	require.Equal(t, []int{10, 30, 5}, fitWidths([]int{10, 30, 5}, 45), "all fit: natural widths")
	require.Equal(t, []int{10, 15, 5}, fitWidths([]int{10, 30, 5}, 30), "only the widest is capped")
	require.Equal(t, []int{9, 9, 5}, fitWidths([]int{10, 30, 5}, 23))
	require.Equal(t, []int{8, 8, 5}, fitWidths([]int{10, 30, 5}, 21))
	require.Equal(t, []int{9, 8, 5}, fitWidths([]int{10, 30, 5}, 22), "leftover goes to the capped columns, left to right")
	require.Equal(t, []int{0, 0, 0}, fitWidths([]int{10, 30, 5}, 0))
	require.Equal(t, []int{0, 0, 0}, fitWidths([]int{10, 30, 5}, -7))
}
