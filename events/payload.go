package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// PayloadVersion is the only payload version this package reads and writes.
const PayloadVersion = 1

// TimeFormat is the layout of a payload's time written by this package: RFC 3339 in
// UTC with a "Z" and whole seconds. Readers also accept up to nine fractional digits.
const TimeFormat = "2006-01-02T15:04:05Z"

// ValidPartyID reports whether s is a well-formed party id: ^[a-z0-9][a-z0-9-]{0,62}$
// (lower-cased ISO 3166-2 for states and provinces, UN/LOCODE for cities).
func ValidPartyID(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && i > 0:
		default:
			return false
		}
	}
	return true
}

func validPartyID(s string) bool { return ValidPartyID(s) }

// ValidEventID reports whether s is a ULID in its canonical 26-character form.
func ValidEventID(s string) bool {
	// ^[0-7][0-9A-HJKMNP-TV-Z]{25}$: what ulid.ParseStrict accepts and String writes
	// back unchanged (upper case; a first digit above 7 overflows 128 bits).
	if len(s) != ulid.EncodedSize || s[0] < '0' || s[0] > '7' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' && c != 'I' && c != 'L' && c != 'O' && c != 'U') {
			return false
		}
	}
	return true
}

func validEventID(s string) bool { return ValidEventID(s) }

func validHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Payload is the decoded v1 event payload (docs/SPEC.md §2). The exact payload bytes,
// not this struct, are what is signed and hashed.
type Payload struct {
	V     int    `json:"v"`
	ID    string `json:"id"`
	Party string `json:"party"`
	Seq   uint64 `json:"seq"`
	// Prev is the hex payload hash of the previous event in this party's chain, "" when
	// Seq is 1.
	Prev string `json:"prev"`
	Type string `json:"type"`
	// Time is the event time as written, RFC 3339 UTC ("2026-11-26T12:00:00Z").
	Time string          `json:"time"`
	Body json.RawMessage `json:"body"`
}

// rawPayload is a decoded payload and which of its members were present, so that a
// missing member can be told from a zero one.
type rawPayload struct {
	Payload
	hasV, hasID, hasParty, hasSeq, hasPrev, hasType, hasTime bool
	// ownedBody lets Body alias the input (parsePayload).
	ownedBody bool
}

// ParsePayload decodes payload bytes under the strict profile and checks the envelope
// fields (not the body). Problems are reported as a *Finding with code
// CodeMalformedPayload listing every field. It returns the payload and its parsed time.
func ParsePayload(b []byte) (*Payload, time.Time, error) { return parsePayload(b, false) }

// parsePayload is ParsePayload; owned says that b will not change, so that the
// returned Payload's Body may alias it instead of holding a copy.
func parsePayload(b []byte, owned bool) (*Payload, time.Time, error) {
	raw := rawPayload{ownedBody: owned}
	spans, err := checkStrictJSONSpans(b)
	if err == nil {
		err = decodeJSON(b, &raw, spans...)
	}
	if err != nil {
		if _, ok := err.(*decodeError); ok {
			fe := decodeFieldError("", err)
			if fe.Path == "" {
				fe.Path = "payload"
				return nil, time.Time{}, &Finding{Code: CodeMalformedPayload, Reason: "payload: " + fe.Message, Fields: []FieldError{fe}}
			}
			return nil, time.Time{}, &Finding{Code: CodeMalformedPayload, Reason: "payload: " + fe.Error(), Fields: []FieldError{fe}}
		}
		return nil, time.Time{}, &Finding{Code: CodeMalformedPayload, Reason: "payload: " + err.Error()}
	}
	var fe fieldErrors
	p := &Payload{Body: raw.Body}
	switch {
	case !raw.hasV:
		fe.add("v", "required")
	case raw.V != PayloadVersion:
		fe.add("v", "version %d is not supported (want %d)", raw.V, PayloadVersion)
	default:
		p.V = raw.V
	}
	if !raw.hasID {
		fe.add("id", "required")
	} else if p.ID = raw.ID; !ValidEventID(p.ID) {
		fe.add("id", "%s is not a canonical ULID", quote(p.ID))
	}
	if !raw.hasParty {
		fe.add("party", "required")
	} else if p.Party = raw.Party; !ValidPartyID(p.Party) {
		fe.add("party", "%s does not match ^[a-z0-9][a-z0-9-]{0,62}$", quote(p.Party))
	}
	if !raw.hasSeq {
		fe.add("seq", "required")
	} else if p.Seq = raw.Seq; p.Seq == 0 {
		fe.add("seq", "must be at least 1")
	}
	if !raw.hasPrev {
		fe.add("prev", "required (\"\" when seq is 1)")
	} else {
		p.Prev = raw.Prev
		switch {
		case p.Seq == 1 && p.Prev != "":
			fe.add("prev", "must be \"\" when seq is 1")
		case p.Seq > 1 && !validHexHash(p.Prev):
			fe.add("prev", "must be 64 lower-case hex digits")
		}
	}
	if !raw.hasType {
		fe.add("type", "required")
	} else {
		p.Type = raw.Type
	}
	var t time.Time
	if !raw.hasTime {
		fe.add("time", "required")
	} else {
		p.Time = raw.Time
		var err error
		if t, err = ParseTime(p.Time); err != nil {
			fe.add("time", "%v", err)
		}
	}
	if len(raw.Body) == 0 {
		fe.add("body", "required")
	} else if raw.Body[0] != '{' {
		fe.add("body", "must be an object")
	}
	if err := fe.err(); err != nil {
		return nil, time.Time{}, findingFromValidation(CodeMalformedPayload, err)
	}
	return p, t, nil
}

