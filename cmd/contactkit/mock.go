package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contactkit/contactkit/mock"
	"github.com/contactkit/contactkit/serve"
)

// shutdownGrace is how long in-flight requests get to finish after SIGINT/SIGTERM.
const shutdownGrace = 10 * time.Second

// authFlag collects repeated --auth TOKEN=APP[,APP] values.
type authFlag map[string][]string

func (a authFlag) String() string {
	tokens := make([]string, 0, len(a))
	for t := range a {
		tokens = append(tokens, t)
	}
	sort.Strings(tokens)
	return strings.Join(tokens, " ")
}

func (a authFlag) Set(v string) error {
	token, apps, ok := strings.Cut(v, "=")
	token = strings.TrimSpace(token)
	if !ok || token == "" || strings.ContainsAny(token, " \t") {
		return errors.New("want TOKEN=APP[,APP]")
	}
	for _, app := range strings.Split(apps, ",") {
		app = strings.TrimSpace(app)
		if app == "" {
			return errors.New("want TOKEN=APP[,APP] with no empty app id")
		}
		a[token] = append(a[token], app)
	}
	return nil
}

// zoneFlag reads a UTC offset (+07:00) or a zone name (Asia/Jakarta).
type zoneFlag struct{ loc *time.Location }

func (z *zoneFlag) String() string {
	if z.loc == nil {
		return mock.DefaultZone
	}
	return z.loc.String()
}

func (z *zoneFlag) Set(v string) error {
	if t, err := time.Parse("-07:00", v); err == nil {
		_, offset := t.Zone()
		z.loc = time.FixedZone(v, offset)
		return nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return errors.New("want an offset like +07:00 or a zone like Asia/Jakarta")
	}
	z.loc = loc
	return nil
}

