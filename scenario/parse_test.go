package scenario_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/fixtures"
	"github.com/contactkit/contactkit/scenario"
)

func TestDefaultSuiteLoads(t *testing.T) {
	scs, err := scenario.Load(spec(t), fixtures.Suite, "fixtures/suite")
	require.NoError(t, err, "the embedded suite must load")
	assert.GreaterOrEqual(t, len(scs), 15, "scenarios in the default suite")
	for _, sc := range scs {
		assert.NotEmpty(t, sc.Tags, "scenario %q (%s:%d) has tags", sc.Name, sc.File, sc.Line)
	}
}

func TestParseErrorsSayFileAndLine(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"unknown op", "name: a\nsteps:\n  - name: s\n    op: listContact\n    expect: {status: 200}\n", 4, `op "listContact" is not an operationId`},
		{"unknown key", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expext: {status: 200}\n", 5, `unknown key "expext"`},
		{"no expect", "name: a\nsteps:\n  - name: s\n    op: listContacts\n", 3, "has no expect"},
		{"bad status", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 99}\n", 5, `status "99" is not an HTTP status`},
		{"undefined placeholder", "name: a\nsteps:\n  - name: s\n    op: getContact\n    params: {contactId: \"{{nope}}\"}\n    expect: {status: 200}\n", 3, "uses {{nope}}"},
		{"unquoted placeholder", "name: a\nsteps:\n  - name: s\n    op: createContacts\n    body: [{name: {{n}}}]\n    expect: {status: 201}\n", 5, "quote placeholders"},
		{"broken yaml", "name: a\nsteps:\n  - name: s\n   op: x\n", 2, "did not find expected"},
		{"bad matcher", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        /data: {type: list}\n", 8, `type "list" is not one of`},
		{"bad pointer", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        meta: 1\n", 8, "is not a JSON pointer"},
		{"walk on detail", "name: a\nsteps:\n  - name: s\n    op: getContact\n    walk: true\n    params: {contactId: x}\n    expect: {status: 200}\n", 3, "walk works with op listContacts only"},
		{"across without exclusive", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    walk: true\n    across_pages: true\n    expect: {status: 200}\n", 3, "needs the scenario to be exclusive"},
		{"op and path", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    method: GET\n    path: /x\n    expect: {status: 200}\n", 3, "not both"},
		{"no steps", "name: a\n", 1, "has no steps"},
		{"bad auth", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    auth: maybe\n    expect: {status: 200}\n", 5, `auth "maybe" is not one of`},
		{"unknown matcher key", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        /data: {lenght: 3}\n", 8, `matcher: unknown key "lenght"`},
		{"unknown matcher beside a known one", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        /data:\n          type: array\n          lenght: 3\n", 10, `matcher: unknown key "lenght"`},
		{"unknown expect key", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      bdy: {/data: 1}\n", 7, `expect: unknown key "bdy"`},
		{"unknown scenario key", "name: a\ntag: [x]\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 2, `scenario: unknown key "tag"`},
		{"unknown capture key", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n    capture:\n      id: {form: /data/0/id}\n", 7, `capture: unknown key "form"`},
		{"wrong type", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    walk: maybe\n    expect: {status: 200}\n", 5, "walk must be true or false"},
		{"unquoted placeholder in params", "name: a\nsteps:\n  - name: s\n    op: getContact\n    params: {contactId: {{id}}}\n    expect: {status: 200}\n", 5, "quote placeholders"},
		{"unquoted placeholder in query", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    query:\n      limit: {{limit_max}}\n    expect: {status: 200}\n", 6, "quote placeholders"},
		{"unquoted placeholder in a matcher", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        /meta/limit: {max: {{limit_max}}}\n", 8, "quote placeholders"},
		{"unquoted placeholder as a var", "name: a\nvars:\n  x: {{unique_name}}\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 3, "quote placeholders"},
		{"malformed placeholder", "name: a\nsteps:\n  - name: s\n    method: GET\n    path: /x/{{app\n    expect: {status: 404}\n", 5, "malformed placeholder"},
		{"bad regex", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      body:\n        /x: {matches: \"(\"}\n", 8, "matches: error parsing regexp"},
		{"on status not expected", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      on:\n        400: {/x: 1}\n", 8, "status 400 is not one of the expected"},
		{"bad header name", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      headers:\n        \"Content Type\": x\n", 8, `"Content Type" is not a header name`},
		{"header twice", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      headers:\n        content-type: x\n        Content-Type: y\n", 9, "given twice"},
		{"unknown header matcher", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      headers:\n        Content-Type: {containz: json}\n", 8, `matcher: unknown key "containz"`},
		{"duration without a unit", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      max_duration: 300\n", 7, "is not a duration with its unit"},
		{"zero duration", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect:\n      status: 200\n      max_duration: 0s\n", 7, "must be more than 0"},
		{"retry without times", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    retry: {interval: 1s}\n    expect: {status: 200}\n", 5, "retry: times must be 1 to 100"},
		{"retry with a bad interval", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    retry: {times: 2, interval: soon}\n    expect: {status: 200}\n", 5, `interval "soon" is not a duration`},
		{"retry unknown key", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    retry: {times: 2, every: 1s}\n    expect: {status: 200}\n", 5, `retry: unknown key "every"`},
		{"unchecked walk", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    walk: true\n    unchecked: true\n    expect: {status: 200}\n", 3, "cannot be unchecked"},
		{"examples not a list", "name: a\nexamples: {who: x}\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 2, "examples must be a list of rows"},
		{"example rows differ", "name: a\nexamples:\n  - {who: x}\n  - {whom: y}\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 4, "every row names the same variables"},
		{"example names a built-in", "name: a\nexamples:\n  - {app: x}\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 3, `"app" is a built-in name`},
		{"unset environment variable", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    headers: {X-Key: \"{{env.CONTACTKIT_TEST_SURELY_UNSET}}\"}\n    expect: {status: 200}\n", 3, "CONTACTKIT_TEST_SURELY_UNSET is not set in the environment"},
		{"malformed env placeholder", "name: a\nsteps:\n  - name: s\n    op: listContacts\n    headers: {X-Key: \"{{env.}}\"}\n    expect: {status: 200}\n", 5, "malformed placeholder"},
		{"a row using a var", "name: a\nvars: {v: 1}\nexamples:\n  - {who: \"{{v}}\"}\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n", 4, `example row "who" uses {{v}}, which is not a built-in, a --var or --vars`},
	}
	for _, tc := range cases {
		_, err := scenario.Parse(spec(t), "suite/x.yaml", []byte(tc.src))
		require.Error(t, err, "parse %s", tc.name)
		var le *scenario.LoadError
		require.True(t, errors.As(err, &le), "parse %s: error %v is not a *LoadError", tc.name, err)
		assert.Equal(t, "suite/x.yaml", le.File, "parse %s: file", tc.name)
		assert.Equal(t, tc.line, le.Line, "parse %s: line of %q", tc.name, err)
		assert.Contains(t, err.Error(), tc.msg, "parse %s: message", tc.name)
	}
}

// TestParseHoldsStepsToTheContract: a status no faithful server answers, or a
// pointer to a field no answer has, does not load, and the error lists what the
// contract has.
func TestParseHoldsStepsToTheContract(t *testing.T) {
	step := func(lines string) string { return "name: a\nsteps:\n  - name: s\n" + lines }
	for _, tc := range []struct {
		name, src string
		line      int
		msg       string
	}{
		{"undocumented status", step("    op: getContact\n    params: {contactId: x}\n    expect: {status: [200, 401]}\n"), 6,
			`status 401 is not one getContact answers: the contract documents 200, 403, 404; a reading or HTTP adds 406, 413, 414, 415, 429, 431`},
		{"an undocumented status as a reading", step("    op: getContact\n    params: {contactId: x}\n    expect:\n      status: 200\n      readings: {401: auth-refusal}\n"), 7, "status 401 is not one getContact answers"},
		{"unknown route expecting 200", step("    method: GET\n    path: /nowhere\n    expect: {status: 200}\n"), 6,
			"status 200 is not one a route the contract does not have answers: 404, 405, 406"},
		{"a misspelt field", step("    op: listContacts\n    expect:\n      status: 200\n      body:\n        /meta/totl: 1\n"), 8,
			`/meta/totl: listContacts's 200 answer has no "totl" at /meta (its fields: current_page, first_page, last_page, limit, next_page, previous_page, total)`},
		{"a selector on a field the items lack", step("    op: listContacts\n    expect:\n      status: 200\n      body:\n        \"/data[name=x]/id\": {present: true}\n"), 8,
			`has no "name" in the items of /data to select by (its fields: created_at, id, is_blocked, phone, tag)`},
		{"detail has tags, not tag", step("    op: getContact\n    params: {contactId: x}\n    expect:\n      status: 200\n      body:\n        /data/tag: x\n"), 9, `has no "tag" at /data`},
		{"a field under a number", step("    op: listContacts\n    expect:\n      status: 200\n      body:\n        /meta/total/x: 1\n"), 8, "an integer, which has no fields"},
		{"a capture of a field no answer has", step("    op: listContacts\n    expect: {status: 200}\n    capture: {id: /data/0/uuid}\n"), 6, `/data/0/uuid: listContacts's 200 answer has no "uuid"`},
		{"an on pointer checks its own status", step("    op: createContacts\n    body: []\n    expect:\n      status: [201, 422]\n      on:\n        201:\n          /errors/0.name: {present: true}\n"), 10, `createContacts's 201 answer has no "errors"`},
		{"a route the contract lacks has the envelope only", step("    method: GET\n    path: /nowhere\n    expect:\n      status: 404\n      body:\n        /data: {present: true}\n"), 9, `has no "data" at the top (its fields: code, message, statusCode)`},
	} {
		_, err := scenario.Parse(spec(t), "x.yaml", []byte(tc.src))
		require.Error(t, err, "parse %s", tc.name)
		var le *scenario.LoadError
		require.True(t, errors.As(err, &le), "parse %s: %v is not a *LoadError", tc.name, err)
		assert.Equal(t, tc.line, le.Line, "parse %s: line of %q", tc.name, err)
		assert.Contains(t, err.Error(), tc.msg, "parse %s: message", tc.name)
	}
	for _, tc := range []struct{ name, src string }{
		{"a create's 400 is a reading", step("    op: createContacts\n    raw_body: x\n    expect: {status: [400, 422]}\n")},
		{"a known path with an unknown method may answer 405", step("    method: PATCH\n    path: \"/contacts/{{app}}\"\n    expect: {status: [404, 405]}\n")},
		{"a method and path of the contract answer as the op", step("    method: GET\n    path: \"/contacts/{{app}}\"\n    expect:\n      status: 200\n      body: {/meta/total: {min: 0}}\n")},
		{"error keys are any text", step("    op: createContacts\n    body: [{}]\n    expect:\n      status: 422\n      body: {/errors/0.name: {type: string}}\n")},
		{"a placeholder could be any field", step("    op: createContacts\n    body: [{}]\n    expect:\n      status: 422\n      body: {\"/errors/{{app}}\": {absent: true}}\n")},
		{"the whole body", step("    op: listContacts\n    expect:\n      status: 200\n      body: {\"\": {type: object}}\n")},
		{"a walk's pages", step("    op: listContacts\n    walk: true\n    expect:\n      status: 200\n      body: {/pages: {min: 1}}\n")},
		{"a field on one expected status is enough", step("    op: getContact\n    params: {contactId: x}\n    expect:\n      status: [200, 404]\n      body: {/data/tags: {present: true}}\n")},
		{"an unchecked step is its own judge", step("    method: POST\n    path: /__admin/reset\n    unchecked: true\n    expect:\n      status: 200\n      body: {/status: ok}\n")},
	} {
		_, err := scenario.Parse(spec(t), "x.yaml", []byte(tc.src))
		assert.NoError(t, err, "parse %s", tc.name)
	}
}

// TestLoaderVarsAndEnv: a run's variables and the environment are defined for
// every scenario, and one that is not set is a load error at its line.
func TestLoaderVarsAndEnv(t *testing.T) {
	src := `name: a
vars:
  who: "{{env.WHO}}"
steps:
  - name: s
    op: getContact
    params: {contactId: "{{id}}"}
    headers: {X-Who: "{{who}}", X-Key: "{{env.KEY}}"}
    expect: {status: 404}
`
	env := map[string]string{"WHO": "ana", "KEY": "k"}
	l := &scenario.Loader{Spec: spec(t), Vars: map[string]any{"id": "x"}, Env: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}
	_, err := l.Parse("v.yaml", []byte(src))
	require.NoError(t, err)

	delete(env, "KEY")
	l.Vars = nil
	_, err = l.Parse("v.yaml", []byte(src))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "v.yaml:5: step \"s\" uses {{id}}, which is neither", "a --var the run does not give")
	assert.Contains(t, err.Error(), "v.yaml:5: step \"s\" uses {{env.KEY}}, but KEY is not set in the environment")
}

func TestVarValues(t *testing.T) {
	for _, tc := range []struct {
		text string
		want any
	}{
		{"6281234567890", 6281234567890},
		{"92233720368547758070", json.Number("92233720368547758070")},
		{"1.5", json.Number("1.5")},
		{"true", true},
		{"null", nil},
		{`"42"`, "42"},
		{"007", "007"},
		{"Budi Santoso", "Budi Santoso"},
		{"", ""},
		{"[1]", "[1]"},
	} {
		assert.Equal(t, tc.want, scenario.VarValue(tc.text), "VarValue(%q)", tc.text)
	}
	name, v, err := scenario.ParseVar("phone=6281")
	require.NoError(t, err)
	assert.Equal(t, "phone", name)
	assert.Equal(t, 6281, v)
	for _, bad := range []string{"phone", "app=x", "a-b=1", "=1"} {
		_, _, err := scenario.ParseVar(bad)
		assert.Error(t, err, "ParseVar(%q)", bad)
	}
	vars, err := scenario.ReadVars("v.yaml", []byte("phone: 6281234567890\nname: Ana\nbig: 92233720368547758070\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"phone": 6281234567890, "name": "Ana", "big": json.Number("92233720368547758070")}, vars)
	_, err = scenario.ReadVars("v.yaml", []byte("ok: 1\nbad name: 2\nx: \"{{unique_name}}\"\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `v.yaml:2: "bad name" is not a variable name`)
	assert.Contains(t, err.Error(), `v.yaml:3: "x": a vars file gives values, not placeholders`)
	_, err = scenario.ReadVars("v.yaml", []byte("- 1\n"))
	assert.ErrorContains(t, err, "v.yaml:1: a vars file must be a mapping")
}

// TestExampleRuns: a scenario with examples runs once per row, named with its
// row, and two rows that read the same are a load error.
func TestExampleRuns(t *testing.T) {
	src := `name: create
examples:
  - {who: Ana, phone: 6281111111111}
  - {who: "Bo  Li", phone: "{{unique_phone}}"}
steps:
  - name: s
    op: createContacts
    body: [{name: "{{who}}", phone: "{{phone}}"}]
    expect: {status: 201}
`
	scs, err := scenario.Parse(spec(t), "e.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, scs, 1)
	var names []string
	for _, run := range scs[0].Runs() {
		names = append(names, run.Name)
		require.NotNil(t, run.Row, "run %q has its row", run.Name)
		assert.Empty(t, run.Examples, "run %q", run.Name)
	}
	assert.Equal(t, []string{"create [who=Ana, phone=6281111111111]", "create [who=Bo Li, phone={{unique_phone}}]"}, names)
	assert.Equal(t, 4, scs[0].Runs()[1].Row.Line)

	dup := strings.Replace(src, "Bo  Li", "Ana", 1)
	dup = strings.Replace(dup, `"{{unique_phone}}"`, "6281111111111", 1)
	_, err = scenario.Load(spec(t), fstest.MapFS{"e.yaml": {Data: []byte(dup)}}, "s")
	assert.ErrorContains(t, err, `s/e.yaml:4: scenario name "create [who=Ana, phone=6281111111111]" is already used at s/e.yaml:3`)
}

// TestLoadSetupAndTeardown: the files at the top of a suite named _setup and
// _teardown hold its setup and teardown; elsewhere the names are refused.
func TestLoadSetupAndTeardown(t *testing.T) {
	one := func(name string) []byte {
		return []byte("name: " + name + "\nsteps:\n  - name: s\n    method: POST\n    path: /__admin/reset\n    unchecked: true\n    expect: {status: 200}\n")
	}
	scs, err := scenario.Load(spec(t), fstest.MapFS{"_setup.yaml": {Data: one("up")}, "_teardown.yml": {Data: one("down")}, "a.yaml": {Data: one("a")}}, "s")
	require.NoError(t, err)
	phases := map[string]string{}
	for _, sc := range scs {
		phases[sc.Name] = sc.Phase
	}
	assert.Equal(t, map[string]string{"up": scenario.PhaseSetup, "down": scenario.PhaseTeardown, "a": ""}, phases)
	_, err = scenario.Load(spec(t), fstest.MapFS{"sub/_setup.yaml": {Data: one("up")}}, "s")
	assert.ErrorContains(t, err, "s/sub/_setup.yaml: _setup.yaml holds a suite's setup only at the top of the suite")
}

func TestLoadReportsEveryBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"a.yaml": {Data: []byte("name: a\nsteps:\n  - name: s\n    op: nope\n    expect: {status: 200}\n")},
		"b.yml":  {Data: []byte("name: b\nsteps: 3\n")},
		"c.yaml": {Data: []byte("name: c\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n---\nname: c\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n")},
		"d.txt":  {Data: []byte("ignored")},
	}
	_, err := scenario.Load(spec(t), fsys, "mine")
	require.Error(t, err)
	for _, want := range []string{"mine/a.yaml:4:", "mine/b.yml:2:", `mine/c.yaml:7: scenario name "c" is already used at mine/c.yaml:1`} {
		assert.Contains(t, err.Error(), want, "load errors")
	}
}

func TestParseKeepsTypesAndOrder(t *testing.T) {
	src := `name: typed
tags: [x]
vars:
  phone: "{{unique_phone}}"
steps:
  - name: create
    op: createContacts
    body: [{name: "n", phone: "{{phone}}"}]
    expect: {status: [201, 422]}
  - name: list
    op: listContacts
    query: {limit: 50, page: 1}
    walk: true
    expect:
      status: 200
      body:
        "/data[phone={{phone}}]/tag": {equals: "n", type: string}
    capture:
      id: "/data[phone={{phone}}]/id"
`
	scs, err := scenario.Parse(spec(t), "t.yaml", []byte(src))
	require.NoError(t, err)
	require.Len(t, scs, 1)
	sc := scs[0]
	assert.Equal(t, "typed", sc.Name)
	require.Len(t, sc.Steps, 2)
	assert.Equal(t, []int{201, 422}, sc.Steps[0].Expect.Status)
	assert.Equal(t, "limit", sc.Steps[1].Query[0].Name, "query keeps file order")
	assert.Equal(t, 50, sc.Steps[1].Query[0].Value)
	require.Len(t, sc.Steps[1].Expect.Body, 1)
	assert.Len(t, sc.Steps[1].Expect.Body[0].Matchers, 2)
	assert.Equal(t, 10, sc.Steps[1].Line)
}

// FuzzParse feeds the scenario parser arbitrary text: it may refuse it, but it
// must not panic, and what it accepts has names and steps.
func FuzzParse(f *testing.F) {
	entries, _ := fs.ReadDir(fixtures.Suite, ".")
	for _, e := range entries {
		if data, err := fs.ReadFile(fixtures.Suite, e.Name()); err == nil {
			f.Add(data)
		}
	}
	for _, seed := range []string{
		"name: a\nsteps:\n  - name: s\n    op: listContacts\n    expect: {status: 200}\n",
		"name: a\nvars: {p: \"{{unique_phone}}\"}\nsteps:\n  - name: s\n    op: createContacts\n    body: [{name: x, phone: \"{{p}}\"}]\n    expect: {status: 201, body: {\"/data[phone={{p}}]\": {absent: true}}}\n",
		"---\n---\n",
		"name: &a x\nsteps: *a\n",
		"{{x}}",
		"name: a\nsteps:\n  - name: s\n    method: GET\n    path: /x\n    expect: {status: [404, 405], on: {404: {/message: {length: {min: 1}}}}}\n",
		everyKey,
	} {
		f.Add([]byte(seed))
	}
	sp := spec(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		scs, err := scenario.Parse(sp, "fuzz.yaml", data)
		if err != nil {
			var le *scenario.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LoadError", err)
			}
		}
		for _, sc := range scs {
			if sc.Name == "" || len(sc.Steps) == 0 {
				t.Fatalf("accepted a scenario without a name or steps: %+v", sc)
			}
		}
		if len(scs) > 0 {
			roundTrip(t, sp, scs)
		}
	})
}

// everyKey uses every key of the format, so the fuzzer starts from each and the
// round trip covers each.
const everyKey = `name: every key
tags: [qa]
needs: [foreign_app]
exclusive: true
vars:
  phone: "{{unique_phone}}"
examples:
  - {who: Ana, n: 1}
  - {who: "{{unique_name}}", n: 2}
steps:
  - name: reset
    method: POST
    path: /__admin/reset
    unchecked: true
    expect: {status: 200, body: {/status: ok}}
  - name: create
    op: createContacts
    headers: {Prefer: code=201}
    body: [{name: "{{who}}", phone: "{{phone}}"}]
    retry: {times: 3, interval: 250ms}
    reading: create-lenient-values
    rule: "openapi.yaml#/paths"
    expect:
      status: [201, 422]
      readings: {400: create-not-batch}
      headers:
        Content-Type: {matches: "^application/json"}
        x-absent: {absent: true}
      max_duration: 1.5s
      body: {/statusCode: {one_of: [201, 422]}}
      on:
        422: {/errors/0.phone: {present: true}}
  - name: walk
    op: listContacts
    query: {limit: "{{limit_max}}"}
    auth: foreign-app
    walk: true
    across_pages: true
    expect: {status: 200, body: {/pages: {min: 1}}}
    capture:
      id: "/data[phone={{phone}}]/id"
      maybe: {from: /data/0/id, optional: true}
  - name: raw
    op: createContacts
    raw_body: '[{"name": '
    expect: {status: [400, 422]}
cleanup:
  - name: delete
    op: deleteContact
    params: {contactId: "{{id}}"}
    expect: {status: [200, 404]}
`

// TestEncodeWritesEveryKey reads a scenario with every key, writes it and reads
// it back the same.
func TestEncodeWritesEveryKey(t *testing.T) {
	sp := spec(t)
	scs, err := scenario.Parse(sp, "every.yaml", []byte(everyKey))
	require.NoError(t, err)
	require.Len(t, scs, 1)
	st := scs[0].Steps[1]
	require.NotNil(t, st.Retry)
	assert.Equal(t, scenario.Retry{Times: 3, Interval: 250 * time.Millisecond}, *st.Retry)
	assert.Equal(t, 1500*time.Millisecond, st.Expect.MaxDuration)
	assert.Len(t, st.Expect.Headers, 2)
	assert.True(t, scs[0].Steps[0].Unchecked)
	assert.Len(t, scs[0].Examples, 2)
	roundTrip(t, sp, scs)
}

func spec(t testing.TB) *contactkit.Spec {
	t.Helper()
	s, err := contactkit.LoadSpec()
	require.NoError(t, err)
	return s
}
