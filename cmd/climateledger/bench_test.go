package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestBench runs a small `climateledger bench --json` and checks that every stage is
// measured, with its same-run limit where it has one, and that the throwaway data
// directory is gone afterwards.
func TestBench(t *testing.T) {
	parent := t.TempDir()
	code, out, errOut := runCLI(t, "bench", "--events", "200", "--submits", "20", "--clients", "1,2", "--dir", parent, "--json")
	if code != 0 {
		t.Fatalf("bench: exit %d\n%s", code, errOut)
	}
	var rep BenchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	want := []string{
		"raw: Ed25519 verify, all cores", "raw: SHA-256, one core", "raw: write 4 KiB + fsync",
		"submit → receipt with proof, 1 client(s)", "submit → receipt with proof, 2 client(s)",
		"integration: parse, verify, tree, Pebble (ledger only)", "rebuild with projections",
		"audit of an export (every signature, rule and the root)", "GET /v1/parties/{id}, one client",
	}
	if len(rep.Stages) != len(want) {
		t.Fatalf("%d stages, want %d: %+v", len(rep.Stages), len(want), rep.Stages)
	}
	for i, s := range rep.Stages {
		if s.Name != want[i] || s.Value <= 0 {
			t.Errorf("stage %d = %+v, want %q with a positive value", i, s, want[i])
		}
		hasLimit := strings.HasPrefix(s.Name, "submit") || strings.HasPrefix(s.Name, "integration") || strings.HasPrefix(s.Name, "rebuild") || strings.HasPrefix(s.Name, "audit")
		if hasLimit != (s.LimitValue > 0) || (hasLimit && (s.Ratio <= 0 || s.Ratio != s.Value/s.LimitValue)) {
			t.Errorf("stage %q: limit %v ratio %v", s.Name, s.LimitValue, s.Ratio)
		}
	}
	if rep.Events < 100 || rep.PeakRSS <= 0 || rep.Cores < 1 {
		t.Errorf("report header: %+v", rep)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("bench left %v in its parent directory", left)
	}

	if code, _, errOut := runCLI(t, "bench", "--clients", "0"); code != 2 || !strings.Contains(errOut, `--clients "0": want client counts from 1 to 1024`) {
		t.Errorf("bench --clients 0: exit %d, %q", code, errOut)
	}
}
