// Package merkle keeps climateledger's RFC 6962 Merkle tree over the log entries in
// Pebble, and serves roots, inclusion proofs and consistency proofs from it.
//
// The tree is stored as golang.org/x/mod/sumdb/tlog "stored hashes" (the dense
// post-order layout of Crosby and Wallach, §3.3: leaf n's hash followed by the hashes
// of the subtrees it completes). Stored hash i lives at key prefix ‖ uint64(i) big
// endian, value the 32 raw hash bytes; the prefix is the caller's. Hashes are RFC 6962:
// leaf = SHA-256(0x00 ‖ entry), node = SHA-256(0x01 ‖ left ‖ right) (see package
// ledger/proof, which verifies what this package proves).
//
// The tree never commits anything itself. The node's applier integrates a group of log
// entries into one Pebble batch together with its projection rows and its applied
// position, commits it with pebble.Sync, and tells the tree:
//
//	for _, e := range group { tree.Append(batch, e) }   // stage: hashes go into batch and an in-memory overlay
//	err := batch.Commit(pebble.Sync)
//	if err != nil { batch.Close(); tree.Rollback() }   // forget the staged hashes
//	else          { tree.Committed() }                  // drop the overlay: Pebble has them
//
// Between Append and Committed the staged hashes are readable from the overlay, so the
// root of the new size can be computed for the checkpoint before or right after the
// commit. The tree does not store its own size: the caller passes the committed size
// (its applied position) to [Open], so there is one source of truth and both move in
// the same batch.
package merkle

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"golang.org/x/mod/sumdb/tlog"
)

// Marker errors, usable with errors.Is.
var (
	// ErrCorrupt: the stored hashes disagree with the size the tree was opened at (a
	// hash is missing, has the wrong length, or exists beyond the tree). The tree must
	// be rebuilt from the log.
	ErrCorrupt = errors.New("merkle: corrupt tree")
	// ErrRange: an index or size is beyond the tree (or beyond what was staged, after
	// a Rollback), or a size pair is out of order.
	ErrRange = errors.New("merkle: out of range")
)

// MissingHashError reports a stored hash that should exist and does not, or is not 32
// bytes. It matches ErrCorrupt.
type MissingHashError struct {
	Index int64  // stored hash index
	Level int    // tree level of the hash (0 = leaf)
	N     int64  // position of the hash within its level
	Size  uint64 // the tree size the hash was needed for
	Err   error  // the Pebble error, or nil for a wrong-length value
}

// Error describes the problem with its data.
func (e *MissingHashError) Error() string {
	what := "is missing"
	if e.Err == nil {
		what = "is not 32 bytes"
	} else if !errors.Is(e.Err, pebble.ErrNotFound) {
		what = "cannot be read: " + e.Err.Error()
	}
	return fmt.Sprintf("merkle: stored hash %d (level %d, node %d) for tree size %d %s", e.Index, e.Level, e.N, e.Size, what)
}

// Is reports whether target is ErrCorrupt.
func (e *MissingHashError) Is(target error) bool { return target == ErrCorrupt }

// Unwrap returns the Pebble error, if any.
func (e *MissingHashError) Unwrap() error { return e.Err }

// Tree is the Merkle tree of a log, stored in Pebble under a key prefix.
//
// Concurrency: all methods are safe for concurrent use. Append, Committed and Rollback
// are serialised with each other and are meant for the one applier goroutine. Readers
// (Size, CommittedSize, Root, LeafHash, InclusionProof, ConsistencyProof) run in
// parallel with each other and with the writer: for sizes up to CommittedSize they read
// immutable data; for staged sizes they see the overlay, and fail with ErrRange if a
// Rollback discards what they were reading.
type Tree struct {
	db     *pebble.DB
	prefix []byte

	wmu    sync.Mutex // serialises Append, Committed and Rollback
	keyBuf []byte     // guarded by wmu: scratch key for Append

	cache *hashCache // committed upper-level hashes; safe for concurrent use

	mu        sync.RWMutex
	committed uint64              // guarded by mu: size whose hashes are in db
	size      uint64              // guarded by mu: committed plus staged entries
	gen       uint64              // guarded by mu: incremented by every Rollback
	overlay   map[int64]tlog.Hash // guarded by mu: hashes staged since the last Committed
}

