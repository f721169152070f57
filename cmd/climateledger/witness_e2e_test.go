package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/witness"
)

// startWitnessCmd runs `climateledger witness` as a child process and returns its
// URL once it prints it.
func startWitnessCmd(t *testing.T, dir, logPub, name string) string {
	t.Helper()
	cmd := exec.Command(binary, "witness", "--data", dir, "--http", "127.0.0.1:0", "--log-key", logPub, "--name", name, "--log-level", "warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	url := ""
	for url == "" && sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "witness "+name+" serving on "); ok {
			url = rest
		}
	}
	if url == "" {
		t.Fatalf("witness %s did not print its address: %s", name, stderr.String())
	}
	go func() {
		for sc.Scan() {
		}
	}()
	return url
}

// TestWitnessCommandEndToEnd runs the real binary: a log, two `climateledger witness`
// processes (each with its own key in its data directory), and `serve --witness
// URL=VKEY` twice with quorum 2; then a receipt is upgraded to a witnessed proof with
// `prove --witnessed`, checked offline with `verify-proof --witness … --witness-quorum
// 2`, and the whole log audited with the same policy.
func TestWitnessCommandEndToEnd(t *testing.T) {
	dir := t.TempDir()
	first := startServer(t, dir) // creates the keys and the genesis
	first.stop(t)
	logPub := filepath.Join(dir, "keys", ledger.LogPubFile)
	dUS, dCN := t.TempDir(), t.TempDir()
	urlUS := startWitnessCmd(t, dUS, logPub, "uslax.witness.e2e")
	urlCN := startWitnessCmd(t, dCN, logPub, "cnszx.witness.e2e")
	pubUS, pubCN := filepath.Join(dUS, witness.PubFile), filepath.Join(dCN, witness.PubFile)
	for _, p := range []string{pubUS, pubCN} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := witness.ParseVerifierKey(string(b)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	srv := startServer(t, dir, "--witness", urlUS+"="+pubUS, "--witness", urlCN+"="+pubCN, "--witness-quorum", "2")

	key := filepath.Join(t.TempDir(), "ca.key")
	cli(t, "keygen", "--out", key)
	var rc ledger.Receipt
	out := cli(t, "enroll", "--server", srv.url, "--registrar-key", filepath.Join(dir, "keys", "registrar.key"),
		"--party", "us-ca", "--name-en", "California", "--country", "US", "--level", "state", "--key", key)
	if err := json.Unmarshal(out, &rc); err != nil {
		t.Fatalf("enroll output: %v: %s", err, out)
	}
	// The receipt is log-signed at once; the witnessed checkpoint follows.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var wr httpapi.WitnessesResponse
		resp, err := http.Get(srv.url + "/v1/witnesses")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&wr)
		resp.Body.Close()
		if wr.Witnessed != nil && wr.Witnessed.Size > rc.Index {
			if len(wr.Witnessed.Cosignatures) != 2 || wr.Witnessed.Cosignatures[0].Witness != "uslax.witness.e2e" {
				t.Fatalf("witnessed checkpoint cosignatures: %+v", wr.Witnessed.Cosignatures)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no witnessed checkpoint covering index %d within 20s: %+v\n%s", rc.Index, wr, srv.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	proofFile := filepath.Join(t.TempDir(), rc.ID+".tlog-proof")
	cli(t, "prove", "--server", srv.url, "--witnessed", "--out", proofFile, rc.ID)
	out = cli(t, "verify-proof", proofFile, "--log-key", logPub, "--witness", pubUS, "--witness", pubCN, "--witness-quorum", "2")
	if !strings.Contains(string(out), ": OK\n") || !strings.Contains(string(out), "uslax.witness.e2e") || !strings.Contains(string(out), "(2 of 2 required)") {
		t.Errorf("verify-proof of the witnessed proof:\n%s", out)
	}
	out = cli(t, "audit", "--server", srv.url, "--log-key", logPub, "--witness", pubUS, "--witness", pubCN, "--witness-quorum", "2")
	if !strings.Contains(string(out), "RESULT: OK") {
		t.Errorf("audit with both witnesses:\n%s", out)
	}
	// The operator sees the witnesses and the edge's limits in /metrics.
	resp, err := http.Get(srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var m bytes.Buffer
	m.ReadFrom(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`climateledger_witness_failures{witness="uslax.witness.e2e"} 0`,
		`climateledger_witness_cosigned_size{witness="cnszx.witness.e2e"} `,
		"\nclimateledger_witnessed_tree_size ",
		`climateledger_http_rate_limited_total{limit="submit_per_addr"} 0`,
		"\nclimateledger_rate_limit_tracked_addrs ",
	} {
		if !strings.Contains(m.String(), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	srv.stop(t)
}
