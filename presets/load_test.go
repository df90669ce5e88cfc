package presets

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

func TestParseBadFiles(t *testing.T) {
	tests := map[string]struct {
		line, col int
		msg       string
	}{
		"arg-as-op.yaml":              {6, 9, `step 1: cache.get: indent its arguments under it`},
		"bad-actor-name.yaml":         {3, 11, `actor 1: name "slow reader": use letters, digits`},
		"bad-duration.yaml":           {7, 17, `actor "reader": step 1: cache.get: took: invalid duration "3 ms"`},
		"bad-epoch.yaml":              {2, 8, `epoch: "2025-13-01 12:00" is not an RFC 3339 time`},
		"bad-if-cond.yaml":            {6, 13, `step 2: if: unknown condition "hits" (did you mean "hit"?)`},
		"comments-only.yaml":          {1, 1, `empty file`},
		"db-row-mapping.yaml":         {3, 6, `db: row "k": want a scalar value, got a mapping`},
		"db-write-no-value.yaml":      {6, 11, `step 1: db.write: missing field "value"`},
		"duplicate-actor.yaml":        {6, 11, `actor "reader": duplicate actor name (first at 3:11)`},
		"duplicate-key.yaml":          {4, 3, `db: duplicate key "k" (first at 3:3)`},
		"duration-no-unit.yaml":       {5, 16, `step 1: sleep: 5 has no unit`},
		"empty-actors.yaml":           {2, 9, `actors: empty`},
		"empty-steps.yaml":            {4, 12, `actor "reader": steps: empty program`},
		"empty-then.yaml":             {7, 15, `actor "reader": step 2: then: empty block`},
		"empty.yaml":                  {1, 1, `empty file`},
		"expire-ttl-and-at.yaml":      {5, 42, `cache.expire: give ttl or at, not both`},
		"if-first.yaml":               {5, 9, `step 1: if: no step before it to test`},
		"if-missing-then.yaml":        {6, 9, `step 2: if: missing then:`},
		"missing-actor-name.yaml":     {3, 5, `actor 1: missing field "name"`},
		"missing-actors.yaml":         {1, 1, `missing field "actors"`},
		"missing-key.yaml":            {5, 20, `step 1: cache.get: missing field "key"`},
		"missing-name.yaml":           {1, 1, `missing field "name"`},
		"missing-steps.yaml":          {3, 5, `actor "reader": missing field "steps"`},
		"negative-duration.yaml":      {4, 9, `actor "reader": at: negative duration -4ms`},
		"not-mapping.yaml":            {1, 1, `top level is a sequence`},
		"nx-not-bool.yaml":            {5, 43, `cache.set: nx: want true or false, got "maybe"`},
		"replica-without-config.yaml": {5, 36, `db.read: replica: true needs a top-level replica: {lag: D}`},
		"reserved-clock.yaml":         {3, 11, `actor name "clock" is reserved`},
		"syntax.yaml":                 {3, 3, `invalid YAML: could not find flow mapping end token`},
		"tab-indent.yaml":             {3, 1, `invalid YAML: found character`},
		"took-sequence.yaml":          {5, 35, `cache.get: took: want a duration such as 3ms, got a sequence`},
		"two-documents.yaml":          {6, 1, `a second YAML document`},
		"two-ops.yaml":                {6, 9, `step 1: two ops in one step ("cache.get" and "db.read")`},
		"unknown-actor-field.yaml":    {4, 5, `actor "reader": unknown field "stpes" (did you mean "steps"?)`},
		"unknown-alias.yaml":          {5, 35, `unknown alias *slow`},
		"unknown-cache-field.yaml":    {3, 32, `cache: entry "order:42": unknown field "tll" (did you mean "ttl"?)`},
		"unknown-op.yaml":             {9, 9, `actor "reader": step 2: unknown op "cache.gte" (did you mean "cache.get"?)`},
		"unknown-step-field.yaml":     {5, 29, `step 1: cache.get: unknown field "ttl" (want key or took)`},
		"unknown-top-field.yaml":      {2, 1, `unknown field "actor" (did you mean "actors"?)`},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every file in testdata/bad has a row in the table, and every row a file")

	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			require.True(t, ok, "no expectation for %s", name)
			data, err := os.ReadFile(path)
			require.NoError(t, err)

			sc, err := Parse(path, data)
			require.Nil(t, sc)
			var list List
			require.ErrorAs(t, err, &list)
			require.Len(t, list, 1, "have %v", err)
			e := list[0]
			require.Equal(t, path, e.File)
			require.Equal(t, want.line, e.Line, "line; have %v", e)
			require.Equal(t, want.col, e.Col, "column; have %v", e)
			require.Contains(t, e.Msg, want.msg)
			require.Equal(t, strings.ToLower(e.Msg[:1]), e.Msg[:1], "messages start lowercase")

			prefix := path + ":" + strconv.Itoa(want.line) + ":" + strconv.Itoa(want.col) + ": "
			require.True(t, strings.HasPrefix(e.Error(), prefix+e.Msg), "have %q", e.Error())
			source := strings.TrimSuffix(strings.Split(string(data), "\n")[want.line-1], "\r")
			if source == "" {
				require.Equal(t, prefix+e.Msg, e.Error(), "no source line, no caret")
				return
			}
			caretLine := strings.Repeat(" ", want.col-1) + "^"
			require.True(t, strings.HasSuffix(e.Error(), "\n"+source+"\n"+caretLine), "have\n%s", e.Error())
		})
	}
}

