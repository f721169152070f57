package audit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
)

func TestCleanExport(t *testing.T) {
	n := testNetwork()
	dir := cleanExport(t, n.Entries)
	r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r)
	if r.Entries != 12 || r.Valid != 12 || r.Rejected != 0 || r.Unparsed != 0 {
		t.Errorf("entries/valid/rejected/unparsed = %d/%d/%d/%d, want 12/12/0/0", r.Entries, r.Valid, r.Rejected, r.Unparsed)
	}
	wantParties := []audit.Count{
		{Name: "cnszx", Entries: 4, Valid: 4}, {Name: "network", Entries: 1, Valid: 1},
		{Name: "us-ca", Entries: 4, Valid: 4}, {Name: "uslax", Entries: 3, Valid: 3},
	}
	if !slices.Equal(r.Parties, wantParties) {
		t.Errorf("Parties = %+v, want %+v", r.Parties, wantParties)
	}
	wantTypes := []audit.Count{
		{Name: events.TypeInventoryReported, Entries: 5, Valid: 5}, {Name: events.TypeGenesis, Entries: 1, Valid: 1},
		{Name: events.TypePartyEnrolled, Entries: 3, Valid: 3}, {Name: events.TypeTargetSet, Entries: 3, Valid: 3},
	}
	if !slices.Equal(r.Types, wantTypes) {
		t.Errorf("Types = %+v, want %+v", r.Types, wantTypes)
	}
	root := rootOf(n.Entries)
	cp := r.Checkpoint
	if cp == nil || cp.Size != 12 || !cp.SignatureOK || !cp.RootOK || cp.Origin != proof.DefaultOrigin || cp.Root != b64(root) {
		t.Errorf("Checkpoint = %+v, want size 12, signature and root OK, root %s", cp, b64(root))
	}
	if r.Root != b64(root) {
		t.Errorf("Root = %s, want %s", r.Root, b64(root))
	}
	if r.LogKey.From != "option" || r.LogKey.Key != eventtest.TestLogVerifierKey {
		t.Errorf("LogKey = %+v, want from option", r.LogKey)
	}

	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"audit of export " + dir, "entries: 12 read, 12 valid, 0 rejected (0 unparsed)",
		"signature verified, root matches the entries", "RESULT: OK\n", trustOptionPrefix} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
}

const trustOptionPrefix = "given by the auditor"

func b64(h [32]byte) string {
	b, _ := json.Marshal(h[:])
	return strings.Trim(string(b), `"`)
}

func TestGenesisKeyTrustStatement(t *testing.T) {
	n := testNetwork()
	r, err := auditDir(t, cleanExport(t, n.Entries), audit.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r)
	if r.LogKey.From != "genesis" || r.LogKey.Key != eventtest.TestLogVerifierKey || !strings.HasPrefix(r.LogKey.Statement, "NOT given") {
		t.Fatalf("LogKey = %+v, want the genesis's key with the NOT given statement", r.LogKey)
	}
	var text bytes.Buffer
	r.WriteText(&text)
	if !strings.Contains(text.String(), "NOT given (--log-key): taken from the log's own genesis entry") {
		t.Fatalf("text report does not say the key came from the genesis:\n%s", text.String())
	}
}

