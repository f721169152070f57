package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/projections/projtest"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedNow is the clock of the views in tests (the inventories commitment).
var fixedNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// netStart is the time of the first event of test networks.
var netStart = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// env is a real node with views, its test network and an HTTP server with the
// ledger's and the views' routes.
type env struct {
	node  *ledger.Node
	views *Views
	net   *eventtest.Network
	srv   *httptest.Server
	// sent counts the network's entries already appended.
	sent int
}

func newViews(t testing.TB, cfg Config) *Views {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// start opens a node on a new directory with fresh views and serves both.
func start(t testing.TB, cfg Config) *env {
	t.Helper()
	v := newViews(t, cfg)
	node, net := ledgertest.Open(t, "", v)
	net.Now, net.Step = netStart, time.Second
	return serve(t, node, v, net)
}

func serve(t testing.TB, node *ledger.Node, v *Views, net *eventtest.Network) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := v.Attach(ctx, node); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	v.Routes(mux)
	(&httpapi.Handler{Node: node}).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{node: node, views: v, net: net, srv: srv}
	if net != nil {
		e.sent = len(net.Entries)
	}
	return e
}

// flush appends the network's new entries to the log and waits for them.
func (e *env) flush(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := projtest.AppendDirect(ctx, e.node, e.net.Entries[e.sent:]); err != nil {
		t.Fatal(err)
	}
	e.sent = len(e.net.Entries)
	e.settle(t)
}

// settle waits until the views have sent the notices of every applied entry (the
// node reports an entry applied just before the views' Committed runs).
func (e *env) settle(t testing.TB) {
	t.Helper()
	want := int64(e.node.Applied()) - 1
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		e.views.hub.mu.Lock()
		last := e.views.hub.last
		e.views.hub.mu.Unlock()
		if last >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("notices sent up to %d, want %d", last, want)
		}
	}
}

// get fetches path and returns the status and body.
func (e *env) get(t testing.TB, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// getJSON fetches path, wants 200, and decodes the body into v.
func (e *env) getJSON(t testing.TB, path string, v any) {
	t.Helper()
	status, b := e.get(t, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func (e *env) state(t testing.TB) State {
	t.Helper()
	s, err := e.views.State()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// golden compares got (JSON) with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", name, err, got)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (go test -run %s -update rewrites it):\n%s", name, t.Name(), lineDiff(string(want), buf.String()))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(want, got string) string {
	wl, gl := bytes.Split([]byte(want), []byte("\n")), bytes.Split([]byte(got), []byte("\n"))
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g []byte
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if !bytes.Equal(w, g) {
			return "line " + strconv.Itoa(i+1) + ":\n- " + string(w) + "\n+ " + string(g)
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func dec(s string) *events.Decimal { d := events.MustDecimal(s); return &d }
