// Package mock serves a stateful, in-memory mock of the Contacts API described by the
// embedded contract (openapi.yaml).
//
// Every request goes the same way, in the order pipeline.go reads top to bottom: the
// contract's router finds the operation (else 404), or a verdict remembered for the
// very same method and URL stands in for routing and validation; the bearer check
// runs once; a create's body is read within its cap; a Prefer header may pick a
// documented example; openapi3filter.ValidateRequest judges the rest (paging
// parameters, the create body); a handler answers from the Store. One table
// (errors.go) turns any failure into the API's envelope and the API's own
// (Indonesian) words. Nothing a client sends reaches it as a kin-openapi or Go error
// string.
//
// A Store (store.go, the interface the mock asks) keeps each application's contacts
// apart: store/memory in this process, each app behind its own mutex, or store/redis
// shared by replicas. An app is seeded on first use from a faker seeded with the
// server's seed and the app id (store.Faker), so the same seed gives the same contacts
// in whatever order requests arrive, across restarts, and in either store. Resetting
// drops every app; each comes back seeded on its next use.
//
// Start, Addr and Shutdown are package serve's, as the proxy's are; every envelope
// comes from the root package's writer, and the words in it (codes, the docs'
// sentences and 422 words, the first page) from the contract.
//
// What a client can make the mock hold is bounded: the request target and app id
// by length (MaxTargetLength, MaxAppIDLength), contacts and bodies being read by one
// memory budget (Config.MaxMemory), connections by Config.MaxConns, delayed answers
// by Config.MaxDelayed; what the journal and the verdict memory keep is clipped and
// copied.
//
// Front ends steer the mock with a Prism-compatible Prefer header (code=, example=,
// plus delay=), and an admin API under /__admin/ resets state, shows a journal of
// recent requests and reports health.
//
// As a test fixture (issue 12): a data file (data.go) gives apps their exact
// contacts at start and on every reset, above the Store (Reset, then Replace per
// app); the admin API exports, replaces and empties an app; fault rules
// (faults.go) inject what the contract does not describe, after the bearer check,
// seeded; the journal is the shared package journal, with headers, bodies and the
// verdict, and a live feed; a page (admin_page.go, page/) watches it all. The
// admin API is not a web page's to call (admin.go, cors.go): no CORS, no simple
// POST, loopback names only on a loopback mock.
package mock
