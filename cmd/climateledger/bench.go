package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/internal/benchkit"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/projections/projtest"
)

func init() {
	register("bench", "measure this machine's raw limits and every stage of climateledger against them, on a throwaway data directory", cmdBench)
}

// benchConfig sizes a bench run.
type benchConfig struct {
	events  int   // entries in the log that integration, rebuild and audit replay
	submits int   // submissions per client count
	clients []int // client counts for the submit stage
	parent  string
	json    bool
}

// BenchStage is one measured stage of `climateledger bench`: its result and, when it
// has one, the raw limit measured in the same run and the ratio to it.
type BenchStage struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// P50Ms and P99Ms are latency percentiles, for stages that have them.
	P50Ms float64 `json:"p50_ms,omitempty"`
	P99Ms float64 `json:"p99_ms,omitempty"`
	// EntriesPerBatch is group commit's mean atomic batch, for submit stages where
	// batches formed.
	EntriesPerBatch float64 `json:"entries_per_batch,omitempty"`
	// LimitValue is the raw baseline measured in the same run, and Limit its unit and
	// what it is; Ratio is Value / LimitValue.
	Limit      string  `json:"limit,omitempty"`
	LimitValue float64 `json:"limit_value,omitempty"`
	Ratio      float64 `json:"ratio,omitempty"`
}

// BenchReport is what `climateledger bench --json` prints.
type BenchReport struct {
	Cores     int          `json:"cores"`
	GoVersion string       `json:"go_version"`
	Events    int          `json:"events"`
	Stages    []BenchStage `json:"stages"`
	PeakRSS   float64      `json:"peak_rss_mib"`
	Seconds   float64      `json:"seconds"`
}

func cmdBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench", "[--events N] [--submits N] [--clients 1,16,64] [--dir DIR] [--json]")
	c := benchConfig{}
	fs.IntVar(&c.events, "events", 30000, "entries in the generated log replayed by integration, rebuild and audit")
	fs.IntVar(&c.submits, "submits", 2000, "submissions per client count in the submit stage")
	clients := fs.String("clients", "1,16,64", "client counts of the submit stage, comma-separated")
	fs.StringVar(&c.parent, "dir", os.TempDir(), "where the throwaway data directory is made (and deleted): put it on the disk you want measured")
	fs.BoolVar(&c.json, "json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	for _, s := range strings.Split(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			fs.Usage()
			return fmt.Errorf("%w: --clients %q: want client counts from 1 to 1024, comma-separated", errUsage, *clients)
		}
		c.clients = append(c.clients, n)
	}
	if c.events < 100 || c.submits < len(c.clients) {
		fs.Usage()
		return fmt.Errorf("%w: --events must be at least 100 and --submits at least 1 per client", errUsage)
	}
	var progress func(string)
	if isTerminal(e.stderr) {
		progress = func(s string) { fmt.Fprintf(e.stderr, "\rbench: %-60s", s) }
		defer fmt.Fprintf(e.stderr, "\r%-68s\r", "")
	}
	rep, err := runBench(ctx, c, progress)
	if err != nil {
		return err
	}
	if c.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBench(e.stdout, rep)
	return nil
}

