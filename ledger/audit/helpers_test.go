package audit_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
)

// inventory returns a valid GPC BASIC inventory body for year, total 1521 + year.
func inventory(year int) *events.InventoryBody {
	var b events.InventoryBody
	raw := fmt.Sprintf(`{"year":%d,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[`+
		`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":%d.25,"quality":"H"},`+
		`{"gpc_ref":"I.1.2","scope":2,"gas":"CO2e","tco2e":500},`+
		`{"gpc_ref":"II.1.1","scope":1,"gas":"CH4","tco2e":0.75},`+
		`{"gpc_ref":"III.2.2","scope":3,"gas":"CH4","tco2e":20}],"total_tco2e":%d}`, year, 1000+year, 1521+year)
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		panic(err)
	}
	return &b
}

// target returns a valid base-year target body.
func target(id string, pct int) *events.TargetSetBody {
	var b events.TargetSetBody
	raw := fmt.Sprintf(`{"target_id":%q,"type":"base_year_absolute","base_year":1990,"base_emissions_tco2e":431000000,`+
		`"target_year":2030,"reduction_pct":%d,"coverage":{"gases":["CO2","CH4","N2O"],"scopes":[1,2]},"legal_status":"law","year_set":2016}`, id, pct)
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		panic(err)
	}
	return &b
}

// testNetwork is the log every export test starts from: 12 entries, all valid.
//
//	0 network  genesis
//	1 us-ca    enrolled      2 cnszx enrolled      3 uslax enrolled
//	4 us-ca    inventory 2014   5 cnszx inventory 2014   6 uslax target t1
//	7 us-ca    target t1        8 cnszx target t1        9 uslax inventory 2014
//	10 us-ca   inventory 2015   11 cnszx inventory 2015
func testNetwork() *eventtest.Network { return networkEndingWith(2015) }

// networkEndingWith is testNetwork with cnszx's last inventory (index 11) for year.
func networkEndingWith(year int) *eventtest.Network {
	n := eventtest.New("audit-test", "")
	n.Enroll("us-ca", "California", "加利福尼亚州", "US", "state")
	n.Enroll("cnszx", "Shenzhen", "深圳市", "CN", "city")
	n.Enroll("uslax", "Los Angeles", "洛杉矶市", "US", "city")
	n.Append("us-ca", inventory(2014))
	n.Append("cnszx", inventory(2014))
	n.Append("uslax", target("t1", 40))
	n.Append("us-ca", target("t1", 40))
	n.Append("cnszx", target("t1", 65))
	n.Append("uslax", inventory(2014))
	n.Append("us-ca", inventory(2015))
	n.Append("cnszx", inventory(year))
	return n
}

// testSigner is the log signer of eventtest's TestLogVerifierKey.
func testSigner(t testing.TB) note.Signer {
	t.Helper()
	s, err := proof.ParseSignerKey(eventtest.TestLogSignerKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// otherSigner is a log key with the same name (origin) as the test key but another
// key pair.
func otherSigner(t testing.TB) (note.Signer, string) {
	t.Helper()
	skey, vkey, err := proof.GenerateLogKey(eventtest.NewStream("another log key"), proof.DefaultOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := proof.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func rootOf(entries [][]byte) [32]byte {
	var rb proof.RootBuilder
	for _, e := range entries {
		rb.Append(proof.LeafHash(e))
	}
	return rb.Root()
}

// signCheckpoint signs the checkpoint of size and root.
func signCheckpoint(t testing.TB, s note.Signer, size uint64, root [32]byte) []byte {
	t.Helper()
	cp, err := proof.SignCheckpoint(proof.Checkpoint{Origin: proof.DefaultOrigin, Size: size, Root: root}, s)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// writeExport writes entries as log.jsonl and cp as the checkpoint (none when nil)
// into a new directory.
func writeExport(t testing.TB, entries [][]byte, cp []byte) string {
	t.Helper()
	dir := t.TempDir()
	var b bytes.Buffer
	for _, e := range entries {
		b.Write(e)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join(dir, audit.LogFile), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if cp != nil {
		if err := os.WriteFile(filepath.Join(dir, audit.CheckpointFile), cp, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// cleanExport writes the entries with a checkpoint over all of them.
func cleanExport(t testing.TB, entries [][]byte) string {
	t.Helper()
	return writeExport(t, entries, signCheckpoint(t, testSigner(t), uint64(len(entries)), rootOf(entries)))
}

// auditDir audits an export directory.
func auditDir(t testing.TB, dir string, opts audit.Options) (*audit.Report, error) {
	t.Helper()
	src, err := audit.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Run(t.Context(), src, opts)
}

// brief is a finding reduced to what tests compare: "index code" or "log code".
func brief(r *audit.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Index == nil {
			out = append(out, "log "+string(f.Code))
		} else {
			out = append(out, fmt.Sprintf("%d %s", *f.Index, f.Code))
		}
	}
	return out
}

func checkFindings(t testing.TB, r *audit.Report, want ...string) {
	t.Helper()
	got := brief(r)
	if !slices.Equal(got, want) {
		for _, f := range r.Findings {
			t.Logf("finding: %s", f)
		}
		t.Fatalf("findings = %q, want %q", got, want)
	}
	if r.OK != (len(want) == 0) {
		t.Fatalf("OK = %v with findings %q", r.OK, got)
	}
}

func clone(entries [][]byte) [][]byte {
	out := make([][]byte, len(entries))
	for i, e := range entries {
		out[i] = bytes.Clone(e)
	}
	return out
}

// fakeServer serves a log's HTTP read API from memory: entries, a checkpoint and
// RFC 6962 consistency proofs computed over the entries (golang.org/x/mod/sumdb/tlog).
// badProof makes it answer consistency requests with a wrong proof.
type fakeServer struct {
	entries    [][]byte
	checkpoint []byte
	badProof   bool
	hashes     []tlog.Hash // stored hashes, tlog layout
}

func newFakeServer(t testing.TB, entries [][]byte, checkpoint []byte, badProof bool) *httptest.Server {
	t.Helper()
	fs := &fakeServer{entries: entries, checkpoint: checkpoint, badProof: badProof}
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, fs)
		if err != nil {
			t.Fatal(err)
		}
		fs.hashes = append(fs.hashes, hs...)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/checkpoint", func(w http.ResponseWriter, r *http.Request) { w.Write(fs.checkpoint) })
	mux.HandleFunc("GET /v1/log/entries", func(w http.ResponseWriter, r *http.Request) {
		start, _ := strconv.Atoi(r.URL.Query().Get("start"))
		end, _ := strconv.Atoi(r.URL.Query().Get("end"))
		end = min(end, len(fs.entries))
		if start > end {
			http.Error(w, "start after end", http.StatusBadRequest)
			return
		}
		for _, e := range fs.entries[start:end] {
			w.Write(e)
			w.Write([]byte{'\n'})
		}
	})
	mux.HandleFunc("GET /v1/proofs/consistency", func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		p, err := tlog.ProveTree(to, from, fs)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, h := range p {
			if fs.badProof {
				h[0] ^= 1
			}
			w.Write([]byte(base64.StdEncoding.EncodeToString(h[:]) + "\n"))
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ReadHashes implements tlog.HashReader.
func (fs *fakeServer) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x >= int64(len(fs.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = fs.hashes[x]
	}
	return out, nil
}

func auditServer(t testing.TB, url string, opts audit.Options) (*audit.Report, error) {
	t.Helper()
	src, err := audit.NewServer(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Run(t.Context(), src, opts)
}
