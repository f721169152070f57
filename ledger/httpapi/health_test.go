package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/metrics"
	"github.com/climateledger/climateledger/projections"
)

// syncBuffer is a bytes.Buffer safe for the request log's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// opsServer is a node served with the ledger's routes, the read models, the probes and
// /metrics, through the request log and metrics (as serve wires them).
type opsServer struct {
	node    *ledger.Node
	url     string
	metrics *metrics.Metrics
	log     *syncBuffer
}

func startOps(t *testing.T, node *ledger.Node, views *projections.Views, ws *httpapi.Witnesses) *opsServer {
	t.Helper()
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node, Witnesses: ws}).Routes(mux)
	(&httpapi.Health{Node: node}).Routes(mux)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if views != nil {
		if err := views.Attach(ctx, node); err != nil {
			t.Fatal(err)
		}
		views.Routes(mux)
	}
	cfg := metrics.Config{Node: node, NoProcess: true}
	if ws != nil {
		cfg.Witnesses = ws.Collector.Status
	}
	m := metrics.New(cfg)
	mux.Handle("GET /metrics", m.Handler())
	buf := &syncBuffer{}
	lg := slog.New(slog.NewJSONHandler(buf, nil))
	srv := httptest.NewServer(httpapi.Observe(mux, nil, lg, m))
	t.Cleanup(srv.Close)
	return &opsServer{node: node, url: srv.URL, metrics: m, log: buf}
}

// logLine is one line of the request log.
type logLine struct {
	Msg      string  `json:"msg"`
	Method   string  `json:"method"`
	Path     string  `json:"path"`
	Route    string  `json:"route"`
	Status   int     `json:"status"`
	Code     string  `json:"code"`
	Duration float64 `json:"duration_ms"`
}

