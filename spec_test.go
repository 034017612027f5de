package contactkit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// documented lists, per operation, its method, path and the statuses the docs give it.
var documented = map[string]struct {
	method, path string
	statuses     []string
}{
	contactkit.OpListContacts:       {"GET", "/contacts/{appId}", []string{"200", "400", "403", "404"}},
	contactkit.OpGetContact:         {"GET", "/contacts/{appId}/{contactId}", []string{"200", "403", "404"}},
	contactkit.OpCreateContacts:     {"POST", "/contacts/{appId}", []string{"201", "403", "404", "422"}},
	contactkit.OpToggleContactBlock: {"PUT", "/contacts/{appId}/{contactId}", []string{"200", "403", "404"}},
	contactkit.OpDeleteContact:      {"DELETE", "/contacts/{appId}/{contactId}", []string{"200", "403", "404"}},
}

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := contactkit.Load()
	require.NoError(t, err, "embedded contract must load and validate")
	return doc
}

func TestLoadOperations(t *testing.T) {
	doc := load(t)
	assert.Equal(t, "3.0.3", doc.OpenAPI)

	seen := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			want, ok := documented[op.OperationID]
			if !assert.True(t, ok, "%s %s has undocumented operationId %q", method, path, op.OperationID) {
				continue
			}
			seen[op.OperationID] = true
			assert.Equal(t, want.method+" "+want.path, method+" "+path, "route of %s", op.OperationID)

			var statuses []string
			for status, resp := range op.Responses.Map() {
				statuses = append(statuses, status)
				require.NotNil(t, resp.Value, "%s %s response", op.OperationID, status)
				media := resp.Value.Content.Get("application/json")
				if assert.NotNil(t, media, "%s %s: application/json content", op.OperationID, status) {
					assert.NotNil(t, media.Schema, "%s %s: schema", op.OperationID, status)
					assert.Contains(t, media.Examples, "docs", "%s %s: the docs' example", op.OperationID, status)
				}
			}
			sort.Strings(statuses)
			assert.Equal(t, want.statuses, statuses, "documented statuses of %s", op.OperationID)

			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			require.Len(t, security, 1, "%s security", op.OperationID)
			_, bearer := security[0]["bearerAuth"]
			assert.True(t, bearer, "%s must require bearerAuth", op.OperationID)
		}
	}
	assert.Len(t, seen, len(documented), "every documented operation is in the contract")

	scheme := doc.Components.SecuritySchemes["bearerAuth"]
	require.NotNil(t, scheme)
	assert.Equal(t, "http", scheme.Value.Type)
	assert.Equal(t, "bearer", scheme.Value.Scheme)
}

func TestListParameters(t *testing.T) {
	op := load(t).Paths.Find("/contacts/{appId}").Get
	for _, tc := range []struct {
		name          string
		min, max, def float64
	}{
		{"page", 1, 0, 1},
		{"limit", 1, 50, 10},
	} {
		p := op.Parameters.GetByInAndName("query", tc.name)
		require.NotNil(t, p, "query parameter %s", tc.name)
		s := p.Schema.Value
		assert.True(t, s.Type.Is("integer"), "%s type", tc.name)
		assert.Equal(t, tc.min, *s.Min, "%s minimum", tc.name)
		if tc.max > 0 {
			assert.Equal(t, tc.max, *s.Max, "%s maximum", tc.name)
		}
		assert.EqualValues(t, tc.def, s.Default, "%s default", tc.name)
	}
}

// Parse must refuse a contract whose example breaks its schema, or the example
// tests below would prove nothing.
func TestParseRejectsBadExample(t *testing.T) {
	broken := bytes.Replace(contactkit.Contract(),
		[]byte("                    tag: John Doe\n"), []byte("                    tag: 42\n"), 1)
	require.NotEqual(t, contactkit.Contract(), broken, "the replacement must hit")
	_, err := contactkit.Parse(broken)
	assert.Error(t, err, "a list example with a numeric tag must fail validation")
}

