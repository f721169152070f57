package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
)

// The read side: every answer is built from one Pebble snapshot, and says which
// index (entries applied) it reflects.

// PartyDetail is the answer of GET /v1/parties/{id}.
type PartyDetail struct {
	// Index is the number of log entries applied when the views were read.
	Index        uint64           `json:"index"`
	Party        PartyRow         `json:"party"`
	Keys         []KeyView        `json:"keys"`
	Endorsements []EndorsementRow `json:"endorsements"`
	// Declaration is the jurisdiction's standing with the Declaration: endorser or
	// not, and why (jurisdictions only; declaration.go).
	Declaration *Declaration `json:"declaration,omitempty"`
	// Commitments is the Declaration's four commitments (jurisdictions only).
	Commitments  *Commitments        `json:"commitments,omitempty"`
	Targets      []TargetView        `json:"targets"`
	Inventories  []InventoryYear     `json:"inventories"`
	Plans        []PlanView          `json:"plans"`
	Partnerships []PartnershipRow    `json:"partnerships"`
	Attestations AttestationsView    `json:"attestations"`
	Links        map[string]string   `json:"links"`
	progress     map[string]Progress // active targets' progress rows
}

// KeyView is a key with whether it may sign now.
type KeyView struct {
	KeyRow
	Active bool `json:"active"`
}

// TargetView is one target: its history and, while active, its progress.
type TargetView struct {
	TargetID string `json:"target_id"`
	// State is "active", "withdrawn", or "retracted" (every event of it retracted).
	State string `json:"state"`
	// Current is the current revision: the last event not retracted.
	Current   *TargetRevisionRow  `json:"current"`
	Revisions []TargetRevisionRow `json:"revisions"`
	Progress  *Progress           `json:"progress,omitempty"`
}

// InventoryYear is every inventory reported for one year, in chain order; the one
// with Current set is the year's figure.
type InventoryYear struct {
	Year    int            `json:"year"`
	Reports []InventoryRow `json:"reports"`
}

// PlanView is a plan's versions, each with its changes from the previous version
// that was not retracted.
type PlanView struct {
	PlanID         string            `json:"plan_id"`
	CurrentVersion int               `json:"current_version,omitempty"`
	Versions       []PlanVersionView `json:"versions"`
}

// PlanVersionView is a plan version with its action changes.
type PlanVersionView struct {
	PlanVersionRow
	Changes PlanChanges `json:"changes"`
}

// PlanChanges lists the actions added, changed and removed from version From (0 for
// the first version) to this one.
type PlanChanges struct {
	From    int                 `json:"from_version"`
	Added   []events.PlanAction `json:"added"`
	Changed []ActionChange      `json:"changed"`
	Removed []events.PlanAction `json:"removed"`
}

// ActionChange is an action present in both versions with different fields.
type ActionChange struct {
	ActionID string            `json:"action_id"`
	Fields   []string          `json:"fields"`
	Before   events.PlanAction `json:"before"`
	After    events.PlanAction `json:"after"`
}

// AttestationsView lists the attestations a verifier issued and those about the
// party's events.
type AttestationsView struct {
	Issued   []AttestationRow `json:"issued"`
	Received []AttestationRow `json:"received"`
}

// Commitment is one of the four commitments: whether it is met, by which rule, and
// the events that show it.
type Commitment struct {
	Met      bool   `json:"met"`
	Rule     string `json:"rule"`
	Evidence []Ref  `json:"evidence"`
}

// Commitments are the four commitments of the Declaration.
type Commitments struct {
	Targets     Commitment `json:"targets"`
	Inventories Commitment `json:"inventories"`
	Plan        Commitment `json:"plan"`
	Partnership Commitment `json:"partnership"`
	// Met counts the commitments met (0–4).
	Met int `json:"met"`
}

