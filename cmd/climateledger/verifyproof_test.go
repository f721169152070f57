package main

import (
	"bytes"
	"encoding/base64"
	bin "encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/witness"
)

// cliWitness is a real witness (witness.Open on a temporary directory) served over
// HTTP, and the client that asks it to cosign.
type cliWitness struct {
	w      *witness.Witness
	client *witness.Client
	vkey   string // verifier key string
	pub    string // its witness.pub file
	id     string // "<name>+<hex key hash>"
}

// startWitness opens a witness named name that follows the node's log.
func startWitness(t *testing.T, node *ledger.Node, name string) *cliWitness {
	t.Helper()
	dir := t.TempDir()
	w, err := witness.Open(witness.Config{Dir: dir, Name: name, Logs: []note.Verifier{node.Keys().LogVerifier}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	v, err := witness.ParseVerifierKey(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	return &cliWitness{w: w, client: &witness.Client{URL: srv.URL, Verifier: v}, vkey: w.VerifierKey(),
		pub: filepath.Join(dir, witness.PubFile), id: witness.KeyID(v)}
}

// cosignLatest asks each witness, over C2SP tlog-witness, to cosign the node's latest
// checkpoint (with a consistency proof from the size it last cosigned) and returns the
// checkpoint with their cosignature lines appended in order.
func cosignLatest(t *testing.T, node *ledger.Node, ws ...*cliWitness) ([]byte, uint64) {
	t.Helper()
	cp, size := node.Checkpoint()
	out := bytes.Clone(cp)
	for _, w := range ws {
		old, _, _, err := w.w.Latest(node.Keys().LogVerifier.Name())
		if err != nil {
			t.Fatal(err)
		}
		req := &witness.Request{OldSize: old, Checkpoint: cp}
		if old > 0 && old < size {
			if req.Proof, err = node.ConsistencyProof(old, size); err != nil {
				t.Fatal(err)
			}
		}
		line, err := w.client.AddCheckpoint(t.Context(), req)
		if err != nil {
			t.Fatalf("witness %s: %v", w.id, err)
		}
		out = append(out, line...)
	}
	return out, size
}

// serveWitnessed serves the node's HTTP API as a node with witnesses does: GET
// /v1/checkpoint is its newest witnessed checkpoint, and ?witnessed=1 proofs are
// against it.
func serveWitnessed(t *testing.T, node *ledger.Node, quorum int, ws ...*cliWitness) string {
	t.Helper()
	var vs []note.Verifier
	var keys []string
	for _, w := range ws {
		vs = append(vs, w.client.Verifier)
		keys = append(keys, w.vkey)
	}
	policy, err := witness.NewPolicy(node.Keys().LogVerifier, vs, quorum)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node, Witnesses: &httpapi.Witnesses{Policy: policy, Keys: keys}}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// cosignedAt reads, by hand, the time in w's cosignature line of a note or proof.
func cosignedAt(t *testing.T, b []byte, w *cliWitness) string {
	t.Helper()
	prefix := []byte("— " + w.client.Verifier.Name() + " ")
	for line := range bytes.Lines(b) {
		if b64, ok := bytes.CutPrefix(line, prefix); ok {
			raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSuffix(b64, []byte("\n"))))
			if err == nil && len(raw) == 76 && bin.BigEndian.Uint32(raw) == w.client.Verifier.KeyHash() {
				return time.Unix(int64(bin.BigEndian.Uint64(raw[4:12])), 0).UTC().Format(time.RFC3339)
			}
		}
	}
	t.Fatalf("no cosignature by %s in\n%s", w.id, b)
	return ""
}

// cosignatureLine returns w's cosignature line in b ("" if none).
func cosignatureLine(b []byte, w *cliWitness) string {
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(line, []byte("— "+w.client.Verifier.Name()+" ")) {
			return string(line)
		}
	}
	return ""
}

// flipCosignatureByte flips one byte of the Ed25519 signature in w's cosignature line.
func flipCosignatureByte(t *testing.T, b []byte, w *cliWitness) []byte {
	t.Helper()
	line := cosignatureLine(b, w)
	b64 := strings.TrimSuffix(strings.TrimPrefix(line, "— "+w.client.Verifier.Name()+" "), "\n")
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 76 {
		t.Fatalf("cosignature line %q: %v", line, err)
	}
	raw[40] ^= 0x01 // inside the signature, after the key hash and the timestamp
	flipped := "— " + w.client.Verifier.Name() + " " + base64.StdEncoding.EncodeToString(raw) + "\n"
	return bytes.Replace(b, []byte(line), []byte(flipped), 1)
}

