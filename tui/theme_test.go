package tui

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestThemeContrast computes the WCAG contrast ratio of every ink of every
// theme: against its own background when it has one, else against each
// terminal background the theme is made for. Text needs 4.5:1 (AA);
// borders, drawn as lines, 3:1.
func TestThemeContrast(t *testing.T) {
	for theme, p := range palettes {
		for k := range numInks {
			lk := p.looks[k]
			if lk.fg == "" {
				continue // the terminal's own foreground
			}
			bgs := p.backgrounds
			if lk.bg != "" {
				bgs = []string{lk.bg}
			}
			want := 4.5
			if nonText[k] {
				want = 3
			}
			for _, bg := range bgs {
				t.Run(fmt.Sprintf("%s/ink%d/%s", theme, k, bg), func(t *testing.T) {
					r := contrast(lk.fg, bg)
					require.GreaterOrEqual(t, r, want, "%s on %s: %.2f:1", lk.fg, bg, r)
				})
			}
		}
	}
	require.Len(t, palettes, 3)
}

// TestThemeInksHaveColor: every ink but plain and bold has a foreground or
// a background in every theme (an ink left out would fall back to the
// terminal's colors and lose its meaning).
func TestThemeInksHaveColor(t *testing.T) {
	for theme, p := range palettes {
		for k := ink(1); k < numInks; k++ {
			if k == inkBold {
				continue
			}
			require.NotEmpty(t, p.looks[k].fg+p.looks[k].bg, "%s: ink %d", theme, k)
		}
	}
}

func TestContrastFormula(t *testing.T) {
	require.InDelta(t, 21, contrast("#000000", "#ffffff"), 0.01)
	require.InDelta(t, 1, contrast("#777777", "#777777"), 0.01)
	// the review's help text: #4A4A4A on #1e1e1e is 1.9:1
	require.InDelta(t, 1.9, contrast("#4a4a4a", "#1e1e1e"), 0.05)
}

func TestParseOSC11(t *testing.T) {
	for in, want := range map[string]string{
		"\x1b]11;rgb:ffff/ffff/ffff\x07\x1b[1;1R": "#ffffff",
		"\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\":        "#1e1e1e",
		"\x1b]11;rgb:00/80/ff\x07":                "#0080ff",
	} {
		got, ok := parseOSC11(in)
		require.True(t, ok, "%q", in)
		require.Equal(t, want, got, "%q", in)
	}
	_, ok := parseOSC11("\x1b[1;1R")
	require.False(t, ok, "no OSC 11 answer")
}

func TestParseTheme(t *testing.T) {
	for _, s := range Themes {
		_, err := ParseTheme(s)
		require.NoError(t, err, s)
	}
	_, err := ParseTheme("neon")
	require.ErrorContains(t, err, `unknown theme "neon" (want auto, dark, light, high-contrast)`)
	require.Equal(t, ThemeLight, resolveTheme(ThemeAuto, false))
	require.Equal(t, ThemeDark, resolveTheme(ThemeAuto, true))
	require.Equal(t, ThemeHighContrast, resolveTheme(ThemeHighContrast, false))
}
