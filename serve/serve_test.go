package serve_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/serve"
)

func start(t *testing.T, cfg serve.Config) *serve.Server {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Handler == nil {
		cfg.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	}
	s, err := serve.Start(cfg)
	require.NoError(t, err, "Start")
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	return s
}

// get sends one request on c and reads the answer.
func get(c net.Conn) (*http.Response, []byte, error) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// TestConnectionCap: past MaxConns a new connection is answered 503 in the API's
// envelope and closed, at once; the connections already open are still served,
// and a place freed is taken again.
func TestConnectionCap(t *testing.T) {
	addr := start(t, serve.Config{MaxConns: 2}).Addr().String()
	for i := range 2 {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		resp, _, err := get(c)
		require.NoError(t, err, "connection %d", i)
		assert.Equal(t, 200, resp.StatusCode, "connection %d", i)
	}
	extra, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer extra.Close()
	resp, body, err := get(extra)
	require.NoError(t, err, "a third connection past MaxConns 2 is answered")
	assert.Equal(t, 503, resp.StatusCode, "a third connection: status")
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "a third connection: content type")
	assert.Equal(t, "1", resp.Header.Get("Retry-After"), "a third connection: Retry-After")
	var env map[string]any
	require.NoError(t, json.Unmarshal(body, &env), "a third connection: body %s", body)
	assert.Equal(t, map[string]any{"statusCode": 503.0, "code": "SERVICE_UNAVAILABLE", "message": serve.BusyMessage}, env,
		"a third connection: envelope")
	_, err = extra.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "a third connection is closed after its answer")
}

func TestFreedPlaceServed(t *testing.T) {
	addr := start(t, serve.Config{MaxConns: 1}).Addr().String()
	first, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	resp, _, err := get(first)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, "the first connection")
	first.Close()
	require.Eventually(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		resp, _, err := get(c)
		return err == nil && resp.StatusCode == 200
	}, 10*time.Second, 10*time.Millisecond, "a freed place is served again")
}

func TestStartFailsOnBusyAddress(t *testing.T) {
	s := start(t, serve.Config{})
	_, err := serve.Start(serve.Config{Addr: s.Addr().String(), Handler: http.NotFoundHandler()})
	assert.ErrorContains(t, err, "listen "+s.Addr().String(), "Start on a busy address")
	_, err = serve.Start(serve.Config{Addr: "127.0.0.1:0"})
	assert.Error(t, err, "Start with no handler")
}

// TestShutdownWaits: Shutdown lets a request in flight finish, refuses new
// connections, and a second call returns at once.
func TestShutdownWaits(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	s := start(t, serve.Config{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	})})
	addr := s.Addr().String()
	got := make(chan string, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got <- string(b)
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- s.Shutdown(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	close(release)
	assert.Equal(t, "done", <-got, "the request in flight finishes")
	assert.NoError(t, <-stopped, "Shutdown")
	assert.NoError(t, s.Shutdown(context.Background()), "Shutdown again")
	_, err := net.DialTimeout("tcp", addr, time.Second)
	assert.Error(t, err, "a connection after Shutdown")
}
