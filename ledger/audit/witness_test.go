package audit_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/witness"
)

// testWitness is a witness key made from a fixed seed, for cosigning by hand.
type testWitness struct {
	signer *witness.Signer
	vkey   string
	id     string // "<name>+<hex key hash>"
}

func newTestWitness(t testing.TB, name string) *testWitness {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(eventtest.NewStream("witness "+name), name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := witness.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &testWitness{signer: s, vkey: vkey, id: witness.KeyID(s)}
}

// cosignLine returns w's cosignature line ("— name base64\n") on the signed note cp.
func (w *testWitness) cosignLine(t testing.TB, cp []byte) []byte {
	t.Helper()
	text := cp[:bytes.LastIndex(cp, []byte("\n\n"))+1]
	signed, err := note.Sign(&note.Note{Text: string(text)}, w.signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed[len(text)+1:]
}

// cosign appends the witnesses' cosignature lines to cp, in order.
func cosign(t testing.TB, cp []byte, ws ...*testWitness) []byte {
	t.Helper()
	out := bytes.Clone(cp)
	for _, w := range ws {
		out = append(out, w.cosignLine(t, cp)...)
	}
	return out
}

// cosignedAt is the time in w's cosignature line on cp, as reports print it. It reads
// the 8-byte timestamp after the key hash by hand.
func cosignedAt(t testing.TB, cp []byte, w *testWitness) string {
	t.Helper()
	prefix := []byte("— " + w.signer.Name() + " ")
	for line := range bytes.Lines(cp) {
		if b64, ok := bytes.CutPrefix(line, prefix); ok {
			raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSuffix(b64, []byte("\n"))))
			if err == nil && len(raw) == 76 && binary.BigEndian.Uint32(raw) == w.signer.KeyHash() {
				return time.Unix(int64(binary.BigEndian.Uint64(raw[4:12])), 0).UTC().Format(time.RFC3339)
			}
		}
	}
	t.Fatalf("no cosignature by %s on\n%s", w.id, cp)
	return ""
}

// flipCosignature flips one byte of w's Ed25519 signature in its cosignature line.
func flipCosignature(t testing.TB, cp []byte, w *testWitness) []byte {
	t.Helper()
	prefix := []byte("— " + w.signer.Name() + " ")
	var out []byte
	flipped := false
	for line := range bytes.Lines(cp) {
		if b64, ok := bytes.CutPrefix(line, prefix); ok && !flipped {
			raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSuffix(b64, []byte("\n"))))
			if err != nil {
				t.Fatal(err)
			}
			raw[40] ^= 0x01 // inside the signature (after key hash and timestamp)
			line = []byte("— " + w.signer.Name() + " " + base64.StdEncoding.EncodeToString(raw) + "\n")
			flipped = true
		}
		out = append(out, line...)
	}
	if !flipped {
		t.Fatalf("no cosignature by %s to flip", w.id)
	}
	return out
}

// witnessExport writes testNetwork's entries with a checkpoint cosigned by ws.
func witnessExport(t testing.TB, ws ...*testWitness) (dir string, cp []byte) {
	t.Helper()
	entries := testNetwork().Entries
	cp = cosign(t, signCheckpoint(t, testSigner(t), uint64(len(entries)), rootOf(entries)), ws...)
	return writeExport(t, entries, cp), cp
}

