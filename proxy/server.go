package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Start listens on Config.Addr at once, so a bad or busy address fails here, and
// serves in a goroutine until Shutdown. With RecordDir it also rewrites the
// recording every RecordInterval.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.http != nil {
		return errors.New("proxy: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = &limitListener{Listener: ln, max: int64(s.cfg.MaxConns)}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	s.done = make(chan error, 1)
	go func(srv *http.Server, ln net.Listener) {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}(s.http, s.ln)
	if s.rec != nil && s.cfg.RecordInterval > 0 {
		s.stopRec, s.recDone = make(chan struct{}), make(chan struct{})
		go s.recordEvery(s.cfg.RecordInterval, s.stopRec, s.recDone)
	}
	return nil
}

func (s *Server) recordEvery(every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if _, err := s.rec.write(); err != nil {
				s.cfg.Logger.Error("recording not written", "error", err.Error())
			}
		}
	}
}

// Addr returns the address Start listens on, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Shutdown ends the live feeds, stops accepting connections, waits until ctx is
// done for exchanges in flight, then writes the recording one last time.
func (s *Server) Shutdown(ctx context.Context) error {
	s.journal.Close()
	s.mu.Lock()
	srv, done, stop, recDone := s.http, s.done, s.stopRec, s.recDone
	s.stopRec = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-recDone
	}
	var errs []error
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown: %w", err))
		} else if err := <-done; err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.WriteRecording(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// WriteRecording writes the session so far as scenario files and returns the
// file's path; "" with no RecordDir or nothing recorded yet.
func (s *Server) WriteRecording() (string, error) {
	if s.rec == nil {
		return "", nil
	}
	return s.rec.write()
}

// limitListener refuses connections past max with a 503 in the API's envelope,
// at once, rather than letting them queue: a client that opens thousands of idle
// connections cannot lock others out for long, and a refused one is told why.
type limitListener struct {
	net.Listener
	max    int64
	active atomic.Int64
}

var busyAnswer = func() []byte {
	body := envelopeBytes(http.StatusServiceUnavailable, "SERVICE_UNAVAILABLE", "contactkit proxy: too many connections at once; try again")
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
}()

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.active.Add(1) > l.max {
			l.active.Add(-1)
			go func() {
				_ = c.SetWriteDeadline(time.Now().Add(time.Second))
				_, _ = c.Write(busyAnswer)
				_ = c.Close()
			}()
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.active.Add(-1) })
	return c.Conn.Close()
}
