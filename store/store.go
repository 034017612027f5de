// Package store is what the mock's stores share: the contact as a store hands it
// out, the failures a store reports, the limits it is built with, and the seeded
// fake data, drawn alike by every store so that the same seed and app id give the
// same contacts, byte for byte, in memory (store/memory) or in Redis
// (store/redis). The interface the mock asks of a store is the mock's own
// (mock.Store), as its consumer.
package store

import (
	"errors"
	"time"
)

// Contact is a contact as a store hands it out: a copy, never a pointer into it.
type Contact struct {
	ID        [16]byte
	Phone     int64
	Name      string
	Blocked   bool
	CreatedMs int64 // unix milliseconds
}

// NewContact is one row of a create batch, already validated.
type NewContact struct {
	Name  string
	Phone int64
}

// Config is what a store is built with besides where it keeps its data.
type Config struct {
	// Seed seeds every app's data together with the app id.
	Seed int64
	// Contacts is how many contacts an app is seeded with on first use.
	Contacts int
	// MaxContacts caps the contacts of one app.
	MaxContacts int
	// MaxApps caps how many apps may exist; 0 means no cap.
	MaxApps int
}

// The failures a store reports; anything else is the store's own fault (500), but
// what wraps ErrUnavailable (503).
var (
	// ErrNoApp is an app that cannot come into being: MaxApps reached, or no
	// memory to seed it.
	ErrNoApp = errors.New("no room for another app")
	// ErrNoMemory is a write the memory budget has no room for.
	ErrNoMemory = errors.New("memory budget reached")
	// ErrNoContact is a contact id the app does not hold (or no longer does).
	ErrNoContact = errors.New("no such contact")
	// ErrFull is a write that would take an app past MaxContacts.
	ErrFull = errors.New("app is full")
	// ErrDuplicateID is a Replace that names a contact id twice.
	ErrDuplicateID = errors.New("contact id given twice")
	// ErrUnavailable is a store out of reach or slower than its timeout (Redis
	// down, restarting, overloaded).
	ErrUnavailable = errors.New("store unavailable")
)

// ReferenceDate is the fixed instant seeded contacts are dated before (over the two
// years up to it), so that every restart dates them alike.
var ReferenceDate = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)
