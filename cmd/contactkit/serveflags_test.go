package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestServerFlagsReadAlike gives the mock and the proxy the same bad --log-format
// and --addr: each refuses it with a usage error naming itself and the flag.
func TestServerFlagsReadAlike(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mock", "--log-format", "xml"}, `mock: --log-format "xml": want text, json or none`},
		{[]string{"proxy", "--target", "http://127.0.0.1:4010", "--log-format", "xml"}, `proxy: --log-format "xml": want text, json or none`},
		{[]string{"mock", "--addr", "nonsense"}, `mock: --addr "nonsense": want HOST:PORT, as in 127.0.0.1:`},
		{[]string{"proxy", "--target", "http://127.0.0.1:4010", "--addr", "nonsense"}, `proxy: --addr "nonsense": want HOST:PORT, as in 127.0.0.1:`},
	} {
		code, _, stderr := execute(t, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: exit code", tc.args)
		assert.Contains(t, stderr, tc.want, "%v: stderr", tc.args)
	}
}
