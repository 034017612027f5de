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
// goes too. A shorter one (the README's "t") is also an ordinary word, so it is
// masked only where a credential goes, as a word of its own: after an
// Authorization scheme ("Bearer t"), or as the value of a header, query
// parameter or JSON field whose name says credential ("token=t",
// `"api_key":"t"`); a name, a path or a sentence keeps it. Header and Query take
// credentials out of headers and URLs by their names, Fields out of bodies (the
// values of JSON members and form parameters named like a credential).
//
// A scrub also reads what a text holds once decoded, where no form shows as
// written: a JSON string with escapes (S...) is unquoted and, when it
// holds a secret, written again scrubbed; a run of percent-encoded text (a path
// segment, a parameter) that holds one decoded becomes Mask; up to three layers.
//
// Seen keeps the credentials a server has met on its exchanges (the newest
// DefaultMaxSeen), so that a token issued in one answer and used as a bearer on
// the next is scrubbed from every text, before and after; With joins its
// Scrubber to a request's own.
//
// The package imports nothing of contactkit: the mock, the runner, the proxy and
// the journal all use it, and the mock must never import the runner.
package redact
