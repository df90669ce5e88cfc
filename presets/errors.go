package presets

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An Error is one problem in a scenario file. Line and Col are 1-based and
// count characters (not bytes), as goccy/go-yaml does; Line is 0 when the
// problem has no position (an unreadable file). Source is the offending line,
// without its line break.
type Error struct {
	File   string
	Line   int
	Col    int
	Msg    string
	Source string
}

// Pos returns "FILE:LINE:COL", leaving out the parts that are unknown.
func (e *Error) Pos() string {
	var parts []string
	if e.File != "" {
		parts = append(parts, e.File)
	}
	if e.Line > 0 {
		parts = append(parts, fmt.Sprint(e.Line), fmt.Sprint(max(e.Col, 1)))
	}
	return strings.Join(parts, ":")
}

// Error returns "FILE:LINE:COL: message", then, when the source line is known,
// an excerpt of the line and a caret under the column:
//
//	scenario.yaml:9:9: actor "reader": step 1: unknown op "cache.gte" (did you mean "cache.get"?)
//	      - cache.gte: {key: order:42}
//	        ^
//
// Whatever the file holds, the text is a few short lines that are safe to
// print on a terminal: control characters are escaped ("\x1b"), a long
// message is cut, and a long line is shown around the column, cut at both
// ends with "…".
func (e *Error) Error() string {
	var b strings.Builder
	if pos := e.Pos(); pos != "" {
		b.WriteString(escape(pos))
		b.WriteString(": ")
	}
	msg := e.Msg
	if len(msg) > maxMessage {
		// The end says what is wrong; the start, where ("actor "a": step
		// 2: then: step 1: ..."): the middle goes.
		head, tail := maxMessage/3, maxMessage*2/3
		msg = strings.ToValidUTF8(msg[:head], "") + " … " + strings.ToValidUTF8(msg[len(msg)-tail:], "")
	}
	b.WriteString(escape(msg))
	if e.Line > 0 && e.Source != "" {
		text, at := excerpt(e.Source, e.Col)
		b.WriteByte('\n')
		b.WriteString(text)
		b.WriteByte('\n')
		b.WriteString(caret(text, at))
	}
	return b.String()
}

// Bounds on what an error shows.
const (
	maxErrors    = 100 // errors a List keeps; then one says how many more
	maxMessage   = 400 // bytes of a message
	excerptWidth = 80  // characters of the source line around the column
)

// excerpt returns at most about excerptWidth characters of src around
// column col (1-based, in characters), escaped, and the column of col in
// the excerpt. Only the part of src it shows is looked at past the column.
func excerpt(src string, col int) (string, int) {
	// A line that fits is shown whole; else the window starts well before
	// the column, at the first character of the part shown.
	from := 0
	if utf8.RuneCountInString(src[:min(len(src), 4*(excerptWidth+1))]) > excerptWidth && col > excerptWidth*3/4 {
		from = col - 1 - excerptWidth/2
	}
	start, i := 0, 0 // byte offset of character from, character index
	for start < len(src) && i < from {
		_, size := utf8.DecodeRuneInString(src[start:])
		start += size
		i++
	}
	var b strings.Builder
	at := 1
	if start > 0 {
		b.WriteString("…")
		at++
	}
	n := 0
	for off := start; off < len(src); n++ {
		r, size := utf8.DecodeRuneInString(src[off:])
		if n == excerptWidth {
			b.WriteString("…")
			break
		}
		text := escapeRune(r, src[off:off+size])
		if from+n < col-1 {
			at += utf8.RuneCountInString(text)
		}
		b.WriteString(text)
		off += size
	}
	return b.String(), at
}

// escape returns s with its control characters escaped, tabs kept.
func escape(s string) string {
	clean := true
	for _, r := range s {
		if r != '\t' && unicode.IsControl(r) || r == utf8.RuneError {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			size = 1
		}
		b.WriteString(escapeRune(r, s[i:min(i+size, len(s))]))
	}
	return b.String()
}

// escapeRune returns r (written as raw in the source) as printed: itself,
// or an escape when it is a control character or not UTF-8.
func escapeRune(r rune, raw string) string {
	switch {
	case r == '\t':
		return raw
	case r == utf8.RuneError && len(raw) == 1:
		return fmt.Sprintf("\\x%02x", raw[0])
	case r < 0x80 && unicode.IsControl(r):
		return fmt.Sprintf("\\x%02x", r)
	case unicode.IsControl(r):
		return fmt.Sprintf("\\u%04x", r)
	}
	return raw
}

// caret returns a line with "^" under column col of src. Tabs before the
// column are kept so that the caret lines up however tabs are displayed.
func caret(src string, col int) string {
	var b strings.Builder
	i := 1
	for _, r := range src {
		if i >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		i++
	}
	for ; i < col; i++ {
		b.WriteByte(' ')
	}
	b.WriteByte('^')
	return b.String()
}

// A List is every problem found in one or more files, ordered by position
// within each file. Its Error joins the errors' texts with newlines.
type List []*Error

func (l List) Error() string {
	texts := make([]string, len(l))
	for i, e := range l {
		texts[i] = e.Error()
	}
	return strings.Join(texts, "\n")
}

// Unwrap gives errors.As and errors.Is access to each *Error.
func (l List) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// withSources sets the Source of each error of l, all in the file whose
// content is data, to its line, and returns l. (Errors are found first and
// their lines looked up last, once for all, so that a file of many lines
// is not split into a slice of them.)
func (l List) withSources(data []byte) List {
	want := map[int]bool{}
	for _, e := range l {
		if e.Line > 0 {
			want[e.Line] = true
		}
	}
	found := make(map[int]string, len(want))
	for at, line := 0, 1; at < len(data) && len(found) < len(want); line++ {
		end, next := lineEnd(data, at)
		if want[line] {
			found[line] = string(data[at:end])
		}
		at = next
	}
	for _, e := range l {
		if src, ok := found[e.Line]; ok {
			e.Source = src
		}
	}
	return l
}

// Err returns l as an error, or nil when l is empty (so that an empty List is
// never returned as a non-nil error).
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// sorted returns l ordered by file, line and column (stable for ties), with
// exact repeats removed (a mistake inside an anchored node is reported
// once, however many aliases use it), and at most maxErrors of them, then
// one that says how many more there are.
func (l List) sorted() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	// The source line follows from the file and line: it is left out of
	// the key, not to hash a long line once per error on it.
	type key struct {
		file      string
		line, col int
		msg       string
	}
	seen := make(map[key]bool, len(out))
	out = slices.DeleteFunc(out, func(e *Error) bool {
		k := key{e.File, e.Line, e.Col, e.Msg}
		dup := seen[k]
		seen[k] = true
		return dup
	})
	if len(out) > maxErrors {
		more := &Error{File: out[maxErrors].File, Msg: fmt.Sprintf("%d more errors not shown", len(out)-maxErrors)}
		out = append(out[:maxErrors], more)
	}
	return out
}
