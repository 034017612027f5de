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
// What one check may cost is bounded: a body is read up to MaxBody; it is
// decoded (Decode) within MaxJudgedItems items of an array, MaxJudgedMembers
// members of an object and MaxJudgedValues values in all, what lies past them
// skipped unread and reported as an Unjudged finding (an honest answer of this
// API never reaches them); and the schema check reads only as many items of an
// array as a page may hold and a few more, and the first thousand members of an
// object, since kin-openapi builds an error of kilobytes for each violation
// (see Checker.Check). A megabyte of half a million items costs a check a few
// megabytes (it cost 55 to 160).
package check
