package ledger_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/internal/benchkit"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// Write-path benchmarks (docs/PERFORMANCE.md):
//
//	go test ./ledger/ -run '^$' -bench 'Submit|Integrat' -benchtime 2000x -count 5
//
// BenchmarkSubmit measures submit → receipt (with checkpoint and inclusion proof) on a
// durable node (SyncAlways JetStream, synced Pebble batches) and, in the same run and
// on the same server and disk, a raw JetStream publish of the same entries to a
// SyncAlways file-store stream. It reports both rates, the ratio, and p50/p99 latency.

// chainEntries pre-signs count consecutive events of party, starting after head.
func chainEntries(party string, key *events.Signer, headSeq uint64, head events.Hash, count int) [][]byte {
	out := make([][]byte, count)
	now := time.Now().UTC().Truncate(time.Second)
	for i := range out {
		d := &events.Draft{Party: party, Seq: headSeq + 1, Prev: head, Type: events.TypeEndorsement, Time: now,
			Body: &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15", TargetWording: fmt.Sprintf("benchmark event %d", i)}}
		payload, err := d.Marshal()
		if err != nil {
			panic(err)
		}
		out[i] = events.Sign(payload, key)
		headSeq, head = headSeq+1, events.PayloadHash(payload)
	}
	return out
}

func BenchmarkSubmit(b *testing.B) {
	for _, clients := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchSubmit(b, clients, natslog.Config{}) })
	}
}

// BenchmarkSubmitOneByOne is BenchmarkSubmit with group commit off (every append its
// own publish and fsync, as before issue 15), for a comparison in the same run.
func BenchmarkSubmitOneByOne(b *testing.B) {
	for _, clients := range []int{16, 64, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchSubmit(b, clients, natslog.Config{MaxBatch: 1}) })
	}
}

// submitSetup opens a node with the given log settings, enrols one party per client
// (bench-00, bench-01, …) and pre-signs count events for each.
func submitSetup(tb testing.TB, clients, count int, nats natslog.Config) (*ledger.Node, [][][]byte) {
	tb.Helper()
	node, n := ledgertest.OpenConfig(tb, ledger.Config{NATS: nats})
	ctx := context.Background()
	per := make([][][]byte, clients)
	for c := 0; c < clients; c++ {
		party := fmt.Sprintf("bench-%02d", c)
		n.Enroll(party, "Bench", "", "US", "city")
		if _, _, err := node.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
			tb.Fatal(err)
		}
		p := n.Parties[party]
		per[c] = chainEntries(party, p.Keys[0], p.Seq, p.Head, count)
	}
	return node, per
}

func benchSubmit(b *testing.B, clients int, nats natslog.Config) {
	node, per := submitSetup(b, clients, max(1, b.N/clients), nats)
	ctx := context.Background()
	// Raw baseline: the same entries, published to another SyncAlways stream of
	// the same server.
	js := node.Log().JetStream()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RAW", Subjects: []string{"raw.>"}, Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	rawRate, rawLat, err := benchkit.RunClients(per, func(c int, e []byte) error {
		_, err := js.Publish(ctx, fmt.Sprintf("raw.%d", c), e)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rate, lat, err := benchkit.RunClients(per, func(c int, e []byte) error {
		_, _, err := node.Submit(ctx, e)
		return err
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rate, "events/s")
	if st := node.Log().GroupCommitStats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Entries)/float64(st.Batches), "entries/batch")
	}
	b.ReportMetric(benchkit.Percentile(lat, 0.50), "p50-ms")
	b.ReportMetric(benchkit.Percentile(lat, 0.99), "p99-ms")
	b.ReportMetric(rawRate, "raw-msgs/s")
	b.ReportMetric(benchkit.Percentile(rawLat, 0.50), "raw-p50-ms")
	b.ReportMetric(benchkit.Percentile(rawLat, 0.99), "raw-p99-ms")
	b.ReportMetric(rate/rawRate, "ratio-to-raw")
}

