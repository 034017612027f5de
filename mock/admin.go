package mock

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/serve"
)

// The admin API, under /__admin/, is JSON in the API's envelope (but for an app's
// export, which is a data file). It is for the person or the test that runs the
// mock, never for a web page on another origin:
//
//   - with --admin-token, every call but GET /__admin/health needs it, as a bearer
//     token, or as the password of HTTP Basic (which a browser asks for once, so
//     the page at /__admin/ works);
//   - answers carry no CORS headers unless Config.AdminCORSOrigins names the
//     origin, so another origin's page cannot read them;
//   - a POST needs a JSON Content-Type or an X-Contactkit-Admin header, which no
//     HTML form can send, so a cross-origin form cannot change state (PUT and
//     DELETE cannot be sent cross-origin without a preflight at all).

// adminHeader is the custom header that makes a bodiless admin POST non-simple.
const adminHeader = "X-Contactkit-Admin"

// maxSeenApps bounds the app ids /__admin/apps remembers having served.
const maxSeenApps = 1000

// isAdminPath reports whether path is the admin API's or its page's.
func isAdminPath(path string) bool {
	return path == "/__admin" || strings.HasPrefix(path, "/__admin/")
}

// admin answers /__admin/.
func (s *Server) admin(r *http.Request) answer {
	path := r.URL.Path
	if r.Method == http.MethodGet && path == "/__admin/health" {
		return s.health(r) // liveness probes carry no token
	}
	if path == "/__admin" {
		return answer{status: http.StatusFound, header: http.Header{"Location": {"/__admin/"}}}
	}
	if s.loopback && !serve.LoopbackHost(r.Host) {
		// A page that rebinds its own name to 127.0.0.1 would be same-origin
		// with the mock; its requests still name its own host.
		return s.adminError(http.StatusForbidden, "a mock on loopback answers admin calls made to localhost, 127.0.0.1 or [::1] only")
	}
	if !s.adminAllowed(r) {
		if isPagePath(path) {
			// A browser asks the person for the token (as the password) once.
			a := s.adminError(http.StatusUnauthorized, "this page needs the --admin-token: any user name, the token as password")
			a.header = http.Header{"Www-Authenticate": {`Basic realm="contactkit mock admin", charset="UTF-8"`}}
			return a
		}
		return s.fail("", errAdminToken)
	}
	if r.Method == http.MethodPost && !nonSimple(r) {
		return s.adminError(http.StatusForbidden,
			"an admin POST needs Content-Type: application/json or an "+adminHeader+" header, so no HTML form on another site can send it")
	}
	switch {
	case isPagePath(path) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		return s.page(path)
	case path == "/__admin/reset" && r.Method == http.MethodPost:
		if err := s.reset(r.Context()); err != nil {
			return s.fail("", err)
		}
		return s.envelope("", http.StatusOK)
	case path == "/__admin/requests" || path == "/__admin/requests/stream":
		return answer{status: http.StatusOK, serve: s.journal.ServeHTTP} // status for the log
	case path == "/__admin/faults":
		return s.adminFaults(r)
	case path == "/__admin/apps" && r.Method == http.MethodGet:
		return s.adminData(map[string]any{"apps": s.knownApps()})
	case strings.HasPrefix(path, "/__admin/apps/"):
		return s.adminApp(r, strings.TrimPrefix(path, "/__admin/apps/"))
	}
	return s.fail("", errNoRoute)
}

// nonSimple reports whether a browser would have preflighted r: a JSON body, or
// the admin header.
func nonSimple(r *http.Request) bool {
	if r.Header.Get(adminHeader) != "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// adminAllowed reports whether r carries the admin token, when one is set: as a
// bearer token, or as the password of HTTP Basic (any user name).
func (s *Server) adminAllowed(r *http.Request) bool {
	if s.cfg.AdminToken == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	token, ok := bearer(h)
	if !ok {
		scheme, cred, found := strings.Cut(h, " ")
		if !found || !strings.EqualFold(scheme, "Basic") {
			return false
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return false
		}
		_, token, ok = strings.Cut(string(raw), ":")
		if !ok {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.AdminToken)) == 1
}

// reset puts every app back: the data file's apps to the file, the others to the
// seed (on their next use); the fault rules to those given at start.
func (s *Server) reset(ctx context.Context) error {
	if err := s.store.Reset(ctx); err != nil {
		return err
	}
	if err := s.faults.set(s.cfg.Faults); err != nil {
		return err
	}
	return s.applyData(ctx, s.store.Replace)
}

func (s *Server) health(r *http.Request) answer {
	apps, err := s.store.Apps(r.Context())
	if err != nil {
		return s.fail("", err)
	}
	return s.adminData(map[string]any{
		"status":    "ok",
		"apps":      apps,
		"uptime_ms": time.Since(s.started).Milliseconds(),
	})
}

// adminFaults lists (GET), adds (POST) or clears (DELETE) fault rules.
func (s *Server) adminFaults(r *http.Request) answer {
	switch r.Method {
	case http.MethodGet:
		return s.adminData(s.faults.list())
	case http.MethodDelete:
		s.faults.clear()
		return s.adminData(s.faults.list())
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFaultBody+1))
		if err != nil || len(body) > maxFaultBody {
			return s.adminError(http.StatusUnprocessableEntity, fmt.Sprintf("a fault rule body is at most %d bytes", maxFaultBody))
		}
		rules, err := decodeFaults(body)
		if err == nil {
			for i := range rules {
				if err = rules[i].check(s.spec, s.cfg.MaxDelay); err != nil {
					if len(rules) > 1 {
						err = fmt.Errorf("rule %d: %w", i, err)
					}
					break
				}
			}
		}
		if err == nil {
			rules, err = s.faults.add(rules)
		}
		if err != nil {
			return s.adminError(http.StatusUnprocessableEntity, err.Error())
		}
		return s.adminData(rules)
	}
	return s.fail("", errNoRoute)
}

