package audit_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
)

// benchSize is the number of entries of the benchmark export:
// $CLIMATELEDGER_AUDIT_BENCH_SIZE, default 100000. The goal is measured with 1000000.
func benchSize(b *testing.B) int {
	if s := os.Getenv("CLIMATELEDGER_AUDIT_BENCH_SIZE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 100 {
			b.Fatalf("CLIMATELEDGER_AUDIT_BENCH_SIZE=%q: want a number ≥ 100", s)
		}
		return n
	}
	return 100_000
}

// BenchmarkAudit audits an export of benchSize entries (8 jurisdictions, inventories
// and target revisions, one Ed25519 signature each) and reports events/s, raw
// ed25519.Verify/s on all cores measured just before and after each audit in the same
// run, their ratio, allocations per event, and the cores the audit kept busy (CPU
// time over wall time; below GOMAXPROCS when other processes share the machine).
//
//	CLIMATELEDGER_AUDIT_BENCH_SIZE=1000000 go test ./ledger/audit -run '^$' -bench Audit -benchtime 1x -count 3
func BenchmarkAudit(b *testing.B) {
	size := benchSize(b)
	dir := benchExport(b, size)
	src, err := audit.OpenDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	var auditTime, auditCPU time.Duration
	var verifyRate, verifyCPURate float64
	var mallocs, allocBytes uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before, beforeCPU := rawVerifyRate(time.Second)
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		r, err := audit.Run(b.Context(), src, audit.Options{LogKey: eventtest.TestLogVerifierKey})
		auditTime += time.Since(start)
		auditCPU += cpuTime() - cpu0
		b.StopTimer()
		runtime.ReadMemStats(&m1)
		if err != nil || !r.OK || r.Entries != uint64(size) {
			b.Fatalf("audit: %v, OK %v, %d entries (want %d), findings %q", err, r != nil && r.OK, r.Entries, size, brief(r))
		}
		mallocs += m1.Mallocs - m0.Mallocs
		allocBytes += m1.TotalAlloc - m0.TotalAlloc
		after, afterCPU := rawVerifyRate(time.Second)
		verifyRate += (before + after) / 2
		verifyCPURate += (beforeCPU + afterCPU) / 2
		b.StartTimer()
	}
	events := float64(size) * float64(b.N)
	rate := events / auditTime.Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(verifyRate/float64(b.N), "verify/s")
	b.ReportMetric(rate/(verifyRate/float64(b.N)), "ratio")
	b.ReportMetric(float64(mallocs)/events, "allocs/event")
	b.ReportMetric(float64(allocBytes)/events, "B/event")
	b.ReportMetric(auditCPU.Seconds()/auditTime.Seconds(), "cores")
	if auditCPU > 0 {
		b.ReportMetric((events/auditCPU.Seconds())/(verifyCPURate/float64(b.N)), "cpu-ratio")
	}
	b.ReportMetric(parseVerifyCost(b, dir), "parse/verify")
	b.ReportMetric(auditCPU.Seconds()*1e6/events, "cpu-µs/event")
}

// rawVerifyRate measures ed25519.Verify per second on all cores for about d, on a
// message the size of a typical entry's PAE, and per second of CPU time.
func rawVerifyRate(d time.Duration) (perSecond, perCPUSecond float64) {
	k := eventtest.Key("bench", "verify")
	msg := events.PAE(events.PayloadType, make([]byte, 560))
	sig, pub := k.Sign(msg), k.Public()
	var total atomic.Int64
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuTime()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for time.Since(start) < d {
				for range 64 {
					if !ed25519.Verify(pub, msg, sig) {
						panic("verify")
					}
				}
				n += 64
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	n := float64(total.Load())
	return n / time.Since(start).Seconds(), n / (cpuTime() - cpu0).Seconds()
}

// parseVerifyCost returns the CPU cost of events.ParseEntry relative to verifying the
// entry's signature, measured on one goroutine over entries of the export: the audit
// cannot beat 1/(1 + parse/verify) of raw verify, whatever the pipeline.
func parseVerifyCost(b *testing.B, dir string) float64 {
	f, err := os.Open(filepath.Join(dir, audit.LogFile))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, audit.MaxLine)
	var sample [][]byte
	for sc.Scan() && len(sample) < 2000+len(benchParties)+1 {
		sample = append(sample, bytes.Clone(sc.Bytes()))
	}
	sample = sample[len(benchParties)+1:]
	keys := map[string]ed25519.PublicKey{}
	for _, p := range benchParties {
		k := eventtest.Key("audit-bench", "party/"+p.id)
		keys[k.KeyID()] = k.Public()
	}
	start := time.Now()
	parsed := make([]*events.Entry, len(sample))
	for i, raw := range sample {
		if parsed[i], err = events.ParseEntry(raw); err != nil {
			b.Fatal(err)
		}
	}
	parse := time.Since(start)
	start = time.Now()
	for _, e := range parsed {
		s := e.Signatures[0]
		if !ed25519.Verify(keys[s.KeyID], events.PAE(events.PayloadType, e.PayloadBytes), s.Sig) {
			b.Fatal("signature does not verify")
		}
	}
	return parse.Seconds() / time.Since(start).Seconds()
}

