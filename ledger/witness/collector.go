package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// LogSource is what a Collector needs from the log it collects cosignatures for.
type LogSource interface {
	// WaitCheckpoint blocks until the log's latest signed checkpoint covers more than
	// after entries and returns it with its size; it returns ctx's error when ctx ends
	// first.
	WaitCheckpoint(ctx context.Context, after uint64) (signed []byte, size uint64, err error)
	// ConsistencyProof returns the RFC 6962 consistency proof between two tree sizes
	// (0 < from ≤ to ≤ the latest size).
	ConsistencyProof(from, to uint64) ([][32]byte, error)
}

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	// Witnesses to ask, in the order their cosignature lines are appended.
	Witnesses []*Client
	// Quorum is how many cosignatures make a checkpoint witnessed (1 ≤ Quorum ≤
	// len(Witnesses)).
	Quorum int
	// Source gives checkpoints and consistency proofs.
	Source LogSource
	// Witnessed receives each checkpoint that reached the quorum: the log's signed
	// note with the cosignature lines appended. Sizes never decrease; the same size may
	// come again with more (or fresher) cosignatures. An error is logged and the
	// checkpoint is offered again with the next round.
	Witnessed func(signed []byte, size uint64) error
	// Timeout bounds one request to one witness; default 5s.
	Timeout time.Duration
	// MaxBackoff bounds the wait before a failing witness is asked again; default 30s.
	MaxBackoff time.Duration
	// MinInterval is the least time between the starts of two rounds; default 100ms.
	// Under load the log grows with every receipt: this bounds each witness's work
	// (one synced write per request) to 1/MinInterval requests a second for this log,
	// while the newest checkpoint is still witnessed within about MinInterval.
	MinInterval time.Duration
	// Logger receives a line per failure and recovery; nil discards.
	Logger *slog.Logger
}

// Collector asks witnesses to cosign each new checkpoint of a log, re-proving from
// each witness's own size, and hands on the checkpoints that reach the quorum. It
// never blocks the log: it only reads checkpoints and proofs. A witness that fails is
// retried with exponential backoff (from 250 ms up to MaxBackoff) while the others
// go on. Safe for concurrent use.
type Collector struct {
	cfg CollectorConfig
	lg  *slog.Logger

	mu      sync.Mutex // guards lastPub and the status fields of each witnessState
	states  []*witnessState
	lastPub uint64 // size of the last checkpoint handed to Witnessed
}

// witnessState is the collector's view of one witness.
type witnessState struct {
	c *Client
	// known is the size the witness last cosigned, as far as the collector knows
	// (from its own requests or a 409); 0 before the first answer.
	known uint64
	// Status fields, guarded by Collector.mu.
	cosigned    uint64
	lastOK      time.Time
	lastErr     string
	failures    int
	nextAttempt time.Time
}

// WitnessStatus is the collector's view of one witness, for status pages and metrics.
type WitnessStatus struct {
	URL string `json:"url"`
	// Key is the witness's "<name>+<hex key hash>"; Name its name.
	Key  string `json:"key"`
	Name string `json:"name"`
	// CosignedSize is the largest size it cosigned for this collector (0: none yet).
	CosignedSize uint64 `json:"cosigned_size"`
	// LastCosigned is when it last cosigned; zero if never.
	LastCosigned time.Time `json:"last_cosigned,omitzero"`
	// LastError is the last failure, cleared by a success.
	LastError string `json:"last_error,omitempty"`
	// Failures counts consecutive failures.
	Failures int `json:"failures"`
}

// NewCollector checks the configuration and returns a collector; call Run.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	var errs []error
	if len(cfg.Witnesses) == 0 {
		errs = append(errs, errors.New("no witnesses"))
	}
	if cfg.Quorum < 1 || cfg.Quorum > len(cfg.Witnesses) {
		errs = append(errs, fmt.Errorf("quorum %d is not between 1 and the %d witnesses", cfg.Quorum, len(cfg.Witnesses)))
	}
	if cfg.Source == nil || cfg.Witnessed == nil {
		errs = append(errs, errors.New("a Source and a Witnessed function are required"))
	}
	seen := map[string]bool{}
	for _, w := range cfg.Witnesses {
		if w.Verifier == nil {
			errs = append(errs, fmt.Errorf("witness %s has no key", w.URL))
			continue
		}
		if seen[KeyID(w.Verifier)] {
			errs = append(errs, fmt.Errorf("witness key %s is given twice", KeyID(w.Verifier)))
		}
		seen[KeyID(w.Verifier)] = true
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("witness collector: %w", err)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = 100 * time.Millisecond
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	c := &Collector{cfg: cfg, lg: lg}
	for _, w := range cfg.Witnesses {
		c.states = append(c.states, &witnessState{c: w})
	}
	return c, nil
}

// Status returns the collector's view of each witness, in configuration order.
func (c *Collector) Status() []WitnessStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]WitnessStatus, len(c.states))
	for i, s := range c.states {
		out[i] = WitnessStatus{URL: s.c.URL, Key: KeyID(s.c.Verifier), Name: s.c.Verifier.Name(), CosignedSize: s.cosigned,
			LastCosigned: s.lastOK, LastError: s.lastErr, Failures: s.failures}
	}
	return out
}

