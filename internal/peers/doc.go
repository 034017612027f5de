// Package peers runs two independent, correct implementations of the Contacts API
// for tests and bench scripts: servers contactkit did not grow up with.
//
// Why: contactkit's conformance runner and proxy judge servers by the API's
// documentation. Tried only against our own mock, a runner that has absorbed the
// mock's readings of the documentation's silences would pass it and then raise
// false alarms on a real server that reads them otherwise. These peers were
// written from the documentation (contacts-api-docs.txt) alone, without reading
// the mock, the runner, the proxy, openapi.yaml or the fixtures; they take
// different choices where the documentation is silent, on purpose, and each
// choice can be flipped. A runner finding on a peer is either a peer bug (a
// documented behaviour it breaks) or a runner false alarm (a silence it treats
// as documented).
//
//   - Node: node/server.js, Node.js 20 standard library only, run as a process
//     (`node internal/peers/node/server.js --port 0 --grant t1=app1 ...`).
//   - Go: goserver, the Go standard library only (net/http ServeMux patterns),
//     in process through httptest, or as a process with cmd/gopeer.
//
// Start(t, kind, opts) starts one for a test and gives its base URL. Both take
// the same flags: --host, --port (0: any free port), --grant TOKEN=APP[,APP]
// (repeatable), --seed N, --contacts N, --slow, --choice NAME=VALUE
// (repeatable), --choices (print the defaults as JSON); the first line on stdout
// is "listening on http://HOST:PORT".
//
// # What both do, because the documentation says so
//
// Five operations under /contacts/:appId[/:contactId]; every answer the envelope
// {statusCode, code, message[, data][, meta][, errors]} with the documentation's
// sentences; 403 for a missing or malformed Authorization, an unknown token or a
// token not granted the app (tokens compare exactly; there is no 401); 404 for
// an unknown path, an unknown or deleted contact, or another app's contact; the
// list paged (page 1 and limit 10 by default, limit at most 50) with a
// consistent meta, the same order on every read, an empty 200 past the last
// page; detail tags with the full name first; an atomic create (all rows or
// none) answering 422 with every invalid row's errors keyed "<index>.<field>"
// ("Nomor telepon harus ber-tipe data number" for a phone that is not a JSON
// number), phones exact integers (never through a float), names as sent,
// duplicate phones accepted, fresh v4 UUIDs, is_blocked false and created_at
// now; PUT toggles is_blocked and answers the contact; DELETE answers 200 and
// the contact is gone. Bodies are bounded (1 MiB), apps exist only when granted,
// contacts per app are bounded (200000), and no request gets a 5xx.
//
// # Where they differ: the choices (name: Node default / Go default)
//
//   - json: strict / lenient. Node refuses data after the JSON value, invalid
//     UTF-8 and lone surrogate escapes; Go reads as encoding/json's Decoder
//     does: the first value only, invalid UTF-8 stored as U+FFFD.
//   - notjson: 400 / 422. A body that is not a JSON array: Node answers the
//     documentation's 400 sentence, Go a 422 with errors {"body": ...}.
//   - limitmax: clamp / 400. limit above 50 is read as 50, or refused.
//   - paging: 400 / default. page or limit not a positive integer: refused, or
//     read as its default.
//   - order: oldest / newest. The list's order: creation order, or its reverse.
//   - time: millis / seconds. created_at 2024-05-14T04:51:48.000Z, or
//     2024-05-14T04:51:48+00:00.
//   - chunked: on / off. Chunked answers, or Content-Length.
//   - gzip: on / off. Gzip when Accept-Encoding allows it, or never.
//   - charset: on / off. "application/json; charset=utf-8", or "application/json".
//   - cache: etag / private. GETs carry a weak ETag (304 on If-None-Match) and
//     Cache-Control: no-cache; or Cache-Control: private, max-age=0, no ETag.
//   - close: 7 / 0. Every 7th answer closes its connection; or none does.
//   - slow: off / off. When on, Node delays every answer 0-10 ms, Go one in
//     three 0-15 ms.
//   - contacts: 0 / 3000. What an app starts with: nothing, or thousands of
//     contacts seeded from the seed and the app id.
//   - method: 405 / 404. A wrong method on a known path: a 405 envelope with
//     Allow, or a 404 envelope (and HEAD is answered as GET, as the mux does).
//   - emptybatch: 422 / 201. An empty array: refused, or 201 inserting nothing.
//   - extra: ignore / refuse. Fields besides name and phone: ignored (an id,
//     is_blocked or created_at sent is never honoured), or 422 "<index>.<field>".
//   - blankname: refuse / accept. A name of only whitespace.
//   - longname: 0 / 100. The most characters in a name (0: no limit).
//   - phonerange: any / positive. Whether 0 and negative phones are phones.
//   - tags: words / full. Detail tags [full name, first word, last word]
//     (repeats dropped), or [full name].
//   - pastlast: last / requested. Past the last page previous_page is last_page,
//     or page-1 (next_page is null either way).
//   - emptymeta: 1 / 0. last_page of an empty app.
//   - contenttype: strict / ignore. A POST without Content-Type: application/json
//     gets 415, or is read anyway.
//   - bearer: insensitive / exact. The scheme word in any case, or "Bearer" only.
//
// Neither answers CORS (no Access-Control-* headers, OPTIONS is a wrong method).
// Ids: Node uses crypto.randomUUID(), Go its own v4 UUIDs from crypto/rand.
// Seeded contacts are deterministic from the seed and the app id, in each peer's
// own way. Describe(kind) prints one peer's choices; Choices has them all.
//
// Wordings of our own (the documentation shows none): 422 errors
// "Nama harus ber-tipe data string", "Nama wajib diisi", "Nomor telepon harus
// berupa bilangan bulat" and the like; 405 "METHOD_NOT_ALLOWED" and 415
// "UNSUPPORTED_MEDIA_TYPE" envelopes. A phone may be written in any JSON number
// form whose value is an integer ("1e3" is 1000); other numbers get 422.
//
// Edges, as they are: a bug of a peer answers a 500 envelope (and a line on its
// stderr) so that the tests and the runner see it; no request is meant to get
// one. Node resolves "." and ".." path segments as WHATWG URLs do
// (/contacts/app1/../app1 is /contacts/app1); Go answers 404 to any path
// path.Clean would change. Requests HTTP parsers refuse (a bad escape in the
// path for Go, a bad method or oversized headers for Node) get the parser's 400:
// an envelope from Node, net/http's plain text from Go.
package peers
