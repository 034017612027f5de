package mock

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contactkit/contactkit"
)

// writeDataFile writes a data file of n contacts in one app, half of them with
// every field given, in YAML or JSON.
func writeDataFile(tb testing.TB, n int, json bool) string {
	tb.Helper()
	var b strings.Builder
	if json {
		b.WriteString(`{"apps":{"big":[` + "\n")
	} else {
		b.WriteString("apps:\n  big:\n")
	}
	for i := range n {
		full := i%2 == 0
		var row string
		if full {
			row = fmt.Sprintf(`{"id": "%08x-6a4e-4f57-9b1e-3f3f7c1b2a10", "name": "Budi Santoso %d", "phone": %d, "is_blocked": %t, "created_at": "2024-05-14T11:51:48.000+07:00"}`,
				i, i, 6281200000000+int64(i), i%10 == 0)
		} else {
			row = fmt.Sprintf(`{"name": "Siti Aminah %d", "phone": %d}`, i, 6281300000000+int64(i))
		}
		if json {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(row)
		} else {
			b.WriteString("    - " + row + "\n")
		}
	}
	if json {
		b.WriteString("\n]}}\n")
	}
	ext := ".yaml"
	if json {
		ext = ".json"
	}
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("data%d%s", n, ext))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkLoadData100k reads and checks a data file of 100,000 contacts (the
// issue asks for under 2 s), and serves it: Store.Replace included.
func BenchmarkLoadData100k(b *testing.B) {
	spec, err := contactkit.LoadSpec()
	if err != nil {
		b.Fatal(err)
	}
	for _, format := range []string{"yaml", "json"} {
		b.Run(format, func(b *testing.B) {
			path := writeDataFile(b, 100_000, format == "json")
			// CPU time too: on a shared, loaded machine wall time says more about
			// the neighbours than about the load.
			cpu0 := cpuTime()
			for b.Loop() {
				if _, err := New(Config{DataFile: path, Spec: spec}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
