package main

import (
	"log/slog"
	"net/http"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/metrics"
	"github.com/climateledger/climateledger/ledger/witness"
)

// ops is what a node offers its operators: the health probes, the Prometheus
// metrics and the request log (docs/OPERATIONS.md).
type ops struct {
	metrics *metrics.Metrics
	lg      *slog.Logger
}

// startOps registers GET /healthz, /readyz and /metrics on mux.
func startOps(mux *http.ServeMux, node *ledger.Node, ws *witnessing, lg *slog.Logger) *ops {
	cfg := metrics.Config{Node: node}
	if ws != nil {
		cfg.Witnesses = func() []witness.WitnessStatus { return ws.api.Collector.Status() }
	}
	o := &ops{metrics: metrics.New(cfg), lg: lg.With("component", "http")}
	(&httpapi.Health{Node: node}).Routes(mux)
	mux.Handle("GET /metrics", o.metrics.Handler())
	return o
}

// handler wraps mux with the request log and the request metrics.
func (o *ops) handler(mux *http.ServeMux) http.Handler {
	return httpapi.Observe(mux, o.lg, o.metrics)
}
