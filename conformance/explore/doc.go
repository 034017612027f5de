// Package explore is the exploration phase of `contactkit conform`: it goes
// looking for the bugs no scripted scenario anticipated.
//
// It draws operations from the contract (contactkit.LoadSpec): create batches of
// one to two dozen rows whose names and phones sit at the schema's edges (the
// int32, int53 and int64 limits and one past them, zero and negatives, text in many
// scripts, combining marks, emoji and other astral characters, right-to-left text,
// long and short), rows and bodies the schema refuses (wrong types, missing fields,
// malformed JSON, an empty batch), walks of every page with varied limits, single
// pages with page and limit around their bounds, gets, PUTs and deletes of contacts
// made, deleted or never made, and requests with credentials or an identity that
// must be refused. Inputs are dealt like cards (see gen.go), so every seed tries
// each credential, app-id variant, raw body, media type and operation by every
// identity. Sequences of them run against the target, several side by side, each
// with a fresh model (package model), and every answer is judged twice: by the
// every-answer checks (check.Checker) and against the model, whose prediction
// (model.Predict) is what each request must get. After the sequences, alone, an
// app past a thousand contacts is walked with every page full.
//
// What the explorer holds a server to, and no more (the docs, HTTP, and the
// contract's readings, which only warn; see docs/design.md):
//
//   - A valid value must be accepted (201) and come back exactly: names as the
//     same string, phones as the same number (compared exactly, never through a
//     float64). A phone that is not a number must be refused with 422 naming its
//     row; another invalid row should be refused (400 or 422) and store nothing
//     of its batch. Where the docs are silent (a blank or very long name, a phone
//     unlike the docs', a field the docs do not name) either is right, and what is
//     taken must come back exactly; a field the server makes (id, is_blocked,
//     created_at) is never honoured.
//   - A create stores every row or none; every list page, walk and detail agree
//     with each other and with the model; a PUT flips one contact and only that
//     one, leaving its other fields (tags too) as they were, with or without a
//     body; a delete removes one contact and only that one, for good; created_at
//     never changes (a reading: a change warns).
//   - A refused request (no or malformed credentials, a token not granted the
//     app, the other identity's contact named through one's own app) answers 403
//     (404 for a contact id of another app through one's own) and changes
//     nothing, which the owner's re-read shows. "bearer" in lower case may be
//     taken or refused: schemes are case-insensitive (RFC 7235).
//
// It assumes nothing about data it did not make: every row it sends carries a key
// unique to the run (its phone when the name is under test, its name otherwise) by
// which it finds its own contacts, whatever else the app holds, and it deletes what
// it made, even when its context is cancelled. Walks never overlap a create or a
// delete of the run, so the pages of a walk must agree.
//
// A failure is shrunk (fewer operations, fewer rows, shorter names, plainer
// queries) by replaying candidates against the target and keeping one that fails
// the same way, then written as an ordinary scenario file (fixtures/README.md)
// that `contactkit conform --suite DIR` replays. A file never holds a token, so
// steps sent with the second token, or with a token with a prefix or suffix, are
// written in the nearest form a file can say and the file says so.
package explore
