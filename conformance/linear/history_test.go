package linear

import (
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// op writes an event of client c from a to b ms, answering got.
func op(c int, k kind, a, b float64, got reply) *event {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	return &event{client: c, kind: k, call: ms(a), ret: ms(b), got: got}
}

func ok(blocked bool) reply { return reply{status: 200, blocked: blocked} }

var (
	gone    = reply{status: 404}
	deleted = reply{status: 200}
	created = reply{status: 201}
)

func total(n int64) reply { return reply{status: 200, total: n} }

func batch(c int, rows int, a, b float64) *event {
	e := op(c, create, a, b, created)
	e.rows = rows
	return e
}

// TestJudgeContact: the model of one contact, on histories written by hand,
// timing fixed: what overlaps may go in either order, what does not may not.
func TestJudgeContact(t *testing.T) {
	for _, tc := range []struct {
		name    string
		events  []*event
		want    porcupine.CheckResult
		culprit string // what the explanation names, for Illegal
	}{
		{"two PUTs in turn", []*event{op(0, put, 0, 1, ok(true)), op(1, put, 2, 3, ok(false))}, porcupine.Ok, ""},
		{"two PUTs at once, either first", []*event{op(0, put, 0, 3, ok(false)), op(1, put, 1, 2, ok(true))}, porcupine.Ok, ""},
		{"a lost update: two PUTs at once both flip from false", []*event{op(0, put, 0, 3, ok(true)), op(1, put, 1, 2, ok(true))}, porcupine.Illegal, "PUT"},
		{"two DELETEs at once, one wins", []*event{op(0, del, 0, 3, deleted), op(1, del, 1, 2, gone)}, porcupine.Ok, ""},
		{"two DELETEs at once both answer 200", []*event{op(0, del, 0, 3, deleted), op(1, del, 1, 2, deleted)}, porcupine.Illegal, "DELETE"},
		{"a GET under way with a DELETE sees it either way", []*event{op(0, del, 0, 3, deleted), op(1, get, 1, 2, ok(false)), op(2, get, 1, 2, gone)}, porcupine.Ok, ""},
		{"a GET after a DELETE returned still finds it", []*event{op(0, del, 0, 1, deleted), op(1, get, 2, 3, ok(false))}, porcupine.Illegal, "GET"},
		{"a GET after a PUT returned sees the old state", []*event{op(0, put, 0, 1, ok(true)), op(1, get, 2, 3, ok(false))}, porcupine.Illegal, "GET"},
		{"a PUT after a DELETE returned answers 200", []*event{op(0, del, 0, 1, deleted), op(1, put, 2, 3, ok(true))}, porcupine.Illegal, "PUT"},
		{"a toggle lost: the read after all sees it unchanged",
			[]*event{op(0, put, 0, 3, ok(true)), op(1, put, 1, 2, ok(false)), op(2, put, 1, 2.5, ok(true)), op(4, get, 4, 5, ok(false))}, porcupine.Illegal, "c5 GET"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := machine[contactState]{init: contactState{exists: true}, step: contactStep, describe: contactState.String}
			got, w := judge(m, tc.events, time.Second)
			require.Equal(t, tc.want, got, "%s: verdict", tc.name)
			if tc.want != porcupine.Illegal {
				assert.Nil(t, w, "%s: no explanation for a history that fits", tc.name)
				return
			}
			require.NotNil(t, w, "%s: an explanation", tc.name)
			story := w.story("is_blocked=false")
			assert.Contains(t, story, tc.culprit, "%s: %s", tc.name, story)
			assert.NotEqual(t, w.culprit.got, w.want, "%s: the culprit answered what the model says: %s", tc.name, story)
		})
	}
}

// TestJudgeTotal: the model of the list's total, on histories written by hand.
func TestJudgeTotal(t *testing.T) {
	for _, tc := range []struct {
		name    string
		events  []*event
		want    porcupine.CheckResult
		totals  []int64 // what the culprit read could have answered, for Illegal
		culprit string
	}{
		{"a read under way with a batch sees all of it or none",
			[]*event{batch(0, 3, 0, 3), op(1, read, 1, 2, total(10)), op(2, read, 1, 2, total(13)), op(3, read, 4, 5, total(13))}, porcupine.Ok, nil, ""},
		{"a read sees part of a batch",
			[]*event{batch(0, 3, 0, 3), op(1, read, 1, 2, total(11))}, porcupine.Illegal, []int64{10, 13}, "c2 read total"},
		{"a batch lost: the read after both sees one",
			[]*event{batch(0, 3, 0, 3), batch(1, 2, 0, 3), op(2, read, 4, 5, total(12))}, porcupine.Illegal, []int64{15}, "c3 read total"},
		{"reads go back: 13 then 10, while the batch is under way", // each read alone fits; the pair does not
			[]*event{batch(0, 3, 0, 9), op(1, read, 1, 2, total(13)), op(1, read, 3, 4, total(10))}, porcupine.Illegal, nil, "read total"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := machine[int64]{init: 10, step: totalStep, describe: describeTotal}
			got, w := judge(m, tc.events, time.Second)
			require.Equal(t, tc.want, got, "%s: verdict", tc.name)
			if tc.want != porcupine.Illegal {
				return
			}
			require.NotNil(t, w)
			assert.Contains(t, w.story("total 10"), tc.culprit, tc.name)
			if tc.totals != nil {
				assert.Equal(t, tc.totals, possibleTotals(10, tc.events, w.culprit), "%s: totals the culprit could read", tc.name)
			}
		})
	}
}

// TestStoryIsBounded: however long the order that explains a part, the story
// names the last few operations of it.
func TestStoryIsBounded(t *testing.T) {
	var events []*event
	for i := range 40 {
		events = append(events, op(0, put, float64(2*i), float64(2*i+1), ok(i%2 == 0)))
	}
	events = append(events, op(1, get, 100, 101, ok(true)))
	m := machine[contactState]{init: contactState{exists: true}, step: contactStep, describe: contactState.String}
	got, w := judge(m, events, time.Second)
	require.Equal(t, porcupine.Illegal, got)
	story := w.story("is_blocked=false")
	assert.Contains(t, story, "after 36 earlier operations", story)
	assert.Less(t, len(story), 600, story)
	assert.Equal(t, 4, strings.Count(story, "→"), story)
}
