package conformance

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/contactkit/contactkit/scenario"
)

// generator makes one scenario's unique values. Every value comes from the run's
// seed and the scenario's place in the suite, so the same seed sends the same
// requests whichever scenario runs first; scenarios draw from ranges of their
// own, so no two collide within a run, and runs with other seeds (the default is
// a random one) do not collide with each other.
type generator struct {
	runID string
	// phoneBase holds the run's middle digits; next makes each use unique.
	phoneBase int64
	first     int64 // the scenario's range starts here
	used      int64
	rng       *rand.Rand // random_uuid
}

// perScenario is how many unique values one scenario may draw before its range
// runs into the next one's.
const perScenario = 1000

// RunID is the id a run with this seed puts in the names it makes.
func RunID(seed int64) string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x72756e6964))
	var b [3]byte
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b[:])
}

func newGenerator(seed int64, scenarioIndex int) *generator {
	r := rand.New(rand.NewPCG(uint64(seed), 0x70686f6e65))
	return &generator{
		runID: RunID(seed),
		// 62 89 RRRR CCCCC: 13 digits like an Indonesian mobile, RRRR from the seed.
		phoneBase: 6289_0000_00000 + int64(r.IntN(10000))*100000,
		first:     int64(scenarioIndex) * perScenario,
		rng:       rand.New(rand.NewPCG(uint64(seed), uint64(scenarioIndex)+1)),
	}
}

func (g *generator) next() int64 {
	g.used++
	return g.first + g.used
}

func (g *generator) name() string { return fmt.Sprintf("Conform %s %d", g.runID, g.next()) }

func (g *generator) phone() int64 { return g.phoneBase + g.next()%100000 }

// uuid is a version 4 UUID from the scenario's generator: it names no contact.
func (g *generator) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// errUnset says a placeholder names a value not captured (yet), usually because an
// earlier step failed.
var errUnset = errors.New("not captured")

type unsetError struct{ name string }

func (e *unsetError) Error() string { return fmt.Sprintf("{{%s}} was %v", e.name, errUnset) }
func (e *unsetError) Unwrap() error { return errUnset }

// scope holds a scenario's values: built-ins, the run's variables, its example
// row, its vars and captures. One goroutine uses it: its scenario's.
type scope struct {
	gen    *generator
	values map[string]any
	env    func(string) (string, bool)
}

// newScope holds the values a run of sc starts with, the index-th of the suite
// (which fixes its generated values). A value the scenario gives from more than
// one place is the most particular one's: its example row's, then the run's
// variable, then its own var (the file's default).
func (r *runner) newScope(index int, sc *scenario.Scenario) (*scope, error) {
	gen := newGenerator(r.seed, index)
	s := &scope{gen: gen, env: r.cfg.Env, values: map[string]any{
		scenario.BuiltinApp:   r.cfg.App,
		scenario.BuiltinRunID: gen.runID,
	}}
	if s.env == nil {
		s.env = os.LookupEnv
	}
	if r.cfg.ForeignApp != "" {
		s.values[scenario.BuiltinForeignApp] = r.cfg.ForeignApp
	}
	for name, v := range scenario.PagingBuiltins(r.spec.Paging) {
		s.values[name] = v
	}
	given := map[string]bool{}
	for name, v := range r.cfg.Vars {
		s.values[name], given[name] = v, true
	}
	if sc.Row != nil {
		for _, v := range sc.Row.Values {
			val, err := s.expand(v.Value)
			if err != nil {
				return nil, fmt.Errorf("example %s: %w", v.Name, err)
			}
			s.values[v.Name], given[v.Name] = val, true
		}
	}
	for _, v := range sc.Vars {
		if given[v.Name] {
			continue
		}
		val, err := s.expand(v.Value)
		if err != nil {
			return nil, fmt.Errorf("var %s: %w", v.Name, err)
		}
		s.values[v.Name] = val
	}
	return s, nil
}

func (s *scope) lookup(name string) (any, error) {
	switch name {
	case scenario.BuiltinUniqueName:
		return s.gen.name(), nil
	case scenario.BuiltinUniquePhone:
		return s.gen.phone(), nil
	case scenario.BuiltinRandomUUID:
		return s.gen.uuid(), nil
	}
	if env, ok := strings.CutPrefix(name, scenario.EnvPrefix); ok {
		if v, set := s.env(env); set {
			return scenario.VarValue(v), nil
		}
		return nil, &unsetError{name: name}
	}
	v, ok := s.values[name]
	if !ok {
		return nil, &unsetError{name: name}
	}
	return v, nil
}

func (s *scope) expand(v any) (any, error) { return scenario.Expand(v, s.lookup) }

func (s *scope) expandString(x string) (string, error) { return scenario.ExpandString(x, s.lookup) }
