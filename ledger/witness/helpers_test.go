package witness_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

// testLog is a made-up transparency log kept in memory: entries, the RFC 6962 tree
// over them (golang.org/x/mod/sumdb/tlog stored hashes), and a log key that signs
// checkpoints. Safe for concurrent use.
type testLog struct {
	origin   string
	skey     string
	vkey     string
	signer   note.Signer
	verifier note.Verifier

	mu     sync.Mutex
	tag    string
	hashes []tlog.Hash // tlog stored hashes, by storage index
	n      int64       // number of entries
}

// newTestLog makes an empty log with a new key named origin.
func newTestLog(t testing.TB, origin string) *testLog {
	t.Helper()
	skey, _, err := proof.GenerateLogKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	return newTestLogWithKey(t, skey, origin)
}

// newTestLogWithKey makes an empty log signed by skey; tag makes its entries differ
// from those of another log with the same key (a split view).
func newTestLogWithKey(t testing.TB, skey, tag string) *testLog {
	t.Helper()
	signer, err := proof.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	vkey := vkeyOfLogSkey(t, skey)
	verifier, err := proof.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return &testLog{origin: signer.Name(), skey: skey, vkey: vkey, signer: signer, verifier: verifier, tag: tag}
}

// vkeyOfLogSkey derives the verifier key string of a sumdb/note Ed25519 signer key.
func vkeyOfLogSkey(t testing.TB, skey string) string {
	t.Helper()
	parts := strings.SplitN(skey, "+", 5)
	seed, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(seed) != 33 {
		t.Fatalf("bad log skey")
	}
	pub := ed25519.NewKeyFromSeed(seed[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(parts[2], pub)
	if err != nil {
		t.Fatal(err)
	}
	return vkey
}

// ReadHashes implements tlog.HashReader; l.mu must be held.
func (l *testLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

// grow appends entries until the log has n of them. Entry i is "<tag> entry <i>".
func (l *testLog) grow(t testing.TB, n uint64) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for uint64(l.n) < n {
		hs, err := tlog.StoredHashes(l.n, []byte(fmt.Sprintf("%s entry %d", l.tag, l.n)), l)
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
}

// copyPrefix appends to l the first n entries of o (o's entries, not l's tag).
func (l *testLog) copyPrefix(t testing.TB, o *testLog, n uint64) {
	t.Helper()
	o.grow(t, n)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n != 0 {
		t.Fatal("copyPrefix on a non-empty log")
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	l.hashes = append(l.hashes, o.hashes[:tlog.StoredHashCount(int64(n))]...)
	l.n = int64(n)
}

// root returns the tree root at size n (growing the log to n first).
func (l *testLog) root(t testing.TB, n uint64) [32]byte {
	t.Helper()
	l.grow(t, n)
	l.mu.Lock()
	defer l.mu.Unlock()
	h, err := tlog.TreeHash(int64(n), l)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkpoint returns the log's signed checkpoint at size n.
func (l *testLog) checkpoint(t testing.TB, n uint64) []byte {
	t.Helper()
	cp, err := proof.SignCheckpoint(proof.Checkpoint{Origin: l.origin, Size: n, Root: l.root(t, n)}, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// text returns the note text of the checkpoint at size n.
func (l *testLog) text(t testing.TB, n uint64) string {
	return string(proof.Checkpoint{Origin: l.origin, Size: n, Root: l.root(t, n)}.Marshal())
}

// proof returns the RFC 6962 consistency proof from size from to size to.
func (l *testLog) proof(t testing.TB, from, to uint64) [][32]byte {
	t.Helper()
	l.grow(t, to)
	p, err := l.consistency(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (l *testLog) consistency(from, to uint64) ([][32]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if to > uint64(l.n) {
		return nil, fmt.Errorf("size %d is beyond the log's %d entries", to, l.n)
	}
	p, err := tlog.ProveTree(int64(to), int64(from), l)
	if err != nil {
		return nil, err
	}
	out := make([][32]byte, len(p))
	for i, h := range p {
		out[i] = h
	}
	return out, nil
}

// request builds the add-checkpoint request from old to the checkpoint at size n,
// with the log's own consistency proof (empty when old is 0 or n).
func (l *testLog) request(t testing.TB, old, n uint64) *witness.Request {
	t.Helper()
	r := &witness.Request{OldSize: old, Checkpoint: l.checkpoint(t, n)}
	if old > 0 && old < n {
		r.Proof = l.proof(t, old, n)
	}
	return r
}

// newWitness opens a witness in dir that follows the given logs; it is closed when
// the test ends.
func newWitness(t testing.TB, dir, name string, logs ...*testLog) *witness.Witness {
	t.Helper()
	var vs []note.Verifier
	for _, l := range logs {
		vs = append(vs, l.verifier)
	}
	w, err := witness.Open(witness.Config{Dir: dir, Name: name, Logs: vs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// witnessVerifier parses a witness's verifier key.
func witnessVerifier(t testing.TB, vkey string) note.Verifier {
	t.Helper()
	v, err := witness.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// response is an HTTP answer, read in full.
type response struct {
	status int
	ctype  string
	body   string
}

func (r response) String() string {
	return fmt.Sprintf("%d (Content-Type %q) %q", r.status, r.ctype, r.body)
}

// post sends body to url + "/add-checkpoint".
func post(t testing.TB, url string, body []byte) response {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// serve serves w's handler over real HTTP until the test ends.
func serve(t testing.TB, w *witness.Witness) *httptest.Server {
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// checkCosignatureFromSpec checks a cosignature line against C2SP tlog-cosignature
// written out here from the spec, independently of the package and of
// transparency-dev/formats: "— <name> <base64(key hash ‖ timestamp ‖ signature)>",
// key hash = SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[:4], signed message
// "cosignature/v1\ntime <timestamp>\n<checkpoint text>", timestamp near now.
func checkCosignatureFromSpec(t testing.TB, vkey, text string, line []byte) {
	t.Helper()
	parts := strings.SplitN(vkey, "+", 3)
	key, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(key) != 33 || key[0] != 0x04 {
		t.Fatalf("vkey %q is not a cosignature/v1 key", vkey)
	}
	pub := ed25519.PublicKey(key[1:])
	h := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), pub...))
	if got := hex.EncodeToString(h[:4]); got != parts[1] {
		t.Fatalf("vkey hash %s, want %s from the spec", parts[1], got)
	}
	s, ok := strings.CutPrefix(string(line), "— "+parts[0]+" ")
	if !ok || !strings.HasSuffix(s, "\n") || strings.Count(s, "\n") != 1 {
		t.Fatalf("cosignature line %q is not one line \"— %s <base64>\"", line, parts[0])
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(s, "\n"))
	if err != nil || len(sig) != 4+8+64 {
		t.Fatalf("cosignature %q: want base64 of 76 bytes (%v)", s, err)
	}
	if !bytes.Equal(sig[:4], h[:4]) {
		t.Errorf("cosignature key hash %x, want %x", sig[:4], h[:4])
	}
	ts := binary.BigEndian.Uint64(sig[4:12])
	if now := time.Now().Unix(); int64(ts) < now-300 || int64(ts) > now+60 {
		t.Errorf("cosignature timestamp %d is not near now (%d)", ts, now)
	}
	msg := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text
	if !ed25519.Verify(pub, []byte(msg), sig[12:]) {
		t.Errorf("cosignature does not verify under %s over %q", parts[0], msg)
	}
}

// waitFor polls cond every 10 ms until it holds or d passes, then fails with what.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTestLog checks the in-test log against ledger/proof: the same roots, and
// consistency proofs that proof.VerifyConsistency accepts.
func TestTestLog(t *testing.T) {
	l := newTestLog(t, "example.com/testlog")
	l.grow(t, 13)
	var b proof.RootBuilder
	for i := range 13 {
		b.Append(proof.LeafHash([]byte(fmt.Sprintf("%s entry %d", l.tag, i))))
		n := uint64(i + 1)
		if got, want := l.root(t, n), b.Root(); got != want {
			t.Fatalf("root(%d) = %x, RootBuilder says %x", n, got, want)
		}
	}
	for from := uint64(1); from <= 13; from++ {
		for to := from; to <= 13; to++ {
			if err := proof.VerifyConsistency(from, to, l.root(t, from), l.root(t, to), l.proof(t, from, to)); err != nil {
				t.Errorf("proof %d→%d: %v", from, to, err)
			}
		}
	}
	fork := newTestLogWithKey(t, l.skey, "fork")
	fork.copyPrefix(t, l, 5)
	fork.grow(t, 9)
	if fork.root(t, 5) != l.root(t, 5) || fork.root(t, 6) == l.root(t, 6) {
		t.Errorf("fork: want the same root at 5 and another at 6")
	}
}

// flipSignature returns signed with one bit of the signature in its i-th signature
// line flipped (counting from 0; negative counts from the end); offset counts bytes
// from the end of the decoded signature (0 is the last byte). The key hash is left
// alone, so the line still names the same key.
func flipSignature(t testing.TB, signed []byte, i, offset int) []byte {
	t.Helper()
	text, sigs, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		t.Fatal("not a signed note")
	}
	lines := strings.SplitAfter(string(sigs), "\n")
	lines = lines[:len(lines)-1] // after the last "\n"
	if i < 0 {
		i += len(lines)
	}
	prefix, b64, _ := strings.Cut(strings.TrimSuffix(lines[i], "\n"), " ")
	name, b64, _ := strings.Cut(b64, " ")
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(sig) <= offset {
		t.Fatalf("signature line %q", lines[i])
	}
	sig[len(sig)-1-offset] ^= 1
	lines[i] = prefix + " " + name + " " + base64.StdEncoding.EncodeToString(sig) + "\n"
	return append(append(bytes.Clone(text), "\n\n"...), strings.Join(lines, "")...)
}
