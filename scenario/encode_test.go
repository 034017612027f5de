package scenario_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/fixtures"
	"github.com/contactkit/contactkit/scenario"
)

// roundTrip encodes scs, parses the file back and requires the same scenarios,
// and the same file when encoded again.
func roundTrip(t *testing.T, spec *contactkit.Spec, scs []*scenario.Scenario) {
	t.Helper()
	var first bytes.Buffer
	require.NoError(t, scenario.Encode(&first, []string{"a header", "of two lines"}, scs...), "encode")
	back, err := scenario.Parse(spec, "again.yaml", first.Bytes())
	require.NoError(t, err, "what Encode writes must load:\n%s", first.String())
	require.Len(t, back, len(scs), "scenarios read back")
	for i := range scs {
		assert.Equal(t, plain(t, scs[i]), plain(t, back[i]), "scenario %q read back:\n%s", scs[i].Name, first.String())
	}
	var second bytes.Buffer
	require.NoError(t, scenario.Encode(&second, []string{"a header", "of two lines"}, back...), "encode again")
	assert.Equal(t, first.String(), second.String(), "encoding what was read back")
}

// plain is a scenario as JSON with what the file does not carry (where it was
// read, comments) left out, and values compared as JSON compares them.
func plain(t *testing.T, sc *scenario.Scenario) any {
	t.Helper()
	c := *sc
	c.File, c.Line, c.Comment = "", 0, nil
	var steps []scenario.Step
	for _, st := range append(append([]*scenario.Step{}, c.Steps...), c.Cleanup...) {
		s := *st
		s.File, s.Line = "", 0
		for _, as := range append([][]scenario.Assertion{s.Expect.Body}, slices.Collect(maps.Values(s.Expect.On))...) {
			for i := range as {
				as[i].Line = 0
			}
		}
		for i := range s.Capture {
			s.Capture[i].Line = 0
		}
		for i := range s.Expect.Headers {
			s.Expect.Headers[i].Line = 0
		}
		steps = append(steps, s)
	}
	for i := range c.Vars {
		c.Vars[i].Line = 0
	}
	for i := range c.Examples {
		c.Examples[i].Line = 0
	}
	c.Steps, c.Cleanup = nil, nil
	b, err := json.Marshal(struct {
		S     scenario.Scenario
		Steps []scenario.Step
	}{c, steps})
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v))
	return v
}

// TestEncodeRoundTrips writes every scenario of the default suite and reads it
// back unchanged.
func TestEncodeRoundTrips(t *testing.T) {
	sp := spec(t)
	entries, err := fs.ReadDir(fixtures.Suite, ".")
	require.NoError(t, err)
	for _, e := range entries {
		data, err := fs.ReadFile(fixtures.Suite, e.Name())
		require.NoError(t, err)
		scs, err := scenario.Parse(sp, e.Name(), data)
		require.NoError(t, err, e.Name())
		roundTrip(t, sp, scs)
	}
}

// TestEncodeKeepsValues: integers past int64, text that reads as a number, null
// and nested objects come back as the same JSON values.
func TestEncodeKeepsValues(t *testing.T) {
	sp := spec(t)
	raw := `[{"name":"x`
	sc := &scenario.Scenario{Name: "values", Tags: []string{"t"}, Steps: []*scenario.Step{
		{Name: "body", Op: contactkit.OpCreateContacts, HasBody: true, Auth: scenario.AuthToken,
			Body:   []any{map[string]any{"name": "123", "phone": json.Number("92233720368547758070"), "x": nil, "nested": map[string]any{"a": []any{true, 1.5}}}},
			Expect: scenario.Expect{Status: []int{201, 422}}},
		{Name: "raw", Op: contactkit.OpCreateContacts, RawBody: &raw, Auth: scenario.AuthNone, Reading: contactkit.ReadingCreateNotBatch,
			Expect: scenario.Expect{Status: []int{403}, Readings: map[int]string{404: contactkit.ReadingAuthRefusal}}},
	}}
	var buf bytes.Buffer
	require.NoError(t, scenario.Encode(&buf, nil, sc))
	back, err := scenario.Parse(sp, "v.yaml", buf.Bytes())
	require.NoError(t, err, buf.String())
	body, _ := json.Marshal(back[0].Steps[0].Body)
	assert.JSONEq(t, `[{"name":"123","phone":92233720368547758070,"x":null,"nested":{"a":[true,1.5]}}]`, string(body), "body read back")
	assert.Equal(t, raw, *back[0].Steps[1].RawBody, "raw body read back")
	assert.Equal(t, scenario.AuthNone, back[0].Steps[1].Auth)
	assert.Equal(t, contactkit.ReadingCreateNotBatch, back[0].Steps[1].Reading)
	assert.Equal(t, map[int]string{404: contactkit.ReadingAuthRefusal}, back[0].Steps[1].Expect.Readings)
}
