package contactkit

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Every answer of the API, and every answer contactkit makes itself (an admin
// call, a refused connection, a proxy's 502), is an envelope:
// {"statusCode":S,"code":"WORD","message":"..."}, with "data" or "errors" after
// when there are any. This file writes it, for every package: the mock, the
// proxy, the journal and the shared server (serve) use nothing else.

// Code returns the embedded contract's envelope `code` word for status, as its
// examples give it, or "" for a status the contract never answers. Spec.Code
// reads a contract of one's own.
func Code(status int) string {
	s, err := LoadSpec()
	if err != nil {
		return ""
	}
	return s.Code(status)
}

// Word returns the embedded contract's word for status (see Spec.Word).
func Word(status int) string {
	s, err := LoadSpec()
	if err != nil {
		return statusWord(status)
	}
	return s.Word(status)
}

// statusWord is the word for a status the contract does not answer, made as the
// contract's own are (NOT_FOUND for "Not Found"): INTERNAL_SERVER_ERROR,
// SERVICE_UNAVAILABLE, BAD_GATEWAY. A status net/http has no text for is "ERROR".
func statusWord(status int) string {
	text := http.StatusText(status)
	if text == "" {
		return "ERROR"
	}
	return strings.ToUpper(strings.NewReplacer(" ", "_", "-", "_", "'", "").Replace(text))
}

// AppendEnvelope appends the opening of an envelope to b,
// `{"statusCode":S,"code":"WORD","message":"..."`, with no closing brace, so that
// the caller can add "data" or "errors" before it. The message is escaped as
// encoding/json escapes a string.
func AppendEnvelope(b []byte, status int, code, message string) []byte {
	b = append(b, `{"statusCode":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"code":`...)
	b = appendJSON(b, code)
	b = append(b, `,"message":`...)
	return appendJSON(b, message)
}

// Envelope returns a whole envelope; data, when not nil, is JSON set as "data".
func Envelope(status int, code, message string, data []byte) []byte {
	b := AppendEnvelope(make([]byte, 0, 64+len(message)+len(data)), status, code, message)
	if data != nil {
		b = append(b, `,"data":`...)
		b = append(b, data...)
	}
	return append(b, '}')
}

// WriteEnvelope answers status with an envelope (Envelope) as application/json.
func WriteEnvelope(w http.ResponseWriter, status int, code, message string, data []byte) {
	body := Envelope(status, code, message, data)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func appendJSON(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}
