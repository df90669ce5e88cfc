package presets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/racetape/racetape/engine"
)

// A Loader reads scenarios under limits: a file past Limits.FileSize, or
// with more steps, actors or keys than the limits, or instants past
// Limits.Time, is refused with an *Error naming the line to blame, before
// the work it would cause. The zero Loader uses engine.DefaultLimits and
// reads "-" from os.Stdin.
type Loader struct {
	Limits engine.Limits
	// Stdin is what the file name "-" reads (nil: os.Stdin).
	Stdin io.Reader
}

// StdinName is how positions name a scenario read from standard input.
const StdinName = "<stdin>"

// utf8BOM is the byte-order mark some editors put at the top of UTF-8
// files.
var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// Parse parses and validates one scenario file. file names the file in
// positions (Scenario.File, Step.Pos, errors); data is its content.
//
// On failure the scenario is nil and the error is a List of every problem
// found, ordered by position, each an *Error with a line and column (at
// most maxErrors of them, then one that counts the rest).
func (ld Loader) Parse(file string, data []byte) (*engine.Scenario, error) {
	lim := ld.Limits.WithDefaults()
	if int64(len(data)) > lim.FileSize {
		return nil, List{withFile(sizeError(int64(len(data)), lim.FileSize), file)}
	}
	if bytes.HasPrefix(data, utf8BOM) {
		data = data[len(utf8BOM):]
	}
	if IsTape(data) {
		return nil, List{{File: file, Line: 1, Col: 1, Msg: "this is a tape (a recorded run: events and a verdict), not a scenario; open it with racetape run, tui or export"}}
	}
	text, perr := prescan(data, budgetFor(lim.Steps, lim.Actors, lim.Keys))
	if perr != nil {
		perr.File = file
		return nil, List{perr}.withSources(data)
	}
	l := &loader{
		file:        file,
		anchors:     map[string][]anchor{},
		aliasBudget: maxAliasExpansions,
		lim:         lim,
		stepBudget:  lim.Steps,
		keys:        map[string]bool{},
	}
	sc := l.load(text)
	if len(l.errs) > 0 {
		return nil, l.errs.sorted().withSources(data)
	}
	return sc, nil
}

// sizeError is the error for a file of size bytes (or more, when it was
// not read to the end), past limit.
func sizeError(size, limit int64) *Error {
	return &Error{Msg: fmt.Sprintf("%s, larger than the limit of %s (--max-file-size)", byteSize(size), byteSize(limit))}
}

// byteSize writes n bytes as "8 MiB", "39.0 MB" and the like.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d bytes", n)
}

// LoadFile reads and parses the scenario file at path; "-" reads standard
// input. A file that cannot be read gives the error from os; a file larger
// than Limits.FileSize is refused before it is read past the limit (so
// /dev/zero is refused at once); a file that does not parse gives a List.
func (ld Loader) LoadFile(path string) (*engine.Scenario, error) {
	data, name, err := ld.read(path)
	if err != nil {
		return nil, err
	}
	return ld.Parse(name, data)
}

// ReadFile returns the content of path ("-": standard input) under the
// file size limit, for files that are not scenarios (tapes).
func (ld Loader) ReadFile(path string) ([]byte, error) {
	data, _, err := ld.read(path)
	return data, err
}

// read returns the content of path ("-": standard input) and the name
// positions give it.
func (ld Loader) read(path string) ([]byte, string, error) {
	limit := ld.Limits.WithDefaults().FileSize
	var r io.Reader
	name := path
	if path == "-" {
		name = StdinName
		r = ld.Stdin
		if r == nil {
			r = os.Stdin
		}
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, name, fmt.Errorf("load scenario: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > limit {
			return nil, name, List{withFile(sizeError(fi.Size(), limit), name)}
		}
		r = f
	}
	data, err := readUpTo(r, limit+1)
	if err != nil {
		return nil, name, fmt.Errorf("load scenario: %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		e := sizeError(limit+1, limit)
		e.Msg = fmt.Sprintf("larger than the limit of %s (--max-file-size)", byteSize(limit))
		return nil, name, List{withFile(e, name)}
	}
	return data, name, nil
}

// readUpTo reads r to its end or to n bytes, whichever comes first, in a
// buffer that doubles as it fills (io.ReadAll's grows by a quarter, and
// copies several times the data before the limit is reached).
func readUpTo(r io.Reader, n int64) ([]byte, error) {
	buf := make([]byte, 0, min(n, 64<<10))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		k, err := r.Read(buf[len(buf):min(int64(cap(buf)), n)])
		buf = buf[:len(buf)+k]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func withFile(e *Error, file string) *Error {
	e.File = file
	return e
}

// ValidateFiles checks every file and returns every problem found, file by
// file in the order given: each parse problem as its own *Error, and a file
// that cannot be read as one error. It returns nil when all files are valid.
func (ld Loader) ValidateFiles(paths ...string) []error {
	var errs []error
	for _, path := range paths {
		_, err := ld.LoadFile(path)
		var list List
		switch {
		case err == nil:
		case errors.As(err, &list):
			for _, e := range list {
				errs = append(errs, e)
			}
		default:
			errs = append(errs, err)
		}
	}
	return errs
}

// Resolve returns the scenario arg names on a command line: a preset name,
// else a scenario file ("-": standard input). arg is taken as a file when
// it is "-", contains a path separator, ends in .yaml or .yml, or names an
// existing file; otherwise the error wraps ErrUnknownPreset and lists the
// presets.
func (ld Loader) Resolve(arg string) (*engine.Scenario, error) {
	r := builtin()
	if r.has(arg) {
		return ld.GetWith(arg, nil)
	}
	if arg == "-" || looksLikePath(arg) {
		return ld.LoadFile(arg)
	}
	return ld.GetWith(arg, nil)
}

// GetWith returns the preset name built with params, within the limits.
// Only generated presets take parameters; giving any to a YAML preset is an
// error.
func (ld Loader) GetWith(name string, params Params) (*engine.Scenario, error) {
	return builtin().get(name, params, ld.Limits)
}

// Parse parses and validates one scenario file under the default limits
// (see Loader.Parse).
func Parse(file string, data []byte) (*engine.Scenario, error) { return Loader{}.Parse(file, data) }

// LoadFile reads and parses the scenario file at path under the default
// limits (see Loader.LoadFile).
func LoadFile(path string) (*engine.Scenario, error) { return Loader{}.LoadFile(path) }

// ValidateFiles checks files under the default limits (see
// Loader.ValidateFiles).
func ValidateFiles(paths ...string) []error { return Loader{}.ValidateFiles(paths...) }

// IsTape says whether data is a tape: a JSON object with the events and
// the verdict of a recorded run (not a scenario written in JSON).
func IsTape(data []byte) bool {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, events := top["events"]
	_, verdict := top["verdict"]
	return events && verdict
}
