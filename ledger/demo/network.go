// Package demo holds climateledger's demo network — endorsers of the U.S.-China
// Climate Leaders Declaration with their targets, inventories, plans and partnerships
// as found in public sources — and seeds it into a node through the real gate
// (ledger.Node.Submit with signed DSSE envelopes), as `climateledger serve --demo`
// does on a new data directory.
//
// The data is network.json, embedded in the binary. Every figure in it carries its
// source (and, for the figures of endorsers-and-figures.json, the quoted passage) and a
// confidence mark (V verified in the source text, K general knowledge consistent with
// the sources, derived from V figures); nothing uncertain (U) is recorded. README.md in
// this directory counts the events by party, type and confidence, and lists what was
// left out.
//
// Each demo party gets its own Ed25519 key, generated on first seeding and kept in a
// key directory (DATA/demo-keys/<party>.key, the format of events.MarshalKeyFile, mode
// 0600), so that a user can submit events as that party.
package demo

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/climateledger/climateledger/events"
)

//go:embed network.json
var networkJSON []byte

// VerifierID is the party id of the demo's fictitious verifier.
const VerifierID = "demo-verifier"

// Network is the curated demo data: the parties in enrolment order, each with the
// events of its own chain, then the partnerships and attestations that go on the
// chains of their submitters.
type Network struct {
	// About says what the data is and where it comes from.
	About string `json:"about"`
	// CompiledFrom names the source data set.
	CompiledFrom string `json:"compiled_from"`
	// Parties are enrolled in this order.
	Parties []*Party `json:"parties"`
	// Partnerships go on their submitters' chains after the parties' own events.
	Partnerships []*Partnership `json:"partnerships"`
	// Attestations go on their verifiers' chains last.
	Attestations []*Attestation `json:"attestations"`
	byID         map[string]*Party
}

// Party is one demo party: its enrolment (without keys, which are generated when
// seeding) and the events of its chain after the enrolment, in order.
type Party struct {
	// ID is the party id: lower-cased ISO 3166-2 or UN/LOCODE without its space.
	ID string `json:"id"`
	// Confidence says how sure the party's identity data is (names, codes,
	// endorsements).
	Confidence string `json:"confidence"`
	// Data names the row of the source data set the party comes from.
	Data string `json:"data,omitempty"`
	// Sources back the party's endorsement and names.
	Sources []string `json:"sources,omitempty"`
	// Enrolment is the party.enrolled body without keys.
	Enrolment events.EnrolledBody `json:"enrolment"`
	// Events follow the enrolment on the party's chain, in order.
	Events []*Event `json:"events"`
}

// Event is one event of a party's chain: its type, the body as it goes on the wire,
// and the confidence of its figures.
type Event struct {
	// Type is the event type: target.set, inventory.reported, plan.published, ….
	Type string `json:"type"`
	// Confidence is the source data's mark: V, K or derived, with details.
	Confidence string `json:"confidence"`
	// Note is a curator's remark (how the source was mapped); it is not in the event.
	Note string `json:"note,omitempty"`
	// Data names the rows of the source data sets the event comes from
	// ("figures[23]" is a row of endorsers-and-figures.json).
	Data string `json:"data,omitempty"`
	// RestatesYear makes an inventory.reported a restatement: seeding fills the body's
	// restates with the id of the party's earlier inventory of that year (and the
	// same boundary) in this file.
	RestatesYear int `json:"restates_year,omitempty"`
	// Body is the event body as it goes on the wire.
	Body json.RawMessage `json:"body"`
	body events.Body
}

// Partnership is a partnership.recorded event on the submitter's chain, co-signed by
// every partner.
type Partnership struct {
	// Submitter is the partner whose chain holds the event.
	Submitter string `json:"submitter"`
	// Confidence is the source data's mark.
	Confidence string `json:"confidence"`
	// Data names the source data set the partnership comes from.
	Data string `json:"data,omitempty"`
	// Body is the partnership.recorded body.
	Body json.RawMessage `json:"body"`
	body *events.PartnershipBody
}

