package journal

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/contactkit/contactkit/redact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const token = "tok-9f8e7d6c5b4a3210-secret"

func exchange(i int) Exchange {
	return Exchange{
		Time:          time.Date(2026, 11, 27, 9, 0, i, 0, time.UTC),
		Duration:      1500 * time.Microsecond,
		Method:        http.MethodGet,
		URI:           fmt.Sprintf("/contacts/app%d?page=1", i%2),
		OperationID:   "listContacts",
		App:           fmt.Sprintf("app%d", i%2),
		Status:        []int{200, 404, 403, 201}[i%4],
		RequestHeader: http.Header{"Authorization": {"Bearer " + token}},
		ResponseBody:  []byte(`{"statusCode":200}`),
	}
}

func TestBounds(t *testing.T) {
	big := strings.Repeat("x", 10_000)
	for _, tc := range []struct {
		name  string
		cfg   Config
		add   int
		x     func(i int) Exchange
		check func(t *testing.T, j *Journal)
	}{
		{"count cap keeps the newest", Config{MaxEntries: 5}, 12, exchange, func(t *testing.T, j *Journal) {
			es := j.Entries(Filter{})
			require.Len(t, es, 5)
			assert.Equal(t, int64(8), es[0].Seq, "oldest kept")
			assert.Equal(t, int64(12), es[4].Seq, "newest kept")
		}},
		{"byte cap drops the oldest", Config{MaxBytes: 25_000, MaxBody: 20_000}, 10, func(i int) Exchange {
			x := exchange(i)
			x.ResponseBody = []byte(big)
			return x
		}, func(t *testing.T, j *Journal) {
			n, b := j.Len()
			assert.Equal(t, 2, n, "entries of 10 KB each under a 25 KB cap")
			assert.LessOrEqual(t, b, 25_000, "bytes held")
		}},
		{"body clipped with truncated and its full size", Config{MaxBody: 100}, 1, func(i int) Exchange {
			x := exchange(i)
			x.RequestBody = []byte(big)
			return x
		}, func(t *testing.T, j *Journal) {
			e := j.Entries(Filter{})[0]
			assert.Len(t, e.Request.Body, 100)
			assert.True(t, e.Request.Truncated, "truncated")
			assert.Equal(t, int64(10_000), e.Request.BodyBytes, "body_bytes")
			assert.False(t, e.Response.Truncated, "a short answer is whole")
		}},
		{"path, method, problem and header lines clipped", Config{MaxPath: 50, MaxText: 40, MaxHeaders: 3}, 1, func(i int) Exchange {
			x := exchange(i)
			x.URI = "/contacts/" + big
			x.Method = big
			x.Problem = big
			x.ResponseHeader = http.Header{}
			for k := range 10 {
				x.ResponseHeader.Set(fmt.Sprintf("X-H%d", k), big)
			}
			x.Violations = []Violation{{Check: "schema", Message: big, Actual: big}}
			return x
		}, func(t *testing.T, j *Journal) {
			e := j.Entries(Filter{})[0]
			assert.Len(t, e.Path, 50, "path")
			assert.True(t, e.PathTruncated, "path_truncated")
			assert.Len(t, e.Method, maxMethod, "method")
			assert.Len(t, e.Problem, 40, "problem")
			assert.Len(t, e.Violations[0].Actual, 40, "violation actual")
			lines := 0
			for _, vs := range e.Response.Header {
				lines += len(vs)
			}
			assert.LessOrEqual(t, lines, 4, "header lines (3 and the note)")
		}},
		{"violations capped with a count of the rest", Config{MaxViolations: 2}, 1, func(i int) Exchange {
			x := exchange(i)
			for k := range 7 {
				x.Violations = append(x.Violations, Violation{Check: "schema", Message: fmt.Sprint(k)})
			}
			return x
		}, func(t *testing.T, j *Journal) {
			vs := j.Entries(Filter{})[0].Violations
			require.Len(t, vs, 3)
			assert.Equal(t, "5 more violations not kept", vs[2].Message)
		}},
		{"no bodies kept", Config{MaxBody: -1}, 1, func(i int) Exchange {
			x := exchange(i)
			x.RequestBody = []byte("[]")
			return x
		}, func(t *testing.T, j *Journal) {
			e := j.Entries(Filter{})[0]
			assert.Empty(t, e.Request.Body)
			assert.True(t, e.Request.Truncated)
			assert.Equal(t, int64(2), e.Request.BodyBytes)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := New(tc.cfg)
			for i := 1; i <= tc.add; i++ {
				j.Add(tc.x(i))
			}
			tc.check(t, j)
		})
	}
}

