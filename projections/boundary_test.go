package projections

import (
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
)

// Boundaries are never mixed: a community target is assessed with community
// inventories only, a government_operations target with government_operations
// inventories only; each boundary has its own current inventory per year; the latest
// inventory (commitments, network totals) is community-wide. A base_year_absolute
// target without base_emissions_tco2e takes its base from the inventory of its base
// year, and without one is not assessable, saying why.
func TestBoundariesAndMissingBase(t *testing.T) {
	e := start(t, Config{})
	e.net.Enroll("usbos", "Boston", "波士顿", "US", "city")
	inv := func(year int, total, boundary string) *events.InventoryBody {
		return &events.InventoryBody{Year: year, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR5",
			TotalTCO2e: dec(total), BoundaryType: boundary}
	}
	e.net.Append("usbos", inv(2005, "7700000", ""))
	base2005 := e.net.IDs[len(e.net.IDs)-1]
	e.net.Append("usbos", inv(2017, "6100000", events.BoundaryCommunity))
	e.net.Append("usbos", inv(2017, "132000", events.BoundaryGovernmentOperations))
	ops2017 := e.net.IDs[len(e.net.IDs)-1]
	noBase := func(id string, base, target int, pct, boundary string) *events.TargetSetBody {
		return &events.TargetSetBody{TargetID: id, Type: events.TargetBaseYearAbsolute, BaseYear: ptr(base), TargetYear: ptr(target),
			ReductionPct: dec(pct), BoundaryType: boundary, LegalStatus: "pledge"}
	}
	e.net.Append("usbos", noBase("community-2020", 2005, 2020, "25", ""))
	e.net.Append("usbos", noBase("community-2030", 2009, 2030, "40", ""))
	e.net.Append("usbos", noBase("operations-2020", 2005, 2020, "25", events.BoundaryGovernmentOperations))
	e.net.Append("usbos", &events.TargetSetBody{TargetID: "operations-neutral", Type: events.TargetPeak, PeakYear: ptr(2030), Qualifier: "by",
		BoundaryType: events.BoundaryGovernmentOperations, LegalStatus: "pledge"})
	e.flush(t)

	var d struct {
		Targets []struct {
			TargetID string    `json:"target_id"`
			Progress *Progress `json:"progress"`
		} `json:"targets"`
		Inventories []InventoryYear `json:"inventories"`
	}
	e.getJSON(t, "/v1/parties/usbos", &d)
	got := map[string]*Progress{}
	for _, tv := range d.Targets {
		got[tv.TargetID] = tv.Progress
	}
	// The community target takes E_b from the community 2005 inventory, E_y from the
	// community 2017 one (never the 132,000 t of government operations).
	if p := got["community-2020"]; p == nil || p.Base == nil || p.Base.Sources[0].EventID != base2005 || p.Latest == nil || p.Latest.TCO2e.String() != "6100000" {
		t.Errorf("community-2020: got %+v, want base from %s and latest 6100000", p, base2005)
	}
	if p := got["community-2030"]; p == nil || p.Status != StatusNotAssessable || !strings.Contains(p.Reason, "base-year emissions are not known") || !strings.Contains(p.Reason, "2009") {
		t.Errorf("community-2030: got %+v, want not_assessable: base-year emissions not known", p)
	}
	if p := got["operations-2020"]; p == nil || p.Status != StatusNotAssessable || !strings.Contains(p.Reason, "no government_operations inventory") {
		t.Errorf("operations-2020: got %+v, want not_assessable: no government_operations inventory for 2005", p)
	}
	if p := got["operations-neutral"]; p == nil || p.Latest == nil || p.Latest.Sources[0].EventID != ops2017 || p.Status != StatusPending {
		t.Errorf("operations-neutral: got %+v, want pending with the 2017 operations inventory %s", p, ops2017)
	}
	// Both 2017 inventories are current: one per boundary.
	for _, y := range d.Inventories {
		if y.Year != 2017 {
			continue
		}
		if len(y.Reports) != 2 || !y.Reports[0].Current || !y.Reports[1].Current {
			t.Errorf("2017: want two current reports (one per boundary), got %+v", y.Reports)
		}
		if y.Reports[1].BoundaryType != events.BoundaryGovernmentOperations {
			t.Errorf("2017 second report: boundary_type %q", y.Reports[1].BoundaryType)
		}
	}
	var l PartyList
	e.getJSON(t, "/v1/parties", &l)
	for _, p := range l.Parties {
		if p.ID == "usbos" && (p.LatestInventory == nil || p.LatestInventory.TotalTCO2e.String() != "6100000") {
			t.Errorf("latest inventory: got %+v, want the community 2017 total", p.LatestInventory)
		}
	}
}