// benchParties are the chains of the benchmark log.
var benchParties = []struct{ id, country, level string }{
	{"us-ca", "US", "state"}, {"us-ny", "US", "state"}, {"us-wa", "US", "state"}, {"uslax", "US", "city"},
	{"ussea", "US", "city"}, {"cnszx", "CN", "city"}, {"cn-gd", "CN", "province"}, {"cnbjs", "CN", "city"},
}

// benchExport returns an export directory of size entries, building it the first time.
// It is cached under $TMPDIR/climateledger-audit-bench, keyed by the size and a hash
// of the log's first entries (so a change to the events format rebuilds it).
func benchExport(b *testing.B, size int) string {
	b.Helper()
	n := eventtest.New("audit-bench", "")
	for _, p := range benchParties {
		n.Enroll(p.id, p.id, "", p.country, p.level)
	}
	first := benchEvents(n, 0, 16)
	h := sha256.New()
	for _, e := range append(n.Entries, first...) {
		h.Write(e)
	}
	dir := filepath.Join(os.TempDir(), "climateledger-audit-bench", fmt.Sprintf("%d-%s", size, hex.EncodeToString(h.Sum(nil))[:12]))
	if _, err := os.Stat(filepath.Join(dir, audit.CheckpointFile)); err == nil {
		return dir
	}
	b.Logf("building a %d-entry export in %s (once)", size, dir)
	start := time.Now()
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(filepath.Join(tmp, audit.LogFile))
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var rb proof.RootBuilder
	write := func(entries [][]byte) {
		for _, e := range entries {
			w.Write(e)
			w.WriteByte('\n')
			rb.Append(proof.LeafHash(e))
		}
	}
	n = eventtest.New("audit-bench", "")
	for _, p := range benchParties {
		n.Enroll(p.id, p.id, "", p.country, p.level)
	}
	write(n.Entries)
	const chunk = 1 << 15
	for done := len(n.Entries); done < size; {
		m := min(chunk, size-done)
		write(benchEvents(n, done-len(benchParties)-1, m))
		done += m
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	cp := signCheckpoint(b, testSigner(b), rb.Size(), rb.Root())
	if err := os.WriteFile(filepath.Join(tmp, audit.CheckpointFile), cp, 0o644); err != nil {
		b.Fatal(err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	b.Logf("built in %v", time.Since(start).Round(time.Second))
	return dir
}

// benchBodies are the bodies the benchmark events cycle through.
var benchBodies = sync.OnceValue(func() []events.Body {
	var out []events.Body
	for y := 1990; y <= 2100; y++ {
		out = append(out, inventory(y))
		if y%2 == 0 {
			out = append(out, target("t"+strconv.Itoa(y%7), 10+y%80))
		}
	}
	return out
})

// benchEvents returns events k..k+m-1 of the benchmark log (k counts events after the
// enrolments): event k is by party k mod 8 with body k mod len(bodies), one second
// apart. Marshalling and signing run in parallel, one goroutine per party.
func benchEvents(n *eventtest.Network, k, m int) [][]byte {
	bodies := benchBodies()
	ids := make([]string, m)
	times := make([]time.Time, m)
	stream := eventtest.NewStream(fmt.Sprintf("audit-bench/ids/%d", k))
	for j := range m {
		times[j] = eventtest.DefaultStart.Add(time.Hour + time.Duration(k+j)*time.Second)
		id, err := events.NewIDFrom(times[j], stream)
		if err != nil {
			panic(err)
		}
		ids[j] = id
	}
	out := make([][]byte, m)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for pi, p := range benchParties {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			chain := n.Parties[p.id]
			for j := range m {
				if (k+j)%len(benchParties) != pi {
					continue
				}
				body := bodies[(k+j)%len(bodies)]
				d := &events.Draft{ID: ids[j], Party: p.id, Seq: chain.Seq + 1, Prev: chain.Head, Type: body.EventType(), Time: times[j], Body: body}
				payload, err := d.Marshal()
				if err != nil {
					panic(err)
				}
				out[j] = events.Sign(payload, chain.Keys[0])
				chain.Seq, chain.Head = chain.Seq+1, events.PayloadHash(payload)
			}
		}()
	}
	wg.Wait()
	return out
}
