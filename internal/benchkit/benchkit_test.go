package benchkit

import (
	"errors"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	lat := []time.Duration{1 * time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond, 4 * time.Millisecond}
	for _, c := range []struct {
		p    float64
		want float64
	}{{0, 1}, {0.5, 3}, {0.99, 4}, {1, 4}} {
		if got := Percentile(lat, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v ms, want %v", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 0.5); got != 0 {
		t.Errorf("Percentile(nil) = %v, want 0", got)
	}
}

func TestRunClients(t *testing.T) {
	per := [][][]byte{{[]byte("a"), []byte("b")}, {[]byte("c")}}
	seen := make([][]string, len(per))
	rate, lat, err := RunClients(per, func(c int, e []byte) error {
		seen[c] = append(seen[c], string(e)) // one goroutine per client: no race
		return nil
	})
	if err != nil || len(lat) != 3 || rate <= 0 {
		t.Fatalf("RunClients = %v, %d latencies, %v", rate, len(lat), err)
	}
	if got := [2]string{seen[0][0] + seen[0][1], seen[1][0]}; got != [2]string{"ab", "c"} {
		t.Errorf("clients ran %v, want each client's entries in order", seen)
	}
	for i := 1; i < len(lat); i++ {
		if lat[i] < lat[i-1] {
			t.Fatalf("latencies not sorted: %v", lat)
		}
	}
	boom := errors.New("boom")
	if _, _, err := RunClients(per, func(int, []byte) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("RunClients with a failing op: %v, want boom", err)
	}
}

func TestRunPaced(t *testing.T) {
	// Two clients, three entries each, due every 20 ms (client 1 offset by 10 ms).
	// Client 0's first answer takes 60 ms: its next two entries, due at 20 and 40 ms,
	// go out late and are charged from their due times.
	per := [][][]byte{{[]byte("a0"), []byte("a1"), []byte("a2")}, {[]byte("b0"), []byte("b1"), []byte("b2")}}
	start := time.Now()
	sent := make([][]time.Duration, len(per))
	_, lat, err := RunPaced(per, 20*time.Millisecond, func(c int, e []byte) error {
		sent[c] = append(sent[c], time.Since(start))
		if string(e) == "a0" {
			time.Sleep(60 * time.Millisecond)
		}
		return nil
	})
	if err != nil || len(lat) != 6 {
		t.Fatalf("RunPaced: %d latencies, %v", len(lat), err)
	}
	for c, due := range [][]time.Duration{{0, 20, 40}, {10, 30, 50}} {
		for i, d := range due {
			if sent[c][i] < d*time.Millisecond {
				t.Errorf("client %d entry %d sent at %v, before it was due at %d ms", c, i, sent[c][i], d)
			}
		}
	}
	// The slowest latencies are a0's own (≥ 60 ms) and a1's (sent at ≥ 60 ms, due at 20).
	if lat[5] < 60*time.Millisecond || lat[4] < 40*time.Millisecond {
		t.Fatalf("latencies %v: the delay of a0 is not charged to a1 from its due time", lat)
	}
}
