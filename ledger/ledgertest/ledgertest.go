// Package ledgertest starts real ledger nodes for tests: an embedded nats-server with
// JetStream on a temporary directory, Pebble on disk, and a test network (eventtest)
// that continues the node's genesis.
package ledgertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// Open starts a node on dir (t.TempDir() when ""), closed when the test ends, and
// returns it with a network adopted from its genesis.
func Open(t testing.TB, dir string, projectors ...ledger.Projector) (*ledger.Node, *eventtest.Network) {
	t.Helper()
	return OpenConfig(t, ledger.Config{DataDir: dir, Projectors: projectors})
}

// OpenConfig is Open with a whole node configuration (DataDir: t.TempDir() when "").
func OpenConfig(t testing.TB, cfg ledger.Config) (*ledger.Node, *eventtest.Network) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node, err := ledger.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("ledger.Open: %v", err)
	}
	t.Cleanup(func() { node.Close() })
	genesis, err := node.Log().Entry(ctx, 1)
	if err != nil {
		t.Fatalf("read genesis: %v", err)
	}
	net, err := eventtest.Adopt(t.Name(), node.Keys().Registrar, genesis)
	if err != nil {
		t.Fatal(err)
	}
	// Events of the network all carry the time the node opened (whole seconds), so
	// that events made later with time.Now never go backwards against them.
	net.Now = time.Now().UTC().Truncate(time.Second)
	net.Step = 0
	return node, net
}

// Serve serves the node's ledger endpoints on a test HTTP server.
func Serve(t testing.TB, node *ledger.Node) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// Entries reads every entry of the node's log, in order.
func Entries(t testing.TB, node *ledger.Node) [][]byte {
	t.Helper()
	var out [][]byte
	err := node.Log().Read(context.Background(), 1, func(seq uint64, entry []byte) error {
		out = append(out, append([]byte(nil), entry...))
		return nil
	})
	if err != nil {
		t.Fatalf("read log: %v", err)
	}
	return out
}

// WitnessSet is a set of real witnesses (ledger/witness, each with its own key and
// state in a temporary directory, served over HTTP) cosigning a node's checkpoints.
type WitnessSet struct {
	// API is the node's witnessing, running until the test ends; pass it to
	// httpapi.Handler.Witnesses.
	API *httpapi.Witnesses
	// Witnesses and Servers are the witnesses and their HTTP servers, in order.
	Witnesses []*witness.Witness
	Servers   []*httptest.Server
}

// StartWitnesses starts one witness per name, each following node's log, and runs
// the node's witnessing with them and quorum (0: all).
func StartWitnesses(t testing.TB, node *ledger.Node, quorum int, names ...string) *WitnessSet {
	t.Helper()
	ws := &WitnessSet{}
	var eps []httpapi.WitnessEndpoint
	for _, name := range names {
		w, srv := NewWitness(t, node, name, nil)
		ws.Witnesses = append(ws.Witnesses, w)
		ws.Servers = append(ws.Servers, srv)
		eps = append(eps, httpapi.WitnessEndpoint{URL: srv.URL, VerifierKey: w.VerifierKey()})
	}
	ws.API = RunWitnessing(t, node, eps, quorum)
	return ws
}

// NewWitness opens a witness called name that follows node's log, in a temporary
// directory, served on a test HTTP server through wrap (when not nil); both are
// closed when the test ends.
func NewWitness(t testing.TB, node *ledger.Node, name string, wrap func(http.Handler) http.Handler) (*witness.Witness, *httptest.Server) {
	t.Helper()
	w, err := witness.Open(witness.Config{Dir: t.TempDir(), Name: name, Logs: []note.Verifier{node.Keys().LogVerifier}})
	if err != nil {
		t.Fatalf("witness.Open(%s): %v", name, err)
	}
	h := w.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); w.Close() })
	return w, srv
}

// RunWitnessing runs the node's witnessing with the given witnesses (which may be
// unreachable) until the test ends. Requests time out after 2s.
func RunWitnessing(t testing.TB, node *ledger.Node, eps []httpapi.WitnessEndpoint, quorum int) *httpapi.Witnesses {
	t.Helper()
	api, err := httpapi.NewWitnesses(node, eps, quorum, 2*time.Second, nil)
	if err != nil {
		t.Fatalf("httpapi.NewWitnesses: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); api.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return api
}