func TestNotUTF8BodyIsBase64(t *testing.T) {
	j := New(Config{})
	x := exchange(1)
	x.ResponseBody = []byte{0xff, 0xfe, 'a'}
	e := j.Add(x)
	assert.Equal(t, "base64", e.Response.BodyEncoding)
	got, err := base64.StdEncoding.DecodeString(e.Response.Body)
	require.NoError(t, err)
	assert.Equal(t, x.ResponseBody, got)
}

func TestFilters(t *testing.T) {
	j := New(Config{})
	for i := 1; i <= 8; i++ {
		x := exchange(i)
		if i == 8 {
			x.OperationID = "getContact"
		}
		j.Add(x)
	}
	for _, tc := range []struct {
		query string
		want  []int64 // seqs
	}{
		{"", []int64{1, 2, 3, 4, 5, 6, 7, 8}},
		{"status=404", []int64{1, 5}},
		{"status=2xx", []int64{3, 4, 7, 8}},
		{"status=4XX", []int64{1, 2, 5, 6}},
		{"op=getContact", []int64{8}},
		{"app=app0", []int64{2, 4, 6, 8}},
		{"since=6", []int64{7, 8}},
		{"since=2026-11-27T09:00:07Z", []int64{7, 8}},
		{"since=2026-11-27T16:00:07%2B07:00", []int64{7, 8}},
		{"status=2xx&app=app1", []int64{3, 7}},
		{"status=500", nil},
	} {
		q, err := url.ParseQuery(tc.query)
		require.NoError(t, err)
		f, err := ParseFilter(q)
		require.NoError(t, err, "ParseFilter(%q)", tc.query)
		var got []int64
		for _, e := range j.Entries(f) {
			got = append(got, e.Seq)
		}
		assert.Equal(t, tc.want, got, "entries for ?%s", tc.query)
	}
	for _, bad := range []string{"status=abc", "status=6xx", "status=99", "since=yesterday", "stauts=404"} {
		q, _ := url.ParseQuery(bad)
		_, err := ParseFilter(q)
		assert.Error(t, err, "ParseFilter(%q) must refuse it", bad)
	}
}

// TestRedaction puts the token everywhere a client or a server might, in every
// encoding, and looks for it (and its first 8 characters) in the JSON served.
func TestRedaction(t *testing.T) {
	esc, _ := json.Marshal("a/b" + token)
	for _, tc := range []struct {
		name string
		x    func(x *Exchange)
	}{
		{"authorization header", func(x *Exchange) {}},
		{"echoed raw in the answer", func(x *Exchange) { x.ResponseBody = []byte(`{"seen":"` + token + `"}`) }},
		{"JSON-escaped with \\/", func(x *Exchange) {
			x.RequestHeader.Set("Authorization", "Bearer a/b"+token)
			x.ResponseBody = []byte(strings.ReplaceAll(string(esc), "/", `\/`))
		}},
		{"URL-encoded in the path", func(x *Exchange) { x.URI = "/contacts/" + url.PathEscape(token) + "?x=" + url.QueryEscape(token) }},
		{"credential query parameter", func(x *Exchange) { x.URI = "/contacts/a?access_token=" + token[:10] }},
		{"base64 in the body", func(x *Exchange) {
			x.RequestBody = []byte(base64.StdEncoding.EncodeToString([]byte(token)))
		}},
		{"cut by the body bound", func(x *Exchange) {
			x.ResponseBody = []byte(strings.Repeat("y", DefaultMaxBody-9) + token)
		}},
		{"cut by the reader before the journal", func(x *Exchange) {
			x.ResponseBody = []byte("zz" + token[:7])
			x.ResponseTruncated = true
		}},
		{"prefix echoed alone", func(x *Exchange) { x.Problem = "token starts " + token[:12] }},
		{"in a violation", func(x *Exchange) { x.Violations = []Violation{{Check: "schema", Actual: `"` + token + `"`}} }},
		{"other credential headers", func(x *Exchange) {
			x.RequestHeader.Set("X-Api-Key", token)
			x.RequestHeader.Set("Cookie", "session="+token)
			x.ResponseHeader = http.Header{"Set-Cookie": {"sid=" + token + "; HttpOnly"}}
		}},
		{"basic auth", func(x *Exchange) {
			x.RequestHeader.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("user:"+token)))
			x.ResponseBody = []byte(token)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := New(Config{})
			x := exchange(1)
			tc.x(&x)
			j.Add(x)
			rec := httptest.NewRecorder()
			j.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__admin/requests", nil))
			out := rec.Body.String()
			for _, leak := range []string{token, token[:redact.PrefixLen], token[:5], token[len(token)-redact.PrefixLen:], base64.StdEncoding.EncodeToString([]byte(token))[:redact.PrefixLen]} {
				assert.NotContains(t, out, leak, "journal JSON shows %q", leak)
			}
			assert.Contains(t, out, redact.Mask, "something was redacted")
		})
	}
}

