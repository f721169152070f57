package witness_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/witness"
)

// TestClientResponses feeds the Client canned witness answers.
func TestClientResponses(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	k, other := newTestWitnessKey(t, "w1.example.org"), newTestWitnessKey(t, "w2.example.org")
	cp3, cp4 := log.checkpoint(t, 3), log.checkpoint(t, 4)
	good := string(k.cosign(t, cp3))
	req := &witness.Request{OldSize: 0, Checkpoint: cp3}

	type answer struct {
		status      int
		ctype, body string
	}
	for _, tc := range []struct {
		name string
		ans  answer
		want string // "" for success
		size uint64 // for a *ConflictError
	}{
		{"cosignature", answer{200, "text/plain", good}, "", 0},
		{"cosignature among others", answer{200, "text/plain", string(other.cosign(t, cp3)) + good}, "", 0},
		{"another witness's cosignature", answer{200, "text/plain", string(other.cosign(t, cp3))}, "no cosignature by " + k.id + " in the response", 0},
		{"cosignature of another checkpoint", answer{200, "text/plain", string(k.cosign(t, cp4))}, "its cosignature does not verify under " + k.id, 0},
		{"altered cosignature", answer{200, "text/plain", string(flipSignature(t, append(cp3, good...), -1, 0)[len(cp3):])}, "does not verify", 0},
		{"no final newline", answer{200, "text/plain", strings.TrimSuffix(good, "\n")}, "does not end with a newline", 0},
		{"empty 200", answer{200, "text/plain", ""}, "does not end with a newline", 0},
		{"not a signature line", answer{200, "text/plain", "hello\n"}, "no cosignature by", 0},
		{"conflict", answer{409, "text/x.tlog.size", "17\n"}, "the witness last cosigned size 17, the request says 0", 17},
		{"conflict, leading zero", answer{409, "text/x.tlog.size", "017\n"}, "answered 409 Conflict: malformed size: 017", 0},
		{"conflict, no newline", answer{409, "text/x.tlog.size", "17"}, "malformed size", 0},
		{"conflict, not a number", answer{409, "text/x.tlog.size", "many\n"}, "malformed size", 0},
		{"conflict without size", answer{409, "text/plain", "split view\n"}, "answered 409 Conflict: split view", 0},
		{"unprocessable", answer{422, "text/plain", "bad proof\nmore\n"}, "answered 422 Unprocessable Entity: bad proof", 0},
		{"server error", answer{500, "text/plain", strings.Repeat("x", 300)}, "answered 500 Internal Server Error: " + strings.Repeat("x", 200) + "…", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/add-checkpoint" {
					http.Error(rw, "wrong request", 400)
					return
				}
				if b, _ := io.ReadAll(r.Body); string(b) != string(req.Marshal()) {
					http.Error(rw, "wrong body", 400)
					return
				}
				rw.Header().Set("Content-Type", tc.ans.ctype)
				rw.WriteHeader(tc.ans.status)
				io.WriteString(rw, tc.ans.body)
			}))
			defer srv.Close()
			c := &witness.Client{URL: srv.URL + "/", Verifier: k.verifier}
			line, err := c.AddCheckpoint(t.Context(), req)
			if tc.want == "" {
				if err != nil || string(line) != good {
					t.Fatalf("AddCheckpoint = %q, %v; want %q", line, err, good)
				}
				return
			}
			if err == nil {
				t.Fatalf("AddCheckpoint accepted it: %q", line)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			var ce *witness.ConflictError
			if tc.size != 0 {
				if !errors.As(err, &ce) || ce.Size != tc.size || ce.Old != 0 || ce.Origin != log.origin {
					t.Errorf("error %#v, want a *ConflictError{Origin %s, Size %d}", err, log.origin, tc.size)
				}
			} else if errors.As(err, &ce) {
				t.Errorf("error %v is a *ConflictError", err)
			}
		})
	}
	// A witness that cannot be reached.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	if _, err := (&witness.Client{URL: srv.URL, Verifier: k.verifier}).AddCheckpoint(t.Context(), req); err == nil {
		t.Error("a closed server: no error")
	}
}

// TestConcurrentAddCheckpoint sends many first checkpoints at once: the check of the
// old size and the update are one step, so exactly one is cosigned.
func TestConcurrentAddCheckpoint(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w := newWitness(t, t.TempDir(), "w1.example.org", log)
	srv := serve(t, w)
	const n = 12
	log.grow(t, n+3)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = log.request(t, 0, uint64(i+3)).Marshal()
	}
	resps := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { resps[i] = post(t, srv.URL, bodies[i]) })
	}
	wg.Wait()
	winner := -1
	for i, r := range resps {
		if r.status == 200 {
			if winner >= 0 {
				t.Errorf("sizes %d and %d were both cosigned from old 0", winner+3, i+3)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("nothing was cosigned: %v", resps)
	}
	for i, r := range resps {
		if i != winner && (r.status != 409 || r.body != strconvU(uint64(winner+3))+"\n") {
			t.Errorf("size %d: %v, want 409 with the winner's size %d", i+3, r, winner+3)
		}
	}
	checkLatest(t, w, log, uint64(winner+3))
}

func strconvU(n uint64) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// TestOpenConfig: a witness's configuration errors are refused by Open, not turned
// into refusals of every checkpoint.
func TestOpenConfig(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	other := newTestLog(t, "example.com/other")
	rotated := newTestLog(t, "example.com/log") // a second key for the same log
	dir := t.TempDir()

	// The same log key twice (say, listed twice in a configuration file).
	w, err := witness.Open(witness.Config{Dir: dir, Name: "w1.example.org", Logs: []note.Verifier{log.verifier, other.verifier, log.verifier}})
	if err == nil {
		defer w.Close()
		if _, err := w.AddCheckpoint(log.request(t, 0, 3)); err != nil {
			t.Fatalf("Open accepted a log key given twice, and then refused its checkpoint: %v", err)
		}
	} else if !strings.Contains(err.Error(), witness.KeyID(log.verifier)) || !strings.Contains(err.Error(), "twice") {
		t.Errorf("Open with a log key given twice: %v, want an error naming the key", err)
	}

	for _, tc := range []struct {
		name string
		cfg  witness.Config
		want string
	}{
		{"no dir", witness.Config{Logs: []note.Verifier{log.verifier}}, "Dir is required"},
		{"no logs", witness.Config{Dir: t.TempDir(), Name: "w1.example.org"}, "at least one log key"},
		{"nil log key", witness.Config{Dir: t.TempDir(), Name: "w1.example.org", Logs: []note.Verifier{log.verifier, nil}}, "nil"},
		{"no name, no key", witness.Config{Dir: t.TempDir(), Logs: []note.Verifier{log.verifier}}, "no witness name was given"},
		{"log named like the witness", witness.Config{Dir: t.TempDir(), Name: "example.com/log", Logs: []note.Verifier{log.verifier}}, "has the witness's own name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := witness.Open(tc.cfg)
			if err == nil {
				w.Close()
				t.Fatal("Open accepted it")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}

	// Two keys for one origin (a key rotation): either one's checkpoints are cosigned.
	w2, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: "w2.example.org", Logs: []note.Verifier{log.verifier, rotated.verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if _, err := w2.AddCheckpoint(log.request(t, 0, 3)); err != nil {
		t.Errorf("first key: %v", err)
	}
	if _, err := w2.AddCheckpoint(rotated.request(t, 3, 5)); err != nil {
		t.Errorf("second key (same entries): %v", err)
	}
}
