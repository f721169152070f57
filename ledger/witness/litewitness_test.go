package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

// torchwoodVersion is the filippo.io/torchwood release whose litewitness the
// interop test runs (v0.10.0 needs Go 1.27).
const torchwoodVersion = "v0.9.0"

// TestLitewitnessInterop runs an independent C2SP tlog-witness, litewitness from
// filippo.io/torchwood, against this package's client, collector and policy: it
// builds litewitness and witnessctl with the go command, holds the witness key in a
// dedicated ssh-agent, registers the test log with witnessctl, and checks that its
// cosignatures satisfy our Policy and that it refuses a split view. A small program
// built against torchwood (in a module of its own) verifies the cosignatures of both
// litewitness and our witness with torchwood's cosignature/v1 verifier.
//
// It is skipped with -short, when go is not on PATH, and when the build fails
// because the module proxy cannot be reached, or ssh-agent, ssh-add or ssh-keygen
// are missing, except under CI=true, where those fail it.
func TestLitewitnessInterop(t *testing.T) {
	ci := os.Getenv("CI") == "true"
	if testing.Short() {
		t.Skip("-short: skipping the litewitness build")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not on PATH: cannot build litewitness")
	}
	for _, tool := range []string{"ssh-agent", "ssh-add", "ssh-keygen"} {
		if _, err := exec.LookPath(tool); err != nil {
			if ci {
				t.Fatalf("CI=true but %s is not on PATH", tool)
			}
			t.Skipf("%s is not on PATH: litewitness needs an ssh-agent", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	bin := buildLitewitness(t, ctx, goCmd, ci)
	verifier := buildTorchwoodVerifier(t, ctx, goCmd, ci)
	dir := t.TempDir()

	// A dedicated ssh-agent holding a new Ed25519 key.
	sock := startSSHAgent(t, ctx)
	keyFile := filepath.Join(dir, "witness_key")
	run(t, ctx, nil, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "climateledger-litewitness-test", "-f", keyFile)
	run(t, ctx, []string{"SSH_AUTH_SOCK=" + sock}, "ssh-add", keyFile)
	pub, fingerprint := readSSHEd25519PublicKey(t, keyFile+".pub")
	if out := run(t, ctx, nil, "ssh-keygen", "-l", "-E", "sha256", "-f", keyFile+".pub"); !strings.Contains(out, " "+fingerprint+" ") {
		t.Fatalf("ssh-keygen -l says %q, we computed %s", out, fingerprint)
	}

	// The log, registered with witnessctl.
	log := newTestLog(t, "example.com/interop-log")
	db := filepath.Join(dir, "litewitness.db")
	run(t, ctx, nil, filepath.Join(bin, "witnessctl"), "add-log", "-db", db, "-origin", log.origin)
	run(t, ctx, nil, filepath.Join(bin, "witnessctl"), "add-key", "-db", db, "-origin", log.origin, "-key", log.vkey)

	// litewitness on a free local port.
	const name = "litewitness.example.org"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	lwLog := startLitewitness(t, ctx, filepath.Join(bin, "litewitness"), "-db", db, "-name", name,
		"-ssh-agent", sock, "-key", fingerprint, "-listen", addr)
	url := "http://" + addr

	// The cosignature/v1 verifier key, from the SSH public key alone: name, key hash
	// over 0x04 ‖ public key.
	kh := sha256.Sum256(append([]byte(name+"\n\x04"), pub...))
	vkey := name + "+" + hex.EncodeToString(kh[:4]) + "+" + base64.StdEncoding.EncodeToString(append([]byte{0x04}, pub...))
	lwV := witnessVerifier(t, vkey)
	if m := regexp.MustCompile(`msg="verifier key" vkey=(\S+)`).FindStringSubmatch(lwLog.String()); m == nil || m[1] != vkey {
		t.Errorf("litewitness logged verifier key %v, we derived %s", m, vkey)
	}
	lw := &witness.Client{URL: url, Verifier: lwV, HTTP: &http.Client{Timeout: 10 * time.Second}}

	// First cosignature, through our Client, accepted by our Policy.
	line, err := lw.AddCheckpoint(ctx, log.request(t, 0, 3))
	if err != nil {
		t.Fatalf("litewitness, first checkpoint: %v\n%s", err, lwLog)
	}
	checkCosignatureFromSpec(t, vkey, log.text(t, 3), line)
	pol1, err := witness.NewPolicy(log.verifier, []note.Verifier{lwV}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := pol1.Check(append(log.checkpoint(t, 3), line...)); err != nil || r.Cosigned[0].Witness != name {
		t.Fatalf("Policy.Check of litewitness's cosignature: %+v, %v", r, err)
	}

	// Our collector, with litewitness and one of our witnesses, quorum 2. The
	// collector starts from old 0: litewitness answers 409 with 3 and gets a proof
	// from 3.
	ours := newTestWitness(t, "w1.example.org", log)
	src := newTestSource(t, log, 7)
	var rec recorder
	c := startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{lw, ours.client}, Quorum: 2, Source: src, Witnessed: rec.witnessed, Timeout: 10 * time.Second,
	})
	pol2, err := witness.NewPolicy(log.verifier, []note.Verifier{lwV, ours.v}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []uint64{7, 10} {
		if size != 7 {
			src.publish(t, size)
		}
		if _, err := rec.poll(pol2, size, 30*time.Second); err != nil {
			t.Fatalf("size %d: no checkpoint cosigned by litewitness and w1: %v\nstatus %+v\n%s", size, err, c.Status(), lwLog)
		}
	}
	// torchwood, as an outside library, verifies the note the collector handed on:
	// the log's signature and both cosignatures (ours and litewitness's).
	torchwoodChecked := false
	for _, p := range rec.all() {
		if p.size != 10 {
			continue
		}
		if r, err := pol2.Check(p.signed); err != nil || len(r.Cosigned) != 2 {
			continue
		}
		notePath := filepath.Join(dir, "witnessed-10")
		if err := os.WriteFile(notePath, p.signed, 0o644); err != nil {
			t.Fatal(err)
		}
		out := run(t, ctx, nil, verifier, notePath, log.vkey, vkey, ours.w.VerifierKey())
		if want := "verified example.com/interop-log litewitness.example.org w1.example.org\n"; out != want {
			t.Errorf("torchwood verifier said %q, want %q", out, want)
		}
		torchwoodChecked = true
		break
	}
	if !torchwoodChecked {
		t.Error("no note of size 10 with both cosignatures for torchwood to verify")
	}
	if st := c.Status()[0]; st.Failures != 0 || st.CosignedSize != 10 {
		t.Errorf("collector's view of litewitness: %+v", st)
	}
	if calls := src.proofCalls(); !containsPair(calls, 3, 7) || !containsPair(calls, 7, 10) {
		t.Errorf("ConsistencyProof calls %v, want 3→7 (after litewitness's 409) and 7→10", calls)
	}

	// Refusals, as our Client reads them.
	var ce *witness.ConflictError
	if _, err := lw.AddCheckpoint(ctx, log.request(t, 3, 12)); !errors.As(err, &ce) || ce.Size != 10 {
		t.Errorf("stale old: %v, want a *ConflictError with size 10", err)
	}
	split := newTestLogWithKey(t, log.skey, "split view")
	split.copyPrefix(t, log, 2)
	for _, req := range []*witness.Request{split.request(t, 10, 13), split.request(t, 10, 10)} {
		_, err := lw.AddCheckpoint(ctx, req)
		var se *witness.StatusError
		if !errors.As(err, &se) || (se.Status != 422 && se.Status != 409) {
			t.Errorf("split view at %d: %v, want 422 or 409", peek(t, req).Size, err)
		}
	}
	forger := newTestLog(t, log.origin)
	other := newTestLog(t, "example.com/not-registered")
	for _, tc := range []struct {
		req    *witness.Request
		status int
	}{
		{forger.request(t, 10, 12), 403},
		{other.request(t, 0, 2), 404},
		{log.request(t, 11, 10), 400},
	} {
		_, err := lw.AddCheckpoint(ctx, tc.req)
		var se *witness.StatusError
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%s at %d: %v, want %d", peek(t, tc.req).Origin, peek(t, tc.req).Size, err, tc.status)
		}
	}
	// None of that moved litewitness off the real log.
	line, err = lw.AddCheckpoint(ctx, log.request(t, 10, 12))
	if err != nil {
		t.Fatalf("the real log after the refusals: %v", err)
	}
	if _, err := pol1.Check(append(log.checkpoint(t, 12), line...)); err != nil {
		t.Errorf("Policy.Check at 12: %v", err)
	}
}

// buildLitewitness installs litewitness and witnessctl into a temporary GOBIN.
func buildLitewitness(t *testing.T, ctx context.Context, goCmd string, ci bool) string {
	t.Helper()
	bin := t.TempDir()
	cmd := exec.CommandContext(ctx, goCmd, "install",
		"filippo.io/torchwood/cmd/litewitness@"+torchwoodVersion,
		"filippo.io/torchwood/cmd/witnessctl@"+torchwoodVersion)
	cmd.Dir = bin // outside this module
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "GOFLAGS=-mod=mod", "GOWORK=off")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("go install litewitness and witnessctl %s: %v", torchwoodVersion, time.Since(start).Round(time.Millisecond))
	if err != nil {
		if !ci && ctx.Err() == nil && networkUnreachable(out) {
			t.Skipf("cannot build litewitness, the module proxy is unreachable: %v\n%s", err, out)
		}
		t.Fatalf("go install litewitness %s: %v\n%s", torchwoodVersion, err, out)
	}
	return bin
}

// torchwoodVerifierSource is a program that opens a signed note with torchwood's
// cosignature/v1 verifier: note.Open with the log's Ed25519 key and each witness's
// cosignature key, all of which must have signed.
const torchwoodVerifierSource = `package main

import (
	"fmt"
	"os"
	"strings"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// usage: torchwood-verify <signed note file> <log vkey> <witness vkey>...
func main() {
	b, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail(err)
	}
	log, err := note.NewVerifier(os.Args[2])
	if err != nil {
		fail(err)
	}
	vs := []note.Verifier{log}
	for _, k := range os.Args[3:] {
		v, err := torchwood.NewCosignatureVerifier(k)
		if err != nil {
			fail(err)
		}
		vs = append(vs, v)
	}
	n, err := note.Open(b, note.VerifierList(vs...))
	if err != nil {
		fail(err)
	}
	if len(n.Sigs) != len(vs) {
		fail(fmt.Errorf("%d of %d keys signed", len(n.Sigs), len(vs)))
	}
	var names []string
	for _, s := range n.Sigs {
		if s.Name != log.Name() {
			if _, err := torchwood.CosignatureTimestamp(s); err != nil {
				fail(err)
			}
		}
		names = append(names, s.Name)
	}
	fmt.Println("verified " + strings.Join(names, " "))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
`

// buildTorchwoodVerifier builds torchwoodVerifierSource in a module of its own, so
// that torchwood is not a dependency of this one.
func buildTorchwoodVerifier(t *testing.T, ctx context.Context, goCmd string, ci bool) string {
	t.Helper()
	dir := t.TempDir()
	gomod := "module torchwoodverify\n\ngo 1.24\n\nrequire filippo.io/torchwood " + torchwoodVersion + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(torchwoodVerifierSource), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "torchwood-verify")
	cmd := exec.CommandContext(ctx, goCmd, "build", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	start := time.Now()
	b, err := cmd.CombinedOutput()
	t.Logf("go build of the torchwood verifier: %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		if !ci && ctx.Err() == nil && networkUnreachable(b) {
			t.Skipf("cannot build the torchwood verifier, the module proxy is unreachable: %v\n%s", err, b)
		}
		t.Fatalf("go build of the torchwood verifier: %v\n%s", err, b)
	}
	return out
}

