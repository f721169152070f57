// Package metrics exposes a node's Prometheus metrics (text exposition format,
// github.com/prometheus/client_golang): the outcome and latency of submissions, the
// applier's distance from the stream, the tree, the checkpoint, the witnesses, and the
// stores' faults. Metrics read at scrape time come from ledger.Node.Stats (no I/O)
// and ledger.Node.Lag (one stream info request and at most one message read, each
// bounded by 2 s).
//
// Every metric is named climateledger_*; docs/OPERATIONS.md lists them with the
// alerts worth setting.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/witness"
)

// Outcome labels of a submission that was not refused; refusals carry their problem
// code (docs/SPEC.md §8).
const (
	OutcomeRecorded        = "recorded"         // 201: appended and integrated
	OutcomeAlreadyRecorded = "already_recorded" // 200: the same event was in the log
)

// Transports label where a submission came from.
const (
	TransportHTTP = "http"
	TransportNATS = "nats"
)

// ReceiptBuckets are the receipt latency histogram's upper bounds, in seconds: from a
// group commit on a fast disk to the integration timeout.
var ReceiptBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Config configures New.
type Config struct {
	// Node is the node whose state is exported. Required.
	Node *ledger.Node
	// Witnesses returns the witness collector's view of each witness; nil when the
	// node has no witnesses.
	Witnesses func() []witness.WitnessStatus
	// Now is the clock for ages; default time.Now.
	Now func() time.Time
	// NoProcess leaves out the Go runtime and process collectors (tests that compare
	// exact output).
	NoProcess bool
}

// Metrics holds a node's metrics and their registry. Its methods are safe for
// concurrent use.
type Metrics struct {
	reg         *prometheus.Registry
	submissions *prometheus.CounterVec
	receipt     *prometheus.HistogramVec
	requests    *prometheus.CounterVec
	sse         prometheus.Gauge
}

