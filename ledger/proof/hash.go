package proof

import (
	"crypto/sha256"
	"math/bits"
)

// HashSize is the size of every hash in the tree: SHA-256.
const HashSize = sha256.Size

// emptyRoot is the RFC 6962 root of the empty tree: SHA-256 of the empty string.
var emptyRoot = sha256.Sum256(nil)

// LeafHash returns the RFC 6962 leaf hash of a log entry: SHA-256(0x00 ‖ entry), where
// entry is the exact stored bytes. It equals golang.org/x/mod/sumdb/tlog.RecordHash.
func LeafHash(entry []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(entry)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NodeHash returns the RFC 6962 interior node hash SHA-256(0x01 ‖ left ‖ right).
func NodeHash(left, right [32]byte) [32]byte {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// RootBuilder computes the RFC 6962 root of a log streamed leaf by leaf, in O(log n)
// memory: it keeps the compact range of [0, size), one hash per set bit of size.
// Append does not allocate. The zero value is an empty tree, ready to use.
//
// A RootBuilder is a plain value: copying it snapshots the tree. It is not safe for
// concurrent use.
type RootBuilder struct {
	size uint64
	// stack holds the roots of the perfect subtrees covering [0, size), largest
	// (leftmost) first; there are bits.OnesCount64(size) of them.
	stack [64][32]byte
}

// Append adds the leaf hash (see [LeafHash]) of the next entry. The tree can hold
// 2⁶⁴−1 leaves; Append panics if asked to go beyond.
func (b *RootBuilder) Append(leaf [32]byte) {
	if b.size == ^uint64(0) {
		panic("proof: RootBuilder is full")
	}
	n := bits.OnesCount64(b.size)
	h := leaf
	// Each trailing one bit of size is a perfect subtree of the same height as h:
	// merge it in from the left.
	for s := b.size; s&1 == 1; s >>= 1 {
		n--
		h = NodeHash(b.stack[n], h)
	}
	b.stack[n] = h
	b.size++
}

// Size returns the number of leaves appended.
func (b *RootBuilder) Size() uint64 { return b.size }

// Root returns the RFC 6962 root of the tree of the leaves appended so far; for the
// empty tree that is SHA-256 of the empty string.
func (b *RootBuilder) Root() [32]byte {
	n := bits.OnesCount64(b.size)
	if n == 0 {
		return emptyRoot
	}
	h := b.stack[n-1]
	for i := n - 2; i >= 0; i-- {
		h = NodeHash(b.stack[i], h)
	}
	return h
}