// example is one example of a request or response body, with the schema it must meet.
type example struct {
	name   string
	schema *openapi3.Schema
	value  any
}

func examples(t *testing.T, doc *openapi3.T) []example {
	t.Helper()
	var out []example
	for _, id := range slices.Sorted(maps.Keys(documented)) {
		op := operation(doc, id)
		if op.RequestBody != nil {
			media := op.RequestBody.Value.Content.Get("application/json")
			for name, ex := range media.Examples {
				out = append(out, example{id + " request " + name, media.Schema.Value, normalize(t, ex.Value.Value)})
			}
		}
		for status, resp := range op.Responses.Map() {
			media := resp.Value.Content.Get("application/json")
			for name, ex := range media.Examples {
				out = append(out, example{id + " " + status + " " + name, media.Schema.Value, normalize(t, ex.Value.Value)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func TestExamplesValidate(t *testing.T) {
	for _, ex := range examples(t, load(t)) {
		assert.NoError(t, ex.schema.VisitJSON(ex.value, contactkit.SchemaOptions()...), "example %s", ex.name)
	}
}

// TestBrokenExamplesRejected breaks every example in every way its schema forbids:
// each required field removed, each value given a wrong type. Every broken copy must
// be rejected, so no schema is vacuous.
func TestBrokenExamplesRejected(t *testing.T) {
	for _, ex := range examples(t, load(t)) {
		t.Run(ex.name, func(t *testing.T) {
			ms := mutations(ex.schema, ex.value, "")
			var removed, retyped int
			for _, m := range ms {
				if m.removed {
					removed++
				} else {
					retyped++
				}
				broken := m.apply(deepCopy(t, ex.value))
				assert.Error(t, ex.schema.VisitJSON(broken, contactkit.SchemaOptions()...), "%s: broken copy accepted", m.desc)
			}
			assert.Positive(t, retyped, "no wrong-type mutation for %s", ex.name)
			if ex.schema.Type.Is("object") {
				assert.Positive(t, removed, "no missing-field mutation for %s", ex.name)
			}
		})
	}
}

func TestBoundsRejected(t *testing.T) {
	doc := load(t)
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	for _, tc := range []struct {
		schema string
		value  string
	}{
		{"NewContacts", `[]`},
		{"NewContacts", `{"name":"John Doe","phone":6280000000000}`},
		{"NewContacts", `[{"name":"","phone":6280000000000}]`},
		{"NewContacts", `[{"name":"John Doe","phone":6280000000000.5}]`},
		{"NewContacts", `[{"name":"John Doe","phone":"6280000000000"}]`},
		{"ValidationErrors", `{}`},
		{"Code", `"TEAPOT"`},
		{"StatusCode", `418`},
		{"PageMeta", `{"total":1,"limit":51,"current_page":1,"first_page":1,"previous_page":null,"next_page":null,"last_page":1}`},
		{"PageMeta", `{"total":1,"limit":10,"current_page":0,"first_page":1,"previous_page":null,"next_page":null,"last_page":1}`},
		{"Contact", `{"id":"not-a-uuid","phone":6280000000000,"tag":"John Doe","is_blocked":false,"created_at":"2024-05-14T11:51:48.000+07:00"}`},
		{"Contact", `{"id":"abc5ea66-11ad-11ef-8e7a-00155d34f1bf","phone":6280000000000,"tag":"John Doe","is_blocked":false,"created_at":"yesterday"}`},
	} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(tc.value), &v))
		assert.Error(t, schema(tc.schema).VisitJSON(v, contactkit.SchemaOptions()...), "%s accepted %s", tc.schema, tc.value)
	}
}

// TestExamplesEqualDocs compares each "docs" example in the contract with the JSON
// printed in the API documentation, which the repository keeps as it was given
// (docs/contacts-api-docs.txt), so the test runs in any clone.
func TestExamplesEqualDocs(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("docs", "contacts-api-docs.txt"))
	require.NoError(t, err, "the API documentation, kept in docs/")
	doc := load(t)

	found := docsExamples(t, string(text))
	require.Len(t, found, 18, "the docs hold 17 response examples and one request body")
	for key, want := range found {
		op := operation(doc, key.operation)
		var media *openapi3.MediaType
		if key.status == "request" {
			media = op.RequestBody.Value.Content.Get("application/json")
		} else {
			resp := op.Responses.Value(key.status)
			require.NotNil(t, resp, "%s has no %s response", key.operation, key.status)
			media = resp.Value.Content.Get("application/json")
		}
		ex := media.Examples["docs"]
		require.NotNil(t, ex, "%s %s has no docs example", key.operation, key.status)
		assert.Equal(t, want, normalize(t, ex.Value.Value), "%s %s example", key.operation, key.status)
	}
}

type docsKey struct{ operation, status string }

var (
	routeLine     = regexp.MustCompile(`(?m)^(GET|POST|PUT|DELETE) (/contacts/\S+)$`)
	elisionLine   = regexp.MustCompile(`(?m)^\s*// \.\.\.\s*$`)
	trailingComma = regexp.MustCompile(`,(\s*[\]}])`)
)

// docsExamples extracts the JSON examples from the documentation text: after each
// route line, an optional "Body Raw" array, then the responses back to back.
func docsExamples(t *testing.T, text string) map[docsKey]any {
	t.Helper()
	operations := map[string]string{
		"GET /contacts/:appId":               contactkit.OpListContacts,
		"GET /contacts/:appId/:contactId":    contactkit.OpGetContact,
		"POST /contacts/:appId":              contactkit.OpCreateContacts,
		"PUT /contacts/:appId/:contactId":    contactkit.OpToggleContactBlock,
		"DELETE /contacts/:appId/:contactId": contactkit.OpDeleteContact,
	}
	text = trailingComma.ReplaceAllString(elisionLine.ReplaceAllString(text, ""), "$1")
	found := map[docsKey]any{}
	locs := routeLine.FindAllStringSubmatchIndex(text, -1)
	require.Len(t, locs, 5, "route lines in the docs")
	for i, loc := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		section := text[loc[1]:end]
		id := operations[text[loc[2]:loc[3]]+" "+text[loc[4]:loc[5]]]
		require.NotEmpty(t, id, "unknown route %q", text[loc[0]:loc[1]])

		if at := strings.Index(section, "Body Raw"); at >= 0 {
			var body any
			require.NoError(t, json.NewDecoder(strings.NewReader(section[at+len("Body Raw"):])).Decode(&body), "%s body", id)
			found[docsKey{id, "request"}] = body
		}
		at := strings.Index(section, "Response")
		require.GreaterOrEqual(t, at, 0, "%s has no Response", id)
		dec := json.NewDecoder(strings.NewReader(section[at+len("Response"):]))
		for {
			var resp map[string]any
			if err := dec.Decode(&resp); err != nil {
				break // the next section's prose
			}
			status := strconv.Itoa(int(resp["statusCode"].(float64)))
			found[docsKey{id, status}] = any(resp)
		}
	}
	return found
}

// mutation is one way to break an example.
type mutation struct {
	desc    string
	removed bool
	apply   func(root any) any
}

// mutations lists every required-field removal and wrong-type replacement that the
// schema must reject, walking the example along the schema.
func mutations(schema *openapi3.Schema, value any, pointer string) []mutation {
	var out []mutation
	wrong := wrongType(schema)
	out = append(out, mutation{
		desc:  fmt.Sprintf("%s given %T", orRoot(pointer), wrong),
		apply: func(root any) any { return set(root, pointer, wrong) },
	})
	switch v := value.(type) {
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			child := pointer + "/" + key
			if slices.Contains(schema.Required, key) {
				out = append(out, mutation{
					desc:    child + " removed",
					removed: true,
					apply:   func(root any) any { return set(root, child, nil, true) },
				})
			}
			if prop := schema.Properties[key]; prop != nil {
				out = append(out, mutations(prop.Value, v[key], child)...)
			} else if ap := schema.AdditionalProperties.Schema; ap != nil {
				out = append(out, mutations(ap.Value, v[key], child)...)
			}
		}
	case []any:
		if len(v) > 0 && schema.Items != nil {
			out = append(out, mutations(schema.Items.Value, v[0], pointer+"/0")...)
		}
	}
	return out
}

