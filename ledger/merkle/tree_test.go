package merkle_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/climateledger/climateledger/ledger/merkle"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/transparency-dev/merkle/compact"
	tdproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var prefix = []byte("t/")

// openDB opens a real Pebble with a 64 MiB block cache (the node sizes its cache, see
// NOTES "Pebble") and no log output.
func openDB(t testing.TB, fs vfs.FS, dir string) *pebble.DB {
	t.Helper()
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	db, err := pebble.Open(dir, &pebble.Options{FS: fs, FormatMajorVersion: pebble.FormatNewest, Cache: cache, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Errorf(string, ...any)          {}
func (quietLogger) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

func entry(i int) []byte {
	return fmt.Appendf(nil, `{"entry":%d,"pad":"%*s"}`, i, i%13, "")
}

// model is the independent expectation: the leaves and, per size, the roots from a
// plain RootBuilder and from transparency-dev's compact range.
type model struct {
	leaves [][32]byte
	rb     proof.RootBuilder
	cr     *compact.Range
	roots  [][32]byte // roots[n] = root of the first n leaves
}

func newModel() *model {
	rf := &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	var rb proof.RootBuilder
	return &model{cr: rf.NewEmptyRange(0), roots: [][32]byte{rb.Root()}}
}

func (m *model) add(t testing.TB, e []byte) {
	t.Helper()
	leaf := [32]byte(rfc6962.DefaultHasher.HashLeaf(e))
	m.leaves = append(m.leaves, leaf)
	m.rb.Append(leaf)
	if err := m.cr.Append(leaf[:], nil); err != nil {
		t.Fatal(err)
	}
	cr, err := m.cr.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.rb.Root(); r != [32]byte(cr) {
		t.Fatalf("size %d: RootBuilder %x, compact range %x", len(m.leaves), r, cr)
	}
	m.roots = append(m.roots, m.rb.Root())
}

func slices32(p [][32]byte) [][]byte {
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = p[i][:]
	}
	return out
}

// checkSize checks the root of size n and every inclusion proof in it, with
// transparency-dev/merkle's verifier.
func checkSize(t *testing.T, tree *merkle.Tree, m *model, n int) {
	t.Helper()
	root, err := tree.Root(uint64(n))
	if err != nil {
		t.Fatalf("Root(%d): %v", n, err)
	}
	if root != m.roots[n] {
		t.Fatalf("Root(%d) = %x, RootBuilder/compact range = %x", n, root, m.roots[n])
	}
	for i := 0; i < n; i++ {
		p, err := tree.InclusionProof(uint64(i), uint64(n))
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d): %v", i, n, err)
		}
		if err := tdproof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), m.leaves[i][:], slices32(p), root[:]); err != nil {
			t.Fatalf("InclusionProof(%d, %d) does not verify with transparency-dev: %v", i, n, err)
		}
	}
}

// TestTree builds a tree of 300 entries in groups of varying size, committing after
// each group, and checks every root and every inclusion proof for every size 1…300
// against independent implementations, then every consistency proof between sizes
// 1 ≤ m ≤ n ≤ 64. It reopens the database and checks again.
func TestTree(t *testing.T) {
	fs := vfs.NewMem()
	db := openDB(t, fs, "db")
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel()
	if root, err := tree.Root(0); err != nil || root != m.roots[0] {
		t.Fatalf("empty Root(0) = %x, %v; want %x", root, err, m.roots[0])
	}

	groups := []int{1, 1, 2, 3, 5, 8, 13, 1, 21, 34, 7, 64, 1, 2, 55, 17, 66}
	total := 0
	for gi, g := range groups {
		if total+g > 300 {
			g = 300 - total
		}
		b := db.NewBatch()
		for j := 0; j < g; j++ {
			e := entry(total + j)
			idx, err := tree.Append(b, e)
			if err != nil {
				t.Fatal(err)
			}
			if idx != uint64(total+j) {
				t.Fatalf("Append returned index %d, want %d", idx, total+j)
			}
			m.add(t, e)
		}
		// Staged, not yet committed: the overlay serves the new sizes.
		if got, want := tree.Size(), uint64(total+g); got != want {
			t.Fatalf("Size() = %d, want %d", got, want)
		}
		if got := tree.CommittedSize(); got != uint64(total) {
			t.Fatalf("CommittedSize() = %d, want %d", got, total)
		}
		for n := total + 1; n <= total+g; n++ {
			checkSize(t, tree, m, n)
		}
		if err := b.Commit(pebble.Sync); err != nil {
			t.Fatal(err)
		}
		if gi%2 == 0 {
			// Read between Commit and Committed: hashes are in both places.
			checkSize(t, tree, m, total+g)
		}
		tree.Committed()
		total += g
		if got := tree.CommittedSize(); got != uint64(total) {
			t.Fatalf("CommittedSize() = %d, want %d", got, total)
		}
		// Every size in this group again, now from Pebble alone.
		for n := total - g + 1; n <= total; n++ {
			checkSize(t, tree, m, n)
		}
		if total == 300 {
			break
		}
	}
	if total != 300 {
		t.Fatalf("built %d entries, want 300", total)
	}
	checkConsistency(t, tree, m, 64)

	for i := range 300 {
		h, err := tree.LeafHash(uint64(i))
		if err != nil || h != m.leaves[i] {
			t.Fatalf("LeafHash(%d) = %x, %v; want %x", i, h, err, m.leaves[i])
		}
	}

	// Reopen from disk.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, fs, "db")
	defer db.Close()
	tree, err = merkle.Open(db, prefix, 300)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 64, 65, 127, 128, 129, 255, 256, 299, 300} {
		checkSize(t, tree, m, n)
	}
	checkConsistency(t, tree, m, 16)
}

