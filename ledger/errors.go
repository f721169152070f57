package ledger

import (
	"errors"
	"fmt"

	"github.com/climateledger/climateledger/events"
)

// Sentinel errors of the gate and the read paths. Rule violations are *events.Finding.
var (
	// ErrNotFound: no such event, entry or party.
	ErrNotFound = errors.New("not found")
	// ErrUnavailable: the log could not be written or read; nothing was appended (or,
	// after a timeout, a retry of the same event is safe: it is deduplicated).
	ErrUnavailable = errors.New("log unavailable")
	// ErrCorrupt: derived state disagrees with the log (rebuild the node's Pebble).
	ErrCorrupt = errors.New("corrupt state")
	// ErrClosed: the node was closed.
	ErrClosed = errors.New("node closed")
)

// MaxSubmissionSize is the largest submission the gate reads, in bytes: twice
// events.MaxEntrySize, since a submission may use any JSON layout (docs/SPEC.md §3.3).
const MaxSubmissionSize = 2 * events.MaxEntrySize

// TooLargeError is returned for a submission over MaxSubmissionSize, or one whose
// stored form is over events.MaxEntrySize.
type TooLargeError struct {
	// Size is the size in bytes; -1 when unknown (a body that was not read in full).
	Size, Limit int
	// Stored says that the limit is the stored entry's (events.MaxEntrySize) rather
	// than the submission's (MaxSubmissionSize).
	Stored bool
}

func (e *TooLargeError) Error() string {
	what := "the submission"
	if e.Stored {
		what = "the stored form of the submission (its compact envelope)"
	}
	if e.Size < 0 {
		return fmt.Sprintf("%s is over the %d-byte limit", what, e.Limit)
	}
	return fmt.Sprintf("%s is %d bytes, over the %d-byte limit", what, e.Size, e.Limit)
}

// Head is a chain's head: its last valid event.
type Head struct {
	Party string `json:"party"`
	// Seq is 0 and Hash "" for a party with no chain yet.
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

func headOf(party string, ps *events.PartyState) Head {
	if ps == nil {
		return Head{Party: party}
	}
	return Head{Party: party, Seq: ps.Seq, Hash: ps.Head.String()}
}

// ConflictError is returned when another event was appended to the chain first (the
// client's seq/prev no longer follow the head). Head is the current head.
type ConflictError struct {
	Head   Head
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("chain conflict on %s: %s (head is seq %d)", e.Head.Party, e.Reason, e.Head.Seq)
}

// PendingError is returned when an entry is in the log but was not integrated within
// the gate's bound; its receipt can be fetched later by event id.
type PendingError struct {
	ID    string
	Index uint64
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("event %s is in the log at index %d but not yet integrated; fetch its receipt later", e.ID, e.Index)
}

// Unwrap makes errors.Is(err, ErrUnavailable) true.
func (e *PendingError) Unwrap() error { return ErrUnavailable }

// asFinding returns err as a finding, if it is one.
func asFinding(err error) (*events.Finding, bool) {
	var f *events.Finding
	ok := errors.As(err, &f)
	return f, ok
}