// runBench measures every stage in a new temporary directory under c.parent, which it
// deletes. It never touches an existing log.
func runBench(ctx context.Context, c benchConfig, progress func(string)) (*BenchReport, error) {
	start := time.Now()
	dir, err := os.MkdirTemp(c.parent, "climateledger-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	step := func(s string) {
		if progress != nil {
			progress(s)
		}
	}
	rep := &BenchReport{Cores: runtime.GOMAXPROCS(0), GoVersion: runtime.Version()}
	add := func(s BenchStage) {
		if s.LimitValue > 0 {
			s.Ratio = s.Value / s.LimitValue
		}
		rep.Stages = append(rep.Stages, s)
	}

	step("raw limits: Ed25519 verify, SHA-256, fsync")
	verify := verifyRate(2 * time.Second)
	add(BenchStage{Name: "raw: Ed25519 verify, all cores", Value: verify, Unit: "verifies/s"})
	add(BenchStage{Name: "raw: SHA-256, one core", Value: sha256Rate(time.Second), Unit: "MB/s"})
	fsync, err := fsyncLatencies(dir, 200)
	if err != nil {
		return nil, fmt.Errorf("fsync: %w", err)
	}
	add(BenchStage{Name: "raw: write 4 KiB + fsync", Value: 1000 / benchkit.Percentile(fsync, 0.5), Unit: "fsyncs/s", P50Ms: benchkit.Percentile(fsync, 0.5), P99Ms: benchkit.Percentile(fsync, 0.99)})

	quiet := slog.New(slog.DiscardHandler)
	for i, clients := range c.clients {
		step(fmt.Sprintf("submit → receipt, %d clients", clients))
		node, err := ledger.Open(ctx, ledger.Config{DataDir: filepath.Join(dir, "submit-"+strconv.Itoa(clients)), Logger: quiet})
		if err != nil {
			return nil, err
		}
		per, err := benchChains(ctx, node, clients, max(1, c.submits/clients))
		if err != nil {
			node.Close()
			return nil, err
		}
		rawRate, rawLat, err := rawPublish(ctx, node, fmt.Sprintf("RAW%d", i), per)
		if err != nil {
			node.Close()
			return nil, err
		}
		rate, lat, err := benchkit.RunClients(per, func(_ int, e []byte) error {
			_, _, err := node.Submit(ctx, e)
			return err
		})
		gc := node.Log().GroupCommitStats()
		node.Close()
		if err != nil {
			return nil, fmt.Errorf("submit: %w", err)
		}
		perBatch := 0.0
		if gc.Batches > 0 {
			perBatch = float64(gc.Entries) / float64(gc.Batches)
		}
		add(BenchStage{Name: fmt.Sprintf("submit → receipt with proof, %d client(s)", clients), Value: rate, Unit: "events/s",
			EntriesPerBatch: perBatch, P50Ms: benchkit.Percentile(lat, 0.5), P99Ms: benchkit.Percentile(lat, 0.99),
			Limit: fmt.Sprintf("msgs/s raw SyncAlways publish, same clients (p50 %.2f ms)", benchkit.Percentile(rawLat, 0.5)), LimitValue: rawRate})
	}

	step(fmt.Sprintf("generating a log of about %d entries", c.events))
	logDir := filepath.Join(dir, "log")
	entries, parties, err := benchLog(ctx, logDir, c.events, quiet)
	if err != nil {
		return nil, err
	}
	rep.Events = entries

	step("integration (ledger only)")
	if err := os.RemoveAll(filepath.Join(logDir, "pebble")); err != nil {
		return nil, err
	}
	t0 := time.Now()
	node, err := ledger.Open(ctx, ledger.Config{DataDir: logDir, Logger: quiet})
	if err != nil {
		return nil, err
	}
	integration := float64(entries) / time.Since(t0).Seconds()
	node.Close()
	add(BenchStage{Name: "integration: parse, verify, tree, Pebble (ledger only)", Value: integration, Unit: "entries/s", Limit: "verifies/s raw Ed25519", LimitValue: verify})

	step("rebuild with projections")
	if err := os.RemoveAll(filepath.Join(logDir, "pebble")); err != nil {
		return nil, err
	}
	rb, err := rebuildPebble(ctx, logDir, ledger.DefaultOrigin, ledger.Config{}.NATS, quiet)
	if err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	add(BenchStage{Name: "rebuild with projections", Value: rb.EventsPerSecond, Unit: "entries/s", Limit: "verifies/s raw Ed25519", LimitValue: verify})

	step("audit of an export of the log")
	auditRate, err := benchAudit(ctx, logDir, filepath.Join(dir, "export"), quiet)
	if err != nil {
		return nil, err
	}
	add(BenchStage{Name: "audit of an export (every signature, rule and the root)", Value: auditRate, Unit: "entries/s", Limit: "verifies/s raw Ed25519", LimitValue: verify})

	step("GET /v1/parties/{id}")
	get, err := benchPartyGet(ctx, logDir, parties, 2000, quiet)
	if err != nil {
		return nil, err
	}
	add(BenchStage{Name: "GET /v1/parties/{id}, one client", Value: 1000 / benchkit.Percentile(get, 0.5), Unit: "req/s", P50Ms: benchkit.Percentile(get, 0.5), P99Ms: benchkit.Percentile(get, 0.99)})

	rep.PeakRSS, _ = peakRSSMiB()
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// benchChains enrols one party per client on node and pre-signs count events for each.
func benchChains(ctx context.Context, node *ledger.Node, clients, count int) ([][][]byte, error) {
	genesis, err := node.Log().Entry(ctx, 1)
	if err != nil {
		return nil, err
	}
	n, err := eventtest.Adopt("bench", node.Keys().Registrar, genesis)
	if err != nil {
		return nil, err
	}
	n.Now, n.Step = time.Now().UTC().Truncate(time.Second), 0
	per := make([][][]byte, clients)
	for c := range clients {
		id := fmt.Sprintf("bench-%03d", c)
		n.Enroll(id, "Bench "+strconv.Itoa(c), "", "US", "city")
		if _, _, err := node.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
			return nil, fmt.Errorf("enrol %s: %w", id, err)
		}
		for i := range count {
			per[c] = append(per[c], n.Append(id, &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15",
				TargetWording: fmt.Sprintf("bench event %d", i)}))
		}
	}
	return per, nil
}

