// Package proxy is a validating reverse proxy for the Contacts API: it sits
// between a client (a front end, a QA session, a test suite) and a real server,
// forwards every request and answer unchanged, and judges each exchange against
// the contract as it happens.
//
// Each answer gets the checks the conformance runner gives every answer (it
// calls check.Checker, the same code): a status the operation documents,
// application/json, the schema with every violation, the envelope, meta against
// data. Each request is checked against the contract too (kin-openapi's
// ValidateRequest), and across the session the proxy keeps a model of what it
// saw: a contact created through it must show in later lists with what was sent,
// one deleted must stay gone, a PUT must flip is_blocked.
//
// Every exchange goes to a journal (package journal) served at /__admin/requests,
// each entry with its violations; every violation is one log line; with Strict a
// violating answer is replaced by a 502 in the API's envelope. With RecordDir the
// session is written as scenario files that `contactkit conform --suite` replays.
//
// The proxy is bounded everywhere a client or a target could make it hold
// memory: request and answer bodies are buffered up to MaxBody (larger ones
// stream through unchecked), the journal, the model and the recording have caps,
// and every wait has a timeout. A bearer token passes through to the target and
// nowhere else: not to logs, the journal, recordings or error messages.
package proxy
