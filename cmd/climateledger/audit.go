package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
	"github.com/climateledger/climateledger/projections"
)

func init() {
	register("audit", "replay and verify a whole log (export DIR, --server or --nats) without trusting its operator", cmdAudit)
}

func cmdAudit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit", "(DIR | --server URL | --nats URL) [--log-key KEY] [--witness VKEY]… [--witness-quorum K] [--state FILE] [--check-state URL] [--json]")
	server := fs.String("server", "", "audit a server's log over its HTTP API")
	natsURL := fs.String("nats", "", "audit the JetStream stream LEDGER at this NATS URL")
	natsCreds := fs.String("nats-creds", "", "NATS credentials file (with --nats)")
	natsUser := fs.String("nats-user", "", "NATS user (with --nats)")
	natsPassword := fs.String("nats-password", "", "NATS password (with --nats)")
	logKey := fs.String("log-key", "", "the log's verifier key, or a file holding it (keys/log.pub); without it the genesis's key is trusted, and the report says so")
	witnesses := addWitnessFlags(fs)
	checkpoint := fs.String("checkpoint", "", "verify against this signed checkpoint file instead of the source's latest")
	state := fs.String("state", "", "file remembering the last verified checkpoint: the log must extend it")
	checkStateURL := fs.String("check-state", "", "recompute the projections and compare them with this server's GET /v1/state")
	asJSON := fs.Bool("json", false, "print the report as JSON (field names: docs/AUDIT.md)")
	maxFindings := fs.Int("max-findings", audit.DefaultMaxFindings, "list at most this many findings (the rest are counted); -1 for all")
	workers := fs.Int("workers", 0, "parsing and verifying goroutines (default: one per core)")
	stats := fs.Bool("stats", false, "print events/s and the peak resident memory (VmHWM) on stderr")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	sources := 0
	for _, s := range []string{*server, *natsURL} {
		if s != "" {
			sources++
		}
	}
	if len(pos) > 1 {
		fs.Usage()
		return fmt.Errorf("%w: one export directory, got %q", errUsage, pos)
	}
	sources += len(pos)
	if sources != 1 {
		fs.Usage()
		return fmt.Errorf("%w: give exactly one of DIR, --server URL, --nats URL", errUsage)
	}
	if os.Getenv("GOGC") == "" {
		// The audit's live heap is mostly the replay state (70–140 bytes per event,
		// in pointer-free maps the GC need not scan), while parsing allocates a few
		// KB per event that die at once. Collecting at +20% instead of +100% keeps the
		// peak memory near the replay state (about 190 MiB for a million events) for
		// a few percent of CPU. GOGC in the environment wins.
		debug.SetGCPercent(20)
	}
	opts := audit.Options{Workers: *workers, MaxFindings: *maxFindings, State: *state}
	if opts.WitnessPolicy, err = witnesses.policy(); err != nil {
		return err
	}
	if opts.LogKey, err = readLogKey(*logKey); err != nil {
		return err
	}
	if *checkpoint != "" {
		if opts.Checkpoint, err = os.ReadFile(*checkpoint); err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
	}

	var src audit.Source
	switch {
	case *server != "":
		if src, err = audit.NewServer(*server, nil); err != nil {
			return err
		}
	case *natsURL != "":
		ns, err := audit.OpenNATS(ctx, natslog.Config{URL: *natsURL, CredsFile: *natsCreds, User: *natsUser, Password: *natsPassword})
		if err != nil {
			return fmt.Errorf("--nats %s: %w", *natsURL, err)
		}
		defer ns.Close()
		src = ns
	default:
		if src, err = audit.OpenDir(pos[0]); err != nil {
			return err
		}
	}

	// --check-state recomputes the projections from the audited entries, in a
	// temporary in-memory Pebble, as every entry is verified.
	var sc *stateChecker
	if *checkStateURL != "" {
		if sc, err = newStateChecker(); err != nil {
			return err
		}
		defer sc.close()
		opts.Observer = sc.observe
	}
	if isTerminal(e.stderr) {
		started := time.Now()
		opts.Progress = func(n uint64) {
			fmt.Fprintf(e.stderr, "\r%d entries audited (%.0f/s)…", n, float64(n)/time.Since(started).Seconds())
		}
	}
	report, runErr := audit.Run(ctx, src, opts)
	if opts.Progress != nil {
		fmt.Fprint(e.stderr, "\r\033[K")
	}
	if report == nil {
		return runErr
	}
	if sc != nil && runErr == nil {
		// Compare before printing: the result belongs in the report, above RESULT.
		p, compared := checkState(ctx, *checkStateURL, sc)
		report.SetProjections(p, compared)
	}
	if *asJSON {
		err = report.WriteJSON(e.stdout)
	} else {
		err = report.WriteText(e.stdout)
	}
	if err != nil {
		return err
	}
	if *stats {
		printStats(e.stderr, report)
	}
	if runErr != nil {
		return runErr
	}
	if !report.OK {
		return fmt.Errorf("FAILED: %d findings", uint64(len(report.Findings))+report.FindingsOmitted)
	}
	return nil
}

