package pebblefs

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"
)

// TestFullDiskStallsWritesUntilSpace fills the disk under a Pebble store between
// synced commits: the commit waits (it neither fails nor reaches Pebble's fatal
// path), Stalled says so, and once there is space again it completes; after a reopen
// every committed key is there.
func TestFullDiskStallsWritesUntilSpace(t *testing.T) {
	dir := t.TempDir()
	disk := NewFillable(vfs.Default)
	var stalls, resumes atomic.Int32
	fs := New(disk, Config{PollInterval: 5 * time.Millisecond,
		OnStall: func(error) { stalls.Add(1) }, OnResume: func(time.Duration) { resumes.Add(1) }})
	var fatal atomic.Value
	opts := func(fs vfs.FS) *pebble.Options {
		return &pebble.Options{FS: fs, FormatMajorVersion: pebble.FormatNewest,
			Logger: pebbleslog.Logger{L: slog.New(slog.DiscardHandler), OnFatal: func(m string) { fatal.Store(m) }}}
	}
	db, err := pebble.Open(dir, opts(fs))
	if err != nil {
		t.Fatal(err)
	}
	put := func(i int) error {
		return pebbleslog.Guard(func() error {
			return db.Set([]byte(fmt.Sprintf("k%04d", i)), []byte(fmt.Sprintf("value %d", i)), pebble.Sync)
		})
	}
	for i := 0; i < 100; i++ {
		if err := put(i); err != nil {
			t.Fatal(err)
		}
	}
	disk.SetFull(true)
	done := make(chan error, 1)
	go func() { done <- put(100) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, cause, stalled := fs.Stalled(); stalled {
			if !IsNoSpace(cause) {
				t.Fatalf("stalled on %v, want ENOSPC", cause)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write on a full disk did not stall")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case err := <-done:
		t.Fatalf("the write on a full disk returned %v; want it to wait", err)
	case <-time.After(100 * time.Millisecond):
	}
	disk.SetFull(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the write after space came back: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the write did not resume after space came back")
	}
	if _, _, stalled := fs.Stalled(); stalled || stalls.Load() != 1 || resumes.Load() != 1 {
		t.Fatalf("stalled %v, %d stalls and %d resumes; want not stalled, 1 and 1", stalled, stalls.Load(), resumes.Load())
	}
	if m := fatal.Load(); m != nil {
		t.Fatalf("pebble went fatal: %v", m)
	}
	for i := 101; i < 110; i++ {
		if err := put(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = pebble.Open(dir, opts(vfs.Default))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 110; i++ {
		v, closer, err := db.Get([]byte(fmt.Sprintf("k%04d", i)))
		if err != nil {
			t.Fatalf("key %d after reopen: %v", i, err)
		}
		if string(v) != fmt.Sprintf("value %d", i) {
			t.Fatalf("key %d = %q", i, v)
		}
		closer.Close()
	}
}

// TestAbortEndsTheWait: after Abort a write on a full disk returns its error.
func TestAbortEndsTheWait(t *testing.T) {
	disk := NewFillable(vfs.NewMem())
	fs := New(disk, Config{PollInterval: time.Millisecond})
	f, err := fs.Create("f", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	disk.SetFull(true)
	done := make(chan error, 1)
	go func() { _, err := f.Write([]byte("0123456789")); done <- err }()
	time.Sleep(20 * time.Millisecond)
	fs.Abort()
	select {
	case err := <-done:
		if !IsNoSpace(err) {
			t.Fatalf("write after Abort: %v, want ENOSPC", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Abort did not end the wait")
	}
}
