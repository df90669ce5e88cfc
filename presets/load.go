package presets

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/racetape/racetape/engine"
)

// maxIfDepth bounds if blocks nested in if blocks.
const maxIfDepth = 64

// reservedActors are names an actor cannot take, with the reason.
var reservedActors = map[string]string{
	"clock": "a clock entry in a schedule advances time to the next expiry",
	"seed":  "it commits the initial db rows",
}

var topFields = []string{"name", "title", "description", "epoch", "replica", "db", "cache", "actors"}

// opArgs lists the fields each op takes, in the order help shows them.
var opArgs = map[engine.Op][]string{
	engine.OpCacheGet:    {"key", "took"},
	engine.OpCacheSet:    {"key", "value", "ttl", "nx", "took"},
	engine.OpCacheDel:    {"key", "took"},
	engine.OpCacheExpire: {"key", "ttl", "at", "took"},
	engine.OpDBRead:      {"key", "replica", "took"},
	engine.OpDBWrite:     {"key", "value", "took"},
	engine.OpSleep:       {"took"},
	engine.OpLeaseGet:    {"key", "lease", "took"},
	engine.OpLeaseSet:    {"key", "value", "ttl", "took"},
	engine.OpLeaseDel:    {"key", "took"},
	engine.OpCASGet:      {"key", "took"},
	engine.OpCASSet:      {"key", "value", "ttl", "took"},
}

// argNames is every step argument name, to recognise one written where an
// op belongs.
var argNames = []string{"key", "value", "ttl", "nx", "at", "replica", "lease", "took"}

// A loader turns one file's YAML AST into a Scenario, collecting every
// problem on the way instead of stopping at the first.
type loader struct {
	file        string
	errs        List
	anchors     map[string][]anchor
	aliasBudget int
	lim         engine.Limits
	stepBudget  int
	keys        map[string]bool // the distinct keys so far, up to the limit
	hasReplica  bool            // the file has a top-level replica: field
	clock       clockBound
	groups      int  // op: blocks of the current actor so far
	inOp        bool // parsing an op: block
}

// A clockBound is engine.TimeBound, added up as the file is read, to blame
// the step (or the start, or the TTL) that takes it past the limit.
type clockBound struct {
	base     time.Duration // the latest start, seed expiry or absolute expiry
	baseAt   ast.Node
	sum      time.Duration // the steps' spans
	reported bool
}

// raise notes an instant the clock may be moved to from the start.
func (l *loader) raise(d time.Duration, at ast.Node) {
	if d > l.clock.base {
		l.clock.base, l.clock.baseAt = d, at
	}
}

// spend adds a step's span, and reports the step that takes the bound past
// the limit.
func (l *loader) spend(ctx string, at ast.Node, st *engine.Step) {
	l.clock.sum = satAdd(l.clock.sum, engine.StepSpan(st))
	if b := satAdd(l.clock.base, l.clock.sum); b > l.lim.Time && !l.clock.reported {
		l.clock.reported = true
		l.errorf(at, "%sthe scenario can take the virtual clock to %s by this step, past the limit of %s (--max-time)", ctx, engine.FormatLimit(b), engine.FormatLimit(l.lim.Time))
	}
}

// checkClock reports a bound past the limit that no step took there (a late
// start or a long seed TTL did).
func (l *loader) checkClock() {
	if b := satAdd(l.clock.base, l.clock.sum); b > l.lim.Time && !l.clock.reported && l.clock.baseAt != nil {
		l.clock.reported = true
		l.errorf(l.clock.baseAt, "the scenario can take the virtual clock to %s, past the limit of %s (--max-time)", engine.FormatLimit(b), engine.FormatLimit(l.lim.Time))
	}
}

