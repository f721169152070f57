package ledger_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// copyKeys replaces dst/keys with the log keys of src (log.key and log.pub).
func copyKeys(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dst, "keys")); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dst, "keys"), 0o700)
	for _, name := range []string{ledger.LogKeyFile, ledger.LogPubFile} {
		b, err := os.ReadFile(filepath.Join(src, "keys", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, "keys", name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenRefusesAnotherLogsKeys gives a node the keys of another log, with its
// Pebble intact and with it deleted (the documented rebuild step): the node refuses
// before it opens Pebble or signs anything, and the message names the fix.
func TestOpenRefusesAnotherLogsKeys(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, dir := range []string{dirA, dirB} {
		node, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		node.Close()
	}
	copyKeys(t, dirB, dirA)
	pubB, _ := os.ReadFile(filepath.Join(dirB, "keys", ledger.LogPubFile))
	for _, deletePebble := range []bool{false, true} {
		if deletePebble {
			if err := os.RemoveAll(filepath.Join(dirA, "pebble")); err != nil {
				t.Fatal(err)
			}
		}
		node, err := ledger.Open(ctx, ledger.Config{DataDir: dirA})
		if err == nil {
			node.Close()
			t.Fatalf("pebble deleted %v: Open with another log's keys succeeded", deletePebble)
		}
		var km *ledger.KeyMismatchError
		if !errors.As(err, &km) || km.Have != strings.TrimSpace(string(pubB)) {
			t.Fatalf("pebble deleted %v: err = %v, want a *KeyMismatchError for the copied key", deletePebble, err)
		}
		if want := "Copy this log's log.key and log.pub into " + filepath.Join(dirA, "keys"); !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name the fix %q", err, want)
		}
		if deletePebble {
			if _, err := os.Stat(filepath.Join(dirA, "pebble")); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("the refused node created pebble/ (%v)", err)
			}
		}
	}
}

// TestServesWithoutRegistrarKey runs a node whose keys/ holds only the log keys: it
// restarts, serves and integrates enrolments signed offline by the registrar. An
// empty log still needs the registrar key for its genesis.
func TestServesWithoutRegistrarKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	node, n := ledgertest.Open(t, dir)
	enrol(t, node, n, "us-ca")
	node.Close()
	if err := os.Remove(filepath.Join(dir, "keys", ledger.RegistrarKeyFile)); err != nil {
		t.Fatal(err)
	}
	node2, err := ledger.Open(ctx, ledger.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open without the registrar key: %v", err)
	}
	defer node2.Close()
	if node2.Keys().Registrar != nil {
		t.Fatal("Keys().Registrar is set without keys/registrar.key")
	}
	// The registrar signs an enrolment elsewhere; the node records it.
	n.Enroll("cnszx", "Shenzhen", "深圳", "CN", "city")
	rc, recorded, err := node2.Submit(ctx, n.Entries[len(n.Entries)-1])
	if err != nil || !recorded || rc.Index != 2 {
		t.Fatalf("enrolment through a node without the registrar key: %+v %v %v", rc, recorded, err)
	}
	if _, _, err := submitNext(ctx, node2, "us-ca", endorsement(1), n.Parties["us-ca"].Keys[0]); err != nil {
		t.Fatal(err)
	}

	// A new, empty log cannot start without it.
	empty := t.TempDir()
	copyKeys(t, dir, empty)
	_, err = ledger.Open(ctx, ledger.Config{DataDir: empty})
	if err == nil || !strings.Contains(err.Error(), "the log is empty and "+filepath.Join(empty, "keys", ledger.RegistrarKeyFile)+" is missing") {
		t.Fatalf("open an empty log without the registrar key: err = %v, want one naming the missing registrar key", err)
	}
}
