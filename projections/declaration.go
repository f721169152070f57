package projections

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
)

// Where a jurisdiction stands with the U.S.-China Climate Leaders Declaration, as the
// log records it. Computed when read, from the party rows and the endorsement rows
// (nothing here is stored, so the state digest does not depend on it).

// Declaration groups (Declaration.Group).
const (
	// GroupSignatory2015: endorsed the Declaration at the 2015 Los Angeles summit.
	GroupSignatory2015 = "signatory_2015"
	// GroupEndorser2016: endorsed it at the 2016 Beijing summit (and not in 2015).
	GroupEndorser2016 = "endorser_2016"
	// GroupParticipant: took part in a summit (party.enrolled participations) with no
	// endorsement recorded: not an endorser.
	GroupParticipant = "participant"
	// GroupNotEndorser: no endorsement and no participation recorded.
	GroupNotEndorser = "not_endorser"
)

// DeclarationGroups returns the groups in display order.
func DeclarationGroups() []string {
	return []string{GroupSignatory2015, GroupEndorser2016, GroupParticipant, GroupNotEndorser}
}

// Declaration is a jurisdiction's standing with the Declaration: whether it counts as
// an endorser, its group, and why, with the events that show it.
type Declaration struct {
	// Endorser is true when an endorsement is recorded: in the enrolment's
	// endorsements or an endorsement.recorded event that was not retracted.
	Endorser bool   `json:"endorser"`
	Group    string `json:"group"`
	// Endorsed lists the summits with a recorded endorsement; Participated those the
	// party took part in without one.
	Endorsed     []string `json:"endorsed"`
	Participated []string `json:"participated"`
	// Reason says in one sentence why the party is in its group.
	Reason   string `json:"reason"`
	Evidence []Ref  `json:"evidence"`
}

var summitNames = map[string]string{"2015-los-angeles": "the 2015 Los Angeles summit", "2016-beijing": "the 2016 Beijing summit"}

func summitName(s string) string {
	if n, ok := summitNames[s]; ok {
		return n
	}
	return s
}

// declarationOf computes a jurisdiction's Declaration from its party row and its
// endorsement rows.
func declarationOf(row *PartyRow, ends []EndorsementRow) *Declaration {
	d := &Declaration{Endorsed: []string{}, Participated: []string{}, Evidence: []Ref{}}
	for _, e := range ends {
		if e.Retracted == nil && !slices.Contains(d.Endorsed, e.Summit) {
			d.Endorsed = append(d.Endorsed, e.Summit)
			d.Evidence = append(d.Evidence, e.Event.Ref())
		}
	}
	for _, p := range row.Participations {
		if !slices.Contains(d.Endorsed, p.Summit) {
			d.Participated = append(d.Participated, p.Summit)
		}
	}
	summits := events.Summits()
	order := func(a, b string) int { return slices.Index(summits, a) - slices.Index(summits, b) }
	slices.SortFunc(d.Endorsed, order)
	slices.SortFunc(d.Participated, order)
	d.Endorser = len(d.Endorsed) > 0
	names := func(ss []string) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = summitName(s)
		}
		return strings.Join(out, " and ")
	}
	switch {
	case slices.Contains(d.Endorsed, "2015-los-angeles"):
		d.Group = GroupSignatory2015
		d.Reason = "signed the Declaration at " + names(d.Endorsed) + " (a recorded endorsement)"
	case d.Endorser:
		d.Group = GroupEndorser2016
		d.Reason = "endorsed the Declaration at " + names(d.Endorsed) + " (a recorded endorsement)"
	case len(d.Participated) > 0:
		d.Group = GroupParticipant
		d.Evidence = append(d.Evidence, row.Enrolled.Ref())
		d.Reason = fmt.Sprintf("took part in %s, but no endorsement of the Declaration is recorded for it: not counted as an endorser (its endorsement is unconfirmed)", names(d.Participated))
	default:
		d.Group = GroupNotEndorser
		d.Evidence = append(d.Evidence, row.Enrolled.Ref())
		d.Reason = "enrolled without an endorsement of the Declaration, and none is recorded since: not counted as an endorser"
	}
	return d
}

// readJurisdictions reads the party row of every jurisdiction, by id.
func readJurisdictions(r pebble.Reader) (map[string]*PartyRow, error) {
	rows := map[string]*PartyRow{}
	err := scanRows(r, newKey(pfxParty), func(_ []byte, p *PartyRow) {
		if p.Kind == events.KindJurisdiction {
			rows[p.ID] = p
		}
	})
	return rows, err
}

// readDeclarations computes the Declaration of every jurisdiction.
func readDeclarations(r pebble.Reader) (map[string]*Declaration, error) {
	rows, err := readJurisdictions(r)
	if err != nil {
		return nil, err
	}
	ends := map[string][]EndorsementRow{}
	prefix := newKey(pfxEndorsement)
	err = scanRows(r, prefix, func(k []byte, e *EndorsementRow) {
		rest := k[len(prefix):]
		if i := slices.Index(rest, '/'); i > 0 {
			ends[string(rest[:i])] = append(ends[string(rest[:i])], *e)
		}
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Declaration, len(rows))
	for id, row := range rows {
		out[id] = declarationOf(row, ends[id])
	}
	return out, nil
}

// NetworkDeclaration counts the jurisdictions by their standing with the
// Declaration.
type NetworkDeclaration struct {
	// Endorsers counts the jurisdictions with a recorded endorsement (both groups
	// of endorsers).
	Endorsers PartyCount `json:"endorsers"`
	// Groups counts the jurisdictions of each group, in DeclarationGroups order.
	Groups []GroupCount `json:"groups"`
	Note   string       `json:"note"`
}

// GroupCount is the jurisdictions of one Declaration group.
type GroupCount struct {
	Group string `json:"group"`
	PartyCount
}

// networkDeclaration counts decls over the jurisdictions ids (in id order).
func networkDeclaration(ids []string, decls map[string]*Declaration) NetworkDeclaration {
	n := NetworkDeclaration{Endorsers: PartyCount{Parties: []string{}},
		Note: "endorsers are the jurisdictions with a recorded endorsement (in their enrolment or an endorsement.recorded event not retracted); participants of a summit without a recorded endorsement, and jurisdictions enrolled without one, are not counted as endorsers"}
	groups := map[string]*GroupCount{}
	for _, g := range DeclarationGroups() {
		groups[g] = &GroupCount{Group: g, PartyCount: PartyCount{Parties: []string{}}}
	}
	for _, id := range ids {
		d := decls[id]
		if d == nil {
			continue
		}
		if d.Endorser {
			n.Endorsers.add(id)
		}
		groups[d.Group].add(id)
	}
	for _, g := range DeclarationGroups() {
		n.Groups = append(n.Groups, *groups[g])
	}
	return n
}
