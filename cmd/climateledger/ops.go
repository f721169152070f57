package main

import (
	"flag"

	"github.com/prometheus/client_golang/prometheus"

	"log/slog"
	"net/http"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/metrics"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/witness"
)

// ops is what a node offers its operators: the health probes, the Prometheus
// metrics and the request log (docs/OPERATIONS.md).
type ops struct {
	metrics *metrics.Metrics
	lg      *slog.Logger
}

// startOps registers GET /healthz, /readyz and /metrics on mux. The metrics include
// the witnesses' state (ws may be nil) and the edge's rate limits (lim may be nil).
func startOps(mux *http.ServeMux, node *ledger.Node, ws *witnessing, lim *httpapi.Limiter, lg *slog.Logger) *ops {
	cfg := metrics.Config{Node: node}
	if ws != nil {
		cfg.Witnesses = func() []witness.WitnessStatus { return ws.api.Collector.Status() }
	}
	o := &ops{metrics: metrics.New(cfg), lg: lg.With("component", "http")}
	reg := o.metrics.Registry()
	for _, reason := range httpapi.LimitReasons {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "climateledger_http_rate_limited_total",
			Help: "Requests answered 429 rate_limited, by the limit they crossed.", ConstLabels: prometheus.Labels{"limit": reason}},
			func() float64 { return float64(lim.Limited(reason)) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "climateledger_rate_limit_tracked_addrs",
		Help: "Client addresses with a rate budget in memory."}, func() float64 { return float64(lim.Stats().TrackedAddrs) }))
	(&httpapi.Health{Node: node}).Routes(mux)
	mux.Handle("GET /metrics", o.metrics.Handler())
	return o
}

// handler serves next (mux when nil; a wrapper of mux such as the edge's limits)
// behind the request log and the request metrics, outermost so that every answer is
// seen.
func (o *ops) handler(mux *http.ServeMux, next http.Handler) http.Handler {
	return httpapi.Observe(mux, next, o.lg, o.metrics)
}

// opsFlags are serve's operational flags: timeouts and the readiness bound.
type opsFlags struct {
	natsTimeout        time.Duration
	integrationTimeout time.Duration
	readyMaxLag        time.Duration
	maxBatch, minBatch int
}

func (o *opsFlags) define(fs *flag.FlagSet) {
	fs.DurationVar(&o.natsTimeout, "nats-timeout", time.Second, "bound on each NATS/JetStream request: a publish to a stream leader that died is sent again after it")
	fs.DurationVar(&o.integrationTimeout, "integration-timeout", 5*time.Second, "how long a submission waits for its receipt before answering 503 integration_pending")
	fs.DurationVar(&o.readyMaxLag, "ready-max-lag", 10*time.Second, "GET /readyz fails when the oldest entry not yet integrated has waited longer")
	fs.IntVar(&o.maxBatch, "group-commit", natslog.DefaultMaxBatch, "group commit: at most this many waiting appends to different chains share one atomic batch and one fsync (1: off)")
	fs.IntVar(&o.minBatch, "group-commit-min", natslog.DefaultMinBatch, "fewer waiting appends than this are published one by one (an atomic batch has a fixed cost)")
}

func (o *opsFlags) apply(c *serveConfig) {
	c.nats.RequestTimeout = o.natsTimeout
	c.nats.MaxBatch = o.maxBatch
	c.nats.MinBatch = o.minBatch
}