// commitments evaluates a summary's four commitments; asOf is the current year.
func (v *Views) commitments(s *Summary, asOf int) *Commitments {
	c := &Commitments{
		Targets:     Commitment{Rule: "has an active target (set, not withdrawn, not retracted)", Evidence: []Ref{}},
		Inventories: Commitment{Rule: fmt.Sprintf("has a current inventory for %d or later (within %d years of %d)", asOf-v.cfg.InventoryWindow, v.cfg.InventoryWindow, asOf), Evidence: []Ref{}},
		Plan:        Commitment{Rule: "has a published climate action plan (a version not retracted)", Evidence: []Ref{}},
		Partnership: Commitment{Rule: "has a recorded partnership (not retracted)", Evidence: []Ref{}},
	}
	for _, t := range s.ActiveTargets {
		c.Targets.Evidence = append(c.Targets.Evidence, t.Ref)
	}
	if l := s.LatestInventory; l != nil && l.Year >= asOf-v.cfg.InventoryWindow {
		c.Inventories.Evidence = append(c.Inventories.Evidence, l.Ref)
	}
	for _, p := range s.Plans {
		c.Plan.Evidence = append(c.Plan.Evidence, p.Ref)
	}
	for _, p := range s.Partnerships {
		c.Partnership.Evidence = append(c.Partnership.Evidence, p.Ref)
	}
	for _, x := range []*Commitment{&c.Targets, &c.Inventories, &c.Plan, &c.Partnership} {
		x.Met = len(x.Evidence) > 0
		if x.Met {
			c.Met++
		}
	}
	return c
}

