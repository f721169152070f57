package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

// Receipt is what a jurisdiction keeps for a recorded event: where it is in the log and
// an offline-checkable proof of it (docs/SPEC.md §5).
type Receipt struct {
	ID    string      `json:"id"`
	Party string      `json:"party"`
	Seq   uint64      `json:"seq"`
	Hash  events.Hash `json:"hash"`
	// Index is the entry's position in the log (stream sequence − 1).
	Index uint64 `json:"index"`
	// Checkpoint is the signed checkpoint the proof leads to (signed-note text).
	Checkpoint string `json:"checkpoint"`
	// Proof is the C2SP tlog-proof with the entry bytes in extra.
	Proof string `json:"proof"`
}

// Gate-only codes: outcomes that are not replay findings.
const (
	// CodeClockSkew: the event's time is too far from the node's clock.
	CodeClockSkew events.Code = "clock_skew"
)

// Submit runs the gate for one submitted DSSE envelope (any JSON layout): it checks it
// against the replay rules on a registry caught up with the chain, appends it with the
// chain head's stream sequence as the expectation, waits for integration and returns
// the receipt. recorded is false when the identical event was already in the log (the
// same receipt is returned and nothing is appended).
//
// Errors: *events.Finding for a rule violation; *TooLargeError; *ConflictError when the
// chain moved (seq/prev or the publish expectation); *PendingError when the entry is
// in the log but not integrated in time; ErrUnavailable (wrapped) when nothing could be
// appended. Safe for concurrent use; writes to one chain are serialised.
func (n *Node) Submit(ctx context.Context, submission []byte) (rc *Receipt, recorded bool, err error) {
	n.inGate.Add(1)
	defer n.inGate.Add(-1)
	if len(submission) > MaxSubmissionSize {
		return nil, false, &TooLargeError{Size: len(submission), Limit: MaxSubmissionSize}
	}
	stored, err := events.DecodeSubmission(submission)
	if err != nil {
		return nil, false, err
	}
	if len(stored) > events.MaxEntrySize {
		return nil, false, &TooLargeError{Size: len(stored), Limit: events.MaxEntrySize, Stored: true}
	}
	e, err := events.ParseEntry(stored)
	if err != nil {
		return nil, false, err
	}
	p := e.Payload
	// An identical resubmission gets its receipt whatever its time: a client that lost
	// the answer must always be able to fetch it by resubmitting (docs/SPEC.md §7.4,
	// the order of the gate's checks). Only then the clock window.
	if f := n.checkClock(e); f != nil {
		if rc, ok, err := n.alreadyRecorded(ctx, e); ok || err != nil {
			return rc, false, err
		}
		return nil, false, f
	}

	defer n.chains.lock(p.Party)()

	// Fast path: the expectation is the stream sequence of the chain's last valid
	// entry as this node's applier saw it. JetStream enforces it: if another entry
	// reached the subject since (another node, or a publish that bypassed the gate),
	// the append fails and the slow path below catches up from the stream itself.
	expect, head, finding := n.checkAgainstRegistry(e)
	if finding != nil || readsOtherChains(p.Type) {
		// Refuse only on a registry caught up with the stream: maybe just this node is
		// behind. Types that read other chains always catch up first.
		if expect, head, finding, err = n.catchUpAndCheck(ctx, e); err != nil {
			return nil, false, err
		}
	}
	var app natslog.Appended
	for attempt := 0; ; attempt++ {
		if finding != nil {
			switch finding.Code {
			case events.CodeDuplicateID:
				return n.existing(ctx, e, finding)
			case events.CodeChainBreak:
				return nil, false, &ConflictError{Head: head, Reason: finding.Reason}
			}
			return nil, false, finding
		}
		if cause := n.storeFault(); cause != "" {
			// This node could not integrate the entry: refuse before appending.
			return nil, false, fmt.Errorf("%w: %s", ErrUnavailable, cause)
		}
		// The applier reuses this parse and its verdicts for these exact bytes
		// (gateVerified) while the submission waits for its receipt.
		drop := n.verified.put(e)
		app, err = n.appendEntry(ctx, p.Party, p.ID, stored, expect)
		if err != nil {
			drop()
		} else {
			defer drop()
		}
		var ce *natslog.ConflictError
		if errors.As(err, &ce) && attempt == 0 {
			if expect, head, finding, err = n.catchUpAndCheck(ctx, e); err != nil {
				return nil, false, err
			}
			continue
		}
		if errors.As(err, &ce) {
			return nil, false, &ConflictError{Head: head, Reason: "another entry was appended to the chain first"}
		}
		if err != nil {
			return nil, false, err
		}
		break
	}
	index := app.Seq - 1
	if app.Duplicate {
		// The same id was appended moments ago (a retry): it must be these bytes.
		got, err := n.log.Entry(ctx, app.Seq)
		if err != nil {
			return nil, false, fmt.Errorf("%w: read deduplicated entry: %v", ErrUnavailable, err)
		}
		if !bytes.Equal(got, stored) {
			return nil, false, &events.Finding{Code: events.CodeDuplicateID, Reason: fmt.Sprintf("event id %s is already in the log with other bytes", p.ID)}
		}
	}
	rc, err = n.waitReceipt(ctx, e, index)
	return rc, !app.Duplicate, err
}

