package witness_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
)

// FuzzAddCheckpointHTTP drives POST /add-checkpoint with random bodies against a
// witness that has cosigned size 5 of a log. Every answer is one of the statuses of C2SP
// tlog-witness (never 500), and the witness's state only ever moves to a checkpoint of
// that log that is consistent with size 5: whatever the input, it never cosigns a fork.
func FuzzAddCheckpointHTTP(f *testing.F) {
	log := newTestLog(f, "example.com/log")
	log.grow(f, 20)
	fork := newTestLogWithKey(f, log.skey, "fork")
	fork.copyPrefix(f, log, 3)
	fork.grow(f, 20)
	w := newWitness(f, f.TempDir(), "w.example.org", log)
	if _, err := w.AddCheckpoint(log.request(f, 0, 5)); err != nil {
		f.Fatal(err)
	}
	_, root5, _, _ := w.Latest(log.origin)
	h := w.Handler()
	for _, seed := range [][]byte{
		log.request(f, 5, 9).Marshal(), log.request(f, 5, 5).Marshal(), fork.request(f, 5, 9).Marshal(),
		log.request(f, 0, 12).Marshal(), []byte("old 5\n\n"), []byte("old 99\n\nexample.com/log\n1\n"),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/add-checkpoint", bytes.NewReader(body)))
		switch rec.Code {
		case 200, 400, 403, 404, 409, 422:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		size, root, _, err := w.Latest(log.origin)
		if err != nil {
			t.Fatal(err)
		}
		if size < 5 || root != log.root(t, size) {
			t.Fatalf("the witness now holds size %d root %x: not log's", size, root)
		}
		if err := proof.VerifyConsistency(5, size, root5, root, mustConsistency(t, log, 5, size)); size > 5 && err != nil {
			t.Fatalf("state %d is not consistent with 5: %v", size, err)
		}
	})
}

func mustConsistency(t *testing.T, l *testLog, from, to uint64) [][32]byte {
	t.Helper()
	if from == to {
		return nil
	}
	p, err := l.consistency(from, to)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
