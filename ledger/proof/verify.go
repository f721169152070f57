package proof

import (
	"errors"
	"fmt"
	"math/bits"

	tdproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// InclusionProofLength returns the number of hashes in the RFC 6962 inclusion proof of
// leaf index in a tree of size leaves. It requires index < size.
func InclusionProofLength(index, size uint64) int {
	inner := bits.Len64(index ^ (size - 1))
	return inner + bits.OnesCount64(index>>inner)
}

// ConsistencyProofLength returns the number of hashes in the RFC 6962 consistency proof
// from a tree of size from to a tree of size to. It requires from <= to; the proof is
// empty when from is 0 or equal to to.
func ConsistencyProofLength(from, to uint64) int {
	if from == 0 || from == to {
		return 0
	}
	n := InclusionProofLength(from-1, to) - bits.TrailingZeros64(from)
	if from&(from-1) != 0 { // not a power of two: the proof starts with the old subtree root
		n++
	}
	return n
}

// VerifyInclusion checks an RFC 6962 inclusion proof: that leaf is the leaf hash at
// index in the tree of size leaves whose root is root. proof lists the path hashes
// from the leaf's sibling upwards. It returns nil or an error matching ErrInvalidProof:
// *IndexRangeError (index >= size), *ProofLengthError, or *RootMismatchError.
func VerifyInclusion(index, size uint64, leaf [32]byte, proof [][32]byte, root [32]byte) error {
	if index >= size {
		return &IndexRangeError{Index: index, Size: size}
	}
	if got, want := len(proof), InclusionProofLength(index, size); got != want {
		return &ProofLengthError{Got: got, Want: want}
	}
	computed, err := tdproof.RootFromInclusionProof(rfc6962.DefaultHasher, index, size, leaf[:], sliceHashes(proof))
	if err != nil { // unreachable: the inputs were checked above
		return fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	if [32]byte(computed) != root {
		return &RootMismatchError{Computed: [32]byte(computed), Expected: root}
	}
	return nil
}

// VerifyConsistency checks an RFC 6962 consistency proof that the tree of size from
// with root fromRoot is a prefix of the tree of size to with root toRoot. For from ==
// to the proof must be empty and the roots equal; for from == 0 the proof must be empty
// (every tree extends the empty tree). It returns nil or an error matching
// ErrInvalidProof: *IndexRangeError (from > to, reported as Index from, Size to),
// *ProofLengthError, or *RootMismatchError with Role "old root" or "new root".
func VerifyConsistency(from, to uint64, fromRoot, toRoot [32]byte, proof [][32]byte) error {
	if from > to {
		return fmt.Errorf("consistency proof: old size %d is above new size %d: %w", from, to, &IndexRangeError{Index: from, Size: to})
	}
	if got, want := len(proof), ConsistencyProofLength(from, to); got != want {
		return &ProofLengthError{Got: got, Want: want}
	}
	if from == to && fromRoot != toRoot {
		return &RootMismatchError{Computed: fromRoot, Expected: toRoot, Role: "new root"}
	}
	err := tdproof.VerifyConsistency(rfc6962.DefaultHasher, from, to, sliceHashes(proof), fromRoot[:], toRoot[:])
	if err == nil {
		return nil
	}
	var mismatch tdproof.RootMismatchError
	if errors.As(err, &mismatch) && len(mismatch.CalculatedRoot) == HashSize {
		// transparency-dev checks the old root first, then the new one.
		e := &RootMismatchError{Computed: [32]byte(mismatch.CalculatedRoot), Expected: fromRoot, Role: "old root"}
		if [32]byte(mismatch.ExpectedRoot) == toRoot && [32]byte(mismatch.ExpectedRoot) != fromRoot {
			e.Expected, e.Role = toRoot, "new root"
		}
		return e
	}
	return fmt.Errorf("%w: %v", ErrInvalidProof, err)
}

// sliceHashes converts hashes to the [][]byte form transparency-dev/merkle takes.
func sliceHashes(hs [][32]byte) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
