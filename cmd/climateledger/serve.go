package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
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
}

func serveFlags(e *env, args []string) (*serveConfig, error) {
	fs := newFlags(e, "serve", "[--data DIR] [--http ADDR] [--nats URL] [--demo]")
	c := &serveConfig{}
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
	fs.IntVar(&c.nats.Replicas, "replicas", 1, "stream replicas (3 in a cluster)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
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
	app, err := openApp(ctx, c, lg)
	if err != nil {
		return err
	}
	defer app.close()

	ln, err := net.Listen("tcp", c.httpAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", c.httpAddr, err)
	}
	srv := &http.Server{
		Handler:           app.handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(lg.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

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
	fmt.Fprintf(e.stdout, "climateledger serving on http://%s\n", ln.Addr())
	fmt.Fprintf(e.stdout, "log verifier key: %s\n", app.node.Keys().LogVerifierKey)
	fmt.Fprintf(e.stdout, "genesis hash:     %s\n", gh)
	if u := app.node.Log().ClientURL(); u != "" {
		fmt.Fprintf(e.stdout, "nats:             %s\n", u)
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
	node  *ledger.Node
	stops []func()
	mux   *http.ServeMux
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
	node, err := ledger.Open(ctx, ledger.Config{DataDir: c.data, Origin: c.origin, NATS: c.nats, Logger: lg, Projectors: views.projectors()})
	if err != nil {
		return nil, err
	}
	a.node = node
	a.stops = append(a.stops, func() { node.Close() })
	if err := views.attach(ctx, node, a.mux); err != nil {
		a.close()
		return nil, err
	}
	(&httpapi.Handler{Node: node}).Routes(a.mux)
	web.Routes(a.mux) // the dashboard: GET / and /assets/…
	stopNATS, err := httpapi.ServeNATS(node.Log().Conn(), node, 30*time.Second)
	if err != nil {
		a.close()
		return nil, fmt.Errorf("nats responders: %w", err)
	}
	a.stops = append([]func(){stopNATS}, a.stops...)
	return a, nil
}

func (a *app) handler() http.Handler { return a.mux }

func (a *app) close() {
	for _, stop := range a.stops {
		stop()
	}
}
