package ledger

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// records returns every record of reg as a map.
func records(reg *events.Registry) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range reg.Records() {
		out[string(k)] = v
	}
	return out
}

// TestRegistryPersisted: after writes of several kinds, the registry a restart loads
// from Pebble equals the one replayed from the log, chain expectations included; a
// Pebble from before the records is migrated once and then loads the same.
func TestRegistryPersisted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	node, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	genesis, _ := node.Log().Entry(ctx, 1)
	n, err := eventtest.Adopt(t.Name(), node.Keys().Registrar, genesis)
	if err != nil {
		t.Fatal(err)
	}
	n.Now, n.Step = time.Now().UTC().Truncate(time.Second), 0
	submit := func(entry []byte) {
		t.Helper()
		if _, _, err := node.Submit(ctx, entry); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"us-ca", "cnszx"} {
		n.Enroll(id, id, "", "US", "city")
		submit(n.Entries[len(n.Entries)-1])
	}
	n.EnrollVerifier("verifier-a", "Verifier A")
	submit(n.Entries[len(n.Entries)-1])
	for i := 0; i < 5; i++ {
		submit(n.Append("us-ca", &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15", TargetWording: fmt.Sprint(i)}, n.Parties["us-ca"].Keys[0]))
	}
	k2 := eventtest.Key(t.Name(), "us-ca/2")
	submit(n.Append("us-ca", &events.KeyAddedBody{Key: k2.Ref()}, n.Parties["us-ca"].Keys[0], k2))
	submit(n.Append("us-ca", &events.KeyRevokedBody{KeyID: n.Parties["us-ca"].Keys[0].KeyID(), Reason: "rotated"}, k2))

	var want map[string][]byte
	var wantHeads map[string]uint64
	node.View(func(reg *events.Registry, _ uint64) { want = records(reg) })
	node.mu.RLock()
	wantHeads = maps.Clone(node.subjectSeq)
	node.mu.RUnlock()
	node.Close()

	check := func(what string) {
		t.Helper()
		node, err := Open(ctx, Config{DataDir: dir})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		defer node.Close()
		var got map[string][]byte
		node.View(func(reg *events.Registry, _ uint64) { got = records(reg) })
		if !maps.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("%s: the registry differs from the replayed one (%d records, want %d)", what, len(got), len(want))
		}
		node.mu.RLock()
		heads := maps.Clone(node.subjectSeq)
		node.mu.RUnlock()
		if !maps.Equal(heads, wantHeads) {
			t.Fatalf("%s: chain expectations %v, want %v", what, heads, wantHeads)
		}
		replayed, replayedHeads, err := node.replayRegistry(ctx, node.Applied())
		if err != nil {
			t.Fatal(err)
		}
		if !maps.EqualFunc(records(replayed), want, bytes.Equal) || !maps.Equal(replayedHeads, wantHeads) {
			t.Fatalf("%s: a replay of the log gives another registry", what)
		}
	}
	check("restart")

	// A Pebble from before the records: they are written once, then loaded.
	db, err := pebble.Open(dir+"/pebble", &pebble.Options{Logger: pebbleslog.Logger{L: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]string{{prefixRegistry, string(prefixEnd(prefixRegistry))}, {prefixChainSeq, string(prefixEnd(prefixChainSeq))}, {keyRegistryFormat, keyRegistryFormat + "\x00"}} {
		if err := db.DeleteRange([]byte(r[0]), []byte(r[1]), pebble.Sync); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := hasRegistryRecords(db); ok {
		t.Fatal("records still marked")
	}
	db.Close()
	check("migration")
	check("restart after the migration")
}
