package witness_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	stdlog "log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

// checkCosigned checks a 200 response to an add-checkpoint request for the
// checkpoint of log at size n: one cosignature line by w that our Policy, the
// transparency-dev/formats cosignature/v1 verifier and the spec (written out in
// checkCosignatureFromSpec) all accept.
func checkCosigned(t *testing.T, w *witness.Witness, log *testLog, n uint64, resp response) {
	t.Helper()
	if resp.status != http.StatusOK {
		t.Fatalf("size %d: got %v, want 200", n, resp)
	}
	cp := log.checkpoint(t, n) // the same text: only the log signature may differ (Ed25519 is deterministic)
	signed := append(cp, resp.body...)
	pol, err := witness.NewPolicy(log.verifier, []note.Verifier{witnessVerifier(t, w.VerifierKey())}, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pol.Check(signed)
	if err != nil {
		t.Fatalf("size %d: Policy.Check: %v", n, err)
	}
	if r.Checkpoint.Size != n || len(r.Cosigned) != 1 || r.Cosigned[0].Witness != w.Name() {
		t.Errorf("size %d: Policy.Check = %+v", n, r)
	}
	// An outside verifier: transparency-dev/formats' cosignature/v1 verifier.
	// (filippo.io/torchwood v0.9.0 as a dependency of this module would upgrade
	// golang.org/x/exp, cespare/xxhash and rogpeppe/go-internal in the node's own
	// build; TestLitewitnessInterop runs torchwood's verifier from a module of its own.)
	tdv, err := tdnote.NewVerifierForCosignatureV1(w.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(tdv)); err != nil {
		t.Errorf("size %d: transparency-dev cosignature/v1 verifier: %v", n, err)
	}
	checkCosignatureFromSpec(t, w.VerifierKey(), log.text(t, n), []byte(resp.body))
}

func checkLatest(t *testing.T, w *witness.Witness, log *testLog, size uint64) {
	t.Helper()
	got, root, ok, err := w.Latest(log.origin)
	if err != nil {
		t.Fatal(err)
	}
	if size == 0 {
		if ok || got != 0 {
			t.Errorf("Latest = %d, %v; want nothing cosigned", got, ok)
		}
		return
	}
	if !ok || got != size || root != log.root(t, size) {
		t.Errorf("Latest = %d (ok %v), want %d with the log's root", got, ok, size)
	}
}

func TestWitnessHTTP(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w := newWitness(t, t.TempDir(), "w1.example.org", log)
	srv := serve(t, w)

	// First checkpoint: old 0.
	checkCosigned(t, w, log, 3, post(t, srv.URL, log.request(t, 0, 3).Marshal()))
	checkLatest(t, w, log, 3)
	// A later one with the proof from 3.
	checkCosigned(t, w, log, 7, post(t, srv.URL, log.request(t, 3, 7).Marshal()))
	checkLatest(t, w, log, 7)
	// The same checkpoint again: cosigned again, state unchanged.
	checkCosigned(t, w, log, 7, post(t, srv.URL, log.request(t, 7, 7).Marshal()))
	checkLatest(t, w, log, 7)

	other := newTestLog(t, "example.com/other")
	forger := newTestLog(t, "example.com/log") // same name, another key
	split := newTestLogWithKey(t, log.skey, "split")
	badProof := log.request(t, 7, 10)
	badProof.Proof[0][0] ^= 1
	shortProof := log.request(t, 7, 10)
	shortProof.Proof = shortProof.Proof[1:]
	flippedSig := flipSignature(t, log.checkpoint(t, 10), 0, 0)
	proofAtSameSize := log.request(t, 7, 7)
	proofAtSameSize.Proof = log.proof(t, 3, 7)
	proofFromZero := log.request(t, 0, 7)
	proofFromZero.Proof = log.proof(t, 3, 7)

	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		ctype  string // "" means not text/x.tlog.size
		body2  string // the exact body when ctype is text/x.tlog.size
		is     error
		as     any
	}{
		{"stale old", log.request(t, 3, 10).Marshal(), 409, "text/x.tlog.size", "7\n", witness.ErrConflict, new(*witness.ConflictError)},
		{"old 0 after cosigning", log.request(t, 0, 10).Marshal(), 409, "text/x.tlog.size", "7\n", witness.ErrConflict, new(*witness.ConflictError)},
		{"old ahead", log.request(t, 9, 10).Marshal(), 409, "text/x.tlog.size", "7\n", witness.ErrConflict, new(*witness.ConflictError)},
		{"bad proof", badProof.Marshal(), 422, "", "", witness.ErrInconsistent, new(*witness.InconsistentError)},
		{"short proof", shortProof.Marshal(), 422, "", "", witness.ErrInconsistent, new(*witness.InconsistentError)},
		{"proof at the same size", proofAtSameSize.Marshal(), 422, "", "", witness.ErrInconsistent, new(*witness.InconsistentError)},
		{"unknown origin", other.request(t, 0, 3).Marshal(), 404, "", "", witness.ErrUnknownLog, new(*witness.LogError)},
		{"forged log signature", forger.request(t, 7, 10).Marshal(), 403, "", "", witness.ErrLogSignature, new(*witness.LogError)},
		{"altered log signature", (&witness.Request{OldSize: 7, Proof: log.proof(t, 7, 10), Checkpoint: flippedSig}).Marshal(), 403, "", "", witness.ErrLogSignature, new(*witness.LogError)},
		{"old above size", log.request(t, 9, 8).Marshal(), 400, "", "", witness.ErrInconsistent, new(*witness.InconsistentError)},
		{"same size, other root", split.request(t, 7, 7).Marshal(), 409, "", "", witness.ErrConflict, new(*witness.ConflictError)},
		{"malformed", []byte("old 7\n\ngarbage\n"), 400, "", "", witness.ErrMalformed, new(*proof.FormatError)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, srv.URL, tc.body)
			if resp.status != tc.status {
				t.Errorf("HTTP: got %v, want %d", resp, tc.status)
			}
			if tc.ctype != "" {
				if resp.ctype != tc.ctype || resp.body != tc.body2 {
					t.Errorf("HTTP: got %v, want Content-Type %s and body %q", resp, tc.ctype, tc.body2)
				}
			} else if resp.ctype == "text/x.tlog.size" {
				t.Errorf("HTTP: got %v, want no size body", resp)
			}
			if tc.status == http.StatusConflict && tc.ctype == "" {
				// A same-size split view has no size to re-prove from: the client must
				// not read it as "re-prove from N".
				_, err := (&witness.Client{URL: srv.URL, Verifier: witnessVerifier(t, w.VerifierKey())}).AddCheckpoint(t.Context(), mustParse(t, tc.body))
				var se *witness.StatusError
				if !errors.As(err, &se) || se.Status != 409 {
					t.Errorf("Client: %v, want a *StatusError 409", err)
				}
			}
			if tc.status == http.StatusBadRequest && tc.is == witness.ErrMalformed {
				return // does not parse: AddCheckpoint takes a parsed request
			}
			_, err := w.AddCheckpoint(mustParse(t, tc.body))
			if !errors.Is(err, tc.is) || !errors.As(err, tc.as) {
				t.Errorf("AddCheckpoint: %v (%T), want %v as %T", err, err, tc.is, tc.as)
			}
			if got := witness.HTTPStatus(err); got != tc.status {
				t.Errorf("HTTPStatus(%v) = %d, want %d", err, got, tc.status)
			}
			var ce *witness.ConflictError
			if errors.As(err, &ce) && tc.ctype != "" && (ce.Size != 7 || ce.Origin != log.origin) {
				t.Errorf("ConflictError = %+v, want Size 7 and the origin", ce)
			}
		})
		checkLatest(t, w, log, 7)
	}

	// Nothing refused moved the witness: the log's next checkpoint still follows 7.
	checkCosigned(t, w, log, 12, post(t, srv.URL, log.request(t, 7, 12).Marshal()))
	checkLatest(t, w, log, 12)

	// A log the witness never cosigned: old 0 with a non-empty proof is 422, and a
	// non-zero old is 409 with size 0.
	fresh := newTestLog(t, "example.com/fresh")
	w2 := newWitness(t, t.TempDir(), "w2.example.org", fresh)
	srv2 := serve(t, w2)
	bad0 := fresh.request(t, 0, 7)
	bad0.Proof = fresh.proof(t, 3, 7)
	if resp := post(t, srv2.URL, bad0.Marshal()); resp.status != 422 {
		t.Errorf("old 0 with a proof: got %v, want 422", resp)
	}
	if resp := post(t, srv2.URL, fresh.request(t, 3, 7).Marshal()); resp.status != 409 || resp.ctype != "text/x.tlog.size" || resp.body != "0\n" {
		t.Errorf("old 3 on a new log: got %v, want 409 text/x.tlog.size \"0\\n\"", resp)
	}
	checkLatest(t, w2, fresh, 0)

	// GET / reports the witness and its logs.
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st witness.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Name != "w1.example.org" || st.VerifierKey != w.VerifierKey() || len(st.Logs) != 1 || st.Logs[0].Origin != log.origin || st.Logs[0].Size != 12 {
		t.Errorf("GET / = %+v", st)
	}
	// The methods and paths of the spec only.
	if resp := mustDo(t, http.MethodGet, srv.URL+"/add-checkpoint", nil); resp.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /add-checkpoint: %v, want 405", resp)
	}
	if resp := mustDo(t, http.MethodPost, srv.URL+"/add-checkpoint", bytes.Repeat([]byte("x"), witness.MaxRequestSize+1)); resp.status != 400 {
		t.Errorf("oversized body: %v, want 400", resp)
	}
}

