package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/proof"
)

// serveWithWitnesses serves the node's endpoints with its witnessing.
func serveWithWitnesses(t *testing.T, node *ledger.Node, ws *httpapi.Witnesses) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node, Witnesses: ws}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// get returns the status, Content-Type and body of GET url.
func get(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// waitWitnessed polls the node until a checkpoint of at least size is witnessed.
func waitWitnessed(t *testing.T, node *ledger.Node, size uint64) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		cp, got := node.Witnessed()
		if got >= size {
			return cp
		}
		if time.Now().After(deadline) {
			t.Fatalf("witnessed size %d after 15s, want ≥ %d", got, size)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// enrollParties submits n parties' enrolments and returns the last receipt.
func enrollParties(t *testing.T, url string, n *eventtest.Network, prefix string, count int) *ledger.Receipt {
	t.Helper()
	var rc *ledger.Receipt
	for i := range count {
		n.Enroll(fmt.Sprintf("%s-%d", prefix, i), "Party", "", "US", "city")
		rc = mustSubmit(t, url, n.Entries[len(n.Entries)-1])
	}
	return rc
}

func TestWitnessedCheckpointProofAndStatus(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	ws := ledgertest.StartWitnesses(t, node, 2, "uslax.witness.test", "cnszx.witness.test")
	srv := serveWithWitnesses(t, node, ws.API)

	first := enrollParties(t, srv.URL, n, "w", 3)
	_, size := node.Checkpoint()
	if size != first.Index+1 {
		t.Fatalf("tree size %d after the receipt of index %d", size, first.Index)
	}
	waitWitnessed(t, node, size)

	// GET /v1/checkpoint serves the witnessed checkpoint: log signature and both cosignatures.
	status, ct, cp := get(t, srv.URL+"/v1/checkpoint")
	if status != 200 || ct != "text/plain; charset=utf-8" {
		t.Fatalf("GET /v1/checkpoint: %d %q", status, ct)
	}
	res, err := ws.API.Policy.Check(cp)
	if err != nil {
		t.Fatalf("witnessed checkpoint does not satisfy the policy: %v\n%s", err, cp)
	}
	if res.Checkpoint.Size != size || len(res.Cosigned) != 2 || res.Cosigned[0].Witness != "uslax.witness.test" || res.Cosigned[1].Witness != "cnszx.witness.test" {
		t.Fatalf("witnessed checkpoint: %+v, want size %d cosigned by uslax then cnszx", res, size)
	}
	if got := res.Summary(); got != "cosigned by uslax.witness.test and cnszx.witness.test (2 of 2 required)" {
		t.Errorf("Summary() = %q", got)
	}
	// ?latest=1 is the log's own signature alone.
	latest, _ := node.Checkpoint()
	if _, _, b := get(t, srv.URL+"/v1/checkpoint?latest=1"); string(b) != string(latest) {
		t.Errorf("GET /v1/checkpoint?latest=1 =\n%s\nwant\n%s", b, latest)
	}
	if strings.Count(string(latest), "\n— ") != 1 {
		t.Errorf("latest checkpoint carries %d signature lines, want 1 (the log's)", strings.Count(string(latest), "\n— "))
	}

	// The witnessed proof of the first event verifies offline and carries the cosignatures.
	status, _, tp := get(t, srv.URL+"/v1/events/"+first.ID+"/proof?witnessed=1")
	if status != 200 {
		t.Fatalf("witnessed proof: status %d: %s", status, tp)
	}
	claim, err := proof.VerifyTLogProof(tp, node.Keys().LogVerifier)
	if err != nil {
		t.Fatalf("witnessed proof: %v", err)
	}
	if claim.Index != first.Index || claim.Checkpoint.Size != size {
		t.Errorf("witnessed proof: index %d size %d, want %d and %d", claim.Index, claim.Checkpoint.Size, first.Index, size)
	}
	p, _ := proof.ParseTLogProof(tp)
	if _, err := ws.API.Policy.Check(p.Checkpoint); err != nil {
		t.Errorf("the witnessed proof's checkpoint: %v", err)
	}

	// GET /v1/witnesses reports both witnesses and the witnessed checkpoint.
	status, _, b := get(t, srv.URL+"/v1/witnesses")
	var wr httpapi.WitnessesResponse
	if err := json.Unmarshal(b, &wr); status != 200 || err != nil {
		t.Fatalf("GET /v1/witnesses: %d %v: %s", status, err, b)
	}
	if wr.Quorum != 2 || len(wr.Witnesses) != 2 || wr.Witnessed == nil || wr.Witnessed.Size != size || wr.LatestSize != size ||
		len(wr.Witnessed.Cosignatures) != 2 || wr.Witnesses[0].VerifierKey != ws.Witnesses[0].VerifierKey() ||
		wr.Witnesses[1].CosignedSize != size || wr.Witnesses[1].Failures != 0 {
		t.Errorf("GET /v1/witnesses = %s", b)
	}
	for _, c := range wr.Witnessed.Cosignatures {
		if time.Since(c.Time) > time.Minute || time.Until(c.Time) > time.Minute {
			t.Errorf("cosignature time %v is not now", c.Time)
		}
	}
}

func TestWitnessedSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	node, n := ledgertest.Open(t, dir)
	ws := ledgertest.StartWitnesses(t, node, 1, "w1.witness.test")
	srv := serveWithWitnesses(t, node, ws.API)
	enrollParties(t, srv.URL, n, "r", 2)
	_, size := node.Checkpoint()
	want := waitWitnessed(t, node, size)
	srv.Close()
	node.Close()

	again, _ := ledgertest.Open(t, dir)
	got, gotSize := again.Witnessed()
	if string(got) != string(want) || gotSize != size {
		t.Errorf("after a restart Witnessed() = %d\n%s\nwant %d\n%s", gotSize, got, size, want)
	}
}

// switchable wraps a witness's handler: up, it serves; down, it answers 503;
// hanging, it holds each request until the client gives up (at most 5 s).
type switchable struct {
	mode atomic.Int32 // 0 up, 1 down, 2 hanging
}

func (s *switchable) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch s.mode.Load() {
		case 1:
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
		case 2:
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func TestDeadWitnessDelaysOnlyTheWitnessedCheckpoint(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	live, lsrv := ledgertest.NewWitness(t, node, "live.witness.test", nil)
	flaky := &switchable{}
	flaky.mode.Store(2) // hanging: every request runs into the collector's timeout
	w2, fsrv := ledgertest.NewWitness(t, node, "flaky.witness.test", flaky.wrap)
	api := ledgertest.RunWitnessing(t, node, []httpapi.WitnessEndpoint{
		{URL: lsrv.URL, VerifierKey: live.VerifierKey()},
		{URL: fsrv.URL, VerifierKey: w2.VerifierKey()},
	}, 2)
	srv := serveWithWitnesses(t, node, api)

	// Receipts keep their latency: each within 1 s although a witness hangs for 2 s
	// per request (the bound on a receipt is the 5 s integration timeout).
	for i := range 5 {
		n.Enroll(fmt.Sprintf("d-%d", i), "Party", "", "US", "city")
		t0 := time.Now()
		rc := mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
		if d := time.Since(t0); d > time.Second {
			t.Errorf("receipt %d took %v with a hanging witness", i, d)
		}
		if _, err := proof.VerifyTLogProof([]byte(rc.Proof), node.Keys().LogVerifier); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
	}
	// No quorum: no witnessed checkpoint, and the API says so.
	status, _, b := get(t, srv.URL+"/v1/checkpoint")
	var p httpapi.Problem
	if json.Unmarshal(b, &p); status != http.StatusServiceUnavailable || p.Code != httpapi.CodeNotWitnessed {
		t.Errorf("GET /v1/checkpoint with 1 of 2 witnesses: %d %s", status, b)
	}

	// Once the witness answers again, the collector retries by itself, without a new
	// checkpoint, and the latest checkpoint is witnessed by both.
	deadline := time.Now().Add(15 * time.Second)
	for api.Collector.Status()[1].Failures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the hanging witness never counted a failure")
		}
		time.Sleep(20 * time.Millisecond)
	}
	st := api.Collector.Status()[1]
	if st.LastError == "" || st.CosignedSize != 0 {
		t.Errorf("hanging witness status: %+v", st)
	}
	flaky.mode.Store(0)
	_, size := node.Checkpoint()
	cp := waitWitnessed(t, node, size)
	if _, err := api.Policy.Check(cp); err != nil {
		t.Errorf("after recovery: %v", err)
	}
}

