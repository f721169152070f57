package witness_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/witness"
)

// testSource is a LogSource over a testLog whose published checkpoint the test
// moves forward. It records the consistency proofs asked for.
type testSource struct {
	log *testLog

	mu      sync.Mutex
	size    uint64
	cp      []byte
	changed chan struct{} // closed and replaced when the checkpoint changes
	proofs  [][2]uint64
}

func newTestSource(t testing.TB, log *testLog, size uint64) *testSource {
	s := &testSource{log: log, changed: make(chan struct{})}
	s.publish(t, size)
	return s
}

// publish makes the checkpoint at size n the latest.
func (s *testSource) publish(t testing.TB, n uint64) {
	t.Helper()
	cp := s.log.checkpoint(t, n)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size, s.cp = n, cp
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *testSource) WaitCheckpoint(ctx context.Context, after uint64) ([]byte, uint64, error) {
	for {
		s.mu.Lock()
		if s.size > after {
			defer s.mu.Unlock()
			return s.cp, s.size, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-ch:
		}
	}
}

func (s *testSource) ConsistencyProof(from, to uint64) ([][32]byte, error) {
	s.mu.Lock()
	s.proofs = append(s.proofs, [2]uint64{from, to})
	s.mu.Unlock()
	return s.log.consistency(from, to)
}

func (s *testSource) proofCalls() [][2]uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.proofs)
}

// recorder collects what a Collector hands to Witnessed.
type recorder struct {
	mu  sync.Mutex
	got []publication
}

type publication struct {
	signed []byte
	size   uint64
}

func (r *recorder) witnessed(signed []byte, size uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, publication{slices.Clone(signed), size})
	return nil
}

func (r *recorder) all() []publication {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// waitPublished waits until a checkpoint of size is handed on that pol accepts.
func (r *recorder) waitPublished(t *testing.T, pol *witness.Policy, size uint64) *witness.Result {
	t.Helper()
	res, err := r.poll(pol, size, 20*time.Second)
	if err != nil {
		t.Fatalf("no checkpoint of size %d with %d cosignatures was handed on: %v", size, pol.Quorum(), err)
	}
	return res
}

// poll waits up to d for a checkpoint of size that pol accepts.
func (r *recorder) poll(pol *witness.Policy, size uint64, d time.Duration) (*witness.Result, error) {
	deadline := time.Now().Add(d)
	err := errors.New("none of that size")
	for time.Now().Before(deadline) {
		for _, p := range r.all() {
			if p.size != size {
				continue
			}
			var res *witness.Result
			if res, err = pol.Check(p.signed); err == nil && res.Checkpoint.Size == size {
				return res, nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil, err
}

// switchable serves a witness, or drops every connection while down.
type switchable struct {
	h        http.Handler
	down     atomic.Bool
	requests atomic.Int64
}

func (s *switchable) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.down.Load() {
		conn, _, err := http.NewResponseController(rw).Hijack()
		if err != nil {
			panic(err)
		}
		conn.Close()
		return
	}
	s.h.ServeHTTP(rw, r)
}

// testWitness is a witness served over HTTP through a switchable handler.
type testWitness struct {
	w      *witness.Witness
	sw     *switchable
	srv    *httptest.Server
	client *witness.Client
	v      note.Verifier
}

func newTestWitness(t *testing.T, name string, logs ...*testLog) *testWitness {
	t.Helper()
	w := newWitness(t, t.TempDir(), name, logs...)
	sw := &switchable{h: w.Handler()}
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	v := witnessVerifier(t, w.VerifierKey())
	return &testWitness{w, sw, srv, &witness.Client{URL: srv.URL, Verifier: v}, v}
}

// startCollector runs a collector until the test ends.
func startCollector(t *testing.T, cfg witness.CollectorConfig) *witness.Collector {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 300 * time.Millisecond
	}
	c, err := witness.NewCollector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	})
	return c
}

