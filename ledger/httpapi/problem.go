// Package httpapi is the edge of the ledger: the write and log endpoints of the HTTP
// API (docs/SPEC.md §8) and the same submission over NATS request-reply on
// "ledger.submit". Domain errors become HTTP statuses and stable problem codes in one
// table here (RFC 9457 problem+json); no raw error chain crosses the wire. [Edge]
// wraps a node's whole handler: problem+json for 404 and 405, the per-client limits
// of a [Limiter] (429 with Retry-After), HSTS under TLS (docs/SECURITY.md).
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// Problem is an RFC 9457 problem document with the project's extensions: a stable
// code, per-field errors, the current chain head on a conflict, and the log index when
// an entry is in the log but its receipt is pending.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Code   string              `json:"code"`
	Errors []events.FieldError `json:"errors,omitempty"`
	Head   *ledger.Head        `json:"head,omitempty"`
	Index  *uint64             `json:"index,omitempty"`
	// Limit names the limit a 429 rate_limited crossed (LimitReasons).
	Limit string `json:"limit,omitempty"`
}

// Stable problem codes that are not replay findings.
const (
	CodeTooLarge           = "too_large"
	CodeConflict           = "chain_conflict"
	CodeUnavailable        = "log_unavailable"
	CodeIntegrationPending = "integration_pending"
	CodeNotFound           = "not_found"
	CodeBadRequest         = "bad_request"
	CodeInternal           = "internal"
	// CodeNotWitnessed: no checkpoint cosigned by a quorum of witnesses covers the
	// request yet (503 with Retry-After for the checkpoint, 409 for an entry's proof).
	CodeNotWitnessed = "not_witnessed"
	// CodeNoWitnesses: the node has no witnesses configured.
	CodeNoWitnesses = "no_witnesses"
	// CodeMethodNotAllowed: the path exists but not with this method (405, with Allow).
	CodeMethodNotAllowed = "method_not_allowed"
	// CodeUnsupportedMediaType: POST /v1/events without Content-Type application/json (415).
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeIncompleteBody: the request body could not be read in full (the client
	// closed the connection or sent it too slowly).
	CodeIncompleteBody = "incomplete_body"
	// CodeRateLimited: a per-client limit was crossed (429, with Retry-After and the
	// problem's limit member naming it).
	CodeRateLimited = "rate_limited"
)

// findingStatus maps each finding code to its HTTP status (docs/SPEC.md §7.3).
var findingStatus = map[events.Code]int{
	events.CodeMalformedEnvelope:       http.StatusBadRequest,
	events.CodePayloadType:             http.StatusBadRequest,
	events.CodeNoSignatures:            http.StatusBadRequest,
	events.CodeMalformedPayload:        http.StatusBadRequest,
	events.CodeUnknownType:             http.StatusUnprocessableEntity,
	events.CodeInvalidBody:             http.StatusUnprocessableEntity,
	events.CodeNotPermitted:            http.StatusUnprocessableEntity,
	events.CodeBadReference:            http.StatusUnprocessableEntity,
	events.CodeTimeBackwards:           http.StatusUnprocessableEntity,
	ledger.CodeClockSkew:               http.StatusUnprocessableEntity,
	events.CodeBadSignature:            http.StatusUnauthorized,
	events.CodeKeyNotAuthorized:        http.StatusForbidden,
	events.CodeKeyRevoked:              http.StatusForbidden,
	events.CodeMissingSignature:        http.StatusForbidden,
	events.CodeMissingPartnerSignature: http.StatusForbidden,
	events.CodeNotEnrolled:             http.StatusForbidden,
	events.CodeChainBreak:              http.StatusConflict,
	events.CodeDuplicateID:             http.StatusConflict,
	events.CodeNoGenesis:               http.StatusInternalServerError,
}

// ProblemFor maps an error from the ledger to its problem document.
func ProblemFor(err error) *Problem {
	var (
		f  *events.Finding
		tl *ledger.TooLargeError
		ce *ledger.ConflictError
		pe *ledger.PendingError
		nw *ledger.NotWitnessedError
	)
	switch {
	case errors.As(err, &f):
		status, ok := findingStatus[f.Code]
		if !ok {
			status = http.StatusUnprocessableEntity
		}
		return newProblem(status, string(f.Code), f.Reason, func(p *Problem) { p.Errors = f.Fields })
	case errors.As(err, &tl):
		return newProblem(http.StatusRequestEntityTooLarge, CodeTooLarge, tl.Error()+" (docs/SPEC.md §3.2–3.3)", nil)
	case errors.As(err, &ce):
		head := ce.Head
		return newProblem(http.StatusConflict, CodeConflict, ce.Error(), func(p *Problem) { p.Head = &head })
	case errors.As(err, &pe):
		index := pe.Index
		return newProblem(http.StatusServiceUnavailable, CodeIntegrationPending, pe.Error(), func(p *Problem) { p.Index = &index })
	case errors.As(err, &nw):
		if nw.Index < 0 {
			return newProblem(http.StatusServiceUnavailable, CodeNotWitnessed, nw.Error(), nil)
		}
		index := uint64(nw.Index)
		return newProblem(http.StatusConflict, CodeNotWitnessed, nw.Error(), func(p *Problem) { p.Index = &index })
	case errors.Is(err, natslog.ErrOutcomeUnknown):
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the log did not answer in time; the event may or may not be recorded: resubmit the same envelope (it is deduplicated) to get its receipt", nil)
	case errors.Is(err, ledger.ErrUnavailable), errors.Is(err, ledger.ErrClosed):
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the log is unavailable; nothing was appended", nil)
	case errors.Is(err, ledger.ErrNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "not found", nil)
	}
	return newProblem(http.StatusInternalServerError, CodeInternal, "internal error", nil)
}

func newProblem(status int, code, detail string, with func(*Problem)) *Problem {
	p := &Problem{Type: "urn:climateledger:problem:" + code, Title: http.StatusText(status), Status: status, Detail: detail, Code: code}
	if with != nil {
		with(p)
	}
	return p
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// BadRequest returns a 400 problem with detail.
func BadRequest(detail string) *Problem {
	return newProblem(http.StatusBadRequest, CodeBadRequest, detail, nil)
}

// NotFound returns a 404 problem with detail.
func NotFound(detail string) *Problem {
	return newProblem(http.StatusNotFound, CodeNotFound, detail, nil)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func jsonMarshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimRight(b.Bytes(), "\n"), err
}
