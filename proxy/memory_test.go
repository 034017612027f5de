package proxy

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/journal"
)

// pages is a target whose every app holds pages of 50 contacts of its own, as a
// big honest server's would: list traffic for the session model to learn.
func pages(perPage int, pad string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		app := strings.TrimPrefix(r.URL.Path, "/contacts/")
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var rows []string
		for i := range perPage {
			n := page*perPage + i
			rows = append(rows, fmt.Sprintf(`{"id":"%08x-%04x-4000-8000-%012d","phone":%d,"tag":"Budi %s%d","is_blocked":%t,"created_at":"2024-05-14T11:51:48.000+07:00"}`,
				len(app)*7919+int(app[len(app)-1]), page%0xffff, n, 6281200000000+n, pad, n, n%3 == 0))
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[%s],"meta":{"total":%d,"limit":%d,"current_page":%d,"first_page":1,"previous_page":%s,"next_page":%d,"last_page":1000}}`,
			strings.Join(rows, ","), 1000*perPage, perPage, page, prevPage(page), page+1)
	}
}

func prevPage(p int) string {
	if p <= 1 {
		return "null"
	}
	return strconv.Itoa(p - 1)
}

// heap is the live heap after a collection.
func heap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestModelBoundedInBytes: the session model learns every contact list traffic
// shows it, across apps; what it keeps is bounded in bytes by a quarter of
// MaxMemory, whatever the names weigh, forgetting its oldest first, and the
// journal says so once.
func TestModelBoundedInBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		pad  string
	}{
		{"honest names", ""},
		{"heavy names", strings.Repeat("x", 900)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const budget = 8 << 20
			r := newRig(t, pages(50, tc.pad), Config{MaxMemory: budget, Journal: journal.Config{MaxBody: -1}})
			before := heap()
			for app := range 40 {
				for page := 1; page <= 12; page++ {
					a := r.do("GET", fmt.Sprintf("/contacts/app%d?page=%d&limit=50", app, page), "")
					require.Equal(t, 200, a.status)
				}
			}
			grew := int64(heap()) - int64(before)
			t.Logf("%s: the proxy holds %.1f MB more after 24,000 contacts of 40 apps", tc.name, float64(grew)/1e6)
			assert.Less(t, grew, int64(budget/2), "%s: heap kept by the proxy (its model, journal and caches), want under half of MaxMemory", tc.name)
			r.proxy.model.mu.Lock()
			apps := r.proxy.model.bytes
			r.proxy.model.mu.Unlock()
			t.Logf("%s: the model counts %d KiB of apps (%d forgotten), %d KiB of contacts (%d forgotten)", tc.name, apps>>10, r.proxy.model.evicted, r.proxy.model.shared.Bytes()>>10, r.proxy.model.shared.Forgotten())
			assert.LessOrEqual(t, apps+r.proxy.model.shared.Bytes(), int64(budget/4), "%s: bytes the model counts, want a quarter of MaxMemory at most", tc.name)
			notes := 0
			for _, e := range r.proxy.Journal().Entries(journal.Filter{}) {
				if strings.Contains(e.Problem, "session model reached its bound") {
					notes++
				}
			}
			assert.Equal(t, 1, notes, "%s: the journal says once that the model forgets", tc.name)
			assert.Equal(t, 1, strings.Count(r.logs.String(), "session model at its bound"), "%s: and the log", tc.name)
		})
	}
}