// stateChecker is the --check-state hook: it sees every audited entry, in log order,
// and applies it to the projections in a temporary in-memory Pebble, independently of
// the server, in groups as the node's applier does.
type stateChecker struct {
	db    *pebble.DB
	views *projections.Views
	batch *pebble.Batch
	group []*ledger.Applied
	size  uint64 // entries applied
}

func newStateChecker() (*stateChecker, error) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), FormatMajorVersion: pebble.FormatNewest, Logger: quietPebble{}})
	if err != nil {
		return nil, fmt.Errorf("--check-state: %w", err)
	}
	views, err := projections.New(projections.Config{DocumentCache: -1})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &stateChecker{db: db, views: views}, nil
}

// observe is the audit.Observer of --check-state.
func (s *stateChecker) observe(index uint64, e *events.Entry, f *events.Finding, reg *events.Registry) error {
	if s.batch == nil {
		s.batch = s.db.NewIndexedBatch()
	}
	a := &ledger.Applied{Index: index, Entry: e, Finding: f, Registry: reg}
	if e != nil {
		a.Raw = e.Raw
	}
	if err := s.views.Apply(s.batch, a); err != nil {
		return err
	}
	a.Registry = nil
	s.group = append(s.group, a)
	s.size = index + 1
	if len(s.group) >= 512 {
		return s.flush()
	}
	return nil
}

// flush commits the current group.
func (s *stateChecker) flush() error {
	if s.batch == nil {
		return nil
	}
	defer func() { s.batch.Close(); s.batch, s.group = nil, s.group[:0] }()
	if err := s.views.Finish(s.batch); err != nil {
		return err
	}
	if err := s.batch.Commit(pebble.NoSync); err != nil {
		return err
	}
	s.views.Committed(s.group)
	return nil
}

func (s *stateChecker) close() { s.db.Close() }

// checkState compares the state digest recomputed from the audited entries with the
// one the server at url reports (GET /v1/state). The two must be at the same index:
// audit a server that is not being written to, or run it again. compared is false
// when they could not be compared (another index, or no state from the server).
func checkState(ctx context.Context, url string, s *stateChecker) (p *audit.ProjectionsReport, compared bool) {
	url = strings.TrimRight(url, "/")
	p = &audit.ProjectionsReport{Server: url}
	if err := s.flush(); err != nil {
		p.Problem = "recomputing the projections failed: " + err.Error()
		return p, false
	}
	sum, rows, err := projections.Digest(s.db)
	if err != nil {
		p.Problem = "recomputing the projections failed: " + err.Error()
		return p, false
	}
	p.Index, p.Digest, p.Rows = s.size, hex.EncodeToString(sum[:]), rows
	theirs, err := fetchState(ctx, url)
	if err != nil {
		p.Problem = err.Error()
		return p, false
	}
	p.ServerIndex, p.ServerDigest = theirs.Index, theirs.Digest
	switch {
	case theirs.Index != p.Index:
		p.Problem = fmt.Sprintf("the server's state is at index %d, the audit reached %d: audit again when the log is quiet", theirs.Index, p.Index)
		return p, false
	case theirs.Digest != p.Digest:
		p.Problem = fmt.Sprintf("state digest MISMATCH at index %d: recomputed %s (%d rows), server %s (%d rows)", p.Index, p.Digest, p.Rows, theirs.Digest, theirs.Rows)
		return p, true
	}
	p.OK = true
	return p, true
}

// fetchState reads GET url/v1/state.
func fetchState(ctx context.Context, url string) (*projections.State, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/state", nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s/v1/state: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s/v1/state: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/v1/state: HTTP %d", url, resp.StatusCode)
	}
	var st projections.State
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("GET %s/v1/state: %w", url, err)
	}
	return &st, nil
}

// quietPebble discards Pebble's informational logging in the temporary store.
type quietPebble struct{}

func (quietPebble) Infof(string, ...any)         {}
func (quietPebble) Errorf(f string, args ...any) { fmt.Fprintf(os.Stderr, "pebble: "+f+"\n", args...) }
func (quietPebble) Fatalf(f string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+f+"\n", args...)
	os.Exit(1)
}

// printStats writes the audit's rate and the process's peak resident memory.
func printStats(w io.Writer, r *audit.Report) {
	rate := 0.0
	if r.Seconds > 0 {
		rate = float64(r.Entries) / r.Seconds
	}
	fmt.Fprintf(w, "stats: %d entries in %.2fs: %.0f events/s; peak RSS %s\n", r.Entries, r.Seconds, rate, peakRSS())
}

