package scenario

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit"
	"github.com/contactkit/contactkit/check"
)

// A step's expectations are held to the contract when the file loads: a status
// no faithful server answers, or a pointer to a field no answer has, is a
// mistake of the file, which would otherwise fail (or pass) every run for a
// reason that is not the target's.

// walkPages is the member a walk adds to the document its expectations see.
const walkPages = "pages"

// checkContract checks st's expected statuses and its pointers (body
// assertions, captures) against the operation's answers; expect is the step's
// expect node, for lines.
func (p *parser) checkContract(st *Step, expect *yaml.Node) {
	op := st.Op
	switch {
	case op == "":
		op = p.routeOf(st.Method, st.Path)
	case p.spec.Op(op) == nil:
		return // an unknown op, which the step's check reported
	}
	allowed := check.AnswerStatuses(p.spec, op)
	statuses := append(slices.Clone(st.Expect.Status), slices.Sorted(maps.Keys(st.Expect.Readings))...)
	var bad []string
	for _, code := range statuses {
		if !slices.Contains(allowed, code) {
			bad = append(bad, strconv.Itoa(code))
		}
	}
	if len(bad) > 0 {
		at := expect
		if s := mapValue(expect, "status"); s != nil {
			at = s
		}
		p.fail(at, "step %q: status %s is not one %s answers: %s", st.Name, strings.Join(bad, ", "), opWords(op), p.statusWords(op, allowed))
		return
	}
	for _, a := range st.Expect.Body {
		p.checkPointer(st, op, statuses, a.Pointer, a.Line)
	}
	for _, code := range slices.Sorted(maps.Keys(st.Expect.On)) {
		for _, a := range st.Expect.On[code] {
			p.checkPointer(st, op, []int{code}, a.Pointer, a.Line)
		}
	}
	for _, c := range st.Capture {
		p.checkPointer(st, op, statuses, c.From, c.Line)
	}
}

func opWords(op string) string {
	if op == "" {
		return "a route the contract does not have"
	}
	return op
}

// statusWords says which statuses op answers, and on what authority.
func (p *parser) statusWords(op string, allowed []int) string {
	var documented []int
	if o := p.spec.Op(op); o != nil {
		documented = o.Statuses
	}
	var more []int
	for _, code := range allowed {
		if !slices.Contains(documented, code) {
			more = append(more, code)
		}
	}
	if op == "" {
		return fmt.Sprintf("%s (404 by the %s reading, the rest by HTTP)", ints(more), contactkit.ReadingUnknownRoute)
	}
	return fmt.Sprintf("the contract documents %s; a reading or HTTP adds %s", ints(documented), ints(more))
}

func ints(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ", ")
}

// routeOf finds the operation a method and path name, placeholders standing for
// one path segment each; "" for a route the contract does not have.
func (p *parser) routeOf(method, path string) string {
	path, _, _ = strings.Cut(placeholderRE.ReplaceAllString(path, "x"), "?")
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return ""
	}
	route, _, err := p.spec.Router.FindRoute(req)
	if err != nil {
		return ""
	}
	return route.Operation.OperationID
}

// checkPointer checks that ptr addresses a field the answer of op has for one of
// statuses at least; a token holding a placeholder could be any field, so the
// check stops there.
func (p *parser) checkPointer(st *Step, op string, statuses []int, ptr string, line int) {
	toks, err := splitPointer(ptr)
	if err != nil || len(toks) == 0 {
		return // the syntax was checked where it was read
	}
	if st.Walk && toks[0].name == walkPages && len(toks) == 1 && !toks[0].selector {
		return
	}
	var first string
	for _, code := range statuses {
		miss := schemaMiss(p.answerSchema(op, code), toks)
		if miss == "" {
			return
		}
		if first == "" {
			first = fmt.Sprintf("%s's %d answer %s", opWords(op), code, miss)
		}
	}
	if first != "" {
		p.errs = append(p.errs, &LoadError{File: p.file, Line: line, Msg: fmt.Sprintf("step %q: %s: %s", st.Name, ptr, first)})
	}
}

// answerSchema is the schema of op's answer with status: the operation's, or
// the bare envelope for a status it gives without one (an unknown route, a
// status HTTP gives).
func (p *parser) answerSchema(op string, status int) *openapi3.Schema {
	if o := p.spec.Op(op); o != nil {
		if r := o.Operation.Responses.Status(status); r != nil && r.Value != nil {
			if mt := r.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
				return mt.Schema.Value
			}
		}
	}
	return p.spec.Envelope.Value
}

// schemaMiss follows toks through s and says where the schema has no such
// field ("has no field x at /data/0 (its fields: ...)"), or "" when it has, or
// when it cannot tell.
func schemaMiss(s *openapi3.Schema, toks []token) string {
	at := ""
	for _, t := range toks {
		if strings.Contains(t.name+t.selField, "{{") {
			return "" // a placeholder could name any field
		}
		if !(t.selector && t.name == "") {
			next, miss := schemaChild(s, t.name)
			if miss != "" {
				return fmt.Sprintf("has no %q at %s (%s)", t.name, cmp.Or(at, "the top"), miss)
			}
			s, at = next, at+"/"+check.EscapeToken(t.name)
		}
		if t.selector {
			if s == nil {
				return ""
			}
			if s.Items == nil || s.Items.Value == nil {
				return fmt.Sprintf("has no list at %s to select [%s=...] in", cmp.Or(at, "the top"), t.selField)
			}
			items := s.Items.Value
			if _, miss := schemaChild(items, t.selField); miss != "" {
				return fmt.Sprintf("has no %q in the items of %s to select by (%s)", t.selField, at, miss)
			}
			s, at = items, at+"/N"
		}
	}
	return ""
}

// schemaChild is the schema of member name of a value of schema s, or why it
// has none; a nil schema (one that cannot be told) has every member.
func schemaChild(s *openapi3.Schema, name string) (*openapi3.Schema, string) {
	if s == nil || len(s.AllOf)+len(s.AnyOf)+len(s.OneOf) > 0 {
		return nil, ""
	}
	switch {
	case s.Type.Is(openapi3.TypeArray):
		if _, err := strconv.Atoi(name); err != nil {
			return nil, "a list, indexed by number"
		}
		if s.Items == nil {
			return nil, ""
		}
		return s.Items.Value, ""
	case s.Type.Is(openapi3.TypeObject) || len(s.Properties) > 0:
		if p := s.Properties[name]; p != nil {
			return p.Value, ""
		}
		if s.AdditionalProperties.Schema != nil {
			return s.AdditionalProperties.Schema.Value, ""
		}
		return nil, "its fields: " + strings.Join(slices.Sorted(maps.Keys(s.Properties)), ", ")
	case s.Type == nil || s.Type.IsEmpty():
		return nil, ""
	}
	kind := strings.Join(s.Type.Slice(), " or ")
	article := "a "
	if strings.ContainsRune("aeiou", rune(kind[0])) {
		article = "an "
	}
	return nil, article + kind + ", which has no fields"
}

// mapValue is the value of key in mapping n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