func satAdd(a, b time.Duration) time.Duration {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// key notes a key the scenario names, and reports the first one past the
// limit of distinct keys.
func (l *loader) key(k string, at ast.Node) {
	if l.keys[k] || len(l.keys) > l.lim.Keys {
		return
	}
	if len(l.keys) == l.lim.Keys {
		l.errorf(at, "key %q is one more than the limit of %d distinct keys (--max-keys)", k, l.lim.Keys)
		l.keys[k] = true // and no more reports
		return
	}
	l.keys[k] = true
}

func (l *loader) errorf(at ast.Node, format string, args ...any) {
	l.errorAt(nodePos(at), format, args...)
}

func (l *loader) errorAt(p pos, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: l.file, Line: p.line, Col: p.col, Msg: fmt.Sprintf(format, args...)})
}

// yamlError is what goccy/go-yaml's errors have in common.
type yamlError interface {
	GetToken() *token.Token
	GetMessage() string
}

func (l *loader) load(data []byte) *engine.Scenario {
	f, err := parseYAML(data)
	if err != nil {
		var yerr yamlError
		if errors.As(err, &yerr) {
			l.errorAt(tokenPos(yerr.GetToken()), "invalid YAML: %s", yerr.GetMessage())
		} else {
			l.errorAt(pos{1, 1}, "invalid YAML: %v", err)
		}
		return nil
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if _, directive := doc.Body.(*ast.DirectiveNode); directive {
			continue
		}
		if body != nil {
			at := nodePos(doc.Body)
			if doc.Start != nil {
				at = tokenPos(doc.Start)
			}
			l.errorAt(at, "a second YAML document; a scenario file holds one")
			break
		}
		body = doc.Body
	}
	if body == nil {
		l.errorAt(pos{1, 1}, "empty file: a scenario needs at least name: and actors:")
		return nil
	}
	collectAnchors(body, l.anchors)
	return l.scenario(body)
}

// parseYAML parses data into an AST. Duplicate keys are left to the loader,
// so that they are reported along with every other problem. A panic in the
// parser is turned into an error: a bad file must not crash racetape.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("the YAML parser failed on this file: %v", r)
		}
	}()
	return parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
}

func (l *loader) scenario(body ast.Node) *engine.Scenario {
	n, ok := l.deref(body)
	if !ok {
		return nil
	}
	if _, isMap := mappingValues(n); !isMap {
		l.errorf(body, "top level is %s; a scenario is a mapping with name:, actors: and so on", describe(n))
		return nil
	}
	fs := l.check("", l.fields("", n), topFields...)
	sc := &engine.Scenario{File: l.file}

	if f, ok := l.require("", n, fs, "name"); ok {
		sc.Name, _ = l.name("", f)
	}
	if f, ok := fs.get("title"); ok {
		title, _ := l.text("", f)
		sc.Title = strings.TrimSpace(title)
	}
	if f, ok := fs.get("description"); ok {
		desc, _ := l.text("", f)
		sc.Description = strings.TrimSpace(desc)
	}
	if f, ok := fs.get("epoch"); ok {
		sc.Epoch = l.epoch(f)
	}
	if f, ok := fs.get("replica"); ok {
		l.hasReplica = true
		sc.Replica = l.replica(f)
	}
	if f, ok := fs.get("db"); ok {
		sc.DB = l.seeds("db", "row", f, false)
	}
	if f, ok := fs.get("cache"); ok {
		sc.Cache = l.seeds("cache", "entry", f, true)
	}
	if f, ok := l.require("", n, fs, "actors"); ok {
		sc.Actors = l.actors(f)
	}
	l.checkClock()
	return sc
}

func (l *loader) epoch(f field) time.Time {
	s, ok := l.text("", f)
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		l.errorf(f.at(), "epoch: %q is not an RFC 3339 time such as 2025-01-01T12:00:00Z", s)
		return time.Time{}
	}
	switch {
	case t.Before(engine.MinEpoch):
		l.errorf(f.at(), "epoch: %s is before %s: Redis keeps absolute expiry instants as Unix milliseconds", s, engine.MinEpoch.Format(time.RFC3339))
		return time.Time{}
	case t.After(engine.MaxEpoch):
		l.errorf(f.at(), "epoch: %s is after %s, the latest epoch that leaves the virtual clock its range", s, engine.MaxEpoch.Format(time.RFC3339))
		return time.Time{}
	}
	return t.UTC()
}

