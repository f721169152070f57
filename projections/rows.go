package projections

import (
	"bytes"
	"encoding/json"

	"github.com/climateledger/climateledger/events"
)

// marshal encodes v as JSON without HTML escaping, as the HTTP API writes it; rows
// are stored in this form.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// The rows of the read models. Each is stored as JSON (encoding/json: fields in
// declaration order, map keys sorted), so a row's bytes are a function of the log
// alone. The HTTP API serves the same shapes.

// EventRef locates an event: id, log index, seq in its chain and time as written.
type EventRef struct {
	EventID string `json:"event_id"`
	Index   uint64 `json:"index"`
	Seq     uint64 `json:"seq"`
	Time    string `json:"time"`
}

// Ref returns the event id and index.
func (r EventRef) Ref() Ref { return Ref{EventID: r.EventID, Index: r.Index} }

// Retraction marks a row whose event was retracted: the event.retracted event and
// its reason.
type Retraction struct {
	EventID string `json:"event_id"`
	Index   uint64 `json:"index"`
	Reason  string `json:"reason"`
}

// PartyRow is a party as enrolled ("network" for the registrar's chain, from the
// genesis).
type PartyRow struct {
	ID    string            `json:"id"`
	Kind  string            `json:"kind"`
	Names map[string]string `json:"names"`
	// Country, Level and Parent are a jurisdiction's.
	Country string             `json:"country,omitempty"`
	Level   string             `json:"level,omitempty"`
	Parent  string             `json:"parent,omitempty"`
	Codes   *events.PartyCodes `json:"codes,omitempty"`
	// Enrolled is the party.enrolled (or network.genesis) event.
	Enrolled EventRef `json:"enrolled"`
	// Participations are the summits the enrolment says the jurisdiction took part in
	// without an endorsement (not an endorser).
	Participations []events.Participation `json:"participations,omitempty"`
}

// KeyRow is one key of a party and when it was valid: from the event that added it
// to the event that revoked it.
type KeyRow struct {
	KeyID   string        `json:"keyid"`
	Public  string        `json:"public"`
	Added   EventRef      `json:"added"`
	Revoked *KeyRevokedAt `json:"revoked,omitempty"`
}

// KeyRevokedAt is the event that revoked a key.
type KeyRevokedAt struct {
	EventRef
	// Chain is the chain holding the revocation: the owner's, or "network" for a
	// registrar key.
	Chain  string `json:"chain"`
	Reason string `json:"reason"`
}

// EventRow is one event of a party's chain, for paging.
type EventRow struct {
	Seq       uint64      `json:"seq"`
	ID        string      `json:"id"`
	Index     uint64      `json:"index"`
	Type      string      `json:"type"`
	Time      string      `json:"time"`
	Hash      string      `json:"hash"`
	Retracted *Retraction `json:"retracted,omitempty"`

	// hash, when hashSet (and Hash is ""), is the hash the row was made with: the
	// encoder writes it in hex without a string in between.
	hash    events.Hash
	hashSet bool
}

// IDRow finds a valid event's rows from its id (for retractions and attestations).
type IDRow struct {
	Party string `json:"party"`
	Seq   uint64 `json:"seq"`
	Index uint64 `json:"index"`
	Type  string `json:"type"`
	// The fields that name the event's rows, by type.
	TargetID     string   `json:"target_id,omitempty"`
	Year         int      `json:"year,omitempty"`
	PlanID       string   `json:"plan_id,omitempty"`
	Version      int      `json:"version,omitempty"`
	Partners     []string `json:"partners,omitempty"`
	Subject      string   `json:"subject,omitempty"`
	SubjectParty string   `json:"subject_party,omitempty"`
}

// EndorsementRow is one endorsement of the Declaration: from the enrolment body
// (Source "party.enrolled") or an endorsement.recorded event.
type EndorsementRow struct {
	Summit        string `json:"summit"`
	Date          string `json:"date"`
	TargetWording string `json:"target_wording,omitempty"`
	Source        string `json:"source"`
	// Document is the document that shows the endorsement, when the event names one.
	Document  *events.DocumentRef `json:"document,omitempty"`
	Event     EventRef            `json:"event"`
	Retracted *Retraction         `json:"retracted,omitempty"`
}

