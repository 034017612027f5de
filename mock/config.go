package mock

import (
	"context"
	"log/slog"
	"time"

	"github.com/contactkit/contactkit"
)

// Defaults for Config's zero fields; cmd uses them as flag defaults.
const (
	// DefaultAddr binds loopback only: a mock is a development tool, and anyone who
	// wants it on the network says so.
	DefaultAddr = "127.0.0.1:4010"
	// DefaultSeed seeds every app's faker together with the app id.
	DefaultSeed = 1
	// DefaultContacts is how many contacts an app holds when it comes into being.
	DefaultContacts = 25
	// DefaultMaxBody caps a request body, in bytes; a larger one answers 422 (body).
	DefaultMaxBody = 1 << 20
	// DefaultMaxBatch caps the rows of one create; a larger batch answers 422 (body).
	DefaultMaxBatch = 10_000
	// DefaultMaxContacts caps the contacts of one app; a create that would pass it
	// answers 422 (body) and stores nothing.
	DefaultMaxContacts = 2_000_000
	// DefaultMaxApps caps how many apps open mode brings into being; past it, a new
	// app id answers 403, as a token not granted that app would.
	DefaultMaxApps = 1_000
	// DefaultMaxNameLength caps a contact's name, in characters (runes).
	DefaultMaxNameLength = 255
	// DefaultJournalSize is how many recent requests /__admin/requests keeps.
	DefaultJournalSize = 1_000
	// DefaultMaxDelay caps a per-request delay asked for through Prefer.
	DefaultMaxDelay = 30 * time.Second
	// DefaultCORSOrigin allows browsers on any origin.
	DefaultCORSOrigin = "*"
	// DefaultLogFormat is one human-readable line per request.
	DefaultLogFormat = "text"
	// DefaultZone is the UTC offset created_at is written in, as in the docs.
	DefaultZone = "+07:00"

	// DefaultStore keeps every app in the process's memory.
	DefaultStore = "memory"
	// DefaultStorePrefix starts every key a Redis store writes, so one Redis can
	// hold several mocks.
	DefaultStorePrefix = "contactkit:"
	// DefaultStoreTimeout bounds each call to a Redis store; past it the request
	// answers 503.
	DefaultStoreTimeout = 2 * time.Second

	// DefaultWriteTimeout bounds a whole exchange; it exceeds DefaultMaxDelay so a
	// delayed answer still gets out. The other limits of a connection are package
	// serve's, the proxy's too.
	DefaultWriteTimeout = DefaultMaxDelay + 30*time.Second
	// DefaultMaxDelayed caps the requests waiting out a Prefer delay at once; past
	// it the delay is not honoured (RFC 7240 lets a server ignore a preference).
	DefaultMaxDelayed = 128
	// DefaultMaxMemory is the budget for what the mock holds for clients: contacts
	// (seeded ones too) and request bodies being read. Past it a new app answers 403
	// and a create 422.
	DefaultMaxMemory = 1 << 30
)

// Bounds on what a request may name, checked before anything else. They are not
// configurable: no real request comes near them.
const (
	// MaxTargetLength caps the request target (path and query) in bytes; a longer
	// one answers 404, as a target naming nothing the API has.
	MaxTargetLength = 8 << 10
	// MaxAppIDLength caps an app id in bytes; a longer one answers 404: no such app
	// can exist, and none is brought into being.
	MaxAppIDLength = 256
)