// New registers the node's metrics on a new registry.
func New(cfg Config) *Metrics {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "climateledger_submissions_total",
			Help: "Submissions by transport and outcome: recorded, already_recorded, or the problem code of the refusal.",
		}, []string{"transport", "outcome"}),
		receipt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "climateledger_receipt_seconds",
			Help:    "Time from a submission's arrival to its receipt (recorded or already recorded), by transport.",
			Buckets: ReceiptBuckets,
		}, []string{"transport"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "climateledger_http_requests_total",
			Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		sse: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "climateledger_sse_subscribers",
			Help: "Open GET /v1/subscribe (server-sent events) connections.",
		}),
	}
	m.reg.MustRegister(m.submissions, m.receipt, m.requests, m.sse, &nodeCollector{cfg: cfg})
	if !cfg.NoProcess {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry returns the registry, for other parts of the node to add their metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Submission counts one submission with its outcome (OutcomeRecorded,
// OutcomeAlreadyRecorded or a problem code) and, when it got a receipt, observes
// its latency.
func (m *Metrics) Submission(transport, outcome string, d time.Duration) {
	m.submissions.WithLabelValues(transport, outcome).Inc()
	if outcome == OutcomeRecorded || outcome == OutcomeAlreadyRecorded {
		m.receipt.WithLabelValues(transport).Observe(d.Seconds())
	}
}

// Request counts one HTTP request by its route pattern ("" when no route matched)
// and status.
func (m *Metrics) Request(route string, status int) {
	if route == "" {
		route = "none"
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
}

// SSE adds delta to the open server-sent-event connections.
func (m *Metrics) SSE(delta int) { m.sse.Add(float64(delta)) }

// nodeCollector reads the node's state at scrape time.
type nodeCollector struct {
	cfg Config
}

var (
	descTreeSize        = prometheus.NewDesc("climateledger_tree_size", "Entries integrated: the size of the newest signed checkpoint.", nil, nil)
	descLogEntries      = prometheus.NewDesc("climateledger_log_entries", "Entries in the stream (its last sequence), as its leader reports it.", nil, nil)
	descLagEntries      = prometheus.NewDesc("climateledger_applier_lag_entries", "Entries in the stream not yet integrated by this node.", nil, nil)
	descLagSeconds      = prometheus.NewDesc("climateledger_applier_lag_seconds", "How long the oldest entry not yet integrated has been in the stream (0 when caught up).", nil, nil)
	descLogUp           = prometheus.NewDesc("climateledger_log_up", "1 when the stream answered the scrape's status request, else 0.", nil, nil)
	descCheckpointAge   = prometheus.NewDesc("climateledger_checkpoint_age_seconds", "Seconds since the newest checkpoint was signed.", nil, nil)
	descGateInFlight    = prometheus.NewDesc("climateledger_gate_in_flight", "Submissions being handled by the gate now.", nil, nil)
	descApplierQueue    = prometheus.NewDesc("climateledger_applier_queue_entries", "Entries read from the stream and not yet integrated.", nil, nil)
	descPublishErrors   = prometheus.NewDesc("climateledger_publish_errors_total", "Appends to the stream that failed (each attempt, retries included).", nil, nil)
	descApplierUp       = prometheus.NewDesc("climateledger_applier_running", "1 while the applier runs, 0 while it is stopped on an error and retrying.", nil, nil)
	descApplierRestarts = prometheus.NewDesc("climateledger_applier_restarts_total", "Applier restarts after an error.", nil, nil)
	descBatches         = prometheus.NewDesc("climateledger_log_batches_total", "Atomic batches stored by group commit (each one fsync).", nil, nil)
	descBatchedEntries  = prometheus.NewDesc("climateledger_log_batched_entries_total", "Entries stored in those batches (divided by the batches: the mean batch size).", nil, nil)
	descBatchFallbacks  = prometheus.NewDesc("climateledger_log_batch_fallbacks_total", "Batches refused or unacknowledged whose entries were then sent one by one.", nil, nil)
	descWitnessedSize   = prometheus.NewDesc("climateledger_witnessed_tree_size", "Size of the newest checkpoint cosigned by a quorum of witnesses (0: none).", nil, nil)
	descWitnessSize     = prometheus.NewDesc("climateledger_witness_cosigned_size", "Largest tree size the witness cosigned for this node.", []string{"witness"}, nil)
	descWitnessFailures = prometheus.NewDesc("climateledger_witness_failures", "Consecutive failed requests to the witness (0 after a success).", []string{"witness"}, nil)
	descWitnessLast     = prometheus.NewDesc("climateledger_witness_last_cosigned_timestamp_seconds", "When the witness last cosigned (Unix seconds; 0: never).", []string{"witness"}, nil)
)

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descTreeSize, descLogEntries, descLagEntries, descLagSeconds, descLogUp,
		descCheckpointAge, descGateInFlight, descApplierQueue, descPublishErrors, descApplierUp, descApplierRestarts,
		descBatches, descBatchedEntries, descBatchFallbacks, descWitnessedSize, descWitnessSize, descWitnessFailures, descWitnessLast} {
		ch <- d
	}
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.cfg.Node
	s := n.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descTreeSize, float64(s.Applied))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if lag, err := n.Lag(ctx); err == nil {
		gauge(descLogUp, 1)
		gauge(descLogEntries, float64(lag.Stream))
		gauge(descLagEntries, float64(lag.Entries()))
		gauge(descLagSeconds, lag.Wait.Seconds())
	} else {
		gauge(descLogUp, 0)
	}
	if !s.CheckpointTime.IsZero() {
		gauge(descCheckpointAge, max(c.cfg.Now().Sub(s.CheckpointTime).Seconds(), 0))
	}
	gauge(descGateInFlight, float64(s.Submissions))
	gauge(descApplierQueue, float64(s.ApplierQueue))
	ch <- prometheus.MustNewConstMetric(descPublishErrors, prometheus.CounterValue, float64(s.PublishErrors))
	running := 0.0
	if s.ApplierRunning {
		running = 1
	}
	gauge(descApplierUp, running)
	ch <- prometheus.MustNewConstMetric(descApplierRestarts, prometheus.CounterValue, float64(s.ApplierRestarts))
	gc := n.Log().GroupCommitStats()
	ch <- prometheus.MustNewConstMetric(descBatches, prometheus.CounterValue, float64(gc.Batches))
	ch <- prometheus.MustNewConstMetric(descBatchedEntries, prometheus.CounterValue, float64(gc.Entries))
	ch <- prometheus.MustNewConstMetric(descBatchFallbacks, prometheus.CounterValue, float64(gc.Fallbacks))
	if c.cfg.Witnesses == nil {
		return
	}
	gauge(descWitnessedSize, float64(s.Witnessed))
	for _, w := range c.cfg.Witnesses() {
		name := w.Name
		gauge(descWitnessSize, float64(w.CosignedSize), name)
		gauge(descWitnessFailures, float64(w.Failures), name)
		last := 0.0
		if !w.LastCosigned.IsZero() {
			last = float64(w.LastCosigned.UnixNano()) / 1e9
		}
		gauge(descWitnessLast, last, name)
	}
}