func TestParseEveryOp(t *testing.T) {
	data, err := os.ReadFile("testdata/good/every-op.yaml")
	require.NoError(t, err)
	sc, err := Parse("every-op.yaml", data)
	require.NoError(t, err)

	at := func(line, col int) string { return "every-op.yaml:" + strconv.Itoa(line) + ":" + strconv.Itoa(col) }
	ms := time.Millisecond
	want := &engine.Scenario{
		Name:        "every-op",
		Title:       "Every op once",
		Description: "A file that uses every step op,\nfor the loader's tests.",
		Epoch:       time.Date(2024, 6, 1, 6, 30, 0, 0, time.UTC),
		File:        "every-op.yaml",
		DB:          []engine.Seed{{Key: "order:42", Value: "CANCELLED"}, {Key: "count", Value: "42"}},
		Cache:       []engine.Seed{{Key: "order:42", Value: "CANCELLED", TTL: 300 * time.Second}, {Key: "flag", Value: "true"}},
		Replica:     &engine.Replica{Lag: 50 * ms},
		Actors: []engine.Actor{
			{Name: "writer", Steps: []engine.Step{
				{Op: engine.OpDBWrite, Key: "order:42", Value: "PAID", HasValue: true, Took: 3 * ms, Pos: at(17, 9)},
				{Op: engine.OpCacheDel, Key: "order:42", Took: 2 * ms, Pos: at(18, 9)},
				{Op: engine.OpCacheExpire, Key: "flag", TTL: time.Second, Pos: at(19, 9)},
				{Op: engine.OpCacheExpire, Key: "count", ExpireAt: 1500 * ms, HasExpireAt: true, Pos: at(20, 9)},
				{Op: engine.OpLeaseDel, Key: "order:42", Pos: at(21, 9)},
			}},
			{Name: "reader", At: 4 * ms, Steps: []engine.Step{
				{Op: engine.OpCacheGet, Key: "order:42", Took: 500 * time.Microsecond, Pos: at(25, 9)},
				{Op: engine.OpIf, Cond: "miss", Pos: at(26, 9),
					Then: []engine.Step{
						{Op: engine.OpDBRead, Key: "order:42", Replica: true, Took: 2 * ms, Pos: at(28, 13)},
						{Op: engine.OpCacheSet, Key: "order:42", TTL: 300 * time.Second, NX: true, Took: ms, Pos: at(29, 13)},
					},
					Else: []engine.Step{
						{Op: engine.OpSleep, Took: 10 * ms, Pos: at(31, 13)},
					}},
				{Op: engine.OpSleep, Pos: at(32, 9)},
				{Op: engine.OpCacheSet, Key: "count", Value: "7", HasValue: true, Pos: at(33, 9)},
			}},
			{Name: "leaser", At: ms, Steps: []engine.Step{
				{Op: engine.OpLeaseGet, Key: "order:42", Lease: 2 * time.Second, Took: ms, Pos: at(37, 9)},
				{Op: engine.OpIf, Cond: "fail", Pos: at(41, 9), Then: []engine.Step{
					{Op: engine.OpSleep, Took: 5 * ms, Pos: at(43, 13)},
				}},
				{Op: engine.OpLeaseSet, Key: "order:42", Value: "PAID", HasValue: true, TTL: 30 * time.Second, Pos: at(45, 9)},
				{Op: engine.OpCASGet, Key: "order:42", Pos: at(46, 9)},
				{Op: engine.OpCASSet, Key: "order:42", TTL: time.Minute, Pos: at(47, 9)},
				{Op: engine.OpCacheSet, Key: "empty", Value: "", HasValue: true, Pos: at(48, 9)},
			}},
		},
	}
	require.Equal(t, want, sc)

	var ops []engine.Op
	var walk func([]engine.Step)
	walk = func(steps []engine.Step) {
		for _, s := range steps {
			ops = append(ops, s.Op)
			walk(s.Then)
			walk(s.Else)
		}
	}
	for _, a := range sc.Actors {
		walk(a.Steps)
	}
	require.Subset(t, ops, engine.Ops, "the file uses every op")
}

