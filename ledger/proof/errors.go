package proof

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Marker errors. Every error this package returns matches exactly one of them under
// errors.Is; the typed errors below carry the details.
var (
	// ErrMalformed: the bytes are not in the expected format (tlog-proof, signed note,
	// checkpoint body, key string, origin).
	ErrMalformed = errors.New("malformed")
	// ErrUnknownKey: a signed note carries no signature by the log key (it may be
	// signed by other keys, including another key with the same name).
	ErrUnknownKey = errors.New("no signature by the log key")
	// ErrBadSignature: a signed note carries a signature line for the log key that does
	// not verify (the text or the signature was altered).
	ErrBadSignature = errors.New("bad signature")
	// ErrOriginMismatch: a checkpoint's origin line is not the log key's name.
	ErrOriginMismatch = errors.New("origin mismatch")
	// ErrInvalidProof: an inclusion or consistency proof does not verify: index out of
	// range, wrong number of hashes, or a computed root that differs from the claimed one.
	ErrInvalidProof = errors.New("invalid proof")
)

// FormatError reports input that is not in the expected format. It matches ErrMalformed.
type FormatError struct {
	// Format names what was being parsed: "tlog-proof", "checkpoint", "checkpoint body",
	// "log signer key", "log verifier key" or "origin".
	Format string
	// Line is the 1-based line of the input where the problem is, or 0 if not applicable.
	Line int
	// Msg says what is wrong.
	Msg string
}

// Error describes the problem with its data.
func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Format, e.Line, e.Msg)
	}
	return e.Format + ": " + e.Msg
}

// Is reports whether target is ErrMalformed.
func (e *FormatError) Is(target error) bool { return target == ErrMalformed }

// UnknownKeyError reports a signed note with no signature by the expected key. It
// matches ErrUnknownKey.
type UnknownKeyError struct {
	// Name and KeyHash identify the expected (log) key.
	Name    string
	KeyHash uint32
	// Found lists the signatures the note does carry, as "<name>+<hex key hash>".
	Found []string
}

// Error describes the problem with its data.
func (e *UnknownKeyError) Error() string {
	found := "no signatures"
	if len(e.Found) > 0 {
		found = "signed by " + strings.Join(e.Found, ", ")
	}
	return fmt.Sprintf("no signature by log key %s+%08x (%s)", e.Name, e.KeyHash, found)
}

// Is reports whether target is ErrUnknownKey.
func (e *UnknownKeyError) Is(target error) bool { return target == ErrUnknownKey }

// SignatureError reports a signature by the expected key that does not verify. It
// matches ErrBadSignature.
type SignatureError struct {
	Name    string
	KeyHash uint32
}

// Error describes the problem with its data.
func (e *SignatureError) Error() string {
	return fmt.Sprintf("signature by log key %s+%08x does not verify", e.Name, e.KeyHash)
}

// Is reports whether target is ErrBadSignature.
func (e *SignatureError) Is(target error) bool { return target == ErrBadSignature }

// OriginMismatchError reports a checkpoint whose origin is not the name of the key that
// signs or verifies it. It matches ErrOriginMismatch.
type OriginMismatchError struct {
	Origin  string // the checkpoint's origin line
	KeyName string // the log key's name
}

// Error describes the problem with its data.
func (e *OriginMismatchError) Error() string {
	return fmt.Sprintf("checkpoint origin %q does not match log key name %q", e.Origin, e.KeyName)
}

// Is reports whether target is ErrOriginMismatch.
func (e *OriginMismatchError) Is(target error) bool { return target == ErrOriginMismatch }

// IndexRangeError reports a leaf index that is not inside the tree. It matches
// ErrInvalidProof.
type IndexRangeError struct {
	Index, Size uint64
}

// Error describes the problem with its data.
func (e *IndexRangeError) Error() string {
	return fmt.Sprintf("index %d is not below tree size %d", e.Index, e.Size)
}

// Is reports whether target is ErrInvalidProof.
func (e *IndexRangeError) Is(target error) bool { return target == ErrInvalidProof }

// ProofLengthError reports a proof with the wrong number of hashes for its index and
// tree sizes (truncated or padded). It matches ErrInvalidProof.
type ProofLengthError struct {
	Got, Want int
}

// Error describes the problem with its data.
func (e *ProofLengthError) Error() string {
	return fmt.Sprintf("proof has %d hashes, want %d", e.Got, e.Want)
}

// Is reports whether target is ErrInvalidProof.
func (e *ProofLengthError) Is(target error) bool { return target == ErrInvalidProof }

// RootMismatchError reports a proof that leads to a different root than the one it is
// checked against. It matches ErrInvalidProof.
type RootMismatchError struct {
	Computed [32]byte // the root the proof leads to
	Expected [32]byte // the root it was checked against
	// Role names Expected in the message: "checkpoint root", "old root", "new root";
	// empty means "expected root".
	Role string
}

// Error describes the problem with its data.
func (e *RootMismatchError) Error() string {
	role := e.Role
	if role == "" {
		role = "expected root"
	}
	return fmt.Sprintf("computed root %s does not match %s %s",
		base64.StdEncoding.EncodeToString(e.Computed[:]), role,
		base64.StdEncoding.EncodeToString(e.Expected[:]))
}

// Is reports whether target is ErrInvalidProof.
func (e *RootMismatchError) Is(target error) bool { return target == ErrInvalidProof }

// quote returns s quoted for an error message, shortened if long, so that hostile input
// cannot make error messages arbitrarily large.
func quote(s string) string {
	const limit = 48
	if len(s) > limit {
		return fmt.Sprintf("%q…", s[:limit])
	}
	return fmt.Sprintf("%q", s)
}