// checkClock applies the gate's clock window: e's time must be at most
// Config.ClockSkew behind the node's clock and at most Config.FutureSkew ahead of it.
func (n *Node) checkClock(e *events.Entry) *events.Finding {
	now := n.cfg.Now()
	switch {
	case e.Time.Before(now.Add(-n.cfg.ClockSkew)):
		return &events.Finding{Code: CodeClockSkew, Reason: fmt.Sprintf("time %s is more than %s behind the server clock %s (the gate accepts %s behind to %s ahead)",
			e.Payload.Time, n.cfg.ClockSkew, now.UTC().Format(time.RFC3339), n.cfg.ClockSkew, n.cfg.FutureSkew)}
	case e.Time.After(now.Add(n.cfg.FutureSkew)):
		return &events.Finding{Code: CodeClockSkew, Reason: fmt.Sprintf("time %s is more than %s ahead of the server clock %s (the gate accepts %s behind to %s ahead)",
			e.Payload.Time, n.cfg.FutureSkew, now.UTC().Format(time.RFC3339), n.cfg.ClockSkew, n.cfg.FutureSkew)}
	}
	return nil
}

// alreadyRecorded reports whether e, byte for byte, is a valid entry of the log, and
// then returns its receipt. When this node has not integrated it, it first catches up
// with e's chain as the stream has it (an event the node has not seen yet is not
// recorded as far as it can tell; ok is false and err nil).
func (n *Node) alreadyRecorded(ctx context.Context, e *events.Entry) (rc *Receipt, ok bool, err error) {
	rec, err := n.eventRecord(e.Payload.ID)
	if errors.Is(err, ErrNotFound) {
		subjSeq, herr := n.subjectHead(ctx, e.Payload.Party)
		if herr != nil {
			return nil, false, fmt.Errorf("%w: read chain head: %v", ErrUnavailable, herr)
		}
		wctx, cancel := context.WithTimeout(ctx, n.cfg.IntegrationTimeout)
		werr := n.WaitApplied(wctx, subjSeq)
		cancel()
		if werr != nil {
			return nil, false, fmt.Errorf("%w: the node is behind the log: %v", ErrUnavailable, werr)
		}
		rec, err = n.eventRecord(e.Payload.ID)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("%w: read event record: %v", ErrUnavailable, err)
	}
	return n.receiptIfSame(ctx, e, rec)
}

// receiptIfSame returns the receipt of e when the log holds exactly e's bytes where
// rec says its event is; ok is false (and err nil) when it holds other bytes.
func (n *Node) receiptIfSame(ctx context.Context, e *events.Entry, rec eventRecord) (rc *Receipt, ok bool, err error) {
	got, err := n.log.Entry(ctx, rec.Index+1)
	if err != nil {
		return nil, false, fmt.Errorf("%w: read entry %d: %v", ErrUnavailable, rec.Index, err)
	}
	if !bytes.Equal(got, e.Raw) {
		return nil, false, nil
	}
	rc, err = n.receipt(e, rec.Index)
	return rc, err == nil, err
}

// checkAgainstRegistry checks e against the registry as the applier left it and
// returns the publish expectation for its chain and the chain's head.
func (n *Node) checkAgainstRegistry(e *events.Entry) (expect uint64, head Head, f *events.Finding) {
	party := e.Payload.Party
	n.View(func(reg *events.Registry, _ uint64) {
		f = reg.Check(e)
		head = headOf(party, reg.Party(party))
		expect = n.subjectSeq[party]
	})
	return expect, head, f
}

