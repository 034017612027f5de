package mock

import (
	"net/http"
	"slices"
	"strings"
)

// CORS, as a browser needs it. The API answers the origins of --cors-origin (any,
// by default): "*" answers every origin with "*"; a list answers the matching
// origin by name, with Vary: Origin. A preflight's Access-Control-Request-Headers
// are allowed as asked when they are a short list of header names. /__admin/ gets
// no CORS at all unless Config.AdminCORSOrigins names the origin, so a page on
// another origin can neither read the journal nor preflight a state change.

// Bounds on a preflight's Access-Control-Request-Headers echoed back; past them the
// mock allows its own list instead.
const (
	maxRequestHeaders     = 32
	maxRequestHeaderBytes = 1024
)

// corsHeadersDefault are the headers a preflight allows when it asks for none
// (or for a list the mock will not echo).
var corsHeadersDefault = []string{"Authorization, Content-Type, Prefer"}

// cors is the mock's CORS policy, built once by New.
type cors struct {
	any     bool
	origins []string
	admin   []string
	methods []string // for Access-Control-Allow-Methods
}

func newCORS(cfg *Config, methods []string) cors {
	c := cors{methods: []string{strings.Join(append(methods, http.MethodOptions), ", ")}}
	for _, o := range append([]string{cfg.CORSOrigin}, cfg.CORSOrigins...) {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		switch {
		case o == "":
		case o == "*":
			c.any = true
		default:
			c.origins = append(c.origins, o)
		}
	}
	for _, o := range cfg.AdminCORSOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" && o != "*" {
			c.admin = append(c.admin, o)
		}
	}
	return c
}

// write sets the CORS headers of an answer to r.
func (c *cors) write(h http.Header, r *http.Request, a *answer) {
	origin := r.Header.Get("Origin")
	admin := strings.HasPrefix(r.URL.Path, "/__admin/")
	switch {
	case admin:
		if len(c.admin) == 0 {
			return // not a web page's to call
		}
		h["Vary"] = hdrVary
		if origin == "" || !slices.Contains(c.admin, origin) {
			return
		}
		h["Access-Control-Allow-Origin"] = []string{origin}
	case c.any:
		h["Access-Control-Allow-Origin"] = hdrAny
	default:
		h["Vary"] = hdrVary
		if origin == "" || !slices.Contains(c.origins, origin) {
			return
		}
		h["Access-Control-Allow-Origin"] = []string{origin}
	}
	if a.preflight {
		h["Access-Control-Allow-Methods"] = c.methods
		h["Access-Control-Allow-Headers"] = allowedHeaders(r.Header.Values("Access-Control-Request-Headers"))
		h["Access-Control-Max-Age"] = hdrMaxAge
		return
	}
	var expose []string
	if a.applied != "" {
		expose = append(expose, "Preference-Applied")
	}
	if a.header.Get("Retry-After") != "" {
		expose = append(expose, "Retry-After")
	}
	if len(expose) > 0 {
		h["Access-Control-Expose-Headers"] = []string{strings.Join(expose, ", ")}
	}
}

var (
	hdrAny    = []string{"*"}
	hdrMaxAge = []string{"600"}
)

// allowedHeaders echoes a preflight's requested headers when they are a bounded
// list of header names (RFC 9110 tokens), else the mock's own list.
func allowedHeaders(values []string) []string {
	joined := strings.Join(values, ",")
	if joined == "" || len(joined) > maxRequestHeaderBytes {
		return corsHeadersDefault
	}
	names := strings.Split(joined, ",")
	if len(names) > maxRequestHeaders {
		return corsHeadersDefault
	}
	kept := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !isToken(n) {
			return corsHeadersDefault
		}
		kept = append(kept, n)
	}
	if len(kept) == 0 {
		return corsHeadersDefault
	}
	return []string{strings.Join(kept, ", ")}
}

// isToken reports whether s is an RFC 9110 token, as a header name must be.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}
