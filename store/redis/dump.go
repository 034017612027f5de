package redis

import (
	"encoding/binary"
	"hash/crc64"
	"math"

	"github.com/contactkit/contactkit/store"
)

// A seed or a replace writes an app's contacts with two RESTOREs, one for the
// hash of packed contacts and one for the sorted set of creation numbers: Redis
// loads a serialized value far faster than it runs a million HSET and ZADD
// arguments (a million contacts: about 1 s, against 3.7 s pipelined). This file
// writes the serialization DUMP gives and RESTORE takes: a type byte, the value
// in RDB encoding, the RDB version (2 bytes) and a CRC-64 of it all (8 bytes),
// both little-endian.

// RDB encoding of the two values written.
const (
	rdbTypeHash  = 4 // length, then field and value strings
	rdbTypeZset2 = 5 // length, then member strings each with a binary float64 score
	// rdbVersion is Redis 5's: RESTORE takes any version up to its own, and both
	// types are older than it.
	rdbVersion = 9
)

// crcTable is Redis's CRC-64 (Jones; reflected, no inversions), from its
// polynomial 0xad93d23594c935a9 written reflected, as hash/crc64 takes it.
var crcTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC is crc64.Update without the inversions Go's CRC-64 applies before and
// after.
func redisCRC(b []byte) uint64 {
	return ^crc64.Update(^uint64(0), crcTable, b)
}

// appendLength writes n in RDB's length encoding.
func appendLength(b []byte, n int) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(0x40|n>>8), byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), uint64(n))
}

// packedSize is the length of c packed (appendPacked).
func packedSize(c *store.Contact) int { return 17 + len(c.Name) }

func appendString(b, s []byte) []byte {
	return append(appendLength(b, len(s)), s...)
}

// hashDump serializes rows as the app's hash: id to packed contact
// (appendPacked). It also returns the newest date among them.
func hashDump(rows []store.Contact) (payload []byte, last int64) {
	b := appendLength(append(make([]byte, 0, 16+len(rows)*52), rdbTypeHash), len(rows))
	for i := range rows {
		c := &rows[i]
		b = appendString(b, c.ID[:])
		b = appendPacked(appendLength(b, packedSize(c)), c)
		last = max(last, min(c.CreatedMs, maxLastCreated))
	}
	return seal(b), last
}

// zsetDump serializes rows (oldest first) as the app's sorted set of ids by
// creation number (i+1), newest first: the order Redis's own RDB files use, in
// which each insert lands at the head of the skip list.
func zsetDump(rows []store.Contact) []byte {
	b := appendLength(append(make([]byte, 0, 16+len(rows)*26), rdbTypeZset2), len(rows))
	for i := len(rows) - 1; i >= 0; i-- {
		b = appendString(b, rows[i].ID[:])
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(i+1)))
	}
	return seal(b)
}

// seal ends a payload with the RDB version and the CRC.
func seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	return binary.LittleEndian.AppendUint64(b, redisCRC(b))
}
