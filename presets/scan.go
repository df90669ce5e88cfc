package presets

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// The YAML parser (goccy/go-yaml) keeps about 450 bytes per token, a path
// string per node as long as the node's keys and indexes put together,
// recurses once per entry of a block mapping (time quadratic in its
// entries) and once per level of nesting. A small hostile file can make it
// take gigabytes: 80 KB of nested brackets, or one long key over a long
// list. So before it sees a file, prescan reads it once, keeping only a
// stack of the collections it is in, and refuses what the parser could not
// hold: bytes that are not YAML text, nesting deeper than a scenario needs,
// a collection with more entries or a file with more tokens than a
// scenario within the limits has, and paths whose total length is out of
// proportion to the tokens. It is a cautious reading of YAML, not a
// parser: it only needs to be right about what is structure, which it
// errs on the side of (an upper bound on every count).
//
// prescan also takes the directives off the top of the file (goccy reads
// one at most), checking them.

// maxNesting is the deepest collections nest in a scenario: the top
// mapping, actors, an actor, its steps, each if's block and step, an
// op's arguments, with room to spare.
const maxNesting = 2*maxIfDepth + 24

// pathBytesPerToken is the average length of a node's path that a file may
// have (a step nested in a few ifs: "$.actors[12].steps[3].then[0].cache.set.key").
const pathBytesPerToken = 128

// A budget is what prescan lets a file have.
type budget struct {
	items  int   // entries in one sequence: steps or actors
	keys   int   // entries in one mapping: db rows or cache entries
	tokens int   // tokens in the file
	path   int64 // total length of the nodes' paths
}

// budgetFor derives the budget from the limits: what the most verbose
// scenario within them needs (a step written out in full, with a comment,
// is under 32 tokens; an actor's name, start and steps: under 16; a db row
// and a cache entry with a TTL, under 32).
func budgetFor(steps, actors, keys int) budget {
	b := budget{items: max(steps, actors) + 16, keys: keys + 16}
	b.tokens = 32*steps + 16*actors + 32*keys + 4096
	b.path = int64(b.tokens) * pathBytesPerToken
	return b
}

// A scanLevel is a collection prescan is in.
type scanLevel struct {
	flow    bool // [ ] or { }; else block
	seq     bool // a sequence; else a mapping
	indent  int  // block: the column of its entries (0-based)
	entries int
	cost    int // what it adds to the path of each node in it
}

type scanner struct {
	b      budget
	data   []byte
	line   int // 1-based
	start  int // offset of the line's first byte
	levels []scanLevel
	flows  int // flow levels open
	tokens int
	path   int64 // sum of the levels' costs: the current path's length
	cost   int64 // total of the nodes' paths
	err    *pos
	msg    string
	// block scalar content: lines indented more than blockIndent, or
	// blank, belong to it.
	inBlock     bool
	blockIndent int
	quote       byte // an open quoted scalar spanning lines: '\'' or '"'
}

// prescan checks data (without a byte-order mark) and returns it with its
// directives blanked out, or the position and message of the first
// problem.
func prescan(data []byte, b budget) ([]byte, *Error) {
	s := &scanner{b: b, data: data, line: 1}
	if err := s.text(); err != nil {
		return nil, err
	}
	out, err := s.directives()
	if err != nil {
		return nil, err
	}
	s.data = out
	for s.start < len(s.data) && s.err == nil {
		end, next := lineEnd(s.data, s.start)
		s.scanLine(s.data[s.start:end])
		s.start = next
		s.line++
	}
	if s.err != nil {
		return nil, &Error{Line: s.err.line, Col: s.err.col, Msg: s.msg}
	}
	return out, nil
}

// lineEnd returns the end of the line that starts at byte at, and where the
// next one starts: lines end at "\n", "\r\n" or a lone "\r", as the YAML
// parser counts them.
func lineEnd(data []byte, at int) (end, next int) {
	i := bytes.IndexAny(data[at:], "\r\n")
	if i < 0 {
		return len(data), len(data)
	}
	end = at + i
	if data[end] == '\r' && end+1 < len(data) && data[end+1] == '\n' {
		return end, end + 2
	}
	return end, end + 1
}

