package projections

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/projections/projtest"
)

// benchLog builds, once per benchmark, a node directory whose log holds the golden
// network and a generated one of the given size, and returns the directory and the
// number of entries.
func benchLog(b *testing.B, jurisdictions, years int) (string, int) {
	b.Helper()
	dir := b.TempDir()
	node := openNode(b, ledger.Config{DataDir: dir})
	genesis, _ := node.Log().Entry(context.Background(), 1)
	n, _ := eventtest.Adopt("bench", node.Keys().Registrar, genesis)
	n.Now, n.Step = netStart, time.Second
	buildGolden(n)
	projtest.Build(n, projtest.Options{Jurisdictions: jurisdictions, Years: years, Lines: 6, Verifiers: 4})
	if err := projtest.AppendDirect(context.Background(), node, n.Entries[1:]); err != nil {
		b.Fatal(err)
	}
	node.Close()
	return dir, len(n.Entries)
}

// verifySamples accumulates raw verification runs taken between the runs of a
// benchmark, so that the baseline sees the same load as the runs it is compared
// with.
type verifySamples struct {
	n         int
	wall, cpu time.Duration
}

func (s *verifySamples) sample() {
	n, wall, cpu := verifyBatch()
	s.n += n
	s.wall += wall
	s.cpu += cpu
}

// rate returns verifications per second (all cores) and CPU per verification over
// every sample.
func (s *verifySamples) rate() (float64, time.Duration) {
	return float64(s.n) / s.wall.Seconds(), s.cpu / time.Duration(s.n)
}

// verifyBatch verifies one signature 4000 times on each core and returns the count,
// the wall time and the CPU time.
func verifyBatch() (int, time.Duration, time.Duration) {
	s := eventtest.Key("bench", "verify")
	msg := events.PAE(events.PayloadType, []byte(`{"v":1}`))
	sig := s.Sign(msg)
	pub := s.Public()
	const per = 4000
	workers := runtime.GOMAXPROCS(0)
	start, cpu0 := time.Now(), cpuTime()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				ed25519.Verify(pub, msg, sig)
			}
		}()
	}
	wg.Wait()
	return per * workers, time.Since(start), cpuTime() - cpu0
}

// BenchmarkRebuild measures a rebuild from zero: ledger.Open on a data directory
// whose Pebble was removed replays the whole log (parsing, every signature check,
// the tree, the registry) into a fresh Pebble. "views" runs with the projections,
// "ledger-only" without them, on the same log; verify/s is raw Ed25519 on all cores
// measured in the same run, before each rebuild and after the last (the total over
// those samples).
func BenchmarkRebuild(b *testing.B) {
	dir, entries := benchLog(b, 700, 20)
	rebuild := func(b *testing.B, withViews bool) {
		var total, cpu time.Duration
		var verify verifySamples
		runs := 0
		for b.Loop() {
			b.StopTimer()
			verify.sample()
			if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
				b.Fatal(err)
			}
			cfg := ledger.Config{DataDir: dir}
			if withViews {
				cfg.Projectors = []ledger.Projector{newViews(b, Config{})}
			}
			b.StartTimer()
			start, cpu0 := time.Now(), cpuTime()
			node := openNode(b, cfg)
			total += time.Since(start)
			cpu += cpuTime() - cpu0
			runs++
			b.StopTimer()
			if node.Applied() != uint64(entries) {
				b.Fatalf("rebuilt %d of %d entries", node.Applied(), entries)
			}
			node.Close()
			b.StartTimer()
		}
		eps := float64(entries*runs) / total.Seconds()
		verify.sample()
		vr, vcpu := verify.rate()
		ecpu := cpu / time.Duration(entries*runs)
		b.ReportMetric(float64(entries), "entries")
		b.ReportMetric(eps, "events/s")
		b.ReportMetric(vr, "verify/s")
		b.ReportMetric(eps/vr, "events_per_verify")
		// The same ratio in CPU time, which moves less with other load on the machine:
		// CPU per raw verification over CPU per rebuilt event.
		b.ReportMetric(float64(ecpu.Nanoseconds())/1000, "cpu_µs/event")
		b.ReportMetric(float64(vcpu)/float64(ecpu), "cpu_events_per_verify")
	}
	b.Run("views", func(b *testing.B) { rebuild(b, true) })
	b.Run("ledger-only", func(b *testing.B) { rebuild(b, false) })
}

// BenchmarkPartyGet measures GET /v1/parties/{id} over real HTTP at about 1,000
// requests per second (open loop: a request every millisecond, whatever the previous
// ones do), and reports the latency percentiles; pebble_get is a raw Pebble point get
// of the party row in the same run. "cached" is the default configuration (documents
// kept until their party changes), "uncached" reads and encodes every request.
func BenchmarkPartyGet(b *testing.B) {
	dir, _ := benchLog(b, 200, 20)
	for _, c := range []struct {
		name  string
		cache int
	}{{"cached", 0}, {"uncached", -1}} {
		b.Run(c.name, func(b *testing.B) {
			v := newViews(b, Config{DocumentCache: c.cache})
			if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
				b.Fatal(err)
			}
			node := openNode(b, ledger.Config{DataDir: dir, Projectors: []ledger.Projector{v}})
			defer node.Close()
			e := serve(b, node, v, nil)
			partyGetLoad(b, e, node)
		})
	}
}