func checkConsistency(t *testing.T, tree *merkle.Tree, m *model, max int) {
	t.Helper()
	for n := 1; n <= max; n++ {
		for k := 1; k <= n; k++ {
			p, err := tree.ConsistencyProof(uint64(k), uint64(n))
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", k, n, err)
			}
			if err := tdproof.VerifyConsistency(rfc6962.DefaultHasher, uint64(k), uint64(n), slices32(p), m.roots[k][:], m.roots[n][:]); err != nil {
				t.Fatalf("ConsistencyProof(%d, %d) does not verify with transparency-dev: %v", k, n, err)
			}
			if err := proof.VerifyConsistency(uint64(k), uint64(n), m.roots[k], m.roots[n], p); err != nil {
				t.Fatalf("ConsistencyProof(%d, %d) does not verify with ledger/proof: %v", k, n, err)
			}
		}
	}
	if p, err := tree.ConsistencyProof(0, 5); err != nil || len(p) != 0 {
		t.Errorf("ConsistencyProof(0, 5) = %v, %v; want empty", p, err)
	}
}

// TestRollback stages a group, rolls it back, and checks that the tree is exactly as
// before; then stages different entries and commits them.
func TestRollback(t *testing.T) {
	db := openDB(t, vfs.NewMem(), "db")
	defer db.Close()
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel()
	b := db.NewBatch()
	for i := range 37 {
		if _, err := tree.Append(b, entry(i)); err != nil {
			t.Fatal(err)
		}
		m.add(t, entry(i))
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	tree.Committed()

	type snapshot struct {
		roots  [][32]byte
		proofs [][][32]byte
		cons   [][][32]byte
	}
	snap := func() snapshot {
		var s snapshot
		for n := 1; n <= 37; n++ {
			r, err := tree.Root(uint64(n))
			if err != nil {
				t.Fatal(err)
			}
			s.roots = append(s.roots, r)
			p, err := tree.InclusionProof(uint64(n-1), 37)
			if err != nil {
				t.Fatal(err)
			}
			s.proofs = append(s.proofs, p)
			c, err := tree.ConsistencyProof(uint64(n), 37)
			if err != nil {
				t.Fatal(err)
			}
			s.cons = append(s.cons, c)
		}
		return s
	}
	before := snap()

	// Stage 20 other entries, then discard the batch.
	b = db.NewBatch()
	for i := range 20 {
		if _, err := tree.Append(b, []byte(fmt.Sprintf("discarded %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if got := tree.Size(); got != 57 {
		t.Fatalf("Size() = %d, want 57", got)
	}
	if _, err := tree.Root(57); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	tree.Rollback()

	if got := tree.Size(); got != 37 {
		t.Fatalf("after Rollback: Size() = %d, want 37", got)
	}
	after := snap()
	for i := range before.roots {
		if before.roots[i] != after.roots[i] || fmt.Sprint(before.proofs[i]) != fmt.Sprint(after.proofs[i]) ||
			fmt.Sprint(before.cons[i]) != fmt.Sprint(after.cons[i]) {
			t.Fatalf("size %d differs after Rollback", i+1)
		}
	}
	for _, f := range []func() error{
		func() error { _, err := tree.Root(38); return err },
		func() error { _, err := tree.InclusionProof(37, 38); return err },
		func() error { _, err := tree.LeafHash(37); return err },
		func() error { _, err := tree.ConsistencyProof(1, 38); return err },
	} {
		if err := f(); !errors.Is(err, merkle.ErrRange) {
			t.Errorf("read beyond rolled-back size: err = %v, want ErrRange", err)
		}
	}
	// Reopening at the committed size agrees: nothing of the discarded batch is stored.
	if _, err := merkle.Open(db, prefix, 37); err != nil {
		t.Fatalf("Open(37) after Rollback: %v", err)
	}

	// New entries after the rollback, committed, are correct.
	b = db.NewBatch()
	for i := 37; i < 80; i++ {
		if _, err := tree.Append(b, entry(i)); err != nil {
			t.Fatal(err)
		}
		m.add(t, entry(i))
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	tree.Committed()
	for n := 1; n <= 80; n++ {
		checkSize(t, tree, m, n)
	}
	checkConsistency(t, tree, m, 80)

	// A rollback after a commit changes nothing.
	tree.Rollback()
	if got := tree.Size(); got != 80 {
		t.Errorf("Rollback with nothing staged: Size() = %d, want 80", got)
	}
}

func TestOpenChecksSize(t *testing.T) {
	db := openDB(t, vfs.NewMem(), "db")
	defer db.Close()
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	for i := range 10 {
		if _, err := tree.Append(b, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	tree.Committed()

	for _, size := range []uint64{0, 5, 9} { // stale: hashes exist beyond
		if _, err := merkle.Open(db, prefix, size); !errors.Is(err, merkle.ErrCorrupt) {
			t.Errorf("Open(%d) with 10 stored: err = %v, want ErrCorrupt", size, err)
		}
	}
	_, err = merkle.Open(db, prefix, 11) // hashes missing
	var mhe *merkle.MissingHashError
	if !errors.As(err, &mhe) || !errors.Is(err, merkle.ErrCorrupt) || mhe.Level != 0 || mhe.N != 10 || mhe.Size != 11 {
		t.Errorf("Open(11) with 10 stored: err = %v, want MissingHashError for leaf 10", err)
	}
	if _, err := merkle.Open(db, prefix, 10); err != nil {
		t.Errorf("Open(10): %v", err)
	}
	if _, err := merkle.Open(db, []byte("other/"), 0); err != nil {
		t.Errorf("Open(other prefix, 0): %v", err)
	}

	// A missing hash in the middle is reported with its coordinates.
	key := append(append([]byte(nil), prefix...), 0, 0, 0, 0, 0, 0, 0, 3) // stored hash 3 = leaf 2
	if err := db.Delete(key, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	_, err = tree.InclusionProof(3, 4)
	if !errors.As(err, &mhe) || mhe.Index != 3 || mhe.Level != 0 || mhe.N != 2 {
		t.Errorf("InclusionProof with leaf 2 deleted: err = %v, want MissingHashError{Index 3}", err)
	}
	if err := db.Set(key, []byte("short"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := tree.LeafHash(2); !errors.Is(err, merkle.ErrCorrupt) {
		t.Errorf("LeafHash with a short value: err = %v, want ErrCorrupt", err)
	}
}

func TestRangeErrors(t *testing.T) {
	db := openDB(t, vfs.NewMem(), "db")
	defer db.Close()
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	for i := range 5 {
		if _, err := tree.Append(b, entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	tree.Committed()
	for name, f := range map[string]func() error{
		"Root(6)":                 func() error { _, err := tree.Root(6); return err },
		"InclusionProof(5, 5)":    func() error { _, err := tree.InclusionProof(5, 5); return err },
		"InclusionProof(0, 0)":    func() error { _, err := tree.InclusionProof(0, 0); return err },
		"InclusionProof(0, 6)":    func() error { _, err := tree.InclusionProof(0, 6); return err },
		"ConsistencyProof(4, 3)":  func() error { _, err := tree.ConsistencyProof(4, 3); return err },
		"ConsistencyProof(1, 6)":  func() error { _, err := tree.ConsistencyProof(1, 6); return err },
		"LeafHash(5)":             func() error { _, err := tree.LeafHash(5); return err },
		"LeafHash(max)":           func() error { _, err := tree.LeafHash(^uint64(0)); return err },
		"Root(max)":               func() error { _, err := tree.Root(^uint64(0)); return err },
		"ConsistencyProof(0,max)": func() error { _, err := tree.ConsistencyProof(0, ^uint64(0)); return err },
	} {
		if err := f(); !errors.Is(err, merkle.ErrRange) {
			t.Errorf("%s: err = %v, want ErrRange", name, err)
		}
	}
}

// TestConcurrentReaders runs proof readers on committed sizes while the applier
// appends and commits; run with -race.
func TestConcurrentReaders(t *testing.T) {
	db := openDB(t, vfs.NewMem(), "db")
	defer db.Close()
	tree, err := merkle.Open(db, prefix, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := newModel()
	for i := range 600 {
		m.add(t, entry(i))
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	errc := make(chan error, 4)
	for r := range 3 {
		wg.Go(func() {
			for k := 0; ; k++ {
				select {
				case <-done:
					return
				default:
				}
				size := tree.CommittedSize()
				if size == 0 {
					continue
				}
				i := uint64(k*7+r) % size
				root, err := tree.Root(size)
				if err == nil && root != m.roots[size] {
					err = fmt.Errorf("Root(%d) = %x, want %x", size, root, m.roots[size])
				}
				if err == nil {
					var p [][32]byte
					p, err = tree.InclusionProof(i, size)
					if err == nil {
						err = proof.VerifyInclusion(i, size, m.leaves[i], p, root)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	for i, round := 0, 0; i < 600; round++ {
		b := db.NewBatch()
		g := 1 + i%17
		for j := 0; j < g && i < 600; j++ {
			if _, err := tree.Append(b, entry(i)); err != nil {
				t.Fatal(err)
			}
			i++
		}
		if round%5 == 4 { // sometimes discard and redo
			b.Close()
			tree.Rollback()
			i = int(tree.Size())
			continue
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			t.Fatal(err)
		}
		tree.Committed()
	}
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	checkSize(t, tree, m, 600)
}
