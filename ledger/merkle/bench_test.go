package merkle_test

import (
	"fmt"
	"testing"

	"github.com/climateledger/climateledger/ledger/merkle"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// BenchmarkTreeAppend measures Append plus the Pebble commit (pebble.Sync) and
// Committed, per entry, with one commit per group of 1 or 256 entries, on an in-memory
// FS (the tree's own cost) and on disk (with real fsyncs).
func BenchmarkTreeAppend(b *testing.B) {
	e := make([]byte, 600) // about one stored envelope
	for _, fsName := range []string{"mem", "disk"} {
		for _, group := range []int{1, 256} {
			b.Run(fmt.Sprintf("fs=%s/group=%d", fsName, group), func(b *testing.B) {
				var fs vfs.FS = vfs.NewMem()
				dir := "db"
				if fsName == "disk" {
					fs, dir = vfs.Default, b.TempDir()
				}
				db := openDB(b, fs, dir)
				defer db.Close()
				tree, err := merkle.Open(db, prefix, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				batch := db.NewBatch()
				staged := 0
				for b.Loop() {
					if _, err := tree.Append(batch, e); err != nil {
						b.Fatal(err)
					}
					if staged++; staged == group {
						if err := batch.Commit(pebble.Sync); err != nil {
							b.Fatal(err)
						}
						tree.Committed()
						batch.Close()
						batch = db.NewBatch()
						staged = 0
					}
				}
				batch.Close()
			})
		}
	}
}

// buildTree makes a committed tree of n entries in groups of 1000.
func buildTree(b *testing.B, n int) *merkle.Tree {
	b.Helper()
	db := openDB(b, vfs.NewMem(), "db")
	b.Cleanup(func() { db.Close() })
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; {
		batch := db.NewBatch()
		for j := 0; j < 1000 && i < n; j++ {
			if _, err := tree.Append(batch, entry(i)); err != nil {
				b.Fatal(err)
			}
			i++
		}
		if err := batch.Commit(pebble.NoSync); err != nil {
			b.Fatal(err)
		}
		batch.Close()
		tree.Committed()
	}
	return tree
}

// BenchmarkInclusionProof measures InclusionProof at tree size 100,000 for leaves
// spread over the tree.
func BenchmarkInclusionProof(b *testing.B) {
	const size = 100_000
	tree := buildTree(b, size)
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		i = (i + 7919) % size
		if _, err := tree.InclusionProof(i, size); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRoot measures Root at tree size 100,000 (what the applier does per group
// before signing a checkpoint).
func BenchmarkRoot(b *testing.B) {
	const size = 100_000
	tree := buildTree(b, size)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tree.Root(size); err != nil {
			b.Fatal(err)
		}
	}
}
