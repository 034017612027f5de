package proxy

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/contactkit/contactkit/journal"
	"github.com/contactkit/contactkit/serve"
)

// Defaults for Config's zero fields; cmd uses them as flag defaults.
const (
	// DefaultAddr binds loopback only, as the mock does.
	DefaultAddr = "127.0.0.1:4020"
	// DefaultMaxBody is the largest request or answer body the proxy buffers to
	// check; a larger one streams through unchecked and the journal says so. Every
	// answer of this API is far smaller.
	DefaultMaxBody = 1 << 20
	// DefaultTimeout bounds one exchange with the target, answer body included.
	DefaultTimeout = 30 * time.Second
	// DefaultDialTimeout bounds connecting to the target.
	DefaultDialTimeout = 5 * time.Second
	// DefaultWriteTimeout bounds a whole exchange with a client; it exceeds
	// DefaultTimeout so the target's answer still gets out. The other limits of a
	// client connection are package serve's, the mock's too.
	DefaultWriteTimeout = DefaultTimeout + 10*time.Second
	// DefaultReadHeaderTimeout and DefaultMaxConns are serve's, named here for
	// the flags.
	DefaultReadHeaderTimeout = serve.DefaultReadHeaderTimeout
	DefaultMaxConns          = serve.DefaultMaxConns
	// DefaultRecordInterval is how often a recording is rewritten while the proxy
	// runs, so a crash loses at most that much; it is also written on Shutdown.
	DefaultRecordInterval = 10 * time.Second
	// DefaultMaxRecordSteps caps a recording; exchanges past it are not recorded
	// (the log says so once).
	DefaultMaxRecordSteps = 10_000
	// DefaultLogFormat is one human-readable line per event.
	DefaultLogFormat = "text"
)

// Config configures a Server. Only Target is required.
type Config struct {
	// Target is the base URL requests are forwarded to, e.g. https://staging.example.com.
	Target string
	// Addr is where Start listens; "" means DefaultAddr.
	Addr string
	// Strict answers a 502 in the API's envelope instead of an answer that breaks
	// the contract.
	Strict bool
	// RecordDir, when set, is where the session is written as scenario files.
	RecordDir string
	// RecordInterval is how often the recording is rewritten; 0 means
	// DefaultRecordInterval, a negative value only on Shutdown.
	RecordInterval time.Duration
	// MaxRecordSteps caps the steps recorded; 0 means DefaultMaxRecordSteps.
	MaxRecordSteps int
	// AdminToken, when set, is the bearer token /__admin/ requires (but health).
	AdminToken string
	// Grants are the target's tokens and the apps each is granted, as the mock's
	// --auth says them. With them the proxy knows a request with another token,
	// or on another app, must be refused; without them only a request with no
	// bearer token at all must.
	Grants map[string][]string
	// Logger gets one line per violation and per exchange; nil discards them.
	Logger *slog.Logger

	// MaxBody caps the bodies buffered to check; 0 means DefaultMaxBody.
	MaxBody int64
	// Timeout bounds one exchange with the target; 0 means DefaultTimeout.
	Timeout time.Duration
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, MaxHeaderBytes
	// and MaxConns bound client connections; 0 means the Default of each, this
	// package's (WriteTimeout) or package serve's.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConns          int

	// Journal bounds the journal; its zero value uses journal's defaults.
	Journal journal.Config
	// Transport sends requests to the target; nil means one tuned for a single
	// upstream (keep-alive, no added compression).
	Transport http.RoundTripper
}

func (c Config) withDefaults() Config {
	or := func(v, d time.Duration) time.Duration {
		if v == 0 {
			return d
		}
		return v
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	c.Timeout = or(c.Timeout, DefaultTimeout)
	c.WriteTimeout = or(c.WriteTimeout, DefaultWriteTimeout)
	c.RecordInterval = or(c.RecordInterval, DefaultRecordInterval)
	if c.MaxRecordSteps <= 0 {
		c.MaxRecordSteps = DefaultMaxRecordSteps
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
