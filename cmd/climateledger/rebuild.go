package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/natslog"
)

func init() {
	register("rebuild", "rebuild DATA/pebble (tree, registry, projections) from the log; print index, digest and speed", cmdRebuild)
}

// rebuildResult is what rebuild prints on success.
type rebuildResult struct {
	// Index is the number of log entries applied (the tree size).
	Index uint64 `json:"index"`
	// Digest is the state digest of the projections (docs/PROJECTIONS.md).
	Digest          string  `json:"digest"`
	Rows            int     `json:"rows"`
	Seconds         float64 `json:"seconds"`
	EventsPerSecond float64 `json:"events_per_second"`
}

// cmdRebuild moves DATA/pebble aside, opens the node — which replays the whole log
// into a fresh Pebble with the projectors — waits until it has caught up, prints the
// result as JSON, and removes the old directory. On any failure it removes the
// partial new directory and puts the old one back.
func cmdRebuild(ctx context.Context, e *env, args []string) error {
	flags := newFlags(e, "rebuild", "--data DIR [--nats URL]")
	var (
		data, origin, logLevel string
		nc                     natslog.Config
	)
	flags.StringVar(&data, "data", "./data", "data directory: keys/, nats/ (embedded JetStream), pebble/ (rebuilt)")
	flags.StringVar(&origin, "origin", ledger.DefaultOrigin, "log origin (checkpoint key name); must match the genesis")
	flags.StringVar(&logLevel, "log-level", "warn", "debug, info, warn or error")
	flags.StringVar(&nc.URL, "nats", "", "URL of an existing NATS JetStream (default: the embedded server on DATA/nats)")
	flags.StringVar(&nc.CredsFile, "nats-creds", "", "NATS credentials file (with --nats)")
	flags.StringVar(&nc.User, "nats-user", "", "NATS user (with --nats)")
	flags.StringVar(&nc.Password, "nats-password", "", "NATS password (with --nats)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	lg, err := newLogger(e, logLevel)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(data, "keys")); err != nil {
		return fmt.Errorf("%s is not a data directory: %w", data, err)
	}
	dir := filepath.Join(data, "pebble")
	old := dir + ".rebuild-old"
	if _, err := os.Stat(old); err == nil {
		return fmt.Errorf("%s is left from an earlier rebuild: check it, then remove it or move it back to %s", old, dir)
	}
	moved := false
	switch _, err := os.Stat(dir); {
	case err == nil:
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("move %s aside: %w", dir, err)
		}
		moved = true
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	restore := func(cause error) error {
		errs := []error{cause}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove the partial %s: %w", dir, err))
		}
		if moved {
			if err := os.Rename(old, dir); err != nil {
				errs = append(errs, fmt.Errorf("restore %s from %s: %w", dir, old, err))
			}
		}
		return fmt.Errorf("%w (the previous pebble directory is back in place)", errors.Join(errs...))
	}

	res, err := rebuildPebble(ctx, data, origin, nc, lg)
	if err != nil {
		return restore(err)
	}
	if moved {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("rebuilt, but removing %s failed: %w", old, err)
		}
	}
	out, _ := json.Marshal(res)
	fmt.Fprintf(e.stdout, "%s\n", out)
	return nil
}

// rebuildPebble opens the node on data (with an empty Pebble), waits until it has
// applied the whole log, and returns the state.
func rebuildPebble(ctx context.Context, data, origin string, nc natslog.Config, lg *slog.Logger) (rebuildResult, error) {
	v, err := newViews(lg)
	if err != nil {
		return rebuildResult{}, err
	}
	start := time.Now()
	node, err := ledger.Open(ctx, ledger.Config{DataDir: data, Origin: origin, NATS: nc, Logger: lg, Projectors: v.projectors()})
	if err != nil {
		return rebuildResult{}, err
	}
	defer node.Close()
	last, err := node.Log().LastSeq(ctx)
	if err != nil {
		return rebuildResult{}, err
	}
	if err := node.WaitApplied(ctx, last); err != nil {
		return rebuildResult{}, fmt.Errorf("catch up to %d: %w", last, err)
	}
	elapsed := time.Since(start)
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := v.v.Attach(actx, node); err != nil {
		return rebuildResult{}, err
	}
	st, err := v.v.State()
	if err != nil {
		return rebuildResult{}, err
	}
	if err := node.Close(); err != nil {
		return rebuildResult{}, fmt.Errorf("close: %w", err)
	}
	lg.Info("rebuilt", "index", st.Index, "digest", st.Digest, "took", elapsed.String())
	return rebuildResult{Index: st.Index, Digest: st.Digest, Rows: st.Rows, Seconds: elapsed.Seconds(),
		EventsPerSecond: float64(st.Index) / elapsed.Seconds()}, nil
}
