package ledger_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/proof"
)

// countingProjector counts, in Pebble rows written inside the applier's batch, how
// often each log index was applied. It fails once when it reaches failAt.
type countingProjector struct {
	failAt atomic.Int64 // -1: never
}

func (c *countingProjector) Apply(b *pebble.Batch, a *ledger.Applied) error {
	if int64(a.Index) == c.failAt.Load() {
		c.failAt.Store(-1)
		return errors.New("injected failure")
	}
	key := []byte(fmt.Sprintf("x/%08d", a.Index))
	n := uint64(0)
	if v, closer, err := b.Get(key); err == nil {
		n = binary.BigEndian.Uint64(v)
		closer.Close()
	}
	return b.Set(key, binary.BigEndian.AppendUint64(nil, n+1), nil)
}

func (c *countingProjector) Committed([]*ledger.Applied) {}

// count returns how often index was applied, from the node's Pebble.
func (c *countingProjector) count(t *testing.T, node *ledger.Node, index uint64) uint64 {
	t.Helper()
	v, closer, err := node.DB().Get([]byte(fmt.Sprintf("x/%08d", index)))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	return binary.BigEndian.Uint64(v)
}

func TestApplierCrashMidGroupResumesExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	proj := &countingProjector{}
	proj.failAt.Store(-1)
	node, n := ledgertest.Open(t, dir, proj)
	key := enrol(t, node, n, "us-ca")
	for i := 0; i < 5; i++ {
		if _, _, err := submitNext(ctx, node, "us-ca", endorsement(i), key); err != nil {
			t.Fatal(err)
		}
	}
	before, beforeSize := node.Checkpoint()

	// The projector fails on the next entry: the group is discarded, the applier
	// stops, and the submission cannot get its receipt — but the entry is in the log.
	proj.failAt.Store(int64(node.Applied()))
	ctx2, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, _, err := submitNext(ctx2, node, "us-ca", endorsement(99), key)
	cancel()
	var pe *ledger.PendingError
	if !errors.As(err, &pe) && !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("submit while the applier fails: err = %v, want a pending/unavailable error", err)
	}
	logSize, _ := node.Log().LastSeq(ctx)
	node.Close()

	// Restart: the entry the failed group held is integrated now, once.
	node2, err := ledger.Open(ctx, ledger.Config{DataDir: dir, Projectors: []ledger.Projector{proj}})
	if err != nil {
		t.Fatal(err)
	}
	defer node2.Close()
	if got := node2.Applied(); got != logSize {
		t.Fatalf("applied %d after restart, want the log size %d", got, logSize)
	}
	for i := uint64(0); i < logSize; i++ {
		v, closer, err := node2.DB().Get([]byte(fmt.Sprintf("x/%08d", i)))
		if err != nil {
			t.Fatalf("index %d was never applied: %v", i, err)
		}
		if n := binary.BigEndian.Uint64(v); n != 1 {
			t.Fatalf("index %d applied %d times, want once", i, n)
		}
		closer.Close()
	}
	// The checkpoint signed after the restart is consistent with the one before.
	after, afterSize := node2.Checkpoint()
	v := node2.Keys().LogVerifier
	old, err := proof.OpenCheckpoint(before, v)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := proof.OpenCheckpoint(after, v)
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := node2.ConsistencyProof(beforeSize, afterSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := proof.VerifyConsistency(old.Size, cur.Size, old.Root, cur.Root, hashes); err != nil {
		t.Fatalf("checkpoints %d → %d not consistent: %v", old.Size, cur.Size, err)
	}
}