// readApplied reads p/applied: the entries applied (0 before the first).
func readApplied(r pebble.Reader) (uint64, error) {
	v, closer, err := r.Get([]byte(keyApplied))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes", ErrCorrupt, keyApplied, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// getRow reads one row; false when absent.
func getRow(r pebble.Reader, k key, row any) (bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if err := json.Unmarshal(v, row); err != nil {
		return false, fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
	}
	return true, nil
}

// scanRows decodes every row under prefix into a T and calls fn.
func scanRows[T any](r pebble.Reader, prefix key, fn func(k []byte, row *T)) error {
	return scan(r, prefix, func(k, v []byte) error {
		row := new(T)
		if err := json.Unmarshal(v, row); err != nil {
			return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
		}
		fn(k, row)
		return nil
	})
}

// readParty reads a party's detail; ErrNotFound when it has no chain. With full
// false, inventory rows are decoded only as far as needed to place them and are
// written back from their stored bytes (the same JSON, faster).
func (v *Views) readParty(r pebble.Reader, id string, asOf int, full bool) (*PartyDetail, error) {
	d := &PartyDetail{Keys: []KeyView{}, Endorsements: []EndorsementRow{}, Targets: []TargetView{}, Inventories: []InventoryYear{},
		Plans: []PlanView{}, Partnerships: []PartnershipRow{}, Attestations: AttestationsView{Issued: []AttestationRow{}, Received: []AttestationRow{}},
		progress: map[string]Progress{}}
	var err error
	if d.Index, err = readApplied(r); err != nil {
		return nil, err
	}
	ok, err := getRow(r, partyKey(id), &d.Party)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	d.Links = map[string]string{"events": "/v1/parties/" + id + "/events", "head": "/v1/parties/" + id + "/head", "subscribe": "/v1/subscribe?party=" + id}
	var s Summary
	if ok, err := getRow(r, summaryKey(id), &s); err != nil {
		return nil, err
	} else if ok && s.Kind == events.KindJurisdiction {
		d.Commitments = v.commitments(&s, asOf)
	}
	errs := []error{
		scanRows(r, prefixOf(pfxKey, id), func(_ []byte, k *KeyRow) {
			d.Keys = append(d.Keys, KeyView{KeyRow: *k, Active: k.Revoked == nil})
		}),
		scanRows(r, prefixOf(pfxEndorsement, id), func(_ []byte, e *EndorsementRow) { d.Endorsements = append(d.Endorsements, *e) }),
		scan(r, prefixOf(pfxProgress, id), func(k, v []byte) error {
			target := string(k[len(prefixOf(pfxProgress, id)):])
			if !full {
				d.progress[target] = Progress{raw: bytes.Clone(v)}
				return nil
			}
			var p Progress
			if err := json.Unmarshal(v, &p); err != nil {
				return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
			}
			d.progress[target] = p
			return nil
		}),
	}
	var revs []TargetRevisionRow
	errs = append(errs, scanRows(r, prefixOf(pfxTarget, id), func(_ []byte, t *TargetRevisionRow) { revs = append(revs, *t) }))
	invPrefix := prefixOf(pfxInventory, id)
	if full {
		errs = append(errs, scanRows(r, invPrefix, func(_ []byte, i *InventoryRow) { addInventory(d, i.Year, *i) }))
	} else {
		// Rows are passed through as stored: the year is in the key.
		errs = append(errs, scan(r, invPrefix, func(k, v []byte) error {
			if len(k) != len(invPrefix)+10 {
				return fmt.Errorf("%w: inventory key %q", ErrCorrupt, k)
			}
			addInventory(d, int(binary.BigEndian.Uint16(k[len(invPrefix):])), InventoryRow{raw: bytes.Clone(v)})
			return nil
		}))
	}
	var plans []PlanVersionRow
	errs = append(errs, scanRows(r, prefixOf(pfxPlan, id), func(_ []byte, p *PlanVersionRow) { plans = append(plans, *p) }))
	errs = append(errs,
		scanRows(r, prefixOf(pfxPartnership, id), func(_ []byte, p *PartnershipRow) { d.Partnerships = append(d.Partnerships, *p) }),
		scanRows(r, prefixOf(pfxAttVerifier, id), func(_ []byte, a *AttestationRow) { d.Attestations.Issued = append(d.Attestations.Issued, *a) }),
		scanRows(r, prefixOf(pfxAttParty, id), func(_ []byte, a *AttestationRow) { d.Attestations.Received = append(d.Attestations.Received, *a) }),
	)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if d.Party.Kind == events.KindJurisdiction {
		d.Declaration = declarationOf(&d.Party, d.Endorsements)
	}
	d.Targets = targetViews(revs, d.progress)
	d.Plans = planViews(plans)
	return d, nil
}

// targetViews groups target rows (in key order: target id, then seq).
func targetViews(revs []TargetRevisionRow, progress map[string]Progress) []TargetView {
	out := []TargetView{}
	for i := 0; i < len(revs); {
		j := i
		for j < len(revs) && revs[j].TargetID == revs[i].TargetID {
			j++
		}
		tv := TargetView{TargetID: revs[i].TargetID, Revisions: revs[i:j], State: "retracted"}
		for k := j - 1; k >= i; k-- {
			if revs[k].Retracted == nil {
				tv.Current = &revs[k]
				tv.State = "active"
				if revs[k].Action == actionWithdrawn {
					tv.State = "withdrawn"
				}
				break
			}
		}
		if p, ok := progress[tv.TargetID]; ok && tv.State == "active" {
			tv.Progress = &p
		}
		out = append(out, tv)
		i = j
	}
	return out
}

// addInventory adds a row to its year (rows come in key order: year, then seq).
func addInventory(d *PartyDetail, year int, row InventoryRow) {
	if n := len(d.Inventories); n == 0 || d.Inventories[n-1].Year != year {
		d.Inventories = append(d.Inventories, InventoryYear{Year: year})
	}
	y := &d.Inventories[len(d.Inventories)-1]
	y.Reports = append(y.Reports, row)
}

// planViews groups plan rows (key order: plan id, then version) and computes each
// version's changes from the previous version that was not retracted.
func planViews(rows []PlanVersionRow) []PlanView {
	out := []PlanView{}
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].PlanID == rows[i].PlanID {
			j++
		}
		pv := PlanView{PlanID: rows[i].PlanID, Versions: make([]PlanVersionView, 0, j-i)}
		var prev *PlanVersionRow
		for k := i; k < j; k++ {
			pv.Versions = append(pv.Versions, PlanVersionView{PlanVersionRow: rows[k], Changes: diffPlan(prev, &rows[k])})
			if rows[k].Retracted == nil {
				prev = &rows[k]
				pv.CurrentVersion = rows[k].Version
			}
		}
		out = append(out, pv)
		i = j
	}
	return out
}

