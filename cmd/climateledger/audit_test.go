package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/projections"
)

// runCLI runs one command line in process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func auditInventory(year int) *events.InventoryBody {
	var b events.InventoryBody
	raw := fmt.Sprintf(`{"year":%d,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[`+
		`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":1000},{"gpc_ref":"I.1.2","scope":2,"gas":"CO2e","tco2e":521}],"total_tco2e":1521}`, year)
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		panic(err)
	}
	return &b
}

// auditNode starts a node on a new data directory with three jurisdictions and two
// inventories (6 entries) and returns it, its URL and the path of keys/log.pub.
func auditNode(t *testing.T) (node *ledger.Node, n *eventtest.Network, url, logPub string) {
	t.Helper()
	dir := t.TempDir()
	node, n = ledgertest.Open(t, dir)
	srv := ledgertest.Serve(t, node)
	for _, id := range []string{"us-ca", "cnszx", "ussea"} {
		n.Enroll(id, id, "", "US", "state")
		mustSubmit(t, node, n.Entries[len(n.Entries)-1])
	}
	mustSubmit(t, node, n.Append("ussea", auditInventory(2014)))
	mustSubmit(t, node, n.Append("us-ca", auditInventory(2015)))
	return node, n, srv.URL, filepath.Join(dir, "keys", ledger.LogPubFile)
}

func mustSubmit(t *testing.T, node *ledger.Node, entry []byte) *ledger.Receipt {
	t.Helper()
	rc, _, err := node.Submit(t.Context(), entry)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	return rc
}

func TestAuditCommand(t *testing.T) {
	node, _, url, logPub := auditNode(t)
	key := node.Keys().LogVerifierKey
	dir := filepath.Join(t.TempDir(), "export")

	code, out, errOut := runCLI(t, "export", "--server", url, "--out", dir, "--log-key", logPub)
	if code != 0 || !strings.Contains(out, "6 entries (6 new)") || !strings.Contains(out, "given by the auditor") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}

	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStdout bool
	}{
		{"export dir, key file", []string{"audit", dir, "--log-key", logPub}, 0,
			[]string{"audit of export " + dir, "entries: 6 read, 6 valid, 0 rejected (0 unparsed)", "RESULT: OK\n"}, nil, false},
		{"flags before the dir, key string", []string{"audit", "--log-key", key, dir}, 0, []string{"RESULT: OK\n"}, nil, false},
		{"server", []string{"audit", "--server", url, "--log-key", key}, 0,
			[]string{"audit of server " + url, "entries: 6 read, 6 valid"}, nil, false},
		{"no key: trusting the genesis, said so", []string{"audit", dir}, 0, []string{"NOT given (--log-key)", "RESULT: OK\n"}, nil, false},
		{"stats", []string{"audit", dir, "--stats"}, 0, []string{"RESULT: OK"}, []string{"stats: 6 entries in", "events/s; peak RSS"}, false},
		{"no source", []string{"audit", "--log-key", key}, 2, nil, []string{"give exactly one of DIR, --server URL, --nats URL"}, true},
		{"two sources", []string{"audit", dir, "--server", url}, 2, nil, []string{"give exactly one of DIR"}, true},
		{"help (asked for: on stdout)", []string{"audit", "--help"}, 0, []string{"Usage: climateledger audit (DIR | --server URL | --nats URL)"}, nil, false},
		{"bad key", []string{"audit", dir, "--log-key", "nonsense"}, 1, nil, []string{"--log-key nonsense:"}, true},
		{"missing dir", []string{"audit", filepath.Join(dir, "nope")}, 1, nil, []string{"no such file or directory"}, true},
		{"nats unreachable", []string{"audit", "--nats", "nats://127.0.0.1:1"}, 1, nil, []string{"--nats nats://127.0.0.1:1:"}, true},
		{"check-state against a server without read models", []string{"audit", dir, "--check-state", url}, 1,
			[]string{"  NOT the same as " + url + "/v1/state: GET " + url + "/v1/state: HTTP 404\n",
				"  log projections_not_compared: GET " + url + "/v1/state: HTTP 404\n", "\nRESULT: FAILED (1 findings)\n"},
			[]string{"FAILED: 1 findings"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if tt.noStdout && out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		code, out, _ := runCLI(t, "audit", "--server", url, "--log-key", key, "--json")
		var r audit.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
			t.Fatalf("exit %d, JSON %v:\n%s", code, err, out)
		}
		if !r.OK || r.Entries != 6 || r.Valid != 6 || r.Checkpoint == nil || r.Checkpoint.Size != 6 || len(r.Findings) != 0 {
			t.Fatalf("report = %+v", r)
		}
	})

	t.Run("tampered export", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		os.MkdirAll(bad, 0o755)
		log, _ := os.ReadFile(filepath.Join(dir, audit.LogFile))
		lines := bytes.SplitAfter(log, []byte("\n"))
		lines[4], lines[5] = lines[5], lines[4] // ussea's and us-ca's inventories
		os.WriteFile(filepath.Join(bad, audit.LogFile), bytes.Join(lines, nil), 0o644)
		cp, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointFile))
		os.WriteFile(filepath.Join(bad, audit.CheckpointFile), cp, 0o644)
		code, out, errOut := runCLI(t, "audit", bad, "--log-key", logPub)
		if code != 1 || !strings.Contains(out, "log checkpoint_root_mismatch: the first 6 entries hash to root") ||
			!strings.Contains(out, "RESULT: FAILED (1 findings)") || !strings.Contains(errOut, "FAILED: 1 findings") {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
	})

	t.Run("state", func(t *testing.T) {
		state := filepath.Join(t.TempDir(), "audit.state")
		for i := range 2 {
			code, out, errOut := runCLI(t, "audit", dir, "--log-key", logPub, "--state", state)
			if code != 0 || !strings.Contains(out, "updated to the new checkpoint") {
				t.Fatalf("run %d: exit %d\n%s%s", i, code, out, errOut)
			}
		}
		if st, err := audit.LoadState(state); err != nil || st.Size != 6 {
			t.Fatalf("state = %+v, %v", st, err)
		}
	})
}

