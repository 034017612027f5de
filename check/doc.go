// Package check holds the checks every exchange with a Contacts API server gets,
// whoever sends it: the runner's scripted steps, the explorer's generated ones and
// the live traffic the proxy sees all judge through a Checker, so one rule is
// written once.
//
// A Checker judges an answer against the contract (Checker.Check: a documented
// status, JSON, the schema with kin-openapi, the envelope's statusCode, code and
// message, and a list page against its own meta) and a request (Checker.Request:
// kin-openapi's request validation). Every Finding says what makes it true
// (Source): the docs, HTTP, or a reading of a silence of the docs
// (contactkit.Readings). Only the first two may fail a run.
//
// What one check may cost is bounded: a body is read up to MaxBody, and the
// schema check of a list reads only as many items as a page may hold and a few
// more (see Checker.Check).
package check
