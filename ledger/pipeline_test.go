package ledger

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
)

func TestChainLocks(t *testing.T) {
	var c chainLocks
	unlockA := c.lock("us-ca")
	// Another chain is never held up by this one.
	done := make(chan struct{})
	go func() { c.lock("cn-bj")(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("a write to cn-bj waited for us-ca's")
	}
	// The same chain waits.
	got := make(chan struct{})
	go func() { c.lock("us-ca")(); close(got) }()
	select {
	case <-got:
		t.Fatal("a second write to us-ca did not wait for the first")
	case <-time.After(50 * time.Millisecond):
	}
	unlockA()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second write to us-ca never got the lock")
	}
	// Only chains being written are kept.
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) != 0 {
		t.Fatalf("%d chain locks left after every writer finished", len(c.m))
	}
}

func TestGateVerified(t *testing.T) {
	var g gateVerified
	raw := []byte(`{"stored":"entry"}`)
	e := &events.Entry{Raw: raw}
	drop := g.put(e)
	if got, ok := g.get(bytes.Clone(raw)); !ok || got != e {
		t.Fatalf("get(the same bytes) = %p, %v; want the gate's entry", got, ok)
	}
	other := bytes.Clone(raw)
	other[3] ^= 1
	if _, ok := g.get(other); ok {
		t.Fatal("an entry was found for other bytes")
	}
	// A later submission of the same bytes replaced the first: the first's drop
	// leaves it alone.
	e2 := &events.Entry{Raw: raw}
	drop2 := g.put(e2)
	drop()
	if got, ok := g.get(raw); !ok || got != e2 {
		t.Fatalf("after the first drop: %p, %v; want the second entry", got, ok)
	}
	drop2()
	if _, ok := g.get(raw); ok || len(g.m) != 0 {
		t.Fatalf("entries left after every drop: %d", len(g.m))
	}
}

// TestParseStageWaitsWhileBehind: while the stream says more entries follow, the parse
// stage waits for them and forms full groups; once caught up it takes what has come.
func TestParseStageWaitsWhileBehind(t *testing.T) {
	n := &Node{cfg: Config{MaxGroup: 4}}
	in := make(chan streamed, 16)
	ready := make(chan parsedGroup, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.parseStage(ctx, in, make(chan error), ready)
	feed := func(seq, pending uint64) { in <- streamed{seq: seq, entry: []byte("x"), pending: pending} }
	// Three entries arrive, five more are in the stream behind the first.
	feed(1, 5)
	feed(2, 4)
	feed(3, 3)
	time.Sleep(50 * time.Millisecond)
	feed(4, 2)
	feed(5, 1)
	feed(6, 0)
	for _, want := range []struct{ first, size uint64 }{{1, 4}, {5, 2}} {
		select {
		case g := <-ready:
			if g.err != nil || g.first != want.first || uint64(len(g.ps)) != want.size {
				t.Fatalf("group from %d of %d entries (%v), want from %d of %d", g.first, len(g.ps), g.err, want.first, want.size)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no group from %d", want.first)
		}
	}
	// Caught up: an entry alone is a group at once.
	feed(7, 0)
	select {
	case g := <-ready:
		if g.first != 7 || len(g.ps) != 1 {
			t.Fatalf("group from %d of %d entries, want entry 7 alone", g.first, len(g.ps))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a caught-up entry waited for more")
	}
}