// maxSize is the largest tree tlog's int64 arithmetic can handle.
const maxSize = math.MaxInt64 / 2

// Open returns the tree stored in db under prefix, whose committed size is size (the
// applied position the caller keeps in the same batches). It checks the stored hashes
// against size: the last leaf and the last subtree hash of the tree of that size must
// exist and the next leaf must not; otherwise it returns an error matching ErrCorrupt.
// The tree keeps a copy of prefix. Open is cheap (three point reads).
func Open(db *pebble.DB, prefix []byte, size uint64) (*Tree, error) {
	if db == nil {
		return nil, errors.New("merkle: open: nil db")
	}
	if size > maxSize {
		return nil, fmt.Errorf("merkle: open: size %d: %w", size, ErrRange)
	}
	t := &Tree{
		db:        db,
		prefix:    append([]byte(nil), prefix...),
		cache:     new(hashCache),
		committed: size,
		size:      size,
		overlay:   make(map[int64]tlog.Hash),
	}
	n := int64(size)
	if n > 0 {
		for _, i := range []int64{tlog.StoredHashIndex(0, n-1), tlog.StoredHashCount(n) - 1} {
			if _, err := t.readHashes([]int64{i}, size); err != nil {
				return nil, fmt.Errorf("merkle: open at size %d: %w", size, err)
			}
		}
	}
	next := tlog.StoredHashCount(n)
	_, closer, err := db.Get(t.key(nil, next))
	switch {
	case err == nil:
		closer.Close()
		return nil, fmt.Errorf("merkle: open at size %d: a hash for leaf %d exists (stored hash %d): the size is stale or the prefix holds another tree: %w",
			size, size, next, ErrCorrupt)
	case !errors.Is(err, pebble.ErrNotFound):
		return nil, fmt.Errorf("merkle: open at size %d: %w", size, err)
	}
	return t, nil
}

// key appends the Pebble key of stored hash i to dst.
func (t *Tree) key(dst []byte, i int64) []byte {
	dst = append(dst, t.prefix...)
	return binary.BigEndian.AppendUint64(dst, uint64(i))
}

// Size returns the size of the tree including staged entries.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// CommittedSize returns the size of the tree as of the last Open or Committed: the
// entries whose hashes are durable in Pebble.
func (t *Tree) CommittedSize() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.committed
}

