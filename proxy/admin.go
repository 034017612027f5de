package proxy

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/contactkit/contactkit"
)

// admin answers /__admin/: the journal (GET, DELETE /__admin/requests and the
// live feed /__admin/requests/stream) and health. Admin requests are never
// forwarded, never journaled, and get no CORS headers: a page on another origin
// cannot read the journal or clear it.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "/__admin/health" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// Liveness probes carry no token.
		s.health(w)
		return
	}
	if !s.adminAllowed(r) {
		writeEnvelope(w, http.StatusForbidden, "contactkit proxy: /__admin/ wants the --admin-token as a bearer token")
		return
	}
	switch path {
	case "/__admin/requests", "/__admin/requests/stream":
		if r.Method == http.MethodGet || r.Method == http.MethodDelete {
			s.journal.ServeHTTP(w, r)
			return
		}
	}
	writeEnvelope(w, http.StatusNotFound, "contactkit proxy: no such admin endpoint; try GET /__admin/requests, DELETE /__admin/requests, GET /__admin/requests/stream, GET /__admin/health")
}

func (s *Server) adminAllowed(r *http.Request) bool {
	if s.cfg.AdminToken == "" {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.cfg.AdminToken)) == 1
}

func (s *Server) health(w http.ResponseWriter) {
	data, _ := json.Marshal(map[string]any{
		"status":    "ok",
		"target":    s.target.Scheme + "://" + s.target.Host,
		"strict":    s.cfg.Strict,
		"recording": s.rec != nil,
		"uptime_ms": time.Since(s.started).Milliseconds(),
		"journal":   s.journal.Stats(),
	})
	contactkit.WriteEnvelope(w, http.StatusOK, contactkit.Word(http.StatusOK), s.okMessage(), data)
}

// okMessage is the docs' sentence for a 200, as the mock's admin answers say it.
func (s *Server) okMessage() string {
	if op := s.spec.Op(contactkit.OpListContacts); op != nil {
		return op.Message(http.StatusOK)
	}
	return "OK"
}
