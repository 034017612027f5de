package mock

import (
	"context"
	"errors"
	"strings"

	"github.com/contactkit/contactkit/store"
	"github.com/contactkit/contactkit/store/memory"
	"github.com/contactkit/contactkit/store/redis"
)

// Store is what the mock's handlers need of the contacts they serve, one app at a
// time, and what the admin API needs to export, replace and reset them. An app
// comes into being on first use, seeded from the server's seed and its id. Methods
// take ctx and return errors because a store may live across a network; failures
// are package store's sentinels (errors.go maps them to answers) or anything else,
// which answers 500. Two adapters implement it: store/memory and store/redis.
type Store interface {
	// Page returns page (from 1) of the app's live contacts, newest first, limit
	// per page, and how many live contacts the app holds.
	Page(ctx context.Context, appID string, page int64, limit int) ([]Contact, int, error)
	Get(ctx context.Context, appID string, id [16]byte) (Contact, error)
	// Toggle flips is_blocked and returns the contact as it now is.
	Toggle(ctx context.Context, appID string, id [16]byte) (Contact, error)
	Delete(ctx context.Context, appID string, id [16]byte) error
	// Create stores every row or none, dated nowMs (never before the app's newest).
	Create(ctx context.Context, appID string, rows []NewContact, nowMs int64) error
	// Export returns every live contact of the app, oldest first.
	Export(ctx context.Context, appID string) ([]Contact, error)
	// Replace makes rows (oldest first, ids unique) the app's contacts.
	Replace(ctx context.Context, appID string, rows []Contact) error
	// ReplaceIfNew is Replace for an app that does not exist yet; one that does
	// keeps what it holds (a store shared by replicas outlives each of them).
	ReplaceIfNew(ctx context.Context, appID string, rows []Contact) error
	// Empty leaves the app with no contacts (it is not seeded again until Reset).
	Empty(ctx context.Context, appID string) error
	// Reset drops every app; each comes back seeded on its next use.
	Reset(ctx context.Context) error
	// Apps reports how many apps exist.
	Apps(ctx context.Context) (int, error)
	// Version returns a number that changes after every write, by any replica, so
	// an answer read under it may be served again while it holds (answers.go).
	Version(ctx context.Context) (uint64, error)
	// Close lets go of what the store holds outside the process (connections).
	Close() error
}

var (
	_ Store = (*memory.Store)(nil)
	_ Store = (*redis.Store)(nil)
)

// Contact and NewContact are package store's, the types every store hands out
// and takes.
type (
	Contact    = store.Contact
	NewContact = store.NewContact
)

// newStore is the store cfg.Store names: memory, or Redis. Only the memory store
// counts its contacts against the budget: Redis holds the others.
func newStore(cfg Config, b *budget) (Store, error) {
	limits := store.Config{Seed: cfg.Seed, Contacts: cfg.Contacts, MaxContacts: cfg.MaxContacts}
	if len(cfg.Auth) == 0 {
		limits.MaxApps = cfg.MaxApps // auth mode names its apps
	}
	switch {
	case cfg.Store == DefaultStore:
		var budget memory.Budget
		if b != nil {
			budget = b
		}
		return memory.New(limits, budget), nil
	case strings.HasPrefix(cfg.Store, "redis://"), strings.HasPrefix(cfg.Store, "rediss://"):
		return redis.New(redis.Config{Config: limits, URL: cfg.Store, Prefix: cfg.StorePrefix,
			Timeout: cfg.StoreTimeout, Logger: cfg.Logger})
	}
	return nil, errors.New(`store: want "memory" or a redis:// URL`)
}
