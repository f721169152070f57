package natslog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Replay tuning: how many messages (and bytes) an ordered consumer asks for per
// pull. Large pulls keep the server streaming while fn works; measured in
// BenchmarkRead.
const (
	readBatch      = 4096
	readBatchBytes = 16 << 20
)

// A replay's pull requests expire after replayExpiry and the server sends a heartbeat
// every replayHeartbeat while idle: a consumer lost with its server (a leader that
// died) is noticed after two missed heartbeats, 2 s, instead of nats.go's default 10 s,
// and recreated where the replay stopped.
const (
	replayExpiry    = 5 * time.Second
	replayHeartbeat = time.Second
)

// Entry returns the exact bytes of the entry at stream sequence seq.
//
// It reads with a direct get (served by any replica) and, when that finds nothing,
// asks the stream leader, so a sequence returned by Append is always found.
// Errors: ErrNotFound when the stream has no message at seq (seq 0, or past the
// end); ErrUnavailable-wrapped errors otherwise. Safe for concurrent use.
func (l *Log) Entry(ctx context.Context, seq uint64) ([]byte, error) {
	if seq == 0 {
		return nil, fmt.Errorf("natslog: entry 0: %w", ErrNotFound)
	}
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	m, err := l.stream.GetMsg(ctx, seq)
	if err == nil {
		return m.Data, nil
	}
	if !errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, fmt.Errorf("natslog: entry %d: %w", seq, unavailable(err))
	}
	// A replica may lag: the leader is authoritative.
	lm, err := l.getMsg(ctx, msgGetRequest{Seq: seq})
	if err != nil {
		return nil, fmt.Errorf("natslog: entry %d: %w", seq, err)
	}
	return lm.Data, nil
}

// LastSeq returns the stream's last sequence: the number of entries in the log
// (0 when empty). Errors wrap ErrUnavailable. Safe for concurrent use.
func (l *Log) LastSeq(ctx context.Context) (uint64, error) {
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	info, err := l.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("natslog: stream info: %w", unavailable(err))
	}
	return info.State.LastSeq, nil
}

// SubjectHead returns the last entry of party's chain (the subject
// ledger.events.<party>) and its stream sequence; seq 0 and a nil entry when the
// party has none. It asks the stream leader, so the answer is current: pass seq to
// Append as the expectation. Errors: a *PartyError; ErrUnavailable-wrapped errors.
// Safe for concurrent use.
func (l *Log) SubjectHead(ctx context.Context, party string) (seq uint64, entry []byte, err error) {
	if !validParty(party) {
		return 0, nil, &PartyError{Party: party}
	}
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	m, err := l.getMsg(ctx, msgGetRequest{LastFor: SubjectPrefix + party})
	if errors.Is(err, ErrNotFound) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("natslog: head of %q: %w", party, err)
	}
	return m.Sequence, m.Data, nil
}

// Read calls fn for every entry from stream sequence from (≥ 1) up to the stream's
// last sequence at the time of the call, in order, once each, and then returns nil.
// It returns nil at once when from is past the end.
//
// fn receives the exact stored bytes, which it may keep. An error from fn stops
// Read and is returned as is. Other errors: ErrInvalidArgument for from = 0;
// ctx.Err() when ctx is done; ErrCorrupt when a sequence is missing from the
// stream; ErrUnavailable-wrapped errors when JetStream fails.
//
// Read replays with an ordered consumer that starts at from and pulls in large
// batches; it survives consumer resets (a replay resumes after the last sequence
// delivered). Safe for concurrent use; fn is called from Read's goroutine.
func (l *Log) Read(ctx context.Context, from uint64, fn func(seq uint64, entry []byte) error) error {
	if from == 0 {
		return fmt.Errorf("natslog: read from 0 (sequences start at 1): %w", ErrInvalidArgument)
	}
	last, err := l.LastSeq(ctx)
	if err != nil {
		return err
	}
	if from > last {
		return nil
	}
	return l.replay(ctx, from, last, withoutPending(fn))
}

// ReadRange is Read bounded above: it calls fn for stream sequences from..to
// (inclusive; to is capped at the last sequence), in order, then returns. Errors as
// for Read; from must be at least 1.
func (l *Log) ReadRange(ctx context.Context, from, to uint64, fn func(seq uint64, entry []byte) error) error {
	if from == 0 {
		return fmt.Errorf("natslog: read from 0 (sequences start at 1): %w", ErrInvalidArgument)
	}
	last, err := l.LastSeq(ctx)
	if err != nil {
		return err
	}
	to = min(to, last)
	if from > to {
		return nil
	}
	return l.replay(ctx, from, to, withoutPending(fn))
}

// withoutPending adapts a Read callback to replay's.
func withoutPending(fn func(seq uint64, entry []byte) error) func(uint64, []byte, uint64) error {
	return func(seq uint64, entry []byte, _ uint64) error { return fn(seq, entry) }
}

// Follow is Read without an end: it calls fn for every entry from stream sequence
// from (≥ 1) on, in order and exactly once each, waiting for new entries as they
// are appended, until ctx is done (it then returns ctx.Err()) or fn fails (its
// error is returned as is). Consumer resets and reconnections are handled
// underneath without repeating or skipping a sequence. Other errors as for Read;
// after Close, an error wrapping ErrUnavailable. Safe for concurrent use; fn is
// called from Follow's goroutine.
//
// fn's pending is how many entries the stream held after this one when it was
// delivered (0: the follower is caught up): a follower catching up can wait for more
// instead of handling each entry as it comes.
func (l *Log) Follow(ctx context.Context, from uint64, fn func(seq uint64, entry []byte, pending uint64) error) error {
	if from == 0 {
		return fmt.Errorf("natslog: follow from 0 (sequences start at 1): %w", ErrInvalidArgument)
	}
	return l.replay(ctx, from, 0, fn)
}

