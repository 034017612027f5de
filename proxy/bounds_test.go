package proxy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestModelIsBounded sends what would grow the session model without end: many
// app ids, long app ids, long contact ids, many created rows. It stays capped.
func TestModelIsBounded(t *testing.T) {
	r := newRig(t, newDouble(spec(t), flawNone), Config{})
	for i := range maxModelApps + 20 {
		r.do("GET", fmt.Sprintf("/contacts/app-%d?limit=1", i), "")
	}
	r.do("GET", "/contacts/"+strings.Repeat("a", maxModelAppLen+1), "")
	r.proxy.model.mu.Lock()
	apps := len(r.proxy.model.apps)
	r.proxy.model.mu.Unlock()
	assert.Equal(t, maxModelApps, apps, "apps the model tracks")

	long := strings.Repeat("x", 300)
	r.do("POST", "/contacts/app-1", `[{"name":"`+long+strings.Repeat("y", maxModelName)+`","phone":6281200000001}]`)
	r.proxy.model.mu.Lock()
	pending := len(r.proxy.model.apps["app-1"].pending)
	r.proxy.model.mu.Unlock()
	assert.Zero(t, pending, "a name longer than any contact's is not tracked")
}