func TestEmptyJournalIsAnEmptyArray(t *testing.T) {
	j := New(Config{})
	rec := httptest.NewRecorder()
	j.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__admin/requests", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"data":[]`)
}

func TestHandler(t *testing.T) {
	j := New(Config{})
	srv := httptest.NewServer(j)
	defer srv.Close()
	for i := 1; i <= 4; i++ {
		j.Add(exchange(i))
	}
	get := func(query string) (int, []Entry, string) {
		resp, err := http.Get(srv.URL + "/__admin/requests" + query)
		require.NoError(t, err)
		defer resp.Body.Close()
		var env struct {
			StatusCode int     `json:"statusCode"`
			Code       string  `json:"code"`
			Message    string  `json:"message"`
			Data       []Entry `json:"data"`
		}
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
		assert.Equal(t, resp.StatusCode, env.StatusCode, "envelope statusCode for %s", query)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		return resp.StatusCode, env.Data, env.Message
	}
	status, es, _ := get("?status=4xx")
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, es, 2, "?status=4xx")
	status, _, msg := get("?status=teapot")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, msg, "?status=teapot")

	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/__admin/requests", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "DELETE")
	_, es, _ = get("")
	assert.Empty(t, es, "after DELETE")
	assert.NotNil(t, es)
	j.Add(exchange(9))
	_, es, _ = get("")
	require.Len(t, es, 1)
	assert.Equal(t, int64(5), es[0].Seq, "sequence numbers go on after a clear")
}

// sseClient reads server-sent events from a live feed.
type sseClient struct {
	resp *http.Response
	r    *bufio.Reader
}

func openFeed(t *testing.T, url string, header http.Header) *sseClient {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return &sseClient{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event's id and entry, skipping comments.
func (c *sseClient) next(t *testing.T) (string, Entry) {
	t.Helper()
	var id, data string
	for {
		line, err := c.r.ReadString('\n')
		require.NoError(t, err, "reading the feed")
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && data != "":
			var e Entry
			require.NoError(t, json.Unmarshal([]byte(data), &e))
			return id, e
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		}
	}
}

// waitSubscribers waits until the journal has n listeners (generous: CI is busy).
func waitSubscribers(t *testing.T, j *Journal, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return j.Stats().Subscribers == n }, 10*time.Second, 5*time.Millisecond, "%d subscribers", n)
}

func TestLiveFeed(t *testing.T) {
	j := New(Config{MaxSubscribers: 2})
	srv := httptest.NewServer(j)
	defer srv.Close()

	feed := openFeed(t, srv.URL+"/__admin/requests/stream?status=4xx", nil)
	assert.Equal(t, "text/event-stream", feed.resp.Header.Get("Content-Type"))
	waitSubscribers(t, j, 1)
	j.Add(exchange(4)) // 201: filtered out
	j.Add(exchange(1)) // 404
	id, e := feed.next(t)
	assert.Equal(t, "2", id, "event id is the seq")
	assert.Equal(t, 404, e.Status)
	assert.Equal(t, "Bearer ***", e.Request.Header.Get("Authorization"))

	// Accept: text/event-stream on the list path, and Last-Event-ID replays.
	feed2 := openFeed(t, srv.URL+"/__admin/requests", http.Header{"Accept": {"text/event-stream"}, "Last-Event-ID": {"1"}})
	id, e = feed2.next(t)
	assert.Equal(t, "2", id, "replayed after Last-Event-ID 1")
	assert.Equal(t, 404, e.Status)
	waitSubscribers(t, j, 2)

	// The cap: a third listener is refused, clearly.
	resp, err := http.Get(srv.URL + "/__admin/requests/stream")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "over the subscriber cap")
	assert.Contains(t, string(body), "listeners")

	// Closing ends the feeds, so a server's Shutdown need not wait for them.
	j.Close()
	_, err = io.ReadAll(feed.resp.Body)
	assert.NoError(t, err, "feed ends cleanly on Close")
}