// TestAuditCheckState recomputes the projections from the audited log and compares the
// state digest with a server's GET /v1/state — equal for an honest server, and a
// mismatch named with both digests when the server's read models disagree.
func TestAuditCheckState(t *testing.T) {
	views, err := projections.New(projections.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	node, n := ledgertest.Open(t, dir, views)
	if err := views.Attach(t.Context(), node); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	views.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	for _, id := range []string{"us-ca", "ussea"} {
		n.Enroll(id, id, "", "US", "state")
		mustSubmit(t, node, n.Entries[len(n.Entries)-1])
	}
	mustSubmit(t, node, n.Append("ussea", auditInventory(2014)))
	mustSubmit(t, node, n.Append("us-ca", auditInventory(2015)))
	logPub := filepath.Join(dir, "keys", ledger.LogPubFile)

	code, out, errOut := runCLI(t, "audit", "--server", srv.URL, "--log-key", logPub, "--check-state", srv.URL)
	same := regexp.MustCompile(`(?m)^projections: recomputed from the entries, index 5, state digest [0-9a-f]{64} \(\d+ rows\)\n  the same as ` + regexp.QuoteMeta(srv.URL) + `/v1/state\n(.|\n)*\nRESULT: OK\n$`)
	if code != 0 || !same.MatchString(out) || errOut != "" {
		t.Fatalf("honest server: exit %d\nstdout:\n%s\nstderr:\n%s\nwant the comparison said before RESULT: OK", code, out, errOut)
	}

	// A server whose read models were altered behind the log's back.
	b := node.DB().NewBatch()
	b.Set([]byte("p/zz-forged-row"), []byte("on track"), nil)
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, node, n.Append("us-ca", auditInventory(2016))) // the server computes a new digest per index
	code, out, errOut = runCLI(t, "audit", "--server", srv.URL, "--log-key", logPub, "--check-state", srv.URL)
	if code != 1 || strings.Contains(out, "RESULT: OK") || !strings.Contains(out, "  NOT the same as "+srv.URL+"/v1/state: state digest MISMATCH at index 6: recomputed ") ||
		!strings.Contains(out, "\n  log projections_mismatch: state digest MISMATCH at index 6: recomputed ") || !strings.HasSuffix(out, "\nRESULT: FAILED (1 findings)\n") ||
		errOut != "climateledger audit: FAILED: 1 findings\n" {
		t.Fatalf("altered read models: exit %d\nstdout:\n%s\nstderr: %q\nwant exit 1, the mismatch as a finding and RESULT: FAILED", code, out, errOut)
	}
	// The JSON report carries the comparison.
	_, out, _ = runCLI(t, "audit", "--server", srv.URL, "--log-key", logPub, "--check-state", srv.URL, "--json")
	var rep audit.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.OK || rep.Projections == nil || rep.Projections.OK || rep.Projections.Index != 6 || rep.Projections.ServerIndex != 6 || !rep.Has(audit.CodeProjectionsMismatch) {
		t.Fatalf("--json: %v %+v", err, rep.Projections)
	}
}

