package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/proof"
)

// endorsement is a small valid body that any jurisdiction may submit repeatedly.
func endorsement(i int) events.Body {
	return &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15", TargetWording: fmt.Sprintf("wording %d", i)}
}

// submitNext builds the next event of party from the node's current head and submits
// it, retrying on chain conflicts. It returns the receipt and the stored bytes.
func submitNext(ctx context.Context, node *ledger.Node, party string, body events.Body, key *events.Signer) (*ledger.Receipt, []byte, error) {
	for attempt := 0; attempt < 200; attempt++ {
		head, err := node.ChainHead(ctx, party)
		if err != nil {
			return nil, nil, err
		}
		d := &events.Draft{Party: party, Seq: head.Seq + 1, Type: body.EventType(), Time: time.Now().UTC(), Body: body}
		if head.Seq > 0 {
			d.Prev, _ = events.ParseHash(head.Hash)
		}
		payload, err := d.Marshal()
		if err != nil {
			return nil, nil, err
		}
		entry := events.Sign(payload, key)
		rc, _, err := node.Submit(ctx, entry)
		var ce *ledger.ConflictError
		if errors.As(err, &ce) {
			continue
		}
		return rc, entry, err
	}
	return nil, nil, fmt.Errorf("%s: gave up after 200 conflicts", party)
}

func enrol(t *testing.T, node *ledger.Node, n *eventtest.Network, id string) *events.Signer {
	t.Helper()
	n.Enroll(id, "Party "+id, "", "US", "city")
	if _, _, err := node.Submit(context.Background(), n.Entries[len(n.Entries)-1]); err != nil {
		t.Fatalf("enrol %s: %v", id, err)
	}
	return n.Parties[id].Keys[0]
}

// checkChains verifies that the log's valid entries form gap-free chains and that
// every receipt names an entry with the receipt's bytes.
func checkLog(t *testing.T, node *ledger.Node, receipts map[uint64][]byte) map[string]uint64 {
	t.Helper()
	entries := ledgertest.Entries(t, node)
	reg := events.NewRegistry()
	for i, raw := range entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			t.Fatalf("entry %d does not parse: %v", i, err)
		}
		if f := reg.Apply(e); f != nil {
			t.Fatalf("entry %d rejected on replay: %v", i, f)
		}
	}
	for index, want := range receipts {
		if index >= uint64(len(entries)) || !bytes.Equal(entries[index], want) {
			t.Fatalf("receipt names index %d, whose bytes differ from the submitted entry", index)
		}
	}
	heads := map[string]uint64{}
	for _, id := range reg.Parties() {
		heads[id] = reg.Party(id).Seq
	}
	return heads
}

func TestConcurrentSubmittersOneChain(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	key := enrol(t, node, n, "us-ca")
	const writers, each = 16, 4
	var mu sync.Mutex
	receipts := map[uint64][]byte{}
	seqs := map[uint64]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rc, entry, err := submitNext(context.Background(), node, "us-ca", endorsement(w*100+i), key)
				if err != nil {
					errs <- err
					return
				}
				// Every receipt's proof verifies against its own checkpoint.
				if _, err := proof.VerifyTLogProof([]byte(rc.Proof), node.Keys().LogVerifier); err != nil {
					errs <- fmt.Errorf("receipt for seq %d: %v", rc.Seq, err)
					return
				}
				mu.Lock()
				if seqs[rc.Seq] {
					errs <- fmt.Errorf("seq %d acknowledged twice", rc.Seq)
				}
				seqs[rc.Seq] = true
				receipts[rc.Index] = entry
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	heads := checkLog(t, node, receipts)
	if got, want := heads["us-ca"], uint64(1+writers*each); got != want {
		t.Fatalf("us-ca head seq = %d, want %d", got, want)
	}
	if len(receipts) != writers*each {
		t.Fatalf("%d distinct receipts, want %d", len(receipts), writers*each)
	}
}

