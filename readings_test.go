package contactkit_test

import (
	"os"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit"
)

// TestContractReadingsAreKnown: every x-readings mark of the contract names a
// reading of the list, so no finding can name one the README does not explain.
func TestContractReadingsAreKnown(t *testing.T) {
	marks := regexp.MustCompile(`x-readings: \{([^}]*)\}`).FindAllStringSubmatch(string(contactkit.Contract()), -1)
	require.NotEmpty(t, marks, "the contract marks its readings")
	for _, m := range marks {
		for _, id := range regexp.MustCompile(`:\s*([a-z0-9-]+)`).FindAllStringSubmatch(m[1], -1) {
			_, ok := contactkit.LookupReading(id[1])
			assert.True(t, ok, "x-readings names %q, which is not a reading", id[1])
		}
	}
}

// TestREADMEListsEveryReading: the README's table of readings has a row for
// each, by id, so a user who sees a warning can look it up.
func TestREADMEListsEveryReading(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, r := range contactkit.Readings() {
		assert.Regexp(t, "(?m)^\\| `"+regexp.QuoteMeta(r.ID)+"` \\|", string(readme), "README row for reading %s", r.ID)
	}
}