func TestHealthMetricsAndRequestLog(t *testing.T) {
	views, err := projections.New(projections.Config{})
	if err != nil {
		t.Fatal(err)
	}
	node, n := ledgertest.Open(t, "", views)
	ws := ledgertest.StartWitnesses(t, node, 0, "witness-a", "witness-b")
	s := startOps(t, node, views, ws.API)

	// The probes.
	if status, _, body := get(t, s.url+"/healthz"); status != 200 || string(body) != "{\"status\":\"ok\"}\n" {
		t.Fatalf("GET /healthz = %d %q, want 200 {\"status\":\"ok\"}", status, body)
	}
	status, _, body := get(t, s.url+"/readyz")
	var rd ledger.Readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatalf("GET /readyz: %v: %s", err, body)
	}
	if status != 200 || !rd.Ready || len(rd.Checks) != 3 || rd.Checks[0].Name != "log" || rd.Checks[1].Name != "applier" || rd.Checks[2].Name != "pebble" || len(rd.Failed()) != 0 {
		t.Fatalf("GET /readyz = %d %s, want 200 with the checks log, applier and pebble all ok", status, body)
	}
	if want := "1 entries integrated; caught up"; rd.Checks[1].Detail != want {
		t.Fatalf("applier detail %q, want %q", rd.Checks[1].Detail, want)
	}

	// One recorded, one already recorded, one refused submission; a 404.
	n.Enroll("us-ca", "California", "", "US", "state")
	enrolment := n.Entries[len(n.Entries)-1]
	if st, _, p := post(t, s.url, enrolment); st != 201 {
		t.Fatalf("enrol: %d %+v", st, p)
	}
	if st, _, p := post(t, s.url, enrolment); st != 200 {
		t.Fatalf("resubmit: %d %+v", st, p)
	}
	if st, _, p := post(t, s.url, []byte(`{"payload": 1}`)); st != 400 || p.Code != "malformed_envelope" {
		t.Fatalf("bad envelope: %d %+v, want 400 malformed_envelope", st, p)
	}
	if st, _, _ := get(t, s.url+"/v1/events/01HZZZZZZZZZZZZZZZZZZZZZZZ"); st != 404 {
		t.Fatalf("unknown event: %d, want 404", st)
	}

	// An open server-sent-event connection is gauged while it lasts.
	ctx, cancel := context.WithCancel(context.Background())
	sub, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/v1/subscribe", nil)
	resp, err := http.DefaultClient.Do(sub)
	if err != nil {
		t.Fatal(err)
	}
	bufio.NewReader(resp.Body).ReadString('\n') // the stream has started
	if got := value(t, s.metrics, "climateledger_sse_subscribers"); got != 1 {
		t.Fatalf("sse subscribers with one open: %v, want 1", got)
	}
	cancel()
	resp.Body.Close()
	waitFor(t, "the SSE connection to end", func() bool {
		return value(t, s.metrics, "climateledger_sse_subscribers") == 0
	})

	// Both witnesses cosign the tree of 2 entries.
	waitFor(t, "both witnesses to cosign size 2", func() bool {
		st := ws.API.Collector.Status()
		_, w := node.Witnessed()
		return w == 2 && st[0].CosignedSize == 2 && st[1].CosignedSize == 2
	})

	want := `
# HELP climateledger_submissions_total Submissions by transport and outcome: recorded, already_recorded, or the problem code of the refusal.
# TYPE climateledger_submissions_total counter
climateledger_submissions_total{outcome="already_recorded",transport="http"} 1
climateledger_submissions_total{outcome="malformed_envelope",transport="http"} 1
climateledger_submissions_total{outcome="recorded",transport="http"} 1
# HELP climateledger_tree_size Entries integrated: the size of the newest signed checkpoint.
# TYPE climateledger_tree_size gauge
climateledger_tree_size 2
# HELP climateledger_log_entries Entries in the stream (its last sequence), as its leader reports it.
# TYPE climateledger_log_entries gauge
climateledger_log_entries 2
# HELP climateledger_log_up 1 when the stream answered the scrape's status request, else 0.
# TYPE climateledger_log_up gauge
climateledger_log_up 1
# HELP climateledger_applier_lag_entries Entries in the stream not yet integrated by this node.
# TYPE climateledger_applier_lag_entries gauge
climateledger_applier_lag_entries 0
# HELP climateledger_applier_lag_seconds How long the oldest entry not yet integrated has been in the stream (0 when caught up).
# TYPE climateledger_applier_lag_seconds gauge
climateledger_applier_lag_seconds 0
# HELP climateledger_gate_in_flight Submissions being handled by the gate now.
# TYPE climateledger_gate_in_flight gauge
climateledger_gate_in_flight 0
# HELP climateledger_applier_queue_entries Entries read from the stream and not yet integrated.
# TYPE climateledger_applier_queue_entries gauge
climateledger_applier_queue_entries 0
# HELP climateledger_publish_errors_total Appends to the stream that failed (each attempt, retries included).
# TYPE climateledger_publish_errors_total counter
climateledger_publish_errors_total 0
# HELP climateledger_applier_running 1 while the applier runs, 0 while it is stopped on an error and retrying.
# TYPE climateledger_applier_running gauge
climateledger_applier_running 1
# HELP climateledger_applier_restarts_total Applier restarts after an error.
# TYPE climateledger_applier_restarts_total counter
climateledger_applier_restarts_total 0
# HELP climateledger_log_batches_total Atomic batches stored by group commit (each one fsync).
# TYPE climateledger_log_batches_total counter
climateledger_log_batches_total 0
# HELP climateledger_log_batched_entries_total Entries stored in those batches (divided by the batches: the mean batch size).
# TYPE climateledger_log_batched_entries_total counter
climateledger_log_batched_entries_total 0
# HELP climateledger_log_batch_fallbacks_total Batches refused or unacknowledged whose entries were then sent one by one.
# TYPE climateledger_log_batch_fallbacks_total counter
climateledger_log_batch_fallbacks_total 0
# HELP climateledger_witnessed_tree_size Size of the newest checkpoint cosigned by a quorum of witnesses (0: none).
# TYPE climateledger_witnessed_tree_size gauge
climateledger_witnessed_tree_size 2
# HELP climateledger_witness_cosigned_size Largest tree size the witness cosigned for this node.
# TYPE climateledger_witness_cosigned_size gauge
climateledger_witness_cosigned_size{witness="witness-a"} 2
climateledger_witness_cosigned_size{witness="witness-b"} 2
# HELP climateledger_witness_failures Consecutive failed requests to the witness (0 after a success).
# TYPE climateledger_witness_failures gauge
climateledger_witness_failures{witness="witness-a"} 0
climateledger_witness_failures{witness="witness-b"} 0
# HELP climateledger_sse_subscribers Open GET /v1/subscribe (server-sent events) connections.
# TYPE climateledger_sse_subscribers gauge
climateledger_sse_subscribers 0
# HELP climateledger_http_requests_total HTTP requests by route pattern and status.
# TYPE climateledger_http_requests_total counter
climateledger_http_requests_total{route="GET /healthz",status="200"} 1
climateledger_http_requests_total{route="GET /readyz",status="200"} 1
climateledger_http_requests_total{route="GET /v1/events/{id}",status="404"} 1
climateledger_http_requests_total{route="GET /v1/subscribe",status="200"} 1
climateledger_http_requests_total{route="POST /v1/events",status="200"} 1
climateledger_http_requests_total{route="POST /v1/events",status="201"} 1
climateledger_http_requests_total{route="POST /v1/events",status="400"} 1
`
	names := []string{"climateledger_submissions_total", "climateledger_tree_size", "climateledger_log_entries", "climateledger_log_up",
		"climateledger_applier_lag_entries", "climateledger_applier_lag_seconds", "climateledger_gate_in_flight",
		"climateledger_applier_queue_entries", "climateledger_publish_errors_total", "climateledger_applier_running",
		"climateledger_applier_restarts_total", "climateledger_log_batches_total", "climateledger_log_batched_entries_total",
		"climateledger_log_batch_fallbacks_total", "climateledger_witnessed_tree_size", "climateledger_witness_cosigned_size",
		"climateledger_witness_failures", "climateledger_sse_subscribers", "climateledger_http_requests_total"}
	if err := testutil.GatherAndCompare(s.metrics.Registry(), strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	// Two receipts were timed; the checkpoint is fresh.
	mfs, err := s.metrics.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		switch mf.GetName() {
		case "climateledger_receipt_seconds":
			if c := mf.GetMetric()[0].GetHistogram().GetSampleCount(); c != 2 {
				t.Fatalf("receipt latency samples %d, want 2", c)
			}
		case "climateledger_checkpoint_age_seconds":
			if age := mf.GetMetric()[0].GetGauge().GetValue(); age < 0 || age > 60 {
				t.Fatalf("checkpoint age %v s, want between 0 and 60", age)
			}
		}
	}

	// The request log: one line per request with its route, status and code, and
	// never a body.
	type req struct{ method, path, route, code string }
	wantLines := map[req]int{
		{"GET", "/healthz", "GET /healthz", ""}:                                              200,
		{"GET", "/readyz", "GET /readyz", ""}:                                                200,
		{"POST", "/v1/events", "POST /v1/events", ""}:                                        0, // 201 and 200
		{"POST", "/v1/events", "POST /v1/events", "malformed_envelope"}:                      400,
		{"GET", "/v1/events/01HZZZZZZZZZZZZZZZZZZZZZZZ", "GET /v1/events/{id}", "not_found"}: 404,
		{"GET", "/v1/subscribe", "GET /v1/subscribe", ""}:                                    200,
	}
	text := s.log.String()
	seen := map[req][]int{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var l logLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Msg != "http request" || l.Route == "GET /metrics" {
			continue
		}
		k := req{l.Method, l.Path, l.Route, l.Code}
		if _, ok := wantLines[k]; !ok {
			t.Fatalf("unexpected request log line %s", line)
		}
		if l.Duration < 0 {
			t.Fatalf("negative duration in %s", line)
		}
		seen[k] = append(seen[k], l.Status)
	}
	for k, status := range wantLines {
		got := seen[k]
		switch {
		case status == 0 && (len(got) != 2 || got[0] != 201 || got[1] != 200):
			t.Fatalf("request log for %+v: statuses %v, want [201 200]", k, got)
		case status != 0 && (len(got) != 1 || got[0] != status):
			t.Fatalf("request log for %+v: statuses %v, want [%d]", k, got, status)
		}
	}
	var env struct {
		Payload    string `json:"payload"`
		Signatures []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(enrolment, &env); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, env.Payload[:40]) || strings.Contains(text, env.Signatures[0].Sig[:40]) || strings.Contains(text, `"payload": 1`) {
		t.Fatalf("the request log holds a body:\n%s", text)
	}
}

