package events

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem with one field of a payload, named by its path from the
// payload root: "body.lines[3].gpc_ref".
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (e FieldError) Error() string { return e.Path + ": " + e.Message }

// ValidationError lists every problem found in a payload or body, in document order.
// It is returned (as an error) by the body decoders; callers inspect it with errors.As.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// fieldErrors collects FieldErrors while a body is validated.
type fieldErrors struct {
	list []FieldError
}

// add records a problem at path.
func (fe *fieldErrors) add(path, format string, args ...any) {
	fe.list = append(fe.list, FieldError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was recorded, else a *ValidationError.
func (fe *fieldErrors) err() error {
	if len(fe.list) == 0 {
		return nil
	}
	return &ValidationError{Fields: fe.list}
}

// Code is a stable, machine-readable name for why an entry was refused. Codes are part
// of the wire contract (docs/SPEC.md §7): they appear in audit reports, in the gate's
// problem responses and in the test vectors, and are never renamed.
type Code string

// The finding codes. Structural codes come from [ParseEntry] and [DecodeSubmission];
// the others from [Registry.Check].
const (
	// CodeMalformedEnvelope: the stored bytes are not exactly the compact DSSE envelope
	// (bad JSON, wrong field order, white space, non-canonical base64, trailing data).
	CodeMalformedEnvelope Code = "malformed_envelope"
	// CodePayloadType: the envelope's payloadType is not PayloadType.
	CodePayloadType Code = "wrong_payload_type"
	// CodeNoSignatures: the envelope carries no signature.
	CodeNoSignatures Code = "no_signatures"
	// CodeMalformedPayload: the payload is not strict JSON, misses or adds a top-level
	// field, or has a bad v, id, party, seq, prev or time.
	CodeMalformedPayload Code = "malformed_payload"
	// CodeUnknownType: the payload's type is not one of the v1 event types.
	CodeUnknownType Code = "unknown_type"
	// CodeInvalidBody: the body breaks its type's rules; the finding lists every field.
	CodeInvalidBody Code = "invalid_body"
	// CodeNoGenesis: an entry precedes the network genesis, or the first entry is not one.
	CodeNoGenesis Code = "no_genesis"
	// CodeNotEnrolled: the party (or a partner, or a referenced party) is not enrolled.
	CodeNotEnrolled Code = "not_enrolled"
	// CodeNotPermitted: the event type is not allowed on this chain or for this kind of
	// party (an attestation from a jurisdiction, a party event on the network chain,
	// revoking a party's last key).
	CodeNotPermitted Code = "not_permitted"
	// CodeChainBreak: seq is not head+1 or prev is not the head's payload hash.
	CodeChainBreak Code = "chain_break"
	// CodeDuplicateID: another entry already carries this event id.
	CodeDuplicateID Code = "duplicate_id"
	// CodeTimeBackwards: time is before the previous event's time in the same chain.
	CodeTimeBackwards Code = "time_backwards"
	// CodeBadSignature: a signature by a key the rules consult does not verify.
	CodeBadSignature Code = "bad_signature"
	// CodeKeyNotAuthorized: no signature is by a key valid for the party at this point.
	CodeKeyNotAuthorized Code = "key_not_authorized"
	// CodeKeyRevoked: the entry is signed only by a key of the party that was revoked
	// earlier in the chain.
	CodeKeyRevoked Code = "key_revoked"
	// CodeMissingSignature: a required co-signature is absent (a listed key's proof of
	// possession, a genesis registrar key, the registrar on an enrolment).
	CodeMissingSignature Code = "missing_signature"
	// CodeMissingPartnerSignature: a partnership lacks a signature by a partner's key.
	CodeMissingPartnerSignature Code = "missing_partner_signature"
	// CodeBadReference: the event refers to an event or target that does not exist, is
	// not the party's own, has another hash, or cannot be referred to.
	CodeBadReference Code = "bad_reference"
)

// Codes lists every finding code, in the order of docs/SPEC.md §7.
var Codes = []Code{
	CodeMalformedEnvelope, CodePayloadType, CodeNoSignatures, CodeMalformedPayload,
	CodeUnknownType, CodeInvalidBody, CodeNoGenesis, CodeNotEnrolled, CodeNotPermitted,
	CodeChainBreak, CodeDuplicateID, CodeTimeBackwards, CodeBadSignature,
	CodeKeyNotAuthorized, CodeKeyRevoked, CodeMissingSignature,
	CodeMissingPartnerSignature, CodeBadReference,
}

// Finding is why an entry was refused: a stable code, a human reason, and for
// CodeInvalidBody and CodeMalformedPayload the field-level problems.
type Finding struct {
	Code   Code         `json:"code"`
	Reason string       `json:"reason"`
	Fields []FieldError `json:"errors,omitempty"`
}

func (f *Finding) Error() string { return string(f.Code) + ": " + f.Reason }

// Is makes errors.Is(err, &Finding{Code: c}) match any finding with code c.
func (f *Finding) Is(target error) bool {
	t, ok := target.(*Finding)
	return ok && t.Code == f.Code && t.Reason == ""
}

func findingf(code Code, format string, args ...any) *Finding {
	return &Finding{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// findingFromValidation wraps a body or payload validation error into a finding with
// the given code, keeping the field list.
func findingFromValidation(code Code, err error) *Finding {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return &Finding{Code: code, Reason: ve.Error(), Fields: ve.Fields}
	}
	return &Finding{Code: code, Reason: err.Error()}
}

// CodeOf returns the finding code carried by err, or "" when err is not a finding.
func CodeOf(err error) Code {
	var f *Finding
	if errors.As(err, &f) {
		return f.Code
	}
	return ""
}
