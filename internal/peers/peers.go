package peers

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactkit/contactkit/internal/peers/goserver"
)

// Kind names a peer server.
type Kind string

const (
	Node Kind = "node" // internal/peers/node/server.js, run by `node`
	Go   Kind = "go"   // internal/peers/goserver, in process
)

// Kinds lists every peer, for table tests.
var Kinds = []Kind{Node, Go}

func (k Kind) String() string { return string(k) }

// NoContacts in Options.Contacts makes every app start empty, whatever the peer's default.
const NoContacts = -1

// DefaultGrants are the identities a peer has when Options.Grants is nil.
var DefaultGrants = []string{"tok1=app1", "tok2=app2"}

// Options configure a peer.
type Options struct {
	// Grants: "TOKEN=APP[,APP...]" each, a bearer token and the apps it may use;
	// nil means DefaultGrants.
	Grants []string
	// Seed makes every app's starting contacts the same from run to run.
	Seed int64
	// Contacts every app starts with (apps come into being when a token granted
	// them first uses them): 0 keeps the peer's default, NoContacts means none.
	// It sets the "contacts" choice.
	Contacts int
	// Slow delays answers by a few random milliseconds (the "slow" choice).
	Slow bool
	// Choices flip the peer's choices (see Choices) by name, e.g. {"order": "newest"}.
	// Contacts and Slow, when set, win over the same names here.
	Choices map[string]string
}

// choices gives opts' choices with Contacts and Slow folded in.
func (o Options) choices() map[string]string {
	m := map[string]string{}
	for k, v := range o.Choices {
		m[k] = v
	}
	switch {
	case o.Contacts == NoContacts:
		m["contacts"] = "0"
	case o.Contacts > 0:
		m["contacts"] = strconv.Itoa(o.Contacts)
	}
	if o.Slow {
		m["slow"] = "on"
	}
	return m
}

func (o Options) grants() []string {
	if o.Grants == nil {
		return DefaultGrants
	}
	return o.Grants
}

// Start starts a peer on 127.0.0.1 for the test's lifetime and gives its base URL
// (no trailing slash). The Node peer needs `node` on PATH, or the test is skipped.
func Start(t testing.TB, kind Kind, opts Options) string {
	t.Helper()
	switch kind {
	case Node:
		return startNode(t, opts)
	case Go:
		return startGo(t, opts)
	}
	t.Fatalf("peers: unknown kind %q", kind)
	return ""
}

func startGo(t testing.TB, opts Options) string {
	t.Helper()
	cfg := goserver.Config{Seed: opts.Seed, Grants: map[string][]string{}, Choices: opts.choices()}
	for _, g := range opts.grants() {
		tok, apps, ok := strings.Cut(g, "=")
		if !ok || tok == "" || apps == "" {
			t.Fatalf("peers: grant %q is not TOKEN=APP[,APP]", g)
		}
		cfg.Grants[tok] = append(cfg.Grants[tok], strings.Split(apps, ",")...)
	}
	h, err := goserver.New(cfg)
	if err != nil {
		t.Fatalf("peers: go peer: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// NodeScript is the Node peer's source file, found next to this package's source.
func NodeScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "node", "server.js")
}

// NodeArgs are the command-line arguments (after the script) for opts.
func NodeArgs(opts Options) []string {
	args := []string{"--host", "127.0.0.1", "--port", "0", "--seed", strconv.FormatInt(opts.Seed, 10)}
	for _, g := range opts.grants() {
		args = append(args, "--grant", g)
	}
	for name, value := range opts.choices() {
		args = append(args, "--choice", name+"="+value)
	}
	return args
}

// lockedBuffer collects a child's stderr while the test may read it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startNode(t testing.TB, opts Options) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found: the Node.js peer server needs it; CI installs it")
	}
	script := NodeScript()
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("peers: %v", err)
	}
	cmd := exec.Command(node, append([]string{script}, NodeArgs(opts)...)...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("peers: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("peers: starting node: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if s := stderr.String(); s != "" {
			t.Logf("node peer's stderr:\n%s", s)
		}
	})

	// The first line says where it listens; whatever follows is drained.
	line := make(chan string, 1)
	go func() {
		r := bufio.NewReader(out)
		s, _ := r.ReadString('\n')
		line <- s
		io.Copy(io.Discard, r)
	}()
	select {
	case s := <-line:
		url, ok := strings.CutPrefix(strings.TrimSpace(s), "listening on ")
		if !ok {
			t.Fatalf("peers: node peer said %q, not where it listens; stderr:\n%s", s, stderr.String())
		}
		return url
	case <-time.After(15 * time.Second):
		t.Fatalf("peers: node peer did not say where it listens within 15s; stderr:\n%s", stderr.String())
	}
	return ""
}

// Choice is one silence of the documentation and what each peer does there.
type Choice struct {
	Name       string
	Node, Go   string // the default values (Options.Choices flips them)
	Values     string // every value both peers understand
	NodeDoes   string // what the Node peer's default means
	GoDoes     string // what the Go peer's default means
	DocsSilent string // what the documentation leaves open
}

// Default gives the kind's default value of the choice.
func (c Choice) Default(k Kind) string {
	if k == Node {
		return c.Node
	}
	return c.Go
}