// TestWitnessPolicy audits exports whose checkpoint carries various cosignatures
// against the policy "A and B, quorum 2" (and others): only two valid cosignatures by
// policy witnesses pass; the finding names who cosigned, when, and who is missing.
func TestWitnessPolicy(t *testing.T) {
	a, b, c := newTestWitness(t, "a.witness.example"), newTestWitness(t, "b.witness.example"), newTestWitness(t, "c.witness.example")
	both := audit.WitnessPolicy{Keys: []string{a.vkey, b.vkey}, Quorum: 2}
	run := func(t *testing.T, dir string, p audit.WitnessPolicy) *audit.Report {
		t.Helper()
		r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: p})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("quorum met", func(t *testing.T) {
		dir, cp := witnessExport(t, a, b)
		r := run(t, dir, both)
		checkFindings(t, r)
		w := r.Witnesses
		if w == nil || !w.OK || w.Quorum != 2 || len(w.Cosigned) != 2 || len(w.Missing) != 0 || w.Problem != "" {
			t.Fatalf("Witnesses = %+v, want OK with 2 cosignatures", w)
		}
		if w.Cosigned[0].Key != a.id || w.Cosigned[1].Key != b.id || w.Cosigned[0].Witness != "a.witness.example" {
			t.Errorf("Cosigned = %+v, want a then b", w.Cosigned)
		}
		var text, js bytes.Buffer
		r.WriteText(&text)
		r.WriteJSON(&js)
		wantLine := fmt.Sprintf("  witnesses verified: cosigned by %s at %s, %s at %s (2 of 2 required)\n", a.id, cosignedAt(t, cp, a), b.id, cosignedAt(t, cp, b))
		for _, want := range []string{"witnesses: 2 of 2 required\n  " + a.vkey + "\n  " + b.vkey + "\n", wantLine} {
			if !strings.Contains(text.String(), want) {
				t.Errorf("text report lacks %q:\n%s", want, text.String())
			}
		}
		var got struct {
			Witnesses struct {
				Keys     []string
				Quorum   int
				OK       bool
				Cosigned []struct {
					Witness, Key string
					Time         time.Time
				}
			}
		}
		if err := json.Unmarshal(js.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if g := got.Witnesses; !g.OK || g.Quorum != 2 || len(g.Keys) != 2 || len(g.Cosigned) != 2 || g.Cosigned[1].Key != b.id || g.Cosigned[1].Time.IsZero() {
			t.Errorf("JSON witnesses = %+v", g)
		}
	})

	// Each case: the checkpoint's witnesses, the policy, and the finding's reason
	// (empty: the audit passes).
	tests := []struct {
		name   string
		cosign []*testWitness
		mutate func([]byte) []byte
		policy audit.WitnessPolicy
		reason func(t *testing.T, cp []byte) string
	}{
		{name: "one of two", cosign: []*testWitness{a}, policy: both, reason: func(t *testing.T, cp []byte) string {
			return fmt.Sprintf("the checkpoint of size 12 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s", a.id, cosignedAt(t, cp, a), b.id)
		}},
		{name: "none", policy: both, reason: func(*testing.T, []byte) string {
			return fmt.Sprintf("the checkpoint of size 12 has 0 of the 2 required witness cosignatures: cosigned by no witness of the policy; missing %s and %s", a.id, b.id)
		}},
		{name: "flipped byte", cosign: []*testWitness{a, b}, policy: both, mutate: func(cp []byte) []byte { return flipCosignature(t, cp, b) }, reason: func(*testing.T, []byte) string {
			return "cosignature by witness " + b.id + " does not verify: the checkpoint or the signature line was altered"
		}},
		{name: "a witness outside the policy is not counted", cosign: []*testWitness{a, c}, policy: both, reason: func(t *testing.T, cp []byte) string {
			return fmt.Sprintf("the checkpoint of size 12 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s", a.id, cosignedAt(t, cp, a), b.id)
		}},
		{name: "a duplicated line counts once", cosign: []*testWitness{a, a}, policy: both, reason: func(t *testing.T, cp []byte) string {
			return fmt.Sprintf("the checkpoint of size 12 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s", a.id, cosignedAt(t, cp, a), b.id)
		}},
		{name: "quorum 1 of 2", cosign: []*testWitness{b}, policy: audit.WitnessPolicy{Keys: both.Keys, Quorum: 1}},
		{name: "quorum 0 means all", cosign: []*testWitness{a, b, c}, policy: audit.WitnessPolicy{Keys: []string{a.vkey, b.vkey, c.vkey}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, cp := witnessExport(t, tt.cosign...)
			if tt.mutate != nil {
				cp = tt.mutate(cp)
				os.WriteFile(filepath.Join(dir, audit.CheckpointFile), cp, 0o644)
			}
			r := run(t, dir, tt.policy)
			if tt.reason == nil {
				checkFindings(t, r)
				return
			}
			checkFindings(t, r, "log checkpoint_witnesses")
			if got, want := r.Findings[0].Reason, tt.reason(t, cp); got != want {
				t.Errorf("reason:\n got %s\nwant %s", got, want)
			}
			if r.Witnesses.OK || r.Witnesses.Problem != r.Findings[0].Reason || !r.Checkpoint.SignatureOK || !r.Checkpoint.RootOK {
				t.Errorf("Witnesses = %+v, checkpoint = %+v", r.Witnesses, r.Checkpoint)
			}
		})
	}

	t.Run("log signature first", func(t *testing.T) {
		entries := testNetwork().Entries
		other, _ := otherSigner(t)
		dir := writeExport(t, entries, cosign(t, signCheckpoint(t, other, 12, rootOf(entries)), a, b))
		r := run(t, dir, both)
		checkFindings(t, r, "log checkpoint_unknown_key")
		var text bytes.Buffer
		r.WriteText(&text)
		if !strings.Contains(text.String(), "witnesses NOT checked: the log signature did not verify") {
			t.Errorf("text report:\n%s", text.String())
		}
	})

	t.Run("no witnesses required", func(t *testing.T) {
		dir, _ := witnessExport(t, a)
		r := run(t, dir, audit.WitnessPolicy{})
		checkFindings(t, r)
		var text bytes.Buffer
		r.WriteText(&text)
		if r.Witnesses != nil || !strings.Contains(text.String(), "witnesses: none required (no --witness given)") {
			t.Errorf("Witnesses = %+v; text:\n%s", r.Witnesses, text.String())
		}
	})

	t.Run("state", func(t *testing.T) {
		// The state file remembers the cosigned note; the next run still verifies it.
		dir, cp := witnessExport(t, a, b)
		state := filepath.Join(t.TempDir(), "state")
		for range 2 {
			r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: both, State: state})
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, r)
			if !r.State.Updated {
				t.Fatalf("state not updated")
			}
		}
		st, err := audit.LoadState(state)
		if err != nil || st.Note != string(cp) {
			t.Fatalf("state note = %q, %v; want the cosigned checkpoint", st.Note, err)
		}
		// Without the quorum the state is not moved.
		dir1, _ := witnessExport(t, a)
		r, err := auditDir(t, dir1, audit.Options{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: both, State: state})
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r, "log checkpoint_witnesses")
		if r.State.Updated {
			t.Errorf("state updated to a checkpoint without the witnesses' quorum")
		}
	})
}