func mustParse(t testing.TB, b []byte) *witness.Request {
	t.Helper()
	r, err := witness.ParseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustDo(t testing.TB, method, url string, body []byte) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
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

// TestSplitView shows a witness two views of one log (same origin and key, entries
// that differ after a common prefix): it cosigns one, refuses the other at every
// size, and keeps the refused checkpoints as evidence.
func TestSplitView(t *testing.T) {
	a := newTestLog(t, "example.com/log")
	b := newTestLogWithKey(t, a.skey, "view B")
	b.copyPrefix(t, a, 2) // the views agree on the first two entries
	w := newWitness(t, t.TempDir(), "w1.example.org", a)
	srv := serve(t, w)

	const n = 6
	checkCosigned(t, w, a, 4, post(t, srv.URL, a.request(t, 0, 4).Marshal()))
	checkCosigned(t, w, a, n, post(t, srv.URL, a.request(t, 4, n).Marshal()))
	if ev, err := w.Evidence(a.origin); err != nil || len(ev) != 0 {
		t.Fatalf("Evidence before any split view = %d, %v", len(ev), err)
	}

	// View B's checkpoint at n+3 with B's own proof from n: it does not extend the
	// cosigned root.
	reqB := b.request(t, n, n+3)
	if err := proof.VerifyConsistency(n, n+3, b.root(t, n), b.root(t, n+3), reqB.Proof); err != nil {
		t.Fatalf("view B is not a consistent log itself: %v", err)
	}
	if resp := post(t, srv.URL, reqB.Marshal()); resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("view B at %d: got %v, want 422", n+3, resp)
	}
	// From 0 it gets the witness's size, not a cosignature.
	if resp := post(t, srv.URL, b.request(t, 0, n+3).Marshal()); resp.status != 409 || resp.body != "6\n" {
		t.Errorf("view B from 0: got %v, want 409 \"6\\n\"", resp)
	}
	// At the cosigned size itself: same size, other root.
	reqBn := b.request(t, n, n)
	if resp := post(t, srv.URL, reqBn.Marshal()); resp.status != http.StatusConflict || resp.ctype == "text/x.tlog.size" {
		t.Errorf("view B at %d: got %v, want 409 without a size", n, resp)
	}
	// With view A's proof (the only one that could match the cosigned root).
	mixed := &witness.Request{OldSize: n, Proof: a.proof(t, n, n+3), Checkpoint: b.checkpoint(t, n+3)}
	if resp := post(t, srv.URL, mixed.Marshal()); resp.status != http.StatusUnprocessableEntity {
		t.Errorf("view B with A's proof: got %v, want 422", resp)
	}
	checkLatest(t, w, a, n)

	ev, err := w.Evidence(a.origin)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{reqB.Marshal(), reqBn.Marshal(), mixed.Marshal()}
	if len(ev) != len(want) {
		t.Fatalf("Evidence = %d requests, want %d", len(ev), len(want))
	}
	for i := range want {
		if !bytes.Equal(ev[i], want[i]) {
			t.Errorf("Evidence[%d] =\n%s\nwant\n%s", i, ev[i], want[i])
		}
	}
	// The evidence is a log-signed checkpoint that no proof can reconcile with the
	// one the witness cosigned.
	r := mustParse(t, ev[0])
	cpB, err := proof.OpenCheckpoint(r.Checkpoint, a.verifier)
	if err != nil {
		t.Fatalf("evidence checkpoint: %v", err)
	}
	if err := proof.VerifyConsistency(n, cpB.Size, a.root(t, n), cpB.Root, r.Proof); err == nil {
		t.Error("the evidence's proof verifies from the cosigned root")
	}
	if ev, err := w.Evidence("example.com/other"); err != nil || len(ev) != 0 {
		t.Errorf("Evidence(other origin) = %d, %v", len(ev), err)
	}

	// A collector for view B never gets a cosignature from this witness.
	c := &witness.Client{URL: srv.URL, Verifier: witnessVerifier(t, w.VerifierKey())}
	for _, size := range []uint64{n + 1, n + 5} {
		_, err := c.AddCheckpoint(t.Context(), b.request(t, n, size))
		var se *witness.StatusError
		if !errors.As(err, &se) || se.Status != 422 {
			t.Errorf("view B at %d via Client: %v, want a *StatusError 422", size, err)
		}
	}
	// View A goes on.
	if _, err := c.AddCheckpoint(t.Context(), a.request(t, n, n+3)); err != nil {
		t.Errorf("view A at %d: %v", n+3, err)
	}
	checkLatest(t, w, a, n+3)
}

