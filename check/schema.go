package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// readingsKey is the extension by which the contract marks the schema rules that
// are readings of a silence of the docs, not the docs' own: `x-readings:
// {minLength: create-lenient-values}` on a schema says that its minLength is one.
const readingsKey = "x-readings"

// schemaFinding turns one of kin-openapi's schema errors into a finding of kind
// check, sourced from the docs unless the contract marks the broken rule as a
// reading. prefix starts the message ("request body " for a request).
func schemaFinding(se *openapi3.SchemaError, root *openapi3.SchemaRef, check Check, prefix string) Finding {
	toks := se.JSONPointer()
	ptr := PointerOf(toks)
	reason := se.Reason
	if reason == "" {
		reason = se.Error()
	}
	at := ptr
	if at == "" {
		at = "the body"
		if prefix != "" {
			at = "(whole)"
		}
	}
	f := Finding{Check: check, Message: prefix + at + ": " + Clip(reason, 300), Pointer: ptr,
		Expected: schemaExpectation(se), Actual: Show(se.Value), Contract: schemaLocation(root, toks, se.SchemaField)}
	if id := ruleReading(se.Schema, se.SchemaField); id != "" {
		f.Source, f.Reading = Reading, id
	}
	return f
}

// ruleReading is the reading the contract marks keyword of s with, or "".
func ruleReading(s *openapi3.Schema, keyword string) string {
	if s == nil {
		return ""
	}
	m, _ := s.Extensions[readingsKey].(map[string]any)
	id, _ := m[keyword].(string)
	return id
}

func schemaExpectation(se *openapi3.SchemaError) string {
	s := se.Schema
	if s == nil {
		return se.SchemaField
	}
	switch se.SchemaField {
	case "type":
		if s.Type != nil {
			w := strings.Join(s.Type.Slice(), " or ")
			if s.Format != "" {
				w += " (" + s.Format + ")"
			}
			return w
		}
	case "format":
		return "format " + s.Format
	case "required":
		return "required: " + strings.Join(s.Required, ", ")
	case "enum":
		return "one of " + Show(s.Enum)
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf(">= %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("<= %v", *s.Max)
		}
	case "nullable":
		return "not null"
	}
	return se.SchemaField
}

// flatten unpacks kin-openapi's multi-errors into single errors, for the answer
// checks and the request check alike. It looks at each error's own type, not its
// chain: a RequestError keeps the parameter or body it is about, and a
// ResponseError that only wraps a body's schema errors gives way to them.
func flatten(err error) []error {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []error
		for _, inner := range e {
			out = append(out, flatten(inner)...)
		}
		return out
	case *openapi3.SchemaError:
		if me, ok := e.Origin.(openapi3.MultiError); ok {
			return flatten(me)
		}
	case *openapi3filter.ResponseError:
		var me openapi3.MultiError
		var se *openapi3.SchemaError
		if errors.As(e.Err, &me) {
			return flatten(me)
		}
		if errors.As(e.Err, &se) {
			return flatten(se)
		}
	}
	return []error{err}
}

func responseSchema(op *openapi3.Operation, status int) *openapi3.SchemaRef {
	r := op.Responses.Status(status)
	if r == nil || r.Value == nil {
		return nil
	}
	m := r.Value.Content.Get("application/json")
	if m == nil {
		return nil
	}
	return m.Schema
}

// schemaLocation walks the schema along the pointer to the schema that rules the
// value, and names it by the nearest named schema it passes: /data/0/phone of a
// page is #/components/schemas/Contact/properties/phone.
func schemaLocation(root *openapi3.SchemaRef, toks []string, field string) string {
	if root == nil {
		return ""
	}
	if field == "required" && len(toks) > 0 {
		toks = toks[:len(toks)-1] // kin-openapi points at the missing property
	}
	cur := root
	at := root.Ref
	for _, t := range toks {
		if cur.Ref != "" {
			at = cur.Ref
		}
		s := cur.Value
		if s == nil {
			break
		}
		if p, ok := s.Properties[t]; ok {
			at += "/properties/" + EscapeToken(t)
			cur = p
		} else if s.Items != nil && isIndex(t) {
			at += "/items"
			cur = s.Items
		} else if s.AdditionalProperties.Schema != nil {
			at += "/additionalProperties"
			cur = s.AdditionalProperties.Schema
		} else {
			break
		}
	}
	if field == "required" || field == "additionalProperties" {
		if cur.Ref != "" {
			at = cur.Ref
		}
		at += "/" + field
	}
	if at == "" {
		return ""
	}
	return Loc(at)
}

func isIndex(t string) bool {
	_, err := strconv.Atoi(t)
	return err == nil
}

// plain converts json.Number to float64, the form kin-openapi's VisitJSON expects.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}
