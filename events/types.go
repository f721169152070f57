package events

// The v1 event types (docs/SPEC.md §6). A new version of a type is a new type string.
const (
	TypeGenesis             = "network.genesis"
	TypeRegistrarKeyAdded   = "registrar.key_added"
	TypeRegistrarKeyRevoked = "registrar.key_revoked"
	TypePartyEnrolled       = "party.enrolled"
	TypeKeyAdded            = "key.added"
	TypeKeyRevoked          = "key.revoked"
	TypeEndorsement         = "endorsement.recorded"
	TypeTargetSet           = "target.set"
	TypeTargetWithdrawn     = "target.withdrawn"
	TypeInventoryReported   = "inventory.reported"
	TypePlanPublished       = "plan.published"
	TypePartnership         = "partnership.recorded"
	TypeAttestation         = "attestation.issued"
	TypeRetraction          = "event.retracted"
)

// NetworkParty is the chain that holds the genesis and the registrar's key events.
const NetworkParty = "network"

// Party kinds (party.enrolled body.kind).
const (
	KindJurisdiction = "jurisdiction"
	KindVerifier     = "verifier"
)

// Body is the decoded, validated body of one event. Each event type has its own Go type
// (*GenesisBody, *TargetSetBody, …); EventType names it.
type Body interface {
	EventType() string
	// validate appends every problem with the body to fe, with paths below "body".
	validate(fe *fieldErrors)
	// decodeJSON decodes the body from checked JSON (decode.go).
	decodeJSON(d *jsonDecoder)
}

// bodyTypes maps each event type to a constructor of its empty body.
var bodyTypes = map[string]func() Body{
	TypeGenesis:             func() Body { return new(GenesisBody) },
	TypeRegistrarKeyAdded:   func() Body { return new(RegistrarKeyAddedBody) },
	TypeRegistrarKeyRevoked: func() Body { return new(RegistrarKeyRevokedBody) },
	TypePartyEnrolled:       func() Body { return new(EnrolledBody) },
	TypeKeyAdded:            func() Body { return new(KeyAddedBody) },
	TypeKeyRevoked:          func() Body { return new(KeyRevokedBody) },
	TypeEndorsement:         func() Body { return new(EndorsementBody) },
	TypeTargetSet:           func() Body { return new(TargetSetBody) },
	TypeTargetWithdrawn:     func() Body { return new(TargetWithdrawnBody) },
	TypeInventoryReported:   func() Body { return new(InventoryBody) },
	TypePlanPublished:       func() Body { return new(PlanBody) },
	TypePartnership:         func() Body { return new(PartnershipBody) },
	TypeAttestation:         func() Body { return new(AttestationBody) },
	TypeRetraction:          func() Body { return new(RetractionBody) },
}

// KnownType reports whether t is a v1 event type.
func KnownType(t string) bool {
	_, ok := bodyTypes[t]
	return ok
}

// EventTypes returns every v1 event type in the order of docs/SPEC.md §6.
func EventTypes() []string {
	return []string{
		TypeGenesis, TypeRegistrarKeyAdded, TypeRegistrarKeyRevoked, TypePartyEnrolled,
		TypeKeyAdded, TypeKeyRevoked, TypeEndorsement, TypeTargetSet, TypeTargetWithdrawn,
		TypeInventoryReported, TypePlanPublished, TypePartnership, TypeAttestation,
		TypeRetraction,
	}
}

// DecodeBody decodes and validates the body of an event of type typ. raw is the body's
// exact JSON bytes from the payload. Unknown fields, duplicate keys and null are
// rejected. On failure it returns a *ValidationError listing every problem, each with a
// path that starts with "body" ("body.lines[3].gpc_ref").
func DecodeBody(typ string, raw []byte) (Body, error) { return decodeBody(typ, raw, false) }

// decodeBody is DecodeBody; checked says that raw already passed checkStrictJSON (as
// part of its payload), so that it need not be scanned again.
func decodeBody(typ string, raw []byte, checked bool) (Body, error) {
	mk, ok := bodyTypes[typ]
	if !ok {
		return nil, &ValidationError{Fields: []FieldError{{Path: "type", Message: "unknown event type " + quote(typ)}}}
	}
	b := mk()
	err := error(nil)
	if !checked {
		err = checkStrictJSON(raw)
	}
	if err == nil {
		err = decodeJSON(raw, b)
	}
	if err != nil {
		return nil, &ValidationError{Fields: []FieldError{decodeFieldError("body", err)}}
	}
	var fe fieldErrors
	b.validate(&fe)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return b, nil
}

// decodeFieldError names a strict-profile or decoding error of the document at root
// ("body", or "" for a payload) by the path of the value it is about: an unknown member
// "evil" of the body is "body.evil: unknown field", a string where a number belongs is
// "body.lines[2].tco2e: expected a number, got JSON string". A strict-profile error
// (syntax, null, duplicate keys) is at root, with its byte offset in the message.
func decodeFieldError(root string, err error) FieldError {
	de, ok := err.(*decodeError)
	if !ok {
		return FieldError{Path: root, Message: err.Error()}
	}
	path := root
	switch {
	case de.path == "":
	case path == "" || de.path[0] == '[':
		path += de.path
	default:
		path += "." + de.path
	}
	return FieldError{Path: path, Message: de.msg}
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return `"` + s + `"`
}

// The bodies the replay rules read. Their validation, and the content bodies
// (endorsement, target, inventory, plan), live in bodies.go.