// networkUnreachable reports whether go command output says it could not download.
func networkUnreachable(out []byte) bool {
	for _, s := range []string{"dial tcp", "no such host", "network is unreachable", "connection refused",
		"i/o timeout", "TLS handshake timeout", "proxyconnect", "connection reset", "GOPROXY=off", "Temporary failure in name resolution"} {
		if bytes.Contains(out, []byte(s)) {
			return true
		}
	}
	return false
}

// run runs a command to completion and fails the test if it fails.
func run(t *testing.T, ctx context.Context, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startSSHAgent starts a dedicated ssh-agent in the foreground and returns its
// socket; it is killed when the test ends.
func startSSHAgent(t *testing.T, ctx context.Context) string {
	t.Helper()
	// A short directory: socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "lw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitReady(t, ctx, exited, &out, "ssh-agent's socket "+sock, 10*time.Second, func() error {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err
	})
	return sock
}

// startLitewitness starts litewitness and waits until it serves GET /. It is
// interrupted (then killed) when the test ends; its output is returned.
func startLitewitness(t *testing.T, ctx context.Context, path string, args ...string) *syncBuffer {
	t.Helper()
	var out syncBuffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("litewitness did not stop on SIGINT:\n%s", out.String())
		}
		if t.Failed() {
			t.Logf("litewitness output:\n%s", out.String())
		}
	})
	var listen string
	for i, a := range args {
		if a == "-listen" {
			listen = args[i+1]
		}
	}
	hc := &http.Client{Timeout: time.Second}
	waitReady(t, ctx, exited, &out, "litewitness's GET / on "+listen, 30*time.Second, func() error {
		resp, err := hc.Get("http://" + listen + "/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	return &out
}

// readSSHEd25519PublicKey reads an OpenSSH "ssh-ed25519 <base64> comment" file and
// returns the raw public key and its SHA256 fingerprint as ssh-keygen prints it.
func readSSHEd25519PublicKey(t *testing.T, path string) (ed25519.PublicKey, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "ssh-ed25519" {
		t.Fatalf("%s: not an ssh-ed25519 public key", path)
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		t.Fatal(err)
	}
	// RFC 8709: string "ssh-ed25519", string key.
	rest := blob
	next := func() []byte {
		if len(rest) < 4 || len(rest) < 4+int(binary.BigEndian.Uint32(rest)) {
			t.Fatalf("%s: truncated key blob", path)
		}
		n := binary.BigEndian.Uint32(rest)
		s := rest[4 : 4+n]
		rest = rest[4+n:]
		return s
	}
	if string(next()) != "ssh-ed25519" {
		t.Fatalf("%s: key blob is not ssh-ed25519", path)
	}
	pub := next()
	if len(pub) != ed25519.PublicKeySize || len(rest) != 0 {
		t.Fatalf("%s: bad ed25519 key blob", path)
	}
	sum := sha256.Sum256(blob)
	return ed25519.PublicKey(pub), "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func containsPair(calls [][2]uint64, from, to uint64) bool {
	for _, c := range calls {
		if c == [2]uint64{from, to} {
			return true
		}
	}
	return false
}

// peek returns the checkpoint of a request, for messages.
func peek(t *testing.T, r *witness.Request) proof.Checkpoint {
	t.Helper()
	c, err := proof.PeekCheckpoint(r.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitReady polls ready every 20 ms until it returns nil, failing the test when the
// process (exited) ends first, ctx is done, or timeout passes; out is the process's
// output, shown on failure.
func waitReady(t *testing.T, ctx context.Context, exited <-chan struct{}, out *syncBuffer, what string, timeout time.Duration, ready func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return
		}
		select {
		case <-exited:
			t.Fatalf("the process exited before %s was ready:\n%s", what, out.String())
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: last error %v\n%s", what, timeout, err, out.String())
		}
	}
}