// replay delivers sequences from..end (end 0: forever) to fn through an ordered
// consumer, checking that sequences arrive consecutively.
func (l *Log) replay(parent context.Context, from, end uint64, fn func(seq uint64, entry []byte, pending uint64) error) error {
	// A repair of the embedded store restarts JetStream and with it every consumer:
	// end the replay at once (the caller replays again from where it stopped)
	// rather than wait for the consumer to notice its missing heartbeats.
	// A Follow also ends when the connection moves to another server: its consumer
	// may have been on the server that went away, and waiting for the heartbeats to
	// tell would stall the applier for seconds.
	restarted, reconnected := l.restarts.current(), (<-chan struct{})(nil)
	if end == 0 {
		reconnected = l.reconnects.current()
	}
	ctx, stopReplay := context.WithCancel(parent)
	defer stopReplay()
	go func() {
		select {
		case <-restarted:
			stopReplay()
		case <-reconnected:
			stopReplay()
		case <-ctx.Done():
		}
	}()
	// ctxOr returns parent's error when it is done, ErrUnavailable when the replay
	// was ended by a restart or a reconnection, else err.
	ctxOr := func(ctx context.Context, err error) error {
		if parent.Err() != nil {
			return parent.Err()
		}
		if ctx.Err() != nil {
			return fmt.Errorf("natslog: replay: the store was restarted, or the connection moved to another server: %w", ErrUnavailable)
		}
		return err
	}
	cctx, cancel := l.reqCtx(ctx)
	cons, err := l.stream.OrderedConsumer(cctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from,
	})
	cancel()
	if err != nil {
		return ctxOr(ctx, fmt.Errorf("natslog: replay from %d: %w", from, unavailable(err)))
	}
	it, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(readBatch, max(readBatchBytes, int(l.cfg.MaxMsgSize)+headerAllowance)),
		jetstream.PullExpiry(replayExpiry), jetstream.PullHeartbeat(replayHeartbeat))
	if err != nil {
		return ctxOr(ctx, fmt.Errorf("natslog: replay from %d: %w", from, unavailable(err)))
	}
	// Stop also interrupts the consumer's own reset retries, which ignore ctx.
	stop := context.AfterFunc(ctx, it.Stop)
	defer func() {
		stop()
		it.Stop()
		l.deleteConsumer(cons)
	}()

	next := from
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return ctxOr(ctx, fmt.Errorf("natslog: replay at %d: %w", next, unavailable(err)))
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("natslog: replay at %d: %w", next, unavailable(err))
		}
		seq := meta.Sequence.Stream
		switch {
		case seq < next:
			continue // redelivered after a reset: fn already has it
		case seq > next:
			return fmt.Errorf("natslog: replay: sequence %d missing (next present is %d): %w", next, seq, ErrCorrupt)
		}
		if err := fn(seq, msg.Data(), meta.NumPending); err != nil {
			return err
		}
		if seq == end {
			return nil
		}
		next++
	}
}

// deleteConsumer removes a finished replay's server-side consumer instead of
// leaving it to expire (ordered consumers otherwise linger for 5 minutes).
func (l *Log) deleteConsumer(cons jetstream.Consumer) {
	if l.nc.IsClosed() || l.nc.IsDraining() {
		return
	}
	info := cons.CachedInfo()
	if info == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := l.js.DeleteConsumer(ctx, StreamName, info.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		l.logger.Debug("delete replay consumer", "consumer", info.Name, "err", err)
	}
}

// msgGetRequest is the body of $JS.API.STREAM.MSG.GET.<stream>, answered by the
// stream leader (unlike direct gets, which any replica may answer).
type msgGetRequest struct {
	Seq     uint64 `json:"seq,omitempty"`
	LastFor string `json:"last_by_subj,omitempty"`
	NextFor string `json:"next_by_subj,omitempty"`
}

type msgGetResponse struct {
	Error   *jetstream.APIError `json:"error,omitempty"`
	Message *struct {
		Subject  string `json:"subject"`
		Sequence uint64 `json:"seq"`
		Header   []byte `json:"hdrs,omitempty"`
		Data     []byte `json:"data,omitempty"`
	} `json:"message,omitempty"`
}

// storedMsg is a message read from the stream leader.
type storedMsg struct {
	Subject  string
	Sequence uint64
	Header   nats.Header
	Data     []byte
}

// getMsg asks the stream leader for one message. Errors: ErrNotFound, or
// ErrUnavailable-wrapped.
func (l *Log) getMsg(ctx context.Context, req msgGetRequest) (*storedMsg, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	resp, err := l.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+StreamName, body)
	if err != nil {
		return nil, unavailable(err)
	}
	var r msgGetResponse
	if err := json.Unmarshal(resp.Data, &r); err != nil {
		return nil, unavailable(fmt.Errorf("message get response: %w", err))
	}
	if r.Error != nil {
		if r.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, ErrNotFound
		}
		return nil, unavailable(r.Error)
	}
	if r.Message == nil {
		return nil, unavailable(errors.New("message get response without a message"))
	}
	m := &storedMsg{Subject: r.Message.Subject, Sequence: r.Message.Sequence, Data: r.Message.Data}
	if len(r.Message.Header) > 0 {
		if m.Header, err = nats.DecodeHeadersMsg(r.Message.Header); err != nil {
			return nil, unavailable(fmt.Errorf("message get response headers: %w", err))
		}
	}
	return m, nil
}
