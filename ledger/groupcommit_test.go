package ledger_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

// TestSubmitWithDroppedBatchAcks submits concurrently to many chains with group
// commit on while every other atomic batch's acknowledgement is lost in transit. Each
// submission still gets the receipt of its own bytes at one index, the log holds each
// event exactly once, and a replay rejects nothing.
func TestSubmitWithDroppedBatchAcks(t *testing.T) {
	var batches atomic.Int32
	const parties, maxRounds = 16, 40
	node, chains := submitSetup(t, parties, maxRounds, natslog.Config{
		MinBatch:     2,
		DropBatchAck: func(int) bool { return batches.Add(1)%2 == 1 },
	})
	ctx := context.Background()
	before := node.Applied()

	// Rounds of one event per chain, submitted together, until several batches have
	// been stored and at least one acknowledgement dropped (batches form when two or
	// more appends wait at once: almost always in the first round).
	receipts := make([][]*ledger.Receipt, parties)
	rounds := 0
	for ; rounds < 6 || rounds < maxRounds && batches.Load() < 4; rounds++ {
		var wg sync.WaitGroup
		for c := range chains {
			wg.Go(func() {
				rc, _, err := node.Submit(ctx, chains[c][rounds]) // a lost acknowledgement makes a new event look already recorded
				if err != nil {
					t.Errorf("submit to bench-%02d: %v", c, err)
					return
				}
				receipts[c] = append(receipts[c], rc)
			})
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
	}
	st := node.Log().GroupCommitStats()
	if st.Batches < 2 || st.Fallbacks < 1 {
		t.Fatalf("group commit stats %+v after %d rounds: want batches, and fallbacks for the dropped acknowledgements", st, rounds)
	}

	seen := map[uint64]bool{}
	for c, rcs := range receipts {
		for i, rc := range rcs {
			claim, err := proof.VerifyTLogProof([]byte(rc.Proof), node.Keys().LogVerifier)
			if err != nil {
				t.Fatalf("bench-%02d event %d: receipt proof: %v", c, i, err)
			}
			if claim.Index != rc.Index || !bytes.Equal(claim.Entry, chains[c][i]) {
				t.Fatalf("bench-%02d event %d: the receipt proves index %d with other bytes", c, i, rc.Index)
			}
			if seen[rc.Index] {
				t.Fatalf("index %d receipted twice", rc.Index)
			}
			seen[rc.Index] = true
		}
	}
	last, err := node.Log().LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := before + uint64(parties*rounds); last != want {
		t.Fatalf("the log holds %d entries, want %d: an event was stored twice or lost", last, want)
	}
	if rj, err := node.Rejections(0, last); err != nil || len(rj) != 0 {
		t.Fatalf("rejections %v, %v; want none", rj, err)
	}
	// Replaying the log from the start accepts every entry.
	reg := events.NewRegistry()
	if err := node.Log().Read(ctx, 1, func(seq uint64, raw []byte) error {
		e, err := events.ParseEntry(raw)
		if err != nil {
			return fmt.Errorf("entry %d: %w", seq-1, err)
		}
		if f := reg.Apply(e); f != nil {
			return fmt.Errorf("entry %d rejected: %v", seq-1, f)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d batches (%d entries), %d fallbacks", st.Batches, st.Entries, st.Fallbacks)
}
