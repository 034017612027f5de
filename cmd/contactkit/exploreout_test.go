package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExploreOutReplacesAPlantedLink: a link planted where --explore-out writes
// its scenario file (another user's shared directory, a CI cache) is replaced
// by the file, never followed: the file it points at is left as it was.
func TestExploreOutReplacesAPlantedLink(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"statusCode":500,"code":"INTERNAL_SERVER_ERROR","message":"down"}`)
	}))
	defer broken.Close()
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim.txt")
	require.NoError(t, os.WriteFile(victim, []byte("precious\n"), 0o600))
	out := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(out, 0o755))
	planted := filepath.Join(out, "explore-seed-7.yaml")
	require.NoError(t, os.Symlink(victim, planted))

	code, _, stderr := execute(t, "conform", "--target", broken.URL, "--token", secret, "--app", "app1",
		"--explore", "5", "--seed", "7", "--explore-out", out)
	assert.Equal(t, exitMismatch, code, "exit code; stderr: %s", stderr)
	data, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious\n", string(data), "the link's target is untouched")
	info, err := os.Lstat(planted)
	require.NoError(t, err, "the scenario file is written")
	assert.True(t, info.Mode().IsRegular(), "the link was replaced by a regular file, mode %s", info.Mode())
	written, err := os.ReadFile(planted)
	require.NoError(t, err)
	assert.Contains(t, string(written), "seed 7", "the file is the scenario")
}