// diffPlan lists the actions added, changed and removed from prev (nil: none) to
// cur. Added and changed follow cur's order, removed prev's.
func diffPlan(prev, cur *PlanVersionRow) PlanChanges {
	c := PlanChanges{Added: []events.PlanAction{}, Changed: []ActionChange{}, Removed: []events.PlanAction{}}
	var before []events.PlanAction
	if prev != nil {
		c.From = prev.Version
		before = prev.Actions
	}
	find := func(list []events.PlanAction, id string) *events.PlanAction {
		for i := range list {
			if list[i].ActionID == id {
				return &list[i]
			}
		}
		return nil
	}
	for _, a := range cur.Actions {
		b := find(before, a.ActionID)
		if b == nil {
			c.Added = append(c.Added, a)
			continue
		}
		if fields := actionDiff(*b, a); len(fields) > 0 {
			c.Changed = append(c.Changed, ActionChange{ActionID: a.ActionID, Fields: fields, Before: *b, After: a})
		}
	}
	for _, b := range before {
		if find(cur.Actions, b.ActionID) == nil {
			c.Removed = append(c.Removed, b)
		}
	}
	return c
}

// actionDiff names the fields (JSON names) that differ between two versions of an
// action.
func actionDiff(a, b events.PlanAction) []string {
	var f []string
	eqDec := func(x, y *events.Decimal) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	if a.Title != b.Title {
		f = append(f, "title")
	}
	if a.Sector != b.Sector {
		f = append(f, "sector")
	}
	if a.Kind != b.Kind {
		f = append(f, "kind")
	}
	if a.Status != b.Status {
		f = append(f, "status")
	}
	if !eqDec(a.ExpectedReductionTCO2ePerYear, b.ExpectedReductionTCO2ePerYear) {
		f = append(f, "expected_reduction_tco2e_per_year")
	}
	if !slices.Equal(a.Hazards, b.Hazards) {
		f = append(f, "hazards")
	}
	if (a.Cost == nil) != (b.Cost == nil) || (a.Cost != nil && (!eqDec(a.Cost.Amount, b.Cost.Amount) || a.Cost.Currency != b.Cost.Currency)) {
		f = append(f, "cost")
	}
	return f
}

// EventsPage is the answer of GET /v1/parties/{id}/events.
type EventsPage struct {
	Party  string     `json:"party"`
	Index  uint64     `json:"index"`
	Events []EventRow `json:"events"`
	// NextAfter is the after= of the next page; absent on the last page.
	NextAfter *uint64 `json:"next_after,omitempty"`
}

// readEvents reads up to limit events of a party's chain after seq after.
func readEvents(r pebble.Reader, party string, after uint64, limit int) (*EventsPage, error) {
	p := &EventsPage{Party: party, Events: []EventRow{}}
	var err error
	if p.Index, err = readApplied(r); err != nil {
		return nil, err
	}
	var row PartyRow
	if ok, err := getRow(r, partyKey(party), &row); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrNotFound
	}
	if after == ^uint64(0) {
		return p, nil
	}
	prefix := prefixOf(pfxEvent, party)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: eventKey(party, after+1), UpperBound: upperBound(prefix)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		if len(p.Events) == limit {
			next := p.Events[len(p.Events)-1].Seq
			p.NextAfter = &next
			break
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		var e EventRow
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("%w: event row of %s: %v", ErrCorrupt, party, err)
		}
		p.Events = append(p.Events, e)
	}
	return p, it.Error()
}

