package audit_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// TestServerSourceWaitsOutRateLimits: an audit over HTTP of a node behind tight
// per-address limits meets 429s and waits out their Retry-After instead of failing.
func TestServerSourceWaitsOutRateLimits(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	populate(t, node, n)
	lim, err := httpapi.NewLimiter(httpapi.Limits{RequestsPerAddr: 4, RequestsBurstPerAddr: 2})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	srv := httptest.NewServer(httpapi.Edge(mux, httpapi.EdgeConfig{Limiter: lim}))
	t.Cleanup(srv.Close)
	src, err := audit.NewServer(srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.PageSize = 2 // 8 entries: 5 pages and the checkpoint, over a burst of 2
	r, err := audit.Run(t.Context(), src, audit.Options{LogKey: node.Keys().LogVerifierKey})
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK || r.Entries != 8 {
		t.Fatalf("audit behind the limits: ok %v, %d entries, findings %v", r.OK, r.Entries, r.Findings)
	}
	if got := lim.Limited(httpapi.LimitRequestsAddr); got == 0 {
		t.Fatalf("the audit met no 429: the test does not test the wait")
	}
}