// TestTamperedExport: each mutation of a clean export is caught with its own finding.
func TestTamperedExport(t *testing.T) {
	n := testNetwork()
	good := n.Entries
	s := testSigner(t)
	other, otherKey := otherSigner(t)
	cpOver := func(entries [][]byte) []byte { return signCheckpoint(t, s, uint64(len(entries)), rootOf(entries)) }
	goodCP := cpOver(good)

	tests := []struct {
		name    string
		entries func() [][]byte
		cp      func() []byte // nil: no checkpoint file
		logKey  string        // "" means the test key
		want    []string
		wantErr bool // a *SourceError
	}{
		{name: "entry removed", entries: func() [][]byte {
			return slices.Delete(clone(good), 7, 8) // us-ca's target t1 (seq 3)
		}, cp: func() []byte { return goodCP },
			// us-ca's next entry (seq 4, now at index 9) no longer follows its head (seq 2).
			want: []string{"9 chain_break", "log checkpoint_beyond_log"}},
		{name: "last entry removed", entries: func() [][]byte { return clone(good[:11]) }, cp: func() []byte { return goodCP },
			want: []string{"log checkpoint_beyond_log"}},
		{name: "entry duplicated", entries: func() [][]byte {
			return slices.Insert(clone(good), 5, good[4])
		}, cp: func() []byte { return goodCP },
			want: []string{"5 duplicate_id", "log checkpoint_root_mismatch"}},
		{name: "entries of two parties swapped", entries: func() [][]byte {
			e := clone(good)
			e[4], e[5] = e[5], e[4]
			return e
		}, cp: func() []byte { return goodCP },
			// Every chain still holds: only the Merkle root sees the new order.
			want: []string{"log checkpoint_root_mismatch"}},
		{name: "entries of one party swapped", entries: func() [][]byte {
			e := clone(good)
			e[4], e[7] = e[7], e[4] // us-ca seq 2 and 3
			return e
		}, cp: func() []byte { return goodCP },
			// seq 3 first breaks; seq 2 then follows seq 1; seq 4 then follows the wrong head.
			want: []string{"4 chain_break", "10 chain_break", "log checkpoint_root_mismatch"}},
		{name: "byte flipped in an entry", entries: func() [][]byte {
			e := clone(good)
			e[6][len(e[6])-20] ^= 0x01 // inside uslax's signature
			return e
		}, cp: func() []byte { return goodCP },
			want: []string{"6 bad_signature", "9 chain_break", "log checkpoint_root_mismatch"}},
		{name: "last event rewritten and re-signed by its party", entries: func() [][]byte {
			// Every replay rule holds for the rewritten event: only the root sees it.
			return networkEndingWith(2016).Entries
		}, cp: func() []byte { return goodCP },
			want: []string{"log checkpoint_root_mismatch"}},
		{name: "envelope re-encoded", entries: func() [][]byte {
			e := clone(good)
			e[11] = bytes.Replace(e[11], []byte(`"payloadType":`), []byte(`"payloadType": `), 1)
			return e
		}, cp: func() []byte { return goodCP },
			want: []string{"11 malformed_envelope", "log checkpoint_root_mismatch"}},
		{name: "checkpoint with a wrong root", entries: func() [][]byte { return good }, cp: func() []byte {
			return signCheckpoint(t, s, 12, rootOf(good[:11]))
		}, want: []string{"log checkpoint_root_mismatch"}},
		{name: "checkpoint signed by another key", entries: func() [][]byte { return good }, cp: func() []byte {
			return signCheckpoint(t, other, 12, rootOf(good))
		}, want: []string{"log checkpoint_unknown_key"}},
		{name: "checkpoint text altered", entries: func() [][]byte { return good }, cp: func() []byte {
			return bytes.Replace(goodCP, []byte("\n12\n"), []byte("\n11\n"), 1)
		}, want: []string{"log checkpoint_signature", "log checkpoint_root_mismatch"}},
		{name: "checkpoint garbage", entries: func() [][]byte { return good }, cp: func() []byte {
			return []byte("not a checkpoint\n")
		}, want: []string{"log checkpoint_malformed"}},
		{name: "no checkpoint", entries: func() [][]byte { return good }, cp: func() []byte { return nil },
			want: []string{"log checkpoint_missing"}},
		{name: "log key of another log", entries: func() [][]byte { return good }, cp: func() []byte {
			return signCheckpoint(t, other, 12, rootOf(good))
		}, logKey: otherKey, want: []string{"log log_key_mismatch"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := tt.logKey
			if key == "" {
				key = eventtest.TestLogVerifierKey
			}
			dir := writeExport(t, tt.entries(), tt.cp())
			r, err := auditDir(t, dir, audit.Options{LogKey: key})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			checkFindings(t, r, tt.want...)
		})
	}
}

func TestTruncatedExport(t *testing.T) {
	n := testNetwork()
	dir := cleanExport(t, n.Entries)
	path := filepath.Join(dir, audit.LogFile)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-30], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey})
	var se *audit.SourceError
	if !errors.As(err, &se) || se.Index != 11 {
		t.Fatalf("Run error = %v, want a *SourceError at index 11", err)
	}
	checkFindings(t, r, "11 entry_unreadable", "log checkpoint_beyond_log")
	if r.Entries != 11 {
		t.Errorf("Entries = %d, want 11", r.Entries)
	}
}

