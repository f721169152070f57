package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
)

// The registry and the chain expectations are persisted in Pebble with the entries
// that change them, in the applier's batch: at a restart the node loads them
// (reading Pebble, not the log), so it is ready in about the same time whatever the
// log's size.
const (
	// prefixRegistry ‖ record key → record value (events.Registry.Changes).
	prefixRegistry = "l/x/"
	// prefixChainSeq ‖ party → uint64: the stream sequence of the chain's last valid
	// entry (the gate's publish expectation).
	prefixChainSeq = "l/h/"
	// keyRegistryFormat is set once the registry records cover every applied entry
	// (from an empty Pebble, or after a one-time migration); its value is the format.
	keyRegistryFormat = "l/xv"
	registryFormat    = 1
)

// recordRegistry writes the registry records the last Apply changed, and the chain's
// expectation, to b. Called with n.mu held, right after a successful Apply.
func (n *Node) recordRegistry(b *pebble.Batch, party string, seq uint64) error {
	for _, rec := range n.reg.Changes() {
		if err := b.Set(append([]byte(prefixRegistry), rec.Key...), rec.Value, nil); err != nil {
			return err
		}
	}
	return b.Set([]byte(prefixChainSeq+party), u64(seq), nil)
}

// hasRegistryRecords reports whether db's registry records cover its applied entries.
func hasRegistryRecords(db pebble.Reader) (bool, error) {
	v, closer, err := db.Get([]byte(keyRegistryFormat))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if len(v) != 8 || binary.BigEndian.Uint64(v) != registryFormat {
		return false, fmt.Errorf("%w: registry format %x, want %d", ErrCorrupt, v, registryFormat)
	}
	return true, nil
}

// loadRegistry reads the registry and the chain expectations from db, which has
// applied entries.
func loadRegistry(db pebble.Reader, applied uint64) (*events.Registry, map[string]uint64, error) {
	l := events.NewRegistryLoader(int(min(applied, 1<<30))) // at most one event per entry
	// Pebble's iteration and the decoding each take about half the time: one
	// goroutine reads batches of records while this one decodes the previous batch.
	type batch struct {
		buf  []byte
		ends []int // key end, value end, key end, value end, …
	}
	batches, free := make(chan batch, 2), make(chan batch, 3)
	for range 3 {
		free <- batch{}
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefixRegistry), UpperBound: prefixEnd(prefixRegistry)})
		if err != nil {
			readErr <- err
			return
		}
		b := <-free
		b.buf, b.ends = b.buf[:0], b.ends[:0]
		for it.First(); it.Valid(); it.Next() {
			v, err := it.ValueAndErr()
			if err != nil {
				it.Close()
				readErr <- err
				return
			}
			b.buf = append(b.buf, it.Key()[len(prefixRegistry):]...)
			b.ends = append(b.ends, len(b.buf))
			b.buf = append(b.buf, v...)
			b.ends = append(b.ends, len(b.buf))
			if len(b.ends) >= 2*4096 {
				batches <- b
				b = <-free
				b.buf, b.ends = b.buf[:0], b.ends[:0]
			}
		}
		batches <- b
		readErr <- errors.Join(it.Error(), it.Close())
	}()
	var addErr error
	for b := range batches {
		start := 0
		for i := 0; i < len(b.ends) && addErr == nil; i += 2 {
			k, v := b.buf[start:b.ends[i]], b.buf[b.ends[i]:b.ends[i+1]]
			start = b.ends[i+1]
			addErr = l.Add(k, v)
		}
		free <- b
	}
	if err := <-readErr; err != nil {
		return nil, nil, err
	}
	if addErr != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, addErr)
	}
	reg, err := l.Registry(applied)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	heads := map[string]uint64{}
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefixChainSeq), UpperBound: prefixEnd(prefixChainSeq)})
	if err != nil {
		return nil, nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, nil, err
		}
		if len(v) != 8 {
			return nil, nil, fmt.Errorf("%w: chain sequence of %d bytes", ErrCorrupt, len(v))
		}
		heads[string(it.Key()[len(prefixChainSeq):])] = binary.BigEndian.Uint64(v)
	}
	return reg, heads, it.Error()
}

// writeRegistry writes every record of reg and the chain expectations to db in synced
// batches, then marks the records complete: a one-time migration of a Pebble built
// before the records existed.
func writeRegistry(db *pebble.DB, reg *events.Registry, heads map[string]uint64) error {
	b := db.NewBatch()
	flush := func() error {
		err := guard(func() error { return b.Commit(pebble.Sync) })
		b.Close()
		b = db.NewBatch()
		return err
	}
	for k, v := range reg.Records() {
		if err := b.Set(append([]byte(prefixRegistry), k...), v, nil); err != nil {
			return err
		}
		if b.Len() > 4<<20 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	for party, seq := range heads {
		if err := b.Set([]byte(prefixChainSeq+party), u64(seq), nil); err != nil {
			return err
		}
	}
	if err := b.Set([]byte(keyRegistryFormat), u64(registryFormat), nil); err != nil {
		return err
	}
	err := flush()
	b.Close()
	return err
}

// openRegistry makes n.reg and n.subjectSeq those of the n.applied entries in Pebble:
// loaded from the registry records, or — for a Pebble built before them — replayed
// from the log once and written as records.
func (n *Node) openRegistry(ctx context.Context) error {
	ok, err := hasRegistryRecords(n.db)
	if err != nil {
		return err
	}
	start := time.Now()
	switch {
	case ok:
		if n.reg, n.subjectSeq, err = loadRegistry(n.db, n.applied); err != nil {
			return fmt.Errorf("load the registry: %w", err)
		}
		n.lg.Info("registry loaded", "entries", n.applied, "took", time.Since(start).String())
	case n.applied == 0:
		if err := guard(func() error { return n.db.Set([]byte(keyRegistryFormat), u64(registryFormat), pebble.Sync) }); err != nil {
			return fmt.Errorf("mark the registry records: %w", err)
		}
	default:
		if err := n.restoreRegistry(ctx); err != nil {
			return err
		}
		if err := writeRegistry(n.db, n.reg, n.subjectSeq); err != nil {
			return fmt.Errorf("write the registry records: %w", err)
		}
		n.lg.Info("registry records written (once, for a Pebble built before them)", "entries", n.applied, "took", time.Since(start).String())
	}
	return nil
}

// prefixEnd returns the smallest key after every key with prefix p.
func prefixEnd(p string) []byte {
	b := []byte(p)
	b[len(b)-1]++
	return b
}
