// Package projtest builds realistic, deterministic climateledger networks for the
// tests and benchmarks of package projections and of the rebuild command, and
// appends them to a real node's log.
//
// Networks are built with events/eventtest: every key, id and time derives from the
// network's seed, so the same options give the same entries. AppendDirect writes
// entries straight to the JetStream stream, bypassing the gate (no clock check, and
// entries that break a replay rule reach the log, as they could only by bypassing
// the gate).
package projtest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
)

// Options size a generated network.
type Options struct {
	// Jurisdictions is the number of jurisdictions (alternately US and CN).
	Jurisdictions int
	// Years is the number of yearly inventories per jurisdiction, from 2005.
	Years int
	// Lines is the number of lines per inventory (1 to 8).
	Lines int
	// Verifiers is the number of verifiers; each jurisdiction's latest inventory is
	// attested by one of them.
	Verifiers int
}

// gpcLines are BASIC GPC rows used for generated inventory lines.
var gpcLines = []struct {
	ref, gas string
	scope    int
}{
	{"I.1.1", "CO2", 1}, {"I.2.1", "CO2", 1}, {"I.3.1", "CO2", 1}, {"II.1.1", "CO2", 1},
	{"I.1.2", "CO2", 2}, {"III.1.1", "CH4", 1}, {"III.4.1", "N2O", 1}, {"II.2.2", "CO2", 2},
}

// Inventory returns a GPC BASIC inventory body for year whose lines sum to about
// total tCO2e (the total is the exact sum of the lines).
func Inventory(year int, total int64, lines int, gwp string) *events.InventoryBody {
	if lines < 1 {
		lines = 1
	}
	if lines > len(gpcLines) {
		lines = len(gpcLines)
	}
	b := &events.InventoryBody{Year: year, Framework: events.FrameworkGPC, Level: events.InventoryLevelBasic, GWP: gwp}
	var sum events.Decimal
	per := total / int64(lines)
	for i := 0; i < lines; i++ {
		v := events.Decimal(per * events.DecimalScale)
		if i == 0 {
			v += events.Decimal((total - per*int64(lines)) * events.DecimalScale)
		}
		sum += v
		l := gpcLines[i]
		b.Lines = append(b.Lines, events.InventoryLine{GPCRef: l.ref, Scope: l.scope, Gas: l.gas, TCO2e: &v, Quality: "M"})
	}
	b.TotalTCO2e = &sum
	return b
}

func ptr[T any](v T) *T { return &v }

