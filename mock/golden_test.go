package mock

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestGoldenSeed pins the seeded data itself: the same seed gives these bytes in
// every process, on every machine, today and after a restart.
func TestGoldenSeed(t *testing.T) {
	m := newMock(t, Config{})
	for _, tt := range []struct{ file, path string }{
		{"list_seed1_app_demo.json", "/contacts/demo?limit=50"},
		{"list_seed1_app_other_page2.json", "/contacts/other?limit=5&page=2"},
	} {
		r := m.do("GET", tt.path, "")
		require.Equal(t, 200, r.status, tt.path)
		golden := filepath.Join("testdata", tt.file)
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(golden, append(r.raw, '\n'), 0o644))
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "golden file (go test ./mock -run Golden -update writes it)")
		assert.Equal(t, string(want), string(r.raw)+"\n", "GET %s: seeded data differs from %s", tt.path, golden)
	}
}
