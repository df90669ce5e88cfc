package presets

import (
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// This file holds the loader's view of goccy/go-yaml's AST: positions, tags,
// anchors and aliases looked through, mappings as ordered fields, scalars as
// their text.

// maxAliasExpansions bounds the work aliases can cause, so that a small file
// of nested aliases ("billion laughs") cannot make the loader loop or blow up.
const maxAliasExpansions = 10000

// A pos is a 1-based line and column (in characters).
type pos struct{ line, col int }

func (p pos) before(q pos) bool {
	return p.line < q.line || p.line == q.line && p.col < q.col
}

func tokenPos(tk *token.Token) pos {
	if tk == nil || tk.Position == nil {
		return pos{1, 1}
	}
	return pos{max(tk.Position.Line, 1), max(tk.Position.Column, 1)}
}

// nodePos returns where n was written: its first character, so a block
// mapping is at its first key and a flow mapping at its "{".
func nodePos(n ast.Node) pos {
	switch n := n.(type) {
	case nil:
		return pos{1, 1}
	case *ast.MappingNode:
		if !n.IsFlowStyle && len(n.Values) > 0 {
			return nodePos(n.Values[0])
		}
		return tokenPos(n.Start)
	case *ast.MappingValueNode:
		if n.Key != nil {
			return nodePos(n.Key)
		}
	case *ast.MappingKeyNode:
		return tokenPos(n.Start)
	case *ast.SequenceNode:
		return tokenPos(n.Start)
	case *ast.AnchorNode:
		return tokenPos(n.Start)
	case *ast.AliasNode:
		return tokenPos(n.Start)
	case *ast.TagNode:
		return tokenPos(n.Start)
	}
	return tokenPos(n.GetToken())
}

// missing reports whether a mapping value was left empty (`key:` with nothing
// after it).
func missing(n ast.Node) bool {
	if n == nil {
		return true
	}
	null, ok := n.(*ast.NullNode)
	return ok && null.Token != nil && null.Token.Type == token.ImplicitNullType
}

// describe names the kind of a (dereferenced) node for messages: "got a
// sequence".
func describe(n ast.Node) string {
	switch n.(type) {
	case nil:
		return "nothing"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a sequence"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		if missing(n) {
			return "nothing"
		}
		return "null"
	}
	return "an unexpected " + strings.ToLower(n.Type().String())
}

// scalarText returns the text of a scalar node as written (without quotes):
// `42` gives "42", `true` gives "true", a block scalar gives its content.
func scalarText(n ast.Node) (string, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.LiteralNode:
		if n.Value == nil {
			return "", true
		}
		return n.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	case *ast.NullNode:
		if !missing(n) && n.Token != nil {
			return n.Token.Value, true
		}
	}
	return "", false
}

// mappingValues returns the entries of a mapping node. goccy gives a mapping
// as a MappingNode, or in some contexts as a lone MappingValueNode.
func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch n := n.(type) {
	case *ast.MappingNode:
		return n.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}, true
	}
	return nil, false
}

// An anchor is one `&name` definition.
type anchor struct {
	at    pos
	value ast.Node
}

// collectAnchors records every anchor under n, in document order.
func collectAnchors(n ast.Node, into map[string][]anchor) {
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			collectAnchors(mv, into)
		}
	case *ast.MappingValueNode:
		collectAnchors(n.Key, into)
		collectAnchors(n.Value, into)
	case *ast.MappingKeyNode:
		collectAnchors(n.Value, into)
	case *ast.SequenceNode:
		for _, v := range n.Values {
			collectAnchors(v, into)
		}
	case *ast.TagNode:
		collectAnchors(n.Value, into)
	case *ast.AnchorNode:
		if name, ok := scalarText(n.Name); ok {
			into[name] = append(into[name], anchor{at: nodePos(n), value: n.Value})
		}
		collectAnchors(n.Value, into)
	}
}

// deref looks through tags, anchors and aliases to the node that holds the
// data. It reports a bad alias itself and then returns false.
func (l *loader) deref(n ast.Node) (ast.Node, bool) {
	for {
		switch m := n.(type) {
		case *ast.TagNode:
			n = m.Value
		case *ast.AnchorNode:
			n = m.Value
		case *ast.MappingKeyNode:
			n = m.Value
		case *ast.AliasNode:
			target, ok := l.resolve(m)
			if !ok {
				return nil, false
			}
			n = target
		default:
			return n, true
		}
	}
}

// resolve finds the node an alias stands for: the latest anchor of that name
// defined before the alias.
func (l *loader) resolve(alias *ast.AliasNode) (ast.Node, bool) {
	if l.aliasBudget <= 0 {
		if l.aliasBudget == 0 {
			l.errorf(alias, "more than %d alias expansions; is an anchor used inside itself?", maxAliasExpansions)
			l.aliasBudget--
		}
		return nil, false
	}
	l.aliasBudget--
	name, _ := scalarText(alias.Value)
	at := nodePos(alias)
	var found *anchor
	for i, a := range l.anchors[name] {
		if a.at.before(at) {
			found = &l.anchors[name][i]
		}
	}
	switch {
	case found != nil:
		return found.value, true
	case len(l.anchors[name]) > 0:
		l.errorf(alias, "alias *%s is used before its anchor &%s", name, name)
	default:
		l.errorf(alias, "unknown alias *%s (no anchor &%s)", name, name)
	}
	return nil, false
}

// A field is one entry of a mapping.
type field struct {
	name  string
	key   ast.Node // where the key was written
	value ast.Node // as written: may be nil, an implicit null, a tag, an alias…
}

// at returns the node to point at for a problem with the field's value: the
// value, or the key when the value was left empty.
func (f field) at() ast.Node {
	if missing(f.value) {
		return f.key
	}
	return f.value
}

