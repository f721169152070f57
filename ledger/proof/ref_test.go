package proof_test

import (
	"crypto/sha256"
	"fmt"
)

// This file is a deliberately naive transcription of RFC 6962 §2.1 (MTH, PATH,
// PROOF/SUBPROOF), used as an independent oracle for the package under test.

func refLeaf(entry []byte) [32]byte {
	return sha256.Sum256(append([]byte{0x00}, entry...))
}

func refNode(l, r [32]byte) [32]byte {
	return sha256.Sum256(append(append([]byte{0x01}, l[:]...), r[:]...))
}

// refSplit returns the largest power of two smaller than n (n >= 2).
func refSplit(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// refRoot is MTH(D[n]).
func refRoot(leaves [][32]byte) [32]byte {
	switch n := len(leaves); n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	default:
		k := refSplit(n)
		return refNode(refRoot(leaves[:k]), refRoot(leaves[k:]))
	}
}

// refPath is PATH(m, D[n]).
func refPath(m int, leaves [][32]byte) [][32]byte {
	n := len(leaves)
	if n <= 1 {
		return nil
	}
	k := refSplit(n)
	if m < k {
		return append(refPath(m, leaves[:k]), refRoot(leaves[k:]))
	}
	return append(refPath(m-k, leaves[k:]), refRoot(leaves[:k]))
}

// refConsistency is PROOF(m, D[n]); for m == 0 it returns the empty proof.
func refConsistency(m int, leaves [][32]byte) [][32]byte {
	if m == 0 {
		return nil
	}
	return refSubproof(m, leaves, true)
}

func refSubproof(m int, leaves [][32]byte, b bool) [][32]byte {
	n := len(leaves)
	if m == n {
		if b {
			return nil
		}
		return [][32]byte{refRoot(leaves)}
	}
	k := refSplit(n)
	if m <= k {
		return append(refSubproof(m, leaves[:k], b), refRoot(leaves[k:]))
	}
	return append(refSubproof(m-k, leaves[k:], false), refRoot(leaves[:k]))
}

// testEntries returns n distinct entries of varying length.
func testEntries(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "entry %d %s", i, make([]byte, i%7))
	}
	return out
}

func refLeaves(entries [][]byte) [][32]byte {
	out := make([][32]byte, len(entries))
	for i, e := range entries {
		out[i] = refLeaf(e)
	}
	return out
}
