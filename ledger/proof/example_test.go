package proof_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/climateledger/climateledger/ledger/proof"
)

// A log of two entries signs a checkpoint; the tlog-proof of entry 0 carries the
// entry, its one-hash inclusion path and the checkpoint, and verifies offline with
// nothing but the log's verifier key.
func ExampleVerifyTLogProof() {
	seed := sha256.Sum256([]byte("example seed")) // use crypto/rand.Reader in real life
	skey, vkey, err := proof.GenerateLogKey(bytes.NewReader(seed[:]), proof.DefaultOrigin)
	if err != nil {
		panic(err)
	}
	signer, _ := proof.ParseSignerKey(skey)

	entries := [][]byte{[]byte(`{"n":0}`), []byte(`{"n":1}`)}
	var tree proof.RootBuilder
	for _, e := range entries {
		tree.Append(proof.LeafHash(e))
	}
	checkpoint, err := proof.SignCheckpoint(proof.Checkpoint{Origin: proof.DefaultOrigin, Size: tree.Size(), Root: tree.Root()}, signer)
	if err != nil {
		panic(err)
	}
	p := &proof.TLogProof{
		Extra:      entries[0],
		Index:      0,
		Hashes:     [][32]byte{proof.LeafHash(entries[1])}, // the sibling of leaf 0
		Checkpoint: checkpoint,
	}

	// The verifier's side.
	verifier, err := proof.ParseVerifierKey(vkey)
	if err != nil {
		panic(err)
	}
	claim, err := proof.VerifyTLogProof(p.Marshal(), verifier)
	if err != nil {
		fmt.Println("invalid:", err)
		return
	}
	fmt.Printf("%s holds %s at index %d of %d\n", claim.Checkpoint.Origin, claim.Entry, claim.Index, claim.Checkpoint.Size)

	p.Extra = []byte(`{"n":2}`)
	_, err = proof.VerifyTLogProof(p.Marshal(), verifier)
	fmt.Println(err != nil)
	// Output:
	// climateledger.local/log holds {"n":0} at index 0 of 2
	// true
}
