package mock

import (
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/getkin/kin-openapi/routers"

	"github.com/contactkit/contactkit"
)

// verdictSlots is how many verdicts the memory holds, one per slot: a new one
// takes its key's slot from whichever verdict held it. A fixed table costs a
// request that is never repeated (a query made unique by a cache buster) one
// small allocation, where a growing map cost its growth.
const verdictSlots = 4096

// routeSlots is how many routes the route memory holds, by method and path.
const routeSlots = 1024

// maxVerdictKey is the longest request target the verdict memory keeps: longer
// ones are judged every time, so the memory holds at most verdictSlots keys of
// this size whatever clients send, and a key is compared whole (the hash only
// picks the slot).
const maxVerdictKey = 256

// verdictKey names a request without a body by what kin-openapi judges of it:
// method, path and query, when no operation has a header or cookie parameter. They
// are taken from the URL the router and the validator read (not the request line,
// which a request built in-process need not agree with).
type verdictKey struct {
	method, path, query string
}

// routeKey names what the router reads of a request: its method and path.
type routeKey struct {
	method, path string
}

type verdict struct {
	key verdictKey
	rt  route
}

type foundRoute struct {
	key    routeKey
	route  *routers.Route
	params map[string]string // read only
}

// verdicts remembers the requests without a body that kin-openapi found valid,
// with their route and paging, so a repeated one (a front end polling page 1, a
// load test) skips routing and validation; and, apart, the route of each method
// and path, so a new query on a known path skips routing. Both are pure
// functions of their keys, so the answer is the same; the bearer check still runs
// every time, and a create (which has a body) is never remembered. Slots are
// swapped whole, so readers take no lock.
type verdicts struct {
	seed   maphash.Seed
	slots  [verdictSlots]atomic.Pointer[verdict]
	routes [routeSlots]atomic.Pointer[foundRoute]
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
	return &verdicts{seed: maphash.MakeSeed()}, nil
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

func (v *verdicts) slot(k verdictKey) *atomic.Pointer[verdict] {
	return &v.slots[maphash.Comparable(v.seed, k)%verdictSlots]
}

func (v *verdicts) get(k verdictKey) (route, bool) {
	if e := v.slot(k).Load(); e != nil && e.key == k {
		return e.rt, true
	}
	return route{}, false
}

// put remembers rt for k, with copies of k's strings: the request's are slices of
// the whole request line. rt's route and parameters are the route memory's own
// (findRoute gave them for a key to remember), shared.
func (v *verdicts) put(k verdictKey, rt route) {
	k = verdictKey{method: ownMethod(k.method), path: strings.Clone(k.path), query: strings.Clone(k.query)}
	v.slot(k).Store(&verdict{key: k, rt: rt})
}

// findRoute is the contract's route for r and its path parameters, from the
// route memory or the router. A nil memory always asks the router.
func (v *verdicts) findRoute(router routers.Router, r *http.Request, k verdictKey, remember bool) (*routers.Route, map[string]string, error) {
	if !remember {
		return router.FindRoute(r)
	}
	rk := routeKey{method: k.method, path: k.path}
	slot := &v.routes[maphash.Comparable(v.seed, rk)%routeSlots]
	if e := slot.Load(); e != nil && e.key == rk {
		return e.route, e.params, nil
	}
	found, params, err := router.FindRoute(r)
	if err == nil {
		params = ownParams(params)
		slot.Store(&foundRoute{key: routeKey{method: ownMethod(rk.method), path: strings.Clone(rk.path)},
			route: found, params: params})
	}
	return found, params, err
}

// ownParams is a copy of path parameters that shares nothing with a request.
func ownParams(params map[string]string) map[string]string {
	out := make(map[string]string, len(params))
	for name, value := range params {
		out[strings.Clone(name)] = strings.Clone(value)
	}
	return out
}
