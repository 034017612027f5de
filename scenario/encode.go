package scenario

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Encode writes scenarios as one scenario file, each a YAML document, after a
// header comment (one line each). Keys come in the order a reader expects them,
// values as Parse reads them back: Parse(Encode(s)) holds the same scenarios.
func Encode(w io.Writer, header []string, scs ...*Scenario) error {
	var out bytes.Buffer
	for _, h := range header {
		writeComment(&out, h)
	}
	for i, sc := range scs {
		if i > 0 {
			out.WriteString("---\n")
		}
		for _, c := range sc.Comment {
			writeComment(&out, c)
		}
		enc := yaml.NewEncoder(&out)
		enc.SetIndent(2)
		if err := enc.Encode(scenarioNode(sc)); err != nil {
			return fmt.Errorf("encode scenario %q: %w", sc.Name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encode scenario %q: %w", sc.Name, err)
		}
	}
	_, err := w.Write(out.Bytes())
	return err
}

func writeComment(b *bytes.Buffer, line string) {
	for _, l := range strings.Split(line, "\n") {
		b.WriteString("# " + strings.ReplaceAll(l, "\r", "") + "\n")
	}
}

func scenarioNode(sc *Scenario) *yaml.Node {
	n := mapping()
	add(n, "name", str(sc.Name))
	if len(sc.Tags) > 0 {
		add(n, "tags", words(sc.Tags))
	}
	if len(sc.Needs) > 0 {
		add(n, "needs", words(sc.Needs))
	}
	if sc.Exclusive {
		add(n, "exclusive", boolean(true))
	}
	if len(sc.Vars) > 0 {
		vars := mapping()
		for _, v := range sc.Vars {
			add(vars, v.Name, Value(v.Value))
		}
		add(n, "vars", vars)
	}
	if len(sc.Examples) > 0 {
		rows := &yaml.Node{Kind: yaml.SequenceNode}
		for _, r := range sc.Examples {
			rows.Content = append(rows.Content, pairsNode(r.Values, yaml.FlowStyle))
		}
		add(n, "examples", rows)
	}
	add(n, "steps", stepsNode(sc.Steps))
	if len(sc.Cleanup) > 0 {
		add(n, "cleanup", stepsNode(sc.Cleanup))
	}
	return n
}

func stepsNode(steps []*Step) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, st := range steps {
		n.Content = append(n.Content, stepNode(st))
	}
	return n
}

func stepNode(st *Step) *yaml.Node {
	n := mapping()
	add(n, "name", str(st.Name))
	if st.Op != "" {
		add(n, "op", str(st.Op))
	} else {
		add(n, "method", str(st.Method))
		add(n, "path", str(st.Path))
	}
	for _, ps := range []struct {
		key   string
		pairs []Pair
	}{{"params", st.Params}, {"query", st.Query}, {"headers", st.Headers}} {
		if len(ps.pairs) > 0 {
			add(n, ps.key, pairsNode(ps.pairs, 0))
		}
	}
	if st.Auth != "" && st.Auth != AuthToken {
		add(n, "auth", str(st.Auth))
	}
	switch {
	case st.RawBody != nil:
		add(n, "raw_body", str(*st.RawBody))
	case st.HasBody:
		add(n, "body", Value(st.Body))
	}
	if st.Walk {
		add(n, "walk", boolean(true))
	}
	if st.AcrossPages {
		add(n, "across_pages", boolean(true))
	}
	if st.Unchecked {
		add(n, "unchecked", boolean(true))
	}
	if st.Retry != nil {
		r := mapping()
		r.Style = yaml.FlowStyle
		add(r, "times", integer(int64(st.Retry.Times)))
		add(r, "interval", str(st.Retry.Interval.String()))
		add(n, "retry", r)
	}
	add(n, "expect", expectNode(st.Expect))
	if len(st.Capture) > 0 {
		m := mapping()
		for _, c := range st.Capture {
			if c.Optional {
				cm := mapping()
				add(cm, "from", str(c.From))
				add(cm, "optional", boolean(true))
				add(m, c.Name, cm)
			} else {
				add(m, c.Name, str(c.From))
			}
		}
		add(n, "capture", m)
	}
	if st.Rule != "" {
		add(n, "rule", str(st.Rule))
	}
	if st.Reading != "" {
		add(n, "reading", str(st.Reading))
	}
	return n
}

