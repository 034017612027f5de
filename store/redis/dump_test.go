package redis

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRedisCRC checks the CRC against the check value of CRC-64/Jones as Redis's
// crc64.c gives it.
func TestRedisCRC(t *testing.T) {
	assert.Equal(t, uint64(0xe9c6d914c4b8d9ca), redisCRC([]byte("123456789")), "CRC-64/Jones of 123456789")
}

func TestAppendLength(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []byte
	}{
		{0, []byte{0}},
		{63, []byte{63}},
		{64, []byte{0x40, 64}},
		{16383, []byte{0x7f, 0xff}},
		{16384, []byte{0x80, 0, 0, 0x40, 0}},
		{1 << 32, []byte{0x81, 0, 0, 0, 1, 0, 0, 0, 0}},
	} {
		assert.Equal(t, tc.want, appendLength(nil, tc.n), "appendLength(%d)", tc.n)
	}
}
