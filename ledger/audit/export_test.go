package audit_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

func export(t *testing.T, url, dir string, opts audit.ExportOptions) (*audit.ExportResult, error) {
	t.Helper()
	src, err := audit.NewServer(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return audit.Export(t.Context(), src, dir, opts)
}

func readExport(t *testing.T, dir string) (log, cp []byte) {
	t.Helper()
	log, _ = os.ReadFile(filepath.Join(dir, audit.LogFile))
	cp, _ = os.ReadFile(filepath.Join(dir, audit.CheckpointFile))
	return log, cp
}

func TestExportFromNode(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)
	populate(t, node, n)
	key := node.Keys().LogVerifierKey
	dir := filepath.Join(t.TempDir(), "export")

	res, err := export(t, srv.URL, dir, audit.ExportOptions{LogKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != 0 || res.Appended != 8 || res.Checkpoint.Size != 8 || res.LogKey.From != "option" {
		t.Fatalf("first export = %+v, want 0 + 8 entries with the given key", res)
	}
	audited := func(want uint64) {
		t.Helper()
		r, err := auditDir(t, dir, audit.Options{LogKey: key})
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, r)
		if r.Entries != want || r.Checkpoint.Size != want {
			t.Fatalf("audit of the export: %d entries, checkpoint %d; want %d", r.Entries, r.Checkpoint.Size, want)
		}
	}
	audited(8)
	logBytes, _ := readExport(t, dir)
	if want := ledgertest.Entries(t, node); !bytes.Equal(logBytes, append(bytes.Join(want, []byte("\n")), '\n')) {
		t.Fatal("log.jsonl is not the node's entries, one per line")
	}

	// The log grows: the export appends only the new lines, after a consistency proof.
	submit(t, node, n.Append("us-ca", inventory(2015)), n.Append("uslax", target("t1", 50)))
	res, err = export(t, srv.URL, dir, audit.ExportOptions{}) // key from the export's genesis
	if err != nil {
		t.Fatal(err)
	}
	if res.Previous != 8 || res.Appended != 2 || res.Consistency != "consistency proof from size 8 to 10 verified" || res.LogKey.From != "genesis" {
		t.Fatalf("second export = %+v, want 8 + 2 with a verified consistency proof, key from the genesis", res)
	}
	audited(10)

	// Nothing new: nothing appended.
	if res, err = export(t, srv.URL, dir, audit.ExportOptions{LogKey: key}); err != nil || res.Appended != 0 || res.Previous != 10 {
		t.Fatalf("third export = %+v, %v; want nothing appended", res, err)
	}

	// An interrupted run left unclaimed bytes after the claimed lines: cut off.
	f, _ := os.OpenFile(filepath.Join(dir, audit.LogFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"payloadType":"half a line`)
	f.Close()
	submit(t, node, n.Append("cnszx", inventory(2016)))
	if res, err = export(t, srv.URL, dir, audit.ExportOptions{LogKey: key}); err != nil || res.Appended != 1 {
		t.Fatalf("export after an interrupted run = %+v, %v; want 1 appended", res, err)
	}
	audited(11)

	// A tampered export is refused, and left as it is.
	logBytes, cpBytes := readExport(t, dir)
	tampered := bytes.Replace(logBytes, []byte(`"payloadType"`), []byte(`"payloadtype"`), 1)
	os.WriteFile(filepath.Join(dir, audit.LogFile), tampered, 0o644)
	_, err = export(t, srv.URL, dir, audit.ExportOptions{LogKey: key})
	var ee *audit.ExportError
	if !errors.As(err, &ee) || ee.Step != "existing export" || !strings.Contains(err.Error(), "hash to root") {
		t.Fatalf("export over a tampered export: %v, want an *ExportError at step existing export", err)
	}
	if l, c := readExport(t, dir); !bytes.Equal(l, tampered) || !bytes.Equal(c, cpBytes) {
		t.Fatal("the refused export was modified")
	}
}

// TestExportRefusals: a server that forks, lies about its root or serves entries
// that cannot be lines gets no export written, and an existing export is unchanged.
func TestExportRefusals(t *testing.T) {
	s := testSigner(t)
	a := testNetwork().Entries
	b := networkEndingWith(2016).Entries
	bMore := append(clone(b), extend(networkEndingWith(2016)))
	cp := func(entries [][]byte) []byte { return signCheckpoint(t, s, uint64(len(entries)), rootOf(entries)) }
	key := audit.ExportOptions{LogKey: eventtest.TestLogVerifierKey}

	base := filepath.Join(t.TempDir(), "export")
	if _, err := export(t, newFakeServer(t, a, cp(a), false).URL, base, key); err != nil {
		t.Fatal(err)
	}
	baseLog, baseCP := readExport(t, base)
	other, _ := otherSigner(t)
	withNewline := append(clone(a), []byte("line one\nline two"))

	tests := []struct {
		name     string
		entries  [][]byte
		cp       []byte
		existing bool // export over base
		step     string
		contains string
	}{
		{"split view", b, cp(b), true, "consistency", "split view: two checkpoints of size 12"},
		{"fork", bMore, cp(bMore), true, "consistency", "proof from size 12 to 13"},
		{"older checkpoint", a[:11], cp(a[:11]), true, "consistency", "older than the export's"},
		{"wrong root", a, signCheckpoint(t, s, 12, rootOf(b)), false, "checkpoint", "hash to root"},
		{"another key", a, signCheckpoint(t, other, 12, rootOf(a)), false, "checkpoint", "no signature by log key"},
		{"fewer entries than the checkpoint", a[:11], signCheckpoint(t, s, 12, rootOf(a)), false, "entries", "delivered 11 entries, its checkpoint covers 12"},
		// The server's one-entry-per-line API splits such an entry in two: the root
		// gives it away.
		{"entry with a newline over HTTP", withNewline, cp(withNewline), false, "checkpoint", "hash to root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "export")
			if tt.existing {
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, audit.LogFile), baseLog, 0o644)
				os.WriteFile(filepath.Join(dir, audit.CheckpointFile), baseCP, 0o644)
			}
			_, err := export(t, newFakeServer(t, tt.entries, tt.cp, false).URL, dir, key)
			checkRefused(t, err, dir, tt.existing, baseLog, baseCP, tt.step, tt.contains)
		})
	}
	t.Run("entry with a newline", func(t *testing.T) {
		// A source that delivers whole entries (NATS) hands it over intact; a line
		// cannot hold it.
		dir := filepath.Join(t.TempDir(), "export")
		_, err := audit.Export(t.Context(), &sliceSource{withNewline, cp(withNewline)}, dir, key)
		checkRefused(t, err, dir, false, nil, nil, "entries", "entry 12 contains a newline")
	})
}