func (l *loader) replica(f field) *engine.Replica {
	n, ok := l.mapping("", f, "{lag: 50ms}")
	if !ok {
		return nil
	}
	fs := l.check("replica: ", l.fields("replica: ", n), "lag")
	lag, ok := l.require("replica: ", n, fs, "lag")
	if !ok {
		return nil
	}
	d, _ := l.duration("replica: ", lag)
	return &engine.Replica{Lag: d}
}

// seeds parses the initial db rows or cache entries: a mapping of key to
// value, where a cache entry may instead be {value: V, ttl: D}.
func (l *loader) seeds(section, noun string, f field, withTTL bool) []engine.Seed {
	if missing(f.value) {
		return nil // `db:` with nothing under it: no rows
	}
	n, ok := l.mapping("", f, "key: value")
	if !ok {
		return nil
	}
	ctx := section + ": "
	var out []engine.Seed
	for _, e := range l.fields(ctx, n) {
		if e.name == "" {
			l.errorf(e.key, "%sempty key", ctx)
			continue
		}
		label := fmt.Sprintf("%s %q", noun, e.name)
		seed := engine.Seed{Key: e.name}
		l.key(e.name, e.key)
		v, ok := l.deref(e.value)
		if !ok {
			continue
		}
		if _, isMap := mappingValues(v); isMap && withTTL {
			ectx := ctx + label + ": "
			efs := l.check(ectx, l.fields(ectx, v), "value", "ttl")
			if vf, ok := l.require(ectx, v, efs, "value"); ok {
				seed.Value, _ = l.text(ectx, vf)
			}
			if tf, ok := efs.get("ttl"); ok {
				seed.TTL, _ = l.ttl(ectx, tf)
				l.raise(seed.TTL, tf.at())
			}
		} else {
			seed.Value, _ = l.scalar(ctx, label, e)
		}
		out = append(out, seed)
	}
	return out
}

func (l *loader) actors(f field) []engine.Actor {
	const empty = "actors: empty; a scenario needs at least one actor"
	if missing(f.value) {
		l.errorf(f.key, empty)
		return nil
	}
	n, ok := l.deref(f.value)
	if !ok {
		return nil
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		l.errorf(f.value, "actors: want a list of actors, got %s", describe(n))
		return nil
	}
	if len(seq.Values) == 0 {
		l.errorf(f.value, empty)
		return nil
	}
	items := seq.Values
	if len(items) > l.lim.Actors {
		l.errorf(items[l.lim.Actors], "more than %d actors, the limit (--max-actors)", l.lim.Actors)
		items = items[:l.lim.Actors]
	}
	names := map[string]ast.Node{}
	out := make([]engine.Actor, 0, len(items))
	for i, item := range items {
		out = append(out, l.actor(i, item, names))
	}
	return out
}

// actor parses one actor. names maps the names seen so far to where they
// were written, to report duplicates.
func (l *loader) actor(i int, raw ast.Node, names map[string]ast.Node) engine.Actor {
	var a engine.Actor
	ctx := fmt.Sprintf("actor %d: ", i+1)
	n, ok := l.deref(raw)
	if !ok {
		return a
	}
	if _, isMap := mappingValues(n); !isMap {
		l.errorf(raw, "%swant a mapping with name: and steps:, got %s", ctx, describe(n))
		return a
	}
	fs := l.fields(ctx, n)
	// The name comes first, so that later messages can use it.
	nameField, hasName := field{}, false
	for _, f := range fs {
		if f.name == "name" {
			nameField, hasName = f, true
		}
	}
	if !hasName {
		l.errorf(n, `%smissing field "name"`, ctx)
	} else if name, ok := l.name(ctx, nameField); ok {
		a.Name = name
		ctx = fmt.Sprintf("actor %q: ", name)
		if why, reserved := reservedActors[name]; reserved {
			l.errorf(nameField.at(), "actor name %q is reserved: %s", name, why)
		} else if first, dup := names[name]; dup {
			p := nodePos(first)
			l.errorf(nameField.at(), "%sduplicate actor name (first at %d:%d)", ctx, p.line, p.col)
		} else {
			names[name] = nameField.at()
		}
	}
	byName := l.check(ctx, fs, "name", "at", "steps")
	if f, ok := byName.get("at"); ok {
		a.At, _ = l.duration(ctx, f)
		l.raise(a.At, f.at())
	}
	if f, ok := l.require(ctx, n, byName, "steps"); ok {
		l.groups = 0
		a.Steps = l.program(ctx, f, 0)
	}
	return a
}

