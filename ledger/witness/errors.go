package witness

import (
	"errors"
	"fmt"
	"net/http"
)

// Marker errors of add-checkpoint. Each *Error below matches one of them (or
// ErrMalformed) under errors.Is, and each maps to one HTTP status of C2SP tlog-witness
// (see [HTTPStatus]).
var (
	// ErrUnknownLog: the checkpoint's origin is not a log the witness follows (404).
	ErrUnknownLog = errors.New("unknown log")
	// ErrLogSignature: no signature on the checkpoint verifies under a key the witness
	// trusts for its origin (403).
	ErrLogSignature = errors.New("no valid log signature")
	// ErrConflict: the old size is not the size the witness last cosigned, or the sizes
	// match and the roots do not (409). A *ConflictError carries the witness's size.
	ErrConflict = errors.New("old size conflict")
	// ErrInconsistent: the consistency proof does not verify, or the checkpoint is
	// smaller than the old size (422; 400 for the latter, as the spec asks).
	ErrInconsistent = errors.New("inconsistent checkpoint")
)

// ConflictError says the witness last cosigned Size for the log, not the request's
// old size (or, with SameSizeRoot, that it cosigned another root for that size). It
// matches ErrConflict.
type ConflictError struct {
	Origin string
	// Size is the size of the latest checkpoint the witness cosigned (0 if none).
	Size uint64
	// Old is the old size the request gave.
	Old uint64
	// SameSizeRoot is set when old = size = the checkpoint's size but its root differs
	// from the one cosigned: a split view.
	SameSizeRoot bool
}

// Error describes the conflict with its sizes.
func (e *ConflictError) Error() string {
	if e.SameSizeRoot {
		return fmt.Sprintf("log %s: the witness cosigned another root for size %d: split view", e.Origin, e.Size)
	}
	return fmt.Sprintf("log %s: the witness last cosigned size %d, the request says %d", e.Origin, e.Size, e.Old)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// InconsistentError says a checkpoint cannot follow the one the witness cosigned. It
// matches ErrInconsistent.
type InconsistentError struct {
	Origin           string
	OldSize, NewSize uint64
	// Reason says what failed (the proof check, or old size above the new size).
	Reason string
	// BadRequest is set when old size > new size, which the spec answers with 400.
	BadRequest bool
}

// Error names the sizes and the reason.
func (e *InconsistentError) Error() string {
	return fmt.Sprintf("log %s: checkpoint of size %d is not consistent with size %d: %s", e.Origin, e.NewSize, e.OldSize, e.Reason)
}

// Is reports whether target is ErrInconsistent.
func (e *InconsistentError) Is(target error) bool { return target == ErrInconsistent }

// LogError says the checkpoint's origin is unknown (ErrUnknownLog) or that no
// signature verifies under the keys trusted for it (ErrLogSignature).
type LogError struct {
	Origin string
	Err    error // ErrUnknownLog or ErrLogSignature
}

// Error names the origin.
func (e *LogError) Error() string {
	if e.Err == ErrUnknownLog {
		return fmt.Sprintf("log %q is not one this witness follows", e.Origin)
	}
	return fmt.Sprintf("log %s: no signature on the checkpoint verifies under the log keys this witness trusts", e.Origin)
}

// Unwrap returns the marker error.
func (e *LogError) Unwrap() error { return e.Err }

// HTTPStatus maps an add-checkpoint error to the HTTP status C2SP tlog-witness asks
// for; 500 for anything else (a storage failure).
func HTTPStatus(err error) int {
	var ie *InconsistentError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrLogSignature):
		return http.StatusForbidden
	case errors.Is(err, ErrConflict):
		return http.StatusConflict
	case errors.As(err, &ie) && ie.BadRequest:
		return http.StatusBadRequest
	case errors.Is(err, ErrInconsistent):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}