// catchUpAndCheck reads the chain's last stream sequence from the stream, waits until
// the applier has integrated it (for types that read other chains, the whole log), and
// checks e again. The returned expectation is the stream's own.
func (n *Node) catchUpAndCheck(ctx context.Context, e *events.Entry) (uint64, Head, *events.Finding, error) {
	p := e.Payload
	subjSeq, err := n.subjectHead(ctx, p.Party)
	if err != nil {
		return 0, Head{}, nil, fmt.Errorf("%w: read chain head: %v", ErrUnavailable, err)
	}
	wait := subjSeq
	if readsOtherChains(p.Type) {
		err = n.retryLog(ctx, func(actx context.Context) (err error) {
			wait, err = n.log.LastSeq(actx)
			return err
		})
		if err != nil {
			return 0, Head{}, nil, fmt.Errorf("%w: read log position: %v", ErrUnavailable, err)
		}
	}
	wctx, cancel := context.WithTimeout(ctx, n.cfg.IntegrationTimeout)
	err = n.WaitApplied(wctx, wait)
	cancel()
	if err != nil {
		return 0, Head{}, nil, fmt.Errorf("%w: the node is behind the log: %v", ErrUnavailable, err)
	}
	_, head, f := n.checkAgainstRegistry(e)
	return subjSeq, head, f, nil
}

