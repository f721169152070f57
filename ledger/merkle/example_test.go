package merkle_test

import (
	"fmt"

	"github.com/climateledger/climateledger/ledger/merkle"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// The applier's cycle: stage a group of entries into one batch (with whatever else the
// batch carries), commit it, tell the tree, then read the root to sign and the proofs
// for the receipts.
func ExampleTree() {
	db, err := pebble.Open("db", &pebble.Options{FS: vfs.NewMem(), FormatMajorVersion: pebble.FormatNewest, Logger: quietLogger{}})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	tree, err := merkle.Open(db, []byte("tree/"), 0) // 0: the applied position stored by the caller
	if err != nil {
		panic(err)
	}

	group := [][]byte{[]byte("entry 0"), []byte("entry 1"), []byte("entry 2")}
	b := db.NewBatch()
	for _, e := range group {
		if _, err := tree.Append(b, e); err != nil {
			panic(err)
		}
	}
	// ... projection rows and the applied position go into b here ...
	if err := b.Commit(pebble.Sync); err != nil {
		b.Close()
		tree.Rollback()
		panic(err)
	}
	tree.Committed()

	size := tree.Size()
	root, _ := tree.Root(size)
	p, _ := tree.InclusionProof(1, size)
	fmt.Println("size", size, "proof hashes", len(p))
	fmt.Println("verifies:", proof.VerifyInclusion(1, size, proof.LeafHash(group[1]), p, root) == nil)
	// Output:
	// size 3 proof hashes 2
	// verifies: true
}