// fail records the first problem, at byte offset off of the current line.
func (s *scanner) fail(off int, format string, args ...any) {
	if s.err != nil {
		return
	}
	line := s.data[s.start:min(s.start+off, len(s.data))]
	s.err = &pos{s.line, utf8.RuneCount(line) + 1}
	s.msg = fmt.Sprintf(format, args...)
}

// text checks that data is YAML's printable text: UTF-8 without control
// characters but tab, line feed and carriage return.
func (s *scanner) text() *Error {
	line, lineStart := 1, 0
	for i := 0; i < len(s.data); {
		c := s.data[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\n' || c == '\r' && (i+1 == len(s.data) || s.data[i+1] != '\n'):
				line++
				lineStart = i + 1
			case c < ' ' && c != '\t' && c != '\r', c == 0x7f:
				return s.textError(line, lineStart, i, fmt.Sprintf("control character %U is not allowed in YAML (write it as an escape in a double-quoted string)", rune(c)))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s.data[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return s.textError(line, lineStart, i, fmt.Sprintf("byte %#02x is not UTF-8: a scenario file is UTF-8 text", c))
		case r >= 0x80 && r <= 0x9f && r != 0x85, r == 0xfffe, r == 0xffff:
			return s.textError(line, lineStart, i, fmt.Sprintf("character %U is not allowed in YAML", r))
		}
		i += size
	}
	return nil
}

func (s *scanner) textError(line, lineStart, at int, msg string) *Error {
	return &Error{Line: line, Col: utf8.RuneCount(s.data[lineStart:at]) + 1, Msg: msg}
}

// directives checks the directives before the first document ("%YAML 1.2",
// "%TAG !e! tag:example.com,2000:") and returns data with their lines
// blanked, line breaks kept, so that positions stay the same.
func (s *scanner) directives() ([]byte, *Error) {
	var out []byte
	sawYAML, tags := false, map[string]bool{}
	line, at := 1, 0
	for at < len(s.data) {
		end, next := lineEnd(s.data, at)
		text := s.data[at:end]
		trimmed := bytes.TrimSpace(text)
		switch {
		case len(trimmed) == 0 || trimmed[0] == '#':
		case text[0] == '%':
			if err := checkDirective(string(text), line, &sawYAML, tags); err != nil {
				return nil, err
			}
			if out == nil {
				out = bytes.Clone(s.data)
			}
			for i := at; i < end; i++ {
				out[i] = ' '
			}
		default:
			if out != nil && !bytes.HasPrefix(text, []byte("---")) {
				return nil, &Error{Line: line, Col: 1, Msg: "directives must be followed by a \"---\" line that starts the document"}
			}
			if out == nil {
				return s.data, nil
			}
			return out, nil
		}
		line++
		at = next
	}
	if out == nil {
		return s.data, nil
	}
	return out, nil
}

// checkDirective checks one directive line.
func checkDirective(text string, line int, sawYAML *bool, tags map[string]bool) *Error {
	fields := bytes.Fields([]byte(text))
	bad := func(format string, args ...any) *Error {
		return &Error{Line: line, Col: 1, Msg: fmt.Sprintf(format, args...)}
	}
	if i := bytes.IndexByte([]byte(text), '#'); i > 0 {
		fields = bytes.Fields([]byte(text[:i]))
	}
	switch string(fields[0]) {
	case "%YAML":
		if *sawYAML {
			return bad("a second %%YAML directive")
		}
		*sawYAML = true
		if len(fields) != 2 || !bytes.HasPrefix(fields[1], []byte("1.")) {
			return bad("%%YAML: want a version 1.x, as in %%YAML 1.2")
		}
	case "%TAG":
		if len(fields) != 3 || fields[1][0] != '!' || fields[1][len(fields[1])-1] != '!' {
			return bad("%%TAG: want a handle and a prefix, as in %%TAG !e! tag:example.com,2000:")
		}
		if tags[string(fields[1])] {
			return bad("%%TAG: handle %s defined twice", fields[1])
		}
		tags[string(fields[1])] = true
	}
	return nil // other directives are reserved; YAML ignores them
}

// scanLine reads one line (without its line feed).
func (s *scanner) scanLine(line []byte) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	blank := indent == len(line)
	if s.inBlock {
		if blank || indent > s.blockIndent {
			return // block scalar content
		}
		s.inBlock = false
	}
	if s.quote != 0 {
		i := s.closeQuote(line, 0, s.quote)
		if i < 0 {
			return
		}
		s.quote = 0
		s.scanFrom(line, i, false)
		return
	}
	if blank {
		return
	}
	if s.flows == 0 && indent == 0 && (bytes.HasPrefix(line, []byte("---")) || bytes.HasPrefix(line, []byte("..."))) &&
		(len(line) == 3 || line[3] == ' ' || line[3] == '\t') {
		s.levels, s.path, s.flows = s.levels[:0], 0, 0
		s.token(0)
		s.scanFrom(line, 3, false)
		return
	}
	s.scanFrom(line, indent, s.flows == 0)
}

