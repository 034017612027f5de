package mock

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoreExportReplace drives the Store the admin API will use: export an app,
// replace it, empty it, reset every app.
func TestStoreExportReplace(t *testing.T) {
	ctx := context.Background()
	st := newTestStore(t, Config{Seed: 1, Contacts: 5, MaxContacts: 10, MaxApps: 10})

	seeded, err := st.Export(ctx, "a")
	require.NoError(t, err)
	require.Len(t, seeded, 5, "export of a seeded app")
	for i := 1; i < len(seeded); i++ {
		assert.LessOrEqual(t, seeded[i-1].CreatedMs, seeded[i].CreatedMs, "export row %d: oldest first", i)
	}

	require.NoError(t, st.Replace(ctx, "b", seeded[:2]))
	got, total, err := st.Page(ctx, "b", 1, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, total, "total after replace")
	assert.Equal(t, []Contact{seeded[1], seeded[0]}, got, "page after replace: newest first")
	c, err := st.Get(ctx, "b", seeded[0].ID)
	require.NoError(t, err, "get a replaced contact")
	assert.Equal(t, seeded[0], c)
	require.NoError(t, st.Create(ctx, "b", []NewContact{{Name: "Budi", Phone: 62811}}, 0), "create after replace")

	for _, tt := range []struct {
		name string
		rows []Contact
		want error
	}{
		{"an id twice", []Contact{seeded[0], seeded[0]}, errDuplicateID},
		{"more than --max-contacts", make([]Contact, 11), errFull},
	} {
		assert.ErrorIs(t, st.Replace(ctx, "b", tt.rows), tt.want, "replace with %s", tt.name)
	}

	require.NoError(t, st.Empty(ctx, "a"))
	_, total, err = st.Page(ctx, "a", 1, 10)
	require.NoError(t, err)
	assert.Equal(t, 0, total, "total after empty")

	apps, err := st.Apps(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, apps, "apps")
	require.NoError(t, st.Reset(ctx))
	again, err := st.Export(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, seeded, again, "app a after reset: seeded as before")
}
