package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/witness"
)

// copyKeys copies a data directory's keys/ to a new data directory, so that a second
// node signs with the same log key: the operator of a split view.
func copyKeys(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.MkdirAll(filepath.Join(to, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ledger.RegistrarKeyFile, ledger.LogKeyFile, ledger.LogPubFile} {
		b, err := os.ReadFile(filepath.Join(from, "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, "keys", f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestSplitViewGetsAtMostOneQuorum: one operator runs two logs with the same origin
// and key but different entries, and shows one to each audience. Both logs ask the
// same two witnesses (quorum 2). The first view is witnessed; the second is refused by
// both witnesses, never witnessed, kept by them as evidence, and an audit that
// requires the quorum fails on it.
func TestSplitViewGetsAtMostOneQuorum(t *testing.T) {
	dirA := t.TempDir()
	nodeA, netA := ledgertest.Open(t, dirA)
	nodeB, netB := ledgertest.Open(t, copyKeys(t, dirA))
	if nodeA.Keys().LogVerifierKey != nodeB.Keys().LogVerifierKey {
		t.Fatal("the two views do not share the log key")
	}
	wUS, srvUS := ledgertest.NewWitness(t, nodeA, "uslax.witness.test", nil)
	wCN, srvCN := ledgertest.NewWitness(t, nodeA, "cnszx.witness.test", nil)
	eps := []httpapi.WitnessEndpoint{{URL: srvUS.URL, VerifierKey: wUS.VerifierKey()}, {URL: srvCN.URL, VerifierKey: wCN.VerifierKey()}}

	// View A: three parties, witnessed by both.
	for _, id := range []string{"us-ca", "cnszx", "ussea"} {
		netA.Enroll(id, id, "", "US", "state")
		mustSubmit(t, nodeA, netA.Entries[len(netA.Entries)-1])
	}
	apiA := ledgertest.RunWitnessing(t, nodeA, eps, 2)
	_, sizeA := nodeA.Checkpoint()
	deadline := time.Now().Add(15 * time.Second)
	for _, got := nodeA.Witnessed(); got < sizeA; _, got = nodeA.Witnessed() {
		if time.Now().After(deadline) {
			t.Fatalf("view A not witnessed at size %d within 15s: %+v", sizeA, apiA.Collector.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// View B: other entries, more of them, signed with the same log key.
	for _, id := range []string{"us-ny", "cn-bj", "cn-gd", "uslax"} {
		netB.Enroll(id, id, "", "US", "state")
		mustSubmit(t, nodeB, netB.Entries[len(netB.Entries)-1])
	}
	apiB := ledgertest.RunWitnessing(t, nodeB, eps, 2)
	deadline = time.Now().Add(15 * time.Second)
	for {
		st := apiB.Collector.Status()
		if st[0].Failures > 0 && st[1].Failures > 0 {
			if !strings.Contains(st[0].LastError, "422") || !strings.Contains(st[1].LastError, "422") {
				t.Errorf("view B's refusals: %q, %q; want 422 Unprocessable Entity from both", st[0].LastError, st[1].LastError)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the witnesses did not refuse view B within 15s: %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if cp, size := nodeB.Witnessed(); cp != nil {
		t.Fatalf("view B was witnessed at size %d:\n%s", size, cp)
	}
	for _, w := range []*witness.Witness{wUS, wCN} {
		size, _, _, err := w.Latest(nodeA.Origin())
		if err != nil || size != sizeA {
			t.Errorf("witness %s holds size %d (%v), want view A's %d", w.Name(), size, err, sizeA)
		}
		ev, err := w.Evidence(nodeA.Origin())
		if err != nil || len(ev) == 0 {
			t.Errorf("witness %s kept no evidence of view B (%v)", w.Name(), err)
		}
	}

	// Audits that require both witnesses: view A passes; view B fails, whether the
	// auditor asks the server for its witnessed checkpoint (there is none) or takes
	// the log-signed one.
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: nodeB, Witnesses: apiB}).Routes(mux)
	srvB := httptest.NewServer(mux)
	defer srvB.Close()
	muxA := http.NewServeMux()
	(&httpapi.Handler{Node: nodeA, Witnesses: apiA}).Routes(muxA)
	srvA := httptest.NewServer(muxA)
	defer srvA.Close()
	logPub := filepath.Join(dirA, "keys", ledger.LogPubFile)
	policy := []string{"--log-key", logPub, "--witness", wUS.VerifierKey(), "--witness", wCN.VerifierKey(), "--witness-quorum", "2"}

	if code, out, errOut := runCLI(t, append([]string{"audit", "--server", srvA.URL}, policy...)...); code != 0 {
		t.Errorf("audit of view A: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, append([]string{"audit", "--server", srvB.URL}, policy...)...)
	if code != 1 || !strings.Contains(out, "log checkpoint_missing: GET /v1/checkpoint: HTTP 503") || !strings.Contains(out, `"code":"not_witnessed"`) {
		t.Errorf("audit of view B's server: exit %d, want 1 naming the missing witnessed checkpoint\n%s%s", code, out, errOut)
	}
	latestB, _ := nodeB.Checkpoint()
	cpFile := filepath.Join(t.TempDir(), "checkpoint-b")
	if err := os.WriteFile(cpFile, latestB, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, append([]string{"audit", "--server", srvB.URL, "--checkpoint", cpFile}, policy...)...)
	if code != 1 || !strings.Contains(out, "checkpoint_witnesses") || !strings.Contains(out, "0 of the 2 required witness cosignatures") {
		t.Errorf("audit of view B with its log-signed checkpoint: exit %d, want 1 with checkpoint_witnesses\n%s%s", code, out, errOut)
	}
}