// Config configures a Server. Its zero value is a working mock: open mode, seed 1,
// 25 contacts per app, times in +07:00, text logs discarded.
type Config struct {
	// Addr is where ListenAndServe-style helpers listen; "" means DefaultAddr.
	Addr string
	// Seed seeds every app's data together with the app id; 0 means DefaultSeed.
	Seed int64
	// Contacts is how many contacts each app is seeded with; 0 means
	// DefaultContacts, a negative value means none.
	Contacts int
	// Auth maps a bearer token to the app ids it may use. Empty means open mode:
	// any bearer token may use any app, and an app comes into being on first use.
	Auth map[string][]string
	// AdminToken, when set, is the bearer token /__admin/ requires.
	AdminToken string
	// Latency is added before every answer.
	Latency time.Duration
	// MaxDelay caps a Prefer delay; 0 means DefaultMaxDelay.
	MaxDelay time.Duration
	// CORSOrigin is sent as Access-Control-Allow-Origin; "" means DefaultCORSOrigin.
	CORSOrigin string
	// MaxBody caps a request body in bytes; 0 means DefaultMaxBody.
	MaxBody int64
	// MaxBatch caps the rows of one create; 0 means DefaultMaxBatch.
	MaxBatch int
	// MaxContacts caps the contacts of one app; 0 means DefaultMaxContacts.
	MaxContacts int
	// MaxApps caps the apps open mode creates; 0 means DefaultMaxApps.
	MaxApps int
	// MaxNameLength caps a name in characters; 0 means DefaultMaxNameLength.
	MaxNameLength int
	// JournalSize is how many requests the journal keeps; 0 means
	// DefaultJournalSize, a negative value keeps none.
	JournalSize int
	// Zone is the location created_at is written in; nil means DefaultZone.
	Zone *time.Location
	// Strict validates every answer against the contract before sending it; an
	// answer that breaks it is logged and replaced by a 500 envelope.
	Strict bool
	// Logger gets one line per request; nil discards them.
	Logger *slog.Logger
	// DataFile names a data file (YAML or JSON, see data.go) whose apps hold
	// exactly the contacts it lists, at start and after every reset.
	DataFile string
	// Faults are fault rules in force at start and after every reset (faults.go).
	Faults []FaultRule
	// CORSOrigins are more origins allowed besides CORSOrigin (cors.go).
	CORSOrigins []string
	// AdminCORSOrigins are the origins whose pages may call /__admin/; none by
	// default, so no web page can reset state or read the journal.
	AdminCORSOrigins []string
	// Spec is the contract served; nil means the embedded one (contactkit.LoadSpec).
	// Tests pass a changed copy to show the mock follows the contract.
	Spec *contactkit.Spec

	// MaxMemory is the budget, in bytes, for contacts and request bodies held;
	// 0 means DefaultMaxMemory.
	MaxMemory int64
	// MaxConns caps open connections (Start only); 0 means serve.DefaultMaxConns.
	MaxConns int
	// MaxDelayed caps requests waiting out a Prefer delay; 0 means
	// DefaultMaxDelayed.
	MaxDelayed int
	// Store is where contacts live: "memory" (or "") for this process, or a
	// redis://[:PASSWORD@]HOST:PORT/DB URL to share them between replicas.
	Store string
	// StorePrefix starts every Redis key; "" means DefaultStorePrefix.
	StorePrefix string
	// StoreTimeout bounds each call to Redis; 0 means DefaultStoreTimeout.
	StoreTimeout time.Duration

	// Server timeouts and header cap; 0 means the Default* value of this package
	// (WriteTimeout) or of package serve.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int

	// now returns the current time; tests replace it.
	now func() time.Time
	// sleep waits d or until ctx is done; tests replace it to see the delays asked
	// for without waiting them out.
	sleep func(ctx context.Context, d time.Duration)
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Seed == 0 {
		cfg.Seed = DefaultSeed
	}
	if cfg.Contacts == 0 {
		cfg.Contacts = DefaultContacts
	} else if cfg.Contacts < 0 {
		cfg.Contacts = 0
	}
	positive(&cfg.MaxDelay, DefaultMaxDelay)
	if cfg.CORSOrigin == "" {
		cfg.CORSOrigin = DefaultCORSOrigin
	}
	positive(&cfg.MaxBody, DefaultMaxBody)
	positive(&cfg.MaxBatch, DefaultMaxBatch)
	positive(&cfg.MaxContacts, DefaultMaxContacts)
	positive(&cfg.MaxApps, DefaultMaxApps)
	positive(&cfg.MaxNameLength, DefaultMaxNameLength)
	if cfg.JournalSize == 0 {
		cfg.JournalSize = DefaultJournalSize
	} else if cfg.JournalSize < 0 {
		cfg.JournalSize = 0
	}
	if cfg.Zone == nil {
		cfg.Zone = time.FixedZone("WIB", 7*60*60)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.WriteTimeout <= 0 {
		// The timeout covers the whole exchange, added latency included.
		cfg.WriteTimeout = DefaultWriteTimeout + max(cfg.Latency, 0)
	}
	positive(&cfg.MaxMemory, DefaultMaxMemory)
	positive(&cfg.MaxDelayed, DefaultMaxDelayed)
	if cfg.Store == "" {
		cfg.Store = DefaultStore
	}
	if cfg.StorePrefix == "" {
		cfg.StorePrefix = DefaultStorePrefix
	}
	positive(&cfg.StoreTimeout, DefaultStoreTimeout)
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.sleep == nil {
		cfg.sleep = sleep
	}
	return cfg
}

// positive sets *v to def unless it is positive already.
func positive[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