// Attestation is an attestation.issued event by a verifier about the inventory of
// another party for one year; the subject's event id and hash are filled in when
// seeding.
type Attestation struct {
	// Verifier is the verifier party that issues it.
	Verifier string `json:"verifier"`
	// Subject names the attested event: the subject party's one event of this type
	// and year.
	Subject struct {
		Party string `json:"party"`
		Type  string `json:"type"`
		Year  int    `json:"year"`
	} `json:"subject"`
	// Confidence says what the attestation is (the demo's is fictitious).
	Confidence string `json:"confidence"`
	// Body is the attestation.issued body without its subject.
	Body json.RawMessage `json:"body"`
	body events.AttestationBody
}

var loadOnce = sync.OnceValues(func() (*Network, error) { return Parse(networkJSON) })

// Load returns the embedded demo network, parsed and checked once (see Parse). The
// result is shared: callers must not modify it. Safe for concurrent use.
func Load() (*Network, error) { return loadOnce() }

// Parse decodes and checks demo network data: unknown fields are rejected, every body
// must be valid for its event type (events.DecodeBody), every party id well-formed and
// distinct, every figure marked with a confidence that is not U, every target,
// inventory, plan, partnership, endorsement and participation must name its source
// document, a restatement must name an earlier inventory of its party, partners and
// subjects must be demo parties, and the verifier must be VerifierID's kind verifier.
func Parse(b []byte) (*Network, error) {
	var n Network
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		return nil, fmt.Errorf("demo network: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	confident := func(what, c string) {
		switch {
		case strings.TrimSpace(c) == "":
			bad("%s: confidence required", what)
		case strings.HasPrefix(c, "U"):
			bad("%s: confidence %q: uncertain figures are not used", what, c)
		}
	}
	n.byID = map[string]*Party{}
	for i, p := range n.Parties {
		what := fmt.Sprintf("parties[%d] %s", i, p.ID)
		if !events.ValidPartyID(p.ID) {
			bad("%s: not a party id", what)
		}
		if n.byID[p.ID] != nil {
			bad("%s: duplicate party id", what)
		}
		n.byID[p.ID] = p
		confident(what, p.Confidence)
		if p.Enrolment.Keys != nil {
			bad("%s: enrolment keys are generated when seeding; omit them", what)
		}
		for j, e := range p.Enrolment.Endorsements {
			if e.Source == nil {
				bad("%s: endorsements[%d]: no source", what, j)
			}
		}
		for j, e := range p.Enrolment.Participations {
			if e.Source == nil {
				bad("%s: participations[%d]: no source", what, j)
			}
		}
		for j, e := range p.Events {
			ewhat := fmt.Sprintf("%s events[%d] %s", what, j, e.Type)
			confident(ewhat, e.Confidence)
			switch e.Type {
			case events.TypePartyEnrolled, events.TypePartnership, events.TypeAttestation, events.TypeGenesis:
				bad("%s: not allowed among a party's own events", ewhat)
				continue
			}
			body, err := events.DecodeBody(e.Type, e.Body)
			if err != nil {
				bad("%s: %w", ewhat, err)
				continue
			}
			e.body = body
			if SourceOf(body) == nil {
				bad("%s: no source document", ewhat)
			}
			if e.RestatesYear != 0 {
				if _, err := p.restated(j); err != nil {
					bad("%s: %w", ewhat, err)
				}
			}
		}
	}
	for i, ps := range n.Partnerships {
		what := fmt.Sprintf("partnerships[%d]", i)
		confident(what, ps.Confidence)
		body, err := events.DecodeBody(events.TypePartnership, ps.Body)
		if err != nil {
			bad("%s: %w", what, err)
			continue
		}
		ps.body = body.(*events.PartnershipBody)
		if ps.body.Document == nil {
			bad("%s: no source document", what)
		}
		found := false
		for _, id := range ps.body.Partners {
			found = found || id == ps.Submitter
			if p := n.byID[id]; p == nil || p.Enrolment.Kind != events.KindJurisdiction {
				bad("%s: partner %s is not a demo jurisdiction", what, id)
			}
		}
		if !found {
			bad("%s: submitter %s is not among the partners", what, ps.Submitter)
		}
	}
	for i, a := range n.Attestations {
		what := fmt.Sprintf("attestations[%d]", i)
		confident(what, a.Confidence)
		if v := n.byID[a.Verifier]; v == nil || v.Enrolment.Kind != events.KindVerifier {
			bad("%s: %s is not a demo verifier", what, a.Verifier)
		}
		if _, err := a.subjectEvent(&n); err != nil {
			bad("%s: %w", what, err)
		}
		d := json.NewDecoder(bytes.NewReader(a.Body))
		d.DisallowUnknownFields()
		if err := d.Decode(&a.body); err != nil {
			bad("%s: body: %w", what, err)
		}
	}
	if v := n.byID[VerifierID]; v == nil || v.Enrolment.Kind != events.KindVerifier {
		bad("party %s: missing or not a verifier", VerifierID)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("demo network: %w", err)
	}
	return &n, nil
}

