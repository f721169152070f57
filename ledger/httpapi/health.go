package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/metrics"
)

// Health serves the probes of a node: GET /healthz (the process is up and serving
// HTTP: always 200) and GET /readyz (200 when every readiness check passes, else
// 503; the body is a ledger.Readiness naming each check and why it failed).
type Health struct {
	Node *ledger.Node
}

// HealthResponse is the body of GET /healthz.
type HealthResponse struct {
	Status string `json:"status"` // "ok"
}

// Routes registers GET /healthz and GET /readyz on mux.
func (h *Health) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("GET /readyz", h.readyz)
}

func (h *Health) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, HealthResponse{Status: "ok"})
}

func (h *Health) readyz(w http.ResponseWriter, r *http.Request) {
	rd := h.Node.Ready(r.Context())
	status := http.StatusOK
	if !rd.Ready {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "2")
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, status, rd)
}

// RouteSubmit and RouteSubscribe are the route patterns the observer treats apart:
// submissions are counted by outcome, subscriptions by open connections.
const (
	RouteSubmit    = "POST /v1/events"
	RouteSubscribe = "GET /v1/subscribe"
)

// Observe serves every request with next (mux when nil) and logs it in one line and
// counts it in m (when not nil): method, path, route pattern (looked up in mux),
// status, the problem code of a refusal, bytes written and latency. It never logs a
// header, a query or a body. Submissions (POST /v1/events) are also counted by
// outcome with their receipt latency, and open GET /v1/subscribe connections are
// gauged. Put it outermost, so that what wrappers of mux refuse is seen too.
func Observe(mux *http.ServeMux, next http.Handler, lg *slog.Logger, m *metrics.Metrics) http.Handler {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	if next == nil {
		next = mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		if route == RouteSubscribe && m != nil {
			m.SSE(1)
			defer m.SSE(-1)
		}
		rw := &observedWriter{ResponseWriter: w}
		next.ServeHTTP(rw, r)
		if rw.status == 0 {
			rw.status = http.StatusOK
		}
		d := time.Since(start)
		code := rw.problemCode()
		if m != nil {
			m.Request(route, rw.status)
			if route == RouteSubmit {
				m.Submission(metrics.TransportHTTP, outcome(rw.status, code), d)
			}
		}
		level := slog.LevelInfo
		if rw.status >= 500 {
			level = slog.LevelWarn
		}
		lg.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
			slog.Int("status", rw.status), slog.String("code", code), slog.Int64("bytes", rw.bytes),
			slog.Float64("duration_ms", float64(d.Microseconds())/1000))
	})
}

// outcome is the metrics label of a submission's answer.
func outcome(status int, code string) string {
	switch {
	case status == http.StatusCreated:
		return metrics.OutcomeRecorded
	case status == http.StatusOK:
		return metrics.OutcomeAlreadyRecorded
	case code != "":
		return code
	}
	return "status_" + http.StatusText(status)
}

// maxProblemCapture bounds the bytes of a problem document kept to read its code.
const maxProblemCapture = 8 << 10

// observedWriter records the status, the bytes written and, for a problem+json
// answer, the start of the body (to read its code).
type observedWriter struct {
	http.ResponseWriter
	status  int
	bytes   int64
	problem *bytes.Buffer // non-nil for a problem+json answer
}

func (w *observedWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			w.problem = new(bytes.Buffer)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *observedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.problem != nil && w.problem.Len() < maxProblemCapture {
		w.problem.Write(b[:min(len(b), maxProblemCapture-w.problem.Len())])
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets server-sent events through the wrapper.
func (w *observedWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *observedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// problemCode returns the code of the problem document written, or "".
func (w *observedWriter) problemCode() string {
	if w.problem == nil {
		return ""
	}
	var p struct {
		Code string `json:"code"`
	}
	if json.Unmarshal(w.problem.Bytes(), &p) != nil {
		return ""
	}
	return p.Code
}

// observeNATS counts a submission answered over NATS.
func observeNATS(m *metrics.Metrics, reply *NATSReply, start time.Time) {
	if m == nil {
		return
	}
	code := ""
	if reply.Problem != nil {
		code = reply.Problem.Code
	}
	m.Submission(metrics.TransportNATS, outcome(reply.Status, code), time.Since(start))
}
