package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/climateledger/climateledger/ledger/audit"
)

func init() {
	register("export", "write (or extend) an offline export of the log: log.jsonl and its checkpoint, verified", cmdExport)
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "--server URL --out DIR [--log-key KEY] [--witness VKEY]… [--witness-quorum K]")
	server := fs.String("server", "", "the server whose log to export")
	out := fs.String("out", "", "export directory (created if missing; an existing export is verified and extended)")
	logKey := fs.String("log-key", "", "the log's verifier key, or a file holding it (keys/log.pub); without it the genesis's key is trusted, and this says so")
	witnesses := addWitnessFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := required(fs, "server", "out"); err != nil {
		return err
	}
	wp, err := witnesses.policy()
	if err != nil {
		return err
	}
	key, err := readLogKey(*logKey)
	if err != nil {
		return err
	}
	src, err := audit.NewServer(*server, nil)
	if err != nil {
		return err
	}
	opts := audit.ExportOptions{LogKey: key, WitnessPolicy: wp}
	if isTerminal(e.stderr) {
		opts.Progress = func(n uint64) { fmt.Fprintf(e.stderr, "\r%d entries written…", n) }
	}
	res, err := audit.Export(ctx, src, *out, opts)
	if opts.Progress != nil {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if err != nil {
		return err
	}
	c := res.Checkpoint
	fmt.Fprintf(e.stdout, "export %s: %d entries (%d new), checkpoint %s size %d root %s\n",
		res.Dir, c.Size, res.Appended, c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
	fmt.Fprintf(e.stdout, "verified: checkpoint signature, and the root of %s equals the checkpoint's root\n", audit.LogFile)
	if res.Consistency != "" {
		fmt.Fprintf(e.stdout, "verified: %s\n", res.Consistency)
	}
	if w := res.Witnesses; w != nil {
		fmt.Fprintf(e.stdout, "verified: the checkpoint is %s\n", audit.CosignedSummary(w.Cosigned, w.Missing, w.Quorum))
	}
	fmt.Fprintf(e.stdout, "log key: %s\n  %s\n", res.LogKey.Key, res.LogKey.Statement)
	if w := res.Witnesses; w != nil {
		fmt.Fprintf(e.stdout, "witnesses: %s\n  %s\n", strings.Join(w.Keys, "\n  "), w.Statement)
	} else {
		fmt.Fprintf(e.stdout, "witnesses: none required (no --witness given); %s holds the checkpoint the server serves, with any cosignatures on it, for `audit --witness`\n", audit.CheckpointFile)
	}
	return nil
}
