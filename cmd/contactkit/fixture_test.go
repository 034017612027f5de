package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMockFixtureFlagErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("apps:\n  a:\n    - {name: Budi, phone: \"0812\"}\n"), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", bad}, bad + ":3: apps.a[0].phone: want an integer"},
		{[]string{"--data", filepath.Join(t.TempDir(), "missing.yaml")}, "missing.yaml"},
		{[]string{"--fault", "status=x"}, "status=x"},
		{[]string{"--fault", "colour=red"}, "unknown key"},
		{[]string{"--fault", "op=listContacts,status=404"}, "want 429 or 500-599"},
		{[]string{"--fault", "op=nope,status=503"}, "no operation of the contract"},
		{[]string{"--cors-origin", "localhost:5173"}, "want * or an origin"},
		{[]string{"--admin-cors-origin", "http://x/path"}, "want * or an origin"},
	} {
		args := append([]string{"mock", "--addr", "127.0.0.1:0"}, tc.args...)
		code, _, stderr := execute(t, args...)
		assert.Equal(t, exitUsage, code, "contactkit %s: exit code", strings.Join(args, " "))
		assert.Contains(t, stderr, tc.want, "contactkit %s: says why", strings.Join(args, " "))
	}
}

func TestBannerSaysWhereAndWarns(t *testing.T) {
	for _, tc := range []struct {
		name   string
		addr   *net.TCPAddr
		locked bool
		want   []string
		not    []string
	}{
		{"loopback", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4010}, false,
			[]string{"listening on http://127.0.0.1:4010"}, []string{"WARNING", "every interface"}},
		{"every interface", &net.TCPAddr{IP: net.IPv4zero, Port: 4010}, false,
			[]string{"listening on every interface, port 4010", "WARNING", "--admin-token"}, []string{"listening on http://127.0.0.1"}},
		{"every interface, locked", &net.TCPAddr{IP: net.IPv6unspecified, Port: 4010}, true,
			[]string{"every interface"}, []string{"WARNING"}},
		{"one LAN address", &net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 4010}, false,
			[]string{"listening on http://192.168.1.5:4010", "WARNING"}, nil},
	} {
		var out bytes.Buffer
		banner(&out, tc.addr, authFlag{}, tc.locked)
		for _, w := range tc.want {
			assert.Contains(t, out.String(), w, "%s: banner", tc.name)
		}
		for _, w := range tc.not {
			assert.NotContains(t, out.String(), w, "%s: banner", tc.name)
		}
	}
}

func TestMockWithDataAndFault(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data.yaml")
	require.NoError(t, os.WriteFile(data, []byte("apps:\n  my-app:\n    - {name: Budi Santoso, phone: 6281234567890}\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"mock", "--addr", "127.0.0.1:0", "--data", data, "--log-format", "json",
			"--fault", "op=getContact,status=503,times=1",
			"--cors-origin", "http://localhost:5173", "--cors-origin", "http://localhost:3000"}, &out, &errOut)
	}()
	var url string
	require.Eventually(t, func() bool {
		m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(out.String())
		if m != nil {
			url = m[1]
		}
		return m != nil && strings.Contains(out.String(), "Ctrl-C stops")
	}, 10*time.Second, 10*time.Millisecond, "banner printed")
	assert.Contains(t, out.String(), "data: "+data+" (1 apps)")
	assert.Contains(t, out.String(), "fault: op=getContact,status=503,times=1")

	get := func(path, origin string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", url+path, nil)
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	resp, body := get("/contacts/my-app", "http://localhost:3000")
	assert.Contains(t, body, `"total":1`, "my-app holds the file's one contact")
	assert.Equal(t, "http://localhost:3000", resp.Header.Get("Access-Control-Allow-Origin"), "the second --cors-origin")
	id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(body)[1]
	resp, _ = get("/contacts/my-app/"+id, "")
	assert.Equal(t, 503, resp.StatusCode, "the --fault rule")

	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("mock did not shut down")
	}
	assert.Contains(t, errOut.String(), `"injected":"fault rule 1: status 503"`, "the log says the answer was injected")
}