func newPolicy(t testing.TB, log *testLog, quorum int, ws ...*testWitness) *witness.Policy {
	t.Helper()
	var vs []note.Verifier
	for _, w := range ws {
		vs = append(vs, w.v)
	}
	p, err := witness.NewPolicy(log.verifier, vs, quorum)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCollectorQuorum(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2 := newTestWitness(t, "w1.example.org", log), newTestWitness(t, "w2.example.org", log)
	src := newTestSource(t, log, 3)
	var rec recorder
	c := startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{w1.client, w2.client}, Quorum: 2, Source: src, Witnessed: rec.witnessed,
	})
	pol := newPolicy(t, log, 2, w1, w2)
	r := rec.waitPublished(t, pol, 3)
	if len(r.Cosigned) != 2 {
		t.Errorf("size 3: %s", r.Summary())
	}

	src.publish(t, 8)
	rec.waitPublished(t, pol, 8)
	checkLatest(t, w1.w, log, 8)
	checkLatest(t, w2.w, log, 8)
	if calls := src.proofCalls(); !slices.Equal(calls, [][2]uint64{{3, 8}, {3, 8}}) {
		t.Errorf("ConsistencyProof calls %v, want 3→8 once per witness", calls)
	}
	var prev uint64
	for _, p := range rec.all() {
		if p.size < prev {
			t.Errorf("handed on size %d after %d", p.size, prev)
		}
		prev = p.size
	}
	waitFor(t, 10*time.Second, "status does not show both witnesses at size 8", func() bool {
		st := c.Status()
		return st[0].CosignedSize == 8 && st[1].CosignedSize == 8
	})
	for i, st := range c.Status() {
		w := []*testWitness{w1, w2}[i]
		if st.URL != w.srv.URL || st.Key != witness.KeyID(w.v) || st.Name != w.w.Name() || st.Failures != 0 || st.LastError != "" || st.LastCosigned.IsZero() {
			t.Errorf("Status()[%d] = %+v", i, st)
		}
	}
}

func TestCollectorDeadWitness(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2 := newTestWitness(t, "w1.example.org", log), newTestWitness(t, "w2.example.org", log)
	w2.srv.Close() // dead: connection refused
	src := newTestSource(t, log, 3)
	var rec recorder
	c := startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{w1.client, w2.client}, Quorum: 1, Source: src, Witnessed: rec.witnessed,
	})
	rec.waitPublished(t, newPolicy(t, log, 1, w1, w2), 3)
	_, err := newPolicy(t, log, 2, w1, w2).Check(rec.all()[0].signed)
	var qe *witness.QuorumError
	if !errors.As(err, &qe) || !slices.Equal(qe.Missing, []string{witness.KeyID(w2.v)}) {
		t.Errorf("quorum 2 on what was handed on: %v, want a QuorumError missing w2", err)
	}
	waitFor(t, 10*time.Second, "status does not show the dead witness failing", func() bool {
		st := c.Status()[1]
		return st.Failures > 0 && st.LastError != ""
	})
	st := c.Status()
	if !strings.Contains(st[1].LastError, "connection refused") || st[1].CosignedSize != 0 || !st[1].LastCosigned.IsZero() {
		t.Errorf("dead witness status %+v, want a connection error", st[1])
	}
	if st[0].Failures != 0 || st[0].LastError != "" || st[0].CosignedSize != 3 {
		t.Errorf("live witness status %+v", st[0])
	}
}

func TestCollectorRecovers(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2 := newTestWitness(t, "w1.example.org", log), newTestWitness(t, "w2.example.org", log)
	w2.sw.down.Store(true)
	src := newTestSource(t, log, 3)
	var rec recorder
	c := startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{w1.client, w2.client}, Quorum: 2, Source: src, Witnessed: rec.witnessed,
		MaxBackoff: 300 * time.Millisecond,
	})
	waitFor(t, 20*time.Second, "the down witness was not retried three times", func() bool {
		return c.Status()[1].Failures >= 3
	})
	if got := rec.all(); len(got) != 0 {
		t.Fatalf("with quorum 2 and one witness down, %d checkpoints were handed on", len(got))
	}
	st := c.Status()[1]
	if st.LastError == "" || st.CosignedSize != 0 {
		t.Errorf("down witness status %+v", st)
	}
	// The live witness is asked once per retry round, not in a busy loop while the
	// other one backs off.
	if n1, n2 := w1.sw.requests.Load(), w2.sw.requests.Load(); n1 > n2+2 {
		t.Errorf("while w2 was down (%d requests to it), w1 got %d requests", n2, n1)
	}

	// w2 comes back: the same checkpoint is retried and reaches the quorum.
	w2.sw.down.Store(false)
	r := rec.waitPublished(t, newPolicy(t, log, 2, w1, w2), 3)
	if len(r.Cosigned) != 2 {
		t.Errorf("after recovery: %s", r.Summary())
	}
	waitFor(t, 10*time.Second, "status still shows w2 failing", func() bool {
		st := c.Status()[1]
		return st.Failures == 0 && st.LastError == "" && st.CosignedSize == 3
	})
	src.publish(t, 6)
	rec.waitPublished(t, newPolicy(t, log, 2, w1, w2), 6)
}

