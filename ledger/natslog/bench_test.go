package natslog

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Benchmarks are the raw baseline other packages quote ratios against
// (docs/PERFORMANCE.md). Run them with
//
//	go test ./ledger/natslog/ -run '^$' -bench . -benchtime 3s -count 5
//
// They use the real embedded server with SyncAlways on the store's real disk: the
// numbers are bounded by fsync latency.

const benchPayload = 1024

func TestMain(m *testing.M) {
	code := m.Run()
	readFixture.close()
	os.Exit(code)
}

// runPublishers runs b.N calls of op spread over the given number of goroutines and
// reports throughput and per-call latency percentiles.
func runPublishers(b *testing.B, publishers int, op func(worker, i int) error) {
	lat := make([][]time.Duration, publishers)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; next.Add(1) <= int64(b.N); i++ {
				t0 := time.Now()
				if err := op(w, i); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds())
	}
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}

// BenchmarkRawPublish is a plain JetStream publish (no message id, no expectation)
// of 1 KiB to the SyncAlways file-store stream: the ceiling for Append.
func BenchmarkRawPublish(b *testing.B) {
	payload := entryBytes(0, benchPayload)
	for _, publishers := range []int{1, 16} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) {
			l := openLog(b, Config{StoreDir: b.TempDir()})
			js, ctx := l.JetStream(), context.Background()
			runPublishers(b, publishers, func(w, _ int) error {
				_, err := js.Publish(ctx, fmt.Sprintf("ledger.events.raw-%d", w), payload)
				return err
			})
		})
	}
}

// BenchmarkAppend is BenchmarkRawPublish through Log.Append: a message id and the
// expected last subject sequence on every write, one chain per publisher.
func BenchmarkAppend(b *testing.B) {
	for _, publishers := range []int{1, 16} {
		b.Run(fmt.Sprintf("publishers=%d", publishers), func(b *testing.B) { benchAppend(b, publishers, Config{}) })
	}
}

// benchAppend runs b.N appends spread over publishers goroutines, one chain each, on
// a log opened with cfg (StoreDir: a temporary directory), and reports group commit's
// mean batch where batches formed.
func benchAppend(b *testing.B, publishers int, cfg Config) {
	payload := entryBytes(0, benchPayload)
	cfg.StoreDir = b.TempDir()
	l := openLog(b, cfg)
	ctx := context.Background()
	heads := make([]uint64, publishers)
	runPublishers(b, publishers, func(w, i int) error {
		a, err := l.Append(ctx, fmt.Sprintf("party-%d", w), fmt.Sprintf("b%d-%d", w, i), payload, heads[w])
		heads[w] = a.Seq
		return err
	})
	if st := l.GroupCommitStats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Entries)/float64(st.Batches), "entries/batch")
	}
}

// readFixture is a log of readEntries 1 KiB entries with message ids over 100
// parties, built once per process (written without fsync: only reading is measured).
var readFixture fixture

type fixture struct {
	once sync.Once
	dir  string
	log  *Log
	err  error
}

const readEntries = 100_000

func (f *fixture) close() {
	if f.log != nil {
		f.log.Close()
	}
	if f.dir != "" {
		os.RemoveAll(f.dir)
	}
}

func buildReadFixture(b *testing.B) *Log {
	readFixture.once.Do(func() {
		dir, err := os.MkdirTemp("", "natslog-bench-")
		if err != nil {
			readFixture.err = err
			return
		}
		readFixture.dir = dir
		raw := startRaw(b, dir, false, false)
		_, js := raw.connect(b)
		ctx := context.Background()
		if _, err := js.CreateStream(ctx, streamConfig(Config{}.withDefaults())); err != nil {
			readFixture.err = err
			return
		}
		for i := range readEntries {
			if _, err := js.PublishAsync(fmt.Sprintf("ledger.events.p%03d", i%100), entryBytes(i, benchPayload),
				jetstream.WithMsgID(fmt.Sprintf("01JDB8Y2Q5B6H1XKQZ%08d", i))); err != nil {
				readFixture.err = err
				return
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(5 * time.Minute):
			readFixture.err = fmt.Errorf("fixture publish did not complete")
			return
		}
		raw.shutdown()
		readFixture.log, readFixture.err = Open(ctx, Config{StoreDir: dir})
	})
	if readFixture.err != nil {
		b.Fatalf("read fixture: %v", readFixture.err)
	}
	return readFixture.log
}

// BenchmarkRead replays the whole 100k-entry log with Log.Read.
func BenchmarkRead(b *testing.B) {
	l := buildReadFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		n := 0
		if err := l.Read(ctx, 1, func(uint64, []byte) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != readEntries {
			b.Fatalf("Read delivered %d entries, want %d", n, readEntries)
		}
	}
	b.ReportMetric(float64(b.N*readEntries)/time.Since(start).Seconds(), "entries/s")
	b.SetBytes(readEntries * benchPayload)
}

// BenchmarkGroupCommit is BenchmarkAppend with more publishers, with group commit
// (max-batch=256, the default) and without it (max-batch=1).
func BenchmarkGroupCommit(b *testing.B) {
	for _, publishers := range []int{16, 64, 256} {
		for _, maxBatch := range []int{1, DefaultMaxBatch} {
			b.Run(fmt.Sprintf("publishers=%d/max-batch=%d", publishers, maxBatch), func(b *testing.B) {
				benchAppend(b, publishers, Config{MaxBatch: maxBatch})
			})
		}
	}
}