// TestWitnessPolicyOptions: a policy that cannot be applied is an error, before any
// entry is read, naming the key or the quorum.
func TestWitnessPolicyOptions(t *testing.T) {
	a, b := newTestWitness(t, "a.witness.example"), newTestWitness(t, "b.witness.example")
	dir, _ := witnessExport(t, a, b)
	tests := []struct {
		policy audit.WitnessPolicy
		err    string
	}{
		{audit.WitnessPolicy{Keys: []string{a.vkey, b.vkey}, Quorum: 3}, "audit: witness quorum 3 is not between 1 and the 2 witness keys given"},
		{audit.WitnessPolicy{Keys: []string{a.vkey, a.vkey}}, "audit: witness keys 1 and 2 are the same key " + a.id},
		{audit.WitnessPolicy{Keys: []string{eventtest.TestLogVerifierKey}}, "audit: witness key 1 (" + eventtest.TestLogVerifierKey + "): witness verifier key: key is not an Ed25519 cosignature/v1 key"},
		{audit.WitnessPolicy{Quorum: 1}, "audit: witness quorum 1, but no witness key was given"},
	}
	for _, tt := range tests {
		r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: tt.policy})
		if r != nil || err == nil || !strings.HasPrefix(err.Error(), tt.err) {
			t.Errorf("policy %+v: report %v, err %v; want %q", tt.policy, r != nil, err, tt.err)
		}
	}
}

