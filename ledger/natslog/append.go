package natslog

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Appended is the outcome of a successful [Log.Append].
type Appended struct {
	// Seq is the entry's stream sequence (its log index is Seq − 1).
	Seq uint64
	// Duplicate reports that nothing new was stored because the stream already
	// holds a message with this message id: Seq is that message's sequence. It
	// is the earlier append of the same entry unless the caller reused an id for
	// different bytes or another party; callers that care compare Entry(Seq).
	Duplicate bool
}

// JetStream API error codes (nats-server errors.json) that nats.go does not name.
const (
	jsErrCodeInsufficientResources    jetstream.ErrorCode = 10023
	jsErrCodeStorageResourcesExceeded jetstream.ErrorCode = 10047
)

// maxDupScan bounds how many later entries of the party's chain Append inspects
// for the message id after a conflict.
const maxDupScan = 16

// Append stores entry as the next entry of party's chain, on the subject
// ledger.events.<party> with the header Nats-Msg-Id = msgID, provided the subject's
// last stream sequence is expectLastSubjectSeq (0: the party has no entry yet). The
// expectation is always sent: there is no unconditional append.
//
// Group commit: unless Config.MaxBatch is 1, appends that are waiting at the same
// time (to different chains) travel together as one JetStream atomic batch, stored
// with one fsync, all or nothing; each keeps its own message id and expectation.
// When the server refuses a batch, or its acknowledgement is lost, every entry of it
// is sent again on its own, which settles each one exactly as below. Append returns
// only once its entry's fate is known or ctx is done.
//
// On a nil error the entry is durable (see the package doc) at Appended.Seq, or was
// already in the log (Appended.Duplicate). Append is idempotent: a retry with the
// same msgID, entry and expectation after an unknown outcome either finds the
// earlier append (Duplicate, with its sequence), appends now, or conflicts because
// the chain moved on without it.
//
// Duplicates: JetStream reports a message id seen inside the duplicate window as a
// duplicate — on a cluster even when the expectation no longer holds. A single
// server checks the expectation first and refuses the retry as a conflict, so on a
// conflict Append also looks for msgID among the next entries of the party's chain
// after expectLastSubjectSeq (up to 16) and reports it as a duplicate when found.
//
// Errors:
//   - a *PartyError, *MsgIDError, *TooLargeError (entry longer than
//     Config.MaxMsgSize), or an empty entry: all match ErrInvalidArgument; nothing
//     was sent;
//   - a *ConflictError (matches ErrConflict): the chain's last sequence is not
//     expectLastSubjectSeq; nothing was appended;
//   - an error wrapping ErrUnavailable: nothing was appended — unless it also wraps
//     ErrOutcomeUnknown (timeout, cancelled ctx, broken connection after the request
//     was sent), in which case the write MAY have happened and the caller must
//     reconcile: read the chain (SubjectHead and the Nats-Msg-Id) or retry Append
//     with the same arguments. Context errors stay in the chain (errors.Is(err,
//     context.DeadlineExceeded)).
//
// Safe for concurrent use; keep one append in flight per party (see the package
// doc).
func (l *Log) Append(ctx context.Context, party string, msgID string, entry []byte, expectLastSubjectSeq uint64) (Appended, error) {
	if !validParty(party) {
		return Appended{}, &PartyError{Party: party}
	}
	if !validMsgID(msgID) {
		return Appended{}, &MsgIDError{MsgID: msgID}
	}
	if len(entry) == 0 {
		return Appended{}, fmt.Errorf("natslog: empty entry: %w", ErrInvalidArgument)
	}
	if len(entry) > int(l.cfg.MaxMsgSize) {
		return Appended{}, &TooLargeError{Size: len(entry), Max: int(l.cfg.MaxMsgSize)}
	}
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	if l.group != nil && !l.group.disabled.Load() {
		if err := l.sendable(ctx, party); err != nil {
			return Appended{}, err
		}
		return l.group.append(ctx, party, msgID, entry, expectLastSubjectSeq)
	}
	return l.appendOne(ctx, party, msgID, entry, expectLastSubjectSeq) // checks sendable itself
}

