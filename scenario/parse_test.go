package scenario_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

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
		"name: a\nsteps:\n  - name: s\n    method: GET\n    path: /x\n    expect: {status: [404, 405], on: {404: {/m: {length: {min: 1}}}}}\n",
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

func spec(t testing.TB) *contactkit.Spec {
	t.Helper()
	s, err := contactkit.LoadSpec()
	require.NoError(t, err)
	return s
}
