package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

func init() {
	register("witness", "run a C2SP tlog-witness that cosigns a log's checkpoints (docs/SPEC.md, Witnesses)", cmdWitness)
}

func cmdWitness(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "witness", "--data DIR --log-key KEY[,KEY…] [--http ADDR] [--name NAME]")
	dir := fs.String("data", "./witness-data", "data directory: witness.key, witness.pub and state/ (the latest cosigned checkpoint per log)")
	addr := fs.String("http", "127.0.0.1:7380", "HTTP listen address (POST /add-checkpoint)")
	logKeys := fs.String("log-key", "", "verifier keys of the logs to witness, comma-separated: key strings or files holding them (keys/log.pub); required")
	name := fs.String("name", "", "the witness's name for a new key, URL-like (e.g. witness.example.org/climate); required on first start")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "log-key"); err != nil {
		return err
	}
	lg, err := newLogger(e, *level)
	if err != nil {
		return err
	}
	var logs []note.Verifier
	for _, k := range strings.Split(*logKeys, ",") {
		key, err := readLogKey(strings.TrimSpace(k))
		if err != nil {
			return err
		}
		v, _ := proof.ParseVerifierKey(key) // readLogKey parsed it
		logs = append(logs, v)
	}
	if _, err := os.Stat(filepath.Join(*dir, witness.KeyFile)); errors.Is(err, os.ErrNotExist) && *name == "" {
		fs.Usage()
		return fmt.Errorf("%w: %s has no witness key yet: give --name to create one", errUsage, *dir)
	}
	w, err := witness.Open(witness.Config{Dir: *dir, Name: *name, Logs: logs, Logger: lg})
	if err != nil {
		return err
	}
	defer w.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	fmt.Fprintf(e.stdout, "witness %s serving on http://%s\n", w.Name(), ln.Addr())
	fmt.Fprintf(e.stdout, "witness verifier key: %s (also in %s)\n", w.VerifierKey(), filepath.Join(*dir, witness.PubFile))
	for _, v := range logs {
		fmt.Fprintf(e.stdout, "witnessing log:       %s\n", witness.KeyID(v))
	}
	return serveHTTP(ctx, ln, w.Handler(), lg)
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, lg *slog.Logger) error {
	srv := newHTTPServer(h, lg)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newHTTPServer returns an http.Server with the project's timeouts and limits.
func newHTTPServer(h http.Handler, lg *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(lg.Handler(), slog.LevelWarn),
	}
}

// parseWitnessFlag parses "URL=VKEY" (VKEY: a witness verifier key or a file holding
// one). A verifier key never contains '=', so the last '=' separates them.
func parseWitnessFlag(s string) (httpapi.WitnessEndpoint, error) {
	i := strings.LastIndexByte(s, '=')
	if i <= 0 {
		return httpapi.WitnessEndpoint{}, fmt.Errorf("--witness %q: want URL=VKEY", s)
	}
	url, key := s[:i], s[i+1:]
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return httpapi.WitnessEndpoint{}, fmt.Errorf("--witness %q: the URL must start with http:// or https://", s)
	}
	if b, err := os.ReadFile(key); err == nil {
		key = string(bytes.TrimSpace(b))
	}
	if _, err := witness.ParseVerifierKey(key); err != nil {
		return httpapi.WitnessEndpoint{}, fmt.Errorf("--witness %s: %w", url, err)
	}
	return httpapi.WitnessEndpoint{URL: url, VerifierKey: key}, nil
}

// witnessing is a node's running cosignature collection.
type witnessing struct {
	api  *httpapi.Witnesses
	stop func()
}

// startWitnessing starts collecting cosignatures from ws for node's checkpoints, with
// quorum (0: all of them). It returns nil when ws is empty.
func startWitnessing(node *ledger.Node, ws []httpapi.WitnessEndpoint, quorum int, timeout time.Duration, lg *slog.Logger) (*witnessing, error) {
	if len(ws) == 0 {
		if quorum != 0 {
			return nil, fmt.Errorf("--witness-quorum %d needs --witness", quorum)
		}
		return nil, nil
	}
	api, err := httpapi.NewWitnesses(node, ws, quorum, timeout, lg.With("component", "witnesses"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := api.Run(ctx); err != nil && ctx.Err() == nil {
			lg.Error("witness collector stopped", "err", err)
		}
	}()
	return &witnessing{api: api, stop: func() { cancel(); <-done }}, nil
}
