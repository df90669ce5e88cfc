package presets

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
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
// the line itself and a caret under the column:
//
//	scenario.yaml:9:9: actor "reader": step 1: unknown op "cache.gte" (did you mean "cache.get"?)
//	      - cache.gte: {key: order:42}
//	        ^
func (e *Error) Error() string {
	var b strings.Builder
	if pos := e.Pos(); pos != "" {
		b.WriteString(pos)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Line > 0 && e.Source != "" {
		b.WriteByte('\n')
		b.WriteString(e.Source)
		b.WriteByte('\n')
		b.WriteString(caret(e.Source, e.Col))
	}
	return b.String()
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

// Err returns l as an error, or nil when l is empty (so that an empty List is
// never returned as a non-nil error).
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// sorted returns l ordered by file, line and column (stable for ties), with
// exact repeats removed: a mistake inside an anchored node is reported once,
// however many aliases use it.
func (l List) sorted() List {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	seen := make(map[Error]bool, len(out))
	return slices.DeleteFunc(out, func(e *Error) bool {
		dup := seen[*e]
		seen[*e] = true
		return dup
	})
}
