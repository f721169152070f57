package natslog

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap them; test with errors.Is.
var (
	// ErrConflict: an append's expected last subject sequence did not match the
	// party's chain (someone appended first). Nothing was appended. Returned as a
	// *ConflictError.
	ErrConflict = errors.New("natslog: chain conflict")

	// ErrUnavailable: the log could not be reached or refused to work (timeout, no
	// responders, JetStream disabled or not ready, connection closed, an unexpected
	// JetStream error). For an append, nothing was appended unless the error also
	// wraps ErrOutcomeUnknown.
	ErrUnavailable = errors.New("natslog: log unavailable")

	// ErrOutcomeUnknown marks an append whose request may have reached the server
	// but whose answer was lost (timeout, cancelled context, broken connection): the
	// entry may or may not be in the log. It always comes with ErrUnavailable.
	// Reconcile by retrying Append with the same message id and expectation.
	ErrOutcomeUnknown = errors.New("natslog: append outcome unknown")

	// ErrNotFound: the stream holds no message at the requested sequence.
	ErrNotFound = errors.New("natslog: entry not found")

	// ErrCorrupt: the stream does not hold what a ledger log must (a sequence is
	// missing in a stream that may never lose one).
	ErrCorrupt = errors.New("natslog: log corrupt")

	// ErrInvalidArgument marks a refused argument ([*PartyError], [*MsgIDError],
	// [*TooLargeError], an empty entry, a zero sequence). Nothing was sent.
	ErrInvalidArgument = errors.New("natslog: invalid argument")
)

// ConflictError is returned by [Log.Append] when the party's chain no longer ends at
// the expected subject sequence. Nothing was appended. It matches ErrConflict.
type ConflictError struct {
	Party    string // the party whose chain moved
	Expected uint64 // the expected last subject sequence the caller passed
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("natslog: chain conflict on party %q: last subject sequence is not %d", e.Party, e.Expected)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// PartyError reports a party id that does not match ^[a-z0-9][a-z0-9-]{0,62}$.
// It matches ErrInvalidArgument.
type PartyError struct {
	Party string
}

func (e *PartyError) Error() string {
	return fmt.Sprintf("natslog: invalid party %q: want ^[a-z0-9][a-z0-9-]{0,62}$", e.Party)
}

// Is reports whether target is ErrInvalidArgument.
func (e *PartyError) Is(target error) bool { return target == ErrInvalidArgument }

// MsgIDError reports an unusable message id: it must be 1 to 128 bytes of printable
// ASCII without spaces. It matches ErrInvalidArgument.
type MsgIDError struct {
	MsgID string
}

func (e *MsgIDError) Error() string {
	return fmt.Sprintf("natslog: invalid message id %q: want 1 to %d printable ASCII characters without spaces", e.MsgID, maxMsgIDLen)
}

// Is reports whether target is ErrInvalidArgument.
func (e *MsgIDError) Is(target error) bool { return target == ErrInvalidArgument }

// TooLargeError reports an entry larger than [Config.MaxMsgSize]. Nothing was
// appended. It matches ErrInvalidArgument.
type TooLargeError struct {
	Size int // bytes in the entry
	Max  int // the configured maximum
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("natslog: entry of %d bytes exceeds the maximum of %d", e.Size, e.Max)
}

// Is reports whether target is ErrInvalidArgument.
func (e *TooLargeError) Is(target error) bool { return target == ErrInvalidArgument }

// Mismatch is one stream setting that differs from what the log requires.
type Mismatch struct {
	Field string // a jetstream.StreamConfig field name, or State.<field> for stream state
	Want  string // what the log requires, in words ("true", ">= 2m0s", "unlimited (-1)")
	Got   string // what the stream has
	Fix   string // how to resolve it, when there is a simple way ("" otherwise)
}

func (m Mismatch) String() string {
	s := m.Field + ": want " + m.Want + ", got " + m.Got
	if m.Fix != "" {
		s += " (" + m.Fix + ")"
	}
	return s
}

// StreamMismatchError is returned by [Open] when the stream exists with settings
// weaker than the log requires (or different subjects). It lists every mismatch.
// The stream is left unchanged: fix it by hand (some settings, like DenyDelete,
// can never be turned off once on, so a weaker stream may have to be recreated).
type StreamMismatchError struct {
	Stream     string
	Mismatches []Mismatch
}

func (e *StreamMismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "natslog: stream %s has weaker or different settings than the log requires (%d): ", e.Stream, len(e.Mismatches))
	for i, m := range e.Mismatches {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(m.String())
	}
	return b.String()
}

// ConfigProblem is one problem with one field of a [Config].
type ConfigProblem struct {
	Field   string // the Config field name
	Message string
}

func (p ConfigProblem) String() string { return p.Field + ": " + p.Message }

// ConfigError lists every problem [Config.Validate] found, in field order.
type ConfigError struct {
	Problems []ConfigProblem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("natslog: invalid config: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}