func TestWitnessedProofNotYetCovered(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	down := &switchable{}
	down.mode.Store(1)
	w, wsrv := ledgertest.NewWitness(t, node, "down.witness.test", down.wrap)
	api := ledgertest.RunWitnessing(t, node, []httpapi.WitnessEndpoint{{URL: wsrv.URL, VerifierKey: w.VerifierKey()}}, 1)
	srv := serveWithWitnesses(t, node, api)
	plain := ledgertest.Serve(t, node) // the same node, without witnesses

	rc := enrollParties(t, srv.URL, n, "n", 1)
	problem := func(url string) (int, string, httpapi.Problem) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p httpapi.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("GET %s: %d, not a problem: %v", url, resp.StatusCode, err)
		}
		return resp.StatusCode, resp.Header.Get("Retry-After"), p
	}
	status, retry, p := problem(srv.URL + "/v1/events/" + rc.ID + "/proof?witnessed=1")
	if retry != "" {
		t.Errorf("proof?witnessed=1: Retry-After %q on a 409", retry)
	}
	if status != http.StatusConflict || p.Code != httpapi.CodeNotWitnessed || p.Index == nil || *p.Index != rc.Index ||
		p.Detail != fmt.Sprintf("entry %d is not yet covered by a witnessed checkpoint (the newest covers 0 entries); try again in a few seconds", rc.Index) {
		t.Errorf("proof?witnessed=1 before any witnessing: %d %+v", status, p)
	}
	status, retry, p = problem(srv.URL + "/v1/checkpoint")
	if status != http.StatusServiceUnavailable || retry != "2" || p.Code != httpapi.CodeNotWitnessed {
		t.Errorf("GET /v1/checkpoint before any witnessing: %d Retry-After %q %+v", status, retry, p)
	}
	// Without witnesses: no witnessed proof and no witness list, and /v1/checkpoint is
	// the log-signed checkpoint.
	for _, path := range []string{"/v1/events/" + rc.ID + "/proof?witnessed=1", "/v1/witnesses"} {
		if status, _, p := problem(plain.URL + path); status != http.StatusNotFound || p.Code != httpapi.CodeNoWitnesses {
			t.Errorf("GET %s without witnesses: %d %+v", path, status, p)
		}
	}
	latest, _ := node.Checkpoint()
	if status, _, b := get(t, plain.URL+"/v1/checkpoint"); status != 200 || string(b) != string(latest) {
		t.Errorf("GET /v1/checkpoint without witnesses: %d\n%s", status, b)
	}
}
