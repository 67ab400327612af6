// Package ids makes opaque, time-ordered identifiers. Ids are created at the
// edge and passed into domain code, so tests can choose them.
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
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
//
// Within one millisecond the random part is incremented rather than redrawn
// (as monotonic ULIDs do), so ids made in a burst, such as a purchase's lines,
// keep their creation order.
func New(prefix string) string {
	mono.Lock()
	defer mono.Unlock()
	ms := uint64(time.Now().UnixMilli())
	if ms > mono.ms {
		mono.ms = ms
		if _, err := rand.Read(mono.rnd[:]); err != nil {
			panic("ids: crypto/rand failed: " + err.Error()) // never happens on Linux
		}
		mono.rnd[0] &= 0x7f // headroom so increments do not overflow
	} else {
		increment(mono.rnd[:])
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], mono.ms<<16)
	copy(b[6:], mono.rnd[:])
	return prefix + "_" + enc.EncodeToString(b[:])
}

var mono struct {
	sync.Mutex
	ms  uint64
	rnd [10]byte
}

func increment(b []byte) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i]++
		if b[i] != 0 {
			return
		}
	}
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