// TargetRevisionRow is one event of a target's history: a target.set (a revision)
// or a target.withdrawn.
type TargetRevisionRow struct {
	TargetID string   `json:"target_id"`
	Event    EventRef `json:"event"`
	// Action is "set" or "withdrawn".
	Action string `json:"action"`
	// Revision numbers the target's events from 1, in log order.
	Revision  int                   `json:"revision"`
	Set       *events.TargetSetBody `json:"set,omitempty"`
	Reason    string                `json:"reason,omitempty"`
	Retracted *Retraction           `json:"retracted,omitempty"`
}

// InventoryRow is one inventory.reported event, with its breakdown and its standing
// among the inventories of its year: Current (the one that counts: not retracted,
// not restated by another that was not retracted, the latest of the rest) and
// RestatedBy. The applier rewrites the rows of a year when their standing changes.
type InventoryRow struct {
	Year       int                 `json:"year"`
	Event      EventRef            `json:"event"`
	Framework  string              `json:"framework"`
	Level      string              `json:"level"`
	GWP        string              `json:"gwp"`
	TotalTCO2e events.Decimal      `json:"total_tco2e"`
	Restates   string              `json:"restates,omitempty"`
	Source     *events.DocumentRef `json:"source,omitempty"`
	// BoundaryType is the event's boundary_type as written ("" means community).
	BoundaryType string      `json:"boundary_type,omitempty"`
	Boundary     string      `json:"boundary,omitempty"`
	Lines        int         `json:"lines"`
	Breakdown    *Breakdown  `json:"breakdown,omitempty"`
	Retracted    *Retraction `json:"retracted,omitempty"`
	Current      bool        `json:"current"`
	RestatedBy   []Ref       `json:"restated_by,omitempty"`

	// raw is the row as stored, when the read path did not decode it: MarshalJSON
	// writes it as is.
	raw []byte
	// lines, when set (and Breakdown nil), are the inventory's lines: the row's
	// breakdown is written from them (appendBreakdown) without building Breakdown.
	lines []events.InventoryLine
}

// MarshalJSON implements json.Marshaler: the row's fields, or its stored bytes.
func (r *InventoryRow) MarshalJSON() ([]byte, error) { return r.appendJSON(nil), nil }

// Breakdown sums an inventory's lines by GPC sector, scope and gas (sectors from
// events.GPCSector, scopes from events.GPCScope), and by all three at once. Only
// lines with a figure count; lines with a notation key are listed apart.
type Breakdown struct {
	BySector  []SectorAmount `json:"by_sector"`
	ByScope   []ScopeAmount  `json:"by_scope"`
	ByGas     []GasAmount    `json:"by_gas"`
	Cells     []Cell         `json:"cells"`
	Notations []NotationLine `json:"notation_keys,omitempty"`
}

// SectorAmount is a sector's sum.
type SectorAmount struct {
	Sector string `json:"sector"`
	TCO2e  Number `json:"tco2e"`
	Lines  int    `json:"lines"`
}

// ScopeAmount is a scope's sum.
type ScopeAmount struct {
	Scope int    `json:"scope"`
	TCO2e Number `json:"tco2e"`
	Lines int    `json:"lines"`
}

// GasAmount is a gas's sum ("CO2e" for aggregated lines).
type GasAmount struct {
	Gas   string `json:"gas"`
	TCO2e Number `json:"tco2e"`
	Lines int    `json:"lines"`
}

// Cell is the sum of one sector, scope and gas.
type Cell struct {
	Sector string `json:"sector"`
	Scope  int    `json:"scope"`
	Gas    string `json:"gas"`
	TCO2e  Number `json:"tco2e"`
	Lines  int    `json:"lines"`
}

// NotationLine is an inventory line reported with a notation key (NO, IE, NE, C).
type NotationLine struct {
	GPCRef      string `json:"gpc_ref"`
	Gas         string `json:"gas"`
	Notation    string `json:"notation"`
	Explanation string `json:"explanation"`
}

