package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/climateledger/climateledger/internal/benchkit"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// BenchmarkSubmitWitnessed measures, in one run, submit → receipt on a node without
// witnesses and on a node with two local witnesses (quorum 2), and on the latter the
// delay from each receipt to the first witnessed checkpoint that covers its entry
// (docs/PERFORMANCE.md):
//
//	go test ./ledger/ -run '^$' -bench SubmitWitnessed -benchtime 2000x -count 5
//
// Receipts never wait for witnesses, so the two receipt latencies should differ only
// by noise (and by the CPU the witnesses use on the same machine).
func BenchmarkSubmitWitnessed(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			ctx := context.Background()
			count := max(1, b.N/clients)
			setup := func(witnesses bool) (*ledger.Node, [][][]byte) {
				node, per := submitSetup(b, clients, count, natslog.Config{})
				if witnesses {
					ledgertest.StartWitnesses(b, node, 2, "uslax.witness.bench", "cnszx.witness.bench")
				}
				return node, per
			}
			plain, plainPer := setup(false)
			witnessed, witnessedPer := setup(true)

			_, plainLat, err := benchkit.RunClients(plainPer, func(c int, e []byte) error {
				_, _, err := plain.Submit(ctx, e)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}

			// Receipt → witnessed: a watcher notes when each receipt's entry is first
			// covered by the node's witnessed checkpoint.
			var (
				mu      sync.Mutex
				pending = map[uint64]time.Time{} // index → receipt time
				delays  []time.Duration
			)
			stop := make(chan struct{})
			watched := make(chan struct{})
			go func() {
				defer close(watched)
				for {
					_, size := witnessed.Witnessed()
					now := time.Now()
					mu.Lock()
					for idx, at := range pending {
						if idx < size {
							delays = append(delays, now.Sub(at))
							delete(pending, idx)
						}
					}
					left := len(pending)
					mu.Unlock()
					select {
					case <-stop:
						if left == 0 {
							return
						}
					default:
					}
					time.Sleep(time.Millisecond)
				}
			}()
			b.ResetTimer()
			_, lat, err := benchkit.RunClients(witnessedPer, func(c int, e []byte) error {
				rc, _, err := witnessed.Submit(ctx, e)
				if err == nil {
					mu.Lock()
					pending[rc.Index] = time.Now()
					mu.Unlock()
				}
				return err
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			close(stop)
			select {
			case <-watched:
			case <-time.After(60 * time.Second):
				b.Fatalf("entries not witnessed 60 s after the last receipt: %d left", len(pending))
			}
			slices.Sort(delays)
			b.ReportMetric(benchkit.Percentile(plainLat, 0.50), "p50-ms")
			b.ReportMetric(benchkit.Percentile(plainLat, 0.99), "p99-ms")
			b.ReportMetric(benchkit.Percentile(lat, 0.50), "witnessed-node-p50-ms")
			b.ReportMetric(benchkit.Percentile(lat, 0.99), "witnessed-node-p99-ms")
			b.ReportMetric(benchkit.Percentile(delays, 0.50), "to-witnessed-p50-ms")
			b.ReportMetric(benchkit.Percentile(delays, 0.99), "to-witnessed-p99-ms")
		})
	}
}