func TestRejectedEntryDetails(t *testing.T) {
	n := testNetwork()
	// uslax signs with us-ca's key: stays in the log, rejected.
	n.Append("uslax", inventory(2016), n.Parties["us-ca"].Keys[0])
	entries := append(clone(n.Entries), []byte("not an envelope"))
	dir := cleanExport(t, entries)
	r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, r, "12 key_not_authorized", "13 malformed_envelope")
	f := r.Findings[0]
	if f.Party != "uslax" || f.Seq != 4 || f.ID != n.IDs[12] || f.Type != events.TypeInventoryReported {
		t.Errorf("finding = %+v, want party uslax seq 4 id %s type inventory.reported", f, n.IDs[12])
	}
	if r.Entries != 14 || r.Valid != 12 || r.Rejected != 2 || r.Unparsed != 1 {
		t.Errorf("entries/valid/rejected/unparsed = %d/%d/%d/%d, want 14/12/2/1", r.Entries, r.Valid, r.Rejected, r.Unparsed)
	}
	if i := slices.IndexFunc(r.Parties, func(c audit.Count) bool { return c.Name == "uslax" }); i < 0 || r.Parties[i] != (audit.Count{Name: "uslax", Entries: 4, Valid: 3, Rejected: 1}) {
		t.Errorf("Parties = %+v, want uslax 4/3/1", r.Parties)
	}

	var text bytes.Buffer
	r.WriteText(&text)
	wantLine := "  index 12 party uslax seq 4 id " + n.IDs[12] + " type inventory.reported key_not_authorized: no signature by a current key of uslax\n"
	if !strings.Contains(text.String(), wantLine) || !strings.Contains(text.String(), "RESULT: FAILED (2 findings)\n") {
		t.Errorf("text report lacks %q or the result line:\n%s", wantLine, text.String())
	}
	var js bytes.Buffer
	r.WriteJSON(&js)
	var back struct {
		OK       bool `json:"ok"`
		Findings []struct {
			Index *uint64 `json:"index"`
			Code  string  `json:"code"`
			Party string  `json:"party"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.OK || len(back.Findings) != 2 || *back.Findings[0].Index != 12 || back.Findings[0].Code != "key_not_authorized" || back.Findings[0].Party != "uslax" {
		t.Errorf("JSON report = %s", js.String())
	}
}

func TestMaxFindings(t *testing.T) {
	n := testNetwork()
	entries := clone(n.Entries)
	for range 5 {
		entries = append(entries, []byte("junk"))
	}
	r, err := auditDir(t, cleanExport(t, entries), audit.Options{LogKey: eventtest.TestLogVerifierKey, MaxFindings: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 2 || r.FindingsOmitted != 3 || r.OK {
		t.Fatalf("findings %d omitted %d OK %v, want 2, 3, false", len(r.Findings), r.FindingsOmitted, r.OK)
	}
}

func TestObserver(t *testing.T) {
	n := testNetwork()
	entries := append(clone(n.Entries), []byte("junk"))
	var got []string
	obs := func(index uint64, e *events.Entry, f *events.Finding, reg *events.Registry) error {
		s := "nil"
		if e != nil {
			s = e.Payload.Type
		}
		if f != nil {
			s += " " + string(f.Code)
		}
		if reg.Applied() != index+1 {
			t.Errorf("index %d: registry applied %d", index, reg.Applied())
		}
		got = append(got, s)
		return nil
	}
	if _, err := auditDir(t, cleanExport(t, entries), audit.Options{Observer: obs, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 13 || got[0] != events.TypeGenesis || got[6] != events.TypeTargetSet || got[12] != "nil malformed_envelope" {
		t.Fatalf("observed %q", got)
	}

	stop := errors.New("projection failed")
	_, err := auditDir(t, cleanExport(t, entries), audit.Options{Observer: func(index uint64, _ *events.Entry, _ *events.Finding, _ *events.Registry) error {
		if index == 3 {
			return stop
		}
		return nil
	}})
	var oe *audit.ObserverError
	if !errors.As(err, &oe) || oe.Index != 3 || !errors.Is(err, stop) {
		t.Fatalf("Run error = %v, want *ObserverError at 3 wrapping the observer's error", err)
	}
}

func TestBadLogKeyOption(t *testing.T) {
	n := testNetwork()
	_, err := auditDir(t, cleanExport(t, n.Entries), audit.Options{LogKey: "not a key"})
	if !errors.Is(err, proof.ErrMalformed) {
		t.Fatalf("Run error = %v, want proof.ErrMalformed", err)
	}
}

// TestLargeBatches runs more entries than a batch holds with one worker and many,
// comparing the reports.
func TestLargeBatches(t *testing.T) {
	n := testNetwork()
	for i := range 700 {
		p := []string{"us-ca", "cnszx", "uslax"}[i%3]
		if i%2 == 0 {
			n.Append(p, inventory(1990+i%100))
		} else {
			n.Append(p, target("t1", 10+i%80))
		}
	}
	n.Append("uslax", inventory(2000), n.Parties["cnszx"].Keys[0]) // rejected, index 712
	dir := cleanExport(t, n.Entries)
	var reports []*audit.Report
	for _, w := range []int{1, 4} {
		r, err := auditDir(t, dir, audit.Options{LogKey: eventtest.TestLogVerifierKey, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r, "712 key_not_authorized")
		if r.Entries != 713 || r.Valid != 712 {
			t.Fatalf("workers %d: entries %d valid %d, want 713 712", w, r.Entries, r.Valid)
		}
		r.Seconds = 0
		reports = append(reports, r)
	}
	a, _ := json.Marshal(reports[0])
	b, _ := json.Marshal(reports[1])
	if !bytes.Equal(a, b) {
		t.Fatalf("reports differ between 1 and 4 workers:\n%s\n%s", a, b)
	}
}
