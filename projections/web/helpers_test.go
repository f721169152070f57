package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/projections"
	"github.com/climateledger/climateledger/projections/web"
)

// demoServer is a real node with the projections and the demo network, served with
// the ledger's endpoints, the read API and the dashboard, as `climateledger serve
// --demo` serves them.
type demoServer struct {
	URL    string
	Node   *ledger.Node
	KeyDir string
}

func startDemo(t testing.TB) *demoServer { return startDemoWith(t, nil) }

// startDemoWith is startDemo with the handler wrapped by wrap (when not nil).
func startDemoWith(t testing.TB, wrap func(http.Handler) http.Handler) *demoServer {
	t.Helper()
	views, err := projections.New(projections.Config{})
	if err != nil {
		t.Fatal(err)
	}
	node, _ := ledgertest.Open(t, "", views)
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	views.Routes(mux)
	web.Routes(mux)
	var h http.Handler = mux
	if wrap != nil {
		h = wrap(mux)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// Cleanups run last-first: ending the views' context ends the SSE streams, so
	// that srv.Close does not wait for them.
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := views.Attach(ctx, node); err != nil {
		t.Fatal(err)
	}
	keyDir := filepath.Join(t.TempDir(), demo.KeyDirName)
	sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
	defer scancel()
	sum, err := demo.Seed(sctx, node, demo.Config{KeyDir: keyDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	return &demoServer{URL: srv.URL, Node: node, KeyDir: keyDir}
}
