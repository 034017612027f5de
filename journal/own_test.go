package journal

import (
	"net/http"
	"strings"
	"testing"
	"unsafe"
)

// TestEntryOwnsItsStrings: what an entry keeps is clipped and copied, never a
// slice of what the server read, which would keep all of it in memory (a 1 MB
// header behind a 1 KB clip).
func TestEntryOwnsItsStrings(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	j := New(Config{})
	e := j.Add(Exchange{
		Method:        big,
		URI:           "/" + big,
		Problem:       big,
		RequestHeader: http.Header{"X-Big": {big}},
		RequestBody:   []byte(big),
	})
	inside := func(s string) bool {
		p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(big)))
		return len(s) > 0 && p >= lo && p < lo+uintptr(len(big))
	}
	for name, s := range map[string]string{"method": e.Method, "problem": e.Problem, "header": e.Request.Header.Get("X-Big")} {
		if inside(s) {
			t.Errorf("entry %s shares the request's memory, want a copy", name)
		}
		if len(s) >= len(big) {
			t.Errorf("entry %s is %d bytes, want it clipped", name, len(s))
		}
	}
}