// Build appends a generated network to n: verifiers, then per jurisdiction an
// enrolment, an endorsement, two targets (one revised), yearly inventories (one
// restated), a plan in two versions, a co-signed partnership with the previous
// jurisdiction, an attestation of its latest inventory, and for every tenth
// jurisdiction a retraction of its first inventory. It returns the number of entries
// added.
func Build(n *eventtest.Network, o Options) int {
	start := len(n.Entries)
	if o.Years < 2 {
		o.Years = 2
	}
	var verifiers []string
	for v := 0; v < o.Verifiers; v++ {
		id := fmt.Sprintf("verifier-%03d", v)
		n.EnrollVerifier(id, "Verifier "+strconv.Itoa(v))
		verifiers = append(verifiers, id)
	}
	prev := ""
	for j := 0; j < o.Jurisdictions; j++ {
		country, level := "US", "city"
		if j%2 == 1 {
			country, level = "CN", "city"
		}
		id := fmt.Sprintf("%s-j%05d", map[string]string{"US": "us", "CN": "cn"}[country], j)
		n.Enroll(id, "Jurisdiction "+strconv.Itoa(j), "", country, level)
		n.Append(id, &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15"})
		base := int64(1_000_000 + 1000*j)
		n.Append(id, &events.TargetSetBody{TargetID: "t2030", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(2005),
			BaseEmissionsTCO2e: ptr(events.Decimal(base * events.DecimalScale)), TargetYear: ptr(2030),
			ReductionPct: ptr(events.MustDecimal("40")), LegalStatus: "policy", YearSet: ptr(2015)})
		n.Append(id, &events.TargetSetBody{TargetID: "nz2050", Type: events.TargetNetZero, BaseYear: ptr(2005),
			BaseEmissionsTCO2e: ptr(events.Decimal(base * events.DecimalScale)), TargetYear: ptr(2050), LegalStatus: "pledge"})
		var firstInv, lastInv string
		for y := 0; y < o.Years; y++ {
			total := base - int64(y)*base/100
			n.Append(id, Inventory(2005+y, total, o.Lines, "AR5"))
			if y == 0 {
				firstInv = n.IDs[len(n.IDs)-1]
			}
			lastInv = n.IDs[len(n.IDs)-1]
		}
		// Restate the latest year.
		r := Inventory(2005+o.Years-1, base-int64(o.Years)*base/100, o.Lines, "AR5")
		r.Restates = lastInv
		n.Append(id, r)
		lastInv, lastHash := n.IDs[len(n.IDs)-1], n.Hashes[len(n.Hashes)-1]
		plan := &events.PlanBody{PlanID: "cap", Version: 1, Title: "Climate action plan", Adopted: "2018-04-22", HorizonYear: 2030,
			Actions: []events.PlanAction{
				{ActionID: "led", Title: "LED street lights", Sector: events.SectorStationaryEnergy, Kind: "mitigation", Status: "planned", ExpectedReductionTCO2ePerYear: ptr(events.MustDecimal("1200"))},
				{ActionID: "bus", Title: "Electric buses", Sector: events.SectorTransportation, Kind: "mitigation", Status: "planned"},
				{ActionID: "heat", Title: "Heat plan", Sector: "cross_cutting", Kind: "adaptation", Status: "planned", Hazards: []string{"extreme_heat"}},
			}}
		n.Append(id, plan)
		plan2 := *plan
		plan2.Version = 2
		plan2.Actions = []events.PlanAction{plan.Actions[0], plan.Actions[1], {ActionID: "methane", Title: "Landfill gas capture", Sector: events.SectorWaste, Kind: "mitigation", Status: "in_progress"}}
		plan2.Actions[1].Status = "in_progress"
		n.Append(id, &plan2)
		n.Append(id, &events.TargetSetBody{TargetID: "t2030", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(2005),
			BaseEmissionsTCO2e: ptr(events.Decimal(base * events.DecimalScale)), TargetYear: ptr(2030),
			ReductionPct: ptr(events.MustDecimal("45")), LegalStatus: "law", YearSet: ptr(2015)})
		if prev != "" {
			n.Append(id, &events.PartnershipBody{PartnershipID: "p-" + prev, Partners: []string{id, prev}, Instrument: "mou",
				Topics: []string{"clean transport"}, Signed: "2016-06-07"},
				n.Parties[id].Keys[0], n.Parties[prev].Keys[0])
		}
		if len(verifiers) > 0 {
			v := verifiers[j%len(verifiers)]
			n.Append(v, &events.AttestationBody{Subject: events.Subject{EventID: lastInv, Hash: lastHash.String()},
				Standard: "ISO 14064-3:2019", Assurance: "limited", Opinion: "unmodified"})
		}
		if j%10 == 9 {
			n.Append(id, &events.RetractionBody{EventID: firstInv, Reason: "double counting"})
		}
		prev = id
	}
	return len(n.Entries) - start
}

// AppendDirect appends entries to the node's log in order, bypassing the gate, and
// waits until the node has integrated them. Each entry goes on its party's subject
// with the party's last stream sequence as the expectation, as the gate would.
func AppendDirect(ctx context.Context, node *ledger.Node, entries [][]byte) error {
	last := map[string]uint64{}
	var seq uint64
	for i, raw := range entries {
		party, id, err := partyAndID(raw)
		if err != nil {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		exp, ok := last[party]
		if !ok {
			if exp, _, err = node.Log().SubjectHead(ctx, party); err != nil {
				return fmt.Errorf("entry %d: %w", i, err)
			}
		}
		ap, err := node.Log().Append(ctx, party, id, raw, exp)
		if err != nil {
			return fmt.Errorf("append entry %d (%s): %w", i, party, err)
		}
		last[party], seq = ap.Seq, ap.Seq
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return node.WaitApplied(wctx, seq)
}

// partyAndID reads the party and event id from a stored entry, even one that breaks
// a body rule.
func partyAndID(raw []byte) (party, id string, err error) {
	e, err := events.ParseEntry(raw)
	if err == nil {
		return e.Payload.Party, e.Payload.ID, nil
	}
	return "", "", fmt.Errorf("entry does not parse: %w", err)
}
