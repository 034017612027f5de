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

// TestFlagErrorsHint: a bad flag says what was wrong and where the flags are
// listed, in two lines, not the whole usage; a bare number for a duration is told
// to add a unit.
func TestFlagErrorsHint(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"conform", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"conform", "--timeout", "5"}, "a duration needs a unit: 5ms or 5s"},
		{[]string{"conform", "--deadline", "2.5"}, "a duration needs a unit: 2.5ms or 2.5s"},
		{[]string{"mock", "--latency", "300"}, "a duration needs a unit: 300ms or 300s"},
		{[]string{"spec", "--x"}, "flag provided but not defined: -x"},
		{[]string{"version", "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range cases {
		code, _, stderr := execute(t, tc.args...)
		name := strings.Join(tc.args, " ")
		assert.Equal(t, exitUsage, code, "%s: exit code", name)
		assert.Contains(t, stderr, tc.want, "%s: stderr", name)
		assert.Contains(t, stderr, `run "contactkit `+tc.args[0]+` --help" for its flags`, "%s: hint", name)
		assert.NotContains(t, stderr, "Usage:", "%s: the whole usage", name)
		assert.Equal(t, 2, strings.Count(stderr, "\n"), "%s: two lines: %q", name, stderr)
	}
}
