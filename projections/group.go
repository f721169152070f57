package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// The rows of a group.
//
// Apply decides, in log order and on the applier's goroutine, which rows an entry
// writes, but it does not encode them: a row set by an entry waits, as a Go value,
// in the group's pending rows (the last value set for each key), where later
// entries of the group read and change it. Finish (or the end of Apply, for an
// applier that does not call Finish) encodes the pending rows and the summaries of
// the parties the group changed — on Config.Workers goroutines: every row's bytes
// are a function of its value alone, and each party's summary of its own model —
// and then writes them into the batch on the applier's goroutine. A
// row is encoded once per group however often the group changes it, and the rows'
// bytes do not depend on the number of workers or on how the log is cut into
// groups (TestFrozenDigests).

// pendingRow is a row set in the group being built, not yet in the batch.
type pendingRow struct {
	key key
	row any // a pointer to a row type (encodeRow); nil once written
}

// rowsInGroup holds the pending rows of the group being built.
type rowsInGroup struct {
	index map[string]int // key → position in rows
	rows  []pendingRow   // in the order first set
	bufs  [][]byte       // the workers' encoding buffers, kept from group to group
}

func (g *rowsInGroup) reset() {
	clear(g.index)
	clear(g.rows)
	g.rows = g.rows[:0]
}

func (g *rowsInGroup) lookup(k key) *pendingRow {
	if i, ok := g.index[string(k)]; ok {
		return &g.rows[i]
	}
	return nil
}

// set makes row the value of k in the group.
func (t *txn) set(k key, row any) error {
	g := &t.v.rows
	if p := g.lookup(k); p != nil {
		p.row = row
		return nil
	}
	if g.index == nil {
		g.index = map[string]int{}
	}
	g.index[string(k)] = len(g.rows)
	g.rows = append(g.rows, pendingRow{key: k, row: row})
	return nil
}

// get reads the row at k into row (a pointer to the row's type): the group's
// pending value, else the batch's; false when there is none.
func (t *txn) get(k key, row any) (bool, error) {
	if p := t.v.rows.lookup(k); p != nil {
		dst, src := reflect.ValueOf(row).Elem(), reflect.ValueOf(p.row).Elem()
		if dst.Type() != src.Type() {
			return false, fmt.Errorf("%w: row %q is a %s, not a %s", ErrCorrupt, k, src.Type(), dst.Type())
		}
		dst.Set(src) // a shallow copy: edits set fields, they do not change shared values
		return true, nil
	}
	data, closer, err := t.b.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(data, row); err != nil {
		return false, fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
	}
	return true, nil
}

// scanBatch is scan over the batch after the group's pending rows under prefix were
// written to it, so that it sees them.
func (t *txn) scanBatch(prefix key, fn func(k, v []byte) error) error {
	if err := t.v.writeRows(t.b, 1, prefix); err != nil {
		return err
	}
	return scan(t.b, prefix, fn)
}

// writeRows encodes the group's pending rows (those under one of prefixes, when
// given) on up to workers goroutines and writes them into b; they are then no longer
// pending.
func (v *Views) writeRows(b *pebble.Batch, workers int, prefixes ...key) error {
	g := &v.rows
	if len(g.index) == 0 {
		return nil
	}
	rows := g.rows
	if len(prefixes) > 0 {
		rows = nil
		for i := range g.rows {
			p := &g.rows[i]
			if p.row != nil && slices.ContainsFunc(prefixes, func(pfx key) bool { return bytes.HasPrefix(p.key, pfx) }) {
				rows = append(rows, *p)
				p.row = nil
				delete(g.index, string(p.key))
			}
		}
	} else {
		defer g.reset()
	}
	if workers <= 1 || len(rows) < minParallelRows {
		for i := range rows {
			p := &rows[i]
			if p.row == nil {
				continue
			}
			data, err := encodeRow(v.scratch[:0], p.row)
			if err != nil {
				return fmt.Errorf("encode %q: %w", p.key, err)
			}
			v.scratch = data
			if err := b.Set(p.key, data, nil); err != nil {
				return err
			}
		}
		return nil
	}
	// Chunks of consecutive rows, taken by the workers as they go; each chunk is
	// encoded into its own buffer.
	const chunk = 64
	n := (len(rows) + chunk - 1) / chunk
	for len(g.bufs) < n {
		g.bufs = append(g.bufs, nil)
	}
	ends := make([]int, len(rows))
	errs := make([]error, n)
	parallel(workers, n, func(_, c int) {
		buf := g.bufs[c][:0]
		for i := c * chunk; i < min((c+1)*chunk, len(rows)); i++ {
			if p := &rows[i]; p.row != nil {
				var err error
				if buf, err = encodeRow(buf, p.row); err != nil {
					errs[c] = fmt.Errorf("encode %q: %w", p.key, err)
					return
				}
			}
			ends[i] = len(buf)
		}
		g.bufs[c] = buf
	})
	for c := 0; c < n; c++ {
		if errs[c] != nil {
			return errs[c]
		}
		start := 0
		for i := c * chunk; i < min((c+1)*chunk, len(rows)); i++ {
			if rows[i].row != nil {
				if err := b.Set(rows[i].key, g.bufs[c][start:ends[i]], nil); err != nil {
					return err
				}
			}
			start = ends[i]
		}
	}
	return nil
}

// minParallelRows is the fewest pending rows worth handing to other goroutines.
const minParallelRows = 128

// parallel calls fn(w, i) for every i in [0, n) on up to workers goroutines (the
// caller's among them; w in [0, workers) says which) and returns when every call has
// returned.
func parallel(workers, n int, fn func(w, i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	work := func(w int) {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			fn(w, i)
		}
	}
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Go(func() { work(w) })
	}
	work(0)
	wg.Wait()
}

// summaryWrite is one write of a party's summary or progress rows; nil data deletes.
type summaryWrite struct {
	key  key
	data []byte
}

// applySummaryWrites makes ws in b, in order.
func applySummaryWrites(b *pebble.Batch, ws []summaryWrite) error {
	for _, w := range ws {
		var err error
		if w.data == nil {
			err = b.Delete(w.key, nil)
		} else {
			err = b.Set(w.key, w.data, nil)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeSummaries computes the summary and progress rows of the group's changed
// parties on up to workers goroutines (each party's from its own model) and writes
// those that changed into b, in party order.
func (v *Views) writeSummaries(b *pebble.Batch, workers int) error {
	if len(v.dirty) == 0 {
		return nil
	}
	ids := sortedKeys(v.dirty)
	writes := make([][]summaryWrite, len(ids))
	if workers <= 1 || len(ids) < 2 {
		for i, id := range ids {
			writes[i] = v.dirty[id].summaryWrites(&v.scratch, nil)
		}
	} else {
		for len(v.rows.bufs) < workers {
			v.rows.bufs = append(v.rows.bufs, nil)
		}
		parallel(workers, len(ids), func(w, i int) {
			writes[i] = v.dirty[ids[i]].summaryWrites(&v.rows.bufs[w], nil)
		})
	}
	clear(v.dirty)
	for _, ws := range writes {
		if err := applySummaryWrites(b, ws); err != nil {
			return err
		}
	}
	return nil
}
