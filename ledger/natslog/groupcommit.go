package natslog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Group commit (see Append): appends waiting at the same time share one JetStream
// atomic batch — one publish round trip, one fsync. The batch is atomic, so every
// entry of a refused batch is known not to be stored; each is then sent on its own
// and gets its own answer (a conflict for the one whose chain moved, success for the
// others). When the batch's acknowledgement is lost the outcome of all of them is
// unknown; sending each again on its own with the same message id and expectation
// settles it without a duplicate: the expectation fails for an entry that did land
// (and findMsgID then finds it under its message id), and holds for one that did not.
// A re-sent batch would not do: the server refuses a whole batch with error 10201
// when one of its message ids is already stored.

// batchedAppends are the group-commit counters (see [Log.GroupCommitStats]).
type batchedAppends struct {
	batches, entries, fallbacks atomic.Uint64
}

// GroupCommitStats counts what group commit did since Open.
type GroupCommitStats struct {
	// Batches is the number of atomic batches stored; Entries the entries they held.
	Batches, Entries uint64
	// Fallbacks is the number of batches refused or unacknowledged whose entries
	// were then sent one by one.
	Fallbacks uint64
}

// GroupCommitStats returns the group-commit counters; all zero when it is off.
func (l *Log) GroupCommitStats() GroupCommitStats {
	if l.group == nil {
		return GroupCommitStats{}
	}
	s := &l.group.stats
	return GroupCommitStats{Batches: s.batches.Load(), Entries: s.entries.Load(), Fallbacks: s.fallbacks.Load()}
}

// pendingAppend is one Append waiting for its batch.
type pendingAppend struct {
	party, msgID string
	entry        []byte
	expect       uint64
	// state moves from queued to taken (by the committer) or to abandoned (by the
	// caller whose ctx ended first); an abandoned append is never sent.
	state atomic.Int32
	done  chan appendResult // buffered: the committer never blocks on it
}

const (
	queued int32 = iota
	taken
	abandoned
)

type appendResult struct {
	app Appended
	err error
}

// groupCommit gathers concurrent appends into batches of at most max entries, one
// entry per chain, with at most inflight batches sent at once.
type groupCommit struct {
	l       *Log
	max     int
	queue   chan *pendingAppend
	slots   chan struct{} // a token per batch in flight
	stop    chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup // batches in flight
	stats   batchedAppends
	// disabled: the stream refused atomic publish (not enabled on it); every
	// append is then sent on its own.
	disabled atomic.Bool
}

