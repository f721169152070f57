package ledger_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// TestRestartTime measures how long a restart takes until the node is ready, with
// the registry loaded from Pebble and — the way every restart went before the
// registry was persisted — replayed from the whole log. It needs a large log, so it
// runs only when CLIMATELEDGER_RESTART_ENTRIES is set (docs/OPERATIONS.md):
//
//	CLIMATELEDGER_RESTART_ENTRIES=1000000 go test ./ledger/ -run TestRestartTime -v -timeout 60m
func TestRestartTime(t *testing.T) {
	total, _ := strconv.Atoi(os.Getenv("CLIMATELEDGER_RESTART_ENTRIES"))
	if total == 0 {
		t.Skip("set CLIMATELEDGER_RESTART_ENTRIES to the log size to measure")
	}
	dir := os.Getenv("CLIMATELEDGER_RESTART_DIR") // reuse a log built by an earlier run
	ctx := context.Background()
	if dir == "" {
		dir = t.TempDir()
	}
	if _, err := os.Stat(dir + "/nats"); err != nil {
		build := time.Now()
		node, n := ledgertest.Open(t, dir)
		const parties = 64
		per := total / parties
		var all [][][]byte
		for c := 0; c < parties; c++ {
			party := fmt.Sprintf("city-%02d", c)
			n.Enroll(party, "City", "", "US", "city")
			if _, _, err := node.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
				t.Fatal(err)
			}
			p := n.Parties[party]
			all = append(all, chainEntries(p.ID, p.Keys[0], p.Seq, p.Head, per))
		}
		js := node.Log().JetStream()
		for i := 0; i < per; i++ {
			for c := 0; c < parties; c++ {
				if _, err := js.PublishAsync(fmt.Sprintf("ledger.events.city-%02d", c), all[c][i]); err != nil {
					t.Fatal(err)
				}
			}
			if i%32 == 31 {
				<-js.PublishAsyncComplete()
			}
		}
		<-js.PublishAsyncComplete()
		last, _ := node.Log().LastSeq(ctx)
		wctx, cancel := context.WithTimeout(ctx, 50*time.Minute)
		if err := node.WaitApplied(wctx, last); err != nil {
			t.Fatal(err)
		}
		cancel()
		node.Close()
		t.Logf("built a log of %d entries in %v", last, time.Since(build).Round(time.Second))
	}

	open := func() (*ledger.Node, time.Duration) {
		start := time.Now()
		node, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !node.Ready(ctx).Ready {
			t.Fatalf("not ready after Open: %+v", node.Ready(ctx))
		}
		return node, time.Since(start)
	}
	for round := 0; round < 3; round++ {
		node, took := open()
		t.Logf("restart with the registry in Pebble: %d entries, ready in %v", node.Applied(), took.Round(time.Millisecond))
		node.Close()
	}
	if os.Getenv("CLIMATELEDGER_RESTART_NO_REPLAY") != "" {
		return
	}
	// The earlier way: drop the records, so the registry is replayed from the log
	// (and written back once).
	db, err := pebble.Open(dir+"/pebble", &pebble.Options{Logger: pebbleslog.Logger{L: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{{"l/x/", "l/x0"}, {"l/h/", "l/h0"}, {"l/xv", "l/xw"}} {
		if err := db.DeleteRange([]byte(r[0]), []byte(r[1]), pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	node, took := open()
	t.Logf("restart replaying the log into the registry (and writing it back once): %d entries, ready in %v", node.Applied(), took.Round(time.Millisecond))
	node.Close()
	node, took = open()
	t.Logf("next restart, registry in Pebble again: ready in %v", took.Round(time.Millisecond))
	node.Close()
}