// TestSlowSubscriberIsDropped shows a listener that never reads cannot hold up
// Add: it is dropped once its buffer is full.
func TestSlowSubscriberIsDropped(t *testing.T) {
	j := New(Config{SubscriberBuffer: 4})
	ch, stop, err := j.Subscribe()
	require.NoError(t, err)
	defer stop()
	done := make(chan struct{})
	go func() {
		for i := range 1000 {
			j.Add(exchange(i))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Add blocked on a subscriber that does not read")
	}
	got := 0
	for range ch {
		got++
	}
	assert.Equal(t, 4, got, "entries buffered before the drop")
	assert.Equal(t, int64(1), j.Stats().Dropped)
	assert.Equal(t, 0, j.Stats().Subscribers)
}

func TestConcurrentUse(t *testing.T) {
	j := New(Config{MaxEntries: 50, SubscriberBuffer: 8})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 500 {
				j.Add(exchange(w*1000 + i))
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			_ = j.Entries(Filter{StatusClass: 4})
			_ = j.Stats()
		}
	})
	wg.Go(func() {
		for range 50 {
			ch, stop, err := j.Subscribe()
			if err == nil {
				select {
				case <-ch:
				default:
				}
				stop()
			}
		}
	})
	wg.Go(func() {
		for range 20 {
			j.Clear()
		}
	})
	wg.Wait()
	n, _ := j.Len()
	assert.LessOrEqual(t, n, 50)
	assert.Equal(t, int64(2000), j.Stats().Seq, "every Add numbered once")
}

// TestKeepCostsLittle: keeping an exchange on a server's hot path copies its
// texts and bodies into one allocation and does nothing else (no scrubbing, no
// header copies); what a reader sees is the same as Add's entry.
func TestKeepCostsLittle(t *testing.T) {
	j := New(Config{MaxEntries: 8})
	x := exchange(1)
	x.RequestHeader = http.Header{"Authorization": {"Bearer " + token}, "Accept": {"*/*"}, "User-Agent": {"bench"}}
	x.ResponseHeader = http.Header{"Content-Type": {"application/json"}, "Content-Length": {"18"}}
	allocs := testing.AllocsPerRun(200, func() { j.Keep(x) })
	assert.LessOrEqual(t, allocs, 1.0, "allocations per Keep")

	kept := j.Entries(Filter{})
	want := j.Add(x)
	got := kept[len(kept)-1]
	want.Seq = got.Seq
	assert.Equal(t, want, got, "the entry Keep's record reads as")
	assert.Equal(t, "Bearer ***", got.Request.Header.Get("Authorization"), "the token, read")
}

// TestSameAnswerKeptOnce: a server that gives the same answer again and again
// (a polled page) has it kept once, shared by its records; the caller's buffer,
// reused for the next answer, changes none of them.
func TestSameAnswerKeptOnce(t *testing.T) {
	j := New(Config{MaxEntries: 8})
	page := []byte(`{"statusCode":200,"data":[{"id":"a"}]}`)
	buf := slices.Clone(page)
	for range 3 {
		copy(buf, page)
		x := exchange(1)
		x.ResponseBody = buf
		j.Keep(x)
		copy(buf, `{"statusCode":500`) // the caller reuses its buffer
	}
	x := exchange(1)
	x.ResponseBody = []byte(`{"statusCode":404}`)
	j.Keep(x)
	j.mu.Lock()
	texts := []*byte{}
	for k := range j.n {
		texts = append(texts, unsafe.StringData(j.ring[(j.head+k)%len(j.ring)].answer.text))
	}
	j.mu.Unlock()
	require.Len(t, texts, 4)
	assert.True(t, texts[0] == texts[1] && texts[1] == texts[2], "the same answer is kept once")
	assert.NotSame(t, texts[2], texts[3], "another answer is kept apart")
	var bodies []string
	for _, e := range j.Entries(Filter{}) {
		bodies = append(bodies, e.Response.Body)
	}
	assert.Equal(t, []string{string(page), string(page), string(page), `{"statusCode":404}`}, bodies)
}

