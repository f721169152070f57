package ledger_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/internal/pebblefs"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// waitUntil polls cond every 10 ms for up to 30 s.
func waitUntil(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 30*time.Second {
			t.Fatalf("timed out after 30s waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// TestApplierRecoversByItself: a projector fails for a while; the node reports the
// stopped applier, then resumes without a restart once the failure clears, and every
// entry is applied exactly once.
func TestApplierRecoversByItself(t *testing.T) {
	ctx := context.Background()
	proj := &countingProjector{}
	proj.failAt.Store(-1)
	node, n := ledgertest.Open(t, "", proj)
	key := enrol(t, node, n, "us-ca")
	proj.failAt.Store(int64(node.Applied()))
	ctx2, cancel := context.WithTimeout(ctx, 3*time.Second)
	_, _, err := submitNext(ctx2, node, "us-ca", endorsement(1), key)
	cancel()
	if err != nil && !errors.Is(err, ledger.ErrUnavailable) {
		t.Fatalf("submit while the projector fails: %v", err)
	}
	logSize, _ := node.Log().LastSeq(ctx)
	waitUntil(t, "the entry to be integrated without a restart", func() bool { return node.Applied() == logSize })
	waitUntil(t, "the node to be ready", func() bool { return node.Ready(ctx).Ready })
	if s := node.Stats(); s.ApplierRestarts < 1 || !s.ApplierRunning {
		t.Fatalf("stats %+v: want at least one restart and the applier running", s)
	}
	if _, _, err := submitNext(ctx, node, "us-ca", endorsement(2), key); err != nil {
		t.Fatalf("submit after the recovery: %v", err)
	}
	for i := uint64(0); i < node.Applied(); i++ {
		if got := proj.count(t, node, i); got != 1 {
			t.Fatalf("index %d applied %d times, want once", i, got)
		}
	}
	checkLog(t, node, nil)
}

// TestFullPebbleDiskAnswers503AndHeals fills the disk under the node's Pebble: the
// entry in flight stays pending (it is in the log), new submissions get 503 at once,
// the node is not ready and names the cause; once space is back, the pending entry is
// integrated and receipts resume, with nothing lost, without a restart.
func TestFullPebbleDiskAnswers503AndHeals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	disk := pebblefs.NewFillable(vfs.Default)
	node, err := ledger.Open(ctx, ledger.Config{DataDir: dir, PebbleFS: disk, IntegrationTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	genesis, _ := node.Log().Entry(ctx, 1)
	n, err := eventtest.Adopt(t.Name(), node.Keys().Registrar, genesis)
	if err != nil {
		t.Fatal(err)
	}
	n.Now, n.Step = time.Now().UTC().Truncate(time.Second), 0
	key := enrol(t, node, n, "us-ca")
	receipts := map[uint64][]byte{}
	for i := 0; i < 5; i++ {
		rc, entry, err := submitNext(ctx, node, "us-ca", endorsement(i), key)
		if err != nil {
			t.Fatal(err)
		}
		receipts[rc.Index] = entry
	}

	disk.SetFull(true)
	_, pending, err := submitNext(ctx, node, "us-ca", endorsement(100), key)
	var pe *ledger.PendingError
	if !errors.As(err, &pe) {
		t.Fatalf("submit as the disk fills: %v, want a *PendingError (in the log, not integrated)", err)
	}
	start := time.Now()
	_, _, err = submitNext(ctx, node, "us-ca", endorsement(101), key)
	if !errors.Is(err, ledger.ErrUnavailable) || !strings.Contains(err.Error(), "no space left on device") || time.Since(start) > 2*time.Second {
		t.Fatalf("submit on a full disk: %v after %v, want ErrUnavailable naming the full disk at once", err, time.Since(start))
	}
	rd := node.Ready(ctx)
	if rd.Ready || !slices.Contains(rd.Failed(), "pebble") || !strings.Contains(rd.Checks[2].Detail, "no space left on device") {
		t.Fatalf("readiness on a full disk: %+v, want the pebble check failed naming the full disk", rd)
	}

	disk.SetFull(false)
	freed := time.Now()
	var rc *ledger.Receipt
	var entry []byte
	for {
		rc, entry, err = submitNext(ctx, node, "us-ca", endorsement(102), key)
		if err == nil {
			break
		}
		if !errors.Is(err, ledger.ErrUnavailable) || time.Since(freed) > 30*time.Second {
			t.Fatalf("submit after space came back: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("disk freed to first receipt: %v", time.Since(freed))
	receipts[rc.Index] = entry
	receipts[pe.Index] = pending
	waitUntil(t, "the node to be ready", func() bool { return node.Ready(ctx).Ready })
	heads := checkLog(t, node, receipts)
	if heads["us-ca"] != 8 {
		t.Fatalf("us-ca head seq %d, want 8 (enrolment, 5, the pending one and the one after)", heads["us-ca"])
	}
	cp, size := node.Checkpoint()
	node.Close()

	// A restart finds the same state.
	node2, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer node2.Close()
	if cp2, size2 := node2.Checkpoint(); size2 != size || string(cp2) != string(cp) {
		t.Fatalf("after restart: checkpoint of size %d, want %d, the same bytes", size2, size)
	}
}