// TestCollectorReprove: witnesses that hold a size the collector does not know answer
// 409 with it; the collector re-proves from there. One that holds a size beyond the
// collector's checkpoint cannot cosign it and says so in Status.
func TestCollectorReprove(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2, w3 := newTestWitness(t, "w1.example.org", log), newTestWitness(t, "w2.example.org", log), newTestWitness(t, "w3.example.org", log)
	if _, err := w1.w.AddCheckpoint(log.request(t, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if _, err := w3.w.AddCheckpoint(log.request(t, 0, 12)); err != nil {
		t.Fatal(err)
	}
	src := newTestSource(t, log, 9)
	var rec recorder
	c := startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{w1.client, w2.client, w3.client}, Quorum: 2, Source: src, Witnessed: rec.witnessed,
	})
	r := rec.waitPublished(t, newPolicy(t, log, 2, w1, w2), 9)
	if len(r.Cosigned) != 2 {
		t.Errorf("%s", r.Summary())
	}
	checkLatest(t, w1.w, log, 9)
	checkLatest(t, w3.w, log, 12)
	if calls := src.proofCalls(); !slices.Contains(calls, [2]uint64{5, 9}) {
		t.Errorf("ConsistencyProof calls %v, want 5→9 for w1", calls)
	}
	waitFor(t, 10*time.Second, "status does not show w3 ahead", func() bool {
		return c.Status()[2].Failures > 0
	})
	st := c.Status()
	if st[0].Failures != 0 || st[0].CosignedSize != 9 {
		t.Errorf("a 409 and a re-proof is not a failure: %+v", st[0])
	}
	if !strings.Contains(st[2].LastError, "the witness holds size 12, beyond this node's checkpoint 9") {
		t.Errorf("w3 status %+v, want it to say the witness is ahead", st[2])
	}
	// When the log catches up, w3 cosigns again (once its backoff is over: a witness
	// that failed is skipped for new checkpoints until then).
	pol3 := newPolicy(t, log, 3, w1, w2, w3)
	deadline := time.Now().Add(20 * time.Second)
	for n := uint64(14); ; n++ {
		src.publish(t, n)
		if _, err := rec.poll(pol3, n, time.Second); err == nil {
			if !slices.Contains(src.proofCalls(), [2]uint64{12, n}) {
				t.Errorf("ConsistencyProof calls %v, want 12→%d for w3", src.proofCalls(), n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("w3 did not cosign once the log passed its size: %+v", c.Status()[2])
		}
	}
}

func TestNewCollectorErrors(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1 := newTestWitness(t, "w1.example.org", log)
	src := newTestSource(t, log, 1)
	var rec recorder
	for _, tc := range []struct {
		name string
		cfg  witness.CollectorConfig
		want []string
	}{
		{"empty", witness.CollectorConfig{}, []string{"no witnesses", "quorum 0 is not between 1 and the 0 witnesses", "a Source and a Witnessed function are required"}},
		{"quorum above n", witness.CollectorConfig{Witnesses: []*witness.Client{w1.client}, Quorum: 2, Source: src, Witnessed: rec.witnessed}, []string{"quorum 2 is not between 1 and the 1 witnesses"}},
		{"twice", witness.CollectorConfig{Witnesses: []*witness.Client{w1.client, {URL: "http://x", Verifier: w1.v}}, Quorum: 1, Source: src, Witnessed: rec.witnessed}, []string{"witness key " + witness.KeyID(w1.v) + " is given twice"}},
		{"no key", witness.CollectorConfig{Witnesses: []*witness.Client{{URL: "http://x"}}, Quorum: 1, Source: src}, []string{"witness http://x has no key", "a Source and a Witnessed function are required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := witness.NewCollector(tc.cfg)
			if err == nil {
				t.Fatal("NewCollector accepted it")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestCollectorMinInterval: a log that grows every millisecond costs each witness at
// most one request per MinInterval, and the newest checkpoint is still witnessed.
func TestCollectorMinInterval(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1 := newTestWitness(t, "w1.example.org", log)
	src := newTestSource(t, log, 1)
	var rec recorder
	startCollector(t, witness.CollectorConfig{
		Witnesses: []*witness.Client{w1.client}, Quorum: 1, Source: src, Witnessed: rec.witnessed,
		MinInterval: 200 * time.Millisecond,
	})
	pol := newPolicy(t, log, 1, w1)
	rec.waitPublished(t, pol, 1)
	start, before := time.Now(), w1.sw.requests.Load()
	size := uint64(1)
	for time.Since(start) < time.Second {
		size++
		src.publish(t, size)
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	rec.waitPublished(t, pol, size)
	// Rounds start at least 200 ms apart: at most elapsed/200ms + 2 of them (the one
	// under way at the start and the one for the last size), each one request (or two
	// after a 409, which cannot happen here).
	if got, most := w1.sw.requests.Load()-before, int64(elapsed/(200*time.Millisecond))+2; got > most || got < 2 {
		t.Errorf("the witness got %d requests while the log grew for %v (%d sizes), want 2 to %d", got, elapsed.Round(time.Millisecond), size-1, most)
	}
}
