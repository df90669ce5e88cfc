package tui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// A Theme is a palette: which colors each ink gets. Every text color of
// every theme reaches WCAG AA contrast (4.5:1) against each background the
// theme is meant for (TestThemeContrast computes the ratios), and no
// meaning rests on color alone: every ink that matters has its glyph or
// word too, so NO_COLOR loses nothing.
type Theme string

// The themes.
const (
	ThemeAuto         Theme = ""              // dark or light, from the terminal's background
	ThemeDark         Theme = "dark"          // for a dark background
	ThemeLight        Theme = "light"         // for a light background
	ThemeHighContrast Theme = "high-contrast" // for projection: brighter, bolder, on black
)

// Themes are the themes --theme accepts, auto first.
var Themes = []string{"auto", string(ThemeDark), string(ThemeLight), string(ThemeHighContrast)}

// ParseTheme reads a --theme value.
func ParseTheme(s string) (Theme, error) {
	switch s {
	case "", "auto":
		return ThemeAuto, nil
	case string(ThemeDark), string(ThemeLight), string(ThemeHighContrast):
		return Theme(s), nil
	}
	return ThemeAuto, fmt.Errorf("unknown theme %q (want %s)", s, strings.Join(Themes, ", "))
}

// A look is an ink's style in one theme: colors as "#rrggbb" ("" is the
// terminal's own).
type look struct {
	fg, bg string
	bold   bool
}

// A palette is a theme's looks, and the terminal backgrounds it is made
// for (the contrast of an ink without its own background is checked
// against each).
type palette struct {
	backgrounds []string
	looks       [numInks]look
}

// palettes holds every theme's palette.
var palettes = map[Theme]*palette{
	ThemeDark: {
		// black, VS Code's, One Dark's, a dark grey, Ubuntu's aubergine
		backgrounds: []string{"#000000", "#1e1e1e", "#282c34", "#303030", "#300a24"},
		looks: [numInks]look{
			inkDim:       {fg: "#b0b0b0"},
			inkFuture:    {fg: "#9a9a9a"},
			inkBold:      {bold: true},
			inkTitle:     {fg: "#e8e8e8", bold: true},
			inkCacheOp:   {fg: "#56d4e8"},
			inkDBOp:      {fg: "#8fb2ff"},
			inkSleep:     {fg: "#b0b0b0"},
			inkCursor:    {fg: "#ffd75f", bold: true},
			inkCursorLb:  {fg: "#000000", bg: "#ffd75f", bold: true},
			inkStale:     {fg: "#ff8080", bold: true},
			inkStaleLb:   {fg: "#ffffff", bg: "#b00020", bold: true},
			inkShade:     {fg: "#e5b567"},
			inkDivLb:     {fg: "#e5b567"},
			inkCommit:    {fg: "#7ee787", bold: true},
			inkBadBadge:  {fg: "#ffffff", bg: "#b00020", bold: true},
			inkOKBadge:   {fg: "#000000", bg: "#7ee787", bold: true},
			inkWaitBadge: {fg: "#000000", bg: "#c8c8c8", bold: true},
			inkError:     {fg: "#ff8080"},
			inkKey:       {fg: "#e8e8e8", bold: true},
			inkBorder:    {fg: "#8a8a8a"},
			inkFocus:     {fg: "#ffd75f"},
			inkNote:      {fg: "#000000", bg: "#e5b567", bold: true},
		},
	},
	ThemeLight: {
		// white, Solarized light, a light grey
		backgrounds: []string{"#ffffff", "#fdf6e3", "#eeeeee"},
		looks: [numInks]look{
			inkDim:       {fg: "#595959"},
			inkFuture:    {fg: "#6a6a6a"},
			inkBold:      {bold: true},
			inkTitle:     {fg: "#1a1a1a", bold: true},
			inkCacheOp:   {fg: "#00707a"},
			inkDBOp:      {fg: "#1f4fd1"},
			inkSleep:     {fg: "#595959"},
			inkCursor:    {fg: "#8b00a8", bold: true},
			inkCursorLb:  {fg: "#ffffff", bg: "#8b00a8", bold: true},
			inkStale:     {fg: "#b00020", bold: true},
			inkStaleLb:   {fg: "#ffffff", bg: "#b00020", bold: true},
			inkShade:     {fg: "#9c4a00"},
			inkDivLb:     {fg: "#9c4a00"},
			inkCommit:    {fg: "#116329", bold: true},
			inkBadBadge:  {fg: "#ffffff", bg: "#b00020", bold: true},
			inkOKBadge:   {fg: "#ffffff", bg: "#116329", bold: true},
			inkWaitBadge: {fg: "#ffffff", bg: "#505050", bold: true},
			inkError:     {fg: "#b00020"},
			inkKey:       {fg: "#1a1a1a", bold: true},
			inkBorder:    {fg: "#7a7a7a"},
			inkFocus:     {fg: "#8b00a8"},
			inkNote:      {fg: "#ffffff", bg: "#9c4a00", bold: true},
		},
	},
	ThemeHighContrast: {
		// a projector's black, and the darkest common terminal greys
		backgrounds: []string{"#000000", "#121212", "#1e1e1e"},
		looks: [numInks]look{
			inkPlain:     {fg: "#ffffff"},
			inkDim:       {fg: "#d7d7d7"},
			inkFuture:    {fg: "#bcbcbc"},
			inkBold:      {fg: "#ffffff", bold: true},
			inkTitle:     {fg: "#ffffff", bold: true},
			inkCacheOp:   {fg: "#00ffff", bold: true},
			inkDBOp:      {fg: "#a8c8ff", bold: true},
			inkSleep:     {fg: "#d7d7d7"},
			inkCursor:    {fg: "#ffff00", bold: true},
			inkCursorLb:  {fg: "#000000", bg: "#ffff00", bold: true},
			inkStale:     {fg: "#ff9e9e", bold: true},
			inkStaleLb:   {fg: "#ffffff", bg: "#c00000", bold: true},
			inkShade:     {fg: "#ffb000", bold: true},
			inkDivLb:     {fg: "#ffb000", bold: true},
			inkCommit:    {fg: "#00ff7f", bold: true},
			inkBadBadge:  {fg: "#ffffff", bg: "#c00000", bold: true},
			inkOKBadge:   {fg: "#000000", bg: "#00ff7f", bold: true},
			inkWaitBadge: {fg: "#000000", bg: "#ffffff", bold: true},
			inkError:     {fg: "#ff9e9e", bold: true},
			inkKey:       {fg: "#ffff00", bold: true},
			inkBorder:    {fg: "#ffffff"},
			inkFocus:     {fg: "#ffff00", bold: true},
			inkNote:      {fg: "#000000", bg: "#ffb000", bold: true},
		},
	},
}

// nonText are the inks drawn only as lines, not text: WCAG asks 3:1 of
// them, not 4.5:1.
var nonText = map[ink]bool{inkBorder: true}

// luminance is the WCAG relative luminance of "#rrggbb".
func luminance(hex string) float64 {
	v, err := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	if err != nil || len(hex) != 7 {
		return 0
	}
	ch := func(c uint64) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(v>>16&0xff) + 0.7152*ch(v>>8&0xff) + 0.0722*ch(v&0xff)
}

// contrast is the WCAG contrast ratio of two "#rrggbb" colors (1 to 21).
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
