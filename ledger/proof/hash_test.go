package proof_test

import (
	"encoding/hex"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

func TestLeafHash(t *testing.T) {
	// RFC 6962 leaf hash of the empty entry: SHA-256(0x00).
	const emptyLeaf = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
	if got := proof.LeafHash(nil); hex.EncodeToString(got[:]) != emptyLeaf {
		t.Errorf("LeafHash(nil) = %x, want %s", got, emptyLeaf)
	}
	for _, e := range testEntries(50) {
		got := proof.LeafHash(e)
		if want := tlog.RecordHash(e); got != [32]byte(want) {
			t.Errorf("LeafHash(%q) = %x, tlog.RecordHash = %x", e, got, want)
		}
		if want := rfc6962.DefaultHasher.HashLeaf(e); got != [32]byte(want) {
			t.Errorf("LeafHash(%q) = %x, rfc6962 HashLeaf = %x", e, got, want)
		}
	}
}

func TestNodeHash(t *testing.T) {
	l, r := proof.LeafHash([]byte("l")), proof.LeafHash([]byte("r"))
	got := proof.NodeHash(l, r)
	if want := rfc6962.DefaultHasher.HashChildren(l[:], r[:]); got != [32]byte(want) {
		t.Errorf("NodeHash = %x, want %x", got, want)
	}
}

func TestRootBuilder(t *testing.T) {
	// Empty tree: SHA-256 of the empty string.
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	var b proof.RootBuilder
	if got := b.Root(); hex.EncodeToString(got[:]) != empty {
		t.Errorf("empty Root() = %x, want %s", got, empty)
	}

	entries := testEntries(300)
	leaves := refLeaves(entries)
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	for i, e := range entries {
		leaf := proof.LeafHash(e)
		b.Append(leaf)
		if err := cr.Append(leaf[:], nil); err != nil {
			t.Fatal(err)
		}
		n := i + 1
		if got := b.Size(); got != uint64(n) {
			t.Fatalf("Size() = %d, want %d", got, n)
		}
		got := b.Root()
		if want := refRoot(leaves[:n]); got != want {
			t.Fatalf("size %d: Root() = %x, RFC 6962 MTH = %x", n, got, want)
		}
		want, err := cr.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != [32]byte(want) {
			t.Fatalf("size %d: Root() = %x, compact range root = %x", n, got, want)
		}
	}

	// A copy is a snapshot.
	snap := b
	b.Append(proof.LeafHash([]byte("one more")))
	if got, want := snap.Root(), refRoot(leaves); got != want {
		t.Errorf("snapshot Root() = %x, want %x", got, want)
	}
}

func TestRootBuilderAllocs(t *testing.T) {
	var b proof.RootBuilder
	leaf := proof.LeafHash([]byte("x"))
	allocs := testing.AllocsPerRun(1000, func() {
		b.Append(leaf)
		_ = b.Root()
	})
	if allocs != 0 {
		t.Errorf("Append+Root allocate %v times per call, want 0", allocs)
	}
}

func BenchmarkRootBuilderAppend(b *testing.B) {
	var rb proof.RootBuilder
	leaf := proof.LeafHash([]byte("benchmark entry"))
	b.ReportAllocs()
	for b.Loop() {
		rb.Append(leaf)
	}
}

func BenchmarkLeafHash(b *testing.B) {
	entry := make([]byte, 600) // about one stored envelope
	b.ReportAllocs()
	b.SetBytes(int64(len(entry)))
	for b.Loop() {
		proof.LeafHash(entry)
	}
}