func wrongType(schema *openapi3.Schema) any {
	switch {
	case schema.Type.Is("string"):
		return 12345.0
	case schema.Type.Is("boolean"), schema.Type.Is("integer"), schema.Type.Is("number"):
		return "12345"
	case schema.Type.Is("array"):
		return map[string]any{"not": "an array"}
	default:
		return []any{"not an object"}
	}
}

// set replaces (or, with del, removes) the value at pointer in root and returns root.
func set(root any, pointer string, value any, del ...bool) any {
	if pointer == "" {
		return value
	}
	parts := strings.Split(pointer[1:], "/")
	node := root
	for _, p := range parts[:len(parts)-1] {
		switch n := node.(type) {
		case map[string]any:
			node = n[p]
		case []any:
			i, _ := strconv.Atoi(p)
			node = n[i]
		}
	}
	last := parts[len(parts)-1]
	switch n := node.(type) {
	case map[string]any:
		if len(del) > 0 && del[0] {
			delete(n, last)
		} else {
			n[last] = value
		}
	case []any:
		i, _ := strconv.Atoi(last)
		n[i] = value
	}
	return root
}

func orRoot(pointer string) string {
	if pointer == "" {
		return "/"
	}
	return pointer
}

func operation(doc *openapi3.T, id string) *openapi3.Operation {
	d := documented[id]
	return doc.Paths.Find(d.path).GetOperation(d.method)
}

