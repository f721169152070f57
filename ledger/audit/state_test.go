package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
)

// TestState (f): the remembered checkpoint catches a split view (two signed
// checkpoints of one size with different roots) and a new checkpoint whose log does
// not extend the remembered one, and is only updated when the log verified.
func TestState(t *testing.T) {
	s := testSigner(t)
	a := testNetwork().Entries           // the log as first seen: 12 entries
	b := networkEndingWith(2016).Entries // the same 11, then another entry 11: a fork
	aMore := clone(a)
	aMore = append(aMore, extend(testNetwork()))
	bMore := append(clone(b), extend(networkEndingWith(2016)))
	cp := func(entries [][]byte) []byte { return signCheckpoint(t, s, uint64(len(entries)), rootOf(entries)) }
	state := filepath.Join(t.TempDir(), "audit.state")
	opts := audit.Options{LogKey: eventtest.TestLogVerifierKey, State: state}

	run := func(t *testing.T, dir string, wantUpdated bool, want ...string) *audit.Report {
		t.Helper()
		before, _ := os.ReadFile(state)
		r, err := auditDir(t, dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r, want...)
		after, _ := os.ReadFile(state)
		if r.State == nil || r.State.Updated != wantUpdated {
			t.Fatalf("state report %+v, want Updated %v", r.State, wantUpdated)
		}
		if !wantUpdated && !bytes.Equal(before, after) {
			t.Fatal("the state file changed although the audit failed")
		}
		return r
	}

	t.Run("first run remembers", func(t *testing.T) {
		r := run(t, writeExport(t, a, cp(a)), true)
		if r.State.Previous != nil {
			t.Fatalf("Previous = %+v on the first run", r.State.Previous)
		}
		st, err := audit.LoadState(state)
		if err != nil || st.Size != 12 || st.Root != rootOf(a) || st.Note != string(cp(a)) {
			t.Fatalf("LoadState = %+v, %v; want size 12, root of a, the checkpoint", st, err)
		}
	})
	t.Run("split view", func(t *testing.T) {
		r := run(t, writeExport(t, b, cp(b)), false, "log state_inconsistent", "log split_view")
		if p := r.State.Previous; p == nil || !p.SignatureOK || p.RootOK {
			t.Fatalf("Previous = %+v, want signature OK, root not OK", p)
		}
	})
	t.Run("fork extending past the remembered size", func(t *testing.T) {
		run(t, writeExport(t, bMore, cp(bMore)), false, "log state_inconsistent")
	})
	t.Run("truncated history", func(t *testing.T) {
		run(t, writeExport(t, a[:10], cp(a[:10])), false, "log state_inconsistent")
	})
	t.Run("fork over a server: entries and consistency proof", func(t *testing.T) {
		srv := newFakeServer(t, bMore, cp(bMore), false)
		r, err := auditServer(t, srv.URL, opts)
		if err != nil {
			t.Fatal(err)
		}
		// The recomputed root of the first 12 entries, and the server's own
		// consistency proof from the remembered checkpoint, both fail.
		checkFindings(t, r, "log state_inconsistent", "log state_inconsistent")
		if r.State.Consistency != "failed" {
			t.Fatalf("Consistency = %q, want failed", r.State.Consistency)
		}
	})
	t.Run("honest extension over a server", func(t *testing.T) {
		srv := newFakeServer(t, aMore, cp(aMore), false)
		r, err := auditServer(t, srv.URL, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r)
		if p := r.State.Previous; p == nil || p.Size != 12 || !p.SignatureOK || !p.RootOK {
			t.Fatalf("Previous = %+v, want the size-12 checkpoint, still verified", p)
		}
		if r.State.Consistency != "verified from size 12 to 13" || !r.State.Updated {
			t.Fatalf("state report %+v, want the consistency proof verified and the state updated", r.State)
		}
		st, _ := audit.LoadState(state)
		if st.Size != 13 || st.Root != rootOf(aMore) {
			t.Fatalf("state = size %d, want 13 with the new root", st.Size)
		}
	})
	t.Run("server lies in its consistency proof", func(t *testing.T) {
		n := testNetwork()
		extend(n)
		n.Append("uslax", inventory(2016))
		a3 := n.Entries
		srv := newFakeServer(t, a3, cp(a3), true)
		r, err := auditServer(t, srv.URL, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r, "log state_inconsistent")
	})
	t.Run("older checkpoint is checked but not remembered", func(t *testing.T) {
		run(t, writeExport(t, aMore, cp(aMore[:12])), false)
		st, _ := audit.LoadState(state)
		if st.Size != 13 {
			t.Fatalf("state size %d, want 13 (never moves back)", st.Size)
		}
	})
	t.Run("remembered checkpoint of another key", func(t *testing.T) {
		other, otherKey := otherSigner(t)
		dir := writeExport(t, aMore, signCheckpoint(t, other, 13, rootOf(aMore)))
		// Audited with the other key: its genesis names the test key, and the
		// remembered checkpoint does not verify under the other key.
		r, err := auditDir(t, dir, audit.Options{LogKey: otherKey, State: state})
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r, "log log_key_mismatch", "log state_inconsistent")
	})
}

// extend appends one more valid event to a 12-entry test network and returns it.
func extend(n *eventtest.Network) []byte { return n.Append("uslax", inventory(2015)) }

func jsonString(b []byte) string {
	out, _ := json.Marshal(string(b))
	return string(out)
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	n := testNetwork()
	export := cleanExport(t, n.Entries)
	for _, tt := range []struct{ name, content string }{
		{"not JSON", "hello"},
		{"unknown field", `{"origin":"x","size":1,"root":"","checkpoint":"","extra":1}`},
		{"fields disagree with the note", `{"origin":"climateledger.local/log","size":5,"root":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","checkpoint":` + jsonString(signCheckpoint(t, testSigner(t), 12, rootOf(n.Entries))) + `}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name)
			os.WriteFile(path, []byte(tt.content), 0o644)
			_, err := auditDir(t, export, audit.Options{State: path})
			var se *audit.StateError
			if !errors.As(err, &se) || se.File != path {
				t.Fatalf("Run error = %v, want a *StateError for %s", err, path)
			}
		})
	}
}
