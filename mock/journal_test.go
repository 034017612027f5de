package mock

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJournalKeepsExchanges(t *testing.T) {
	m := newMock(t, Config{})
	empty := m.do("GET", "/__admin/requests", "")
	assert.Contains(t, string(empty.raw), `"data":[]`, "an empty journal is []")

	const secret = "Bearer dev-token-0123456789"
	m.do("POST", "/contacts/app", `[{"name":"Budi","phone":6281234567890}]`, "Authorization: "+secret)
	m.do("GET", "/contacts/app?page=0", "")
	m.do("GET", "/contacts/other?limit=2", "")

	r := m.do("GET", "/__admin/requests", "")
	assert.NotContains(t, string(r.raw), "dev-token-0123456789", "the token never shows")
	assert.NotContains(t, string(r.raw), "dev-toke", "nor its start")
	entries := r.data()
	require.Len(t, entries, 3)
	create := entries[0].(map[string]any)
	req := create["request"].(map[string]any)
	assert.Equal(t, `[{"name":"Budi","phone":6281234567890}]`, req["body"], "the request body is kept")
	assert.Equal(t, []any{"Bearer ***"}, req["headers"].(map[string]any)["Authorization"], "the token as Bearer ***")
	resp := create["response"].(map[string]any)
	assert.Contains(t, resp["body"], `"statusCode":201`, "the answer body is kept")
	assert.Equal(t, []any{"application/json"}, resp["headers"].(map[string]any)["Content-Type"])
	assert.Equal(t, "app", create["app"])
	assert.Empty(t, create["violations"], "a valid exchange has no violation")

	bad := entries[1].(map[string]any)
	assert.Equal(t, 400.0, bad["status"])
	v := bad["violations"].([]any)
	require.Len(t, v, 1, "a request the contract refuses is the verdict")
	assert.Equal(t, "request", v[0].(map[string]any)["check"])

	for _, tc := range []struct {
		query string
		want  int
	}{
		{"status=400", 1}, {"status=2xx", 2}, {"op=createContacts", 1}, {"app=other", 1},
		{"since=" + strconv.Itoa(int(create["seq"].(float64))), 2}, {"since=2000-01-01T00:00:00Z", 3}, {"app=none", 0},
	} {
		got := m.do("GET", "/__admin/requests?"+tc.query, "")
		assert.Equal(t, 200, got.status, "?%s", tc.query)
		assert.Len(t, got.data(), tc.want, "?%s", tc.query)
	}
	assert.Equal(t, 400, m.do("GET", "/__admin/requests?colour=red", "").status, "an unknown filter is refused, not ignored")

	assert.Equal(t, 200, m.do("DELETE", "/__admin/requests", "").status)
	assert.Empty(t, m.do("GET", "/__admin/requests", "").data(), "DELETE clears it")
}

func TestJournalLiveFeed(t *testing.T) {
	m := newMock(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.http.URL+"/__admin/requests/stream?app=live", nil)
	require.NoError(t, err)
	resp, err := m.http.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))

	lines := bufio.NewScanner(resp.Body)
	require.True(t, lines.Scan(), "the feed opens with a comment")
	m.do("GET", "/contacts/not-this-one", "")
	m.do("GET", "/contacts/live?limit=1", "")
	var data string
	for lines.Scan() {
		if d, ok := strings.CutPrefix(lines.Text(), "data: "); ok {
			data = d
			break
		}
	}
	require.NotEmpty(t, data, "an event arrives: %v", lines.Err())
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(data), &e))
	assert.Equal(t, "/contacts/live?limit=1", e["path"], "the filtered feed sends the matching exchange")
}

func TestJournalOff(t *testing.T) {
	m := newMock(t, Config{JournalSize: -1})
	m.do("GET", "/contacts/app", "")
	assert.Empty(t, m.do("GET", "/__admin/requests", "").data(), "a journal of size -1 keeps nothing")
}