// SourceOf returns the document a content body names as its source: source for a
// target, an inventory or an endorsement, document for a plan or a partnership; nil
// when it names none, or for other types.
func SourceOf(b events.Body) *events.DocumentRef {
	switch b := b.(type) {
	case *events.TargetSetBody:
		return b.Source
	case *events.InventoryBody:
		return b.Source
	case *events.EndorsementBody:
		return b.Source
	case *events.PlanBody:
		return b.Document
	case *events.PartnershipBody:
		return b.Document
	}
	return nil
}

// restated returns the position (in p.Events) of the inventory that Events[at]
// restates: the last earlier inventory.reported of year RestatesYear with the same
// boundary.
func (p *Party) restated(at int) (int, error) {
	e := p.Events[at]
	b, ok := e.body.(*events.InventoryBody)
	if !ok {
		return 0, fmt.Errorf("restates_year on a %s", e.Type)
	}
	if b.Restates != "" {
		return 0, errors.New("restates is filled in when seeding: give restates_year instead")
	}
	if b.Year != e.RestatesYear {
		return 0, fmt.Errorf("restates_year %d is not the inventory's year %d", e.RestatesYear, b.Year)
	}
	for i := at - 1; i >= 0; i-- {
		if o, ok := p.Events[i].body.(*events.InventoryBody); ok && o.Year == b.Year &&
			events.EffectiveBoundary(o.BoundaryType) == events.EffectiveBoundary(b.BoundaryType) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("no earlier inventory of %d to restate", b.Year)
}

// subjectEvent returns the position (in the subject party's Events) of the
// attestation's subject: the party's one event of the given type and year.
func (a *Attestation) subjectEvent(n *Network) (int, error) {
	p := n.byID[a.Subject.Party]
	if p == nil {
		return 0, fmt.Errorf("subject party %s is not a demo party", a.Subject.Party)
	}
	if a.Subject.Type != events.TypeInventoryReported {
		return 0, fmt.Errorf("subject type %s: only inventories are attested in the demo", a.Subject.Type)
	}
	at := -1
	for i, e := range p.Events {
		var y struct {
			Year         int    `json:"year"`
			BoundaryType string `json:"boundary_type"`
		}
		if e.Type != a.Subject.Type || json.Unmarshal(e.Body, &y) != nil || y.Year != a.Subject.Year ||
			events.EffectiveBoundary(y.BoundaryType) != events.BoundaryCommunity || e.RestatesYear != 0 {
			continue
		}
		if at >= 0 {
			return 0, fmt.Errorf("subject: %s has two %s events for %d", p.ID, a.Subject.Type, a.Subject.Year)
		}
		at = i
	}
	if at < 0 {
		return 0, fmt.Errorf("subject: %s has no %s event for %d", p.ID, a.Subject.Type, a.Subject.Year)
	}
	return at, nil
}

// Party returns the demo party with this id, or nil.
func (n *Network) Party(id string) *Party { return n.byID[id] }

// Counts returns the number of demo events of each type, enrolments included: the
// events a complete seeding puts in the log (the genesis is not counted).
func (n *Network) Counts() map[string]int {
	c := map[string]int{events.TypePartyEnrolled: len(n.Parties)}
	for _, p := range n.Parties {
		for _, e := range p.Events {
			c[e.Type]++
		}
	}
	c[events.TypePartnership] += len(n.Partnerships)
	c[events.TypeAttestation] += len(n.Attestations)
	return c
}

// EventCount returns the number of events a complete seeding puts in the log.
func (n *Network) EventCount() int {
	total := 0
	for _, v := range n.Counts() {
		total += v
	}
	return total
}

// PartyIDs returns the demo party ids in enrolment order.
func (n *Network) PartyIDs() []string {
	ids := make([]string, 0, len(n.Parties))
	for _, p := range n.Parties {
		ids = append(ids, p.ID)
	}
	return ids
}

// Mark returns the confidence mark a confidence text starts with: "V", "K", "derived",
// "fictitious", …: its first word, without punctuation.
func Mark(confidence string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(confidence), " ")
	return strings.TrimRight(w, ":;,")
}

