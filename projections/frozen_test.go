package projections

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/projections/projtest"
)

// frozenLogs are deterministic logs (every key, id and time derives from the seed)
// with the state digest the projections gave them when it was frozen: any change of
// a row's bytes, of the rows written or of their keys changes one of these. They
// were computed by the projector of commit 6b53510 (encoding/json rows), before the
// projections were made faster; a faster projector must reproduce them byte for
// byte.
var frozenLogs = []struct {
	name    string
	build   func(n *eventtest.Network)
	entries int
	rows    int
	digest  string
	long    bool // skipped with -short
}{
	{"golden", func(n *eventtest.Network) { buildGolden(n) }, 25, 88, "5da4010b1667074a1f081281b33a989f1c930040e41e2624ac6f4ac3e0886984", false},
	{"golden+12", func(n *eventtest.Network) { testNetwork(n, 12) }, 219, 756, "ffc4e5f66b63012d61559596305a19a895a3397b8058a3f518c0561a7e48a7a0", false},
	{"golden+300x20", func(n *eventtest.Network) {
		buildGolden(n)
		projtest.Build(n, projtest.Options{Jurisdictions: 300, Years: 20, Lines: 6, Verifiers: 4})
	}, 9058, 29264, "bd5718240c7d02061d8026ba579a32890085c421749ca493da412a7fcfbfb8fc", true},
	{"everything", buildEverything, 61, 203, "c5d84b1ad8ca4df186f32f030eeb8175e3dc7eaa3cf0d3ba9eb7609245a97e64", false},
}

func frozenEntries(seed string, build func(*eventtest.Network)) [][]byte {
	n := eventtest.New(seed, "")
	n.Now, n.Step = netStart, time.Second
	build(n)
	return n.Entries
}

// TestFrozenDigests replays each frozen log with groups of 1 and of 512 entries and
// 1, 2 and 8 workers, and gets its frozen digest every time.
func TestFrozenDigests(t *testing.T) {
	for _, l := range frozenLogs {
		t.Run(l.name, func(t *testing.T) {
			if l.long && testing.Short() {
				t.Skip("long")
			}
			entries := frozenEntries("frozen", l.build)
			for _, workers := range []int{1, 2, 8} {
				for _, group := range []int{1, 512} {
					h := openHarness(t, vfs.NewMem(), entries, true)
					h.v = newViews(t, Config{Workers: workers})
					for int(h.applied()) < len(entries) {
						h.step(group)
					}
					got := h.digest()
					h.db.Close()
					if got.Index != uint64(l.entries) || got.Rows != l.rows || hex.EncodeToString([]byte(got.Digest)) != l.digest {
						t.Errorf("%d workers, groups of %d: index %d, %d rows, digest %x; want %d, %d, %s", workers, group, got.Index, got.Rows, got.Digest, l.entries, l.rows, l.digest)
					}
				}
			}
		})
	}
}