// Append stages entry (its exact stored bytes) as the next leaf: it writes the new
// stored hashes into b and into the overlay, and returns the entry's index. The tree's
// Size grows at once; the hashes become durable when the caller commits b, after which
// it must call Committed (or Rollback if b is discarded). The caller must commit b, or
// discard it, before staging into another batch.
//
// On error nothing is staged in the tree, but b may hold some of the entry's hashes:
// discard b and call Rollback.
func (t *Tree) Append(b *pebble.Batch, entry []byte) (uint64, error) {
	t.wmu.Lock()
	defer t.wmu.Unlock()

	t.mu.RLock()
	n, gen := t.size, t.gen
	t.mu.RUnlock()
	if n >= maxSize {
		return 0, fmt.Errorf("merkle: append at size %d: %w", n, ErrRange)
	}
	// Only this goroutine changes the overlay and size (under wmu), so what StoredHashes
	// reads cannot change under it.
	hashes, err := tlog.StoredHashes(int64(n), entry, hashReader{t, n})
	if err != nil {
		return 0, fmt.Errorf("merkle: append leaf %d: %w", n, err)
	}
	first := tlog.StoredHashIndex(0, int64(n))
	for j, h := range hashes {
		t.keyBuf = t.key(t.keyBuf[:0], first+int64(j))
		if err := b.Set(t.keyBuf, h[:], nil); err != nil {
			return 0, fmt.Errorf("merkle: append leaf %d: %w", n, err)
		}
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != gen || t.size != n { // cannot happen: wmu serialises writers
		return 0, fmt.Errorf("merkle: append leaf %d: tree changed during append", n)
	}
	for j, h := range hashes {
		t.overlay[first+int64(j)] = h
	}
	t.size++
	return n, nil
}

// Committed records that the batch holding every staged hash was committed: the staged
// size becomes the committed size and the overlay is dropped.
func (t *Tree) Committed() {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.committed = t.size
	clear(t.overlay)
}

// Rollback forgets every entry staged since the last Committed (or Open), because
// their batch was discarded: the tree is exactly as it was at CommittedSize. Readers
// working on a staged size at that moment get ErrRange.
func (t *Tree) Rollback() {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.size = t.committed
	t.gen++
	clear(t.overlay)
}

// Root returns the RFC 6962 root of the tree of the first size entries; size 0 gives
// SHA-256 of the empty string. size may be any size up to Size, including staged ones.
// Errors: ErrRange if size > Size, ErrCorrupt (a *MissingHashError) if a stored hash
// is missing.
func (t *Tree) Root(size uint64) ([32]byte, error) {
	var h tlog.Hash
	err := t.read("root", size, func() (err error) {
		h, err = tlog.TreeHash(int64(size), hashReader{t, size})
		return err
	})
	return h, err
}

// LeafHash returns the stored leaf hash of entry index. Errors: ErrRange if index >=
// Size, ErrCorrupt if the hash is missing.
func (t *Tree) LeafHash(index uint64) ([32]byte, error) {
	if index >= maxSize {
		return [32]byte{}, fmt.Errorf("merkle: leaf hash: index %d is beyond the tree: %w", index, ErrRange)
	}
	var h [32]byte
	err := t.read("leaf hash", index+1, func() error {
		hs, err := t.readHashes([]int64{tlog.StoredHashIndex(0, int64(index))}, index+1)
		if err == nil {
			h = hs[0]
		}
		return err
	})
	return h, err
}

// InclusionProof returns the RFC 6962 inclusion proof (audit path) of entry index in
// the tree of size entries, from the leaf's sibling upwards, as ledger/proof.VerifyInclusion
// and C2SP tlog-proof expect it. Errors: ErrRange unless index < size <= Size,
// ErrCorrupt if a stored hash is missing.
func (t *Tree) InclusionProof(index, size uint64) ([][32]byte, error) {
	if index >= size {
		return nil, fmt.Errorf("merkle: inclusion proof: index %d is not below size %d: %w", index, size, ErrRange)
	}
	var p tlog.RecordProof
	err := t.read("inclusion proof", size, func() (err error) {
		p, err = tlog.ProveRecord(int64(size), int64(index), hashReader{t, size})
		return err
	})
	if err != nil {
		return nil, err
	}
	return toArrays(p), nil
}

// ConsistencyProof returns the RFC 6962 consistency proof that the tree of size from is
// a prefix of the tree of size to. It is empty when from is 0 or equal to to. Errors:
// ErrRange unless from <= to <= Size, ErrCorrupt if a stored hash is missing.
func (t *Tree) ConsistencyProof(from, to uint64) ([][32]byte, error) {
	if from > to {
		return nil, fmt.Errorf("merkle: consistency proof: size %d is above size %d: %w", from, to, ErrRange)
	}
	var p tlog.TreeProof
	err := t.read("consistency proof", to, func() (err error) {
		if from == 0 || from == to {
			p = tlog.TreeProof{}
			return nil
		}
		p, err = tlog.ProveTree(int64(to), int64(from), hashReader{t, to})
		return err
	})
	if err != nil {
		return nil, err
	}
	return toArrays(p), nil
}

// read runs f, which reads the tree at size, and checks the size against the tree
// before and, for staged sizes, against a concurrent Rollback after.
func (t *Tree) read(op string, size uint64, f func() error) error {
	t.mu.RLock()
	have, committed, gen := t.size, t.committed, t.gen
	t.mu.RUnlock()
	if size > have || size > maxSize {
		return fmt.Errorf("merkle: %s: size %d is beyond the tree (size %d): %w", op, size, have, ErrRange)
	}
	err := f()
	if size > committed {
		t.mu.RLock()
		rolledBack := t.gen != gen
		t.mu.RUnlock()
		if rolledBack {
			return fmt.Errorf("merkle: %s: size %d was rolled back while being read: %w", op, size, ErrRange)
		}
	}
	if err != nil {
		return fmt.Errorf("merkle: %s at size %d: %w", op, size, err)
	}
	return nil
}

// hashReader reads stored hashes for a tree of the given size: staged ones from the
// overlay, the rest from the cache or Pebble.
type hashReader struct {
	t    *Tree
	size uint64
}

// ReadHashes implements tlog.HashReader.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return r.t.readHashes(indexes, r.size)
}

