package scenario

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/contactkit/contactkit/check"
)

// Values from outside the files: a run's own variables (--var NAME=VALUE, --vars
// FILE) and the environment ({{env.NAME}}).

// EnvPrefix starts a placeholder read from the environment: {{env.HOME}}.
const EnvPrefix = "env."

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckVarName refuses a name a var, an example row's column, a capture or a
// run's variable cannot have: one that is not letters, digits and _, or a
// built-in's.
func CheckVarName(name string) error {
	switch {
	case !varName.MatchString(name):
		return fmt.Errorf("%q is not a variable name (letters, digits, _)", name)
	case IsBuiltin(name):
		return fmt.Errorf("%q is a built-in name", name)
	}
	return nil
}

// VarValue reads a value given as text (--var NAME=VALUE, an environment
// variable): a JSON number, true, false, null or a quoted JSON string is that
// value, so {{phone}} sends an integer; anything else is the text as it is.
func VarValue(text string) any {
	v, err := check.DecodeJSON([]byte(text))
	if err != nil {
		return text
	}
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && int64(int(i)) == i {
			return int(i)
		}
		return x
	case string, bool, nil:
		return x
	}
	return text // an object or a list stays text: a file says those better
}

// ParseVar reads one --var: NAME=VALUE, the value read by VarValue.
func ParseVar(arg string) (string, any, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return "", nil, fmt.Errorf("%q: write NAME=VALUE", arg)
	}
	if err := CheckVarName(name); err != nil {
		return "", nil, err
	}
	return name, VarValue(value), nil
}

// ReadVars reads a --vars file: one YAML mapping of name: value, values of any
// YAML type (an integer stays one, exactly). Every problem is a *LoadError.
func ReadVars(file string, data []byte) (map[string]any, error) {
	p := &parser{file: file}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &LoadError{File: file, Line: yamlErrLine(err), Msg: yamlLine.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: "), "")}
	}
	out := map[string]any{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	p.entries(doc.Content[0], "a vars file must be a mapping of name: value", func(k, v *yaml.Node) {
		if err := CheckVarName(k.Value); err != nil {
			p.fail(k, "%v", err)
			return
		}
		if _, dup := out[k.Value]; dup {
			p.fail(k, "%q is given twice", k.Value)
			return
		}
		val, ok := p.value(v)
		switch {
		case !ok:
		case len(Placeholders(val)) > 0:
			p.fail(v, "%q: a vars file gives values, not placeholders", k.Value)
		default:
			out[k.Value] = val
		}
	})
	return out, errors.Join(p.errs...)
}
