package proxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// fixedTransport answers every request with the same list page, in memory, so
// a benchmark measures the proxy's own work.
type fixedTransport struct{ body []byte }

func (f fixedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(f.body)),
		ContentLength: int64(len(f.body)), Request: r}, nil
}

// BenchmarkListThroughProxy is one list request through the proxy: forwarded,
// checked (request and answer), journaled with bodies. The target is in memory.
func BenchmarkListThroughProxy(b *testing.B) {
	d := newDouble(spec(b), flawNone)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/contacts/bench-app?page=1&limit=10", nil)
	req.Header.Set("Authorization", "Bearer bench-token")
	d.ServeHTTP(rec, req)
	p, err := New(Config{Target: "http://127.0.0.1:1", Transport: fixedTransport{body: rec.Body.Bytes()}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/contacts/bench-app?page=1&limit=10", nil)
		r.Header.Set("Authorization", "Bearer bench-token")
		p.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
