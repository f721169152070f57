package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// skewedClock is a node clock that a test can move: real time plus an offset.
type skewedClock struct{ offset atomic.Int64 }

func (c *skewedClock) now() time.Time        { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *skewedClock) move(d time.Duration)  { c.offset.Store(int64(d)) }
func (c *skewedClock) config() ledger.Config { return ledger.Config{Now: c.now} }
func signed(t *testing.T, d *events.Draft, s *events.Signer) ([]byte, []byte) {
	t.Helper()
	payload, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return payload, events.Sign(payload, s)
}

// TestResubmitAfterClockWindow: a client that lost its receipt gets it back by
// resubmitting the identical envelope, even once the event's time has left the gate's
// clock window (the already-recorded check comes before the clock rule).
func TestResubmitAfterClockWindow(t *testing.T) {
	var clock skewedClock
	node, n := ledgertest.OpenConfig(t, clock.config())
	srv := ledgertest.Serve(t, node)
	n.Enroll("us-ca", "California", "", "US", "state")
	mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	entry := n.Append("us-ca", inventory())
	rc := mustSubmit(t, srv.URL, entry)
	before := ledgertest.Entries(t, node)

	for _, skew := range []time.Duration{11 * time.Minute, 24 * time.Hour, 365 * 24 * time.Hour, -2 * time.Minute} {
		clock.move(skew)
		status, again, p := post(t, srv.URL, entry)
		if status != http.StatusOK || p != nil {
			t.Fatalf("resubmit with the server clock %v away: status %d problem %+v, want 200 and the original receipt", skew, status, p)
		}
		if again.ID != rc.ID || again.Index != rc.Index || again.Hash != rc.Hash || again.Seq != rc.Seq || again.Party != rc.Party {
			t.Fatalf("resubmit with the server clock %v away: receipt %+v, want the original %+v", skew, again, rc)
		}
	}

	// Outside the window, anything but the identical bytes is still refused on the
	// clock: a new event, and another envelope reusing the recorded event's id.
	clock.move(11 * time.Minute)
	_, fresh := signed(t, n.Draft("us-ca", events.TypeInventoryReported, inventory()), n.Parties["us-ca"].Keys[0])
	reuse := draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.ID = rc.ID })
	for name, body := range map[string][]byte{"new event": fresh, "recorded id, other bytes": reuse} {
		status, _, p := post(t, srv.URL, body)
		if status != http.StatusUnprocessableEntity || p == nil || p.Code != string(ledger.CodeClockSkew) {
			t.Errorf("%s outside the window: status %d problem %+v, want 422 clock_skew", name, status, p)
		}
	}
	after := ledgertest.Entries(t, node)
	if len(after) != len(before) || !bytes.Equal(after[len(after)-1], before[len(before)-1]) {
		t.Fatalf("the log changed: %d entries, want %d", len(after), len(before))
	}
}

// TestFutureDatedEventDoesNotLockChain: an event stamped 9 minutes ahead used to be
// inside the ±10 min window, and then every correct-clock event of its chain failed
// with time_backwards until real time caught up. The future side of the window is now
// 1 minute by default.
func TestFutureDatedEventDoesNotLockChain(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)
	n.Enroll("us-ca", "California", "", "US", "state")
	mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	key := n.Parties["us-ca"].Keys[0]

	ahead := n.Draft("us-ca", events.TypeInventoryReported, inventory())
	ahead.Time = time.Now().UTC().Add(9 * time.Minute).Truncate(time.Second)
	_, body := signed(t, ahead, key)
	status, _, p := post(t, srv.URL, body)
	if status != http.StatusUnprocessableEntity || p == nil || p.Code != "clock_skew" {
		t.Fatalf("event 9 min ahead: status %d problem %+v, want 422 clock_skew", status, p)
	}
	if want := "more than 1m0s ahead of the server clock"; !strings.Contains(p.Detail, want) {
		t.Errorf("clock_skew detail %q does not say %q", p.Detail, want)
	}

	// The chain is not locked: an event with the correct time is recorded.
	n.Now = time.Now().UTC().Truncate(time.Second)
	mustSubmit(t, srv.URL, n.Append("us-ca", inventory()))

	// A small skew ahead (30 s) is accepted.
	n.Now = time.Now().UTC().Add(30 * time.Second).Truncate(time.Second)
	mustSubmit(t, srv.URL, n.Append("us-ca", inventory()))
}

// TestClockWindowConfigurable: Config.ClockSkew and FutureSkew set the two sides of
// the window. With the old symmetric ±10 min, the 9-minute-ahead event is accepted and
// locks the chain: the lockout the small future side prevents.
func TestClockWindowConfigurable(t *testing.T) {
	node, n := ledgertest.OpenConfig(t, ledger.Config{ClockSkew: 10 * time.Minute, FutureSkew: 10 * time.Minute})
	srv := ledgertest.Serve(t, node)
	n.Enroll("us-ca", "California", "", "US", "state")
	mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	n.Now = time.Now().UTC().Add(9 * time.Minute).Truncate(time.Second)
	mustSubmit(t, srv.URL, n.Append("us-ca", inventory()))
	n.Now = time.Now().UTC().Truncate(time.Second)
	status, _, p := post(t, srv.URL, n.Append("us-ca", inventory()))
	if status != http.StatusUnprocessableEntity || p == nil || p.Code != "time_backwards" {
		t.Fatalf("correct-clock event after one 9 min ahead, window ±10m: status %d problem %+v, want 422 time_backwards", status, p)
	}
}
