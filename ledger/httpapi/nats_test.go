package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

func TestSubmitOverNATS(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	stop, err := httpapi.ServeNATS(node.Log().Conn(), node, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	nc := node.Log().Conn()
	request := func(body []byte) httpapi.NATSReply {
		t.Helper()
		msg, err := nc.Request(httpapi.SubjectSubmit, body, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var r httpapi.NATSReply
		if err := json.Unmarshal(msg.Data, &r); err != nil {
			t.Fatalf("reply: %v: %s", err, msg.Data)
		}
		return r
	}
	n.Enroll("us-ca", "California", "", "US", "state")
	enrolment := n.Entries[len(n.Entries)-1]
	if r := request(enrolment); r.Status != http.StatusCreated || r.Receipt == nil || r.Receipt.Index != 1 {
		t.Fatalf("enrol over NATS: %+v, want 201 with a receipt at index 1", r)
	}
	if r := request(enrolment); r.Status != http.StatusOK || r.Receipt == nil || r.Receipt.Index != 1 {
		t.Fatalf("identical resubmission over NATS: %+v, want 200 with the original receipt", r)
	}
	bad := draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Seq += 2 })
	if r := request(bad); r.Status != http.StatusConflict || r.Problem == nil || r.Problem.Code != httpapi.CodeConflict || r.Problem.Head == nil || r.Problem.Head.Seq != 1 {
		t.Fatalf("conflict over NATS: %+v, want 409 %s with head seq 1", r, httpapi.CodeConflict)
	}
	if r := request([]byte("{")); r.Status != http.StatusBadRequest || r.Problem.Code != string(events.CodeMalformedEnvelope) {
		t.Fatalf("malformed over NATS: %+v", r)
	}
	// The latest checkpoint is served over NATS and verifies with the log key.
	msg, err := nc.Request(natslog.SubjectCheckpointLatest, nil, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := proof.OpenCheckpoint(msg.Data, node.Keys().LogVerifier)
	if err != nil || cp.Size != 2 {
		t.Fatalf("checkpoint over NATS: %+v, %v; want size 2", cp, err)
	}
}
