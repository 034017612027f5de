package check

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// decodeStd is what encoding/json makes of raw, numbers as json.Number.
func decodeStd(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.Decode(new(any)) != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// TestDecodeAsEncodingJSON: within the bounds, Decode reads a body exactly as
// encoding/json does (escapes, bytes that are not UTF-8, duplicate keys, big
// numbers), and refuses what it refuses.
func TestDecodeAsEncodingJSON(t *testing.T) {
	for _, raw := range []string{
		`{"statusCode":200,"data":[{"id":"x","phone":6281234567890,"tags":["a","b"]}],"meta":null}`,
		`"\u0053\ud83d\ude00\n\"\\"`, "\"\xff\xfe\"", `{"a":1,"a":2}`, `[1e400,-0.0,9007199254740993]`, `[]`, `{}`,
		` [ true , false , null ] `, `{"":{"":[[]]}}`,
	} {
		want, err := decodeStd([]byte(raw))
		require.NoError(t, err, raw)
		got, whole, err := Decode([]byte(raw))
		require.NoError(t, err, raw)
		assert.True(t, whole, "%s: whole", raw)
		assert.Equal(t, want, got, "Decode(%s)", raw)
		got, err = DecodeJSON([]byte(raw))
		require.NoError(t, err, raw)
		assert.Equal(t, want, got, "DecodeJSON(%s)", raw)
	}
	big := `[` + strings.TrimSuffix(strings.Repeat(`1,`, MaxJudgedItems+10), ",") + `]`
	all, err := DecodeJSON([]byte(big))
	require.NoError(t, err)
	assert.Len(t, all, MaxJudgedItems+10, "DecodeJSON reads a trusted text whole")
	for _, raw := range []string{``, `{`, `[1,]`, `{} x`, `{"a"}`, "\"\x01\"", `nul`} {
		_, _, err := Decode([]byte(raw))
		assert.Error(t, err, "Decode(%q)", raw)
	}
	_, _, err = Decode([]byte(`{} x`))
	assert.EqualError(t, err, "data after the JSON value")
}

func TestDecodeBounded(t *testing.T) {
	raw := `{"data":[` + strings.TrimSuffix(strings.Repeat(`1,`, MaxJudgedItems+300), ",") + `],"tail":"t"}`
	v, skipped, err := decodeAnswer([]byte(raw))
	require.NoError(t, err)
	data := v.(map[string]any)["data"].([]any)
	assert.Len(t, data, MaxJudgedItems, "items kept")
	assert.Equal(t, "t", v.(map[string]any)["tail"], "what follows a cut array is read")
	require.Len(t, skipped, 1)
	assert.Equal(t, "/data", skipped[0].pointer)
	assert.Equal(t, MaxJudgedItems+300, skipped[0].total)
	assert.Equal(t, MaxJudgedItems, skipped[0].kept)
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":"\u0053"}]}`, `[]`, `"x"`, "\"\xff\"", `{"a":1,"a":[]}`, `[[[[]]]]`, `1e999`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := decodeStd(raw)
		got, whole, err := Decode(raw)
		if (werr == nil) != (err == nil) {
			t.Fatalf("Decode(%q) error %v, encoding/json %v", raw, err, werr)
		}
		if err == nil && whole {
			assert.Equal(t, want, got, "Decode(%q)", raw)
		}
		exact, err := DecodeJSON(raw)
		if (werr == nil) != (err == nil) {
			t.Fatalf("DecodeJSON(%q) error %v, encoding/json %v", raw, err, werr)
		}
		if err == nil {
			assert.Equal(t, want, exact, "DecodeJSON(%q)", raw)
		}
	})
}