// Run collects cosignatures until ctx ends, then returns ctx's error. Each round takes
// the latest checkpoint and asks every witness that is not backing off, in parallel;
// the checkpoint is handed on as soon as the quorum of cosignatures is in, and again
// if more arrive in the same round. A round that misses the quorum is retried (with
// the latest checkpoint) once the next witness's backoff ends, even if the log does
// not grow.
func (c *Collector) Run(ctx context.Context) error {
	var (
		cp        []byte
		size      uint64
		after     uint64
		retryIn   time.Duration
		lastRound time.Time
	)
	for {
		if wait := time.Until(lastRound.Add(c.cfg.MinInterval)); wait > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
		}
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if retryIn > 0 {
			wctx, cancel = context.WithTimeout(ctx, retryIn)
		}
		newCP, newSize, err := c.cfg.Source.WaitCheckpoint(wctx, after)
		cancel()
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err == nil:
			cp, size = newCP, newSize
		case retryIn > 0 && errors.Is(err, context.DeadlineExceeded):
			// no new checkpoint: retry the current one
		default:
			return fmt.Errorf("witness collector: wait for a checkpoint: %w", err)
		}
		after = size
		lastRound = time.Now()
		if c.round(ctx, cp, size) {
			retryIn = 0
		} else {
			retryIn = c.untilNextAttempt()
		}
	}
}

// untilNextAttempt is how long until the first backing-off witness may be asked again.
// Witnesses that are not backing off do not count: they were just asked, and asking
// them again before a failed one may be retried cannot reach the quorum.
func (c *Collector) untilNextAttempt() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.cfg.MaxBackoff
	now := time.Now()
	for _, s := range c.states {
		if w := s.nextAttempt.Sub(now); w > 0 && w < d {
			d = w // only a witness that is backing off can change the outcome
		}
	}
	return max(d, 10*time.Millisecond)
}

type cosigResult struct {
	i    int
	line []byte
}

// round asks the witnesses to cosign cp and reports whether the quorum was reached.
func (c *Collector) round(ctx context.Context, cp []byte, size uint64) bool {
	results := make(chan cosigResult, len(c.states))
	asked := 0
	now := time.Now()
	for i, s := range c.states {
		c.mu.Lock()
		wait := s.nextAttempt.After(now)
		c.mu.Unlock()
		if wait {
			continue
		}
		asked++
		go func() {
			line, err := c.cosign(ctx, s, cp, size)
			c.record(s, size, err)
			results <- cosigResult{i, line}
		}()
	}
	lines := make([][]byte, len(c.states))
	got, reached := 0, false
	for range asked {
		r := <-results
		if r.line == nil {
			continue
		}
		lines[r.i] = r.line
		got++
		if got >= c.cfg.Quorum {
			reached = true
			c.publish(cp, size, lines)
		}
	}
	return reached
}

// publish hands on cp with the cosignature lines gathered so far.
func (c *Collector) publish(cp []byte, size uint64, lines [][]byte) {
	c.mu.Lock()
	stale := size < c.lastPub
	if !stale {
		c.lastPub = size
	}
	c.mu.Unlock()
	if stale {
		return
	}
	signed := bytes.Clone(cp)
	for _, l := range lines {
		signed = append(signed, l...)
	}
	if err := c.cfg.Witnessed(signed, size); err != nil {
		c.lg.Error("store witnessed checkpoint", "size", size, "err", err)
	}
}

// cosign asks one witness to cosign cp, re-proving from the witness's size after a
// 409 (at most twice).
func (c *Collector) cosign(ctx context.Context, s *witnessState, cp []byte, size uint64) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		old := s.known
		if old > size {
			return nil, fmt.Errorf("the witness holds size %d, beyond this node's checkpoint %d (another node is ahead)", old, size)
		}
		req := &Request{OldSize: old, Checkpoint: cp}
		if old > 0 && old < size {
			p, err := c.cfg.Source.ConsistencyProof(old, size)
			if err != nil {
				return nil, fmt.Errorf("consistency proof %d→%d: %w", old, size, err)
			}
			req.Proof = p
		}
		rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		line, err := s.c.AddCheckpoint(rctx, req)
		cancel()
		var ce *ConflictError
		if errors.As(err, &ce) && attempt < 2 {
			s.known = ce.Size
			continue
		}
		if err != nil {
			return nil, err
		}
		s.known = size
		return line, nil
	}
}

// record updates a witness's status after a request.
func (c *Collector) record(s *witnessState, size uint64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		if s.failures > 0 {
			c.lg.Info("witness recovered", "witness", s.c.URL, "size", size)
		}
		s.cosigned, s.lastOK, s.lastErr, s.failures, s.nextAttempt = size, time.Now(), "", 0, time.Time{}
		return
	}
	s.failures++
	s.lastErr = err.Error()
	backoff := min(250*time.Millisecond<<min(s.failures-1, 16), c.cfg.MaxBackoff)
	s.nextAttempt = time.Now().Add(backoff)
	c.lg.Warn("witness did not cosign", "witness", s.c.URL, "size", size, "failures", s.failures, "retry_in", backoff.String(), "err", err)
}