// BenchmarkSubmitPaced offers a fixed rate of submissions from 64 clients, each on
// its own schedule (benchkit.RunPaced: latency counts from the scheduled time, so a
// late receipt also delays what the client sends next without hiding it), and reports
// receipt latency at that rate. The goal of issues 4 and 15: p99 under 50 ms at 1,000
// events/s.
func BenchmarkSubmitPaced(b *testing.B) {
	for _, rate := range []int{1000, 2000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			const clients = 64
			node, per := submitSetup(b, clients, max(1, b.N/clients), natslog.Config{})
			ctx := context.Background()
			interval := time.Duration(float64(time.Second) * clients / float64(rate))
			b.ResetTimer()
			got, lat, err := benchkit.RunPaced(per, interval, func(c int, e []byte) error {
				_, _, err := node.Submit(ctx, e)
				return err
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(got, "events/s")
			b.ReportMetric(benchkit.Percentile(lat, 0.50), "p50-ms")
			b.ReportMetric(benchkit.Percentile(lat, 0.99), "p99-ms")
		})
	}
}

// BenchmarkIntegration measures the applier alone: a log of b.N entries is written
// (bypassing the gate), the node's Pebble is removed, and a fresh open integrates the
// whole log — parsing, every signature, the replay rules, tree hashes, synced batches
// and a checkpoint per group.
func BenchmarkIntegration(b *testing.B) {
	dir := b.TempDir()
	node, n := ledgertest.Open(b, dir)
	ctx := context.Background()
	const parties = 8
	var all [][]byte
	for c := 0; c < parties; c++ {
		party := fmt.Sprintf("bench-%02d", c)
		n.Enroll(party, "Bench", "", "US", "city")
		if _, _, err := node.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
			b.Fatal(err)
		}
	}
	per := max(1, b.N/parties)
	for c := 0; c < parties; c++ {
		p := n.Parties[fmt.Sprintf("bench-%02d", c)]
		all = append(all, chainEntries(p.ID, p.Keys[0], p.Seq, p.Head, per)...)
	}
	// Publish straight to the stream, chains interleaved in order, in windows that
	// stay under the client's limit of outstanding async publishes.
	js := node.Log().JetStream()
	wait := func() {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(5 * time.Minute):
			b.Fatal("publishing timed out")
		}
	}
	for i := 0; i < per; i++ {
		for c := 0; c < parties; c++ {
			if _, err := js.PublishAsync(fmt.Sprintf("ledger.events.bench-%02d", c), all[c*per+i]); err != nil {
				b.Fatal(err)
			}
		}
		if i%256 == 255 {
			wait()
		}
	}
	wait()
	last, _ := node.Log().LastSeq(ctx)
	node.Close()
	if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	node2, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	defer node2.Close()
	if got := node2.Applied(); got != last {
		b.Fatalf("applied %d, want %d", got, last)
	}
	if rj, _ := node2.Rejections(0, last); len(rj) != 0 {
		b.Fatalf("%d entries rejected, first %+v", len(rj), rj[0])
	}
	rate := float64(last) / elapsed.Seconds()
	b.ReportMetric(rate, "entries/s")
	raw := rawVerifyRate(all)
	b.ReportMetric(raw, "raw-verify/s")
	b.ReportMetric(rate/raw, "ratio-to-raw-verify")
}

// rawVerifyRate verifies the entries' signatures with crypto/ed25519 on all cores
// (payload and signature pre-decoded, no parsing) and returns verifications per second:
// the ceiling of any integration that checks every signature.
func rawVerifyRate(entries [][]byte) float64 {
	type job struct {
		pub      ed25519.PublicKey
		msg, sig []byte
	}
	jobs := make([]job, 0, len(entries))
	for _, raw := range entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			panic(err)
		}
		jobs = append(jobs, job{nil, events.PAE(events.PayloadType, e.PayloadBytes), e.Signatures[0].Sig})
	}
	keyOf := map[string]ed25519.PublicKey{}
	for i, raw := range entries {
		e, _ := events.ParseEntry(raw)
		kid := e.Signatures[0].KeyID
		if keyOf[kid] == nil {
			keyOf[kid] = eventtest.Key("BenchmarkIntegration", "party/"+e.Payload.Party).Public()
		}
		jobs[i].pub = keyOf[kid]
	}
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(jobs); i += workers {
				if !ed25519.Verify(jobs[i].pub, jobs[i].msg, jobs[i].sig) {
					panic("raw verify failed")
				}
			}
		}(w)
	}
	wg.Wait()
	return float64(len(jobs)) / time.Since(start).Seconds()
}
