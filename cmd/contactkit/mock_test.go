package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMockFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"mock", "--log-format", "xml"},
		{"mock", "--auth", "no-equals"},
		{"mock", "--auth", "t="},
		{"mock", "--auth", "t=a,,b"},
		{"mock", "--contacts", "-1"},
		{"mock", "--max-body", "0"},
		{"mock", "--contacts", "10", "--max-contacts", "5"},
		{"mock", "--tz", "Mars/Olympus"},
		{"mock", "--latency", "-1s"},
		{"mock", "--max-memory", "0"},
		{"mock", "--contacts", "1000000", "--max-memory", "64MiB"},
		{"mock", "--max-memory", "lots"},
		{"mock", "--max-memory", "-5MiB"},
		{"mock", "--max-conns", "0"},
		{"mock", "--idle-timeout", "0s"},
		{"mock", "--addr", "nonsense"},
		{"mock", "--no-such-flag"},
		{"mock", "stray"},
	} {
		code, _, stderr := execute(t, args...)
		assert.Equal(t, exitUsage, code, "contactkit %s: exit code", strings.Join(args, " "))
		assert.NotEmpty(t, stderr, "contactkit %s: says why", strings.Join(args, " "))
	}
}

// syncBuffer is a bytes.Buffer safe to read while the mock writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestMockServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--auth", "tok=app", "--log-format", "json"}, &out, &errOut)
	}()
	var url string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		// The banner is written line by line: wait for its last line.
		return m != nil && strings.Contains(out.String(), "curl -H 'Authorization: Bearer")
	}, 5*time.Second, 10*time.Millisecond, "banner printed with a curl to try")
	assert.NotContains(t, out.String(), "tok=", "the banner shows no token")

	req, _ := http.NewRequest("GET", url+"/contacts/app", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode, "%s", body)

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("mock did not shut down")
	}
	assert.Contains(t, errOut.String(), `"msg":"request"`, "one JSON log line per request")
	assert.NotContains(t, errOut.String(), "Bearer tok", "the log shows no token")
}

func TestTuneGC(t *testing.T) {
	gcPercent := func() int { // read it by setting it back
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tc := range []struct {
		name     string
		envGOGC  string
		contacts int
		want     int
	}{
		{"small seed", "", 25, 400},
		{"a million contacts keep the default", "", 1_000_000, 100},
		{"GOGC in the environment wins", "150", 25, 100},
	} {
		debug.SetGCPercent(100)
		t.Setenv("GOGC", tc.envGOGC)
		tuneGC(tc.contacts)
		assert.Equal(t, tc.want, gcPercent(), "%s: GC percent", tc.name)
	}
}

func TestSizeFlag(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20},
		{"512MiB", 512 << 20},
		{"2GiB", 2 << 30},
		{"64KiB", 64 << 10},
		{"100B", 100},
	} {
		var f sizeFlag
		if assert.NoError(t, f.Set(tc.in), "--max-memory %s", tc.in) {
			assert.Equal(t, tc.want, int64(f), "--max-memory %s", tc.in)
		}
	}
	def := sizeFlag(1 << 30)
	assert.Equal(t, "1GiB", def.String(), "the default as shown by -help")
}

func TestLimitMemory(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, tc := range []struct {
		name, env string
		want      int64
	}{
		{"budget plus overhead", "", 1<<30 + memoryOverhead},
		{"GOMEMLIMIT in the environment wins", "3GiB", 42},
	} {
		debug.SetMemoryLimit(42)
		t.Setenv("GOMEMLIMIT", tc.env)
		limitMemory(1 << 30)
		assert.Equal(t, tc.want, debug.SetMemoryLimit(-1), "%s: memory limit", tc.name)
	}
}