func newGroupCommit(l *Log, maxBatch, inflight int) *groupCommit {
	g := &groupCommit{
		l:       l,
		max:     maxBatch,
		queue:   make(chan *pendingAppend, maxBatch),
		slots:   make(chan struct{}, inflight),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go g.run()
	return g
}

// close stops taking appends, lets the batches in flight finish and answers those
// still queued with ErrUnavailable (nothing of them was sent).
func (g *groupCommit) close() {
	close(g.stop)
	<-g.stopped
	g.wg.Wait()
	for {
		select {
		case p := <-g.queue:
			g.refuse(p)
		default:
			return
		}
	}
}

func (g *groupCommit) refuse(p *pendingAppend) {
	p.done <- appendResult{err: errClosing(p.party)}
}

// errClosing is the answer to an append the closing log did not send.
func errClosing(party string) error {
	return fmt.Errorf("natslog: append to %s%s: the log is closing: %w", SubjectPrefix, party, ErrUnavailable)
}

// append queues one append and waits for its outcome.
func (g *groupCommit) append(ctx context.Context, party, msgID string, entry []byte, expect uint64) (Appended, error) {
	p := &pendingAppend{party: party, msgID: msgID, entry: entry, expect: expect, done: make(chan appendResult, 1)}
	select {
	case <-g.stop: // checked first: once the committer has stopped, nothing takes from the queue
		return Appended{}, errClosing(party)
	default:
	}
	select {
	case g.queue <- p:
	case <-ctx.Done():
		return Appended{}, fmt.Errorf("natslog: append to %s%s: %w: %w", SubjectPrefix, party, ErrUnavailable, ctx.Err())
	case <-g.stop:
		return Appended{}, errClosing(party)
	}
	select {
	case r := <-p.done:
		return r.app, r.err
	case <-ctx.Done():
		if p.state.CompareAndSwap(queued, abandoned) {
			return Appended{}, fmt.Errorf("natslog: append to %s%s: %w: %w", SubjectPrefix, party, ErrUnavailable, ctx.Err())
		}
		// Already in a batch: its fate is settled within the request timeout, and
		// the caller must not send the next entry of this chain before it is.
		r := <-p.done
		return r.app, r.err
	}
}

// run takes the first waiting append, waits for a free slot (appends arriving
// meanwhile join this batch), takes whatever else is waiting, and sends the batch.
// An append for a chain already in the batch waits for the next one.
func (g *groupCommit) run() {
	defer close(g.stopped)
	var next []*pendingAppend // carried over to the next batch
	for {
		if len(next) == 0 {
			select {
			case p := <-g.queue:
				next = append(next, p)
			case <-g.stop:
				return
			}
		}
		select {
		case g.slots <- struct{}{}:
		case <-g.stop:
			for _, p := range next {
				if p.state.CompareAndSwap(queued, taken) {
					g.refuse(p)
				}
			}
			return
		}
		batch := make([]*pendingAppend, 0, g.max)
		chains := make(map[string]struct{}, g.max)
		carry := next[:0:0]
		add := func(p *pendingAppend) {
			if _, dup := chains[p.party]; dup || len(batch) == g.max {
				carry = append(carry, p)
			} else if p.state.CompareAndSwap(queued, taken) {
				chains[p.party] = struct{}{}
				batch = append(batch, p)
			}
		}
		for _, p := range next {
			add(p)
		}
	drain:
		for len(batch) < g.max && len(carry) < g.max {
			select {
			case p := <-g.queue:
				add(p)
			default:
				break drain
			}
		}
		next = carry
		if len(batch) == 0 {
			<-g.slots
			continue
		}
		g.wg.Add(1)
		go func() {
			defer func() { <-g.slots; g.wg.Done() }()
			g.commit(batch)
		}()
	}
}

// commit stores batch as one atomic batch and answers each append.
func (g *groupCommit) commit(batch []*pendingAppend) {
	l := g.l
	ctx, cancel := context.WithTimeout(context.Background(), l.cfg.RequestTimeout)
	defer cancel()
	// A batch that cannot be sent now (closed connection, store under repair) goes
	// one by one too: each append then checks again and answers with its own subject.
	if len(batch) < l.cfg.MinBatch || g.disabled.Load() || l.sendable(ctx, batch[0].party) != nil {
		g.oneByOne(ctx, batch, false)
		return
	}
	msgs := make([]*nats.Msg, len(batch))
	for i, p := range batch {
		h := nats.Header{}
		h.Set(jetstream.MsgIDHeader, p.msgID)
		h.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(p.expect, 10))
		msgs[i] = &nats.Msg{Subject: SubjectPrefix + p.party, Data: p.entry, Header: h}
	}
	// No flow control: the entries (at most Config.MaxBatch) go back to back, and
	// the commit's answer reports the refusal of any of them.
	ack, err := jetstreamext.PublishMsgBatch(ctx, l.js, msgs, jetstreamext.BatchFlowControl{AckFirst: false})
	if err == nil && l.cfg.DropBatchAck != nil && l.cfg.DropBatchAck(len(batch)) {
		err = errAckDropped
	}
	if err == nil && ack.Stream == StreamName && ack.BatchSize == uint64(len(batch)) && ack.Sequence >= uint64(len(batch)) {
		// The batch's entries are stored together, in order, ending at the commit.
		first := ack.Sequence - uint64(len(batch)) + 1
		for i, p := range batch {
			p.done <- appendResult{app: Appended{Seq: first + uint64(i)}}
		}
		g.stats.batches.Add(1)
		g.stats.entries.Add(uint64(len(batch)))
		return
	}
	if err == nil {
		err = fmt.Errorf("natslog: batch stored in stream %q as %d entries ending at %d, not %d in %s", ack.Stream, ack.BatchSize, ack.Sequence, len(batch), StreamName)
	}
	g.stats.fallbacks.Add(1)
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// A refusal: nothing of the batch was stored.
		if l.noteIfStorageFull(apiErr) {
			for _, p := range batch {
				p.done <- appendResult{err: fmt.Errorf("natslog: append to %s%s: %w: %w", SubjectPrefix, p.party, ErrUnavailable, err)}
			}
			return
		}
		if apiErr.ErrorCode == jetstreamext.JSErrCodeBatchPublishNotEnabled && g.disabled.CompareAndSwap(false, true) {
			l.logger.Warn("the stream refuses atomic batches: appends are now sent one by one (one fsync each)",
				"stream", StreamName, "fix", "set allow_atomic: true in the stream configuration")
		}
		g.oneByOne(context.Background(), batch, false)
		return
	}
	l.logger.Warn("atomic batch outcome unknown: settling each entry on its own", "entries", len(batch), "err", err)
	g.oneByOne(context.Background(), batch, true)
}

// errAckDropped stands for a batch acknowledgement lost in transit (Config.DropBatchAck).
var errAckDropped = errors.New("natslog: batch acknowledgement dropped (fault injection)")

// oneByOne sends each append of batch on its own, concurrently (they are on
// different chains). After a batch whose outcome is unknown (unknown), an error
// that says nothing was sent is raised to ErrOutcomeUnknown: the batch may have
// stored the entry.
func (g *groupCommit) oneByOne(ctx context.Context, batch []*pendingAppend, unknown bool) {
	var wg sync.WaitGroup
	for _, p := range batch {
		wg.Go(func() {
			actx, cancel := g.l.reqCtx(ctx)
			defer cancel()
			app, err := g.l.appendOne(actx, p.party, p.msgID, p.entry, p.expect)
			if unknown && errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrOutcomeUnknown) {
				err = fmt.Errorf("%w (an earlier batch holding it went unanswered): %w", ErrOutcomeUnknown, err)
			}
			p.done <- appendResult{app: app, err: err}
		})
	}
	wg.Wait()
}