// fields returns the entries of mapping node n (already dereferenced) in the
// order written, with `<<` merge keys applied (explicit entries win, then
// earlier merges). Keys must be scalars and unique; problems are reported
// and the offending entries left out.
func (l *loader) fields(ctx string, n ast.Node) []field {
	return l.mergedFields(ctx, n, map[string]field{})
}

func (l *loader) mergedFields(ctx string, n ast.Node, seen map[string]field) []field {
	mvs, _ := mappingValues(n)
	var out []field
	var merges []ast.Node
	for _, mv := range mvs {
		if mv.Key == nil {
			continue
		}
		if mv.Key.IsMergeKey() {
			merges = append(merges, mv.Value)
			continue
		}
		key, ok := l.deref(mv.Key)
		if !ok {
			continue
		}
		name, ok := scalarText(key)
		if !ok {
			l.errorf(mv.Key, "%skeys must be scalars, got %s", ctx, describe(key))
			continue
		}
		if prev, dup := seen[name]; dup {
			p := nodePos(prev.key)
			l.errorf(mv.Key, "%sduplicate key %q (first at %d:%d)", ctx, name, p.line, p.col)
			continue
		}
		f := field{name: name, key: mv.Key, value: mv.Value}
		seen[name] = f
		out = append(out, f)
	}
	for _, m := range merges {
		out = append(out, l.merge(ctx, m, seen)...)
	}
	return out
}

// merge returns the fields a `<<` value brings that are not already in seen.
func (l *loader) merge(ctx string, raw ast.Node, seen map[string]field) []field {
	n, ok := l.deref(raw)
	if !ok {
		return nil
	}
	// Each source is where it was written and what it stands for.
	type source struct{ at, node ast.Node }
	sources := []source{{raw, n}}
	if seq, isSeq := n.(*ast.SequenceNode); isSeq {
		sources = sources[:0]
		for _, item := range seq.Values {
			m, ok := l.deref(item)
			if ok {
				sources = append(sources, source{item, m})
			}
		}
	}
	var out []field
	for _, src := range sources {
		m := src.node
		if _, isMap := mappingValues(m); !isMap {
			l.errorf(src.at, "%s<<: want a mapping or a list of mappings to merge, got %s", ctx, describe(m))
			continue
		}
		// Resolve the source on its own, so its duplicate checks are its own,
		// then keep what is not already set.
		for _, f := range l.mergedFields(ctx, m, map[string]field{}) {
			if _, dup := seen[f.name]; !dup {
				seen[f.name] = f
				out = append(out, f)
			}
		}
	}
	return out
}

// A fieldSet is a mapping's known fields by name, and the known names that
// unknown fields were probably meant to be.
type fieldSet struct {
	byName map[string]field
	typos  map[string]bool
}

func (s fieldSet) get(name string) (field, bool) {
	f, ok := s.byName[name]
	return f, ok
}

// check reports every field of fs not in allowed, suggesting the closest
// allowed name.
func (l *loader) check(ctx string, fs []field, allowed ...string) fieldSet {
	s := fieldSet{byName: make(map[string]field, len(fs)), typos: map[string]bool{}}
	for _, f := range fs {
		if !contains(allowed, f.name) {
			if guess, ok := suggest(f.name, allowed); ok {
				s.typos[guess] = true
			}
			l.errorf(f.key, "%sunknown field %q %s", ctx, f.name, hint(f.name, allowed))
			continue
		}
		s.byName[f.name] = f
	}
	return s
}

// require returns field name of s, reporting it missing at the mapping at,
// unless an unknown field was already reported as its likely misspelling.
func (l *loader) require(ctx string, at ast.Node, s fieldSet, name string) (field, bool) {
	f, ok := s.byName[name]
	if !ok && !s.typos[name] {
		l.errorf(at, "%smissing field %q", ctx, name)
	}
	return f, ok
}

// hint suggests the closest of candidates to word, or lists them all.
func hint(word string, candidates []string) string {
	if s, ok := suggest(word, candidates); ok {
		return fmt.Sprintf("(did you mean %q?)", s)
	}
	return "(want " + orList(candidates) + ")"
}

// orList formats "a, b or c".
func orList(words []string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the candidate closest to word (case-insensitive, counting
// a swap of two neighbours as one edit) when it is close enough to be a
// likely typo.
func suggest(word string, candidates []string) (string, bool) {
	if len(word) > maxSuggest {
		return "", false // too far from any name to be a typo of it
	}
	limit := 1
	if len([]rune(word)) > 4 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// maxSuggest is the longest word suggest looks at: every name it suggests
// is much shorter.
const maxSuggest = 64

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours.
func editDistance(a, b string) int {
	// Three rolling rows, on the stack for the short words suggest
	// compares: one unknown field per key of a large mapping must not
	// allocate a table each.
	var sBuf, tBuf [maxSuggest]rune
	var rowBuf [3][maxSuggest + 1]int
	s, t := appendRunes(sBuf[:0], a), appendRunes(tBuf[:0], b)
	var rows [3][]int
	for i := range rows {
		if len(t) < len(rowBuf[i]) {
			rows[i] = rowBuf[i][:len(t)+1]
		} else {
			rows[i] = make([]int, len(t)+1)
		}
	}
	// rows[i%3][j] is the distance between s[:i] and t[:j].
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		cur, prev, prev2 := rows[i%3], rows[(i+2)%3], rows[(i+1)%3]
		cur[0] = i
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
	}
	return rows[len(s)%3][len(t)]
}

// appendRunes appends the runes of s to buf.
func appendRunes(buf []rune, s string) []rune {
	for _, r := range s {
		buf = append(buf, r)
	}
	return buf
}
