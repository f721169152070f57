package natslog

import (
	"context"

	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Repairing the embedded store.
//
// When the embedded server's file store fails a write — the disk is full — it keeps
// the error and refuses every later write, and publishes go unanswered, until
// JetStream restarts; a full disk would leave the node answering 503 for ever. The
// log watches for that (the server's own error lines, refusals for lack of storage,
// JetStream turned off) and repairs it by itself: it refuses appends at once (with
// the cause) instead of letting them time out, waits until the store's filesystem
// has RepairMinFree bytes free again, then restarts JetStream inside the running
// server with its original configuration (SyncAlways included). JetStream recovers
// the stream from its files as at a restart: an entry whose write failed part-way is
// cut off, acknowledged entries are all there. The client connection is kept, so
// nothing above the log has to reconnect.

// RepairMinFree is the free space the store's filesystem needs before the log
// restarts a JetStream that failed for lack of space.
const RepairMinFree = 16 << 20

// repairPoll is how often the repair checks the free space and JetStream.
const repairPoll = 100 * time.Millisecond

// restarts signals each restart of JetStream by the repair.
type restarts struct {
	mu sync.Mutex
	ch chan struct{} // closed at the next restart
}

// current returns a channel closed at the next restart.
func (r *restarts) current() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch == nil {
		r.ch = make(chan struct{})
	}
	return r.ch
}

// signal wakes everything waiting on current.
func (r *restarts) signal() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ch != nil {
		close(r.ch)
	}
	r.ch = make(chan struct{})
}

// fault is why the log refuses writes while it repairs its store, and since when.
type fault struct {
	mu    sync.Mutex
	cause string
	since time.Time
	kick  chan struct{} // signalled when a fault is set
}

func (f *fault) set(cause string) (first bool) {
	f.mu.Lock()
	first = f.cause == ""
	if first {
		f.since = time.Now()
	}
	f.cause = cause
	f.mu.Unlock()
	if first && f.kick != nil {
		select {
		case f.kick <- struct{}{}:
		default:
		}
	}
	return first
}

func (f *fault) clear() (cause string, since time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cause, since = f.cause, f.since
	f.cause, f.since = "", time.Time{}
	return cause, since
}

func (f *fault) get() (string, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cause, f.since
}

// Repaired returns a channel closed when the log next repairs its store: a reader that
// stopped on the failure may start again at once.
func (l *Log) Repaired() <-chan struct{} { return l.repaired.current() }

// Fault returns why the embedded store refuses writes while the log repairs it (for
// example "no space left on device"), or "" when it does not. Always "" in URL mode:
// a cluster's servers repair themselves. Safe for concurrent use.
func (l *Log) Fault() string {
	c, _ := l.fault.get()
	return c
}

// storeFailure classifies a server log line: the cause of a store failure, or "".
func storeFailure(msg string) string {
	switch {
	case strings.Contains(msg, "no space left on device"):
		return "no space left on device"
	case strings.Contains(msg, "Critical write error"):
		return "the store failed a write"
	case strings.Contains(msg, "out of") && strings.Contains(msg, "resources"):
		return "JetStream is out of storage resources"
	}
	return ""
}

// noteStoreFailure sets the fault for cause (embedded mode only) and logs it once.
func (l *Log) noteStoreFailure(cause string) {
	if l.emb == nil || cause == "" {
		return
	}
	if l.fault.set(cause) {
		l.logger.Error("log store failed: appends are refused until it is repaired; the repair starts once the disk has space",
			"cause", cause, "store_dir", l.cfg.StoreDir, "min_free_bytes", RepairMinFree)
	}
}

// repairLoop watches the embedded server and repairs its store after a failure, until
// ctx ends.
func (l *Log) repairLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.fault.kick:
		case <-t.C:
			if !l.emb.srv.JetStreamEnabled() {
				l.noteStoreFailure("JetStream was turned off")
			}
		}
		if cause, _ := l.fault.get(); cause == "" {
			continue
		}
		l.repair(ctx)
	}
}

// repair waits for free space and restarts JetStream until the stream answers again.
func (l *Log) repair(ctx context.Context) {
	backoff := repairPoll
	for {
		if free, err := freeBytes(l.cfg.StoreDir); err == nil && free >= RepairMinFree {
			err := l.restartJetStream(ctx)
			if err == nil {
				l.repaired.signal()
				cause, since := l.fault.clear()
				l.logger.Info("log store repaired: appends accepted again", "cause", cause,
					"took", time.Since(since).Round(time.Millisecond).String())
				return
			}
			l.logger.Warn("log store repair failed; retrying", "err", err, "retry_in", backoff.String())
			backoff = min(2*backoff, 5*time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

// restartJetStream shuts JetStream down in the embedded server and enables it again
// with the configuration it had, then waits until the stream answers.
func (l *Log) restartJetStream(ctx context.Context) error {
	srv := l.emb.srv
	cfg := l.emb.jsConfig
	if srv.JetStreamEnabled() {
		if err := srv.ShutdownJetStream(); err != nil {
			return fmt.Errorf("shut down JetStream: %w", err)
		}
	}
	l.restarts.signal()
	if err := srv.EnableJetStream(&cfg); err != nil {
		return fmt.Errorf("enable JetStream: %w", err)
	}
	if err := l.emb.waitReady(ctx, l.cfg.StartTimeout); err != nil {
		return err
	}
	ictx, cancel := l.reqCtx(ctx)
	defer cancel()
	if _, err := l.stream.Info(ictx); err != nil {
		return fmt.Errorf("stream info after the restart: %w", err)
	}
	return nil
}

// enableConfig returns the configuration to enable JetStream again with: the running
// one (limits, SyncAlways), with the store directory as EnableJetStream expects it
// (it appends "jetstream" itself).
func enableConfig(running *server.JetStreamConfig) server.JetStreamConfig {
	cfg := *running
	if filepath.Base(cfg.StoreDir) == server.JetStreamStoreDir {
		cfg.StoreDir = filepath.Dir(cfg.StoreDir)
	}
	return cfg
}