// adminApp exports (GET), replaces (PUT) or empties (DELETE) one app's contacts.
func (s *Server) adminApp(r *http.Request, app string) answer {
	if app == "" || len(app) > maxDataAppID || strings.Contains(app, "/") {
		return s.adminError(http.StatusNotFound, fmt.Sprintf("want /__admin/apps/{app}, an app id of at most %d bytes", maxDataAppID))
	}
	ctx := r.Context()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		rows, err := s.store.Export(ctx, app)
		if err != nil {
			return s.fail("", err)
		}
		return answer{status: http.StatusOK, body: appendExport(nil, app, rows, s.zone)}
	case http.MethodDelete:
		if err := s.store.Empty(ctx, app); err != nil {
			return s.fail("", err)
		}
		return s.adminData(map[string]any{"app": app, "contacts": 0})
	case http.MethodPut:
		src, err := io.ReadAll(r.Body)
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return s.adminError(http.StatusUnprocessableEntity,
				fmt.Sprintf("the body is over --max-body (%d bytes); load a state this large with --data", s.cfg.MaxBody))
		} else if err != nil {
			return s.adminError(http.StatusUnprocessableEntity, "the body could not be read whole")
		}
		if e := scalarItems(src); e != nil {
			a := s.adminError(http.StatusUnprocessableEntity, "the contacts do not fit the contract; nothing was changed")
			return withErrors(a, map[string]string{e.key(): fmt.Sprintf("%s (line %d)", e.Msg, e.Line)})
		}
		// Reading rows costs memory by the values the body holds, far more than
		// its bytes for some (bare integers): the cost is taken from the memory
		// budget before anything is parsed, as a create's body is.
		held := int64(len(src)) + parseCost(src)
		if !s.budget.Take(held) {
			return s.adminError(http.StatusUnprocessableEntity, fmt.Sprintf(
				"reading this body would take about %d MiB, more than the memory budget (--max-memory %d MiB) has room for; send JSON, or fewer rows",
				held>>20, s.cfg.MaxMemory>>20))
		}
		defer s.budget.Give(held)
		l, err := newDataLoader("", &s.cfg, s.spec)
		if err != nil {
			return s.fail("", err)
		}
		l.maxApps = 1
		data, err := l.parse(src, app)
		var bad DataErrors
		if errors.As(err, &bad) {
			fields := make(map[string]string, len(bad))
			for _, e := range bad {
				msg := e.Msg
				if e.Field != "" && e.Row < 0 {
					msg = e.Field + ": " + msg
				}
				if e.Line > 0 {
					msg += fmt.Sprintf(" (line %d)", e.Line)
				}
				if _, dup := fields[e.key()]; !dup {
					fields[e.key()] = msg
				}
			}
			a := s.adminError(http.StatusUnprocessableEntity, "the contacts do not fit the contract; nothing was changed")
			return withErrors(a, fields)
		} else if err != nil {
			return s.fail("", err)
		}
		rows := data.apps[app]
		if err := s.store.Replace(ctx, app, rows); err != nil {
			return s.fail("", err)
		}
		return s.adminData(map[string]any{"app": app, "contacts": len(rows)})
	}
	return s.fail("", errNoRoute)
}

// withErrors adds a 422's errors to an envelope, in row order ("2.phone" before
// "10.name"): fail's answers and the admin API's.
func withErrors(a answer, fields map[string]string) answer {
	errs, err := json.Marshal(rowOrdered(fields))
	if err != nil {
		return a // strings always marshal: never reached
	}
	b := a.body[:len(a.body)-1]
	b = append(b, `,"errors":`...)
	b = append(b, errs...)
	a.body = append(b, '}')
	return a
}

// adminError answers status in the envelope with msg, a sentence for the person
// at the admin API (these answers are not the contract's).
func (s *Server) adminError(status int, msg string) answer {
	return answer{status: status, body: contactkit.Envelope(status, s.spec.Word(status), msg, nil)}
}

// adminData answers 200 with data in the envelope.
func (s *Server) adminData(data any) answer {
	body, err := json.Marshal(data)
	if err != nil {
		return s.fail("", err)
	}
	b := append([]byte(nil), s.prefix("", http.StatusOK)...)
	b = append(b, `,"data":`...)
	b = append(b, body...)
	return answer{status: http.StatusOK, body: append(b, '}')}
}

// seenApps remembers, boundedly, the app ids this server has answered for, so the
// page can list them (a store need not list its apps).
type seenApps struct {
	// mu guards ids.
	mu  sync.Mutex
	ids map[string]struct{}
}

func (a *seenApps) note(id string) {
	if id == "" || len(id) > maxDataAppID {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.ids[id]; ok || len(a.ids) >= maxSeenApps {
		return
	}
	if a.ids == nil {
		a.ids = map[string]struct{}{}
	}
	a.ids[id] = struct{}{}
}

// knownApps lists the data file's apps, then the others this server has served.
func (s *Server) knownApps() []string {
	out := s.data.Apps()
	s.seen.mu.Lock()
	var more []string
	for id := range s.seen.ids {
		if !slices.Contains(out, id) {
			more = append(more, id)
		}
	}
	s.seen.mu.Unlock()
	slices.Sort(more)
	if out == nil {
		out = []string{}
	}
	return append(out, more...)
}
