package proof_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
)

func TestVerifyInclusion(t *testing.T) {
	leaves := refLeaves(testEntries(64))
	for n := 1; n <= len(leaves); n++ {
		root := refRoot(leaves[:n])
		for i := 0; i < n; i++ {
			p := refPath(i, leaves[:n])
			if got, want := len(p), proof.InclusionProofLength(uint64(i), uint64(n)); got != want {
				t.Fatalf("InclusionProofLength(%d, %d) = %d, reference path has %d", i, n, want, got)
			}
			if err := proof.VerifyInclusion(uint64(i), uint64(n), leaves[i], p, root); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", i, n, err)
			}
			// Wrong leaf.
			err := proof.VerifyInclusion(uint64(i), uint64(n), leaves[(i+1)%len(leaves)], p, root)
			wantMismatch(t, fmt.Sprintf("wrong leaf (%d, %d)", i, n), err, root)
			// Every single changed hash.
			for j := range p {
				q := slices.Clone(p)
				q[j][j%32] ^= 0x01
				err := proof.VerifyInclusion(uint64(i), uint64(n), leaves[i], q, root)
				wantMismatch(t, fmt.Sprintf("hash %d changed (%d, %d)", j, i, n), err, root)
			}
			// Truncated and extended proofs.
			if len(p) > 0 {
				err := proof.VerifyInclusion(uint64(i), uint64(n), leaves[i], p[:len(p)-1], root)
				wantLength(t, "truncated", err, len(p)-1, len(p))
			}
			err = proof.VerifyInclusion(uint64(i), uint64(n), leaves[i], append(slices.Clone(p), root), root)
			wantLength(t, "extended", err, len(p)+1, len(p))
		}
		// Index out of range.
		err := proof.VerifyInclusion(uint64(n), uint64(n), leaves[0], nil, root)
		var ire *proof.IndexRangeError
		if !errors.As(err, &ire) || ire.Index != uint64(n) || ire.Size != uint64(n) || !errors.Is(err, proof.ErrInvalidProof) {
			t.Fatalf("index %d size %d: err = %v, want IndexRangeError", n, n, err)
		}
		if want := fmt.Sprintf("index %d is not below tree size %d", n, n); err.Error() != want {
			t.Errorf("err = %q, want %q", err, want)
		}
	}
}

func TestVerifyInclusionWrongIndex(t *testing.T) {
	leaves := refLeaves(testEntries(13))
	root := refRoot(leaves)
	p := refPath(5, leaves) // same path length as index 4
	err := proof.VerifyInclusion(4, 13, leaves[5], p, root)
	wantMismatch(t, "wrong index", err, root)
}

func TestVerifyConsistency(t *testing.T) {
	leaves := refLeaves(testEntries(64))
	for n := 0; n <= len(leaves); n++ {
		rn := refRoot(leaves[:n])
		for m := 0; m <= n; m++ {
			rm := refRoot(leaves[:m])
			p := refConsistency(m, leaves[:n])
			if got, want := proof.ConsistencyProofLength(uint64(m), uint64(n)), len(p); got != want {
				t.Fatalf("ConsistencyProofLength(%d, %d) = %d, reference proof has %d", m, n, got, want)
			}
			if err := proof.VerifyConsistency(uint64(m), uint64(n), rm, rn, p); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", m, n, err)
			}
			if m == 0 {
				continue
			}
			bad := rm
			bad[0] ^= 1
			err := proof.VerifyConsistency(uint64(m), uint64(n), bad, rn, p)
			if !errors.Is(err, proof.ErrInvalidProof) {
				t.Fatalf("(%d, %d) changed old root: err = %v, want ErrInvalidProof", m, n, err)
			}
			bad = rn
			bad[0] ^= 1
			err = proof.VerifyConsistency(uint64(m), uint64(n), rm, bad, p)
			var rme *proof.RootMismatchError
			if !errors.As(err, &rme) || rme.Role != "new root" || rme.Expected != bad {
				t.Fatalf("(%d, %d) changed new root: err = %v, want new root mismatch", m, n, err)
			}
			for j := range p {
				q := slices.Clone(p)
				q[j][3] ^= 0x80
				if err := proof.VerifyConsistency(uint64(m), uint64(n), rm, rn, q); !errors.Is(err, proof.ErrInvalidProof) {
					t.Fatalf("(%d, %d) hash %d changed: err = %v, want ErrInvalidProof", m, n, j, err)
				}
			}
			if len(p) > 0 {
				err := proof.VerifyConsistency(uint64(m), uint64(n), rm, rn, p[:len(p)-1])
				wantLength(t, "truncated consistency", err, len(p)-1, len(p))
			}
		}
	}
	if err := proof.VerifyConsistency(5, 4, [32]byte{}, [32]byte{}, nil); !errors.Is(err, proof.ErrInvalidProof) {
		t.Errorf("from > to: err = %v, want ErrInvalidProof", err)
	}
}

func wantMismatch(t *testing.T, what string, err error, root [32]byte) {
	t.Helper()
	var rme *proof.RootMismatchError
	if !errors.As(err, &rme) || !errors.Is(err, proof.ErrInvalidProof) {
		t.Fatalf("%s: err = %v, want *RootMismatchError", what, err)
	}
	if rme.Expected != root || rme.Computed == root {
		t.Fatalf("%s: RootMismatchError{Computed: %x, Expected: %x}, want Expected %x", what, rme.Computed, rme.Expected, root)
	}
}

func wantLength(t *testing.T, what string, err error, got, want int) {
	t.Helper()
	var ple *proof.ProofLengthError
	if !errors.As(err, &ple) || ple.Got != got || ple.Want != want || !errors.Is(err, proof.ErrInvalidProof) {
		t.Fatalf("%s: err = %v, want ProofLengthError{%d, %d}", what, err, got, want)
	}
}