// program parses a list of steps: an actor's steps (depth 0), or the then or
// else block of an if. Only else may be empty. Steps of a then or else block
// are named "then: step N" in messages.
func (l *loader) program(ctx string, f field, depth int) []engine.Step {
	itemCtx := ctx
	if f.name != "steps" {
		itemCtx = ctx + f.name + ": "
	}
	empty := ""
	switch f.name {
	case "steps":
		empty = "steps: empty program; an actor needs at least one step"
	case "then":
		empty = "then: empty block; put at least one step under then:"
	case "op":
		empty = "op: empty block; put the steps of the operation under op:"
	}
	if missing(f.value) {
		if empty != "" {
			l.errorf(f.key, "%s%s", ctx, empty)
		}
		return nil
	}
	n, ok := l.deref(f.value)
	if !ok {
		return nil
	}
	seq, isSeq := n.(*ast.SequenceNode)
	if !isSeq {
		l.errorf(f.value, "%s%s: want a list of steps, got %s", ctx, f.name, describe(n))
		return nil
	}
	if len(seq.Values) == 0 {
		if empty != "" {
			l.errorf(f.value, "%s%s", ctx, empty)
		}
		return nil
	}
	steps := make([]engine.Step, 0, len(seq.Values))
	for i, item := range seq.Values {
		if l.stepBudget <= 0 {
			if l.stepBudget == 0 {
				l.errorf(item, "more than %d steps in one scenario, the limit (--max-steps)", l.lim.Steps)
				l.stepBudget--
			}
			break
		}
		l.stepBudget--
		stepCtx := fmt.Sprintf("%sstep %d: ", itemCtx, i+1)
		if block, ok := l.opBlock(stepCtx, item, depth); ok {
			l.stepBudget++ // the block is not a step; its steps are
			steps = append(steps, block...)
			continue
		}
		steps = append(steps, l.step(stepCtx, item, depth == 0 && i == 0, depth))
	}
	return steps
}

// opBlock parses `- op: [steps]`, one write operation for the
// linearizable model: its steps, each marked with the block's number in
// the actor. ok is false when item is not an op: block.
func (l *loader) opBlock(ctx string, item ast.Node, depth int) (steps []engine.Step, ok bool) {
	n, derefOK := l.deref(item)
	if !derefOK {
		return nil, false
	}
	mvs, isMap := mappingValues(n)
	if !isMap || len(mvs) == 0 {
		return nil, false
	}
	fs := l.fields(ctx, n)
	if len(fs) == 0 || fs[0].name != "op" {
		return nil, false
	}
	for _, f := range fs[1:] {
		l.errorf(f.key, "%sunknown field %q next to op:; put the operation's steps under op:", ctx, f.name)
	}
	if l.inOp {
		l.errorf(fs[0].key, "%sop: blocks do not nest; one op: block is one write operation", ctx)
		return nil, true
	}
	l.inOp = true
	l.groups++
	group := l.groups
	steps = l.program(ctx, fs[0], depth+1)
	l.inOp = false
	setGroup(steps, group)
	return steps, true
}

// setGroup marks steps, and the steps of their if blocks, as steps of op:
// block group.
func setGroup(steps []engine.Step, group int) {
	for i := range steps {
		steps[i].Group = group
		setGroup(steps[i].Then, group)
		setGroup(steps[i].Else, group)
	}
}