func TestConcurrentSubmittersManyChains(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	const chains, each = 16, 4
	keys := make([]*events.Signer, chains)
	for c := range keys {
		keys[c] = enrol(t, node, n, fmt.Sprintf("city-%02d", c))
	}
	var mu sync.Mutex
	receipts := map[uint64][]byte{}
	var wg sync.WaitGroup
	errs := make(chan error, chains)
	for c := 0; c < chains; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rc, entry, err := submitNext(context.Background(), node, fmt.Sprintf("city-%02d", c), endorsement(i), keys[c])
				if err != nil {
					errs <- err
					return
				}
				if _, err := proof.VerifyTLogProof([]byte(rc.Proof), node.Keys().LogVerifier); err != nil {
					errs <- fmt.Errorf("receipt for index %d: %v", rc.Index, err)
					return
				}
				mu.Lock()
				receipts[rc.Index] = entry
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	heads := checkLog(t, node, receipts)
	for c := 0; c < chains; c++ {
		if got := heads[fmt.Sprintf("city-%02d", c)]; got != 1+each {
			t.Errorf("city-%02d head seq = %d, want %d", c, got, 1+each)
		}
	}
}

func TestReceiptProofVerifiesOffline(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	key := enrol(t, node, n, "us-ca")
	rc, entry, err := submitNext(context.Background(), node, "us-ca", endorsement(1), key)
	if err != nil {
		t.Fatal(err)
	}
	claim, err := proof.VerifyTLogProof([]byte(rc.Proof), node.Keys().LogVerifier)
	if err != nil {
		t.Fatalf("receipt proof: %v", err)
	}
	if claim.Index != rc.Index || !bytes.Equal(claim.Entry, entry) {
		t.Fatalf("proof proves index %d (entry equal: %v), want index %d and the submitted bytes", claim.Index, bytes.Equal(claim.Entry, entry), rc.Index)
	}
	// Tampering with the proven entry breaks the proof.
	tp, err := proof.ParseTLogProof([]byte(rc.Proof))
	if err != nil {
		t.Fatal(err)
	}
	tp.Extra = bytes.Clone(tp.Extra)
	tp.Extra[len(tp.Extra)/2] ^= 1
	if _, err := proof.VerifyTLogProof(tp.Marshal(), node.Keys().LogVerifier); !errors.Is(err, proof.ErrInvalidProof) {
		t.Fatalf("tampered proof: err = %v, want ErrInvalidProof", err)
	}
}

func TestRestartAndRebuildGiveSameCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	node, n := ledgertest.Open(t, dir)
	key := enrol(t, node, n, "us-ca")
	for i := 0; i < 10; i++ {
		if _, _, err := submitNext(ctx, node, "us-ca", endorsement(i), key); err != nil {
			t.Fatal(err)
		}
	}
	wantCP, wantSize := node.Checkpoint()
	if err := node.Close(); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		if round == 2 {
			// Rebuild: everything in Pebble is derived from the log.
			if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
				t.Fatal(err)
			}
		}
		node, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		cp, size := node.Checkpoint()
		if size != wantSize || !bytes.Equal(cp, wantCP) {
			t.Fatalf("round %d: checkpoint at size %d:\n%s\nwant size %d:\n%s", round, size, cp, wantSize, wantCP)
		}
		if h, err := node.ChainHead(ctx, "us-ca"); err != nil || h.Seq != uint64(11+round) {
			t.Fatalf("round %d: head %+v (%v), want seq %d", round, h, err, 11+round)
		}
		if rj, err := node.Rejections(0, node.Applied()); err != nil || len(rj) != 0 {
			t.Fatalf("round %d: rejections %+v (%v), want none", round, rj, err)
		}
		// The node still accepts writes after a restart.
		if _, _, err := submitNext(ctx, node, "us-ca", endorsement(100+round), key); err != nil {
			t.Fatalf("round %d: submit after restart: %v", round, err)
		}
		wantCP, wantSize = node.Checkpoint()
		node.Close()
	}
}