// PartyList is the answer of GET /v1/parties.
type PartyList struct {
	Index uint64 `json:"index"`
	// AsOfYear and InventoryWindowYears define the inventories commitment.
	AsOfYear             int             `json:"as_of_year"`
	InventoryWindowYears int             `json:"inventory_window_years"`
	Count                int             `json:"count"`
	Parties              []PartyListItem `json:"parties"`
}

// PartyListItem is one party of the list: who it is, its four commitments and its
// main target's progress.
type PartyListItem struct {
	ID              string            `json:"id"`
	Kind            string            `json:"kind"`
	Names           map[string]string `json:"names"`
	Country         string            `json:"country,omitempty"`
	Level           string            `json:"level,omitempty"`
	Parent          string            `json:"parent,omitempty"`
	Declaration     *Declaration      `json:"declaration,omitempty"`
	Commitments     *Commitments      `json:"commitments,omitempty"`
	LatestInventory *InventoryRef     `json:"latest_inventory"`
	MainTarget      *Progress         `json:"main_target"`
	// Targets is the progress of every active target, in target id order (the main
	// target among them), so that a reader can pick the one that matters in its own
	// calendar.
	Targets []*Progress `json:"targets"`
	// Series is the current inventory of each year, in year order.
	Series []InventoryRef `json:"series"`
	// Endorsements are the endorsements of the Declaration not retracted.
	Endorsements []EndorsementRow `json:"endorsements"`
	// Attestations are the attestations about the party's events (as in
	// GET /v1/parties/{id}), retracted ones included and marked.
	Attestations []AttestationRow `json:"attestations"`
}

// PartyFilter selects parties of the list; empty fields match every party.
type PartyFilter struct {
	Country, Level, Kind string
	// Status is the main target's progress status, or "none" for parties without
	// an active target.
	Status string
}

func (f PartyFilter) match(s *Summary, status string) bool {
	return (f.Country == "" || s.Country == f.Country) && (f.Level == "" || s.Level == f.Level) &&
		(f.Kind == "" || s.Kind == f.Kind) && (f.Status == "" || f.Status == status)
}

// summaryWithMain is a summary row with its main target's progress row.
type summaryWithMain struct {
	Summary
	main *Progress
}

// status is the main target's status, or "none".
func (s *summaryWithMain) status() string {
	if s.main == nil {
		return "none"
	}
	return s.main.Status
}

// readSummaries reads every summary row, in party id order, with the main target's
// progress.
func readSummaries(r pebble.Reader) ([]summaryWithMain, error) {
	var out []summaryWithMain
	err := scanRows(r, newKey(pfxSummary), func(_ []byte, s *Summary) { out = append(out, summaryWithMain{Summary: *s}) })
	if err != nil {
		return nil, err
	}
	for i := range out {
		s := &out[i]
		if s.MainTargetID == "" {
			continue
		}
		var p Progress
		if ok, err := getRow(r, progressKey(s.ID, s.MainTargetID), &p); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("%w: no progress row for the main target %s of %s", ErrCorrupt, s.MainTargetID, s.ID)
		}
		s.main = &p
	}
	return out, nil
}