func TestParseAnchorsAndMerges(t *testing.T) {
	src := `name: anchors
actors:
  - name: a
    steps: &prog
      - cache.get: &args {key: k, took: 1ms}
      - cache.set: {<<: *args, value: v, took: 2ms}
  - name: b
    steps: *prog
`
	sc, err := Parse("anchors.yaml", []byte(src))
	require.NoError(t, err)
	want := []engine.Step{
		{Op: engine.OpCacheGet, Key: "k", Took: time.Millisecond, Pos: "anchors.yaml:5:9"},
		{Op: engine.OpCacheSet, Key: "k", Value: "v", HasValue: true, Took: 2 * time.Millisecond, Pos: "anchors.yaml:6:9"},
	}
	require.Equal(t, want, sc.Actors[0].Steps, "explicit took wins over the merged one")
	require.Equal(t, want, sc.Actors[1].Steps)
}

func TestParseScalarsKeepTheirText(t *testing.T) {
	src := `name: scalars
db:
  1: 0x10
  "quoted key": 'single'
actors:
  - name: w
    steps:
      - db.write: {key: 7, value: 1.50}
      - db.write: {key: t, value: true}
      - db.write: {key: n, value: null}
`
	sc, err := Parse("s.yaml", []byte(src))
	require.NoError(t, err)
	require.Equal(t, []engine.Seed{{Key: "1", Value: "0x10"}, {Key: "quoted key", Value: "single"}}, sc.DB)
	var have [][2]string
	for _, s := range sc.Actors[0].Steps {
		have = append(have, [2]string{s.Key, s.Value})
	}
	require.Equal(t, [][2]string{{"7", "1.50"}, {"t", "true"}, {"n", "null"}}, have)
}

func TestParseReportsEveryErrorInPositionOrder(t *testing.T) {
	// The loader finds these in the order epoch, db, actors; they must come
	// out in the order they are written.
	data, err := os.ReadFile("testdata/multi/three-errors.yaml")
	require.NoError(t, err)
	_, err = Parse("three-errors.yaml", data)
	var list List
	require.ErrorAs(t, err, &list)
	type found struct {
		line, col int
		msg       string
	}
	var have []found
	for _, e := range list {
		have = append(have, found{e.Line, e.Col, e.Msg})
	}
	require.Equal(t, []found{
		{4, 35, `actor "reader": step 1: cache.get: took: negative duration -1ms`},
		{6, 6, `db: row "k": want a scalar value, got a sequence`},
		{8, 8, `epoch: "yesterday" is not an RFC 3339 time such as 2025-01-01T12:00:00Z`},
	}, have)
	require.Equal(t, 3, strings.Count(err.Error(), "three-errors.yaml:"), "List.Error shows every error")

	var first *Error
	require.ErrorAs(t, err, &first, "errors.As reaches the *Error in a List")
	require.Equal(t, 4, first.Line)
}

func TestParseAliasBombIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: bomb\nactors:\n  - name: a\n    steps:\n      - cache.get: {key: k}\n")
	b.WriteString("      - if: hit\n        then: &l0\n          - sleep: 1ms\n          - sleep: 1ms\n")
	for i := 1; i <= 30; i++ {
		b.WriteString("      - if: hit\n        then: &l" + strconv.Itoa(i) + "\n")
		b.WriteString("          - {if: hit, then: *l" + strconv.Itoa(i-1) + "}\n")
		b.WriteString("          - {if: hit, then: *l" + strconv.Itoa(i-1) + "}\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	require.ErrorContains(t, err, "more than")
}

func TestValidateFiles(t *testing.T) {
	errs := ValidateFiles(
		"testdata/good/every-op.yaml",
		"testdata/multi/three-errors.yaml",
		"testdata/no-such-file.yaml",
		"testdata/bad/unknown-op.yaml",
	)
	require.Len(t, errs, 5)
	for i, file := range []string{"three-errors.yaml", "three-errors.yaml", "three-errors.yaml"} {
		var e *Error
		require.ErrorAs(t, errs[i], &e)
		require.Equal(t, "testdata/multi/"+file, e.File)
	}
	require.ErrorIs(t, errs[3], os.ErrNotExist)
	require.ErrorContains(t, errs[4], `unknown op "cache.gte"`)

	require.Empty(t, ValidateFiles("testdata/good/every-op.yaml", "scenarios/cache-aside.yaml"))
}

func TestParseLineBreaks(t *testing.T) {
	for name, sep := range map[string]string{"lf": "\n", "crlf": "\r\n", "cr": "\r"} {
		t.Run(name, func(t *testing.T) {
			src := strings.Join([]string{"name: x", "actors:", "  - name: a", "    steps: []", ""}, sep)
			_, err := Parse("x.yaml", []byte(src))
			require.EqualError(t, err, "x.yaml:4:12: actor \"a\": steps: empty program; an actor needs at least one step\n"+
				"    steps: []\n"+
				"           ^")
		})
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "f.yaml", Line: 2, Col: 4, Msg: "bad thing", Source: "\tab: c"}
	require.Equal(t, "f.yaml:2:4: bad thing\n\tab: c\n\t  ^", e.Error(), "tabs before the column are kept")
	require.Equal(t, "f.yaml: cannot read", (&Error{File: "f.yaml", Msg: "cannot read"}).Error())
	require.Equal(t, "1:1: empty", (&Error{Line: 1, Col: 1, Msg: "empty"}).Error())
	require.Equal(t, "    ^", caret("ab", 5), "a column past the end of the line")
	require.NoError(t, List(nil).Err())
}

func TestSuggest(t *testing.T) {
	ops := []string{"cache.get", "cache.set", "db.read"}
	for word, want := range map[string]string{
		"cache.gte": "cache.get",
		"Cache.Get": "cache.get",
		"cache.st":  "cache.set",
		"db.raed":   "db.read",
		"xyz":       "",
		"get":       "",
	} {
		have, ok := suggest(word, ops)
		require.Equal(t, want != "", ok, word)
		require.Equal(t, want, have, word)
	}
	require.Equal(t, 1, editDistance("ab", "ba"))
	require.Equal(t, 3, editDistance("", "abc"))
}

// FuzzParse feeds the loader real files and what the fuzzer makes of them:
// it never panics, an accepted scenario is within the default limits (the
// loader and engine.Limits.Check agree), and every error has a position
// and prints as a few short lines, whatever the file holds.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/*/*.yaml", "scenarios/*.yaml"} {
		files, err := filepath.Glob(pattern)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	for _, s := range []string{"\ufeffname: x\n", "%YAML 1.2\n%TAG !e! tag:e.com,2000:\n---\nname: x\n", "a: [[[{b: c}]]]\n", "a: |\n  [[[\nb: 'x\n  y'\n", "- - - x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err == nil {
			require.NotNil(t, sc)
			require.NotEmpty(t, sc.Actors)
			for _, a := range sc.Actors {
				require.NotEmpty(t, a.Steps)
			}
			require.NoError(t, engine.Limits{}.Check(sc), "the loader accepted what the limits refuse")
			return
		}
		require.Nil(t, sc)
		var list List
		require.True(t, errors.As(err, &list), "error is a List: %T", err)
		require.NotEmpty(t, list)
		require.LessOrEqual(t, len(list), maxErrors+1)
		for i, e := range list {
			if i < maxErrors {
				require.GreaterOrEqual(t, e.Line, 1, e.Msg)
				require.GreaterOrEqual(t, e.Col, 1, e.Msg)
			}
			text := e.Error()
			require.True(t, strings.HasPrefix(text, escape(e.Pos()+": ")), text)
			require.LessOrEqual(t, strings.Count(text, "\n"), 2)
			require.Less(t, len(text), 4*maxMessage+8*excerptWidth)
			require.NotContains(t, text, "\x1b")
		}
	})
}
