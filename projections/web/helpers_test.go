package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync/atomic"
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
	Server *httptest.Server
	Node   *ledger.Node
	KeyDir string
	// WitnessDown holds, per party holding a witness, whether its witness answers
	// every request with 503; set it to take a witness down or bring it back.
	WitnessDown map[string]*atomic.Bool
}

// demoWitnesses are the parties holding the demo's witnesses, as in `climateledger
// serve --demo`: Los Angeles and Shenzhen.
var demoWitnesses = []string{"uslax", "cnszx"}

// demoConfig says how to run a demo server.
type demoConfig struct {
	// wrap, when set, wraps the server's handler.
	wrap func(http.Handler) http.Handler
	// witnesses are the parties holding a witness, named
	// "<party>.witness.climateledger.local" and all needed for the quorum; none means
	// a node without witnesses. down are those among them that start down (see
	// demoServer.WitnessDown).
	witnesses, down []string
	// empty leaves the log with its genesis alone (no demo network).
	empty bool
}

// startDemo starts a demo server with the demo's two witnesses.
func startDemo(t testing.TB) *demoServer {
	return startDemoWith(t, demoConfig{witnesses: demoWitnesses})
}

func startDemoWith(t testing.TB, cfg demoConfig) *demoServer {
	t.Helper()
	views, err := projections.New(projections.Config{})
	if err != nil {
		t.Fatal(err)
	}
	node, _ := ledgertest.Open(t, "", views)
	ws, down := startWitnessing(t, node, cfg.witnesses, cfg.down)
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node, Witnesses: ws}).Routes(mux)
	views.Routes(mux)
	web.Routes(mux)
	var h http.Handler = mux
	if cfg.wrap != nil {
		h = cfg.wrap(mux)
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
	if cfg.empty {
		return &demoServer{URL: srv.URL, Server: srv, Node: node, KeyDir: keyDir, WitnessDown: down}
	}
	sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
	defer scancel()
	sum, err := demo.Seed(sctx, node, demo.Config{KeyDir: keyDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	return &demoServer{URL: srv.URL, Server: srv, Node: node, KeyDir: keyDir, WitnessDown: down}
}

// startWitnessing runs a real witness for each of parties (ledgertest.NewWitness),
// and the node's witnessing with all of them in the quorum, as `serve --demo` does.
// It returns them for the HTTP API, and a switch per party that makes its server
// answer 503 (on for those in down); nil, nil when parties is empty.
func startWitnessing(t testing.TB, node *ledger.Node, parties, down []string) (*httpapi.Witnesses, map[string]*atomic.Bool) {
	t.Helper()
	if len(parties) == 0 {
		return nil, nil
	}
	switches := map[string]*atomic.Bool{}
	var eps []httpapi.WitnessEndpoint
	for _, party := range parties {
		off := new(atomic.Bool)
		off.Store(slices.Contains(down, party))
		switches[party] = off
		w, srv := ledgertest.NewWitness(t, node, party+".witness.climateledger.local", func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if off.Load() {
					http.Error(rw, "down for the test", http.StatusServiceUnavailable)
					return
				}
				h.ServeHTTP(rw, r)
			})
		})
		eps = append(eps, httpapi.WitnessEndpoint{URL: srv.URL, VerifierKey: w.VerifierKey()})
	}
	return ledgertest.RunWitnessing(t, node, eps, 0), switches
}
