// Package presets holds racetape's built-in scenarios and the loader that
// turns scenario files (YAML) into engine.Scenario values.
//
// Parse, LoadFile and ValidateFiles read user files and report every problem
// as an *Error with file, line, column, the source line and a caret; several
// problems come as a List ordered by position. All, Names, Get, GetWith and
// Resolve give the presets: YAML files embedded from scenarios/, plus
// generated presets (seed-matrix) built in Go from parameters.
//
// Every scenario returned is a fresh copy: callers may change it freely.
package presets

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/racetape/racetape/engine"
)

//go:embed scenarios/*.yaml
var scenarioFiles embed.FS

// order is the order presets are listed in (DESIGN.md's list). Presets not
// named here follow, alphabetically.
var order = []string{
	"cache-aside", "delete-then-update", "stale-set", "double-delete", "ttl-only",
	"ttl-boundary", "write-through", "lease", "versioned-cas", "replica-lag", "new-old-inversion", "seed-matrix",
}

// A Preset is a built-in scenario with the words a picker shows for it.
type Preset struct {
	Name        string
	Title       string
	Description string
	Scenario    *engine.Scenario
}

// Params are a generated preset's parameters, by name.
type Params map[string]string

// A generator builds a parameterised preset within lim (defaults filled
// in). Called with nil or empty params it builds the preset's default
// form.
type generator func(params Params, lim engine.Limits) (*engine.Scenario, error)

// generators are the presets built in Go, by name. Files of this package add
// to it from init functions.
var generators = map[string]generator{}

// ErrUnknownPreset is wrapped by errors for a name that is no preset.
var ErrUnknownPreset = errors.New("unknown preset")

// A registry is the presets of one set of YAML files and generators.
type registry struct {
	names  []string                    // every preset, in listing order
	parsed map[string]*engine.Scenario // YAML presets that parsed
	errs   map[string]error            // YAML presets that did not
	gens   map[string]generator
}

var (
	builtinOnce sync.Once
	builtinReg  *registry
)

// builtin returns the registry of the embedded presets, parsing them on
// first use.
func builtin() *registry {
	builtinOnce.Do(func() {
		sub, err := fs.Sub(scenarioFiles, "scenarios")
		if err != nil {
			panic(err) // the embed pattern guarantees the directory
		}
		builtinReg = newRegistry(sub, "presets/scenarios", generators)
	})
	return builtinReg
}

// newRegistry parses every *.yaml file of fsys (named dir/FILE in positions)
// and takes the generators as they are.
func newRegistry(fsys fs.FS, dir string, gens map[string]generator) *registry {
	r := &registry{parsed: map[string]*engine.Scenario{}, errs: map[string]error{}, gens: gens}
	files, _ := fs.Glob(fsys, "*.yaml") // the pattern is valid
	var names []string
	for _, file := range files {
		name := strings.TrimSuffix(file, ".yaml")
		names = append(names, name)
		sc, err := parseFS(fsys, file, path.Join(dir, file))
		switch {
		case err != nil:
			r.errs[name] = err
		case sc.Name != name:
			r.errs[name] = fmt.Errorf("preset %s: name %q differs from the file name", path.Join(dir, file), sc.Name)
		case gens[name] != nil:
			r.errs[name] = fmt.Errorf("preset %s: %q is also a generated preset", path.Join(dir, file), name)
		default:
			r.parsed[name] = sc
		}
	}
	for name := range gens {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	r.names = names
	return r
}

func parseFS(fsys fs.FS, file, display string) (*engine.Scenario, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, err
	}
	return Parse(display, data)
}

func (r *registry) has(name string) bool {
	return slices.Contains(r.names, name)
}

func (r *registry) get(name string, params Params, lim engine.Limits) (*engine.Scenario, error) {
	if gen, ok := r.gens[name]; ok {
		lim = lim.WithDefaults()
		sc, err := gen(params, lim)
		if err == nil {
			err = lim.Check(sc)
		}
		if err != nil {
			return nil, fmt.Errorf("preset %q: %w", name, err)
		}
		return sc, nil
	}
	if !r.has(name) {
		return nil, fmt.Errorf("%w %q (presets: %s)", ErrUnknownPreset, name, strings.Join(r.names, ", "))
	}
	if len(params) > 0 {
		return nil, fmt.Errorf("preset %q takes no parameters", name)
	}
	if err := r.errs[name]; err != nil {
		return nil, err
	}
	return clone(r.parsed[name]), nil
}

func (r *registry) all() []Preset {
	out := make([]Preset, 0, len(r.names))
	for _, name := range r.names {
		sc, err := r.get(name, nil, engine.Limits{})
		if err != nil {
			continue // reported by Check
		}
		out = append(out, Preset{Name: name, Title: sc.Title, Description: sc.Description, Scenario: sc})
	}
	return out
}

func (r *registry) check() error {
	var errs []error
	for _, name := range r.names {
		if _, err := r.get(name, nil, engine.Limits{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// All returns every preset that builds, in listing order: DESIGN.md's order,
// then any others alphabetically. Generated presets come in their default
// form. A preset that fails to build is left out; Check reports it.
func All() []Preset { return builtin().all() }

// Names returns the name of every preset, in listing order.
func Names() []string { return slices.Clone(builtin().names) }

// Check returns the errors of every preset that fails to build, or nil. A
// broken embedded file is a bug in racetape; tests call Check.
func Check() error { return builtin().check() }

// Get returns the preset name (a generated one in its default form).
func Get(name string) (*engine.Scenario, error) { return Loader{}.GetWith(name, nil) }

// GetWith returns the preset name built with params, within the default
// limits (see Loader.GetWith).
func GetWith(name string, params Params) (*engine.Scenario, error) {
	return Loader{}.GetWith(name, params)
}

// Resolve returns the scenario arg names on a command line, under the
// default limits (see Loader.Resolve).
func Resolve(arg string) (*engine.Scenario, error) { return Loader{}.Resolve(arg) }

func looksLikePath(arg string) bool {
	if strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, filepath.Separator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(arg)) {
	case ".yaml", ".yml":
		return true
	}
	info, err := os.Stat(arg)
	return err == nil && !info.IsDir()
}

// clone returns a deep copy of sc, so that no caller can change a preset
// another caller sees.
func clone(sc *engine.Scenario) *engine.Scenario {
	if sc == nil {
		return nil
	}
	c := *sc
	c.DB = slices.Clone(sc.DB)
	c.Cache = slices.Clone(sc.Cache)
	if sc.Replica != nil {
		rep := *sc.Replica
		c.Replica = &rep
	}
	c.Actors = slices.Clone(sc.Actors)
	for i := range c.Actors {
		c.Actors[i].Steps = cloneSteps(c.Actors[i].Steps)
	}
	return &c
}

func cloneSteps(steps []engine.Step) []engine.Step {
	out := slices.Clone(steps)
	for i := range out {
		out[i].Then = cloneSteps(out[i].Then)
		out[i].Else = cloneSteps(out[i].Else)
	}
	return out
}
