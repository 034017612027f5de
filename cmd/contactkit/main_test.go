package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contactkit/contactkit"
)

// execute runs the command line as main would and returns its exit code and output.
func execute(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	code = exitCode(err, &errOut)
	return code, out.String(), errOut.String()
}

func TestSpecPrintsContract(t *testing.T) {
	code, out, _ := execute(t, "spec")
	assert.Equal(t, 0, code)
	assert.Equal(t, string(contactkit.Contract()), out)
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"spec", "extra"},
		{"version", "--no-such-flag"},
	} {
		code, _, stderr := execute(t, args...)
		assert.Equal(t, exitUsage, code, "contactkit %s: exit code", strings.Join(args, " "))
		assert.NotEmpty(t, stderr, "contactkit %s: says why", strings.Join(args, " "))
	}
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"mock", "conform", "spec", "version"} {
		code, _, stderr := execute(t, cmd, "--help")
		assert.Equal(t, 0, code, "%s --help: exit code", cmd)
		assert.Contains(t, stderr, "Usage: contactkit "+cmd, "%s --help", cmd)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := execute(t, "version")
	assert.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(out, "contactkit "), "version output %q", out)
}
