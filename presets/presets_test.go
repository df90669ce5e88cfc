package presets

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/racetape/racetape/engine"
)

func TestBuiltinPresetsParse(t *testing.T) {
	require.NoError(t, Check())
	all := All()
	require.Equal(t, Names(), presetNames(all), "every preset builds")
	require.Equal(t, "cache-aside", all[0].Name)
	for _, p := range all {
		require.Equal(t, p.Name, p.Scenario.Name)
		require.NotEmpty(t, p.Title, p.Name)
		require.NotEmpty(t, p.Description, p.Name)
	}
	// Names in DESIGN.md's list keep its order.
	last := -1
	for _, name := range Names() {
		if i := slices.Index(order, name); i >= 0 {
			require.Greater(t, i, last, "%s is out of order in %v", name, Names())
			last = i
		}
	}
}

func TestCacheAsideIsTheDesignExample(t *testing.T) {
	sc, err := Get("cache-aside")
	require.NoError(t, err)
	require.Equal(t, "presets/scenarios/cache-aside.yaml", sc.File)
	require.Equal(t, []engine.Seed{{Key: "order:42", Value: "CANCELLED"}}, sc.DB)
	require.Equal(t, []engine.Seed{{Key: "order:42", Value: "CANCELLED", TTL: 300e9}}, sc.Cache)
	require.Len(t, sc.Actors, 2)
	require.Equal(t, "writer", sc.Actors[0].Name)
	require.Equal(t, "reader", sc.Actors[1].Name)
	require.Equal(t, engine.OpIf, sc.Actors[1].Steps[1].Op)
	require.Len(t, sc.Actors[1].Steps[1].Then, 2)
}

func TestGetReturnsACopy(t *testing.T) {
	a, err := Get("cache-aside")
	require.NoError(t, err)
	a.Name = "changed"
	a.DB[0].Value = "changed"
	a.Actors[1].Steps[1].Then[0].Key = "changed"

	b, err := Get("cache-aside")
	require.NoError(t, err)
	require.Equal(t, "cache-aside", b.Name)
	require.Equal(t, "CANCELLED", b.DB[0].Value)
	require.Equal(t, "order:42", b.Actors[1].Steps[1].Then[0].Key)
}

func TestGetWithParamsOnAYAMLPreset(t *testing.T) {
	_, err := GetWith("cache-aside", Params{"ttl": "1s"})
	require.EqualError(t, err, `preset "cache-aside" takes no parameters`)
	_, err = GetWith("cache-aside", Params{})
	require.NoError(t, err, "empty params are no params")
}

func TestResolve(t *testing.T) {
	sc, err := Resolve("cache-aside")
	require.NoError(t, err)
	require.Equal(t, "cache-aside", sc.Name)

	sc, err = Resolve("testdata/good/every-op.yaml")
	require.NoError(t, err)
	require.Equal(t, "every-op", sc.Name)
	require.Equal(t, "testdata/good/every-op.yaml", sc.File)

	_, err = Resolve("cache-asid")
	require.ErrorIs(t, err, ErrUnknownPreset)
	require.ErrorContains(t, err, `unknown preset "cache-asid" (presets: cache-aside, `)

	_, err = Resolve("missing.yaml")
	require.ErrorIs(t, err, fs.ErrNotExist, "a .yaml argument is a file, even when absent")

	_, err = Resolve("testdata/bad/unknown-op.yaml")
	var list List
	require.ErrorAs(t, err, &list)

	// A file without an extension or a separator is found when it exists.
	data, err := os.ReadFile("testdata/good/every-op.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "myrace"), data, 0o644))
	t.Chdir(dir)
	sc, err = Resolve("myrace")
	require.NoError(t, err)
	require.Equal(t, "myrace", sc.File)
}

func TestRegistryOrderAndBrokenPresets(t *testing.T) {
	scenario := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("name: " + name + "\ntitle: T\nactors:\n  - name: a\n    steps:\n      - sleep: 1ms\n")}
	}
	fsys := fstest.MapFS{
		"ttl-only.yaml":    scenario("ttl-only"),
		"zeta.yaml":        scenario("zeta"),
		"cache-aside.yaml": scenario("cache-aside"),
		"alpha.yaml":       scenario("alpha"),
		"misnamed.yaml":    scenario("other"),
		"broken.yaml":      {Data: []byte("name: broken\nactors: []\n")},
		"notes.txt":        {Data: []byte("not a preset")},
	}
	var params []Params
	gens := map[string]generator{
		"seed-matrix": func(p Params, _ engine.Limits) (*engine.Scenario, error) {
			params = append(params, p)
			if p["fail"] != "" {
				return nil, errors.New("bad parameter")
			}
			sc := &engine.Scenario{Name: "seed-matrix", Title: "Matrix " + p["ttl"]}
			return sc, nil
		},
	}
	r := newRegistry(fsys, "dir", gens)

	require.Equal(t, []string{"cache-aside", "ttl-only", "seed-matrix", "alpha", "broken", "misnamed", "zeta"}, r.names)
	require.Equal(t, []string{"cache-aside", "ttl-only", "seed-matrix", "alpha", "zeta"}, presetNames(r.all()),
		"All leaves out presets that do not build")
	require.Equal(t, []Params{nil}, params, "All builds a generated preset with default params")

	err := r.check()
	require.ErrorContains(t, err, "dir/broken.yaml:2:9: actors: empty")
	require.ErrorContains(t, err, `preset dir/misnamed.yaml: name "other" differs from the file name`)

	sc, err := r.get("seed-matrix", Params{"ttl": "5s"}, engine.Limits{})
	require.NoError(t, err)
	require.Equal(t, "Matrix 5s", sc.Title)
	_, err = r.get("seed-matrix", Params{"fail": "1"}, engine.Limits{})
	require.EqualError(t, err, `preset "seed-matrix": bad parameter`)
	_, err = r.get("nope", nil, engine.Limits{})
	require.EqualError(t, err, `unknown preset "nope" (presets: cache-aside, ttl-only, seed-matrix, alpha, broken, misnamed, zeta)`)
}

func presetNames(ps []Preset) []string {
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	return names
}