func checkRefused(t *testing.T, err error, dir string, existing bool, baseLog, baseCP []byte, step, contains string) {
	t.Helper()
	var ee *audit.ExportError
	if !errors.As(err, &ee) || ee.Step != step || !strings.Contains(err.Error(), contains) {
		t.Fatalf("Export error = %v, want step %q containing %q", err, step, contains)
	}
	l, c := readExport(t, dir)
	if existing {
		if !bytes.Equal(l, baseLog) || !bytes.Equal(c, baseCP) {
			t.Fatal("the existing export was modified")
		}
	} else if c != nil || len(l) != 0 {
		t.Fatalf("a refused export left a checkpoint (%d bytes) or lines (%d bytes)", len(c), len(l))
	}
}

// sliceSource is a Source over entries in memory.
type sliceSource struct {
	entries    [][]byte
	checkpoint []byte
}

func (s *sliceSource) String() string { return "memory" }

func (s *sliceSource) Checkpoint(ctx context.Context) ([]byte, error) { return s.checkpoint, nil }

func (s *sliceSource) Entries(ctx context.Context, start uint64, fn func(uint64, []byte) error) error {
	for i := start; i < uint64(len(s.entries)); i++ {
		if err := fn(i, s.entries[i]); err != nil {
			return err
		}
	}
	return nil
}
