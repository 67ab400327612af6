// Package ids makes opaque, time-ordered identifiers. Ids are created at the
// edge and passed into domain code, so tests can choose them.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"strings"
	"sync"
	"time"
)

// Generator returns a new id with the given prefix (e.g. "pur").
type Generator func(prefix string) string

// enc is lowercase Crockford-like base32 without padding; its alphabet sorts
// in byte order, so ids sort by creation time.
var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns prefix_ + 48-bit millisecond time + 80 random bits (26 chars),
// like a ULID: sortable, unguessable, and safe in URLs and DynamoDB keys.
func New(prefix string) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error()) // never happens on Linux
	}
	return prefix + "_" + strings.ToLower(enc.EncodeToString(b[:]))
}

// Sequence returns a deterministic generator for tests: prefix_0001, …
func Sequence() Generator {
	var mu sync.Mutex
	n := map[string]int{}
	return func(prefix string) string {
		mu.Lock()
		defer mu.Unlock()
		n[prefix]++
		return prefix + "_" + leftPad(n[prefix])
	}
}

func leftPad(i int) string {
	s := []byte("0000")
	for p := len(s) - 1; p >= 0 && i > 0; p-- {
		s[p] = byte('0' + i%10)
		i /= 10
	}
	return string(s)
}