// appendEntry publishes with the chain expectation, retrying while the log is
// unavailable (see retryLog); the msg id makes every retry idempotent.
func (n *Node) appendEntry(ctx context.Context, party, id string, stored []byte, expect uint64) (natslog.Appended, error) {
	var app natslog.Appended
	err := n.retryLog(ctx, func(actx context.Context) (err error) {
		app, err = n.log.Append(actx, party, id, stored, expect)
		if errors.Is(err, natslog.ErrUnavailable) {
			n.publishErrors.Add(1)
		}
		return err
	})
	if err != nil && errors.Is(err, natslog.ErrUnavailable) {
		// Wrapping with %w keeps natslog.ErrOutcomeUnknown visible: then the entry may
		// be in the log, and resubmitting the same event is safe (it is deduplicated).
		return natslog.Appended{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return app, err
}

// retryLog runs op, a request to the stream, and runs it again while it fails with
// natslog.ErrUnavailable (a stream leader election, a reconnection), for up to the
// integration timeout. Each attempt is bounded by the NATS request timeout, so an
// attempt sent to a leader that died is abandoned and sent again to its successor
// instead of waiting out a long timeout. A store being repaired is not waited for.
func (n *Node) retryLog(ctx context.Context, op func(ctx context.Context) error) error {
	deadline := time.Now().Add(n.cfg.IntegrationTimeout)
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, n.cfg.NATS.RequestTimeout)
		err := op(actx)
		cancel()
		if !errors.Is(err, natslog.ErrUnavailable) {
			return err
		}
		wait := min(time.Duration(attempt+1)*50*time.Millisecond, 250*time.Millisecond)
		if n.log.Fault() != "" || ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// subjectHead reads a chain's last stream sequence from the stream leader, retrying
// while the log is unavailable.
func (n *Node) subjectHead(ctx context.Context, party string) (seq uint64, err error) {
	err = n.retryLog(ctx, func(actx context.Context) (err error) {
		seq, _, err = n.log.SubjectHead(actx, party)
		return err
	})
	return seq, err
}

// existing answers a resubmission: the same bytes get the original receipt; other
// bytes under the same id are refused.
func (n *Node) existing(ctx context.Context, e *events.Entry, f *events.Finding) (*Receipt, bool, error) {
	rec, err := n.eventRecord(e.Payload.ID)
	if err != nil {
		return nil, false, f
	}
	rc, same, err := n.receiptIfSame(ctx, e, rec)
	if !same && err == nil {
		return nil, false, f
	}
	return rc, false, err
}

// waitReceipt waits until the entry at index is covered by a signed checkpoint and
// returns its receipt, or a *PendingError after the integration timeout.
func (n *Node) waitReceipt(ctx context.Context, e *events.Entry, index uint64) (*Receipt, error) {
	wctx, cancel := context.WithTimeout(ctx, n.cfg.IntegrationTimeout)
	defer cancel()
	if err := n.WaitApplied(wctx, index+1); err != nil {
		return nil, &PendingError{ID: e.Payload.ID, Index: index}
	}
	return n.receipt(e, index)
}

// receipt builds the receipt of a valid, integrated entry against the latest checkpoint.
func (n *Node) receipt(e *events.Entry, index uint64) (*Receipt, error) {
	cp, size := n.Checkpoint()
	if index >= size {
		return nil, &PendingError{ID: e.Payload.ID, Index: index}
	}
	hashes, err := n.tree.InclusionProof(index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof %d@%d: %w", index, size, err)
	}
	tp := proof.TLogProof{Extra: e.Raw, Index: index, Hashes: hashes, Checkpoint: cp}
	return &Receipt{ID: e.Payload.ID, Party: e.Payload.Party, Seq: e.Payload.Seq, Hash: e.Hash, Index: index,
		Checkpoint: string(cp), Proof: string(tp.Marshal())}, nil
}

func (n *Node) eventRecord(id string) (eventRecord, error) {
	v, closer, err := n.db.Get([]byte(prefixEvent + id))
	if errors.Is(err, pebble.ErrNotFound) {
		return eventRecord{}, ErrNotFound
	}
	if err != nil {
		return eventRecord{}, err
	}
	defer closer.Close()
	return parseEventRecord(v)
}

// Event returns a valid event's stored bytes and its receipt against the latest
// checkpoint. ErrNotFound when no valid event has that id.
func (n *Node) Event(ctx context.Context, id string) ([]byte, *Receipt, error) {
	if !events.ValidEventID(id) {
		return nil, nil, ErrNotFound
	}
	rec, err := n.eventRecord(id)
	if err != nil {
		return nil, nil, err
	}
	raw, err := n.log.Entry(ctx, rec.Index+1)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: read entry %d: %v", ErrUnavailable, rec.Index, err)
	}
	e, err := events.ParseEntry(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: entry %d no longer parses: %v", ErrCorrupt, rec.Index, err)
	}
	rc, err := n.receipt(e, rec.Index)
	return raw, rc, err
}

// ChainHead returns a chain's head once the node has integrated every entry of the
// chain that is in the log (seq 0 for a party with no chain).
func (n *Node) ChainHead(ctx context.Context, party string) (Head, error) {
	subjSeq, err := n.subjectHead(ctx, party)
	if err != nil {
		return Head{}, fmt.Errorf("%w: read chain head: %v", ErrUnavailable, err)
	}
	wctx, cancel := context.WithTimeout(ctx, n.cfg.IntegrationTimeout)
	defer cancel()
	if err := n.WaitApplied(wctx, subjSeq); err != nil {
		return Head{}, fmt.Errorf("%w: the node is behind the log: %v", ErrUnavailable, err)
	}
	var h Head
	n.View(func(reg *events.Registry, _ uint64) { h = headOf(party, reg.Party(party)) })
	return h, nil
}

// ProofAt returns the tlog-proof of the entry raw at index against a checkpoint of
// the given size, signed now (signing is deterministic: the same size always gives
// the same checkpoint bytes).
func (n *Node) ProofAt(index, size uint64, raw []byte) ([]byte, error) {
	if applied := n.Applied(); size > applied || index >= size {
		return nil, fmt.Errorf("size %d must be above index %d and at most the tree size %d", size, index, applied)
	}
	cp, err := n.checkpointAt(size)
	if err != nil {
		return nil, err
	}
	hashes, err := n.tree.InclusionProof(index, size)
	if err != nil {
		return nil, err
	}
	return (&proof.TLogProof{Extra: raw, Index: index, Hashes: hashes, Checkpoint: cp}).Marshal(), nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between two tree sizes.
func (n *Node) ConsistencyProof(from, to uint64) ([][32]byte, error) {
	if applied := n.Applied(); from == 0 || from > to || to > applied {
		return nil, fmt.Errorf("want 0 < from ≤ to ≤ tree size %d, got from %d to %d", applied, from, to)
	}
	return n.tree.ConsistencyProof(from, to)
}

// checkpointAt signs the checkpoint of an earlier (durable) tree size.
func (n *Node) checkpointAt(size uint64) ([]byte, error) {
	root, err := n.tree.Root(size)
	if err != nil {
		return nil, err
	}
	return proof.SignCheckpoint(proof.Checkpoint{Origin: n.cfg.Origin, Size: size, Root: root}, n.keys.LogSigner)
}

// readsOtherChains reports whether the replay rules for type t read the state of
// other chains (partners' keys, the attested or retracted event).
func readsOtherChains(t string) bool {
	return t == events.TypePartnership || t == events.TypeAttestation || t == events.TypeRetraction
}
