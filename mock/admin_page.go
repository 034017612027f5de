package mock

import (
	"embed"
	"net/http"
)

// The page at /__admin/ is three static files embedded in the binary: no build
// step, nothing fetched from elsewhere, so it works offline. It reads everything
// through the admin API (the journal's live feed among it) and writes what it
// shows with textContent only: the journal holds what clients sent, and none of
// it may become markup.

//go:embed page/index.html page/page.js page/page.css
var pageFiles embed.FS

// pageAssets maps each page path to its file and content type.
var pageAssets = map[string][2]string{
	"/__admin/":         {"page/index.html", "text/html; charset=utf-8"},
	"/__admin/page.js":  {"page/page.js", "text/javascript; charset=utf-8"},
	"/__admin/page.css": {"page/page.css", "text/css; charset=utf-8"},
}

// pagePolicy lets the page run its own script and style and talk to its own
// origin, and nothing else: no inline script, no frames around it.
const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func isPagePath(path string) bool {
	_, ok := pageAssets[path]
	return ok
}

// page answers one of the page's files.
func (s *Server) page(path string) answer {
	asset := pageAssets[path]
	body, err := pageFiles.ReadFile(asset[0])
	if err != nil {
		return s.fail("", err)
	}
	return answer{status: http.StatusOK, body: body, contentType: asset[1], header: http.Header{
		"Content-Security-Policy": {pagePolicy},
		"X-Frame-Options":         {"DENY"},
		"Referrer-Policy":         {"no-referrer"},
	}}
}
