package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/metrics"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// Submission over NATS request-reply: a request on SubjectSubmit carries the same DSSE
// envelope as POST /v1/events; the reply is a NATSReply with the same status and codes.
const (
	SubjectSubmit = "ledger.submit"
	// QueueSubmit is the queue group, so that several nodes share the subject.
	QueueSubmit = "climateledger-gate"
)

// NATSReply is the reply to a submission over NATS: the HTTP status it would have had,
// and either the receipt or the problem.
type NATSReply struct {
	Status  int             `json:"status"`
	Receipt *ledger.Receipt `json:"receipt,omitempty"`
	Problem *Problem        `json:"problem,omitempty"`
}

// ServeNATS answers submissions on SubjectSubmit (queue QueueSubmit) and checkpoint
// requests on natslog.SubjectCheckpointLatest and SubjectCheckpointWitnessed until stop is called or the connection closes.
// Each submission is handled with a bound of timeout.
func ServeNATS(nc *nats.Conn, node *ledger.Node, timeout time.Duration) (stop func(), err error) {
	return ServeNATSObserved(nc, node, timeout, nil)
}

// ServeNATSObserved is ServeNATS that also counts each submission in obs (when not
// nil) by outcome, with its receipt latency.
func ServeNATSObserved(nc *nats.Conn, node *ledger.Node, timeout time.Duration, obs *metrics.Metrics) (stop func(), err error) {
	cp, err := nc.QueueSubscribe(natslog.SubjectCheckpointLatest, QueueSubmit, func(m *nats.Msg) {
		b, _ := node.Checkpoint()
		m.Respond(b)
	})
	if err != nil {
		return nil, err
	}
	wcp, err := nc.QueueSubscribe(natslog.SubjectCheckpointWitnessed, QueueSubmit, func(m *nats.Msg) {
		b, _ := node.Witnessed()
		m.Respond(b)
	})
	if err != nil {
		cp.Unsubscribe()
		return nil, err
	}
	sub, err := nc.QueueSubscribe(SubjectSubmit, QueueSubmit, func(m *nats.Msg) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		var reply NATSReply
		rc, recorded, err := node.Submit(ctx, m.Data)
		switch {
		case err != nil:
			reply.Problem = ProblemFor(err)
			reply.Status = reply.Problem.Status
		case recorded:
			reply.Status, reply.Receipt = http.StatusCreated, rc
		default:
			reply.Status, reply.Receipt = http.StatusOK, rc
		}
		observeNATS(obs, &reply, start)
		b, _ := jsonMarshal(reply)
		m.Respond(b)
	})
	if err != nil {
		cp.Unsubscribe()
		wcp.Unsubscribe()
		return nil, err
	}
	return func() { sub.Drain(); cp.Drain(); wcp.Drain() }, nil
}
