package httpapi

import (
	"net/http"
	"strings"
)

// EdgeConfig configures Edge.
type EdgeConfig struct {
	// Limiter, when not nil, applies its per-address limits (give the same Limiter to
	// Handler.Limiter for the per-party one).
	Limiter *Limiter
	// HSTS adds Strict-Transport-Security to every answer: set it when the node
	// serves HTTPS.
	HSTS bool
}

// HSTSValue is the Strict-Transport-Security header sent when EdgeConfig.HSTS is set
// (one year; subdomains are the operator's to decide).
const HSTSValue = "max-age=31536000"

// Edge wraps a node's whole HTTP handler (its mux, with the ledger's, the views' and
// the dashboard's routes) in the edge's conventions: a 404 or 405 that a handler or
// the mux answers as plain text becomes a problem+json (not_found, method_not_allowed
// with the Allow header), the per-address limits apply (429 rate_limited with
// Retry-After), and HSTS is sent when the node serves HTTPS.
func Edge(h http.Handler, cfg EdgeConfig) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.HSTS {
			w.Header().Set("Strict-Transport-Security", HSTSValue)
		}
		h.ServeHTTP(&problemWriter{ResponseWriter: w, r: r}, r)
	})
	if cfg.Limiter != nil {
		return cfg.Limiter.wrap(inner)
	}
	return inner
}

// problemWriter turns a 404 or 405 written as anything but problem+json into the
// problem document, and drops the plain-text body that follows.
type problemWriter struct {
	http.ResponseWriter
	r           *http.Request
	wroteHeader bool
	swallow     bool
}

func (w *problemWriter) WriteHeader(code int) {
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wroteHeader = true
	h := w.Header()
	if (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		w.swallow = true
		h.Del("Content-Length")
		if code == http.StatusNotFound {
			WriteProblem(w.ResponseWriter, newProblem(code, CodeNotFound, "there is no resource at this path (the API is described at /v1/openapi.json)", nil))
			return
		}
		allow := h.Get("Allow")
		WriteProblem(w.ResponseWriter, newProblem(code, CodeMethodNotAllowed, "method "+w.r.Method+" is not allowed on this path; allowed: "+allow, nil))
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *problemWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes and deadlines
// of the event stream).
func (w *problemWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