// ProvenanceTable returns the Markdown table of README.md that counts the demo's
// events by party (in enrolment order), type and confidence mark (Mark); the
// enrolment counts with the party's own mark, partnerships with their submitter,
// attestations with their verifier.
func ProvenanceTable(n *Network) string {
	types := []string{events.TypePartyEnrolled, events.TypeTargetSet, events.TypeInventoryReported, events.TypePlanPublished,
		events.TypePartnership, events.TypeAttestation}
	marks := []string{}
	type row struct {
		id, group string
		byType    map[string]int
		byMark    map[string]int
	}
	rows := make([]*row, 0, len(n.Parties)+1)
	byID := map[string]*row{}
	add := func(r *row, typ, conf string) {
		r.byType[typ]++
		m := Mark(conf)
		r.byMark[m]++
		if !slices.Contains(marks, m) {
			marks = append(marks, m)
		}
	}
	for _, p := range n.Parties {
		group := "verifier"
		switch {
		case p.Enrolment.Kind != events.KindJurisdiction:
		case len(p.Enrolment.Endorsements) > 0:
			var s []string
			for _, e := range p.Enrolment.Endorsements {
				s = append(s, e.Summit)
			}
			group = "endorsed " + strings.Join(s, ", ")
		case len(p.Enrolment.Participations) > 0:
			var s []string
			for _, e := range p.Enrolment.Participations {
				s = append(s, e.Summit)
			}
			group = "participant " + strings.Join(s, ", ")
		default:
			group = "no endorsement"
		}
		r := &row{id: p.ID, group: group, byType: map[string]int{}, byMark: map[string]int{}}
		rows, byID[p.ID] = append(rows, r), r
		add(r, events.TypePartyEnrolled, p.Confidence)
		for _, e := range p.Events {
			add(r, e.Type, e.Confidence)
		}
	}
	for _, ps := range n.Partnerships {
		add(byID[ps.Submitter], events.TypePartnership, ps.Confidence)
	}
	for _, a := range n.Attestations {
		add(byID[a.Verifier], events.TypeAttestation, a.Confidence)
	}
	total := &row{id: "**total**", byType: map[string]int{}, byMark: map[string]int{}}
	for _, r := range rows {
		for k, v := range r.byType {
			total.byType[k] += v
		}
		for k, v := range r.byMark {
			total.byMark[k] += v
		}
	}
	var b strings.Builder
	b.WriteString("| party | standing | enrolled | targets | inventories | plans | partnerships | attestations | events |")
	for _, m := range marks {
		fmt.Fprintf(&b, " %s |", m)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---:|", len(types)+1+len(marks)) + "\n")
	for _, r := range append(rows, total) {
		id := r.id
		if r != total {
			id = "`" + id + "`"
		}
		fmt.Fprintf(&b, "| %s | %s |", id, r.group)
		sum := 0
		for _, t := range types {
			fmt.Fprintf(&b, " %d |", r.byType[t])
			sum += r.byType[t]
		}
		fmt.Fprintf(&b, " %d |", sum)
		for _, m := range marks {
			fmt.Fprintf(&b, " %d |", r.byMark[m])
		}
		b.WriteString("\n")
	}
	return b.String()
}
