package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
)

func TestExportCommand(t *testing.T) {
	node, n, url, logPub := auditNode(t)
	dir := filepath.Join(t.TempDir(), "export")
	if code, out, errOut := runCLI(t, "export", "--server", url, "--out", dir); code != 0 || !strings.Contains(out, "NOT given (--log-key)") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	mustSubmit(t, node, n.Append("cnszx", auditInventory(2016)))
	code, out, errOut := runCLI(t, "export", "--server", url, "--out", dir, "--log-key", logPub)
	if code != 0 || !strings.Contains(out, "7 entries (1 new)") || !strings.Contains(out, "verified: consistency proof from size 6 to 7 verified") {
		t.Fatalf("second export: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "export", "--server", url); code != 2 || !strings.Contains(errOut, "missing [--out]") {
		t.Fatalf("export without --out: exit %d\n%s", code, errOut)
	}
	// Another log's key: refused, the export stays.
	other := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(other, []byte(eventtest.TestLogVerifierKey+"\n"), 0o644)
	before, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointFile))
	code, _, errOut = runCLI(t, "export", "--server", url, "--out", dir, "--log-key", other)
	after, _ := os.ReadFile(filepath.Join(dir, audit.CheckpointFile))
	if code != 1 || !strings.Contains(errOut, "existing export: checkpoint: checkpoint signature: no signature by log key") || !bytes.Equal(before, after) {
		t.Fatalf("export with another key: exit %d\n%s", code, errOut)
	}
}
