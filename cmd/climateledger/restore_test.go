package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
)

// TestRestoreCommand exports a log that also holds two entries the gate would have
// refused (written straight to the stream), restores it into a new data directory,
// and starts a node there: it holds the same entries, signs the same checkpoint and
// records the same rejections. A second restore completes nothing more; a tampered
// export restores nothing.
func TestRestoreCommand(t *testing.T) {
	ctx := context.Background()
	node, n, url, logPub := auditNode(t)
	// A duplicate event id and a chain break, appended around the gate.
	enrolment := n.Entries[1]
	head, _, _ := node.Log().SubjectHead(ctx, "us-ca")
	if _, err := node.Log().Append(ctx, "us-ca", "dup-1", enrolment, head); err != nil {
		t.Fatal(err)
	}
	stale := n.Draft("cnszx", events.TypeInventoryReported, auditInventory(2017))
	stale.Seq = 1 // cnszx is at seq 1 already
	payload, err := stale.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ = node.Log().SubjectHead(ctx, "cnszx")
	if _, err := node.Log().Append(ctx, "cnszx", stale.ID, events.Sign(payload, n.Parties["cnszx"].Keys[0]), head); err != nil {
		t.Fatal(err)
	}
	mustSubmit(t, node, n.Append("ussea", auditInventory(2015)))
	if err := node.WaitApplied(ctx, 9); err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(t.TempDir(), "export")
	if code, out, errOut := runCLI(t, "export", "--server", url, "--out", exp, "--log-key", logPub); code != 0 {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	wantCP, wantSize := node.Checkpoint()
	wantRejections, _ := node.Rejections(0, wantSize)

	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "keys"), 0o700)
	for _, name := range []string{ledger.LogKeyFile, ledger.LogPubFile} {
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(logPub), name))
		os.WriteFile(filepath.Join(data, "keys", name), b, 0o600)
	}
	code, out, errOut := runCLI(t, "restore", "--from", exp, "--data", data)
	if code != 0 || !strings.Contains(out, "audit of "+exp+": 9 entries (7 valid, 2 rejected)") ||
		!strings.Contains(out, "restored 9 entries (0 were already there)") || !strings.Contains(out, "equals the export's signed checkpoint of size 9") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := runCLI(t, "restore", "--from", exp, "--data", data); code != 0 || !strings.Contains(out, "restored 0 entries (9 were already there)") {
		t.Fatalf("second restore: exit %d\n%s%s", code, out, errOut)
	}

	restored, err := ledger.Open(ctx, ledger.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	cp, size := restored.Checkpoint()
	if size != wantSize || !bytes.Equal(cp, wantCP) {
		t.Fatalf("restored node: checkpoint of size %d:\n%s\nwant size %d:\n%s", size, cp, wantSize, wantCP)
	}
	rj, _ := restored.Rejections(0, size)
	if len(rj) != 2 || len(wantRejections) != 2 || rj[0].Finding.Code != wantRejections[0].Finding.Code || rj[1].Finding.Code != wantRejections[1].Finding.Code {
		t.Fatalf("restored rejections %+v, want %+v", rj, wantRejections)
	}

	// A tampered export: nothing is restored.
	lines, _ := os.ReadFile(filepath.Join(exp, audit.LogFile))
	lines[len(lines)/2] ^= 0x01
	os.WriteFile(filepath.Join(exp, audit.LogFile), lines, 0o644)
	fresh := t.TempDir()
	code, _, errOut = runCLI(t, "restore", "--from", exp, "--data", fresh)
	if code != 1 || !strings.Contains(errOut, "nothing restored") {
		t.Fatalf("restore of a tampered export: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(fresh, "nats")); err == nil {
		t.Fatal("the refused restore created a stream")
	}
}
