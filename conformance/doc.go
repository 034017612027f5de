// Package conformance replays scripted scenarios against any implementation of
// the Contacts API and reports every mismatch with the contract.
//
// A scenario (YAML, see fixtures/README.md) is a list of steps; each step sends one
// request, named by its operationId, and says what the answer must be. Beside the
// scenario's own expectations, every answer is judged unasked: its status must be
// one the contract documents for the operation, its content type JSON, its body
// valid against the contract's schema (every violation, not the first), and its
// envelope consistent (statusCode, code, the docs' message). Every page of the
// list is checked against its own meta.
//
// The runner assumes nothing about the data already there: scenarios create what
// they need with unique names and phones and delete it in cleanup steps, which run
// whatever happened before. Where the docs are silent it accepts every answer the
// design allows, so a faithful server passes.
//
// Run is the entry point; it never imports the mock.
package conformance
