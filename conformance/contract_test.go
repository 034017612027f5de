package conformance_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/conformance"
)

// changedLimitSpec is the contract with listContacts' limit maximum lowered from
// its documented value to 20.
func changedLimitSpec(t *testing.T) *contactkit.Spec {
	t.Helper()
	const from, to = "maximum: 50\n            default: 10", "maximum: 20\n            default: 10"
	src := contactkit.Contract()
	require.Equal(t, 1, bytes.Count(src, []byte(from)), "the contract's limit schema reads %q", from)
	doc, err := contactkit.Parse(bytes.Replace(src, []byte(from), []byte(to), 1))
	require.NoError(t, err, "parse the changed contract")
	spec, err := contactkit.NewSpec(doc)
	require.NoError(t, err, "index the changed contract")
	require.EqualValues(t, 20, spec.Paging.Limit.Max, "changed limit maximum")
	return spec
}

// TestRunnerFollowsTheContract changes the contract's limit maximum in a copy: the
// runner's checks and the default suite's {{limit_max}} follow it, so a target that
// honours the new bound passes and one that keeps the old bound fails.
func TestRunnerFollowsTheContract(t *testing.T) {
	spec := changedLimitSpec(t)

	follows := newDouble(flawNone)
	follows.paging = spec.Paging
	var mu sync.Mutex
	var queries []string // what the suite asked for
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.RawQuery)
		mu.Unlock()
		follows.ServeHTTP(w, r)
	}))
	defer srv.Close()
	rep := runAgainst(t, srv, func(c *conformance.Config) { c.Spec = spec })
	assert.Empty(t, failures(rep), "a double with the changed bound, against the changed contract: findings")
	mu.Lock()
	all := strings.Join(queries, "\n")
	mu.Unlock()
	assert.Contains(t, all, "limit=20", "the suite asks for the changed maximum")
	assert.Contains(t, all, "limit=21", "the suite asks for one above the changed maximum")
	assert.NotContains(t, all, "limit=50", "the suite still asks for the embedded maximum")

	stale := httptest.NewServer(newDouble(flawNone)) // still honours the embedded 50
	defer stale.Close()
	rep = runAgainst(t, stale, func(c *conformance.Config) { c.Spec = spec })
	got := strings.Join(failures(rep), "\n")
	assert.Contains(t, got, "limit=21 was honoured above the documented max of 20", "a double with the old bound, against the changed contract")
}
