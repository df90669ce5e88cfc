package presets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/racetape/racetape/engine"
)

// A MatrixCell is one cell of the seed article's pytest matrix: TTL ×
// readers × writers.
type MatrixCell struct {
	Name    string
	TTL     time.Duration
	Readers int
	Writers int
}

// MatrixCells are seed-matrix's named variants, selected with cell=NAME.
var MatrixCells = []MatrixCell{
	{Name: "1s", TTL: time.Second, Readers: 10, Writers: 5},
	{Name: "5s", TTL: 5 * time.Second, Readers: 20, Writers: 10},
	{Name: "30s", TTL: 30 * time.Second, Readers: 50, Writers: 20},
}

// MatrixParams lists the parameters seed-matrix takes, for help texts.
const MatrixParams = "cell=1s|5s|30s, ttl=DURATION, readers=N, writers=N, seed=N (default cell=1s seed=1)"

const matrixTitle = "The seed matrix — TTL × readers × writers, deterministically"

const matrixDescription = `The seed article's pytest matrix (TTL 1s/10 readers/5 writers, 5s/20/10, 30s/50/20) as one scenario: writers commit a new value to order:42 and delete the key (cache-aside); readers read through the cache twice. Start times and step durations carry jitter drawn from a seeded generator, so every cell is the same run each time. Parameters: ` + MatrixParams + `.`

func init() {
	generators["seed-matrix"] = matrix
}

// matrix builds seed-matrix from its parameters.
func matrix(params Params, lim engine.Limits) (*engine.Scenario, error) {
	cell := MatrixCells[0]
	seed := uint64(1)
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if c, ok := params["cell"]; ok {
		i := slices.IndexFunc(MatrixCells, func(m MatrixCell) bool { return m.Name == c })
		if i < 0 {
			return nil, fmt.Errorf("seed-matrix: unknown cell %q (cells: 1s, 5s, 30s)", c)
		}
		cell = MatrixCells[i]
	}
	for _, k := range keys {
		v := params[k]
		var err error
		switch k {
		case "cell":
		case "ttl":
			cell.TTL, err = matrixTTL(v, lim.Time)
		case "readers":
			cell.Readers, err = positive(v, 500)
		case "writers":
			cell.Writers, err = positive(v, 500)
		case "seed":
			seed, err = strconv.ParseUint(v, 10, 64)
		default:
			return nil, fmt.Errorf("seed-matrix: unknown parameter %q (parameters: %s)", k, MatrixParams)
		}
		if err != nil {
			return nil, fmt.Errorf("seed-matrix: %s=%q: %v", k, v, err)
		}
	}
	return buildMatrix(cell, seed), nil
}

// matrixTTL parses seed-matrix's ttl: positive, whole milliseconds (a TTL
// Redis keeps), at most the virtual time limit (the run then spans a few
// TTLs, which Limits.Check weighs against the same limit).
func matrixTTL(v string, most time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		return 0, fmt.Errorf("not a duration such as 5s")
	case d <= 0:
		return 0, fmt.Errorf("must be positive")
	case d > most:
		return 0, fmt.Errorf("past the virtual time limit of %s (--max-time)", engine.FormatLimit(most))
	case d%time.Millisecond != 0:
		return 0, fmt.Errorf("%s is not a whole number of milliseconds (Redis TTLs are)", d)
	}
	return d, nil
}

func positive(v string, most int) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("not a whole number")
	}
	if n < 1 || n > most {
		return 0, fmt.Errorf("must be between 1 and %d", most)
	}
	return n, nil
}

// buildMatrix lays out the actors. The run spans about three TTLs, so keys
// expire and are refilled during it.
func buildMatrix(cell MatrixCell, seed uint64) *engine.Scenario {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	span := 3 * cell.TTL
	jitter := func(lo, hi time.Duration) time.Duration {
		return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
	}
	// round to microseconds so the text form stays readable
	us := func(d time.Duration) time.Duration { return d.Truncate(time.Microsecond) }
	key := "order:42"
	sc := &engine.Scenario{
		Name:        "seed-matrix",
		Title:       fmt.Sprintf("%s (TTL %s, %d readers, %d writers, seed %d)", matrixTitle, cell.TTL, cell.Readers, cell.Writers, seed),
		Description: matrixDescription,
		DB:          []engine.Seed{{Key: key, Value: "w0"}},
		Cache:       []engine.Seed{{Key: key, Value: "w0", TTL: cell.TTL}},
	}
	for i := range cell.Writers {
		sc.Actors = append(sc.Actors, engine.Actor{
			Name: fmt.Sprintf("writer-%d", i+1),
			At:   us(jitter(0, span)),
			Steps: []engine.Step{
				{Op: engine.OpDBWrite, Key: key, Value: fmt.Sprintf("w%d", i+1), HasValue: true, Took: us(jitter(time.Millisecond, 5*time.Millisecond))},
				{Op: engine.OpCacheDel, Key: key, Took: us(jitter(500*time.Microsecond, 2*time.Millisecond))},
			},
		})
	}
	for j := range cell.Readers {
		var steps []engine.Step
		for k := range 2 {
			if k > 0 {
				steps = append(steps, engine.Step{Op: engine.OpSleep, Took: us(jitter(0, cell.TTL))})
			}
			// one read in eight stalls between reading the row and setting it
			read := jitter(time.Millisecond, 3*time.Millisecond)
			if rng.IntN(8) == 0 {
				read = jitter(5*time.Millisecond, 20*time.Millisecond)
			}
			steps = append(steps,
				engine.Step{Op: engine.OpCacheGet, Key: key, Took: us(jitter(200*time.Microsecond, time.Millisecond))},
				engine.Step{Op: engine.OpIf, Cond: "miss", Then: []engine.Step{
					{Op: engine.OpDBRead, Key: key, Took: us(read)},
					{Op: engine.OpSleep, Took: us(read)},
					{Op: engine.OpCacheSet, Key: key, TTL: cell.TTL, Took: us(jitter(200*time.Microsecond, time.Millisecond))},
				}},
			)
		}
		sc.Actors = append(sc.Actors, engine.Actor{Name: fmt.Sprintf("reader-%d", j+1), At: us(jitter(0, span)), Steps: steps})
	}
	return sc
}

// MatrixCellParams returns the parameters that select cell c.
func MatrixCellParams(c MatrixCell, seed uint64) Params {
	return Params{"cell": c.Name, "seed": strconv.FormatUint(seed, 10)}
}

// String describes the cell as "TTL 1s / 10 readers / 5 writers".
func (c MatrixCell) String() string {
	return strings.Join([]string{"TTL " + c.TTL.String(), fmt.Sprintf("%d readers", c.Readers), fmt.Sprintf("%d writers", c.Writers)}, " / ")
}
