//go:build linux

package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted when the test
// ends; it skips the test where mounting is not permitted (not root).
func mountTmpfs(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the disk-full test needs root or CAP_SYS_ADMIN", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file on dir's filesystem until it is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, unix.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// TestFullDiskHeals runs a node on a small real filesystem (a tmpfs) under
// concurrent load and fills the disk: JetStream's store fails and Pebble's writes
// stall; submissions get 503s, the node is not ready and names the cause, nothing
// crashes. When the space is freed the node repairs itself without a restart:
// receipts resume, every acknowledged entry is in the log with its bytes, the log
// replays without a rejection, and a restart finds the same checkpoint.
func TestFullDiskHeals(t *testing.T) {
	disk := mountTmpfs(t, 64<<20)
	ctx := context.Background()
	data := filepath.Join(disk, "data")
	node, err := ledger.Open(ctx, ledger.Config{DataDir: data, IntegrationTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { node.Close() }()
	genesis, _ := node.Log().Entry(ctx, 1)
	n, err := eventtest.Adopt(t.Name(), node.Keys().Registrar, genesis)
	if err != nil {
		t.Fatal(err)
	}
	n.Now, n.Step = time.Now().UTC().Truncate(time.Second), 0
	const writers = 4
	for w := 0; w < writers; w++ {
		enrol(t, node, n, fmt.Sprintf("city-%d", w))
	}

	var (
		mu         sync.Mutex
		receipts   = map[uint64][]byte{}
		failures   int
		lastOK     time.Time
		stop       = make(chan struct{})
		wg         sync.WaitGroup
		unexpected error
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			party := fmt.Sprintf("city-%d", w)
			key := n.Parties[party].Keys[0]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				rc, entry, err := submitNext(ctx, node, party, endorsement(w*100000+i), key)
				mu.Lock()
				switch {
				case err == nil:
					receipts[rc.Index] = entry
					lastOK = time.Now()
				case errors.Is(err, ledger.ErrUnavailable):
					failures++
				default:
					unexpected = err
				}
				mu.Unlock()
				if err != nil {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}(w)
	}
	waitUntil(t, "receipts under load", func() bool { mu.Lock(); defer mu.Unlock(); return len(receipts) >= 40 })

	filler := filepath.Join(disk, "filler")
	fill(t, filler)
	waitUntil(t, "submissions to fail and the node to report itself not ready", func() bool {
		mu.Lock()
		f := failures
		mu.Unlock()
		return f >= 5 && !node.Ready(ctx).Ready
	})
	rd := node.Ready(ctx)
	t.Logf("readiness on a full disk: %+v", rd.Checks)
	time.Sleep(500 * time.Millisecond)
	mu.Lock()
	before := len(receipts)
	mu.Unlock()

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitUntil(t, "a receipt after the space was freed", func() bool { mu.Lock(); defer mu.Unlock(); return lastOK.After(freed) })
	mu.Lock()
	firstReceipt := lastOK.Sub(freed)
	mu.Unlock()
	waitUntil(t, "more receipts", func() bool { mu.Lock(); defer mu.Unlock(); return len(receipts) >= before+40 })
	close(stop)
	wg.Wait()
	if unexpected != nil {
		t.Fatalf("a submission failed with something other than ErrUnavailable: %v", unexpected)
	}
	t.Logf("%d receipts, %d refusals (503); disk freed to first receipt: %v", len(receipts), failures, firstReceipt)
	waitUntil(t, "the node to be ready", func() bool { return node.Ready(ctx).Ready })
	if cfg := node.Log().Server().JetStreamConfig(); cfg == nil || !cfg.SyncAlways {
		t.Fatalf("JetStream after the repair: %+v, want SyncAlways", cfg)
	}
	last, _ := node.Log().LastSeq(ctx)
	waitUntil(t, "the applier to catch up", func() bool { return node.Applied() == last })
	checkLog(t, node, receipts)
	cp, size := node.Checkpoint()
	node.Close()

	node, err = ledger.Open(ctx, ledger.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if cp2, size2 := node.Checkpoint(); size2 != size || string(cp2) != string(cp) {
		t.Fatalf("after restart: checkpoint of size %d, want %d with the same bytes", size2, size)
	}
}