// ChoicesOf is every choice as peer k makes it by default: given to the other
// peer (Options.Choices), it takes k's side at every silence.
func ChoicesOf(k Kind) map[string]string {
	m := make(map[string]string, len(Choices))
	for _, c := range Choices {
		m[c.Name] = c.Default(k)
	}
	return m
}

// Other is the peer that is not k.
func Other(k Kind) Kind {
	if k == Go {
		return Node
	}
	return Go
}

// Choices lists every choice, in the order of the package documentation.
var Choices = []Choice{
	{"json", "strict", "lenient", "strict|lenient",
		"data after the JSON value, invalid UTF-8 or a lone surrogate escape: refused as not JSON",
		"as encoding/json's Decoder: what follows the first value is ignored, invalid UTF-8 becomes U+FFFD and is stored",
		"how strictly a body is read"},
	{"notjson", "400", "422", "400|422",
		"a body that is not a JSON array: 400 BAD_REQUEST, the docs' 400 sentence",
		"a body that is not a JSON array: 422 with errors {\"body\": ...}",
		"the docs' 400 is documented on the list only"},
	{"limitmax", "clamp", "400", "clamp|400",
		"limit above 50 is read as 50 (meta.limit 50)", "limit above 50: 400",
		"\"Max: 50\" says no more"},
	{"paging", "400", "default", "400|default",
		"page or limit not a positive integer: 400", "page or limit not a positive integer: its default (1, 10)",
		"what a bad page or limit gets"},
	{"order", "oldest", "newest", "oldest|newest",
		"oldest first (the order of creation)", "newest first (reverse order of creation)",
		"the list's order"},
	{"time", "millis", "seconds", "millis|seconds",
		"created_at in UTC with milliseconds and Z: 2024-05-14T04:51:48.000Z",
		"created_at in UTC to the second with +00:00: 2024-05-14T04:51:48+00:00",
		"the example has a +07:00 offset and millis; any RFC 3339 date-time"},
	{"chunked", "on", "off", "on|off",
		"answers chunked (no Content-Length)", "answers with Content-Length", "framing"},
	{"gzip", "on", "off", "on|off",
		"gzip when Accept-Encoding allows it", "never compressed", "compression"},
	{"charset", "on", "off", "on|off",
		"Content-Type: application/json; charset=utf-8", "Content-Type: application/json", "media type parameters"},
	{"cache", "etag", "private", "etag|private",
		"GETs: a weak ETag, 304 on If-None-Match, Cache-Control: no-cache", "GETs: Cache-Control: private, max-age=0, no ETag",
		"caching"},
	{"close", "7", "0", "N (0: never)",
		"every 7th answer says Connection: close and closes", "never closes a connection itself", "connections"},
	{"slow", "off", "off", "off|on",
		"when on: every answer 0-10 ms late", "when on: one answer in 3 is 0-15 ms late", "latency"},
	{"contacts", "0", "3000", "N",
		"an app starts empty", "an app starts with 3000 seeded contacts", "what is there before any create"},
	{"method", "405", "404", "405|404",
		"a wrong method on a known path: 405 METHOD_NOT_ALLOWED envelope with Allow",
		"a wrong method on a known path: 404 envelope; HEAD on a GET route is answered as GET without body",
		"there is no 405 in the docs"},
	{"emptybatch", "422", "201", "422|201",
		"[]: 422 with errors {\"body\": ...}", "[]: 201, nothing inserted", "an empty batch"},
	{"extra", "ignore", "refuse", "ignore|refuse",
		"unknown fields in a row are ignored (never honoured: ids, is_blocked and created_at are the server's)",
		"unknown fields in a row: 422 keyed <index>.<field>", "fields other than name and phone"},
	{"blankname", "refuse", "accept", "refuse|accept",
		"a name of only whitespace: 422", "a name of only whitespace is stored as sent", "blank names"},
	{"longname", "0", "100", "N (0: no limit but the body's)",
		"any length (names over 255 characters too)", "over 100 characters: 422", "name length"},
	{"phonerange", "any", "positive", "any|positive",
		"any int64, 0 and negatives too", "0 or negative: 422", "which integers are phones"},
	{"tags", "words", "full", "words|full",
		"detail tags: [full name, first word, last word], without repeats", "detail tags: [full name]",
		"the example's tags continue with \"// ...\""},
	{"pastlast", "last", "requested", "last|requested",
		"past the last page: previous_page = last_page, next_page null", "past the last page: previous_page = page-1",
		"meta past the last page"},
	{"emptymeta", "1", "0", "1|0",
		"no contacts: last_page 1", "no contacts: last_page 0", "meta of an empty app"},
	{"contenttype", "strict", "ignore", "strict|ignore",
		"a POST must say Content-Type: application/json (parameters allowed), else 415 UNSUPPORTED_MEDIA_TYPE envelope",
		"a POST's Content-Type is not looked at", "the docs list the header, not what its absence gets"},
	{"bearer", "insensitive", "exact", "insensitive|exact",
		"the scheme word in any case (RFC 7235)", "the scheme word exactly \"Bearer\"", "auth scheme case"},
}

// Describe says, in a few lines, what the peer does at every silence of the docs.
func Describe(k Kind) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s peer:\n", k)
	for _, c := range Choices {
		does := c.GoDoes
		if k == Node {
			does = c.NodeDoes
		}
		fmt.Fprintf(&b, "  %s=%s: %s\n", c.Name, c.Default(k), does)
	}
	return b.String()
}