func expectNode(e Expect) *yaml.Node {
	n := mapping()
	if len(e.Status) == 1 {
		add(n, "status", integer(int64(e.Status[0])))
	} else {
		s := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, c := range e.Status {
			s.Content = append(s.Content, integer(int64(c)))
		}
		add(n, "status", s)
	}
	if len(e.Readings) > 0 {
		r := mapping()
		for _, code := range slices.Sorted(maps.Keys(e.Readings)) {
			r.Content = append(r.Content, integer(int64(code)), str(e.Readings[code]))
		}
		add(n, "readings", r)
	}
	if len(e.Body) > 0 {
		add(n, "body", assertionsNode(e.Body))
	}
	if len(e.On) > 0 {
		on := mapping()
		for _, code := range slices.Sorted(maps.Keys(e.On)) {
			on.Content = append(on.Content, integer(int64(code)), assertionsNode(e.On[code]))
		}
		add(n, "on", on)
	}
	if len(e.Headers) > 0 {
		h := mapping()
		for _, a := range e.Headers {
			add(h, a.Name, matchersNode(a.Matchers))
		}
		add(n, "headers", h)
	}
	if e.MaxDuration > 0 {
		add(n, "max_duration", str(e.MaxDuration.String()))
	}
	return n
}

func pairsNode(ps []Pair, style yaml.Style) *yaml.Node {
	m := mapping()
	m.Style = style
	for _, p := range ps {
		add(m, p.Name, Value(p.Value))
	}
	return m
}

// assertionsNode writes `pointer: matchers`.
func assertionsNode(as []Assertion) *yaml.Node {
	n := mapping()
	for _, a := range as {
		add(n, a.Pointer, matchersNode(a.Matchers))
	}
	return n
}

// matchersNode writes the matchers of a pointer or a header; a lone equals of a
// value that is not a mapping is written bare, as people write it.
func matchersNode(ms []Matcher) *yaml.Node {
	if len(ms) == 1 && ms[0].Kind == matcherEquals {
		if _, isMap := ms[0].Arg.(map[string]any); !isMap {
			return Value(ms[0].Arg)
		}
	}
	m := mapping()
	for _, mt := range ms {
		add(m, mt.Kind, Value(mt.Arg))
	}
	return m
}

// Value renders a value of a scenario (what Parse gives, or decoded JSON with
// json.Number) as YAML that Parse reads back as the same JSON value: an integer
// stays an integer, exactly, and text stays text.
func Value(v any) *yaml.Node {
	switch x := v.(type) {
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case bool:
		return boolean(x)
	case int:
		return integer(int64(x))
	case int64:
		return integer(x)
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(x, 'g', -1, 64)}
	case json.Number:
		if _, ok := new(big.Int).SetString(x.String(), 10); ok {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: x.String()}
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: x.String()}
	case string:
		return str(x)
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, e := range x {
			n.Content = append(n.Content, Value(e))
		}
		return n
	case map[string]any:
		n := mapping()
		keys := slices.Collect(maps.Keys(x))
		// JSON objects have no order; name before phone reads like the docs.
		slices.SortFunc(keys, func(a, b string) int { return strings.Compare(keyRank(a), keyRank(b)) })
		for _, k := range keys {
			add(n, k, Value(x[k]))
		}
		return n
	}
	return str(fmt.Sprint(v))
}

func keyRank(k string) string {
	switch k {
	case "name":
		return "0"
	case "phone":
		return "1"
	}
	return "2" + k
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func add(m *yaml.Node, key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func integer(n int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(n, 10)}
}

func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

func words(ws []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, w := range ws {
		n.Content = append(n.Content, str(w))
	}
	return n
}
