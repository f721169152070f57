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

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/witness"
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
	sctx, scancel := context.WithTimeout(ctx, 60*time.Second)
	defer scancel()
	sum, err := demo.Seed(sctx, node, demo.Config{KeyDir: keyDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	return &demoServer{URL: srv.URL, Node: node, KeyDir: keyDir, WitnessDown: down}
}

// startWitnessing runs a real witness for each of parties, each served by its own
// HTTP server, and a collector that asks all of them to cosign node's checkpoints with
// a quorum of all, as cmd/climateledger's startWitnessing does. It returns them for
// the HTTP API, and a switch per party that makes its server answer 503 (on for those
// in down); nil, nil when parties is empty. Everything stops in Cleanup.
func startWitnessing(t testing.TB, node *ledger.Node, parties, down []string) (*httpapi.Witnesses, map[string]*atomic.Bool) {
	t.Helper()
	if len(parties) == 0 {
		return nil, nil
	}
	var (
		clients   []*witness.Client
		verifiers []note.Verifier
		keys      []string
		switches  = map[string]*atomic.Bool{}
	)
	for _, party := range parties {
		w, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: party + ".witness.climateledger.local",
			Logs: []note.Verifier{node.Keys().LogVerifier}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		off := new(atomic.Bool)
		off.Store(slices.Contains(down, party))
		switches[party] = off
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if off.Load() {
				http.Error(rw, "down for the test", http.StatusServiceUnavailable)
				return
			}
			w.Handler().ServeHTTP(rw, r)
		}))
		t.Cleanup(srv.Close)
		v, err := witness.ParseVerifierKey(w.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, &witness.Client{URL: srv.URL, Verifier: v, HTTP: srv.Client()})
		verifiers = append(verifiers, v)
		keys = append(keys, w.VerifierKey())
	}
	policy, err := witness.NewPolicy(node.Keys().LogVerifier, verifiers, len(parties))
	if err != nil {
		t.Fatal(err)
	}
	col, err := witness.NewCollector(witness.CollectorConfig{Witnesses: clients, Quorum: len(parties), Source: node, Witnessed: node.SetWitnessed})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := col.Run(ctx); err != nil && ctx.Err() == nil {
			t.Errorf("witness collector stopped: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return &httpapi.Witnesses{Policy: policy, Keys: keys, Collector: col}, switches
}