// step parses one list item of a program: `- OP: {ARGS}` or an if block.
// first says it is the first step of an actor, where an if has nothing to
// test.
func (l *loader) step(ctx string, raw ast.Node, first bool, depth int) engine.Step {
	p := nodePos(raw)
	st := engine.Step{Pos: fmt.Sprintf("%s:%d:%d", l.file, p.line, p.col)}
	n, ok := l.deref(raw)
	if !ok {
		return st
	}
	mvs, isMap := mappingValues(n)
	if !isMap {
		l.errorf(raw, "%swant a step such as `- cache.get: {key: K, took: 1ms}`, got %s", ctx, describe(n))
		return st
	}
	if len(mvs) == 0 {
		l.errorf(raw, "%sempty step", ctx)
		return st
	}
	fs := l.fields(ctx, n)
	for _, f := range fs {
		if f.name == string(engine.OpIf) {
			return l.ifStep(ctx, st, fs, first, depth)
		}
	}
	var op *field
	var stray []field // argument names written where an op belongs
	for _, f := range fs {
		switch {
		case isOp(f.name):
			if op != nil {
				l.errorf(f.key, "%stwo ops in one step (%q and %q); give each its own \"- \" item", ctx, op.name, f.name)
				continue
			}
			op = &f
		case f.name == "then" || f.name == "else":
			l.errorf(f.key, "%s%s: without if", ctx, f.name)
		case contains(argNames, f.name):
			stray = append(stray, f)
		default:
			l.errorf(f.key, "%sunknown op %q %s", ctx, f.name, opHint(f.name))
		}
	}
	if op != nil && missing(op.value) && len(stray) > 0 {
		// `- cache.get:` with `key: k` on the next line at the same indent.
		l.errorf(stray[0].key, "%s%s: indent its arguments under it, or write `- %s: %s`", ctx, op.name, op.name, example(engine.Op(op.name)))
		st.Op = engine.Op(op.name)
		return st
	}
	for _, f := range stray {
		l.errorf(f.key, "%s%q is not an op; put it under the op, as in `- cache.get: {key: K}`", ctx, f.name)
	}
	if op == nil {
		return st
	}
	st = l.opStep(ctx, st, *op)
	l.spend(ctx, raw, &st)
	return st
}

func isOp(name string) bool {
	_, ok := opArgs[engine.Op(name)]
	return ok
}

func opHint(name string) string {
	ops := make([]string, len(engine.Ops))
	for i, op := range engine.Ops {
		ops[i] = string(op)
	}
	if s, ok := suggest(name, ops); ok {
		return fmt.Sprintf("(did you mean %q?)", s)
	}
	return "(ops: " + strings.Join(ops, ", ") + ")"
}

func (l *loader) ifStep(ctx string, st engine.Step, fs []field, first bool, depth int) engine.Step {
	st.Op = engine.OpIf
	if depth >= maxIfDepth {
		l.errorAt(nodePos(fs[0].key), "%sif blocks nested more than %d deep", ctx, maxIfDepth)
		return st
	}
	byName := map[string]field{}
	for _, f := range fs {
		switch {
		case f.name == "if" || f.name == "then" || f.name == "else":
			byName[f.name] = f
		case isOp(f.name):
			l.errorf(f.key, "%s%q next to if:; put steps under then: or else:", ctx, f.name)
		default:
			l.errorf(f.key, "%sunknown field %q %s", ctx, f.name, hint(f.name, []string{"if", "then", "else"}))
		}
	}
	cond := byName["if"]
	if first {
		l.errorf(cond.key, "%sif: no step before it to test; an if tests the result of the previous step", ctx)
	}
	if c, ok := l.text(ctx, cond); ok {
		if contains(engine.Conds, c) {
			st.Cond = c
		} else {
			l.errorf(cond.at(), "%sif: unknown condition %q %s", ctx, c, hint(c, engine.Conds))
		}
	}
	if f, ok := byName["then"]; ok {
		st.Then = l.program(ctx, f, depth+1)
	} else {
		l.errorf(cond.key, "%sif: missing then:", ctx)
	}
	if f, ok := byName["else"]; ok {
		st.Else = l.program(ctx, f, depth+1)
	}
	return st
}

