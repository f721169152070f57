package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/climateledger/climateledger/ledger/demo"
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