func (v *Views) readList(r pebble.Reader, f PartyFilter, asOf int) (*PartyList, error) {
	l := &PartyList{AsOfYear: asOf, InventoryWindowYears: v.cfg.InventoryWindow, Parties: []PartyListItem{}}
	var err error
	if l.Index, err = readApplied(r); err != nil {
		return nil, err
	}
	sums, err := readSummaries(r)
	if err != nil {
		return nil, err
	}
	jurisdictions, err := readJurisdictions(r)
	if err != nil {
		return nil, err
	}
	for i := range sums {
		s := &sums[i]
		if !f.match(&s.Summary, s.status()) {
			continue
		}
		it := PartyListItem{ID: s.ID, Kind: s.Kind, Names: s.Names, Country: s.Country, Level: s.Level, Parent: s.Parent,
			LatestInventory: s.LatestInventory, MainTarget: s.main}
		if s.Kind == events.KindJurisdiction {
			it.Commitments = v.commitments(&s.Summary, asOf)
		}
		if err := readListDetails(r, &it); err != nil {
			return nil, err
		}
		if row := jurisdictions[s.ID]; row != nil {
			// The item's endorsements are those not retracted: all that a
			// Declaration counts.
			it.Declaration = declarationOf(row, it.Endorsements)
		}
		l.Parties = append(l.Parties, it)
	}
	l.Count = len(l.Parties)
	return l, nil
}

// readListDetails fills a list item's targets, series, endorsements and
// attestations from the party's rows.
func readListDetails(r pebble.Reader, it *PartyListItem) error {
	it.Targets, it.Series, it.Endorsements, it.Attestations = []*Progress{}, []InventoryRef{}, []EndorsementRow{}, []AttestationRow{}
	type invHead struct {
		Year       int            `json:"year"`
		Event      EventRef       `json:"event"`
		GWP        string         `json:"gwp"`
		Level      string         `json:"level"`
		TotalTCO2e events.Decimal `json:"total_tco2e"`
		Current    bool           `json:"current"`
		Boundary   string         `json:"boundary_type"`
	}
	return errors.Join(
		scan(r, prefixOf(pfxProgress, it.ID), func(_, v []byte) error {
			it.Targets = append(it.Targets, &Progress{raw: bytes.Clone(v)})
			return nil
		}),
		scanRows(r, prefixOf(pfxInventory, it.ID), func(_ []byte, h *invHead) {
			if h.Current {
				it.Series = append(it.Series, InventoryRef{Year: h.Year, TotalTCO2e: h.TotalTCO2e, GWP: h.GWP, Level: h.Level, BoundaryType: h.Boundary, Ref: h.Event.Ref()})
			}
		}),
		scanRows(r, prefixOf(pfxEndorsement, it.ID), func(_ []byte, e *EndorsementRow) {
			if e.Retracted == nil {
				it.Endorsements = append(it.Endorsements, *e)
			}
		}),
		scanRows(r, prefixOf(pfxAttParty, it.ID), func(_ []byte, a *AttestationRow) { it.Attestations = append(it.Attestations, *a) }),
	)
}

// Network is the answer of GET /v1/network.
type Network struct {
	Index                uint64 `json:"index"`
	AsOfYear             int    `json:"as_of_year"`
	InventoryWindowYears int    `json:"inventory_window_years"`
	// Jurisdictions counts the enrolled jurisdictions.
	Jurisdictions int             `json:"jurisdictions"`
	Countries     []CountryTotals `json:"countries"`
	// Commitments counts the jurisdictions that meet each commitment, and all four.
	Commitments NetworkCommitments `json:"commitments"`
	// Progress counts the jurisdictions by their main target's status ("none": no
	// active target).
	Progress []StatusCount `json:"progress"`
	// Declaration counts the endorsers of the Declaration and the jurisdictions of
	// each group (declaration.go): participants and jurisdictions enrolled without an
	// endorsement are not endorsers.
	Declaration NetworkDeclaration `json:"declaration"`
}

// CountryTotals sums the latest inventories of one country's jurisdictions.
type CountryTotals struct {
	Country       string `json:"country"`
	Jurisdictions int    `json:"jurisdictions"`
	// Reporting counts the jurisdictions with at least one current inventory.
	Reporting int `json:"reporting"`
	// TotalTCO2e is the sum of each reporting jurisdiction's latest inventory.
	TotalTCO2e Number `json:"total_tco2e"`
	// YearMix says how many of the summed inventories are of each year.
	YearMix []YearCount `json:"year_mix"`
	// ByLevel splits the total by jurisdiction level.
	ByLevel []LevelTotal `json:"by_level"`
	Note    string       `json:"note"`
	// Contributions are the summed inventories.
	Contributions []Contribution `json:"contributions"`
}

