package goserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error wordings of our own, in the documentation's language; the phone's type
// sentence is the documentation's.
const (
	msgPhoneType     = "Nomor telepon harus ber-tipe data number"
	msgPhoneInt      = "Nomor telepon harus berupa bilangan bulat"
	msgPhoneRange    = "Nomor telepon di luar jangkauan"
	msgPhonePositive = "Nomor telepon harus lebih besar dari 0"
	msgNameType      = "Nama harus ber-tipe data string"
	msgNameEmpty     = "Nama wajib diisi"
	msgNameBlank     = "Nama tidak boleh hanya berisi spasi"
	msgExtra         = "Kolom tidak dikenal"
	msgRowType       = "Data harus ber-tipe object"
	msgNotArray      = "Data harus berupa array JSON"
	msgEmptyBatch    = "Data tidak boleh kosong"
	msgFull          = "Jumlah kontak melebihi batas aplikasi"
)

// errNotJSON: the body is not a JSON array (or too big to be read).
var errNotJSON = errors.New("body is not a JSON array")

type newContact struct {
	name  string
	phone int64
}

// decodeRows reads a create body. It fails with errNotJSON when the body is not one
// JSON array; otherwise it gives the rows, or the errors of every invalid row
// keyed "<index>.<field>".
func (s *server) decodeRows(body []byte) ([]newContact, map[string]string, error) {
	if s.ch.strictJSON && (!utf8.Valid(body) || loneSurrogate(body)) {
		return nil, nil, errNotJSON
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, nil, errNotJSON
	}
	if s.ch.strictJSON {
		if _, err := dec.Token(); err != io.EOF {
			return nil, nil, errNotJSON // something follows the value
		}
	}
	// Lenient: what follows the first value is not read, as a json.Decoder does.
	var rows []json.RawMessage
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &rows) != nil {
		return nil, nil, errNotJSON
	}
	if len(rows) == 0 && s.ch.emptyBatch422 {
		return nil, map[string]string{"body": msgEmptyBatch}, nil
	}
	errs := map[string]string{}
	out := make([]newContact, len(rows))
	for i, row := range rows {
		key := strconv.Itoa(i) + "."
		var fields map[string]json.RawMessage
		if len(row) == 0 || row[0] != '{' || json.Unmarshal(row, &fields) != nil {
			errs[strconv.Itoa(i)] = msgRowType
			continue
		}
		if msg := s.checkName(fields["name"], &out[i].name); msg != "" {
			errs[key+"name"] = msg
		}
		if msg := s.checkPhone(fields["phone"], &out[i].phone); msg != "" {
			errs[key+"phone"] = msg
		}
		if !s.ch.ignoreExtra {
			for k := range fields {
				if k != "name" && k != "phone" {
					errs[key+k] = msgExtra
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	return out, nil, nil
}

func (s *server) checkName(raw json.RawMessage, name *string) string {
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, name) != nil {
		return msgNameType
	}
	switch n := *name; {
	case n == "":
		return msgNameEmpty
	case s.ch.refuseBlank && strings.TrimSpace(n) == "":
		return msgNameBlank
	case s.ch.longName > 0 && utf8.RuneCountInString(n) > s.ch.longName:
		return "Nama tidak boleh lebih dari " + strconv.Itoa(s.ch.longName) + " karakter"
	}
	return ""
}

func (s *server) checkPhone(raw json.RawMessage, phone *int64) string {
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return msgPhoneType
	}
	n, msg := integerOf(string(raw))
	if msg != "" {
		return msg
	}
	if n <= 0 && !s.ch.anyPhone {
		return msgPhonePositive
	}
	*phone = n
	return ""
}

var numberRE = regexp.MustCompile(`^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$`)

// integerOf gives the exact integer a JSON number stands for ("1e3" and "1000.0"
// are 1000), never through a float; or why it is not an int64.
func integerOf(text string) (int64, string) {
	m := numberRE.FindStringSubmatch(text)
	if m == nil {
		return 0, msgPhoneType
	}
	digits := strings.TrimLeft(m[2]+m[3], "0")
	if digits == "" {
		return 0, ""
	}
	exp := strings.TrimLeft(strings.TrimLeft(m[4], "+-"), "0")
	if len(exp) > 6 { // digits * 10^(huge): no int64
		if strings.HasPrefix(m[4], "-") {
			return 0, msgPhoneInt
		}
		return 0, msgPhoneRange
	}
	e := -len(m[3])
	if m[4] != "" {
		x, _ := strconv.Atoi(m[4])
		e += x
	}
	for e < 0 && strings.HasSuffix(digits, "0") {
		digits, e = digits[:len(digits)-1], e+1
	}
	if e < 0 {
		return 0, msgPhoneInt
	}
	if len(digits)+e > 19 {
		return 0, msgPhoneRange
	}
	n, err := strconv.ParseInt(m[1]+digits+strings.Repeat("0", e), 10, 64)
	if err != nil {
		return 0, msgPhoneRange
	}
	return n, ""
}

// loneSurrogate reports a \u escape of half a UTF-16 surrogate pair, which no
// UTF-8 text can hold. In a valid JSON text every backslash is in a string.
func loneSurrogate(b []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // some other escape: skip its letter
			continue
		}
		if utf8.ValidRune(r) {
			i += 5
			continue
		}
		lo, ok := hex4(i + 6)
		if r > 0xdbff || !ok || lo < 0xdc00 || lo > 0xdfff {
			return true
		}
		i += 11
	}
	return false
}