// GenesisBody opens the log (network chain, seq 1).
type GenesisBody struct {
	Origin        string         `json:"origin"`
	Name          string         `json:"name"`
	RegistrarKeys []PublicKeyRef `json:"registrar_keys"`
	// LogKey is the signed-note verifier key of the log's checkpoints:
	// <origin>+<hex keyid4>+<base64(0x01 ‖ public key)>.
	LogKey string `json:"log_key"`
}

// RegistrarKeyAddedBody adds a registrar key (network chain).
type RegistrarKeyAddedBody struct {
	Key    PublicKeyRef `json:"key"`
	Reason string       `json:"reason,omitempty"`
}

// RegistrarKeyRevokedBody revokes a registrar key (network chain).
type RegistrarKeyRevokedBody struct {
	KeyID  string `json:"keyid"`
	Reason string `json:"reason"`
}

// EnrolledBody starts a party's chain (seq 1).
type EnrolledBody struct {
	Kind         string            `json:"kind"`
	Names        map[string]string `json:"names"`
	Country      string            `json:"country,omitempty"`
	Level        string            `json:"level,omitempty"`
	Parent       string            `json:"parent,omitempty"`
	Codes        *PartyCodes       `json:"codes,omitempty"`
	Keys         []PublicKeyRef    `json:"keys"`
	Endorsements []Endorsement     `json:"endorsements,omitempty"`
	// Participations are summits the jurisdiction took part in without a recorded
	// endorsement of the Declaration there: a participant is not an endorser.
	Participations []Participation `json:"participations,omitempty"`
}

// PartyCodes are a party's standard identifiers.
type PartyCodes struct {
	ISO3166_2 string `json:"iso3166_2,omitempty"`
	UNLOCODE  string `json:"unlocode,omitempty"`
}

// Endorsement is a party's endorsement of the Declaration at one summit, with the
// document that shows it (optional).
type Endorsement struct {
	Summit string       `json:"summit"`
	Date   string       `json:"date"`
	Source *DocumentRef `json:"source,omitempty"`
}

// Participation is a party's taking part in one summit of the Declaration without an
// endorsement recorded there (for example a participant of the 2016 Beijing summit
// whose endorsement no source names), with the document that shows it (optional).
type Participation struct {
	Summit string       `json:"summit"`
	Date   string       `json:"date"`
	Source *DocumentRef `json:"source,omitempty"`
}

// KeyAddedBody adds a key to the party's chain; the new key must co-sign.
type KeyAddedBody struct {
	Key    PublicKeyRef `json:"key"`
	Reason string       `json:"reason,omitempty"`
}

// KeyRevokedBody revokes one of the party's keys.
type KeyRevokedBody struct {
	KeyID  string `json:"keyid"`
	Reason string `json:"reason"`
}

// PartnershipBody records a partnership; every partner signs.
type PartnershipBody struct {
	PartnershipID string       `json:"partnership_id"`
	Partners      []string     `json:"partners"`
	Instrument    string       `json:"instrument"`
	Topics        []string     `json:"topics"`
	Signed        string       `json:"signed"`
	Description   string       `json:"description,omitempty"`
	Document      *DocumentRef `json:"document,omitempty"`
}

// AttestationBody is a verifier's opinion on one event.
type AttestationBody struct {
	Subject        Subject  `json:"subject"`
	Standard       string   `json:"standard"`
	Assurance      string   `json:"assurance"`
	MaterialityPct *Decimal `json:"materiality_pct,omitempty"`
	Opinion        string   `json:"opinion"`
	// Summary is the verifier's summary of its findings (optional).
	Summary string `json:"summary,omitempty"`
}

// Subject names the event an attestation is about, by id and payload hash.
type Subject struct {
	EventID string `json:"event_id"`
	Hash    string `json:"hash"`
}

// RetractionBody retracts one of the party's own earlier events.
type RetractionBody struct {
	EventID string `json:"event_id"`
	Reason  string `json:"reason"`
}

// DocumentRef points at a public document and, when it can, pins its bytes.
//
// Rules: url required, an absolute http or https URL of at most 2048 characters,
// without white space, control characters or user information; sha256 optional (many
// public sources change or cannot be fetched byte for byte: a reference without it is
// valid and is shown as not pinned), the lower-case hex SHA-256 of the document when
// present; title optional text of at most 300 characters; quote optional text of at
// most 1000 characters (line feeds allowed): the passage of the document that states
// the figure, as read.
type DocumentRef struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256,omitempty"`
	Title  string `json:"title,omitempty"`
	Quote  string `json:"quote,omitempty"`
}

// EventType implements Body.
func (*GenesisBody) EventType() string { return TypeGenesis }

// EventType implements Body.
func (*RegistrarKeyAddedBody) EventType() string { return TypeRegistrarKeyAdded }

// EventType implements Body.
func (*RegistrarKeyRevokedBody) EventType() string { return TypeRegistrarKeyRevoked }

// EventType implements Body.
func (*EnrolledBody) EventType() string { return TypePartyEnrolled }

// EventType implements Body.
func (*KeyAddedBody) EventType() string { return TypeKeyAdded }

// EventType implements Body.
func (*KeyRevokedBody) EventType() string { return TypeKeyRevoked }

// EventType implements Body.
func (*PartnershipBody) EventType() string { return TypePartnership }

// EventType implements Body.
func (*AttestationBody) EventType() string { return TypeAttestation }

// EventType implements Body.
func (*RetractionBody) EventType() string { return TypeRetraction }