// TestRestart checks that a witness reopened on the same directory keeps its key,
// its cosigned size and its evidence.
func TestRestart(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	dir := t.TempDir()

	w := newWitness(t, dir, "w1.example.org", log)
	vkey := w.VerifierKey()
	if _, err := w.AddCheckpoint(log.request(t, 0, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(log.request(t, 3, 5)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(log.request(t, 5, 6)); err == nil || witness.HTTPStatus(err) != 500 {
		t.Errorf("AddCheckpoint after Close: %v, want an internal error", err)
	}

	w = newWitness(t, dir, "w1.example.org", log)
	if w.VerifierKey() != vkey {
		t.Errorf("key after restart %s, want %s", w.VerifierKey(), vkey)
	}
	checkLatest(t, w, log, 5)
	srv := serve(t, w)
	for _, old := range []uint64{0, 3} {
		resp := post(t, srv.URL, log.request(t, old, 7).Marshal())
		if resp.status != 409 || resp.ctype != "text/x.tlog.size" || resp.body != "5\n" {
			t.Errorf("old %d after restart: got %v, want 409 text/x.tlog.size \"5\\n\"", old, resp)
		}
	}
	// A view with the same key that differs from the fifth entry on: its size-6
	// checkpoint comes with a valid proof of its own tree, from another root at 5.
	inconsistent := newTestLogWithKey(t, log.skey, "inconsistent")
	inconsistent.copyPrefix(t, log, 4)
	req := inconsistent.request(t, 5, 6)
	if resp := post(t, srv.URL, req.Marshal()); resp.status != 422 {
		t.Errorf("inconsistent size 6 after restart: got %v, want 422", resp)
	}
	checkLatest(t, w, log, 5)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	// And again: the refusal left the state alone and the evidence survived.
	w = newWitness(t, dir, "", log)
	checkLatest(t, w, log, 5)
	if ev, err := w.Evidence(log.origin); err != nil || len(ev) != 1 || !bytes.Equal(ev[0], req.Marshal()) {
		t.Errorf("Evidence after restart = %d, %v; want the refused request", len(ev), err)
	}
	if _, err := w.AddCheckpoint(log.request(t, 5, 6)); err != nil {
		t.Errorf("the log's own size 6 after restart: %v", err)
	}
	checkLatest(t, w, log, 6)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Another name for the same directory is refused.
	if _, err := witness.Open(witness.Config{Dir: dir, Name: "w2.example.org", Logs: []note.Verifier{log.verifier}}); err == nil {
		t.Error("Open with another name succeeded")
	}
}

// TestLogging checks that the witness logs only to Config.Logger: with none, nothing
// reaches the standard logger (Pebble's default), and Pebble's lines go to the
// Logger at debug level.
func TestLogging(t *testing.T) {
	var std bytes.Buffer
	stdlog.SetOutput(&std)
	t.Cleanup(func() { stdlog.SetOutput(os.Stderr) })

	log := newTestLog(t, "example.com/log")
	dir := t.TempDir()
	for range 2 { // create, then reopen (Pebble replays its WAL)
		w := newWitness(t, dir, "w1.example.org", log)
		if _, err := w.AddCheckpoint(log.request(t, 0, 3)); err != nil && !errors.Is(err, witness.ErrConflict) {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if std.Len() != 0 {
		t.Errorf("with no Logger, the standard logger got:\n%s", std.String())
	}
	std.Reset()

	var lines bytes.Buffer
	lg := slog.New(slog.NewTextHandler(&lines, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w, err := witness.Open(witness.Config{Dir: dir, Logs: []note.Verifier{log.verifier}, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.AddCheckpoint(log.request(t, 3, 4)); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if std.Len() != 0 {
		t.Errorf("with a Logger, the standard logger got:\n%s", std.String())
	}
	if !strings.Contains(lines.String(), "level=DEBUG") || !strings.Contains(lines.String(), "component=pebble") {
		t.Errorf("Pebble's lines did not reach the Logger at debug level:\n%s", lines.String())
	}
	if !strings.Contains(lines.String(), `level=INFO msg=cosigned origin=example.com/log size=4 old_size=3`) {
		t.Errorf("no cosigned line:\n%s", lines.String())
	}
}

// TestEvidenceInOneClockTick: refusals stamped with the same time (a coarse clock, or
// one set back) are all kept, oldest first; none overwrites another.
func TestEvidenceInOneClockTick(t *testing.T) {
	a := newTestLog(t, "example.com/log")
	b := newTestLogWithKey(t, a.skey, "view B")
	b.copyPrefix(t, a, 2)
	tick := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	w, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "w1.example.org", Logs: []note.Verifier{a.verifier}, Now: func() time.Time { return tick }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	if _, err := w.AddCheckpoint(a.request(t, 0, 4)); err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for size := uint64(5); size <= 7; size++ {
		req := b.request(t, 4, size)
		if _, err := w.AddCheckpoint(req); err == nil {
			t.Fatalf("view B at %d was cosigned", size)
		}
		want = append(want, req.Marshal())
	}
	ev, err := w.Evidence(a.origin)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != len(want) {
		t.Fatalf("Evidence = %d requests, want %d (refusals in one clock tick overwrote each other)", len(ev), len(want))
	}
	for i := range want {
		if !bytes.Equal(ev[i], want[i]) {
			t.Errorf("Evidence[%d] is not refusal %d", i, i)
		}
	}
}