// normalize turns a YAML-decoded value into what encoding/json would decode.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	dec := json.NewDecoder(bytes.NewReader(b))
	require.NoError(t, dec.Decode(&out))
	_, err = dec.Token()
	require.ErrorIs(t, err, io.EOF)
	return out
}

func deepCopy(t *testing.T, v any) any { return normalize(t, v) }

func TestCodeAndDocsMessage(t *testing.T) {
	spec, err := contactkit.LoadSpec()
	require.NoError(t, err)
	for _, tc := range []struct {
		op        string
		status    int
		code, msg string
	}{
		{contactkit.OpListContacts, 200, "OK", "The request has been successfully processed."},
		{contactkit.OpListContacts, 400, "BAD_REQUEST", "The request body does not contain valid data."},
		{contactkit.OpGetContact, 403, "FORBIDDEN", "You do not have access to this resource."},
		{contactkit.OpCreateContacts, 201, "CREATED", "Data has been successfully inserted."},
		{contactkit.OpCreateContacts, 422, "UNPROCESSABLE_ENTITY", "Data cannot be processed as it is invalid."},
		{contactkit.OpDeleteContact, 200, "OK", "Data has been successfully deleted."},
		{contactkit.OpDeleteContact, 404, "NOT_FOUND", "The endpoint you are looking for seems to be not found."},
		{contactkit.OpDeleteContact, 422, "UNPROCESSABLE_ENTITY", ""},
		{"noSuchOperation", 200, "OK", ""},
	} {
		assert.Equal(t, tc.code, contactkit.Code(tc.status), "Code(%d)", tc.status)
		msg := ""
		if op := spec.Op(tc.op); op != nil {
			msg = op.Message(tc.status)
		}
		assert.Equal(t, tc.msg, msg, "Op(%s).Message(%d)", tc.op, tc.status)
	}
	assert.Empty(t, contactkit.Code(500), "Code(500)")
}
