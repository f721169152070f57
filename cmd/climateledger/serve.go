package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/projections/web"
)

func init() {
	register("serve", "run a node: embedded NATS (or --nats), Pebble, the HTTP API and the dashboard", cmdServe)
}

// serveConfig is the node configuration the serve flags produce.
type serveConfig struct {
	data, httpAddr, origin string
	nats                   natslog.Config
	demo                   bool
	logLevel               string
	witnesses              []httpapi.WitnessEndpoint
	witnessQuorum          int
	witnessTimeout         time.Duration
	ops                    opsFlags
	edge                   edgeConfig // clock window, TLS, limits (edge.go)
}

func serveFlags(e *env, args []string) (*serveConfig, error) {
	fs := newFlags(e, "serve", "[--data DIR] [--http ADDR] [--nats URL] [--demo] [--witness URL=VKEY …] [--witness-quorum K]")
	c := &serveConfig{}
	var witnesses stringList
	c.ops.define(fs)
	fs.StringVar(&c.data, "data", "./data", "data directory: keys/, nats/ (embedded JetStream), pebble/")
	fs.StringVar(&c.httpAddr, "http", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.origin, "origin", ledger.DefaultOrigin, "log origin (checkpoint key name); fixed at genesis")
	fs.BoolVar(&c.demo, "demo", false, "seed the demo network on an empty log")
	fs.StringVar(&c.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.nats.URL, "nats", "", "URL of an existing NATS JetStream (default: embedded server)")
	fs.StringVar(&c.nats.CredsFile, "nats-creds", "", "NATS credentials file (with --nats)")
	fs.StringVar(&c.nats.User, "nats-user", "", "NATS user (with --nats)")
	fs.StringVar(&c.nats.Password, "nats-password", "", "NATS password (with --nats)")
	fs.StringVar(&c.nats.TLSCA, "nats-ca", "", "CA file for NATS TLS")
	fs.StringVar(&c.nats.TLSCert, "nats-cert", "", "client certificate for NATS TLS")
	fs.StringVar(&c.nats.TLSKey, "nats-key", "", "client key for NATS TLS")
	fs.StringVar(&c.nats.ListenAddr, "nats-listen", "", "let other processes reach the embedded NATS at ADDR (loopback unless a host is given; password in DATA/keys/nats.password)")
	fs.IntVar(&c.nats.Replicas, "replicas", 0, "stream replicas when the node creates the stream, and the fewest it accepts (default: min(3, servers in the cluster), warning on 1 in a cluster)")
	fs.Var(&witnesses, "witness", "a witness to ask for cosignatures: URL=VKEY (the witness's verifier key or a file holding it); repeatable")
	fs.IntVar(&c.witnessQuorum, "witness-quorum", 0, "cosignatures a checkpoint needs to be served as witnessed (default: every --witness)")
	fs.DurationVar(&c.witnessTimeout, "witness-timeout", 5*time.Second, "bound on one request to one witness")
	addEdgeFlags(fs, &c.edge)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	c.ops.apply(c)
	if err := c.edge.validate(); err != nil {
		fs.Usage()
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	for _, w := range witnesses {
		wf, err := parseWitnessFlag(w)
		if err != nil {
			fs.Usage()
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		c.witnesses = append(c.witnesses, wf)
	}
	if c.witnessQuorum < 0 || c.witnessQuorum > len(c.witnesses)+2*btoi(c.demo) {
		fs.Usage()
		return nil, fmt.Errorf("%w: --witness-quorum %d is not between 1 and the number of witnesses (%d)", errUsage, c.witnessQuorum, len(c.witnesses)+2*btoi(c.demo))
	}
	return c, nil
}

func newLogger(e *env, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %v", err)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l})), nil
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	c, err := serveFlags(e, args)
	if err != nil {
		return err
	}
	lg, err := newLogger(e, c.logLevel)
	if err != nil {
		return err
	}
	// Take the port first: a node that cannot serve must not create keys and a
	// genesis in a new data directory.
	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.httpAddr, err)
	}
	defer ln.Close()
	app, err := openApp(ctx, c, lg)
	if err != nil {
		return err
	}
	defer app.close()

	srv := newHTTPServer(app.ops.handler(app.mux, c.edge.wrap(app.mux)), lg)
	serveErr := make(chan error, 1)
	go func() { serveErr <- c.edge.serve(srv, ln) }()

	if c.demo {
		if err := app.seedDemo(ctx, e.stdout, c.data, lg); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	genesis, _ := app.node.Log().Entry(ctx, 1)
	gh := ""
	if ge, err := events.ParseEntry(genesis); err == nil {
		gh = ge.Hash.String()
	}
	fmt.Fprintf(e.stdout, "climateledger serving on %s://%s\n", c.edge.scheme(), ln.Addr())
	fmt.Fprintf(e.stdout, "log verifier key: %s\n", app.node.Keys().LogVerifierKey)
	fmt.Fprintf(e.stdout, "genesis hash:     %s\n", gh)
	if u := app.node.Log().ClientURL(); u != "" {
		fmt.Fprintf(e.stdout, "nats:             %s\n", u)
		if c.nats.ListenAddr != "" {
			fmt.Fprintf(e.stdout, "nats users:       %s (nodes: %s), %s (read-only: %s)\n", natslog.User,
				filepath.Join(c.data, "keys", natslog.PasswordFile), natslog.AuditorUser, filepath.Join(c.data, "keys", natslog.AuditorPasswordFile))
		}
	}
	if app.witnesses != nil {
		ws := app.witnesses.api
		for i, st := range ws.Collector.Status() {
			fmt.Fprintf(e.stdout, "witness:          %s at %s\n", ws.Keys[i], st.URL)
		}
		fmt.Fprintf(e.stdout, "witness quorum:   %d of %d\n", ws.Policy.Quorum(), len(ws.Keys))
	}

	select {
	case <-ctx.Done():
		lg.Info("shutting down: finishing in-flight requests")
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		lg.Warn("http shutdown", "err", err)
	}
	return nil
}

// app is a running node with its HTTP handler and NATS responder.
type app struct {
	node      *ledger.Node
	witnesses *witnessing // nil when the node has no witnesses
	stops     []func()
	mux       *http.ServeMux
	ops       *ops
}

func openApp(ctx context.Context, c *serveConfig, lg *slog.Logger) (*app, error) {
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, err
	}
	a := &app{mux: http.NewServeMux()}
	views, err := newViews(lg)
	if err != nil {
		return nil, err
	}
	lc := ledger.Config{DataDir: c.data, Origin: c.origin, NATS: c.nats, Logger: lg, Projectors: views.projectors(),
		IntegrationTimeout: c.ops.integrationTimeout, MaxReadyLag: c.ops.readyMaxLag}
	c.edge.applyLedger(&lc)
	node, err := ledger.Open(ctx, lc)
	if err != nil {
		return nil, err
	}
	a.node = node
	a.stops = append(a.stops, func() { node.Close() })
	if err := views.attach(ctx, node, a.mux); err != nil {
		a.close()
		return nil, err
	}
	ws := c.witnesses
	if c.demo {
		demoWs, stop, err := startDemoWitnesses(c.data, node, lg)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("demo witnesses: %w", err)
		}
		a.stops = append([]func(){stop}, a.stops...)
		ws = append(ws, demoWs...)
	}
	if a.witnesses, err = startWitnessing(node, ws, c.witnessQuorum, c.witnessTimeout, lg); err != nil {
		a.close()
		return nil, err
	}
	h := &httpapi.Handler{Node: node}
	c.edge.applyHandler(h)
	if a.witnesses != nil {
		a.stops = append([]func(){a.witnesses.stop}, a.stops...)
		h.Witnesses = a.witnesses.api
	}
	h.Routes(a.mux)
	web.Routes(a.mux) // the dashboard: GET / and /assets/…
	a.ops = startOps(a.mux, node, a.witnesses, c.edge.limiter, lg)
	stopNATS, err := httpapi.ServeNATSObserved(node.Log().Conn(), node, 30*time.Second, a.ops.metrics)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("nats responders: %w", err)
	}
	a.stops = append([]func(){stopNATS}, a.stops...)
	return a, nil
}

func (a *app) close() {
	for _, stop := range a.stops {
		stop()
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
