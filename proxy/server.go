package proxy

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/contactkit/contactkit/serve"
)

// Start listens on Config.Addr at once, so a bad or busy address fails here, and
// serves in a goroutine until Shutdown (package serve, as the mock does). With
// RecordDir it also rewrites the recording every RecordInterval.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return errors.New("proxy: already started")
	}
	srv, err := serve.Start(serve.Config{
		Addr:              s.cfg.Addr,
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		MaxConns:          s.cfg.MaxConns,
		Logger:            s.cfg.Logger,
	})
	if err != nil {
		return err
	}
	s.srv = srv
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
	if s.srv == nil {
		return nil
	}
	return s.srv.Addr()
}

// Shutdown ends the live feeds, stops accepting connections, waits until ctx is
// done for exchanges in flight, then writes the recording one last time.
func (s *Server) Shutdown(ctx context.Context) error {
	s.journal.Close()
	s.mu.Lock()
	srv, stop, recDone := s.srv, s.stopRec, s.recDone
	s.stopRec = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-recDone
	}
	var errs []error
	if srv != nil {
		errs = append(errs, srv.Shutdown(ctx))
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