// scanFrom reads line from byte i; lineStart says i is the first thing on
// a line in block context, where a node's column decides its collection.
func (s *scanner) scanFrom(line []byte, i int, lineStart bool) {
	block := lineStart
	for i < len(line) && s.err == nil {
		c := line[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			s.token(i) // a comment: the parser keeps it
			return
		}
		if s.flows > 0 {
			i = s.flowToken(line, i)
			continue
		}
		// Block context: i is the start of a node or an indicator.
		switch {
		case (c == '-' || c == '?') && (i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t'):
			if c == '-' {
				s.blockEntry(i, true, 0)
			}
			s.token(i)
			i++
			block = true
			continue
		case c == '[' || c == '{':
			s.token(i)
			s.push(i, scanLevel{flow: true, seq: c == '['})
			s.entry(i, 0)
			i++
			continue
		case c == '|' || c == '>':
			s.token(i)
			s.inBlock, s.blockIndent = true, s.currentIndent()
			return
		case c == '&' || c == '!' || c == '*':
			s.token(i)
			i = skipWord(line, i)
			continue
		}
		end, key := s.scalar(line, i)
		if s.err != nil || end < 0 {
			return // a quoted scalar goes on to the next line
		}
		if key {
			if block {
				s.blockEntry(i, false, end-i)
			}
			s.token(i)
			i = end + 1 // past the ':'
			block = false
			continue
		}
		s.token(i)
		i = end
		block = false
	}
}

// currentIndent is the indentation a block scalar's content must exceed:
// that of the innermost block collection.
func (s *scanner) currentIndent() int {
	for k := len(s.levels) - 1; k >= 0; k-- {
		if !s.levels[k].flow {
			return s.levels[k].indent
		}
	}
	return -1
}

// blockEntry notes an entry of a block collection at byte column col: a
// "- " item (seq) or a key of keyLen bytes.
func (s *scanner) blockEntry(col int, seq bool, keyLen int) {
	// A key closes the collections indented deeper, and a sequence at its
	// own column (a list may sit at its key's column); an item closes the
	// collections indented deeper.
	for len(s.levels) > 0 {
		top := s.levels[len(s.levels)-1]
		if top.flow || top.indent < col || (top.indent == col && (seq || !top.seq)) {
			break
		}
		s.pop()
	}
	if n := len(s.levels); n > 0 && !s.levels[n-1].flow && s.levels[n-1].indent == col && s.levels[n-1].seq == seq {
		s.entry(col, keyLen)
		return
	}
	s.push(col, scanLevel{seq: seq, indent: col})
	s.entry(col, keyLen)
}

// flowToken reads one token in a flow collection, from byte i, and returns
// where the next one may start.
func (s *scanner) flowToken(line []byte, i int) int {
	c := line[i]
	switch c {
	case '[', '{':
		s.token(i)
		s.push(i, scanLevel{flow: true, seq: c == '['})
		s.entry(i, 0)
		return i + 1
	case ']', '}':
		s.token(i)
		if len(s.levels) > 0 && s.levels[len(s.levels)-1].flow {
			s.pop()
		}
		return i + 1
	case ',':
		s.token(i)
		s.entry(i, 0)
		return i + 1
	case '?', ':':
		s.token(i)
		return i + 1
	case '&', '!', '*':
		s.token(i)
		return skipWord(line, i)
	}
	end, key := s.scalar(line, i)
	if end < 0 {
		return len(line)
	}
	s.token(i)
	if key {
		s.setKey(end - i)
		return end + 1
	}
	return end
}

// scalar finds the end of the scalar starting at byte i (a quoted one, or
// a plain one), and whether a ':' making it a key follows. end is where the
// ':' is for a key, -1 for a quoted scalar that goes on past the line.
func (s *scanner) scalar(line []byte, i int) (end int, key bool) {
	if c := line[i]; c == '\'' || c == '"' {
		end = s.closeQuote(line, i+1, c)
		if end < 0 {
			s.quote = c
			return -1, false
		}
	} else {
		end = i
		for end < len(line) {
			c := line[end]
			if c == ':' && (end+1 == len(line) || line[end+1] == ' ' || line[end+1] == '\t' || (s.flows > 0 && isFlowIndicator(line[end+1]))) {
				break
			}
			if c == '#' && end > i && (line[end-1] == ' ' || line[end-1] == '\t') {
				break
			}
			if s.flows > 0 && isFlowIndicator(c) {
				break
			}
			end++
		}
	}
	j := end
	for j < len(line) && (line[j] == ' ' || line[j] == '\t') {
		j++
	}
	if j < len(line) && line[j] == ':' && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\t' || s.flows > 0) {
		return j, true
	}
	return end, false
}