// TestAuditWitnessedExport exports a node whose witnessed checkpoint carries one real
// witness's cosignature, then two: `audit DIR --witness A --witness B --witness-quorum
// 2` fails on the first with checkpoint_witnesses naming the missing witness, and
// passes on the second; `export --witness …` refuses the first and keeps the export.
func TestAuditWitnessedExport(t *testing.T) {
	node, _, _, logPub := auditNode(t)
	a, b := startWitness(t, node, "a.witness.example"), startWitness(t, node, "b.witness.example")
	url := serveWitnessed(t, node, 1, a, b)
	dir := filepath.Join(t.TempDir(), "export")
	policy := []string{"--witness", a.pub, "--witness", b.vkey, "--witness-quorum", "2"}

	code, _, errOut := runCLI(t, "export", "--server", url, "--out", dir, "--log-key", logPub)
	if code != 1 || !strings.Contains(errOut, "GET /v1/checkpoint: HTTP 503") || !strings.Contains(errOut, "not_witnessed") {
		t.Fatalf("export before any witness cosigned: exit %d\n%s", code, errOut)
	}

	cpA, size := cosignLatest(t, node, a)
	if err := node.SetWitnessed(cpA, size); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "export", "--server", url, "--out", dir, "--log-key", logPub)
	if code != 0 || !strings.Contains(out, "witnesses: none required (no --witness given); checkpoint holds the checkpoint the server serves") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointFile)); !bytes.Equal(got, cpA) {
		t.Fatalf("exported checkpoint:\n%s\nwant the witnessed one verbatim:\n%s", got, cpA)
	}
	code, out, errOut = runCLI(t, append([]string{"audit", dir, "--log-key", logPub}, policy...)...)
	wantFinding := fmt.Sprintf("log checkpoint_witnesses: the checkpoint of size 6 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s\n",
		a.id, cosignedAt(t, cpA, a), b.id)
	if code != 1 || !strings.Contains(out, wantFinding) || !strings.Contains(errOut, "FAILED: 1 findings") {
		t.Fatalf("audit of an export with one cosignature: exit %d\nstdout:\n%s\nstderr:\n%s\nwant %s", code, out, errOut, wantFinding)
	}
	for _, want := range []string{"witnesses: 2 of 2 required\n  " + a.vkey + "\n  " + b.vkey + "\n  given by the auditor:", "  witnesses NOT satisfied: the checkpoint of size 6"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit report lacks %q:\n%s", want, out)
		}
	}

	// export --witness refuses a checkpoint without the quorum and keeps the export.
	code, _, errOut = runCLI(t, append([]string{"export", "--server", url, "--out", dir, "--log-key", logPub}, policy...)...)
	if code != 1 || !strings.Contains(errOut, "export "+dir+": witnesses: the checkpoint of size 6 has 1 of the 2 required witness cosignatures") {
		t.Fatalf("export --witness without the quorum: exit %d\n%s", code, errOut)
	}

	cpAB, _ := cosignLatest(t, node, a, b)
	if err := node.SetWitnessed(cpAB, size); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, append([]string{"export", "--server", url, "--out", dir, "--log-key", logPub}, policy...)...)
	summary := fmt.Sprintf("cosigned by %s at %s, %s at %s (2 of 2 required)", a.id, cosignedAt(t, cpAB, a), b.id, cosignedAt(t, cpAB, b))
	if code != 0 || !strings.Contains(out, "verified: the checkpoint is "+summary+"\n") {
		t.Fatalf("export --witness: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append([]string{"audit", dir, "--log-key", logPub}, policy...)...)
	if code != 0 || !strings.Contains(out, "  witnesses verified: "+summary+"\n") || !strings.Contains(out, "RESULT: OK\n") {
		t.Fatalf("audit of an export with two cosignatures: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// The same over the server, as JSON, and remembered with --state.
	state := filepath.Join(t.TempDir(), "audit.state")
	for range 2 {
		code, out, _ = runCLI(t, append([]string{"audit", "--server", url, "--log-key", logPub, "--json", "--state", state}, policy...)...)
		var r audit.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
			t.Fatalf("exit %d, JSON %v:\n%s", code, err, out)
		}
		if w := r.Witnesses; w == nil || !w.OK || w.Quorum != 2 || len(w.Keys) != 2 || len(w.Cosigned) != 2 || w.Cosigned[1].Key != b.id || !r.State.Updated {
			t.Fatalf("JSON witnesses = %+v, state %+v", r.Witnesses, r.State)
		}
	}
	if st, err := audit.LoadState(state); err != nil || st.Note != string(cpAB) {
		t.Fatalf("state note = %q, %v; want the witnessed checkpoint", st.Note, err)
	}
}
