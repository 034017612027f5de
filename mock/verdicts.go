package mock

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/contactkit/contactkit"
)

// verdictCacheSize bounds the verdict memory; when full it starts over.
const verdictCacheSize = 4096

// maxVerdictKey is the longest request target the verdict memory keeps: longer
// ones are judged every time, so the memory holds at most verdictCacheSize keys of
// this size whatever clients send, and a key is compared whole (no hash, no
// collision to fear).
const maxVerdictKey = 256

// verdictKey names a request without a body by what kin-openapi judges of it:
// method, path and query, when no operation has a header or cookie parameter. They
// are taken from the URL the router and the validator read (not the request line,
// which a request built in-process need not agree with).
type verdictKey struct {
	method, path, query string
}

// verdicts remembers the requests without a body that kin-openapi found valid,
// with their route and paging, so a repeated one (a front end polling page 1, a
// load test) skips routing and validation. The verdict is a pure function of the
// key, so the answer is the same; the bearer check still runs every time, and a
// create (which has a body) is never remembered.
type verdicts struct {
	// mu guards m.
	mu sync.RWMutex
	m  map[verdictKey]route
}

// newVerdicts returns a verdict memory for spec, or nil (every request judged in
// full) when some operation reads a header or a cookie: then method, path and
// query would no longer decide the verdict, and a remembered one could pass a
// request the contract refuses.
func newVerdicts(spec *contactkit.Spec) (*verdicts, error) {
	for _, op := range spec.Ops() {
		if op.HeaderOrCookieParams {
			return nil, fmt.Errorf("operation %s has header or cookie parameters", op.ID)
		}
	}
	return &verdicts{}, nil
}

// key returns the key r is remembered under, and false when r is not to be
// remembered (no memory, or a target too long).
func (v *verdicts) key(r *http.Request) (verdictKey, bool) {
	if v == nil {
		return verdictKey{}, false
	}
	k := verdictKey{method: r.Method, path: r.URL.EscapedPath(), query: r.URL.RawQuery}
	if len(k.method)+len(k.path)+len(k.query) > maxVerdictKey {
		return verdictKey{}, false
	}
	return k, true
}

func (v *verdicts) get(k verdictKey) (route, bool) {
	v.mu.RLock()
	rt, ok := v.m[k]
	v.mu.RUnlock()
	return rt, ok
}

// put remembers rt for k, with copies of its strings: the request's are slices of
// the whole request line.
func (v *verdicts) put(k verdictKey, rt route) {
	k = verdictKey{method: ownMethod(k.method), path: strings.Clone(k.path), query: strings.Clone(k.query)}
	params := make(map[string]string, len(rt.params))
	for name, value := range rt.params {
		params[name] = strings.Clone(value)
	}
	rt.params = params
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= verdictCacheSize {
		v.m = make(map[verdictKey]route, 64)
	}
	v.m[k] = rt
}
