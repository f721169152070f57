package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/projections/projtest"
)

// dataDir creates a data directory whose log holds a generated network, and returns
// its projections' index and digest.
func dataDir(t *testing.T) (string, uint64, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	v, err := newViews(nil)
	if err != nil {
		t.Fatal(err)
	}
	node, err := ledger.Open(ctx, ledger.Config{DataDir: dir, Projectors: v.projectors()})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	genesis, _ := node.Log().Entry(ctx, 1)
	n, _ := eventtest.Adopt("rebuild", node.Keys().Registrar, genesis)
	n.Now, n.Step = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), time.Second
	projtest.Build(n, projtest.Options{Jurisdictions: 12, Years: 5, Lines: 3, Verifiers: 2})
	if err := projtest.AppendDirect(ctx, node, n.Entries[1:]); err != nil {
		t.Fatal(err)
	}
	if err := v.v.Attach(ctx, node); err != nil {
		t.Fatal(err)
	}
	st, err := v.v.State()
	if err != nil {
		t.Fatal(err)
	}
	return dir, st.Index, st.Digest
}

func TestRebuild(t *testing.T) {
	dir, index, digest := dataDir(t)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"rebuild", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("rebuild exited %d: %s", code, errb.String())
	}
	var res rebuildResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if res.Index != index || res.Digest != digest || res.EventsPerSecond <= 0 {
		t.Fatalf("rebuild printed %+v, want index %d digest %s", res, index, digest)
	}
	if _, err := os.Stat(filepath.Join(dir, "pebble.rebuild-old")); !os.IsNotExist(err) {
		t.Errorf("the old pebble directory is still there: %v", err)
	}
	// Rebuilding again gives the same digest.
	out.Reset()
	if code := run(context.Background(), []string{"rebuild", "--data", dir}, &out, &errb); code != 0 {
		t.Fatalf("second rebuild exited %d: %s", code, errb.String())
	}
	var again rebuildResult
	json.Unmarshal(out.Bytes(), &again)
	if again.Index != index || again.Digest != digest {
		t.Fatalf("second rebuild %+v, want index %d digest %s", again, index, digest)
	}
}

// A failed rebuild puts the previous Pebble back.
func TestRebuildFailureRestores(t *testing.T) {
	dir, _, _ := dataDir(t)
	marker := filepath.Join(dir, "pebble", "MARKER-test")
	if err := os.WriteFile(marker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	// The origin does not match the genesis: the node refuses to open.
	code := run(context.Background(), []string{"rebuild", "--data", dir, "--origin", "other.example/log"}, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "back in place") {
		t.Fatalf("rebuild with a wrong origin exited %d: %s", code, errb.String())
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the previous pebble directory was not restored: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pebble.rebuild-old")); !os.IsNotExist(err) {
		t.Errorf("pebble.rebuild-old is left: %v", err)
	}
}
