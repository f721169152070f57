package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// submit sends entries through the node's gate.
func submit(t *testing.T, node *ledger.Node, entries ...[]byte) {
	t.Helper()
	for _, e := range entries {
		if _, _, err := node.Submit(t.Context(), e); err != nil {
			t.Fatalf("submit: %v", err)
		}
	}
}

// populate enrols three jurisdictions and records four events through the gate: the
// node's log then holds 8 valid entries (genesis included).
func populate(t *testing.T, node *ledger.Node, n *eventtest.Network) {
	t.Helper()
	for _, p := range []struct{ id, country, level string }{{"us-ca", "US", "state"}, {"cnszx", "CN", "city"}, {"uslax", "US", "city"}} {
		n.Enroll(p.id, p.id, "", p.country, p.level)
		submit(t, node, n.Entries[len(n.Entries)-1])
	}
	submit(t, node, n.Append("us-ca", inventory(2014)), n.Append("cnszx", target("t1", 65)),
		n.Append("us-ca", target("t1", 40)), n.Append("uslax", inventory(2014)))
}

// bypass publishes entry straight to the stream (no gate) as the next message of
// party's subject, and waits until the node has integrated it.
func bypass(t *testing.T, node *ledger.Node, party, msgID string, entry []byte) uint64 {
	t.Helper()
	ctx := t.Context()
	seq, _, err := node.Log().SubjectHead(ctx, party)
	if err != nil {
		t.Fatal(err)
	}
	app, err := node.Log().Append(ctx, party, msgID, entry, seq)
	if err != nil {
		t.Fatalf("append bypassing the gate: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := node.WaitApplied(wctx, app.Seq); err != nil {
		t.Fatal(err)
	}
	return app.Seq - 1
}

func serveCheckpointOverNATS(t *testing.T, node *ledger.Node) {
	t.Helper()
	stop, err := httpapi.ServeNATS(node.Log().Conn(), node, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

// TestNodeSources audits a real node over HTTP and over NATS: a clean log, then
// entries that bypassed the gate (a forked chain, a revoked key's signature), which
// are listed as rejected while the rest still verifies.
func TestNodeSources(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)
	serveCheckpointOverNATS(t, node)
	populate(t, node, n)
	logKey := node.Keys().LogVerifierKey

	server, err := audit.NewServer(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	server.PageSize = 3 // several pages
	sources := []audit.Source{server, audit.NewNATS(node.Log(), "in-process")}
	check := func(t *testing.T, wantEntries, wantValid uint64, want ...string) {
		t.Helper()
		for _, src := range sources {
			r, err := audit.Run(t.Context(), src, audit.Options{LogKey: logKey})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			checkFindings(t, r, want...)
			if r.Entries != wantEntries || r.Valid != wantValid || r.Checkpoint == nil || r.Checkpoint.Size != wantEntries || !r.Checkpoint.RootOK || !r.Checkpoint.SignatureOK {
				t.Fatalf("%s: entries %d valid %d checkpoint %+v, want %d entries, %d valid, a verified checkpoint of size %d",
					src, r.Entries, r.Valid, r.Checkpoint, wantEntries, wantValid, wantEntries)
			}
		}
	}
	t.Run("clean", func(t *testing.T) { check(t, 8, 8) })

	// (d) A fork of us-ca's chain: another seq 3 after the real one, published
	// straight to the stream.
	fork := n.Draft("us-ca", events.TypeInventoryReported, inventory(2016))
	fork.Seq, fork.Prev = 3, n.Hashes[4] // seq 3 again, after seq 2
	payload, err := fork.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	forkIndex := bypass(t, node, "us-ca", fork.ID, events.Sign(payload, n.Parties["us-ca"].Keys[0]))
	submit(t, node, n.Append("cnszx", inventory(2015))) // the log goes on
	t.Run("forked chain", func(t *testing.T) { check(t, 10, 9, itoa(forkIndex)+" chain_break") })

	// (e) us-ca rotates its key through the gate; then an event signed by the revoked
	// key is published straight to the stream.
	old := n.Parties["us-ca"].Keys[0]
	k2 := eventtest.Key(n.Seed, "us-ca/2")
	submit(t, node, n.Append("us-ca", &events.KeyAddedBody{Key: k2.Ref(), Reason: "rotation"}, old, k2))
	submit(t, node, n.Append("us-ca", &events.KeyRevokedBody{KeyID: old.KeyID(), Reason: "rotation"}, k2))
	d := n.Draft("us-ca", events.TypeInventoryReported, inventory(2017))
	payload, err = d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	revokedIndex := bypass(t, node, "us-ca", d.ID, events.Sign(payload, old))
	t.Run("revoked key", func(t *testing.T) {
		check(t, 13, 11, itoa(forkIndex)+" chain_break", itoa(revokedIndex)+" key_revoked")
	})
}

func itoa(i uint64) string { return strconv.FormatUint(i, 10) }

// TestJetStreamFileTampered (a): a byte flipped inside an entry in the stream's
// message block on disk. JetStream keeps a checksum per message and may drop or refuse
// the message; whatever it does, the audit fails against the checkpoint taken before
// the tampering.
func TestJetStreamFileTampered(t *testing.T) {
	dir := t.TempDir()
	node, n := ledgertest.Open(t, dir)
	populate(t, node, n)
	logKey := node.Keys().LogVerifierKey
	cp, size := node.Checkpoint()
	if size != 8 {
		t.Fatalf("checkpoint size %d, want 8", size)
	}
	target := n.Entries[3] // cnszx's enrolment, index 3
	if err := node.Close(); err != nil {
		t.Fatal(err)
	}

	blocks, err := filepath.Glob(filepath.Join(dir, "nats", "jetstream", "*", "streams", natslog.StreamName, "msgs", "*.blk"))
	if err != nil || len(blocks) == 0 {
		t.Fatalf("no message blocks found (%v)", err)
	}
	flipped := false
	for _, p := range blocks {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, target)
		if i < 0 {
			continue
		}
		b[i+200] ^= 0x01 // inside the base64 payload
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		flipped = true
	}
	if !flipped {
		t.Fatal("entry 3 not found in any message block")
	}

	src, err := audit.OpenNATS(t.Context(), natslog.Config{StoreDir: filepath.Join(dir, "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r, err := audit.Run(t.Context(), src, audit.Options{LogKey: logKey, Checkpoint: cp})
	if r == nil {
		t.Fatalf("Run: no report (%v)", err)
	}
	for _, f := range r.Findings {
		t.Logf("finding: %s", f)
	}
	if r.OK {
		t.Fatal("the audit of a tampered stream passed")
	}
	// The possible outcomes, by what JetStream does with the bad checksum.
	switch {
	case r.Has(audit.CodeEntryUnreadable): // dropped: a sequence is missing
		var se *audit.SourceError
		if !errors.As(err, &se) || !errors.Is(err, natslog.ErrCorrupt) || se.Index != 3 {
			t.Fatalf("Run error = %v, want a *SourceError at index 3 wrapping natslog.ErrCorrupt", err)
		}
		checkFindings(t, r, "3 entry_unreadable", "log checkpoint_beyond_log")
	case r.Has(audit.CodeCheckpointRootMismatch): // served as flipped
		if len(r.Findings) < 2 || r.Findings[0].Index == nil || *r.Findings[0].Index != 3 {
			t.Fatalf("findings %q, want a finding at index 3 and the root mismatch", brief(r))
		}
	case r.Has(audit.CodeCheckpointBeyondLog): // truncated at the bad message
	default:
		t.Fatalf("findings %q: none of entry_unreadable, checkpoint_root_mismatch, checkpoint_beyond_log", brief(r))
	}
}

// TestNATSWithoutCheckpoint: with no node answering on ledger.checkpoint.latest the
// entries are still audited, and the missing checkpoint is a finding.
func TestNATSWithoutCheckpoint(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	populate(t, node, n)
	r, err := audit.Run(t.Context(), audit.NewNATS(node.Log(), "in-process"), audit.Options{LogKey: node.Keys().LogVerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, "log checkpoint_missing")
	if r.Entries != 8 || r.Valid != 8 {
		t.Fatalf("entries %d valid %d, want 8 8", r.Entries, r.Valid)
	}
}
