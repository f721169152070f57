package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

// Projector maintains a read model from the entries the applier integrates. The
// applier calls it from one goroutine.
type Projector interface {
	// Apply adds the read model's rows for one entry to b. a.Finding is non-nil for an
	// entry that broke a replay rule; such an entry changes no read model except lists
	// of rejections. Reads through b (an indexed batch) see the rows of earlier entries
	// of the same group. An error stops the applier: the batch is discarded and the
	// group is retried after a restart.
	Apply(b *pebble.Batch, a *Applied) error
	// Committed is called after the batch holding group is durable, in order. It must
	// not block (send change notices without waiting on slow subscribers).
	Committed(group []*Applied)
}

// GroupFinisher is an optional interface of a Projector: Finish is called once per
// group, after Apply for the group's last entry and before the batch commits, so a
// read model can write rows that summarise several entries once per group. An error
// stops the applier like an error from Apply.
type GroupFinisher interface {
	Finish(b *pebble.Batch) error
}

// Applied is one entry as the applier integrated it.
type Applied struct {
	// Index is the entry's position in the log (stream sequence − 1).
	Index uint64
	// Raw is the stored entry bytes.
	Raw []byte
	// Entry is the parsed entry; nil when it did not parse.
	Entry *events.Entry
	// Finding says why the entry was rejected; nil when it is valid.
	Finding *events.Finding
	// Registry is the replay state after this entry. It is valid only during
	// Projector.Apply and must not be modified.
	Registry *events.Registry
}

// parsed is one entry after the parallel stage.
type parsed struct {
	raw     []byte
	entry   *events.Entry
	finding *events.Finding
}

// parseGroup parses entries and pre-verifies their signatures on all cores.
func (n *Node) parseGroup(raws [][]byte) []parsed {
	out := make([]parsed, len(raws))
	work := func(i int) {
		out[i].raw = raws[i]
		e, ok := n.verified.get(raws[i])
		if !ok {
			var err error
			if e, err = events.ParseEntry(raws[i]); err != nil {
				f, _ := asFinding(err)
				out[i].finding = f
				return
			}
		}
		for _, k := range e.IntroducedKeys() {
			if pub, err := k.Decode(); err == nil {
				n.keyDir.LoadOrStore(k.KeyID, pub)
			}
		}
		e.PreVerify(n.lookupKey)
		out[i].entry = e
	}
	workers := runtime.GOMAXPROCS(0)
	if len(raws) < 8 || workers == 1 {
		for i := range raws {
			work(i)
		}
		return out
	}
	var wg sync.WaitGroup
	next := make(chan int, len(raws))
	for i := range raws {
		next <- i
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				work(i)
			}
		}()
	}
	wg.Wait()
	return out
}

func (n *Node) lookupKey(id string) (ed25519.PublicKey, bool) {
	v, ok := n.keyDir.Load(id)
	if !ok {
		return nil, false
	}
	return v.(ed25519.PublicKey), true
}

// streamed is one entry as the stream delivered it, with the number of entries the
// stream held after it then.
type streamed struct {
	seq     uint64
	entry   []byte
	pending uint64
}

// Applier restart backoff: the first retry after 100 ms, doubling up to 1 s after a
// failed read of the stream (an election is over in seconds) and up to 5 s after a
// failed integration.
const (
	applierMinBackoff       = 100 * time.Millisecond
	applierMaxBackoff       = 5 * time.Second
	applierMaxFollowBackoff = time.Second
	// applierSettle is how long a restarted applier must run without an error before
	// the node counts it as running again (when no entry arrives to prove it sooner).
	applierSettle = time.Second
)

