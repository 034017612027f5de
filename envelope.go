package contactkit

import (
	"net/http"
)

// codes maps each documented HTTP status to the envelope's `code` word.
var codes = map[int]string{
	http.StatusOK:                  "OK",
	http.StatusCreated:             "CREATED",
	http.StatusBadRequest:          "BAD_REQUEST",
	http.StatusForbidden:           "FORBIDDEN",
	http.StatusNotFound:            "NOT_FOUND",
	http.StatusUnprocessableEntity: "UNPROCESSABLE_ENTITY",
}

// Code returns the envelope `code` word for a documented HTTP status, or "" for a
// status the docs never use.
func Code(status int) string {
	return codes[status]
}
