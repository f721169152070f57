package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// seedDemo records the demo network (package demo) through the node's gate, for
// `serve --demo`: on a new log it enrols the demo parties, with their keys kept in
// DATA/demo-keys, and submits their events; on a log that is already seeded it does
// nothing, and it completes an interrupted seeding. It prints one line saying what
// it did to out.
func (a *app) seedDemo(ctx context.Context, out io.Writer, dataDir string, lg *slog.Logger) error {
	sum, err := demo.Seed(ctx, a.node, demo.Config{KeyDir: filepath.Join(dataDir, demo.KeyDirName), Logger: lg})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, sum)
	lg.Info("demo network", "submitted", sum.Submitted, "already_seeded", sum.AlreadySeeded, "skipped", sum.Skipped != "")
	return nil
}

// demoWitnesses are the demo's two witnesses, held by partner jurisdictions of the
// two countries (their party ids begin the witness names, so the dashboard can name
// the holders).
var demoWitnesses = []string{"uslax", "cnszx"}

// startDemoWitnesses runs the demo's witnesses in this process, each with its own key
// and state under DATA/witnesses/<party> and its own HTTP listener on loopback, and
// returns them as --witness flags would.
func startDemoWitnesses(dataDir string, node *ledger.Node, lg *slog.Logger) ([]httpapi.WitnessEndpoint, func(), error) {
	var (
		out   []httpapi.WitnessEndpoint
		stops []func()
	)
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, party := range demoWitnesses {
		w, err := witness.Open(witness.Config{Dir: filepath.Join(dataDir, "witnesses", party), Name: party + ".witness.climateledger.local",
			Logs: []note.Verifier{node.Keys().LogVerifier}, Logger: lg.With("witness", party)})
		if err != nil {
			stop()
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			w.Close()
			stop()
			return nil, nil, err
		}
		sctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := serveHTTP(sctx, ln, w.Handler(), lg); err != nil {
				lg.Warn("demo witness", "witness", party, "err", err)
			}
		}()
		stops = append(stops, func() { cancel(); <-done; w.Close() })
		out = append(out, httpapi.WitnessEndpoint{URL: "http://" + ln.Addr().String(), VerifierKey: w.VerifierKey()})
	}
	return out, stop, nil
}