// PlanVersionRow is one published version of a plan.
type PlanVersionRow struct {
	PlanID      string              `json:"plan_id"`
	Version     int                 `json:"version"`
	Event       EventRef            `json:"event"`
	Title       string              `json:"title"`
	Adopted     string              `json:"adopted"`
	HorizonYear int                 `json:"horizon_year"`
	Document    *events.DocumentRef `json:"document,omitempty"`
	Actions     []events.PlanAction `json:"actions"`
	Retracted   *Retraction         `json:"retracted,omitempty"`
}

// PartnershipRow is one partnership.recorded event, stored under every partner.
type PartnershipRow struct {
	PartnershipID string              `json:"partnership_id"`
	Submitter     string              `json:"submitter"`
	Event         EventRef            `json:"event"`
	Partners      []string            `json:"partners"`
	Instrument    string              `json:"instrument"`
	Topics        []string            `json:"topics"`
	Signed        string              `json:"signed"`
	Description   string              `json:"description,omitempty"`
	Document      *events.DocumentRef `json:"document,omitempty"`
	Retracted     *Retraction         `json:"retracted,omitempty"`
}

// AttestationRow is one attestation.issued event, stored under its subject event,
// its verifier and the subject's party.
type AttestationRow struct {
	Verifier       string          `json:"verifier"`
	Event          EventRef        `json:"event"`
	Subject        AttestedEvent   `json:"subject"`
	Standard       string          `json:"standard"`
	Assurance      string          `json:"assurance"`
	MaterialityPct *events.Decimal `json:"materiality_pct,omitempty"`
	Opinion        string          `json:"opinion"`
	Summary        string          `json:"summary,omitempty"`
	Retracted      *Retraction     `json:"retracted,omitempty"`
	// SubjectRetracted is set when the attested event was retracted later.
	SubjectRetracted *Retraction `json:"subject_retracted,omitempty"`
}

// AttestedEvent is the subject of an attestation.
type AttestedEvent struct {
	EventID string `json:"event_id"`
	Hash    string `json:"hash"`
	Party   string `json:"party"`
	Type    string `json:"type"`
	Index   uint64 `json:"index"`
}

// RejectedRow records an entry that broke a replay rule; it changed no other row.
type RejectedRow struct {
	Index  uint64 `json:"index"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
	ID     string `json:"id,omitempty"`
	Party  string `json:"party,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
}

// Summary is what the parties list and the network view need of one party: the
// evidence of its four commitments and which target is its main one (its progress is
// the target's progress row). It is rewritten whenever one of them changes.
type Summary struct {
	ID      string            `json:"id"`
	Kind    string            `json:"kind"`
	Names   map[string]string `json:"names"`
	Country string            `json:"country,omitempty"`
	Level   string            `json:"level,omitempty"`
	Parent  string            `json:"parent,omitempty"`
	// ActiveTargets are the current revisions of the targets set and not withdrawn.
	ActiveTargets []TargetRef `json:"active_targets"`
	// LatestInventory is the current inventory of the most recent year.
	LatestInventory *InventoryRef `json:"latest_inventory"`
	// Plans are the plans' current versions.
	Plans []PlanRef `json:"plans"`
	// Partnerships are the party's partnerships that were not retracted.
	Partnerships []PartnershipRef `json:"partnerships"`
	// MainTargetID is the main target (see docs/PROJECTIONS.md); "" without an
	// active target.
	MainTargetID string `json:"main_target_id,omitempty"`
}

// TargetRef is an active target's current revision.
type TargetRef struct {
	TargetID string `json:"target_id"`
	Type     string `json:"type"`
	EndYear  int    `json:"end_year,omitempty"`
	Ref
}

// InventoryRef is a current inventory.
type InventoryRef struct {
	Year       int            `json:"year"`
	TotalTCO2e events.Decimal `json:"total_tco2e"`
	GWP        string         `json:"gwp"`
	Level      string         `json:"level"`
	// BoundaryType is set (read time only) in list series for a boundary other than
	// community-wide, so that a reader never draws two boundaries as one series.
	BoundaryType string `json:"boundary_type,omitempty"`
	Ref
}

// PlanRef is a plan's current version.
type PlanRef struct {
	PlanID  string `json:"plan_id"`
	Version int    `json:"version"`
	Ref
}

// PartnershipRef is a partnership a party is in.
type PartnershipRef struct {
	PartnershipID string   `json:"partnership_id"`
	Partners      []string `json:"partners"`
	Ref
}