// ParseTime parses a payload time: RFC 3339 in UTC with "Z", optional fraction of up
// to nine digits, a real calendar time.
func ParseTime(s string) (time.Time, error) {
	if !timeLayoutOK(s) {
		return time.Time{}, fmt.Errorf("%s is not RFC 3339 UTC like 2026-11-26T12:00:00Z", quote(s))
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not a valid time", quote(s))
	}
	return t, nil
}

// timeLayoutOK reports whether s matches
// ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$.
func timeLayoutOK(s string) bool {
	const layout = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(layout)+1 || len(s) > len(layout)+11 || s[len(s)-1] != 'Z' {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if c := s[i]; layout[i] == 'd' && (c < '0' || c > '9') || layout[i] != 'd' && c != layout[i] {
			return false
		}
	}
	frac := s[len(layout) : len(s)-1]
	if frac == "" {
		return true
	}
	if len(frac) < 2 || frac[0] != '.' {
		return false
	}
	for i := 1; i < len(frac); i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return false
		}
	}
	return true
}

// Draft is an event about to be signed. Marshal turns it into payload bytes.
type Draft struct {
	// ID is the event id; NewID is used when empty.
	ID    string
	Party string
	Seq   uint64
	// Prev is the previous payload hash in the chain; the zero value for Seq 1.
	Prev Hash
	Type string
	Time time.Time
	Body Body
}

// Marshal returns the payload bytes of d with fields in the order v, id, party, seq,
// prev, type, time, body. It fills d.ID when empty. The result is checked with
// ParsePayload and DecodeBody, so a Draft that marshals is well-formed.
func (d *Draft) Marshal() ([]byte, error) {
	if d.ID == "" {
		id, err := NewID(d.Time)
		if err != nil {
			return nil, err
		}
		d.ID = id
	}
	body, err := json.Marshal(d.Body)
	if err != nil {
		return nil, fmt.Errorf("marshal body: %w", err)
	}
	prev := ""
	if d.Seq > 1 {
		prev = d.Prev.String()
	}
	p := Payload{V: PayloadVersion, ID: d.ID, Party: d.Party, Seq: d.Seq, Prev: prev, Type: d.Type, Time: d.Time.UTC().Format(TimeFormat), Body: body}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal payload: %w", err)
	}
	if _, _, err := ParsePayload(b); err != nil {
		return nil, err
	}
	if _, err := DecodeBody(d.Type, body); err != nil {
		return nil, findingFromValidation(CodeInvalidBody, err)
	}
	return b, nil
}

var (
	entropyMu sync.Mutex
	entropy   = ulid.Monotonic(rand.Reader, 0)
)

// NewID returns a new event id: a ULID with time t's milliseconds and crypto-random
// entropy (monotonic within one millisecond). Safe for concurrent use.
func NewID(t time.Time) (string, error) {
	entropyMu.Lock()
	defer entropyMu.Unlock()
	id, err := ulid.New(ulid.Timestamp(t), entropy)
	if err != nil {
		return "", fmt.Errorf("new event id: %w", err)
	}
	return id.String(), nil
}

// NewIDFrom is NewID with a caller-chosen entropy source (test-vector generators).
func NewIDFrom(t time.Time, r io.Reader) (string, error) {
	id, err := ulid.New(ulid.Timestamp(t), r)
	if err != nil {
		return "", fmt.Errorf("new event id: %w", err)
	}
	return id.String(), nil
}

// Hash is a SHA-256 digest: a payload hash, a Merkle leaf or node.
type Hash [32]byte

// String returns the lower-case hex form.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros (no hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash parses 64 lower-case hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if !validHexHash(s) {
		return h, fmt.Errorf("hash %s: want 64 lower-case hex digits", quote(s))
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

// MarshalText implements encoding.TextMarshaler (hex).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (hex).
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