// buildEverything appends the golden network and then every kind of change the
// projections make: registrar keys added and revoked, a party key revoked, every
// target type (with coverage, offsets, milestones, a source), government_operations
// inventories and targets, a withdrawal and the retraction of that withdrawal, the
// retraction of a target revision, of a plan version, of a partnership, of an
// attestation and of an attested inventory (marking its attestations), a
// restatement chain, and inventories whose sums overflow int64.
func buildEverything(n *eventtest.Network) {
	g := buildGolden(n)
	last := func() string { return n.IDs[len(n.IDs)-1] }
	hashOf := func(id string) string { return n.Hashes[indexOf(n, id)].String() }

	reg2 := eventtest.Key(n.Seed, "registrar/2")
	n.Append(events.NetworkParty, &events.RegistrarKeyAddedBody{Key: reg2.Ref(), Reason: "second registrar key"}, n.Registrar, reg2)
	n.Parties[events.NetworkParty].Keys = []*events.Signer{n.Registrar, reg2}
	n.Append(events.NetworkParty, &events.RegistrarKeyRevokedBody{KeyID: reg2.KeyID(), Reason: "test over"}, n.Registrar)
	n.Parties[events.NetworkParty].Keys = []*events.Signer{n.Registrar}

	n.Enroll("usbos", "Boston", "波士顿", "US", "city")
	bos := n.Parties["usbos"].Keys[0]
	bos2 := eventtest.Key(n.Seed, "party/usbos/2")
	n.Append("usbos", &events.KeyAddedBody{Key: bos2.Ref(), Reason: "a second key"}, bos, bos2)
	n.Append("usbos", &events.KeyRevokedBody{KeyID: bos2.KeyID(), Reason: "lost \"laptop\"\n<again>"}, bos)
	inv := func(year int, total, boundary, restates string) *events.InventoryBody {
		return &events.InventoryBody{Year: year, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR5",
			TotalTCO2e: dec(total), BoundaryType: boundary, Restates: restates,
			Source: &events.DocumentRef{URL: "https://example.org/inv?y=" + strconv.Itoa(year), Title: "Inventory « " + strconv.Itoa(year) + " »", Quote: "total\u2028" + total}}
	}
	n.Append("usbos", inv(2005, "7700000", "", ""))
	n.Append("usbos", inv(2010, "7300000", events.BoundaryCommunity, ""))
	first2010 := last()
	n.Append("usbos", inv(2010, "7250000", "", first2010))
	second2010 := last()
	n.Append("usbos", inv(2010, "7240000.5", "", second2010))
	third2010 := last()
	n.Append("usbos", inv(2017, "6100000", events.BoundaryCommunity, ""))
	n.Append("usbos", inv(2017, "132000", events.BoundaryGovernmentOperations, ""))
	ops2017 := last()
	n.Append("usbos", inv(2019, "5900000", "", ""))
	n.Append("usbos", inv(2021, "5800000", "", ""))
	cov := &events.Coverage{Gases: []string{"CO2", "CH4"}, Sectors: []string{events.SectorStationaryEnergy}, Scopes: []int{1, 2}}
	targets := []*events.TargetSetBody{
		{TargetID: "abs", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(2005), TargetYear: ptr(2030), ReductionPct: dec("50"), LegalStatus: "law", YearSet: ptr(2017),
			Coverage: cov, Offsets: &events.Offsets{Allowed: true, MaxPct: dec("10")}, Source: &events.DocumentRef{URL: "https://example.org/t", SHA256: strings.Repeat("ab", 32)}},
		{TargetID: "fixed", Type: events.TargetFixedLevel, TargetYear: ptr(2025), TargetEmissionsTCO2e: dec("5000000"), LegalStatus: "policy"},
		{TargetID: "intensity", Type: events.TargetBaseYearIntensity, BaseYear: ptr(2005), TargetYear: ptr(2030), ReductionPct: dec("30"), IntensityUnit: "tCO2e per capita", BaseIntensity: dec("12.5"), LegalStatus: "pledge"},
		{TargetID: "bau", Type: events.TargetBaselineScenario, TargetYear: ptr(2030), ReductionPct: dec("20"), BaselineEmissionsTCO2e: dec("9000000"), LegalStatus: "pledge"},
		{TargetID: "bau-nofig", Type: events.TargetBaselineScenario, TargetYear: ptr(2030), ReductionPct: dec("20"), LegalStatus: "pledge"},
		{TargetID: "path", Type: events.TargetTrajectory, BaseYear: ptr(2005), BaseEmissionsTCO2e: dec("7700000"), LegalStatus: "policy",
			Milestones: []events.Milestone{{Year: 2020, TargetEmissionsTCO2e: dec("6000000")}, {Year: 2030, TargetEmissionsTCO2e: dec("3850000")}}},
		{TargetID: "peak", Type: events.TargetPeak, PeakYear: ptr(2010), Qualifier: "before", LegalStatus: "pledge"},
		{TargetID: "nz", Type: events.TargetNetZero, TargetYear: ptr(2050), LegalStatus: "pledge", Description: "carbon neutral by 2050 — \"all sectors\""},
		{TargetID: "ops", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(2017), TargetYear: ptr(2030), ReductionPct: dec("100"), BoundaryType: events.BoundaryGovernmentOperations, LegalStatus: "policy"},
	}
	for _, b := range targets {
		n.Append("usbos", b)
	}
	n.Append("usbos", &events.TargetWithdrawnBody{TargetID: "fixed", Reason: "superseded"})
	withdrawal := last()
	n.Append("usbos", &events.TargetSetBody{TargetID: "abs", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(2005), TargetYear: ptr(2030),
		ReductionPct: dec("60"), LegalStatus: "law", YearSet: ptr(2019)})
	absRev2 := last()
	n.Append("usbos", &events.RetractionBody{EventID: withdrawal, Reason: "withdrawn by mistake"})
	n.Append("usbos", &events.RetractionBody{EventID: absRev2, Reason: "not adopted"})
	plan := &events.PlanBody{PlanID: "cap", Version: 1, Title: "Climate Action Plan", Adopted: "2019-10-01", HorizonYear: 2050,
		Document: &events.DocumentRef{URL: "https://example.org/cap.pdf"},
		Actions: []events.PlanAction{{ActionID: "a1", Title: "Buildings", Sector: events.SectorStationaryEnergy, Kind: "mitigation", Status: "planned",
			Cost: &events.Cost{Amount: dec("250000.75"), Currency: "USD"}}}}
	n.Append("usbos", plan)
	plan2 := *plan
	plan2.Version, plan2.Adopted, plan2.Actions = 3, "2023-01-01", nil
	n.Append("usbos", &plan2)
	n.Append("usbos", &events.RetractionBody{EventID: last(), Reason: "draft published by mistake"})
	n.Append("usbos", &events.PartnershipBody{PartnershipID: "bos-lax", Partners: []string{"usbos", "uslax"}, Instrument: "mou",
		Topics: []string{"heat"}, Signed: "2020-01-01", Document: &events.DocumentRef{URL: "https://example.org/mou"}},
		bos, n.Parties["uslax"].Keys[0])
	n.Append("usbos", &events.RetractionBody{EventID: last(), Reason: "never signed"})

	// Attestations: of the ops inventory and of the third 2010 inventory; the first
	// retracted by its verifier, the subject of the second retracted by usbos.
	n.Append("verifier-a", &events.AttestationBody{Subject: events.Subject{EventID: ops2017, Hash: hashOf(ops2017)}, Standard: "ISO 14064-3:2019",
		Assurance: "reasonable", Opinion: "modified", Summary: "one finding"})
	n.Append("verifier-a", &events.RetractionBody{EventID: last(), Reason: "issued in error"})
	n.Append("verifier-a", &events.AttestationBody{Subject: events.Subject{EventID: third2010, Hash: hashOf(third2010)}, Standard: "ISO 14064-3:2019",
		Assurance: "limited", Opinion: "unmodified"})
	n.Append("usbos", &events.RetractionBody{EventID: third2010, Reason: "restatement withdrawn"})
	// The retracted golden inventory's standing and a retraction of an attested one.
	n.Append("us-ca", &events.RetractionBody{EventID: g.inv2016r, Reason: "restatement withdrawn"})
}

// The everything log is valid but for the golden network's one rejected entry.
func TestBuildEverything(t *testing.T) {
	n := eventtest.New("frozen", "")
	n.Now, n.Step = netStart, time.Second
	buildEverything(n)
	_, findings := n.Replay()
	bad := 0
	for i, f := range findings {
		if f != nil {
			bad++
			if f.Code != events.CodeChainBreak {
				t.Errorf("entry %d: %v", i, f)
			}
		}
	}
	if bad != 1 {
		t.Errorf("%d rejected entries, want 1", bad)
	}
}