// TestExportWitnesses: Export with a witness policy writes the checkpoint verbatim
// with its cosignatures, and refuses one without the quorum, writing nothing.
func TestExportWitnesses(t *testing.T) {
	a, b := newTestWitness(t, "a.witness.example"), newTestWitness(t, "b.witness.example")
	entries := testNetwork().Entries
	plain := signCheckpoint(t, testSigner(t), uint64(len(entries)), rootOf(entries))
	policy := audit.WitnessPolicy{Keys: []string{a.vkey, b.vkey}}

	one := newFakeServer(t, entries, cosign(t, plain, a), false)
	src, _ := audit.NewServer(one.URL, nil)
	dir := filepath.Join(t.TempDir(), "export")
	_, err := audit.Export(t.Context(), src, dir, audit.ExportOptions{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: policy})
	if err == nil || !strings.Contains(err.Error(), ": witnesses: the checkpoint of size 12 has 1 of the 2 required witness cosignatures") {
		t.Fatalf("export without the quorum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.CheckpointFile)); !os.IsNotExist(err) {
		t.Fatalf("a checkpoint file was written: %v", err)
	}

	full := cosign(t, plain, a, b)
	two := newFakeServer(t, entries, full, false)
	src, _ = audit.NewServer(two.URL, nil)
	res, err := audit.Export(t.Context(), src, dir, audit.ExportOptions{WitnessPolicy: policy}) // the genesis's key
	if err != nil {
		t.Fatal(err)
	}
	if w := res.Witnesses; w == nil || !w.OK || len(w.Cosigned) != 2 {
		t.Fatalf("Witnesses = %+v", w)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointFile)); !bytes.Equal(got, full) {
		t.Fatalf("checkpoint file:\n%s\nwant the served one verbatim:\n%s", got, full)
	}
	r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey, WitnessPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r)
}

// TestNATSWitnessedCheckpoint audits a real node over NATS with a witness policy: the
// source asks "ledger.checkpoint.witnessed", which is empty until the node stores a
// witnessed checkpoint.
func TestNATSWitnessedCheckpoint(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	serveCheckpointOverNATS(t, node)
	populate(t, node, n)
	a, b := newTestWitness(t, "a.witness.example"), newTestWitness(t, "b.witness.example")
	opts := audit.Options{LogKey: node.Keys().LogVerifierKey, WitnessPolicy: audit.WitnessPolicy{Keys: []string{a.vkey, b.vkey}}}
	src := audit.NewNATS(node.Log(), "in-process")

	r, err := audit.Run(t.Context(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, "log checkpoint_missing")
	if !strings.Contains(r.Findings[0].Reason, "empty answer on ledger.checkpoint.witnessed") {
		t.Errorf("reason: %s", r.Findings[0].Reason)
	}

	cp, size := node.Checkpoint()
	if err := node.SetWitnessed(cosign(t, cp, a, b), size); err != nil {
		t.Fatal(err)
	}
	submit(t, node, n.Append("us-ca", inventory(2015))) // the log moves on; the witnessed checkpoint stays at size
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if r, err = audit.Run(ctx, src, opts); err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r)
	if r.Checkpoint.Size != size || r.Entries != size+1 || !r.Witnesses.OK {
		t.Fatalf("checkpoint size %d of %d entries, witnesses %+v; want the witnessed size %d", r.Checkpoint.Size, r.Entries, r.Witnesses, size)
	}
}
