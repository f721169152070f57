package projections

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/projections/projtest"
)

// testNetwork appends the golden network and a generated one of n jurisdictions.
func testNetwork(n *eventtest.Network, jurisdictions int) {
	buildGolden(n)
	projtest.Build(n, projtest.Options{Jurisdictions: jurisdictions, Years: 6, Lines: 4, Verifiers: 2})
}

func openNode(t testing.TB, cfg ledger.Config) *ledger.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node, err := ledger.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("ledger.Open: %v", err)
	}
	return node
}

func stateOf(t testing.TB, node *ledger.Node, v *Views) State {
	t.Helper()
	if err := v.Attach(context.Background(), node); err != nil {
		t.Fatal(err)
	}
	s, err := v.State()
	if err != nil {
		t.Fatal(err)
	}
	if s.Index != node.Applied() {
		t.Fatalf("state index %d, node applied %d", s.Index, node.Applied())
	}
	return s
}

func copyKeys(t testing.TB, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(to, "keys"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ledger.RegistrarKeyFile, ledger.LogKeyFile, ledger.LogPubFile} {
		b, err := os.ReadFile(filepath.Join(from, "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, "keys", f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Two nodes on one NATS (the second applying one entry per batch), a rebuild from
// zero (large groups), and a second rebuild all reach the same digest at the same
// index; live appends keep them equal.
func TestDigestTwoNodesRebuildAndGroups(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	vA := newViews(t, Config{})
	nodeA := openNode(t, ledger.Config{DataDir: dirA, NATS: natslog.Config{ListenAddr: "127.0.0.1:0"}, Projectors: []ledger.Projector{vA}})
	genesis, err := nodeA.Log().Entry(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	n, err := eventtest.Adopt("digest", nodeA.Keys().Registrar, genesis)
	if err != nil {
		t.Fatal(err)
	}
	n.Now, n.Step = netStart, time.Second
	testNetwork(n, 30)
	e := serve(t, nodeA, vA, n)
	e.sent = 1
	e.flush(t)
	sA := e.state(t)
	if !vA.deferring {
		t.Error("the node never called Views.Finish: summaries are written per entry")
	}
	if sA.Index != uint64(len(n.Entries)) || sA.Rows < 500 {
		t.Fatalf("node A state %+v: want index %d and hundreds of rows", sA, len(n.Entries))
	}

	// Node B follows node A's NATS, one entry per Pebble batch.
	copyKeys(t, dirA, dirB)
	pw, err := os.ReadFile(filepath.Join(dirA, "keys", natslog.PasswordFile))
	if err != nil {
		t.Fatal(err)
	}
	vB := newViews(t, Config{})
	nodeB := openNode(t, ledger.Config{DataDir: dirB, MaxGroup: 1, Projectors: []ledger.Projector{vB},
		NATS: natslog.Config{URL: nodeA.Log().ClientURL(), User: natslog.User, Password: strings.TrimSpace(string(pw))}})
	if sB := stateOf(t, nodeB, vB); sB != sA {
		t.Fatalf("node B (one entry per batch) state %+v, node A %+v", sB, sA)
	}

	// Live appends reach both.
	projtest.Build(n, projtest.Options{Jurisdictions: 3, Years: 3, Lines: 2, Verifiers: 1})
	e.flush(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := nodeB.WaitApplied(ctx, nodeA.Applied()); err != nil {
		t.Fatal(err)
	}
	sA = e.state(t)
	if sB := stateOf(t, nodeB, vB); sB != sA {
		t.Fatalf("after live appends: node B %+v, node A %+v", sB, sA)
	}
	nodeB.Close()
	nodeA.Close()

	// Rebuild A from zero, twice, with fresh views.
	for i := 0; i < 2; i++ {
		if err := os.RemoveAll(filepath.Join(dirA, "pebble")); err != nil {
			t.Fatal(err)
		}
		v := newViews(t, Config{})
		node := openNode(t, ledger.Config{DataDir: dirA, Projectors: []ledger.Projector{v}})
		if s := stateOf(t, node, v); s != sA {
			t.Fatalf("rebuild %d: state %+v, want %+v", i+1, s, sA)
		}
		node.Close()
	}
}

// Closing the node between groups and reopening it with new views resumes exactly:
// the applied position and the rows are in the same batch.
func TestReopenBetweenGroups(t *testing.T) {
	dir := t.TempDir()
	v1 := newViews(t, Config{})
	node := openNode(t, ledger.Config{DataDir: dir, Projectors: []ledger.Projector{v1}})
	genesis, _ := node.Log().Entry(context.Background(), 1)
	n, _ := eventtest.Adopt("reopen", node.Keys().Registrar, genesis)
	n.Now, n.Step = netStart, time.Second
	testNetwork(n, 10)
	half := len(n.Entries) / 2
	ctx := context.Background()
	if err := projtest.AppendDirect(ctx, node, n.Entries[1:half]); err != nil {
		t.Fatal(err)
	}
	node.Close()
	v2 := newViews(t, Config{})
	node = openNode(t, ledger.Config{DataDir: dir, Projectors: []ledger.Projector{v2}})
	if err := projtest.AppendDirect(ctx, node, n.Entries[half:]); err != nil {
		t.Fatal(err)
	}
	got := stateOf(t, node, v2)
	node.Close()

	if err := os.RemoveAll(filepath.Join(dir, "pebble")); err != nil {
		t.Fatal(err)
	}
	v3 := newViews(t, Config{})
	node = openNode(t, ledger.Config{DataDir: dir, Projectors: []ledger.Projector{v3}})
	defer node.Close()
	if want := stateOf(t, node, v3); got != want {
		t.Fatalf("reopened between groups: %+v; rebuilt from zero: %+v", got, want)
	}
}

// harness applies entries to views the way the ledger's applier does — one indexed
// batch per group holding the rows and the applied position, committed with Sync,
// then Committed — on any Pebble, here a crashable in-memory one.
type harness struct {
	t testing.TB
	// finish: call Views.Finish before each commit, as the ledger's applier does.
	finish  bool
	db      *pebble.DB
	v       *Views
	reg     *events.Registry
	entries [][]byte
}

const harnessApplied = "h/applied"

// quietLogger keeps Pebble's recovery messages out of the test output.
type quietLogger struct{ t testing.TB }

func (quietLogger) Infof(string, ...any)           {}
func (l quietLogger) Errorf(f string, args ...any) { l.t.Logf(f, args...) }
func (l quietLogger) Fatalf(f string, args ...any) { l.t.Fatalf(f, args...) }

func openHarness(t testing.TB, fs vfs.FS, entries [][]byte, finish bool) *harness {
	t.Helper()
	db, err := pebble.Open("db", &pebble.Options{FS: fs, FormatMajorVersion: pebble.FormatNewest, Logger: quietLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, db: db, v: newViews(t, Config{}), reg: events.NewRegistry(), entries: entries, finish: finish}
	// Restore the registry up to the applied position, as the node does.
	for _, raw := range entries[:h.applied()] {
		h.apply(raw)
	}
	return h
}

func (h *harness) applied() uint64 {
	v, closer, err := h.db.Get([]byte(harnessApplied))
	if err != nil {
		return 0
	}
	defer closer.Close()
	return binary.BigEndian.Uint64(v)
}

func (h *harness) apply(raw []byte) *ledger.Applied {
	a := &ledger.Applied{Raw: raw, Registry: h.reg}
	e, err := events.ParseEntry(raw)
	if err != nil {
		a.Finding = err.(*events.Finding)
		h.reg.Skip()
		return a
	}
	a.Entry = e
	a.Finding = h.reg.Apply(e)
	return a
}

// build fills a batch with the next n entries; the caller commits or drops it.
func (h *harness) build(n int) (*pebble.Batch, []*ledger.Applied) {
	start := h.applied()
	b := h.db.NewIndexedBatch()
	var group []*ledger.Applied
	for i := start; i < start+uint64(n) && i < uint64(len(h.entries)); i++ {
		a := h.apply(h.entries[i])
		a.Index = i
		if err := h.v.Apply(b, a); err != nil {
			h.t.Fatal(err)
		}
		group = append(group, a)
	}
	if h.finish {
		if err := h.v.Finish(b); err != nil {
			h.t.Fatal(err)
		}
	}
	b.Set([]byte(harnessApplied), u64Bytes(start+uint64(len(group))), nil)
	return b, group
}

func (h *harness) step(n int) {
	b, group := h.build(n)
	if err := b.Commit(pebble.Sync); err != nil {
		h.t.Fatal(err)
	}
	b.Close()
	h.v.Committed(group)
}

func (h *harness) digest() State {
	snap := h.db.NewSnapshot()
	defer snap.Close()
	sum, rows, err := Digest(snap)
	if err != nil {
		h.t.Fatal(err)
	}
	applied, _ := readApplied(snap)
	return State{Index: applied, Digest: string(sum[:]), Rows: rows}
}

// A crash in the middle of a batch (the batch never committed) resumes exactly from
// the last committed group; so does a discarded batch re-applied by the same views.
// With and without Finish (summaries written per group or per entry), the rows are
// the same.
func TestCrashMidBatch(t *testing.T) {
	n := eventtest.New("crash", "")
	n.Now, n.Step = netStart, time.Second
	testNetwork(n, 12)
	entries := n.Entries

	ref := openHarness(t, vfs.NewMem(), entries, false)
	ref.step(len(entries))
	want := ref.digest()
	if want.Index != uint64(len(entries)) {
		t.Fatalf("reference applied %d of %d", want.Index, len(entries))
	}
	for _, finish := range []bool{false, true} {
		t.Run(fmt.Sprintf("finish=%v", finish), func(t *testing.T) {
			one := openHarness(t, vfs.NewMem(), entries, finish)
			for int(one.applied()) < len(entries) {
				one.step(1)
			}
			if got := one.digest(); got != want {
				t.Fatalf("one entry per batch: digest %x, want %x", got.Digest, want.Digest)
			}
			for _, crashAt := range []int{1, 37, 150, len(entries) - 5} {
				fs := vfs.NewCrashableMem()
				h := openHarness(t, fs, entries, finish)
				for int(h.applied()) < crashAt {
					h.step(min(13, crashAt-int(h.applied())))
				}
				// A group is half built when the process dies.
				b, _ := h.build(29)
				clone := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
				b.Close()
				h.db.Close()

				r := openHarness(t, clone, entries, finish)
				if got := int(r.applied()); got != crashAt {
					t.Fatalf("crash at %d: reopened at %d", crashAt, got)
				}
				for int(r.applied()) < len(entries) {
					r.step(64)
				}
				if got := r.digest(); got != want {
					t.Fatalf("crash at %d: digest after resume %x (%d rows), want %x (%d rows)", crashAt, got.Digest, got.Rows, want.Digest, want.Rows)
				}
				r.db.Close()
			}

			// The same views re-apply a group whose batch was discarded (the applier's
			// error path): their in-memory models must not keep the discarded rows.
			h := openHarness(t, vfs.NewMem(), entries, finish)
			for int(h.applied()) < len(entries) {
				b, _ := h.build(17)
				b.Close() // discarded
				h.reg = events.NewRegistry()
				for _, raw := range entries[:h.applied()] {
					h.apply(raw)
				}
				h.step(17)
			}
			if got := h.digest(); got != want {
				t.Fatalf("with discarded batches: digest %x, want %x", got.Digest, want.Digest)
			}
		})
	}
}

// The digest's framing, as a vector another language can check: rows p/a = "1" and
// p/b = "xy" (and a ledger row, which is not digested) hash
// 00000003 702f61 00000001 31 00000003 702f62 00000002 7879.
func TestDigestVector(t *testing.T) {
	db, err := pebble.Open("db", &pebble.Options{FS: vfs.NewMem(), Logger: quietLogger{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum, rows, err := Digest(db)
	if err != nil || rows != 0 || hexOf(sum) != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("empty: %x %d %v, want SHA-256 of nothing", sum, rows, err)
	}
	for k, v := range map[string]string{"p/a": "1", "p/b": "xy", "l/applied": "x", "q/": "y"} {
		db.Set([]byte(k), []byte(v), pebble.Sync)
	}
	sum, rows, err = Digest(db)
	if err != nil || rows != 2 || hexOf(sum) != "056e2606146a62bc073ffef40418c688b29ffed41b62cd961b4e2b34aea925f5" {
		t.Fatalf("digest %x over %d rows (%v), want 056e2606…25f5 over 2", sum, rows, err)
	}
}

func hexOf(b [32]byte) string { return hex.EncodeToString(b[:]) }