// value returns the value of the single gauge or counter named name.
func value(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			mt := mf.GetMetric()[0]
			if g := mt.GetGauge(); g != nil {
				return g.GetValue()
			}
			return mt.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failingProjector fails every group while fail is set.
type failingProjector struct{ fail atomic.Bool }

func (p *failingProjector) Apply(b *pebble.Batch, a *ledger.Applied) error {
	if p.fail.Load() {
		return errors.New("injected projector failure")
	}
	return nil
}

func (p *failingProjector) Committed([]*ledger.Applied) {}

func TestReadyzNamesTheFailedCheck(t *testing.T) {
	proj := &failingProjector{}
	node, n := ledgertest.Open(t, "", proj)
	s := startOps(t, node, nil, nil)
	proj.fail.Store(true)
	n.Enroll("us-ca", "California", "", "US", "state")
	if st, _, p := post(t, s.url, n.Entries[len(n.Entries)-1]); st != 503 || p.Code != httpapi.CodeIntegrationPending {
		t.Fatalf("submit while the applier fails: %d %+v, want 503 integration_pending", st, p)
	}
	status, _, body := get(t, s.url+"/readyz")
	var rd ledger.Readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatal(err)
	}
	if status != 503 || rd.Ready || !slices.Equal(rd.Failed(), []string{"applier"}) || !strings.HasPrefix(rd.Checks[1].Detail, "stopped ") {
		t.Fatalf("GET /readyz = %d %s, want 503 naming the stopped applier", status, body)
	}
	if got := value(t, s.metrics, "climateledger_applier_running"); got != 0 {
		t.Fatalf("applier_running = %v while stopped, want 0", got)
	}
	// Once the failure clears, the node recovers by itself.
	proj.fail.Store(false)
	waitFor(t, "GET /readyz to answer 200", func() bool {
		status, _, _ := get(t, s.url+"/readyz")
		return status == 200
	})
	if node.Applied() != 2 || value(t, s.metrics, "climateledger_applier_running") != 1 || value(t, s.metrics, "climateledger_applier_restarts_total") < 1 {
		t.Fatalf("after the recovery: applied %d, running %v, restarts %v; want 2, 1, at least 1", node.Applied(),
			value(t, s.metrics, "climateledger_applier_running"), value(t, s.metrics, "climateledger_applier_restarts_total"))
	}
}