// runApplier runs the applier until ctx ends, restarting it after every error: a
// failed read of the stream (leader change, lost connection, store repaired), a
// failed Pebble write or a projector error. While it is stopped, applyErr is set (the
// node is not ready and waiters get ErrUnavailable); before a restart after a failed
// integration, the registry is re-synchronised with what Pebble holds, and the
// follow resumes at the applied position, so no entry is skipped or applied twice.
func (n *Node) runApplier(ctx context.Context) {
	defer close(n.done)
	backoff := applierMinBackoff
	for {
		before := n.Applied()
		err := n.applyRun(ctx)
		if ctx.Err() != nil {
			return
		}
		if n.Applied() > before {
			backoff = applierMinBackoff
		}
		n.stopApplier(err, backoff)
		var ie *integrateError
		dirty := errors.As(err, &ie)
		for {
			repaired := n.log.Repaired()
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			case <-repaired: // the store is back: no need to wait out the backoff
			}
			if dirty {
				backoff = min(2*backoff, applierMaxBackoff)
			} else {
				backoff = min(2*backoff, applierMaxFollowBackoff)
			}
			if cause := n.storeFault(); cause != "" {
				n.lg.Warn("applier waits for the store", "cause", cause)
				continue
			}
			if !dirty {
				break
			}
			if err := n.resyncRegistry(ctx); err != nil {
				n.lg.Error("applier: re-synchronise the registry", "err", err)
				continue
			}
			dirty = false
			break
		}
		n.applierRestarts.Add(1)
		n.queued.Store(0)
		n.lg.Info("applier restarting", "applied", n.Applied())
	}
}

// integrateError marks a failure inside integrate: the registry may hold part of a
// discarded group.
type integrateError struct{ err error }

func (e *integrateError) Error() string { return e.err.Error() }
func (e *integrateError) Unwrap() error { return e.err }