// closeQuote returns the offset just past the quote closing a scalar
// opened by q, looking from byte i, or -1 when it is not on this line.
func (s *scanner) closeQuote(line []byte, i int, q byte) int {
	for i < len(line) {
		switch c := line[i]; {
		case q == '"' && c == '\\':
			i += 2
		case c == q && q == '\'' && i+1 < len(line) && line[i+1] == '\'':
			i += 2
		case c == q:
			return i + 1
		default:
			i++
		}
	}
	return -1
}

func isFlowIndicator(c byte) bool {
	return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'
}

// skipWord returns the offset past an anchor, tag or alias at i.
func skipWord(line []byte, i int) int {
	for i < len(line) && line[i] != ' ' && line[i] != '\t' && !(isFlowIndicator(line[i])) {
		i++
	}
	return i
}

// token counts a token at byte i, and its path.
func (s *scanner) token(i int) {
	s.tokens++
	s.cost += s.path
	switch {
	case s.tokens > s.b.tokens:
		s.fail(i, "more than %d YAML tokens (keys, values, punctuation, comments): more than a scenario within the limits needs (--max-steps, --max-actors, --max-keys)", s.b.tokens)
	case s.cost > s.b.path:
		s.fail(i, "the keys and list indexes above the values of this file add up to more than %d bytes: too deep or too long keys for the YAML parser", s.b.path)
	}
}

// push opens a collection at byte i.
func (s *scanner) push(i int, l scanLevel) {
	if l.flow {
		s.flows++
	}
	s.levels = append(s.levels, l)
	if len(s.levels) > maxNesting {
		s.fail(i, "collections nested more than %d deep", maxNesting)
	}
}

// pop closes the innermost collection.
func (s *scanner) pop() {
	top := s.levels[len(s.levels)-1]
	if top.flow {
		s.flows--
	}
	s.path -= int64(top.cost)
	s.levels = s.levels[:len(s.levels)-1]
}

// entry counts an entry of the innermost collection, at byte i; keyLen is
// a mapping entry's key length (0 when not known yet).
func (s *scanner) entry(i, keyLen int) {
	top := &s.levels[len(s.levels)-1]
	top.entries++
	switch {
	case top.seq && top.entries > s.b.items:
		s.fail(i, "more than %d entries in one list: more than a scenario within the limits needs (--max-steps, --max-actors)", s.b.items)
	case !top.seq && top.entries > s.b.keys:
		s.fail(i, "more than %d entries in one mapping: more than a scenario within the limits needs (--max-keys)", s.b.keys)
	}
	if top.seq {
		s.setCost(top, 2+digits(top.entries))
	} else {
		s.setCost(top, keyLen+1)
	}
}

// setKey notes the key of the innermost (flow) mapping's current entry.
func (s *scanner) setKey(keyLen int) {
	if n := len(s.levels); n > 0 && !s.levels[n-1].seq {
		s.setCost(&s.levels[n-1], keyLen+1)
	}
}

func (s *scanner) setCost(l *scanLevel, cost int) {
	s.path += int64(cost - l.cost)
	l.cost = cost
}

func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}