// YearCount is how many summed inventories are of one year.
type YearCount struct {
	Year    int `json:"year"`
	Parties int `json:"parties"`
}

// LevelTotal is the part of a country total from one level of jurisdiction.
type LevelTotal struct {
	Level      string `json:"level"`
	Parties    int    `json:"parties"`
	TotalTCO2e Number `json:"total_tco2e"`
}

// Contribution is one jurisdiction's latest inventory in a country total.
type Contribution struct {
	Party string `json:"party"`
	InventoryRef
}

// NetworkCommitments counts jurisdictions per commitment.
type NetworkCommitments struct {
	Targets     PartyCount `json:"targets"`
	Inventories PartyCount `json:"inventories"`
	Plan        PartyCount `json:"plan"`
	Partnership PartyCount `json:"partnership"`
	AllFour     PartyCount `json:"all_four"`
}

// PartyCount is a count with the parties counted.
type PartyCount struct {
	Count   int      `json:"count"`
	Parties []string `json:"parties"`
}

// StatusCount counts main targets with one status.
type StatusCount struct {
	Status  string   `json:"status"`
	Count   int      `json:"count"`
	Parties []string `json:"parties"`
}

func (pc *PartyCount) add(id string) { pc.Count++; pc.Parties = append(pc.Parties, id) }

func (v *Views) readNetwork(r pebble.Reader, asOf int) (*Network, error) {
	n := &Network{AsOfYear: asOf, InventoryWindowYears: v.cfg.InventoryWindow, Countries: []CountryTotals{}, Progress: []StatusCount{}}
	var err error
	if n.Index, err = readApplied(r); err != nil {
		return nil, err
	}
	sums, err := readSummaries(r)
	if err != nil {
		return nil, err
	}
	for _, pc := range []*PartyCount{&n.Commitments.Targets, &n.Commitments.Inventories, &n.Commitments.Plan, &n.Commitments.Partnership, &n.Commitments.AllFour} {
		pc.Parties = []string{}
	}
	byCountry := map[string]*CountryTotals{}
	for _, c := range events.Countries() {
		ct := &CountryTotals{Country: c, YearMix: []YearCount{}, ByLevel: []LevelTotal{}, Contributions: []Contribution{},
			Note: "the sum of each reporting jurisdiction's latest current inventory; the years differ (see year_mix), and jurisdictions may overlap (a city within its state or province is counted in both), so this is not a national total"}
		byCountry[c] = ct
	}
	decls, err := readDeclarations(r)
	if err != nil {
		return nil, err
	}
	var jurisdictions []string
	statuses := map[string]*StatusCount{}
	for i := range sums {
		s := &sums[i]
		if s.Kind != events.KindJurisdiction {
			continue
		}
		n.Jurisdictions++
		jurisdictions = append(jurisdictions, s.ID)
		ct := byCountry[s.Country]
		if ct == nil {
			continue
		}
		ct.Jurisdictions++
		if l := s.LatestInventory; l != nil {
			ct.Reporting++
			ct.TotalTCO2e = ct.TotalTCO2e.Add(l.TotalTCO2e)
			ct.Contributions = append(ct.Contributions, Contribution{Party: s.ID, InventoryRef: *l})
			addYear(&ct.YearMix, l.Year)
			addLevel(&ct.ByLevel, s.Level, l.TotalTCO2e)
		}
		c := v.commitments(&s.Summary, asOf)
		for _, x := range []struct {
			c  Commitment
			pc *PartyCount
		}{{c.Targets, &n.Commitments.Targets}, {c.Inventories, &n.Commitments.Inventories}, {c.Plan, &n.Commitments.Plan}, {c.Partnership, &n.Commitments.Partnership}} {
			if x.c.Met {
				x.pc.add(s.ID)
			}
		}
		if c.Met == 4 {
			n.Commitments.AllFour.add(s.ID)
		}
		status := s.status()
		sc := statuses[status]
		if sc == nil {
			sc = &StatusCount{Status: status, Parties: []string{}}
			statuses[status] = sc
		}
		sc.Count++
		sc.Parties = append(sc.Parties, s.ID)
	}
	for _, c := range events.Countries() {
		ct := byCountry[c]
		slices.SortFunc(ct.YearMix, func(a, b YearCount) int { return a.Year - b.Year })
		n.Countries = append(n.Countries, *ct)
	}
	for _, st := range append(Statuses(), "none") {
		if sc := statuses[st]; sc != nil {
			n.Progress = append(n.Progress, *sc)
		}
	}
	n.Declaration = networkDeclaration(jurisdictions, decls)
	return n, nil
}

