package journal

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestJSONLenIsEncodingJSONs: the byte cap counts a text as encoding/json
// writes it, on the printable-ASCII path and the other, for texts mixing every
// kind of byte at every position of an eight-byte word.
func TestJSONLenIsEncodingJSONs(t *testing.T) {
	alphabet := []string{"a", " ", "~", `"`, `\`, "<", ">", "&", "\n", "\x00", "\x1f", "\x7f", "é", "\u2028", "\xff", "\xe2\x80", "😀"}
	r := rand.New(rand.NewPCG(1, 2))
	texts := []string{"", "plain", strings.Repeat("x", 17), `{"statusCode":200,"data":[{"name":"Budi <b>&"}]}`}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		texts = append(texts, b.String())
	}
	// Printable ASCII of every length around minCountedText, so both ways of
	// counting it are held to encoding/json.
	printable := []string{"a", " ", "~", `"`, `\`, "<", ">", "&", "}"}
	for n := range 3 * minCountedText {
		var b strings.Builder
		for range n {
			b.WriteString(printable[r.IntN(len(printable))])
		}
		texts = append(texts, b.String())
	}
	for _, s := range texts {
		var buf bytes.Buffer
		require := json.NewEncoder(&buf).Encode(s)
		if require != nil {
			t.Fatal(require)
		}
		want := buf.Len() - 3 // the quotes and the newline
		if got := jsonLen(s); got != want {
			t.Fatalf("jsonLen(%q) = %d, encoding/json writes %d", s, got, want)
		}
	}
}

func BenchmarkJSONLen(b *testing.B) {
	body := `{"statusCode":200,"code":"OK","message":"The request has been successfully processed.","data":[` +
		strings.Repeat(`{"id":"0b5e0b4c-6a4e-4f57-9b1e-3f3f7c1b2a10","name":"Budi Santoso","phone":6281234567890,"is_blocked":false,"created_at":"2026-12-04T10:00:00.000Z"},`, 10) + `{}]}`
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		jsonLen(body)
	}
}
