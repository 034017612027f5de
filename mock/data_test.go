package mock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const issueData = `apps:
  my-app:
    - {name: Budi Santoso, phone: 6281234567890}
    - {id: 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10, name: Siti Aminah,
       phone: 6281298765432, is_blocked: true, created_at: "2024-05-14T11:51:48.000+07:00"}
  empty-app: []
`

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func TestDataFileServesExactlyItsContacts(t *testing.T) {
	for _, tc := range []struct{ name, file string }{
		{"yaml", issueData},
		{"json", `{"apps": {
  "my-app": [
    {"name": "Budi Santoso", "phone": 6281234567890},
    {"id": "0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10", "name": "Siti Aminah", "phone": 6281298765432,
     "is_blocked": true, "created_at": "2024-05-14T11:51:48.000+07:00"}],
  "empty-app": []}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMock(t, Config{DataFile: writeFile(t, "data."+tc.name, tc.file)})
			all := m.listAll("my-app")
			require.Len(t, all, 2, "my-app holds exactly the file's contacts")
			assert.Equal(t, "Budi Santoso", all[0]["tag"], "newest first, as in the file")
			assert.Equal(t, "0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10", all[1]["id"])
			assert.Equal(t, true, all[1]["is_blocked"])
			assert.Equal(t, "2024-05-14T11:51:48.000+07:00", all[1]["created_at"])
			assert.Greater(t, all[0]["created_at"], all[1]["created_at"], "a missing date is newer than the row below it")
			assert.Equal(t, 0, m.total("empty-app"), "an app listed with no contacts has none")
			assert.Equal(t, DefaultContacts, m.total("other-app"), "other apps are seeded as ever")

			// Change everything, then reset: the file and the seed come back.
			seeded := m.do("GET", "/contacts/other-app?limit=50", "")
			require.Equal(t, 201, m.do("POST", "/contacts/my-app", docsBatch).status)
			require.Equal(t, 201, m.do("POST", "/contacts/other-app", docsBatch).status)
			require.Equal(t, 200, m.do("PUT", "/contacts/my-app/0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10", "").status)
			require.Equal(t, 200, m.do("POST", "/__admin/reset", "", adminPOST).status)
			assert.Equal(t, all, m.listAll("my-app"), "reset returns my-app to the file, ids and dates alike")
			assert.Equal(t, string(seeded.raw), string(m.do("GET", "/contacts/other-app?limit=50", "").raw), "and other apps to the seed")
		})
	}
}

func TestDataFileSameOnEveryStart(t *testing.T) {
	path := writeFile(t, "data.yaml", issueData)
	a := newMock(t, Config{DataFile: path}).listAll("my-app")
	b := newMock(t, Config{DataFile: path}).listAll("my-app")
	assert.Equal(t, a, b, "generated ids and dates repeat across starts")
	c := newMock(t, Config{DataFile: path, Seed: 2}).listAll("my-app")
	assert.NotEqual(t, a[0]["id"], c[0]["id"], "another seed draws other ids")
}

func TestDataFileRefused(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string // in the error, after the file name
	}{
		{"not yaml", "apps:\n  a:\n\t- {name: X, phone: 1}\n", ":3: not valid YAML or JSON"},
		{"no apps", "contacts: []\n", ":1: unknown key \"contacts\""},
		{"apps not a mapping", "apps: 3\n", ":1: apps: want a mapping"},
		{"rows not a list", "apps:\n  a: 3\n", ":2: apps.a: want a list of contacts"},
		{"phone a string", "apps:\n  a:\n    - {name: X, phone: \"6281\"}\n", `:3: apps.a[0].phone: want an integer such as 6281234567890, found the string "6281"`},
		{"phone fractional", "apps:\n  a:\n    - {name: X, phone: 6281.5}\n", ":3: apps.a[0].phone: want an integer"},
		{"phone too big", "apps:\n  a:\n    - {name: X, phone: 99999999999999999999}\n", ":3: apps.a[0].phone: "},
		{"phone missing", "apps:\n  a:\n    - name: X\n", ":3: apps.a[0].phone: missing"},
		{"name blank", "apps:\n  a:\n    - {name: '  ', phone: 1}\n", ":3: apps.a[0].name: empty or only blanks"},
		{"name long", "apps:\n  a:\n    - {name: " + strings.Repeat("x", 256) + ", phone: 1}\n", ":3: apps.a[0].name: longer than 255"},
		{"bad id", "apps:\n  a:\n    - {id: nope, name: X, phone: 1}\n", ":3: apps.a[0].id: want a uuid"},
		{"id twice", "apps:\n  a:\n    - {id: 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10, name: X, phone: 1}\n    - {id: 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10, name: Y, phone: 2}\n",
			":4: apps.a[1].id: id given twice (first on line 3)"},
		{"id in two apps", "apps:\n  a:\n    - {id: 0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10, name: X, phone: 1}\n  b:\n    - {id: 0B5E0B4C-6A4E-4F57-9B1E-3F3F7C1B2A10, name: Y, phone: 2}\n",
			":5: apps.b[0].id: id given to app \"a\" too (line 3): a contact belongs to one app"},
		{"date format", "apps:\n  a:\n    - {name: X, phone: 1, created_at: 2024-05-14}\n", ":3: apps.a[0].created_at: want the docs' format"},
		{"date order", "apps:\n  a:\n    - {name: X, phone: 1, created_at: \"2024-05-14T11:51:48.000+07:00\"}\n    - {name: Y, phone: 2, created_at: \"2024-05-15T11:51:48.000+07:00\"}\n",
			":3: apps.a[0].created_at: older than the contact below it (line 4)"},
		{"blocked not bool", "apps:\n  a:\n    - {name: X, phone: 1, is_blocked: 'yes'}\n", ":3: apps.a[0].is_blocked: want true or false"},
		{"unknown field", "apps:\n  a:\n    - {name: X, phone: 1, tag: X}\n", ":3: apps.a[0].tag: unknown field"},
		{"row not a mapping", "apps:\n  a:\n    - just a name\n", ":3: apps.a[0]: want a contact"},
		{"json syntax", "{\"apps\": {\"a\": [\n{\"name\": \"X\", \"phone\": 1},\n{\"name\": }\n]}}", ":3: not valid JSON"},
		{"json unknown field", "{\"apps\": {\"a\": [\n{\"name\": \"X\", \"phone\": 1},\n{\"name\": \"Y\", \"phone\": 2, \"x\": 1}\n]}}", ":3: apps.a[1].x: unknown field"},
		{"json phone float", "{\"apps\": {\"a\": [\n\n{\"name\": \"X\", \"phone\": 6.28e12}]}}", ":3: apps.a[0].phone: want an integer"},
		{"too many contacts", "apps:\n  a:\n    - {name: X, phone: 1}\n    - {name: Y, phone: 2}\n", ":2: apps.a: 2 contacts: more than --max-contacts 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "data.txt", tc.file)
			_, err := New(Config{DataFile: path, Contacts: -1, MaxContacts: 1 + btoi(tc.name != "too many contacts")*10})
			require.Error(t, err, "New with %s", tc.name)
			assert.Contains(t, err.Error(), path+tc.want, "the error names the file, the line and what is wrong")
			var bad DataErrors
			assert.True(t, errors.As(err, &bad), "a DataErrors: %v", err)
		})
	}
}

func TestDataFileMissing(t *testing.T) {
	_, err := New(Config{DataFile: filepath.Join(t.TempDir(), "nope.yaml")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope.yaml")
}

func TestAdminAppsExportReplaceEmpty(t *testing.T) {
	m := newMock(t, Config{})
	r := m.do("PUT", "/__admin/apps/e2e", `[
		{"name": "Ana", "phone": 6281111111111},
		{"name": "Bo", "phone": 6282222222222, "is_blocked": true, "created_at": "2024-01-02T03:04:05.006+07:00"}]`)
	require.Equal(t, 200, r.status, "PUT: %s", r.raw)
	assert.Equal(t, 2.0, r.object()["contacts"])
	all := m.listAll("e2e")
	require.Len(t, all, 2)
	assert.Equal(t, "Ana", all[0]["tag"])

	exp := m.do("GET", "/__admin/apps/e2e", "")
	require.Equal(t, 200, exp.status)
	// The export is a data file: it loads back through PUT and through --data.
	assert.Equal(t, 422, m.do("PUT", "/__admin/apps/copy", string(exp.raw)).status, "an export of e2e is not another app's")
	require.Equal(t, 200, m.do("PUT", "/__admin/apps/e2e", string(exp.raw)).status, "export loads back")
	assert.Equal(t, all, m.listAll("e2e"), "export then PUT changes nothing")
	fromFile := newMock(t, Config{DataFile: writeFile(t, "export.json", string(exp.raw))})
	assert.Equal(t, all, fromFile.listAll("e2e"), "export loads with --data")

	bad := m.do("PUT", "/__admin/apps/e2e", `[{"name": "Ana", "phone": "0812"}, {"name": "", "phone": 1, "x": 2}]`)
	assert.Equal(t, 422, bad.status)
	assert.Contains(t, bad.errors()["0.phone"], "want an integer", "errors keyed by row and field: %s", bad.raw)
	assert.Contains(t, bad.errors(), "1.x")
	assert.Len(t, m.listAll("e2e"), 2, "a refused PUT changes nothing")

	other := m.do("PUT", "/__admin/apps/e2e", `{"apps": {"someone-else": []}}`)
	assert.Equal(t, 422, other.status, "a PUT names only its own app")

	assert.Equal(t, 200, m.do("DELETE", "/__admin/apps/e2e", "").status)
	assert.Equal(t, 0, m.total("e2e"), "DELETE empties the app")
	assert.Equal(t, 201, m.do("POST", "/contacts/e2e", docsBatch).status, "an emptied app takes creates")

	apps := m.do("GET", "/__admin/apps", "")
	assert.Contains(t, apps.object()["apps"], "e2e", "the apps served are listed")
}

// allocated returns the bytes f allocates, the whole process's (the test must
// not run in parallel with others).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// ints is n bare integers separated by commas: a value of the data file's
// syntax for every two bytes, the costliest a parser can be given.
func ints(n int) string { return strings.TrimSuffix(strings.Repeat("1,", n), ",") }

// A data file's parse costs memory by its values, not its bytes: a file of bare
// integers costs hundreds of times its size. The cost is estimated before
// parsing and refused past --max-memory, and a JSON file whose rows are wrong
// stops reading at the errors it reports.
func TestDataFileBoundedBeforeParsing(t *testing.T) {
	small := allocated(func() {
		_, err := New(Config{DataFile: writeFile(t, "small.yaml", "apps:\n  a: [1]\n"), Contacts: -1})
		require.Error(t, err)
	})
	for _, tc := range []struct {
		name, file string
		maxMemory  int64
		want       string
	}{
		{"yaml ints past the budget", "apps:\n  a: [" + ints(100_000) + "]\n", 16 << 20, "more than --max-memory 16 MiB"},
		{"yaml block ints past the budget", "apps:\n  a:\n" + strings.Repeat("  - 1\n", 50_000), 16 << 20, "more than --max-memory 16 MiB"},
		{"json ints", `{"apps":{"a":[` + ints(100_000) + `]}}`, 0, "apps.a[0]: want a contact {name, phone}, found a JSON number"},
		// Counted under a budget of 1 GiB, but a list of scalars holds no contact.
		{"yaml block ints", "apps:\n  a:\n" + strings.Repeat("  - 1\n", 50_000), 0, ":3: 50000 list items are not contacts"},
	} {
		path := writeFile(t, "data.txt", tc.file)
		var err error
		took := allocated(func() { _, err = New(Config{DataFile: path, Contacts: -1, MaxMemory: tc.maxMemory}) })
		require.Error(t, err, "New with %s", tc.name)
		assert.Contains(t, err.Error(), tc.want, "%s: says why", tc.name)
		assert.Less(t, took, small+uint64(4*len(tc.file)), "%s: refused before parsing costs more than a few times the file (%d bytes)", tc.name, len(tc.file))
	}
	// A file that fits is read as ever.
	_, err := New(Config{DataFile: writeFile(t, "ok.yaml", issueData), MaxMemory: 16 << 20})
	assert.NoError(t, err, "a small file under a small budget")
}

// An admin PUT's body is costed before it is parsed, against the memory budget
// (as a create's body is), and the budget is given back afterwards.
func TestAdminPutBoundedBeforeParsing(t *testing.T) {
	m := newMock(t, Config{MaxMemory: 32 << 20})
	body := strings.Repeat("- {}\n", 80_000) // 400 KB, under --max-body: empty mappings, a value every 2.5 bytes
	var r reply
	took := allocated(func() { r = m.do("PUT", "/__admin/apps/a", body, "Content-Type: application/yaml") })
	assert.Equal(t, 422, r.status, "PUT of %d bytes of integers", len(body))
	assert.Contains(t, r.json["message"], "memory", "says why: %s", r.raw)
	assert.Less(t, took, uint64(8*len(body)), "refused before parsing")
	for range 3 {
		ok := m.do("PUT", "/__admin/apps/a", `[{"name": "Ana", "phone": 6281111111111}]`)
		require.Equal(t, 200, ok.status, "the budget was given back: %s", ok.raw)
	}
	roomy := newMock(t, Config{})
	body = strings.Repeat("- 1\n", 100_000)
	took = allocated(func() { r = roomy.do("PUT", "/__admin/apps/a", body, "Content-Type: application/yaml") })
	assert.Equal(t, 422, r.status, "PUT of %d bytes of integers under the default budget", len(body))
	assert.Contains(t, r.errors()["body"], "100000 list items are not contacts", "says why: %s", r.raw)
	assert.Less(t, took, uint64(8*len(body)), "refused before parsing, under the default budget too")
}
