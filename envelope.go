package contactkit

import (
	"net/http"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
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

// DocsMessage returns the message of the docs' example for an operation's response,
// the sentence a faithful server sends, or "" when the contract has none.
func DocsMessage(doc *openapi3.T, operationID string, status int) string {
	op := findOperation(doc, operationID)
	if op == nil {
		return ""
	}
	resp := op.Responses.Value(strconv.Itoa(status))
	if resp == nil || resp.Value == nil {
		return ""
	}
	media := resp.Value.Content.Get("application/json")
	if media == nil || media.Examples["docs"] == nil || media.Examples["docs"].Value == nil {
		return ""
	}
	body, _ := media.Examples["docs"].Value.Value.(map[string]any)
	msg, _ := body["message"].(string)
	return msg
}

// Operation returns the method, path template and operation of an operationId.
func Operation(doc *openapi3.T, operationID string) (method, path string, op *openapi3.Operation) {
	for p, item := range doc.Paths.Map() {
		for m, o := range item.Operations() {
			if o.OperationID == operationID {
				return m, p, o
			}
		}
	}
	return "", "", nil
}

func findOperation(doc *openapi3.T, operationID string) *openapi3.Operation {
	_, _, op := Operation(doc, operationID)
	return op
}
