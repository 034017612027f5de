// Package redistest starts a real redis-server for tests: a temp directory, a free
// loopback port, append-only persistence on, so a test can stop Redis and start it
// again on the same data. It is the Redis counterpart of net/http/httptest.
package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Binary is the server the tests start; CI installs Debian's redis-server.
const Binary = "redis-server"

// startTimeout bounds how long a fresh redis-server may take to answer PING.
// Generous: the machines running the tests are shared and loaded.
const startTimeout = 20 * time.Second

// Server is one redis-server process the test owns.
type Server struct {
	// Addr is HOST:PORT on loopback.
	Addr string
	// Dir holds the server's data (the append-only file) and its log.
	Dir string
	// Password is what clients must send, or "" for none.
	Password string
	// Args are more redis-server arguments, after the defaults (later wins).
	Args []string

	// mu guards proc: a test may stop and start the server while cleanup runs.
	mu   sync.Mutex
	proc *process
}

// process is one run of redis-server; done closes when it has exited.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// Available reports whether redis-server is on PATH.
func Available() bool {
	_, err := exec.LookPath(Binary)
	return err == nil
}

// Start starts a redis-server for tb and stops it when tb ends. It skips tb, saying
// why, only when redis-server is not on PATH.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWithPassword(tb, "")
}

// StartWithPassword is Start with requirepass set to password.
func StartWithPassword(tb testing.TB, password string) *Server {
	tb.Helper()
	return StartWith(tb, password)
}

// StartWith is Start with requirepass set to password (unless "") and more
// redis-server arguments, such as "--appendonly", "no".
func StartWith(tb testing.TB, password string, args ...string) *Server {
	tb.Helper()
	s, err := Launch(tb.TempDir(), password, args...)
	if errors.Is(err, exec.ErrNotFound) {
		tb.Skipf("%s not on PATH: install it (Debian: apt-get install redis-server) to run the Redis store tests", Binary)
	}
	if err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Launch starts a redis-server with its data in dir and args after the
// defaults, for callers that outlive one test (a TestMain). The caller stops it.
func Launch(dir, password string, args ...string) (*Server, error) {
	if !Available() {
		return nil, fmt.Errorf("%s: %w", Binary, exec.ErrNotFound)
	}
	s := &Server{Dir: dir, Password: password, Args: args}
	// A free port can be taken between finding it and the server binding it:
	// try a few.
	var err error
	for range 5 {
		if s.Addr, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.startProcess(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

// URL is the redis:// URL of database db, with the password when there is one.
func (s *Server) URL(db int) string {
	auth := ""
	if s.Password != "" {
		auth = ":" + s.Password + "@"
	}
	return "redis://" + auth + s.Addr + "/" + strconv.Itoa(db)
}

// Client returns a client of database db, closed when tb ends.
func (s *Server) Client(tb testing.TB, db int) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password, DB: db, Protocol: 2, DisableIdentity: true})
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Restart shuts the server down the way an operator would (SHUTDOWN, which
// flushes the append-only file) and starts it again on the same directory and port.
func (s *Server) Restart() error {
	if err := s.Shutdown(); err != nil {
		return err
	}
	return s.Resume()
}

// Shutdown sends SHUTDOWN and waits for the process to exit.
func (s *Server) Shutdown() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password, Protocol: 2, DisableIdentity: true})
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	// SHUTDOWN closes the connection instead of answering: its error says nothing.
	_ = c.Shutdown(ctx).Err()
	_ = c.Close()
	select {
	case <-s.proc.done:
	case <-ctx.Done():
		return fmt.Errorf("redis-server on %s did not exit after SHUTDOWN", s.Addr)
	}
	s.proc = nil
	return nil
}

// Resume starts the server again after Shutdown, on the same directory and port.
func (s *Server) Resume() error {
	// The port was just freed; the kernel may take a moment to let it go.
	deadline := time.Now().Add(startTimeout)
	for {
		err := s.startProcess()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Pause stops the process (SIGSTOP) so it accepts connections but answers
// nothing: Redis as a client sees it when it is overloaded or swapped out.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Continue lets a paused process run again.
func (s *Server) Continue() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return errors.New("redis-server not running")
	}
	return s.proc.cmd.Process.Signal(sig)
}

// Stop kills the server, if it runs.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Kill()
	<-s.proc.done
	s.proc = nil
}

// startProcess starts redis-server on s.Addr and waits until it answers PING.
func (s *Server) startProcess() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	host, port, _ := net.SplitHostPort(s.Addr)
	args := []string{
		"--bind", host, "--port", port, "--dir", s.Dir,
		"--appendonly", "yes", "--save", "",
		"--daemonize", "no", "--logfile", filepath.Join(s.Dir, "redis.log"),
	}
	if s.Password != "" {
		args = append(args, "--requirepass", s.Password)
	}
	args = append(args, s.Args...)
	cmd := exec.Command(Binary, args...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", Binary, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	c := redis.NewClient(&redis.Options{Addr: s.Addr, Password: s.Password, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.proc = p
			return nil
		}
		select {
		case <-p.done:
			log, _ := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
			return fmt.Errorf("redis-server on %s exited: %s", s.Addr, tail(log, 400))
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-p.done
			return fmt.Errorf("redis-server on %s did not answer PING within %s: %w", s.Addr, startTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
