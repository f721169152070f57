package projections

import (
	"net/http"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// goldenNet records what buildGolden appended.
type goldenNet struct {
	inv2016, inv2016r, inv2018, endorsement2016 string
	rejected                                    int // index of the rejected entry
}

// line returns an inventory line with a figure.
func line(ref, gas string, t string) events.InventoryLine {
	scope, _ := events.GPCScope(ref)
	return events.InventoryLine{GPCRef: ref, Scope: scope, Gas: gas, TCO2e: dec(t), Quality: "M"}
}

func total(lines []events.InventoryLine) *events.Decimal {
	var s events.Decimal
	for _, l := range lines {
		if l.TCO2e != nil {
			s += *l.TCO2e
		}
	}
	return &s
}

// buildGolden appends a small network with every kind of event (figures for
// California from CARB's inventory; the rest are test data): enrolments with names,
// codes and endorsements; a key rotation; targets with a revision; inventories with
// lines, a restatement and a retraction; a plan v1 → v2 with actions added, changed
// and removed; a co-signed partnership; an attestation by a verifier; and one entry
// that bypassed the gate and breaks the chain rule.
func buildGolden(n *eventtest.Network) goldenNet {
	var g goldenNet
	last := func() string { return n.IDs[len(n.IDs)-1] }

	// us-ca: a state.
	caKey := eventtest.Key(n.Seed, "party/us-ca")
	n.Append("us-ca", &events.EnrolledBody{Kind: events.KindJurisdiction, Names: map[string]string{"en": "California", "zh": "加利福尼亚州"},
		Country: "US", Level: "state", Codes: &events.PartyCodes{ISO3166_2: "US-CA"}, Keys: []events.PublicKeyRef{caKey.Ref()},
		Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15"}}}, n.Registrar, caKey)
	n.Parties["us-ca"].Keys = []*events.Signer{caKey}
	ca2 := eventtest.Key(n.Seed, "party/us-ca/2")
	n.Append("us-ca", &events.KeyAddedBody{Key: ca2.Ref(), Reason: "rotation"}, caKey, ca2)
	n.Append("us-ca", &events.KeyRevokedBody{KeyID: caKey.KeyID(), Reason: "rotation"}, ca2)
	n.Parties["us-ca"].Keys = []*events.Signer{ca2}

	n.Append("us-ca", &events.TargetSetBody{TargetID: "ab32", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(1990),
		BaseEmissionsTCO2e: dec("431000000"), TargetYear: ptr(2020), ReductionPct: dec("0"), LegalStatus: "law", YearSet: ptr(2006),
		Description: "AB 32: return to 1990 levels by 2020"})
	n.Append("us-ca", &events.TargetSetBody{TargetID: "sb32", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(1990),
		BaseEmissionsTCO2e: dec("431000000"), TargetYear: ptr(2030), ReductionPct: dec("40"), LegalStatus: "policy", YearSet: ptr(2016)})
	inv1990 := []events.InventoryLine{line("I.1.1", "CO2", "150000000"), line("II.1.1", "CO2", "200000000"), line("III.1.1", "CH4", "81000000")}
	n.Append("us-ca", &events.InventoryBody{Year: 1990, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4",
		Lines: inv1990, TotalTCO2e: total(inv1990)})
	inv2016 := []events.InventoryLine{line("I.1.1", "CO2", "140000000"), line("II.1.1", "CO2", "210000000"), line("III.1.1", "CH4", "79400000"),
		{GPCRef: "IV.1", Scope: 1, Gas: "HFCs", Notation: "NE", Explanation: "not estimated in this edition"}}
	n.Append("us-ca", &events.InventoryBody{Year: 2016, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4",
		Lines: inv2016, TotalTCO2e: total(inv2016)})
	g.inv2016 = last()
	inv2016r := []events.InventoryLine{line("I.1.1", "CO2", "140000000"), line("II.1.1", "CO2", "210000000"), line("III.1.1", "CH4", "79000000")}
	n.Append("us-ca", &events.InventoryBody{Year: 2016, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4",
		Lines: inv2016r, TotalTCO2e: total(inv2016r), Restates: g.inv2016, Boundary: "recalculated with the 2018 edition"})
	g.inv2016r = last()
	n.Append("us-ca", &events.InventoryBody{Year: 2018, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4",
		TotalTCO2e: dec("425000000")})
	g.inv2018 = last()
	n.Append("us-ca", &events.TargetSetBody{TargetID: "sb32", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(1990),
		BaseEmissionsTCO2e: dec("431000000"), TargetYear: ptr(2030), ReductionPct: dec("40"), LegalStatus: "law", YearSet: ptr(2016),
		Description: "SB 32: 40% below 1990 by 2030"})
	plan := &events.PlanBody{PlanID: "scoping-plan", Version: 1, Title: "Climate Change Scoping Plan", Adopted: "2017-12-14", HorizonYear: 2030,
		Actions: []events.PlanAction{
			{ActionID: "cap-and-trade", Title: "Cap-and-Trade Program", Sector: "cross_cutting", Kind: "mitigation", Status: "in_progress"},
			{ActionID: "lcfs", Title: "Low Carbon Fuel Standard", Sector: events.SectorTransportation, Kind: "mitigation", Status: "in_progress", ExpectedReductionTCO2ePerYear: dec("20000000")},
			{ActionID: "heat", Title: "Extreme heat plan", Sector: "cross_cutting", Kind: "adaptation", Status: "planned", Hazards: []string{"extreme_heat"}},
		}}
	n.Append("us-ca", plan)
	plan2 := *plan
	plan2.Version, plan2.Adopted, plan2.Title = 2, "2022-12-15", "2022 Scoping Plan Update"
	plan2.Actions = []events.PlanAction{plan.Actions[0], plan.Actions[1],
		{ActionID: "zev", Title: "Zero-emission vehicles", Sector: events.SectorTransportation, Kind: "mitigation", Status: "planned", Cost: &events.Cost{Amount: dec("1000000"), Currency: "USD"}}}
	plan2.Actions[1].Status, plan2.Actions[1].ExpectedReductionTCO2ePerYear = "completed", dec("25000000")
	n.Append("us-ca", &plan2)
	n.Append("us-ca", &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: "40% below 1990 by 2030"})
	g.endorsement2016 = last()

	// uslax and cnszx: cities with a co-signed partnership.
	n.Enroll("uslax", "Los Angeles", "洛杉矶", "US", "city")
	n.Enroll("cnszx", "Shenzhen", "深圳", "CN", "city")
	n.Append("uslax", &events.PartnershipBody{PartnershipID: "la-szx-2015", Partners: []string{"uslax", "cnszx"}, Instrument: "mou",
		Topics: []string{"green building", "ports"}, Signed: "2015-09-15", Description: "MOU signed at the Los Angeles summit"},
		n.Parties["uslax"].Keys[0], n.Parties["cnszx"].Keys[0])
	n.Append("cnszx", &events.TargetSetBody{TargetID: "peak", Type: events.TargetPeak, PeakYear: ptr(2022), Qualifier: "by", LegalStatus: "policy"})
	n.Append("cnszx", &events.TargetSetBody{TargetID: "intensity-2020", Type: events.TargetBaseYearIntensity, BaseYear: ptr(2015), TargetYear: ptr(2020),
		ReductionPct: dec("10"), IntensityUnit: "tCO2 per 10,000 CNY GDP", LegalStatus: "policy"})
	szx := []events.InventoryLine{line("I.1.1", "CO2", "5000000.5"), line("I.1.2", "CO2", "20000000"), line("II.1.1", "CO2", "15000000"),
		line("III.1.1", "CH4", "1200000.25"), {GPCRef: "I.7.1", Scope: 1, Gas: "CH4", Notation: "NO", Explanation: "no coal mining"}}
	n.Append("cnszx", &events.InventoryBody{Year: 2015, Framework: events.FrameworkGPC, Level: events.InventoryLevelBasic, GWP: "AR5",
		Lines: szx, TotalTCO2e: total(szx)})

	// A verifier attests the restated 2016 inventory; us-ca retracts its 2018
	// inventory and its 2016 endorsement event.
	n.EnrollVerifier("verifier-a", "Verifier A")
	n.Append("verifier-a", &events.AttestationBody{Subject: events.Subject{EventID: g.inv2016r, Hash: n.Hashes[indexOf(n, g.inv2016r)].String()},
		Standard: "ISO 14064-3:2019", Assurance: "limited", MaterialityPct: dec("5"), Opinion: "unmodified"})
	n.Append("us-ca", &events.RetractionBody{EventID: g.inv2018, Reason: "submitted in error"})
	n.Append("us-ca", &events.RetractionBody{EventID: g.endorsement2016, Reason: "duplicate of the enrolment"})

	// An entry that breaks the chain (seq skips ahead), as only a bypass of the
	// gate could write it.
	d := n.Draft("uslax", events.TypeTargetSet, &events.TargetSetBody{TargetID: "x", Type: events.TargetNetZero, TargetYear: ptr(2045), LegalStatus: "pledge"})
	d.Seq += 5
	payload, err := d.Marshal()
	if err != nil {
		panic(err)
	}
	g.rejected = len(n.Entries)
	n.Entries = append(n.Entries, events.Sign(payload, n.Parties["uslax"].Keys[0]))
	n.IDs = append(n.IDs, d.ID)
	n.Hashes = append(n.Hashes, events.PayloadHash(payload))
	return g
}

func indexOf(n *eventtest.Network, id string) int {
	for i, x := range n.IDs {
		if x == id {
			return i
		}
	}
	panic("no event " + id)
}

func TestGoldenProjections(t *testing.T) {
	e := start(t, Config{})
	g := buildGolden(e.net)
	e.flush(t)

	for _, p := range []struct{ file, path string }{
		{"party-us-ca.json", "/v1/parties/us-ca"},
		{"party-uslax.json", "/v1/parties/uslax"},
		{"party-cnszx.json", "/v1/parties/cnszx"},
		{"party-verifier-a.json", "/v1/parties/verifier-a"},
		{"parties.json", "/v1/parties"},
		{"network.json", "/v1/network"},
		{"events-us-ca.json", "/v1/parties/us-ca/events?after=2&limit=5"},
	} {
		t.Run(p.file, func(t *testing.T) {
			status, b := e.get(t, p.path)
			if status != http.StatusOK {
				t.Fatalf("GET %s: status %d: %s", p.path, status, b)
			}
			golden(t, p.file, b)
			// The HTTP path passes stored rows through; the Go API decodes them: the
			// same document either way.
			if id, ok := strings.CutPrefix(p.path, "/v1/parties/"); ok && !strings.Contains(id, "/") {
				d, err := e.views.Party(id)
				if err != nil {
					t.Fatal(err)
				}
				full, err := marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != string(full)+"\n" {
					t.Errorf("GET %s and Views.Party(%s) differ:\n%s\n%s", p.path, id, b, full)
				}
			}
		})
	}

	// The rejected entry changed nothing but its own row.
	var rj RejectedRow
	snap := e.node.DB().NewSnapshot()
	defer snap.Close()
	ok, err := getRow(snap, rejectedKey(uint64(g.rejected)), &rj)
	if err != nil || !ok {
		t.Fatalf("rejected row at %d: found %v, err %v", g.rejected, ok, err)
	}
	if rj.Code != string(events.CodeChainBreak) || rj.Party != "uslax" || rj.Seq != 8 || rj.ID != e.net.IDs[g.rejected] {
		t.Errorf("rejected row = %+v, want chain_break for uslax seq 8 id %s", rj, e.net.IDs[g.rejected])
	}
	var page EventsPage
	e.getJSON(t, "/v1/parties/uslax/events", &page)
	if len(page.Events) != 2 {
		t.Errorf("uslax has %d events, want 2 (the rejected entry is not one)", len(page.Events))
	}
	st := e.state(t)
	if st.Index != uint64(len(e.net.Entries)) {
		t.Errorf("state index %d, want %d", st.Index, len(e.net.Entries))
	}
}