func (t *Tree) readHashes(indexes []int64, size uint64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int
	t.mu.RLock()
	// Hashes below StoredHashCount(committed) are durable and never change: only
	// those may enter the cache.
	durable := tlog.StoredHashCount(int64(t.committed))
	for i, x := range indexes {
		if h, ok := t.overlay[x]; ok {
			out[i] = h
		} else {
			missing = append(missing, i)
		}
	}
	t.mu.RUnlock()
	if len(missing) == 0 {
		return out, nil
	}
	missing = t.cache.get(indexes, out, missing)
	// A hash that is not in the overlay was committed before the overlay was last
	// cleared (Committed clears it only after the batch is in Pebble).
	var key []byte
	for _, i := range missing {
		x := indexes[i]
		key = t.key(key[:0], x)
		v, closer, err := t.db.Get(key)
		if err != nil {
			level, n := tlog.SplitStoredHashIndex(x)
			return nil, &MissingHashError{Index: x, Level: level, N: n, Size: size, Err: err}
		}
		ok := len(v) == tlog.HashSize
		copy(out[i][:], v)
		closer.Close()
		if !ok {
			level, n := tlog.SplitStoredHashIndex(x)
			return nil, &MissingHashError{Index: x, Level: level, N: n, Size: size}
		}
		if x < durable {
			t.cache.put(x, out[i])
		}
	}
	return out, nil
}

// hashCache is a fixed-size, direct-mapped cache of durable stored hashes at level
// cacheMinLevel and above. Those hashes are shared by many proofs (every inclusion
// proof in a tree of size n reads about log₂ n of them) and never change once
// committed, so entries are never invalidated. It is safe for concurrent use.
type hashCache struct {
	mu    sync.Mutex
	slots [cacheSlots]cacheSlot // guarded by mu
}

const (
	cacheSlots    = 1 << 15 // 32768 × 40 bytes ≈ 1.3 MB per tree
	cacheMinLevel = 2
)

type cacheSlot struct {
	index int64 // stored hash index + 1; 0 means empty
	hash  tlog.Hash
}

func cacheSlotOf(index int64) int {
	// Fibonacci hashing spreads the dense indexes of one level over the slots.
	return int(uint64(index) * 0x9E3779B97F4A7C15 >> (64 - 15))
}

// get fills out[i] for the positions in missing whose hash is cached and returns the
// positions still missing.
func (c *hashCache) get(indexes []int64, out []tlog.Hash, missing []int) []int {
	still := missing[:0]
	c.mu.Lock()
	for _, i := range missing {
		s := &c.slots[cacheSlotOf(indexes[i])]
		if s.index == indexes[i]+1 {
			out[i] = s.hash
		} else {
			still = append(still, i)
		}
	}
	c.mu.Unlock()
	return still
}

// put caches the durable stored hash h at index if its level is high enough.
func (c *hashCache) put(index int64, h tlog.Hash) {
	if level, _ := tlog.SplitStoredHashIndex(index); level < cacheMinLevel {
		return
	}
	c.mu.Lock()
	c.slots[cacheSlotOf(index)] = cacheSlot{index: index + 1, hash: h}
	c.mu.Unlock()
}

// toArrays converts tlog hashes to plain arrays.
func toArrays(hs []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}