// TestVerifyProofWitnesses fetches a witnessed proof from a node whose checkpoint two
// real witnesses cosigned over tlog-witness, and checks it offline under witness
// policies: two valid cosignatures pass quorum 2; one removed, one byte flipped, or a
// cosignature by a witness outside the policy in its place fails, at step 3, naming
// who cosigned (and when) and who is missing.
func TestVerifyProofWitnesses(t *testing.T) {
	node, n, _, logPub := auditNode(t)
	a, b, c := startWitness(t, node, "a.witness.example"), startWitness(t, node, "b.witness.example"), startWitness(t, node, "c.witness.example")
	url := serveWitnessed(t, node, 2, a, b)
	rc := mustSubmit(t, node, n.Append("us-ca", auditInventory(2016))) // index 6, tree size 7
	file := filepath.Join(t.TempDir(), "claim.tlog-proof")

	code, _, errOut := runCLI(t, "prove", "--server", url, rc.ID, "--witnessed", "--out", file)
	if code != 1 || !strings.Contains(errOut, "HTTP 409") || !strings.Contains(errOut, "not yet covered by a witnessed checkpoint") {
		t.Fatalf("prove --witnessed before any cosignature: exit %d\n%s", code, errOut)
	}

	cp, size := cosignLatest(t, node, a, b)
	if err := node.SetWitnessed(cp, size); err != nil {
		t.Fatal(err)
	}
	cpC, _ := cosignLatest(t, node, c) // c cosigns the same checkpoint; it is not in the policy
	ta, tb := cosignedAt(t, cp, a), cosignedAt(t, cp, b)

	code, out, errOut := runCLI(t, "prove", "--server", url, rc.ID, "--out", file, "--log-key", logPub, "--witness", a.pub, "--witness", b.vkey)
	want := fmt.Sprintf("%s: witnessed proof of event %s at index 6, tree size 7 (verified with the log key and the witnesses: cosigned by %s at %s, %s at %s (2 of 2 required))\n",
		file, rc.ID, a.id, ta, b.id, tb)
	if code != 0 || out != want {
		t.Fatalf("prove --witness: exit %d\n got %s\nwant %s%s", code, out, want, errOut)
	}
	good, _ := os.ReadFile(file)
	if !bytes.HasSuffix(good, cp) {
		t.Fatalf("the proof does not end with the witnessed checkpoint:\n%s", good)
	}

	write := func(b []byte) string {
		p := filepath.Join(t.TempDir(), "p.tlog-proof")
		os.WriteFile(p, b, 0o644)
		return p
	}
	lineB := cosignatureLine(good, b)
	withoutB := write(bytes.Replace(good, []byte(lineB), nil, 1))
	cInsteadOfB := write(bytes.Replace(good, []byte(lineB), []byte(cosignatureLine(cpC, c)), 1))
	both := []string{"--witness", a.vkey, "--witness", b.pub}
	tests := []struct {
		name   string
		file   string
		args   []string
		code   int
		stdout string // a line of stdout (exit 0)
		stderr string // all of stderr (exit 1)
	}{
		{"two of two", file, append(both, "--witness-quorum", "2"), 0,
			fmt.Sprintf("witnesses: cosigned by %s at %s, %s at %s (2 of 2 required)\n", a.id, ta, b.id, tb), ""},
		{"quorum defaults to all", file, both, 0, "(2 of 2 required)\n", ""},
		{"one removed", withoutB, append(both, "--witness-quorum", "2"), 1, "",
			fmt.Sprintf("climateledger verify-proof: %s: FAILED at step 3 of 5, check the witnesses' cosignatures: "+
				"the checkpoint of size 7 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s\n", withoutB, a.id, ta, b.id)},
		{"one removed, quorum 1", withoutB, append(both, "--witness-quorum", "1"), 0,
			fmt.Sprintf("witnesses: cosigned by %s at %s (1 of 1 required; missing %s)\n", a.id, ta, b.id), ""},
		{"one byte flipped", write(flipCosignatureByte(t, good, b)), both, 1, "",
			"FAILED at step 3 of 5, check the witnesses' cosignatures: cosignature by witness " + b.id + " does not verify: the checkpoint or the signature line was altered\n"},
		{"a witness outside the policy is not counted", cInsteadOfB, both, 1, "",
			fmt.Sprintf("FAILED at step 3 of 5, check the witnesses' cosignatures: the checkpoint of size 7 has 1 of the 2 required witness cosignatures: cosigned by %s at %s; missing %s\n", a.id, ta, b.id)},
		{"... but counts when trusted", cInsteadOfB, []string{"--witness", a.vkey, "--witness", c.vkey}, 0, "(2 of 2 required)\n", ""},
		{"no witness required", withoutB, nil, 0, "witnesses: none required (no --witness given): the checkpoint is trusted on the log key alone\n", ""},
		{"log signature checked first", write(bytes.Replace(good, []byte("\n7\n"), []byte("\n8\n"), 1)), both, 1, "",
			"FAILED at step 2 of 5, check the checkpoint's signature with the log key: checkpoint signature: signature by log key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"verify-proof", tt.file, "--log-key", logPub}, tt.args...)
			code, out, errOut := runCLI(t, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errOut)
			}
			if tt.code == 0 && (!strings.Contains(out, tt.stdout) || !strings.Contains(out, tt.file+": OK\n") || errOut != "") {
				t.Fatalf("stdout lacks %q:\n%s%s", tt.stdout, out, errOut)
			}
			if tt.code != 0 && (!strings.Contains(errOut, tt.stderr) || out != "") {
				t.Fatalf("stderr:\n got %s\nwant %s\nstdout: %s", errOut, tt.stderr, out)
			}
		})
	}

	// Flags that cannot make a policy.
	usage := []struct {
		args []string
		code int
		err  string
	}{
		{append(both, "--witness-quorum", "3"), 2, "usage: --witness-quorum 3 is more than the 2 --witness keys given"},
		{append(both, "--witness-quorum", "0"), 2, "usage: --witness-quorum 0 with 2 --witness keys would require no cosignature: give 1 to 2, or no --witness"},
		{[]string{"--witness-quorum", "1"}, 2, "usage: --witness-quorum 1 without any --witness: give the keys of the witnesses you trust with --witness"},
		{[]string{"--witness-quorum", "-1", "--witness", a.vkey}, 2, "usage: --witness-quorum -1: want a number of witnesses, from 1 to the 1 --witness keys given"},
		{[]string{"--witness", a.vkey, "--witness", a.pub}, 2, "usage: --witness " + a.vkey + " and --witness " + a.pub + " are the same witness key " + a.id},
		{[]string{"--witness", logPub}, 1, "--witness " + logPub + ": witness verifier key: key is not an Ed25519 cosignature/v1 key"},
		{[]string{"--witness", "no-such-file"}, 1, "--witness no-such-file: open no-such-file: no such file or directory (want a witness verifier key"},
	}
	for _, u := range usage {
		code, _, errOut := runCLI(t, append([]string{"verify-proof", file, "--log-key", logPub}, u.args...)...)
		if code != u.code || !strings.Contains(errOut, u.err) {
			t.Errorf("verify-proof %q: exit %d, stderr %q; want exit %d with %q", u.args, code, errOut, u.code, u.err)
		}
	}
	if code, _, errOut := runCLI(t, "prove", "--server", url, rc.ID, "--witness", a.vkey); code != 2 || !strings.Contains(errOut, "--witness needs --log-key") {
		t.Errorf("prove --witness without --log-key: exit %d\n%s", code, errOut)
	}

	// The same check of the witnessed checkpoint by the Node.js verifier, written from
	// SPEC.md alone, with the same messages.
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH, and CI=true: the independent verifier must run in CI")
		}
		t.Skip("node is not on PATH")
	}
	cpFile := write(cp)
	verifier := "../../docs/verifiers/node/verify.mjs"
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--witness", a.pub, "--witness", b.vkey, "--witness-quorum", "2"}, 0,
			fmt.Sprintf("witnesses: cosigned by %s at %s, %s at %s (2 of 2 required)\n", a.id, ta, b.id, tb)},
		{[]string{"--witness", a.pub, "--witness", c.vkey}, 1,
			fmt.Sprintf("FAILED quorum %s: 1 of the 2 required witness cosignatures: cosigned by %s at %s (1 of 2 required; missing %s)\n", cpFile, a.id, ta, c.id)},
		{[]string{"--witness", a.pub, "--witness-quorum", "2"}, 2, ""},
	} {
		cmd := exec.Command(nodeBin, append([]string{verifier, "--checkpoint", cpFile, "--log-key", logPub}, tt.args...)...)
		out, err := cmd.Output()
		if cmd.ProcessState.ExitCode() != tt.code || !strings.HasSuffix(string(out), tt.want) {
			t.Errorf("node verify.mjs %q: exit %d (%v), want %d\n got %s\nwant …%s", tt.args, cmd.ProcessState.ExitCode(), err, tt.code, out, tt.want)
		}
	}
}
