// Package serve runs an http.Handler the way both contactkit servers, the mock and
// the proxy, run: listening at once (so a bad or busy address fails in Start),
// serving in a goroutine, shut down under the caller's deadline, with the same
// timeouts, header cap and connection cap, and the same answer to a connection
// past the cap: a 503 in the API's envelope.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Defaults for Config's zero fields, the mock's and the proxy's alike; cmd uses
// them as flag defaults.
const (
	// DefaultReadHeaderTimeout cuts off a client that stalls while sending headers.
	DefaultReadHeaderTimeout = 5 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds a whole exchange; each server sets its own above
	// the longest answer it may give (a delayed answer, a slow target).
	DefaultWriteTimeout = time.Minute
	// DefaultIdleTimeout closes idle keep-alive connections: seconds, not minutes,
	// so idle clients cannot hold the connection cap for long.
	DefaultIdleTimeout = 10 * time.Second
	// DefaultMaxHeaderBytes caps request headers, URL included; past it net/http
	// itself answers 431. Browsers send a few KB.
	DefaultMaxHeaderBytes = 64 << 10
	// DefaultMaxConns caps open connections; past it a new connection is answered
	// 503 and closed, so a client learns at once rather than waiting.
	DefaultMaxConns = 1024
)

// Config says how to serve. Its zero fields take the Default* values; Handler is
// required.
type Config struct {
	// Addr is where Start listens, HOST:PORT; port 0 picks a free one.
	Addr    string
	Handler http.Handler

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	MaxHeaderBytes    int
	MaxConns          int
	// Logger gets net/http's own complaints (at warn) and a line a second at most
	// while connections are refused; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	positive(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	positive(&c.ReadTimeout, DefaultReadTimeout)
	positive(&c.WriteTimeout, DefaultWriteTimeout)
	positive(&c.IdleTimeout, DefaultIdleTimeout)
	positive(&c.MaxHeaderBytes, DefaultMaxHeaderBytes)
	positive(&c.MaxConns, DefaultMaxConns)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func positive[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Server is one handler being served. Its methods are safe to call from any
// goroutine.
type Server struct {
	ln   net.Listener
	http *http.Server
	done chan error // gets why Serve returned, once

	// mu guards stopped.
	mu      sync.Mutex
	stopped bool
}

// Start listens on cfg.Addr now, so a bad or busy address fails here, and serves
// cfg.Handler in a goroutine until Shutdown.
func Start(cfg Config) (*Server, error) {
	if cfg.Handler == nil {
		return nil, errors.New("serve: no handler")
	}
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	s := &Server{
		ln: newLimitListener(ln, cfg.MaxConns, cfg.Logger),
		http: &http.Server{
			Handler:           cfg.Handler,
			ReadHeaderTimeout: cfg.ReadHeaderTimeout,
			ReadTimeout:       cfg.ReadTimeout,
			WriteTimeout:      cfg.WriteTimeout,
			IdleTimeout:       cfg.IdleTimeout,
			MaxHeaderBytes:    cfg.MaxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		},
		done: make(chan error, 1),
	}
	go func() {
		err := s.http.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	return s, nil
}

// Addr returns the address the server listens on, with the real port when
// Config.Addr asked for port 0.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting connections and waits, until ctx is done, for the
// requests in flight to finish. It returns why serving stopped, if not by
// Shutdown; a second call returns nil at once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	stopped := s.stopped
	s.stopped = true
	s.mu.Unlock()
	if stopped {
		return nil
	}
	if err := s.http.Shutdown(ctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return <-s.done
}