// example shows an op's arguments in messages.
func example(op engine.Op) string {
	switch op {
	case engine.OpDBWrite:
		return "{key: K, value: V, took: 1ms}"
	case engine.OpCacheExpire:
		return "{key: K, ttl: 10s}"
	case engine.OpSleep:
		return "10ms"
	}
	return "{key: K, took: 1ms}"
}

// opStep parses the arguments of one op into st.
func (l *loader) opStep(ctx string, st engine.Step, f field) engine.Step {
	op := engine.Op(f.name)
	st.Op = op
	if op == engine.OpSleep && !missing(f.value) {
		v, ok := l.deref(f.value)
		if !ok {
			return st
		}
		if _, isMap := mappingValues(v); !isMap {
			st.Took, _ = l.duration(ctx, f) // `sleep: 10ms`
			return st
		}
	}
	n, ok := l.mapping(ctx, f, example(op))
	if !ok {
		return st
	}
	actx := ctx + f.name + ": "
	args := l.check(actx, l.fields(actx, n), opArgs[op]...)
	if op == engine.OpSleep {
		if took, ok := l.require(actx, n, args, "took"); ok {
			st.Took, _ = l.duration(actx, took)
		}
		return st
	}

	if kf, ok := l.require(actx, n, args, "key"); ok {
		if k, ok := l.text(actx, kf); ok && k == "" {
			l.errorf(kf.at(), "%skey: must not be empty", actx)
		} else {
			st.Key = k
			l.key(k, kf.at())
		}
	}
	if op == engine.OpDBWrite {
		if vf, ok := l.require(actx, n, args, "value"); ok {
			st.Value, st.HasValue = l.text(actx, vf)
		}
	} else if vf, ok := args.get("value"); ok {
		st.Value, st.HasValue = l.text(actx, vf)
	}
	if tf, ok := args.get("ttl"); ok {
		st.TTL, _ = l.ttl(actx, tf)
	}
	if af, ok := args.get("at"); ok {
		st.ExpireAt, st.HasExpireAt = l.ttl(actx, af)
		l.raise(st.ExpireAt, af.at())
	}
	if op == engine.OpCacheExpire {
		tf, hasTTL := args.get("ttl")
		af, hasAt := args.get("at")
		switch {
		case hasTTL && hasAt:
			later := af
			if nodePos(af.key).before(nodePos(tf.key)) {
				later = tf
			}
			l.errorf(later.key, "%sgive ttl or at, not both", actx)
		case !hasTTL && !hasAt && !args.typos["ttl"] && !args.typos["at"]:
			l.errorf(n, `%smissing field "ttl" or "at"`, actx)
		}
	}
	if nf, ok := args.get("nx"); ok {
		st.NX, _ = l.boolean(actx, nf)
	}
	if rf, ok := args.get("replica"); ok {
		st.Replica, _ = l.boolean(actx, rf)
		if st.Replica && !l.hasReplica {
			l.errorf(rf.at(), "%sreplica: true needs a top-level replica: {lag: D}", actx)
		}
	}
	if lf, ok := args.get("lease"); ok {
		if d, ok := l.ttl(actx, lf); ok && d == 0 {
			l.errorf(lf.at(), "%slease: must be positive (leave it out for the default)", actx)
		} else {
			st.Lease = d
		}
	}
	if tf, ok := args.get("took"); ok {
		st.Took, _ = l.duration(actx, tf)
	}
	return st
}

// mapping returns f's value as a mapping node, reporting an empty value or
// any other kind, with an example of what was wanted.
func (l *loader) mapping(ctx string, f field, example string) (ast.Node, bool) {
	if missing(f.value) {
		l.errorf(f.key, "%s%s: missing, as in %s: %s", ctx, f.name, f.name, example)
		return nil, false
	}
	n, ok := l.deref(f.value)
	if !ok {
		return nil, false
	}
	if _, isMap := mappingValues(n); !isMap {
		l.errorf(f.value, "%s%s: want a mapping such as %s, got %s", ctx, f.name, example, describe(n))
		return nil, false
	}
	return n, true
}