func addYear(ym *[]YearCount, year int) {
	for i := range *ym {
		if (*ym)[i].Year == year {
			(*ym)[i].Parties++
			return
		}
	}
	*ym = append(*ym, YearCount{Year: year, Parties: 1})
}

func addLevel(bl *[]LevelTotal, level string, d events.Decimal) {
	for i := range *bl {
		if (*bl)[i].Level == level {
			(*bl)[i].Parties++
			(*bl)[i].TotalTCO2e = (*bl)[i].TotalTCO2e.Add(d)
			return
		}
	}
	*bl = append(*bl, LevelTotal{Level: level, Parties: 1, TotalTCO2e: NumberOf(d)})
	slices.SortFunc(*bl, func(a, b LevelTotal) int {
		return slices.Index(events.JurisdictionLevels(), a.Level) - slices.Index(events.JurisdictionLevels(), b.Level)
	})
}

// appendJSON appends d's JSON — the same bytes json.Marshal would write without HTML
// escaping — writing stored inventory and progress rows as they are, without the
// validation pass encoding/json gives a Marshaler's output (they were encoded by
// marshal).
func (d *PartyDetail) appendJSON(b []byte) ([]byte, error) {
	var err error
	field := func(name string, v any, first bool) {
		if err != nil {
			return
		}
		if !first {
			b = append(b, ',')
		}
		b = append(append(append(b, '"'), name...), `":`...)
		var data []byte
		if data, err = marshal(v); err == nil {
			b = append(b, data...)
		}
	}
	b = append(b, `{"index":`...)
	b = strconv.AppendUint(b, d.Index, 10)
	field("party", &d.Party, false)
	field("keys", d.Keys, false)
	field("endorsements", d.Endorsements, false)
	if d.Declaration != nil {
		field("declaration", d.Declaration, false)
	}
	if d.Commitments != nil {
		field("commitments", d.Commitments, false)
	}
	if err != nil {
		return nil, err
	}
	b = append(b, `,"targets":[`...)
	for i := range d.Targets {
		tv := d.Targets[i]
		p := tv.Progress
		tv.Progress = nil
		data, err := marshal(&tv)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		if p == nil {
			b = append(b, data...)
			continue
		}
		pb, err := p.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, data[:len(data)-1]...), `,"progress":`...), pb...)
		b = append(b, '}')
	}
	b = append(b, `],"inventories":[`...)
	for i, y := range d.Inventories {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"year":`...)
		b = strconv.AppendInt(b, int64(y.Year), 10)
		b = append(b, `,"reports":[`...)
		for j := range y.Reports {
			if j > 0 {
				b = append(b, ',')
			}
			rb, err := y.Reports[j].MarshalJSON()
			if err != nil {
				return nil, err
			}
			b = append(b, rb...)
		}
		b = append(b, "]}"...)
	}
	b = append(b, ']')
	field("plans", d.Plans, false)
	field("partnerships", d.Partnerships, false)
	field("attestations", &d.Attestations, false)
	field("links", d.Links, false)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