// benchLog writes a generated network of about size entries (projtest.Build: targets,
// inventories, plans, partnerships, attestations, retractions) straight to a new log
// in dir and returns the entry count and the jurisdictions' ids.
func benchLog(ctx context.Context, dir string, size int, lg *slog.Logger) (int, []string, error) {
	node, err := ledger.Open(ctx, ledger.Config{DataDir: dir, Logger: lg})
	if err != nil {
		return 0, nil, err
	}
	defer node.Close()
	genesis, err := node.Log().Entry(ctx, 1)
	if err != nil {
		return 0, nil, err
	}
	n, err := eventtest.Adopt("bench-log", node.Keys().Registrar, genesis)
	if err != nil {
		return 0, nil, err
	}
	const years = 20 // about 31 entries per jurisdiction
	projtest.Build(n, projtest.Options{Jurisdictions: max(2, size/31), Years: years, Lines: 6, Verifiers: 4})
	if err := projtest.AppendDirect(ctx, node, n.Entries[1:]); err != nil {
		return 0, nil, err
	}
	var parties []string
	for id := range n.Parties {
		if strings.HasPrefix(id, "us-") || strings.HasPrefix(id, "cn-") {
			parties = append(parties, id)
		}
	}
	slices.Sort(parties)
	return len(n.Entries), parties, nil
}

// benchAudit exports the log in logDir to exportDir (log.jsonl and the checkpoint)
// and audits the export, returning entries per second.
func benchAudit(ctx context.Context, logDir, exportDir string, lg *slog.Logger) (float64, error) {
	node, err := ledger.Open(ctx, ledger.Config{DataDir: logDir, Logger: lg})
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(exportDir, 0o700); err != nil {
		node.Close()
		return 0, err
	}
	f, err := os.Create(filepath.Join(exportDir, audit.LogFile))
	if err != nil {
		node.Close()
		return 0, err
	}
	cp, size := node.Checkpoint()
	err = node.Log().ReadRange(ctx, 1, size, func(_ uint64, entry []byte) error {
		if _, err := f.Write(entry); err != nil {
			return err
		}
		_, err := f.Write([]byte{'\n'})
		return err
	})
	logKey := node.Keys().LogVerifierKey
	node.Close()
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(exportDir, audit.CheckpointFile), cp, 0o600)
	}
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	src, err := audit.OpenDir(exportDir)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	rep, err := audit.Run(ctx, src, audit.Options{LogKey: logKey})
	if err != nil {
		return 0, fmt.Errorf("audit: %w", err)
	}
	if !rep.OK {
		return 0, fmt.Errorf("audit of the generated log failed: %d findings", len(rep.Findings))
	}
	return float64(rep.Entries) / time.Since(t0).Seconds(), nil
}

// benchPartyGet serves the read API of the node in logDir over loopback HTTP and
// fetches GET /v1/parties/{id} count times, for random parties, one at a time.
func benchPartyGet(ctx context.Context, logDir string, parties []string, count int, lg *slog.Logger) ([]time.Duration, error) {
	v, err := newViews(lg)
	if err != nil {
		return nil, err
	}
	node, err := ledger.Open(ctx, ledger.Config{DataDir: logDir, Logger: lg, Projectors: v.projectors()})
	if err != nil {
		return nil, err
	}
	defer node.Close()
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := http.NewServeMux()
	if err := v.attach(actx, node, mux); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := newHTTPServer(mux, lg)
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/v1/parties/"
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]time.Duration, 0, count)
	for range count {
		t0 := time.Now()
		resp, err := http.Get(base + parties[rng.IntN(len(parties))])
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET /v1/parties: status %d, %v", resp.StatusCode, err)
		}
		out = append(out, time.Since(t0))
	}
	slices.Sort(out)
	return out, nil
}

// printBench writes the report as a table.
func printBench(w io.Writer, r *BenchReport) {
	fmt.Fprintf(w, "climateledger bench: %d cores, %s, a log of %d entries; %.0f s, peak RSS %.0f MiB\n\n", r.Cores, r.GoVersion, r.Events, r.Seconds, r.PeakRSS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stage\tresult\tp50 / p99\tlimit (same run)\tratio")
	for _, s := range r.Stages {
		lat, limit, ratio := "", "", ""
		if s.P50Ms > 0 {
			lat = fmt.Sprintf("%.2f / %.2f ms", s.P50Ms, s.P99Ms)
		}
		if s.LimitValue > 0 {
			limit = formatRate(s.LimitValue) + " " + s.Limit
			ratio = fmt.Sprintf("%.2f", s.Ratio)
		}
		name := s.Name
		if s.EntriesPerBatch > 0 {
			name += fmt.Sprintf(" (%.0f per batch)", s.EntriesPerBatch)
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\n", name, formatRate(s.Value), s.Unit, lat, limit, ratio)
	}
	tw.Flush()
}

// formatRate prints a rate with thousands separators and no decimals above 100.
func formatRate(v float64) string {
	if v < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatInt(int64(v+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