// TestByteCapExact: the bytes the journal counts are every record's, summed as
// they come and go, and never past MaxBytes, whatever mix is kept.
func TestByteCapExact(t *testing.T) {
	j := New(Config{MaxBytes: 20_000, MaxEntries: 100})
	for i := range 300 {
		x := exchange(i)
		x.ResponseBody = []byte(strings.Repeat("y", i*37%3000))
		x.RequestHeader = http.Header{"X-Pad": {strings.Repeat("z", i*53%900)}}
		j.Keep(x)
		n, b := j.Len()
		require.LessOrEqual(t, b, 20_000, "bytes after %d records", i+1)
		sum := 0
		j.mu.Lock()
		for k := range n {
			r := &j.ring[(j.head+k)%len(j.ring)]
			sum += r.sizeOf(headerBytes(r.reqHeader) + headerBytes(r.respHeader))
		}
		j.mu.Unlock()
		require.Equal(t, sum, b, "bytes counted after %d records, want the records' own", i+1)
	}
}

// TestByteCapCountsTheEscapedSize: the cap bounds what the journal's answer
// costs, so a record counts its texts and bodies as they are written in JSON:
// a control byte is six (\u0001), an HTML character six, a quote two, a body
// that is not UTF-8 its base64.
func TestByteCapCountsTheEscapedSize(t *testing.T) {
	const maxBytes = 4 << 20
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"control bytes", []byte(strings.Repeat("\x01", 64<<10))},
		{"html", []byte(strings.Repeat("<&>", 20<<10))},
		{"quotes", []byte(strings.Repeat(`"\`, 30<<10))},
		{"not utf-8", []byte(strings.Repeat("\xff", 64<<10))},
	} {
		j := New(Config{MaxBytes: maxBytes})
		for i := range 100 {
			x := exchange(i)
			x.RequestBody, x.ResponseBody = tc.body, tc.body
			x.URI = "/contacts/" + strings.Repeat("\x02", 400)
			x.RequestHeader = http.Header{"X-Pad": {strings.Repeat("<", 1000)}}
			j.Keep(x)
		}
		rec := httptest.NewRecorder()
		j.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/__admin/requests", nil))
		n, _ := j.Len()
		assert.LessOrEqual(t, rec.Body.Len(), maxBytes+4096, "%s: the answer of %d entries is %d bytes, want at most the cap (%d) and the envelope", tc.name, n, rec.Body.Len(), maxBytes)
		assert.GreaterOrEqual(t, n, 2, "%s: entries kept", tc.name)
	}
}

// writeSizes is a ResponseWriter that keeps the largest single write.
type writeSizes struct {
	*httptest.ResponseRecorder
	largest int
}

func (w *writeSizes) Write(b []byte) (int, error) {
	w.largest = max(w.largest, len(b))
	return w.ResponseRecorder.Write(b)
}

// TestRequestsAnswerIsStreamed: GET /__admin/requests writes its entries one at
// a time, so a reader costs the server one entry, not the whole answer (and
// readers at once, each their own copy).
func TestRequestsAnswerIsStreamed(t *testing.T) {
	j := New(Config{MaxBytes: 16 << 20})
	body := []byte(strings.Repeat("y", 60<<10))
	for i := range 200 {
		x := exchange(i)
		x.RequestBody, x.ResponseBody = body, body
		j.Keep(x)
	}
	w := &writeSizes{ResponseRecorder: httptest.NewRecorder()}
	j.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/__admin/requests?app=app1", nil))
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Less(t, w.largest, 256<<10, "largest write of a %d-byte answer", w.Body.Len())
	var env struct {
		StatusCode int     `json:"statusCode"`
		Code       string  `json:"code"`
		Message    string  `json:"message"`
		Data       []Entry `json:"data"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), "the streamed answer is one JSON envelope")
	assert.Equal(t, 200, env.StatusCode)
	assert.Equal(t, "OK", env.Code)
	assert.NotEmpty(t, env.Message)
	want := j.Entries(Filter{App: "app1"})
	require.Len(t, env.Data, len(want), "entries")
	for i := range want {
		assert.Equal(t, want[i].Seq, env.Data[i].Seq, "entry %d", i)
		assert.Equal(t, want[i].Response.Body, env.Data[i].Response.Body, "entry %d's body", i)
	}
}
