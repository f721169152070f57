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
