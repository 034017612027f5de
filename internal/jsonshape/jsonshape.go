// Package jsonshape sizes a JSON text before anyone parses it: how many values
// it holds and, for an array, how many items. The mock prices a create's body
// and a data file with it before judging them, and the request check learns
// whether a batch holds more rows than kin-openapi is given whole.
package jsonshape

import "strings"

// Of reads a JSON text once, without parsing it, for what judging it will
// cost: about how many values it holds (one more than its openings, commas
// and colons outside strings) and, when it is an array, how many items (one
// more than the commas at its first depth; 0 for [] or any other text).
func Of(src []byte) (values int64, items int) {
	values = 1
	depth, commas, any, array := 0, 0, false, false
	inString, escaped := false, false
	for _, c := range src {
		if inString {
			if escaped {
				escaped = false
			} else {
				escaped, inString = c == '\\', c != '"'
			}
			continue
		}
		if depth == 0 && c == '[' {
			array = true
		}
		if depth == 1 && strings.IndexByte(" \t\r\n,]", c) < 0 {
			any = true
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			values++
		case ']', '}':
			depth--
		case ',':
			values++
			if depth == 1 {
				commas++
			}
		case ':':
			values++
		}
	}
	if array && any {
		items = commas + 1
	}
	return values, items
}
