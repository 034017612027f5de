package contactkit

import "slices"

// A Reading is one place where the API's docs are silent and how contactkit
// reads it: what the mock answers there, and what the conformance runner, the
// explorer and the proxy accept without a word. An answer outside what they
// accept that breaks neither the docs nor HTTP is a warning naming the reading,
// never a failure (unless a run is strict about readings): a correct server by
// other hands may choose otherwise where the docs say nothing.
//
// The contract marks the schema rules that are readings rather than the docs'
// with `x-readings: {<keyword>: <reading id>}` on the schema that holds them, so
// a finding from kin-openapi's validation knows its source too.
type Reading struct {
	ID string
	// Case is the situation the docs say nothing about.
	Case string
	// Mock is what `contactkit mock` answers.
	Mock string
	// Accepts is what the checks accept without a warning.
	Accepts string
}

// Reading ids: a finding that departs from one names it.
const (
	ReadingAuthRefusal      = "auth-refusal"
	ReadingUnknownRoute     = "unknown-route"
	ReadingPagingInvalid    = "paging-invalid"
	ReadingLimitAboveMax    = "limit-above-max"
	ReadingPagePastLast     = "page-past-last"
	ReadingCreateNotBatch   = "create-not-batch"
	ReadingCreateLenient    = "create-lenient-json"
	ReadingCreateRow        = "create-invalid-row"
	ReadingCreateValues     = "create-lenient-values"
	ReadingCreateMediaType  = "create-media-type"
	ReadingCreateBatchSize  = "create-batch-size"
	ReadingDuplicatePhones  = "duplicate-phones"
	ReadingListOrder        = "list-order"
	ReadingTags             = "tags"
	ReadingCreatedAtStable  = "created-at-stable"
	ReadingCreatedAtForm    = "created-at-form"
	ReadingContactID        = "contact-id"
	ReadingHTTPStatusBodies = "http-status-bodies"
)

var readings = []Reading{
	{ReadingAuthRefusal, "no or malformed Authorization, an unknown token, or a token not granted the app",
		"403 FORBIDDEN envelope", "403 (the docs' only refusal; 401 is not theirs and fails); 404 for an app the token is not granted warns"},
	{ReadingUnknownRoute, "a path or method the docs do not list",
		"404 NOT_FOUND envelope", "404 or 405 (HTTP); another 4xx warns; a 2xx fails"},
	{ReadingPagingInvalid, "`page` < 1 or not an integer; `limit` < 1 or not an integer",
		"400 BAD_REQUEST envelope", "400; a 200 that reads the value as its default warns"},
	{ReadingLimitAboveMax, "`limit` above the docs' Max (50)",
		"400 BAD_REQUEST envelope", "400, or 200 with the page clamped to at most 50"},
	{ReadingPagePastLast, "a page past the last",
		"200, empty `data`, `current_page` as asked, `next_page` null", "200 with an empty page and any previous_page before it; another status warns"},
	{ReadingCreateNotBatch, "a create body that is not a JSON array, is malformed, or is `[]`",
		"422 keyed `body`, nothing stored", "400 or 422, nothing stored; a 201 warns (and what it took must read back as stored)"},
	{ReadingCreateLenient, "data after the JSON array, or invalid UTF-8 in a string",
		"422 keyed `body`, nothing stored", "400 or 422, nothing stored; taking it warns, and what was taken must read back the same everywhere"},
	{ReadingCreateRow, "a row missing a field, with a name that is not text, or a phone that is not a whole number in int64 (a phone that is not a number at all is the docs' own 422)",
		"422 keyed `<row>.<field>`, nothing stored", "400 or 422, nothing stored; a 201 warns"},
	{ReadingCreateValues, "a name that is blank, longer than 64 characters or holds control characters; a phone unlike the docs' (62 and 9 to 12 digits), past 2^53, 0 or below; a field the docs do not name",
		"blank names and names over 255 characters refused (422); the rest stored; unknown fields ignored", "refused (400 or 422, nothing stored) or stored exactly as sent; an unknown field is never honoured"},
	{ReadingCreateMediaType, "a create whose Content-Type is not JSON (text/plain, a form)",
		"422 keyed `body`, nothing stored", "400, 415 (HTTP) or 422, nothing stored; a 201 warns"},
	{ReadingCreateBatchSize, "a batch of many rows: the docs show two and name no limit",
		"past `--max-batch` (10,000 rows) 422 keyed `body`, refused on its count before any row is judged, nothing stored", "any batch of up to 1,000 rows judged row by row; a larger one may also be refused whole (400, 413 or 422 naming no row, nothing stored), which warns"},
	{ReadingDuplicatePhones, "two rows with one phone",
		"accepted, as in the docs' own example", "not asserted"},
	{ReadingListOrder, "the order of the list",
		"newest first", "any order that is stable between reads while nothing changes"},
	{ReadingTags, "a new contact's `tags`",
		"full name, first name, \"Last, First\" (the docs' example)", "any list of strings that holds the name (the docs' example begins with it)"},
	{ReadingCreatedAtStable, "whether `created_at` changes (the docs' PUT example shows another time than their list)",
		"never changes", "the same time on every read; another warns"},
	{ReadingCreatedAtForm, "how `created_at` is written",
		"`2024-05-14T11:51:48.000+07:00`, as the docs", "any RFC 3339 date-time (UTC `Z`, no millis)"},
	{ReadingContactID, "the form of a contact id",
		"a version 4 UUID", "any UUID; another string warns"},
	{ReadingHTTPStatusBodies, "answers HTTP gives where the docs have none (405, 406, 413, 414, 415, 429, 431)",
		"404, or 422 for a body, in the envelope", "the status (HTTP); a body that is not the envelope warns"},
}

// Readings returns every reading, in the order the README lists them.
func Readings() []Reading { return slices.Clone(readings) }

// LookupReading returns the reading with that id.
func LookupReading(id string) (Reading, bool) {
	i := slices.IndexFunc(readings, func(r Reading) bool { return r.ID == id })
	if i < 0 {
		return Reading{}, false
	}
	return readings[i], true
}
