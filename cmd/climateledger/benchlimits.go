package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/internal/benchkit"
	"github.com/climateledger/climateledger/ledger"
)

// The raw limits `climateledger bench` measures each stage against: what the
// hardware and the libraries allow before any of this project's code runs.

// verifyRate is Ed25519 verifications per second on all cores, for d.
func verifyRate(d time.Duration) float64 {
	k := eventtest.Key("bench", "verify")
	msg := events.PAE(events.PayloadType, make([]byte, 560))
	sig, pub := k.Sign(msg), k.Public()
	var total atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for time.Since(start) < d {
				for range 32 {
					ed25519.Verify(pub, msg, sig)
				}
				n += 32
			}
			total.Add(int64(n))
		}()
	}
	wg.Wait()
	return float64(total.Load()) / time.Since(start).Seconds()
}

// sha256Rate is SHA-256 throughput in MB/s on one core, over 600-byte inputs (the size
// of a typical entry, hashed as a Merkle leaf).
func sha256Rate(d time.Duration) float64 {
	buf := make([]byte, 600)
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for range 256 {
			sha256.Sum256(buf)
		}
		n += 256
	}
	return float64(n*len(buf)) / time.Since(start).Seconds() / 1e6
}

// fsyncLatencies writes 4 KiB and fsyncs it count times in dir and returns the sorted
// latencies.
func fsyncLatencies(dir string, count int) ([]time.Duration, error) {
	f, err := os.Create(filepath.Join(dir, "fsync-probe"))
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	out := make([]time.Duration, 0, count)
	for range count {
		t0 := time.Now()
		if _, err := f.Write(buf); err != nil {
			return nil, err
		}
		if err := f.Sync(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	slices.Sort(out)
	return out, nil
}

// rawPublish publishes per[c] to a SyncAlways file-store stream of the node's NATS
// server (not the ledger's stream) from one goroutine per client, one message in
// flight each, and returns the rate and sorted latencies: the durable append with
// nothing of this project around it.
func rawPublish(ctx context.Context, node *ledger.Node, name string, per [][][]byte) (float64, []time.Duration, error) {
	js := node.Log().JetStream()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"}, Storage: jetstream.FileStorage}); err != nil {
		return 0, nil, fmt.Errorf("raw stream: %w", err)
	}
	return benchkit.RunClients(per, func(c int, e []byte) error {
		_, err := js.Publish(ctx, fmt.Sprintf("%s.%d", name, c), e)
		return err
	})
}

// peakRSSMiB reads the process's peak resident set (VmHWM) from /proc; ok is false
// where there is none.
func peakRSSMiB() (mib float64, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, found := strings.CutPrefix(sc.Text(), "VmHWM:"); found {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err == nil {
				return float64(kb) / 1024, true
			}
		}
	}
	return 0, false
}