// sendable reports the failures known before anything is sent: a closed
// connection, a done ctx, a store under repair.
func (l *Log) sendable(ctx context.Context, party string) error {
	subject := SubjectPrefix + party
	if l.nc.IsClosed() || l.nc.IsDraining() {
		return fmt.Errorf("natslog: append to %s: %w: %w", subject, ErrUnavailable, nats.ErrConnectionClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("natslog: append to %s: %w: %w", subject, ErrUnavailable, err)
	}
	if cause := l.Fault(); cause != "" {
		return fmt.Errorf("natslog: append to %s: the store is being repaired (%s): %w", subject, cause, ErrUnavailable)
	}
	return nil
}

// appendOne is Append as one publish of its own (arguments already checked).
func (l *Log) appendOne(ctx context.Context, party, msgID string, entry []byte, expectLastSubjectSeq uint64) (Appended, error) {
	if err := l.sendable(ctx, party); err != nil {
		return Appended{}, err
	}
	subject := SubjectPrefix + party
	msg := &nats.Msg{Subject: subject, Data: entry, Header: nats.Header{}}
	ack, err := l.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(msgID),
		jetstream.WithExpectLastSequencePerSubject(expectLastSubjectSeq))
	if err == nil {
		if ack.Stream != StreamName {
			// Another stream captured the subject: the entry is not in the log.
			return Appended{}, fmt.Errorf("natslog: append to %s: stored in stream %q, not %s: %w",
				subject, ack.Stream, StreamName, ErrUnavailable)
		}
		return Appended{Seq: ack.Sequence, Duplicate: ack.Duplicate}, nil
	}

	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			if seq, ok := l.findMsgID(ctx, subject, msgID, expectLastSubjectSeq); ok {
				return Appended{Seq: seq, Duplicate: true}, nil
			}
			return Appended{}, &ConflictError{Party: party, Expected: expectLastSubjectSeq}
		case jetstream.JSErrCodeStreamMessageExceedsMaximum:
			return Appended{}, fmt.Errorf("natslog: append to %s: the stream refused %d bytes as too large: %w: %w",
				subject, len(entry), ErrUnavailable, err)
		}
		l.noteIfStorageFull(apiErr)
		// Any other answer from JetStream is a refusal: nothing was stored.
		return Appended{}, fmt.Errorf("natslog: append to %s: %w: %w", subject, ErrUnavailable, err)
	}
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		// No stream received the request.
		return Appended{}, fmt.Errorf("natslog: append to %s: %w: %w", subject, ErrUnavailable, err)
	}
	return Appended{}, fmt.Errorf("natslog: append to %s: %w: %w: %w", subject, ErrUnavailable, ErrOutcomeUnknown, err)
}

// noteIfStorageFull starts the store's repair when JetStream refused a write for
// lack of storage.
func (l *Log) noteIfStorageFull(apiErr *jetstream.APIError) bool {
	switch apiErr.ErrorCode {
	case jsErrCodeInsufficientResources, jsErrCodeStorageResourcesExceeded:
		l.noteStoreFailure("JetStream has no storage left")
		return true
	}
	return false
}

// findMsgID looks for msgID among the entries of subject after seq after, up to
// maxDupScan of them, and returns the sequence of the one carrying it. Errors count
// as not found: the caller then reports the conflict it already has.
func (l *Log) findMsgID(ctx context.Context, subject, msgID string, after uint64) (uint64, bool) {
	// The common case: the lost-ack retry, where the earlier append is the head.
	head, err := l.getMsg(ctx, msgGetRequest{LastFor: subject})
	if err != nil || head.Sequence <= after {
		return 0, false
	}
	if head.Header.Get(jetstream.MsgIDHeader) == msgID {
		return head.Sequence, true
	}
	next := after + 1
	for range maxDupScan {
		if next >= head.Sequence {
			break
		}
		m, err := l.getMsg(ctx, msgGetRequest{Seq: next, NextFor: subject})
		if err != nil || m.Sequence >= head.Sequence {
			break
		}
		if m.Header.Get(jetstream.MsgIDHeader) == msgID {
			return m.Sequence, true
		}
		next = m.Sequence + 1
	}
	return 0, false
}

// validParty reports whether p matches ^[a-z0-9][a-z0-9-]{0,62}$.
func validParty(p string) bool {
	if len(p) == 0 || len(p) > 63 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

// validMsgID reports whether id is 1 to maxMsgIDLen bytes of printable ASCII
// without spaces, so it travels in a header unchanged.
func validMsgID(id string) bool {
	if len(id) == 0 || len(id) > maxMsgIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}
