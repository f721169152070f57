package ledger

import (
	"bytes"
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