// name parses a scenario or actor name: non-empty, and only characters that
// survive a command line and a schedule ("writer reader writer").
func (l *loader) name(ctx string, f field) (string, bool) {
	s, ok := l.text(ctx, f)
	if !ok {
		return "", false
	}
	if s == "" {
		l.errorf(f.at(), "%sname: must not be empty", ctx)
		return "", false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			l.errorf(f.at(), "%sname %q: use letters, digits, '-', '_' and '.' only", ctx, s)
			return "", false
		}
	}
	return s, true
}

// text returns the text of f's scalar value.
func (l *loader) text(ctx string, f field) (string, bool) {
	return l.scalar(ctx, f.name, f)
}

// scalar returns the text of f's value, which must be a scalar of any type;
// label names f in messages.
func (l *loader) scalar(ctx, label string, f field) (string, bool) {
	if missing(f.value) {
		l.errorf(f.key, "%s%s: missing value", ctx, label)
		return "", false
	}
	n, ok := l.deref(f.value)
	if !ok {
		return "", false
	}
	s, ok := scalarText(n)
	if !ok {
		l.errorf(f.value, "%s%s: want a scalar value, got %s", ctx, label, describe(n))
		return "", false
	}
	return s, true
}

// duration parses f's value as a Go duration ("500us", "3ms", "300s") or a
// bare 0. Negative durations are errors.
func (l *loader) duration(ctx string, f field) (time.Duration, bool) {
	if missing(f.value) {
		l.errorf(f.key, "%s%s: missing duration", ctx, f.name)
		return 0, false
	}
	n, ok := l.deref(f.value)
	if !ok {
		return 0, false
	}
	s, isScalar := scalarText(n)
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		if isZero(s) {
			return 0, true
		}
		if strings.HasPrefix(s, "-") {
			l.errorf(f.value, "%s%s: negative duration %s", ctx, f.name, s)
		} else {
			l.errorf(f.value, "%s%s: %s has no unit; write %sms, %ss or the like", ctx, f.name, s, s, s)
		}
		return 0, false
	case *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		isScalar = false
	}
	if !isScalar {
		l.errorf(f.value, "%s%s: want a duration such as 3ms, got %s", ctx, f.name, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		l.errorf(f.value, "%s%s: invalid duration %q (write Go durations such as 500us, 3ms or 300s)", ctx, f.name, s)
		return 0, false
	}
	if d < 0 {
		l.errorf(f.value, "%s%s: negative duration %s", ctx, f.name, s)
		return 0, false
	}
	if d > l.lim.Time {
		l.errorf(f.value, "%s%s: %s is past the virtual time limit of %s (--max-time)", ctx, f.name, s, engine.FormatLimit(l.lim.Time))
		return 0, false
	}
	return d, true
}

// ttl parses f's value as a duration that Redis keeps: a TTL, a lease or
// an expiry instant, in whole milliseconds.
func (l *loader) ttl(ctx string, f field) (time.Duration, bool) {
	d, ok := l.duration(ctx, f)
	if ok && d%time.Millisecond != 0 {
		l.errorf(f.value, "%s%s: %s is not a whole number of milliseconds (Redis TTLs are)", ctx, f.name, d)
		return 0, false
	}
	return d, ok
}

func isZero(number string) bool {
	if i, err := strconv.ParseInt(number, 0, 64); err == nil {
		return i == 0
	}
	f, err := strconv.ParseFloat(number, 64)
	return err == nil && f == 0
}

// boolean parses f's value as true or false.
func (l *loader) boolean(ctx string, f field) (bool, bool) {
	if missing(f.value) {
		l.errorf(f.key, "%s%s: missing value; write true or false", ctx, f.name)
		return false, false
	}
	n, ok := l.deref(f.value)
	if !ok {
		return false, false
	}
	if b, isBool := n.(*ast.BoolNode); isBool {
		return b.Value, true
	}
	if s, isScalar := scalarText(n); isScalar {
		l.errorf(f.value, "%s%s: want true or false, got %q", ctx, f.name, s)
	} else {
		l.errorf(f.value, "%s%s: want true or false, got %s", ctx, f.name, describe(n))
	}
	return false, false
}
