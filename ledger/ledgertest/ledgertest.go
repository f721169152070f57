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
)

// Open starts a node on dir (t.TempDir() when ""), closed when the test ends, and
// returns it with a network adopted from its genesis.
func Open(t testing.TB, dir string, projectors ...ledger.Projector) (*ledger.Node, *eventtest.Network) {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	node, err := ledger.Open(ctx, ledger.Config{DataDir: dir, Projectors: projectors})
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
