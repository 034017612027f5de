package proxy

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordingsNeverShareAFile: two proxies started in the same second with one
// --record directory write a file each; neither overwrites the other's.
func TestRecordingsNeverShareAFile(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 27, 9, 15, 0, 0, time.UTC)
	logger := slog.New(slog.DiscardHandler)
	a := newRecorder(dir, 10, start, logger)
	b := newRecorder(dir, 10, start, logger)
	assert.NotEqual(t, a.file, b.file, "two recordings started in the same second")
	assert.True(t, strings.HasPrefix(filepath.Base(a.file), "session-20261127T091500Z"), "the name still says when: %s", a.file)

	d := newDouble(spec(t), flawNone)
	var files []string
	for range 2 {
		r := newRig(t, d, Config{RecordDir: dir})
		r.do("GET", "/contacts/app1?limit=10", "")
		file, err := r.proxy.WriteRecording()
		require.NoError(t, err)
		files = append(files, file)
	}
	assert.NotEqual(t, files[0], files[1], "each proxy its own file")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "two recordings in the directory")
}
