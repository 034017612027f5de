package mock

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// prefer is what a Prefer header asks for, in Prism's words (code=404,
// example=empty) plus delay=MS.
type prefer struct {
	code    int
	example string
	delay   time.Duration
}

// forces reports whether p asks for a canned answer instead of a real one.
func (p prefer) forces() bool { return p.code != 0 || p.example != "" }

// parsePrefer reads every Prefer header; preferences are separated by commas or
// semicolons, values may be quoted, and unknown or malformed ones are ignored
// (RFC 7240: a server may ignore any preference).
func parsePrefer(values []string, maxDelay time.Duration) prefer {
	var p prefer
	for _, v := range values {
		for _, item := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
			key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
			if !ok {
				continue
			}
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(key)) {
			case "code":
				if n, err := strconv.Atoi(value); err == nil && n >= 100 && n <= 599 {
					p.code = n
				}
			case "example":
				if len(value) <= 100 {
					p.example = value
				}
			case "delay":
				if ms, err := strconv.ParseInt(value, 10, 64); err == nil && ms > 0 {
					p.delay = min(time.Duration(ms)*time.Millisecond, maxDelay)
				}
			}
		}
	}
	return p
}

// preferred returns the documented example p asks for: with a code, that status's
// named example (the docs' one when no name is given); with only a name, the first
// status that has an example of that name. A status or example the operation does
// not document is not honoured: the request is served as if it had no Prefer.
func (s *Server) preferred(opID string, p prefer) (answer, bool) {
	name := p.example
	if name == "" {
		name = "docs"
	}
	for _, ex := range s.examples[opID] {
		if (p.code == 0 || ex.status == p.code) && ex.name == name {
			applied := "example=" + ex.name
			if p.code != 0 {
				applied = "code=" + strconv.Itoa(p.code) + ", " + applied
			}
			return answer{status: ex.status, body: slices.Clone(ex.body), opID: opID, applied: applied,
				problem: "Prefer " + applied}, true
		}
	}
	return answer{}, false
}

func sortExamples(exs []example) {
	slices.SortFunc(exs, func(a, b example) int {
		if a.status != b.status {
			return a.status - b.status
		}
		// The docs' example first, then by name, so "example=NAME" is predictable.
		switch {
		case a.name == b.name:
			return 0
		case a.name == "docs":
			return -1
		case b.name == "docs":
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
}

func joinApplied(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