// peakRSS reads VmHWM from /proc/self/status (Linux); "unknown" elsewhere.
func peakRSS() string {
	if mib, ok := peakRSSMiB(); ok {
		return fmt.Sprintf("%.1f MiB (VmHWM)", mib)
	}
	return "unknown"
}

// readLogKey returns the verifier key given as --log-key: the key string itself, or
// the path of a file holding it (keys/log.pub). "" stays "".
func readLogKey(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	key := s
	if b, err := os.ReadFile(s); err == nil {
		key = string(bytes.TrimSpace(b))
	} else if !strings.Contains(s, "+") {
		return "", fmt.Errorf("--log-key %s: %w (want a verifier key <origin>+<hash>+<base64> or a file holding one)", s, err)
	}
	if _, err := proof.ParseVerifierKey(key); err != nil {
		return "", fmt.Errorf("--log-key: %w", err)
	}
	return key, nil
}

// parseInterspersed parses flags that may come before, between or after positional
// arguments, which it returns in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// isTerminal reports whether w is a terminal (progress is shown only there).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// witnessFlags are --witness (repeatable) and --witness-quorum: the witness policy of
// audit, export, prove and verify-proof (docs/AUDIT.md, "Trust no single operator").
type witnessFlags struct {
	keys   stringList
	quorum quorumFlag
}

// quorumFlag is an int flag that knows whether it was given.
type quorumFlag struct {
	n   int
	set bool
}

func (q *quorumFlag) String() string {
	if q == nil || !q.set {
		return ""
	}
	return strconv.Itoa(q.n)
}

func (q *quorumFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	q.n, q.set = n, true
	return nil
}

// addWitnessFlags defines --witness and --witness-quorum on fs.
func addWitnessFlags(fs *flag.FlagSet) *witnessFlags {
	w := &witnessFlags{}
	fs.Var(&w.keys, "witness", "a witness's verifier key `VKEY` (its witness.pub, <name>+<hash>+<base64>), or a file holding it; "+
		"repeat for each witness you trust. With any, the checkpoint must carry valid cosignatures by --witness-quorum of them")
	fs.Var(&w.quorum, "witness-quorum", "how many of the --witness keys must cosign the checkpoint, `K` from 1 to their number "+
		"(default: all of them; 0 only without --witness, to state that no witness is required)")
	return w
}

// policy reads the witness keys (strings or files) and settles the quorum. A quorum
// that does not fit the keys is a usage error that says why; a key that does not parse
// is an error naming it.
func (w *witnessFlags) policy() (audit.WitnessPolicy, error) {
	n, q := len(w.keys), w.quorum.n
	switch {
	case w.quorum.set && q < 0:
		return audit.WitnessPolicy{}, fmt.Errorf("%w: --witness-quorum %d: want a number of witnesses, from 1 to the %d --witness keys given", errUsage, q, n)
	case w.quorum.set && q > n && n == 0:
		return audit.WitnessPolicy{}, fmt.Errorf("%w: --witness-quorum %d without any --witness: give the keys of the witnesses you trust with --witness", errUsage, q)
	case w.quorum.set && q > n:
		return audit.WitnessPolicy{}, fmt.Errorf("%w: --witness-quorum %d is more than the %d --witness keys given", errUsage, q, n)
	case w.quorum.set && q == 0 && n > 0:
		return audit.WitnessPolicy{}, fmt.Errorf("%w: --witness-quorum 0 with %d --witness keys would require no cosignature: give 1 to %d, or no --witness", errUsage, n, n)
	case !w.quorum.set:
		q = n
	}
	p := audit.WitnessPolicy{Quorum: q}
	seen := map[string]string{}
	for _, s := range w.keys {
		key, err := readWitnessKey(s)
		if err != nil {
			return audit.WitnessPolicy{}, err
		}
		v, _ := witness.ParseVerifierKey(key)
		id := witness.KeyID(v)
		if prev, dup := seen[id]; dup {
			return audit.WitnessPolicy{}, fmt.Errorf("%w: --witness %s and --witness %s are the same witness key %s", errUsage, prev, s, id)
		}
		seen[id] = s
		p.Keys = append(p.Keys, key)
	}
	return p, nil
}

// readWitnessKey returns the witness verifier key given as --witness: the key string
// itself, or the path of a file holding it (a witness's witness.pub), checked.
func readWitnessKey(s string) (string, error) {
	key := s
	if b, err := os.ReadFile(s); err == nil {
		key = string(bytes.TrimSpace(b))
	} else if !strings.Contains(s, "+") {
		return "", fmt.Errorf("--witness %s: %w (want a witness verifier key <name>+<hash>+<base64> or a file holding one)", s, err)
	}
	if _, err := witness.ParseVerifierKey(key); err != nil {
		return "", fmt.Errorf("--witness %s: %w", s, err)
	}
	return key, nil
}
