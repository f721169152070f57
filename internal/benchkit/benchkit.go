// Package benchkit holds what the benchmarks and `climateledger bench` share to load
// a node: concurrent clients, one operation in flight each, and latency percentiles.
package benchkit

import (
	"slices"
	"sync"
	"time"
)

// RunClients runs op for every entry of every client concurrently (one goroutine per
// client, in order) and returns the rate and the sorted latencies.
func RunClients(per [][][]byte, op func(c int, entry []byte) error) (float64, []time.Duration, error) {
	return run(per, op, nil)
}

// RunPaced runs op for every entry of every client, each client on its own schedule:
// entry i of client c is due at start + (c/len(per) + i) × interval, and is sent then,
// or as soon as the client's previous entry is done if that is later (entries of one
// client are one chain: one in flight). Latency counts from the due time, so a slow
// answer is charged to every entry it delays (no coordinated omission). It returns
// the achieved rate and the sorted latencies.
func RunPaced(per [][][]byte, interval time.Duration, op func(c int, entry []byte) error) (float64, []time.Duration, error) {
	return run(per, op, func(c, i int) time.Duration {
		return time.Duration(int64(interval)*int64(c)/int64(len(per))) + time.Duration(i)*interval
	})
}

// run is RunClients, or RunPaced when due (an entry's due time after the start) is set.
func run(per [][][]byte, op func(c int, entry []byte) error, due func(c, i int) time.Duration) (float64, []time.Duration, error) {
	lat := make([][]time.Duration, len(per))
	errs := make(chan error, len(per))
	var wg sync.WaitGroup
	total := 0
	start := time.Now()
	for c := range per {
		total += len(per[c])
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, e := range per[c] {
				t0 := time.Now()
				if due != nil {
					t0 = start.Add(due(c, i))
					time.Sleep(time.Until(t0))
				}
				if err := op(c, e); err != nil {
					errs <- err
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return 0, nil, err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return float64(total) / elapsed.Seconds(), all, nil
}

// Percentile returns the p-quantile (0..1) of sorted durations in milliseconds.
func Percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()) / 1000
}