// applyRun follows the stream from the applied position and integrates entries in
// groups until ctx ends or something fails; it returns once its goroutines have
// ended. It is a two-stage pipeline: while one group is applied and committed (one
// core, one fsync), the next group is parsed and its signatures verified on the
// other cores.
func (n *Node) applyRun(parent context.Context) error {
	ctx, cancel := context.WithCancel(parent)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	in := make(chan streamed, 4*n.cfg.MaxGroup)
	followErr := make(chan error, 1)
	wg.Add(2)
	go func() {
		defer wg.Done()
		followErr <- n.log.Follow(ctx, n.Applied()+1, func(seq uint64, entry []byte, pending uint64) error {
			select {
			case in <- streamed{seq, entry, pending}:
				n.queued.Add(1)
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	// At most one parsed group waits while another is integrated: bounded memory.
	ready := make(chan parsedGroup, 1)
	go func() {
		defer wg.Done()
		n.parseStage(ctx, in, followErr, ready)
	}()
	settled := time.NewTimer(applierSettle)
	defer settled.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-settled.C:
			n.applierRunning()
		case g, ok := <-ready:
			if !ok {
				return errors.New("the parse stage ended")
			}
			if g.err != nil {
				return g.err
			}
			if err := n.integrate(g); err != nil {
				return &integrateError{err}
			}
			n.applierRunning()
		}
	}
}

// parsedGroup is a group of consecutive entries, parsed, or the error that ended the
// stream.
type parsedGroup struct {
	first uint64 // stream sequence of the first entry
	ps    []parsed
	err   error
}

// parseStage forms groups of whatever entries are available (up to MaxGroup), checks
// that sequences are consecutive, parses them on all cores and hands them on in order.
func (n *Node) parseStage(ctx context.Context, in <-chan streamed, followErr <-chan error, ready chan<- parsedGroup) {
	defer close(ready)
	next := n.Applied() + 1
	send := func(g parsedGroup) bool {
		select {
		case ready <- g:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// take adds s to group, or reports a gap in the stream.
	take := func(group [][]byte, s streamed) ([][]byte, bool) {
		if s.seq != next {
			send(parsedGroup{err: fmt.Errorf("%w: stream delivered seq %d, want %d", ErrCorrupt, s.seq, next)})
			return group, false
		}
		next++
		return append(group, s.entry), true
	}
	for {
		group := make([][]byte, 0, n.cfg.MaxGroup)
		first := next
		ok, behind := true, false
		select {
		case <-ctx.Done():
			return
		case err := <-followErr:
			send(parsedGroup{err: fmt.Errorf("follow log: %w", err)})
			return
		case s := <-in:
			group, ok = take(group, s)
			behind = s.pending > 0
		}
		// Take what has arrived; while the stream says more entries follow the last one
		// taken (catching up: a restart, a rebuild), wait for them too, so that a group
		// is MaxGroup entries — one synced batch, one checkpoint, verification on
		// every core — rather than whatever the delivery had reached.
	drain:
		for ok && len(group) < n.cfg.MaxGroup {
			if behind {
				select {
				case s := <-in:
					group, ok = take(group, s)
					behind = s.pending > 0
				case <-ctx.Done():
					return
				case err := <-followErr:
					send(parsedGroup{err: fmt.Errorf("follow log: %w", err)})
					return
				}
				continue
			}
			select {
			case s := <-in:
				group, ok = take(group, s)
				behind = s.pending > 0
			default:
				break drain
			}
		}
		if !ok {
			return
		}
		if !send(parsedGroup{first: first, ps: n.parseGroup(group)}) {
			return
		}
	}
}

// stopApplier records why the applier stopped: the node is not ready and waiters
// get ErrUnavailable until it runs again.
func (n *Node) stopApplier(err error, retry time.Duration) {
	n.lg.Error("applier stopped; it restarts by itself", "err", err, "retry_in", retry.String())
	n.mu.Lock()
	if n.applyErr == nil {
		n.applyErrSince = n.cfg.Now()
	}
	n.applyErr = err
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
}

// applierRunning clears a recorded applier failure once it runs again.
func (n *Node) applierRunning() {
	n.mu.Lock()
	cleared := n.applyErr != nil
	if cleared {
		n.lg.Info("applier running again", "stopped_for", n.cfg.Now().Sub(n.applyErrSince).Round(time.Millisecond).String(), "applied", n.applied)
		n.applyErr, n.applyErrSince = nil, time.Time{}
	}
	n.mu.Unlock()
}

// eventRecord is the value under prefixEvent: where a valid event is in the log.
type eventRecord struct {
	Index uint64
	Seq   uint64
	Hash  events.Hash
	Party string
}

func (r eventRecord) marshal() []byte {
	b := make([]byte, 0, 48+len(r.Party))
	b = binary.BigEndian.AppendUint64(b, r.Index)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = append(b, r.Hash[:]...)
	return append(b, r.Party...)
}

func parseEventRecord(b []byte) (eventRecord, error) {
	if len(b) < 48 {
		return eventRecord{}, fmt.Errorf("%w: event record of %d bytes", ErrCorrupt, len(b))
	}
	var r eventRecord
	r.Index = binary.BigEndian.Uint64(b)
	r.Seq = binary.BigEndian.Uint64(b[8:])
	copy(r.Hash[:], b[16:48])
	r.Party = string(b[48:])
	return r, nil
}

// Rejection is what the applier records about an entry that broke a replay rule.
type Rejection struct {
	Index   uint64          `json:"index"`
	ID      string          `json:"id,omitempty"`
	Party   string          `json:"party,omitempty"`
	Seq     uint64          `json:"seq,omitempty"`
	Finding *events.Finding `json:"finding"`
}

// integrate applies one group: tree, registry, event index, projections and the
// applied position in one synced batch; then it signs the new checkpoint.
func (n *Node) integrate(g parsedGroup) error {
	n.mu.RLock()
	applied := n.applied
	n.mu.RUnlock()
	if g.first != applied+1 {
		return fmt.Errorf("%w: group starts at seq %d, want %d", ErrCorrupt, g.first, applied+1)
	}
	ps := g.ps

	b := n.db.NewIndexedBatch()
	defer b.Close()
	committed := false
	defer func() {
		if !committed {
			// The group is discarded. The registry may already include some of it, so
			// the applier stops (the caller's error) and a restart rebuilds it.
			n.tree.Rollback()
		}
	}()
	out := make([]*Applied, len(ps))
	// The registry is advanced under the write lock: the gate reads it concurrently.
	n.mu.Lock()
	for i, p := range ps {
		index := applied + uint64(i)
		if _, err := n.tree.Append(b, p.raw); err != nil {
			n.mu.Unlock()
			return fmt.Errorf("tree append %d: %w", index, err)
		}
		a := &Applied{Index: index, Raw: p.raw, Entry: p.entry, Finding: p.finding, Registry: n.reg}
		if p.entry == nil {
			n.reg.Skip()
		} else if a.Finding = n.reg.Apply(p.entry); a.Finding == nil {
			n.subjectSeq[p.entry.Payload.Party] = index + 1
			if err := n.recordRegistry(b, p.entry.Payload.Party, index+1); err != nil {
				n.mu.Unlock()
				return err
			}
		}
		if err := n.record(b, a); err != nil {
			n.mu.Unlock()
			return err
		}
		for _, pr := range n.cfg.Projectors {
			if err := pr.Apply(b, a); err != nil {
				n.mu.Unlock()
				return fmt.Errorf("projector at index %d: %w", index, err)
			}
		}
		out[i] = a
	}
	n.mu.Unlock()
	for _, pr := range n.cfg.Projectors {
		if f, ok := pr.(GroupFinisher); ok {
			if err := f.Finish(b); err != nil {
				return fmt.Errorf("projector finishing the group at %d: %w", applied, err)
			}
		}
	}
	size := applied + uint64(len(ps))
	if err := b.Set([]byte(keyApplied), u64(size), nil); err != nil {
		return err
	}
	if err := guard(func() error { return b.Commit(pebble.Sync) }); err != nil {
		return fmt.Errorf("commit group at %d: %w", applied, err)
	}
	committed = true
	n.queued.Add(-int64(len(ps)))
	n.tree.Committed()
	// The new size becomes visible together with its signed checkpoint, never
	// before: a receipt pairs an inclusion proof with the checkpoint of that size.
	if err := n.publishCheckpoint(size); err != nil {
		return err
	}
	for _, a := range out {
		a.Registry = nil
	}
	for _, pr := range n.cfg.Projectors {
		pr.Committed(out)
	}
	return nil
}

// record writes the ledger's own rows for one entry.
func (n *Node) record(b *pebble.Batch, a *Applied) error {
	if a.Finding != nil {
		rj := Rejection{Index: a.Index, Finding: a.Finding}
		if a.Entry != nil {
			rj.ID, rj.Party, rj.Seq = a.Entry.Payload.ID, a.Entry.Payload.Party, a.Entry.Payload.Seq
		}
		v, _ := json.Marshal(rj)
		n.lg.Warn("entry rejected", "index", a.Index, "code", string(a.Finding.Code), "reason", a.Finding.Reason)
		return b.Set(append([]byte(prefixReject), u64(a.Index)...), v, nil)
	}
	p := a.Entry.Payload
	rec := eventRecord{Index: a.Index, Seq: p.Seq, Hash: a.Entry.Hash, Party: p.Party}
	return b.Set([]byte(prefixEvent+p.ID), rec.marshal(), nil)
}

// publishCheckpoint signs the checkpoint of the durable tree of the given size, then
// makes the size and the checkpoint visible together (Applied, Checkpoint, waiters)
// and publishes the checkpoint on NATS. Ed25519 and the note format are
// deterministic, so re-signing a size after a restart gives the same bytes.
func (n *Node) publishCheckpoint(size uint64) error {
	root, err := n.tree.Root(size)
	if err != nil {
		return fmt.Errorf("root at %d: %w", size, err)
	}
	cp, err := proof.SignCheckpoint(proof.Checkpoint{Origin: n.cfg.Origin, Size: size, Root: root}, n.keys.LogSigner)
	if err != nil {
		return fmt.Errorf("sign checkpoint %d: %w", size, err)
	}
	n.mu.Lock()
	n.applied, n.checkpoint, n.checkpointTime = size, cp, n.cfg.Now()
	close(n.changed)
	n.changed = make(chan struct{})
	n.mu.Unlock()
	if nc := n.log.Conn(); nc != nil {
		if err := nc.Publish(natslog.SubjectCheckpoint, cp); err != nil {
			n.lg.Warn("publish checkpoint", "size", size, "err", err)
		}
	}
	return nil
}

// Checkpoint returns the latest signed checkpoint and its tree size.
func (n *Node) Checkpoint() ([]byte, uint64) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.checkpoint, n.applied
}

// Rejections returns the recorded rejections with index in [start, end).
func (n *Node) Rejections(start, end uint64) ([]Rejection, error) {
	it, err := n.db.NewIter(&pebble.IterOptions{LowerBound: append([]byte(prefixReject), u64(start)...), UpperBound: append([]byte(prefixReject), u64(end)...)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Rejection
	for it.First(); it.Valid(); it.Next() {
		var r Rejection
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return nil, fmt.Errorf("%w: rejection record: %v", ErrCorrupt, err)
		}
		out = append(out, r)
	}
	return out, it.Error()
}
