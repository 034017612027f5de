// Package journal keeps the recent exchanges of a server (the mock or the proxy)
// for people and scripts to read: a bounded ring of entries, each with the
// request and the answer (headers and bodies, clipped), the contract's verdict,
// and no credential.
//
// A server keeps each exchange with Keep, on its hot path: Keep copies the first
// bytes of the exchange's texts and bodies and keeps its header maps, nothing more
// (record.go). Everything a client sends is bounded before it is kept: the ring
// holds at most Config.MaxEntries records and Config.MaxBytes bytes, counted
// exactly. An entry is built from its record when it is read: a path, a body or a
// problem longer than its bound is clipped (and says so), and credentials are
// taken out before anything is clipped, so a cut can never leave part of a token
// behind.
// Authorization shows as "Bearer ***"; other credential-looking headers and query
// parameters as "***"; the credentials they carried are scrubbed from every other
// text of the entry too, by package redact (every encoded form, and any run that
// starts with 8 characters of one).
//
// Journal.ServeHTTP answers the admin API a server mounts under /__admin/requests:
// GET lists (with filters), DELETE clears, and GET /__admin/requests/stream (or
// Accept: text/event-stream) is a live feed of server-sent events. The feed never
// slows a request: each subscriber has a bounded buffer, and one that falls behind
// is dropped (it may reconnect with Last-Event-ID and lose nothing the ring still
// holds).
package journal
