package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Names of the readiness checks, in the order Ready reports them.
const (
	CheckLog     = "log"     // the stream answers, has a leader and its store is not failed
	CheckApplier = "applier" // the applier runs and is within Config.MaxReadyLag of the stream
	CheckPebble  = "pebble"  // Pebble accepts a synced write
)

// Check is the outcome of one readiness check.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Detail says what was found, in words: the failure, or the state when OK.
	Detail string `json:"detail"`
}

// Readiness is the outcome of every readiness check; Ready is true when all passed.
type Readiness struct {
	Ready  bool    `json:"ready"`
	Checks []Check `json:"checks"`
	// Lag is the applier's distance from the stream in entries and, when it is
	// behind, how long the oldest unintegrated entry has waited (0 when the stream
	// could not be read).
	LagEntries uint64  `json:"lag_entries"`
	LagSeconds float64 `json:"lag_seconds"`
}

// Failed returns the names of the failed checks.
func (r Readiness) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// readyProbeTimeout bounds each readiness check that does I/O.
const readyProbeTimeout = 2 * time.Second

// Ready runs the readiness checks: the stream is reachable, has a leader and is not
// failed; the applier runs and its oldest unintegrated entry has waited less than
// Config.MaxReadyLag; Pebble accepts a synced write. Each check that does I/O is
// bounded by 2 s. The details are for operators: they name the cause without
// internal error chains (those go to the log). Safe for concurrent use.
func (n *Node) Ready(ctx context.Context) Readiness {
	r := Readiness{Ready: true}
	add := func(name string, ok bool, format string, args ...any) {
		r.Checks = append(r.Checks, Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
		r.Ready = r.Ready && ok
	}

	// The stream.
	lctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	st, err := n.log.Status(lctx)
	cancel()
	logOK := false
	switch {
	case err != nil:
		n.lg.Debug("readiness: stream status", "err", err)
		add(CheckLog, false, "the stream did not answer: %s", shortCause(err))
	case st.Fault != "":
		add(CheckLog, false, "the store refuses writes (%s); repairing it", st.Fault)
	case st.Leader == "":
		add(CheckLog, false, "the stream has no leader (an election is in progress); %d of %d replicas current", st.Current, st.Replicas)
	default:
		if srv := n.log.Server(); srv != nil && !srv.JetStreamIsCurrent() {
			add(CheckLog, false, "the embedded JetStream is not current")
			break
		}
		logOK = true
		add(CheckLog, true, "%d entries; leader %s; %d of %d replicas current", st.LastSeq, st.Leader, st.Current, st.Replicas)
	}

	// The applier.
	n.mu.RLock()
	applied, aerr, since := n.applied, n.applyErr, n.applyErrSince
	n.mu.RUnlock()
	switch {
	case aerr != nil:
		add(CheckApplier, false, "stopped %s ago: %s; retrying", n.cfg.Now().Sub(since).Round(time.Millisecond), shortCause(aerr))
	case !logOK:
		add(CheckApplier, false, "%d entries integrated; the stream's position is unknown", applied)
	case st.LastSeq <= applied:
		add(CheckApplier, true, "%d entries integrated; caught up", applied)
	default:
		entries, wait, err := n.lagFrom(ctx, st.LastSeq, applied)
		r.LagEntries, r.LagSeconds = entries, wait.Seconds()
		if err != nil {
			add(CheckApplier, false, "%d entries behind; the oldest could not be read: %s", entries, shortCause(err))
			break
		}
		add(CheckApplier, wait <= n.cfg.MaxReadyLag, "%d entries behind; the oldest has waited %s (bound %s)", entries, wait.Round(time.Millisecond), n.cfg.MaxReadyLag)
	}

	// Pebble.
	if err := n.probePebble(ctx); err != nil {
		add(CheckPebble, false, "%s", err)
	} else {
		add(CheckPebble, true, "a synced write succeeded")
	}
	return r
}

// Lag is how far the applier is behind the stream.
type Lag struct {
	// Stream is the stream's last sequence; Applied the entries integrated.
	Stream, Applied uint64
	// Wait is how long the oldest entry not yet integrated has been in the stream
	// (0 when caught up).
	Wait time.Duration
}

// Entries returns the number of entries not yet integrated.
func (l Lag) Entries() uint64 { return l.Stream - min(l.Applied, l.Stream) }

// Lag reads how far the applier is behind the stream: one stream info request and,
// when behind, one message read, each bounded by 2 s. Errors wrap ErrUnavailable: the
// stream did not answer. Safe for concurrent use.
func (n *Node) Lag(ctx context.Context) (Lag, error) {
	lctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	defer cancel()
	st, err := n.log.Status(lctx)
	if err != nil {
		return Lag{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	entries, wait, err := n.lagFrom(ctx, st.LastSeq, n.Applied())
	return Lag{Stream: st.LastSeq, Applied: st.LastSeq - entries, Wait: wait}, err
}

func (n *Node) lagFrom(ctx context.Context, last, applied uint64) (uint64, time.Duration, error) {
	if last <= applied {
		return 0, 0, nil
	}
	tctx, cancel := context.WithTimeout(ctx, readyProbeTimeout)
	defer cancel()
	t, err := n.log.EntryTime(tctx, applied+1)
	if err != nil {
		return last - applied, 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return last - applied, max(n.cfg.Now().Sub(t), 0), nil
}

// keyProbe is written by the readiness check.
const keyProbe = "l/probe"

// probePebble makes one synced write to Pebble, at most one at a time: while an
// earlier probe is still waiting (a stalled disk), it reports that instead of
// queueing another.
func (n *Node) probePebble(ctx context.Context) error {
	if cause := n.storeFault(); cause != "" {
		return errors.New(cause)
	}
	n.probeMu.Lock()
	if n.probe == nil {
		done := make(chan error, 1)
		n.probe, n.probeStart = done, time.Now()
		db := n.db
		go func() {
			done <- guard(func() error {
				return db.Set([]byte(keyProbe), u64(uint64(time.Now().UnixNano())), pebble.Sync)
			})
		}()
	}
	done, start := n.probe, n.probeStart
	n.probeMu.Unlock()
	t := time.NewTimer(readyProbeTimeout)
	defer t.Stop()
	var err error
	select {
	case err = <-done:
	case <-t.C:
		return fmt.Errorf("a synced write has not completed after %s", time.Since(start).Round(time.Millisecond))
	case <-ctx.Done():
		return fmt.Errorf("a synced write has not completed after %s", time.Since(start).Round(time.Millisecond))
	}
	n.probeMu.Lock()
	n.probe = nil
	n.probeMu.Unlock()
	if err != nil {
		n.lg.Warn("readiness: pebble write probe failed", "err", err)
		return fmt.Errorf("a synced write failed: %s", shortCause(err))
	}
	return nil
}

// shortCause names an error's cause for an operator without its whole chain.
func shortCause(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, errNoSpace):
		return "no space left on device"
	}
	var se interface{ Cause() string }
	if errors.As(err, &se) {
		return se.Cause()
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Stats is a node's state for metrics, read without I/O.
type Stats struct {
	// Applied is the number of entries integrated: the tree size.
	Applied uint64
	// CheckpointTime is when the latest checkpoint was signed (zero before the first).
	CheckpointTime time.Time
	// Witnessed is the size of the newest witnessed checkpoint (0: none).
	Witnessed uint64
	// Submissions counts the submissions being handled by the gate now.
	Submissions int64
	// ApplierQueue counts the entries read from the stream and not yet integrated.
	ApplierQueue int64
	// PublishErrors counts appends to the stream that failed (each attempt).
	PublishErrors uint64
	// ApplierRunning is false while the applier is stopped on an error (and retrying).
	ApplierRunning bool
	// ApplierRestarts counts the applier's restarts after an error.
	ApplierRestarts uint64
}

// Stats returns the node's state for metrics. Safe for concurrent use.
func (n *Node) Stats() Stats {
	n.mu.RLock()
	s := Stats{Applied: n.applied, CheckpointTime: n.checkpointTime, ApplierRunning: n.applyErr == nil}
	n.mu.RUnlock()
	_, s.Witnessed = n.Witnessed()
	s.Submissions = n.inGate.Load()
	s.ApplierQueue = n.queued.Load()
	s.PublishErrors = n.publishErrors.Load()
	s.ApplierRestarts = n.applierRestarts.Load()
	return s
}