func partyGetLoad(b *testing.B, e *env, node *ledger.Node) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	parties := []string{"us-ca", "cnszx", "us-j00100", "cn-j00101", "verifier-001"}
	for _, p := range parties {
		if status, body := e.get(b, "/v1/parties/"+p); status != http.StatusOK {
			b.Fatalf("GET %s: %d %s", p, status, body)
		}
	}
	const rate, requests = time.Millisecond, 3000
	var lat []time.Duration
	for b.Loop() {
		lat = lat[:0]
		var mu sync.Mutex
		work := make(chan int, requests)
		var wg sync.WaitGroup
		for w := 0; w < 32; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					sent := time.Now()
					resp, err := client.Get(e.srv.URL + "/v1/parties/" + parties[i%len(parties)])
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					d := time.Since(sent)
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			}()
		}
		tick := time.NewTicker(rate)
		for i := 0; i < requests; i++ {
			<-tick.C
			work <- i
		}
		tick.Stop()
		close(work)
		wg.Wait()
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	// Raw baseline: point gets of the same party rows.
	db := node.DB()
	var raw []time.Duration
	for i := 0; i < requests; i++ {
		start := time.Now()
		val, closer, err := db.Get(partyKey(parties[i%len(parties)]))
		if err != nil || len(val) == 0 {
			b.Fatal(err)
		}
		closer.Close()
		raw = append(raw, time.Since(start))
	}
	slices.Sort(raw)
	rawP50 := raw[len(raw)/2]
	b.ReportMetric(float64(pct(0.5).Microseconds()), "p50_µs")
	b.ReportMetric(float64(pct(0.99).Microseconds()), "p99_µs")
	b.ReportMetric(float64(rawP50.Nanoseconds()), "pebble_get_p50_ns")
	b.ReportMetric(float64(pct(0.5))/float64(rawP50), "p50_x_pebble_get")
}

// BenchmarkApply measures the views' own cost per entry on the applier's goroutine:
// the generated network replayed into an in-memory Pebble in groups of 512, with the
// entries parsed and their signatures checked beforehand. "views" writes summaries
// per entry, "views-finish" once per group (Finish), with the default workers;
// "views-finish-workers=N" the same with N workers (1, and one per core); "noop" is
// the same loop with a projector that writes nothing.
func BenchmarkApply(b *testing.B) {
	n := eventtest.New("apply", "")
	n.Now, n.Step = netStart, time.Second
	buildGolden(n)
	projtest.Build(n, projtest.Options{Jurisdictions: 300, Years: 20, Lines: 6, Verifiers: 4})
	parsed := make([]*events.Entry, len(n.Entries))
	reg := events.NewRegistry()
	for i, raw := range n.Entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			continue
		}
		parsed[i] = e
		reg.Apply(e) // caches the signature verdicts
	}
	run := func(b *testing.B, finish bool, mk func() ledger.Projector) {
		cpu0 := cpuTime()
		for b.Loop() {
			db, err := pebble.Open("db", &pebble.Options{FS: vfs.NewMem(), Logger: quietLogger{b}})
			if err != nil {
				b.Fatal(err)
			}
			p := mk()
			reg := events.NewRegistry()
			for start := 0; start < len(parsed); start += 512 {
				batch := db.NewIndexedBatch()
				var group []*ledger.Applied
				for i := start; i < min(start+512, len(parsed)); i++ {
					a := &ledger.Applied{Index: uint64(i), Raw: n.Entries[i], Entry: parsed[i], Registry: reg}
					if parsed[i] == nil {
						reg.Skip()
						a.Finding = &events.Finding{Code: events.CodeMalformedEnvelope}
					} else {
						a.Finding = reg.Apply(parsed[i])
					}
					if err := p.Apply(batch, a); err != nil {
						b.Fatal(err)
					}
					group = append(group, a)
				}
				if f, ok := p.(interface{ Finish(*pebble.Batch) error }); ok && finish {
					if err := f.Finish(batch); err != nil {
						b.Fatal(err)
					}
				}
				if err := batch.Commit(pebble.NoSync); err != nil {
					b.Fatal(err)
				}
				batch.Close()
				p.Committed(group)
			}
			db.Close()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(parsed))/1000, "µs/entry")
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*len(parsed))/1000, "cpu_µs/entry")
	}
	b.Run("views", func(b *testing.B) { run(b, false, func() ledger.Projector { return newViews(b, Config{}) }) })
	b.Run("views-finish", func(b *testing.B) { run(b, true, func() ledger.Projector { return newViews(b, Config{}) }) })
	for _, w := range slices.Compact([]int{1, runtime.GOMAXPROCS(0)}) {
		b.Run(fmt.Sprintf("views-finish-workers=%d", w), func(b *testing.B) {
			run(b, true, func() ledger.Projector { return newViews(b, Config{Workers: w}) })
		})
	}
	b.Run("noop", func(b *testing.B) { run(b, false, func() ledger.Projector { return noopProjector{} }) })
}

type noopProjector struct{}

func (noopProjector) Apply(*pebble.Batch, *ledger.Applied) error { return nil }
func (noopProjector) Committed([]*ledger.Applied)                {}
