// Package redact is the one place that decides how a credential is kept out of
// what contactkit prints, logs, records or serves: the runner's reports, the
// explorer's files, the proxy's logs and recordings, and the journal both servers
// keep.
//
// A Scrubber knows each secret in every form a text may carry it: raw,
// JSON-escaped (with "/" and with PHP's "\/"), URL-encoded (query and path
// escaping) and base64 (standard and URL alphabets, padded or not, at any
// alignment within a longer encoded text). A secret of PrefixLen characters or
// more is cut out wherever a form's first PrefixLen characters start, as far as
// the form goes on, so a secret that was cut (by a server, a reader or a report)
// goes too; a shorter one (a test's "t") only where it stands as a word of its
// own, so ordinary words survive. Header and Query take credentials out of
// headers and URLs by their names.
//
// The package imports nothing of contactkit: the mock, the runner, the proxy and
// the journal all use it, and the mock must never import the runner.
package redact