func runMock(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mock", `mock [flags]

Serves a mock of the Contacts API: stateful, seeded, validated against the
embedded contract, its state in memory or, with --store redis://..., in Redis
shared by replicas. With no --auth, any bearer token may use any app id.

Prefer header: code=STATUS, example=NAME (from openapi.yaml), delay=MS.
Admin (JSON): POST /__admin/reset, GET /__admin/requests[/stream], GET /__admin/health,
GET|PUT|DELETE /__admin/apps/{app}, GET|POST|DELETE /__admin/faults; a page at /__admin/.
The contract: GET /openapi.yaml.`, stderr)
	auth := authFlag{}
	zone := &zoneFlag{}
	maxMemory := sizeFlag(mock.DefaultMaxMemory)
	addr := fs.String("addr", mock.DefaultAddr, "address to listen on (loopback by default; 0.0.0.0:4010 to share it)")
	seed := fs.Int64("seed", mock.DefaultSeed, "seed of the fake data; the same seed gives the same contacts")
	contacts := fs.Int("contacts", mock.DefaultContacts, "contacts each app starts with")
	fs.Var(auth, "auth", "grant a bearer token apps, TOKEN=APP[,APP] (repeatable); none: any token, any app")
	latency := fs.Duration("latency", 0, "delay added to every answer, e.g. 200ms")
	logFormat := fs.String("log-format", mock.DefaultLogFormat, "request log on stderr: text, json or none")
	cors := &listFlag{values: []string{mock.DefaultCORSOrigin}}
	fs.Var(cors, "cors-origin", "origin whose pages may call the API (repeatable; * for any)")
	adminCORS := &listFlag{}
	fs.Var(adminCORS, "admin-cors-origin", "origin whose pages may call /__admin/ (repeatable; default none)")
	dataFile := fs.String("data", "", "YAML or JSON file of apps and their contacts, loaded at start and on reset")
	faults := &faultFlag{}
	fs.Var(faults, "fault", "inject a fault outside the contract, e.g. op=listContacts,status=503,rate=0.1 (repeatable)")
	maxBody := fs.Int64("max-body", mock.DefaultMaxBody, "largest request body in bytes; larger answers 422")
	maxBatch := fs.Int("max-batch", mock.DefaultMaxBatch, "most rows in one create; more answers 422")
	maxContacts := fs.Int("max-contacts", mock.DefaultMaxContacts, "most contacts one app may hold; a create past it answers 422")
	maxApps := fs.Int("max-apps", mock.DefaultMaxApps, "most apps open mode brings into being; past it a new app id answers 403")
	fs.Var(&maxMemory, "max-memory", "memory budget for contacts (seeded too) and bodies being read, as 512MiB or 2GiB; past it a new app answers 403, a create 422")
	maxConns := fs.Int("max-conns", serve.DefaultMaxConns, "most open connections; past it a new one is answered 503 and closed")
	idle := fs.Duration("idle-timeout", serve.DefaultIdleTimeout, "close keep-alive connections idle this long")
	strict := fs.Bool("strict", false, "check every answer against the contract; log and answer 500 if one breaks it")
	adminToken := fs.String("admin-token", "", "bearer token /__admin/ requires (default: none)")
	fs.Var(zone, "tz", "UTC offset or zone name created_at is written in (default "+mock.DefaultZone+")")
	readHeader := fs.Duration("read-header-timeout", serve.DefaultReadHeaderTimeout, "cut off a client that stalls sending headers")
	store := fs.String("store", mock.DefaultStore, "where contacts live: memory, or redis://[:PASSWORD@]HOST:PORT/DB shared by replicas")
	storePrefix := fs.String("store-prefix", mock.DefaultStorePrefix, "prefix of every Redis key, so one Redis holds several mocks")
	storeTimeout := fs.Duration("store-timeout", mock.DefaultStoreTimeout, "bound on each call to Redis; past it the request answers 503")
	if err := parseFlags(fs, args); err != nil {
		return err
	}

	handler, err := logHandler("mock", *logFormat, stderr)
	if err != nil {
		return err
	}
	if err := checkAddr("mock", *addr, mock.DefaultAddr); err != nil {
		return err
	}
	switch {
	case *contacts < 0:
		return usageError("mock: --contacts %d: want 0 or more", *contacts)
	case *maxBody <= 0, *maxBatch <= 0, *maxContacts <= 0, *maxApps <= 0, *maxConns <= 0:
		return usageError("mock: --max-body, --max-batch, --max-contacts, --max-apps and --max-conns must be positive")
	case *idle <= 0:
		return usageError("mock: --idle-timeout %s: want more than 0", *idle)
	case *latency < 0:
		return usageError("mock: --latency %s: want 0 or more", *latency)
	case *contacts > *maxContacts:
		return usageError("mock: --contacts %d exceeds --max-contacts %d", *contacts, *maxContacts)
	case *storePrefix == "":
		return usageError("mock: --store-prefix must not be empty")
	case *storeTimeout <= 0:
		return usageError("mock: --store-timeout %s: want more than 0", *storeTimeout)
	}
	for _, o := range append(cors.values, adminCORS.values...) {
		if err := checkOrigin(o); err != nil {
			return usageError("mock: --cors-origin %q: %w", o, err)
		}
	}
	tuneGC(*contacts)
	limitMemory(int64(maxMemory))
	n := *contacts
	if n == 0 {
		n = -1 // Config's zero means the default; the flag's zero means none
	}
	srv, err := mock.New(mock.Config{
		Addr:              *addr,
		Seed:              *seed,
		Contacts:          n,
		Auth:              auth,
		AdminToken:        *adminToken,
		Latency:           *latency,
		CORSOrigin:        cors.values[0],
		CORSOrigins:       cors.values[1:],
		AdminCORSOrigins:  adminCORS.values,
		DataFile:          *dataFile,
		Faults:            faults.rules,
		MaxBody:           *maxBody,
		MaxBatch:          *maxBatch,
		MaxContacts:       *maxContacts,
		MaxApps:           *maxApps,
		MaxMemory:         int64(maxMemory),
		MaxConns:          *maxConns,
		IdleTimeout:       *idle,
		Zone:              zone.loc,
		Strict:            *strict,
		Logger:            slog.New(handler),
		ReadHeaderTimeout: *readHeader,
		Store:             *store,
		StorePrefix:       *storePrefix,
		StoreTimeout:      *storeTimeout,
	})
	if err != nil {
		return usageError("mock: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	var extra []string
	if line := storeLine(*store, *storePrefix); line != "" {
		extra = append(extra, line)
	}
	if *dataFile != "" {
		extra = append(extra, fmt.Sprintf("data: %s (%d apps); POST /__admin/reset brings them back", *dataFile, len(srv.DataApps())))
	}
	for _, f := range faults.rules {
		extra = append(extra, fmt.Sprintf("fault: %s (injected answers are journaled and logged as injected)", f))
	}
	banner(stdout, srv.Addr(), auth, *adminToken != "", extra...)

	<-ctx.Done()
	fmt.Fprintln(stdout, "contactkit mock: shutting down, letting requests in flight finish")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("mock: %w", err)
	}
	return nil
}

// banner tells a person where the mock listens, how to authenticate and what to try.
func banner(w io.Writer, addr net.Addr, auth authFlag, adminLocked bool, extra ...string) {
	url := "http://" + addr.String()
	tcp, _ := addr.(*net.TCPAddr)
	switch {
	case tcp != nil && tcp.IP.IsUnspecified():
		url = fmt.Sprintf("http://127.0.0.1:%d", tcp.Port)
		fmt.Fprintf(w, "contactkit mock listening on every interface, port %d (%s from this machine; other machines use this host's address)\n", tcp.Port, url)
	default:
		fmt.Fprintf(w, "contactkit mock listening on %s\n", url)
	}
	if tcp != nil && !tcp.IP.IsLoopback() && !adminLocked {
		fmt.Fprintln(w, "")
		fmt.Fprintln(w, "WARNING: the mock is reachable from other machines and /__admin/ has no token:")
		fmt.Fprintln(w, "WARNING: anyone who reaches this port can reset its state, change its data and faults,")
		fmt.Fprintln(w, "WARNING: and read every request in the journal. Set --admin-token, or listen on 127.0.0.1.")
		fmt.Fprintln(w, "")
	}
	token, app := "dev-token", "my-app"
	if len(auth) == 0 {
		fmt.Fprintln(w, "auth: open mode, any bearer token may use any app id (--auth TOKEN=APP to restrict)")
	} else {
		tokens := strings.Fields(auth.String())
		token, app = "<your --auth token>", auth[tokens[0]][0]
		fmt.Fprintf(w, "auth: %d token(s) from --auth; other tokens and apps answer 403\n", len(auth))
	}
	fmt.Fprintf(w, "try:  curl -H 'Authorization: Bearer %s' '%s/contacts/%s?page=1&limit=10'\n", token, url, app)
	admin := ""
	if adminLocked {
		admin = " (with --admin-token as bearer)"
	}
	fmt.Fprintf(w, "admin%s: page %s/__admin/; POST %s/__admin/reset, GET %s/__admin/requests, GET %s/__admin/health\n", admin, url, url, url, url)
	for _, line := range extra {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "contract: %s/openapi.yaml; Ctrl-C stops\n", url)
}

// storeLine tells where a Redis store keeps contacts, its password (if the URL
// holds one) masked; "" for the memory store.
func storeLine(store, prefix string) string {
	u, err := url.Parse(store)
	if err != nil || store == mock.DefaultStore {
		return ""
	}
	return fmt.Sprintf("store: %s, keys prefixed %q (state shared with every replica on it)", u.Redacted(), prefix)
}

var _ flag.Value = authFlag{}

// listFlag collects a repeatable flag's values; the first one given replaces the
// default.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, " ")
}

func (l *listFlag) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, strings.TrimSpace(v))
	return nil
}

// checkOrigin refuses what a browser never sends as an Origin.
func checkOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return errors.New("want * or an origin such as http://localhost:5173")
	}
	return nil
}

// faultFlag collects --fault rules.
type faultFlag struct{ rules []mock.FaultRule }

func (f *faultFlag) String() string { return "" }

func (f *faultFlag) Set(v string) error {
	r, err := mock.ParseFault(v)
	if err != nil {
		return err
	}
	f.rules = append(f.rules, r)
	return nil
}

// smallSeed is the most contacts per app for which tuneGC trades memory for speed.
const smallSeed = 100_000

// tuneGC raises GOGC to 400 when apps are seeded small. With a few MB live, Go's
// default collects every few MB allocated, and under load those cycles cost more
// than the mock's own work (bench/load.sh: about 0.6 of bare net/http at GOGC=100,
// about 0.75 at 400). Large seeds keep the default, so a million contacts stay
// within their memory budget; GOGC set in the environment always wins.
func tuneGC(contacts int) {
	if os.Getenv("GOGC") == "" && contacts <= smallSeed {
		debug.SetGCPercent(400)
	}
}

// sizeFlag reads a size in bytes, with an optional binary unit: 1048576, 512MiB,
// 2GiB.
type sizeFlag int64

var sizeUnits = []struct {
	suffix string
	factor int64
}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"B", 1}, {"", 1}}

func (f *sizeFlag) String() string {
	n := int64(*f)
	for _, u := range sizeUnits[:3] {
		if n >= u.factor && n%u.factor == 0 && n/u.factor < 1024 {
			return strconv.FormatInt(n/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

func (f *sizeFlag) Set(v string) error {
	for _, u := range sizeUnits {
		number, ok := strings.CutSuffix(v, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(number), 10, 64)
		if err != nil || n <= 0 || n > (1<<62)/u.factor {
			break
		}
		*f = sizeFlag(n * u.factor)
		return nil
	}
	return errors.New("want a positive size such as 512MiB, 2GiB or a number of bytes")
}

// memoryOverhead is what the mock holds besides its budget, at most: the runtime,
// the contract, the journal and verdict memory (a few MB each), connections
// (--max-conns, each with its buffers and headers).
const memoryOverhead = 256 << 20

// limitMemory sets Go's soft memory limit to the budget plus the overhead, so the
// collector works harder rather than let garbage take the process past them (with
// GOGC at 400 it otherwise could, several times over). GOMEMLIMIT set in the
// environment always wins.
func limitMemory(budget int64) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(budget + memoryOverhead)
	}
}
