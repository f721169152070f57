package events_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events"
)

// Fixed test inputs, shared with bodies_fuzz_test.go.
var (
	bodyKey1 = mustSigner(1)
	bodyKey2 = mustSigner(2)
	bodyKey3 = mustSigner(3)

	bodyLogKey = func() string {
		k, err := note.NewEd25519VerifierKey("climateledger.local/log", bodyKey3.Public())
		if err != nil {
			panic(err)
		}
		return k
	}()

	bodyEventID = "01JDB8Y2Q5B6H1XKQZ0W2R8M3T"
	bodyHash    = strings.Repeat("ab", 32)
	bodyDocHash = strings.Repeat("0f", 32)

	// bodyVars fills the placeholders of the JSON bodies below.
	bodyVars = strings.NewReplacer(
		"$K1ID", bodyKey1.KeyID(),
		"$K2ID", bodyKey2.KeyID(),
		"$K2PUB", bodyKey2.Ref().Public, // before $K2
		"$K1", keyJSON(bodyKey1),
		"$K2", keyJSON(bodyKey2),
		"$K3", keyJSON(bodyKey3),
		"$LOGKEYUPPER", upperLogKeyHash(bodyLogKey),
		"$LOGKEY", bodyLogKey,
		"$UPPERHEX", strings.Repeat("AB", 32),
		"$LONG1001", strings.Repeat("x", 1001),
		"$PARTNERS17", `"p1","p2","p3","p4","p5","p6","p7","p8","p9","p10","p11","p12","p13","p14","p15","p16","p17"`,
		"$ID", bodyEventID,
		"$HASH", bodyHash,
		"$DOCHASH", bodyDocHash,
	)
)

func mustSigner(b byte) *events.Signer {
	s, err := events.NewSigner(bytes.Repeat([]byte{b}, ed25519.SeedSize))
	if err != nil {
		panic(err)
	}
	return s
}

func keyJSON(s *events.Signer) string {
	b, err := json.Marshal(s.Ref())
	if err != nil {
		panic(err)
	}
	return string(b)
}

// upperLogKeyHash returns a note verifier key with its key hash in upper case.
func upperLogKeyHash(k string) string {
	name, rest, _ := strings.Cut(k, "+")
	hash, key, _ := strings.Cut(rest, "+")
	return name + "+" + strings.ToUpper(hash) + "+" + key
}

func ip(i int) *int { return &i }

func dp(s string) *events.Decimal {
	d := events.MustDecimal(s)
	return &d
}

// validBodies holds one or more valid bodies of every event type, with the value each
// decodes to.
var validBodies = []struct {
	name string
	typ  string
	json string
	want events.Body
}{
	{"genesis", events.TypeGenesis,
		`{"origin":"climateledger.local/log","name":"U.S.-China Climate Leaders Network","registrar_keys":[$K1,$K2],"log_key":"$LOGKEY"}`,
		&events.GenesisBody{Origin: "climateledger.local/log", Name: "U.S.-China Climate Leaders Network",
			RegistrarKeys: []events.PublicKeyRef{bodyKey1.Ref(), bodyKey2.Ref()}, LogKey: bodyLogKey}},
	{"registrar key added", events.TypeRegistrarKeyAdded,
		`{"key":$K2,"reason":"second registrar key"}`,
		&events.RegistrarKeyAddedBody{Key: bodyKey2.Ref(), Reason: "second registrar key"}},
	{"registrar key added without reason", events.TypeRegistrarKeyAdded,
		`{"key":$K2}`,
		&events.RegistrarKeyAddedBody{Key: bodyKey2.Ref()}},
	{"registrar key revoked", events.TypeRegistrarKeyRevoked,
		`{"keyid":"$K1ID","reason":"rotated\nafter the 2026 audit"}`,
		&events.RegistrarKeyRevokedBody{KeyID: bodyKey1.KeyID(), Reason: "rotated\nafter the 2026 audit"}},
	{"jurisdiction enrolled", events.TypePartyEnrolled,
		`{"kind":"jurisdiction","names":{"en":"Los Angeles","zh":"洛杉矶市"},"country":"US","level":"city","parent":"us-ca",` +
			`"codes":{"iso3166_2":"US-CA","unlocode":"US LAX"},"keys":[$K1,$K2],` +
			`"endorsements":[{"summit":"2015-los-angeles","date":"2015-09-15"},{"summit":"2016-beijing","date":"2016-06-07"}]}`,
		&events.EnrolledBody{Kind: "jurisdiction", Names: map[string]string{"en": "Los Angeles", "zh": "洛杉矶市"},
			Country: "US", Level: "city", Parent: "us-ca", Codes: &events.PartyCodes{ISO3166_2: "US-CA", UNLOCODE: "US LAX"},
			Keys:         []events.PublicKeyRef{bodyKey1.Ref(), bodyKey2.Ref()},
			Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15"}, {Summit: "2016-beijing", Date: "2016-06-07"}}}},
	{"verifier enrolled", events.TypePartyEnrolled,
		`{"kind":"verifier","names":{"en":"Example Assurance","zh-hans":"示例认证"},"country":"GB","keys":[$K3]}`,
		&events.EnrolledBody{Kind: "verifier", Names: map[string]string{"en": "Example Assurance", "zh-hans": "示例认证"},
			Country: "GB", Keys: []events.PublicKeyRef{bodyKey3.Ref()}}},
	{"key added", events.TypeKeyAdded,
		`{"key":$K2}`,
		&events.KeyAddedBody{Key: bodyKey2.Ref()}},
	{"key revoked", events.TypeKeyRevoked,
		`{"keyid":"$K1ID","reason":"lost"}`,
		&events.KeyRevokedBody{KeyID: bodyKey1.KeyID(), Reason: "lost"}},
	{"endorsement", events.TypeEndorsement,
		`{"summit":"2016-beijing","date":"2016-06-07","target_wording":"Peak carbon emissions by 2020."}`,
		&events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: "Peak carbon emissions by 2020."}},
	{"target base_year_absolute", events.TypeTargetSet,
		`{"target_id":"ghg-2030","type":"base_year_absolute","base_year":1990,"base_emissions_tco2e":431000000,` +
			`"target_year":2030,"reduction_pct":40,"coverage":{"gases":["CO2","CH4","N2O"],"sectors":["stationary_energy","transportation"],"scopes":[1,2]},` +
			`"offsets":{"allowed":true,"max_pct":12.5},"legal_status":"law","year_set":2016,` +
			`"source":{"url":"https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=201520160SB32","sha256":"$DOCHASH","title":"SB 32"},` +
			`"description":"40% below 1990 by 2030."}`,
		&events.TargetSetBody{TargetID: "ghg-2030", Type: "base_year_absolute", BaseYear: ip(1990), BaseEmissionsTCO2e: dp("431000000"),
			TargetYear: ip(2030), ReductionPct: dp("40"),
			Coverage: &events.Coverage{Gases: []string{"CO2", "CH4", "N2O"}, Sectors: []string{"stationary_energy", "transportation"}, Scopes: []int{1, 2}},
			Offsets:  &events.Offsets{Allowed: true, MaxPct: dp("12.5")}, LegalStatus: "law", YearSet: ip(2016),
			Source:      &events.DocumentRef{URL: "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=201520160SB32", SHA256: bodyDocHash, Title: "SB 32"},
			Description: "40% below 1990 by 2030."}},
	{"target base_year_absolute by level", events.TypeTargetSet,
		`{"target_id":"t1","type":"base_year_absolute","base_year":2005,"base_emissions_tco2e":1000.5,"target_year":2025,"target_emissions_tco2e":1000.5,"legal_status":"pledge"}`,
		&events.TargetSetBody{TargetID: "t1", Type: "base_year_absolute", BaseYear: ip(2005), BaseEmissionsTCO2e: dp("1000.5"),
			TargetYear: ip(2025), TargetEmissionsTCO2e: dp("1000.5"), LegalStatus: "pledge"}},
	{"target fixed_level", events.TypeTargetSet,
		`{"target_id":"cap.2030","type":"fixed_level","target_year":2030,"target_emissions_tco2e":0,"legal_status":"policy"}`,
		&events.TargetSetBody{TargetID: "cap.2030", Type: "fixed_level", TargetYear: ip(2030), TargetEmissionsTCO2e: dp("0"), LegalStatus: "policy"}},
	{"target base_year_intensity", events.TypeTargetSet,
		`{"target_id":"intensity","type":"base_year_intensity","base_year":2005,"target_year":2020,"reduction_pct":45,` +
			`"intensity_unit":"tCO2e per million CNY GDP","base_intensity":1.875,"legal_status":"policy"}`,
		&events.TargetSetBody{TargetID: "intensity", Type: "base_year_intensity", BaseYear: ip(2005), TargetYear: ip(2020),
			ReductionPct: dp("45"), IntensityUnit: "tCO2e per million CNY GDP", BaseIntensity: dp("1.875"), LegalStatus: "policy"}},
	{"target baseline_scenario", events.TypeTargetSet,
		`{"target_id":"bau","type":"baseline_scenario","target_year":2030,"reduction_pct":30,"baseline_emissions_tco2e":200000,"legal_status":"pledge"}`,
		&events.TargetSetBody{TargetID: "bau", Type: "baseline_scenario", TargetYear: ip(2030), ReductionPct: dp("30"),
			BaselineEmissionsTCO2e: dp("200000"), LegalStatus: "pledge"}},
	{"target trajectory", events.TypeTargetSet,
		`{"target_id":"path","type":"trajectory","base_year":2010,"base_emissions_tco2e":100,"target_year":2050,` +
			`"milestones":[{"year":2030,"target_emissions_tco2e":60},{"year":2040,"target_emissions_tco2e":30},{"year":2050,"target_emissions_tco2e":0}],` +
			`"legal_status":"law","year_set":2020}`,
		&events.TargetSetBody{TargetID: "path", Type: "trajectory", BaseYear: ip(2010), BaseEmissionsTCO2e: dp("100"), TargetYear: ip(2050),
			Milestones:  []events.Milestone{{Year: 2030, TargetEmissionsTCO2e: dp("60")}, {Year: 2040, TargetEmissionsTCO2e: dp("30")}, {Year: 2050, TargetEmissionsTCO2e: dp("0")}},
			LegalStatus: "law", YearSet: ip(2020)}},
	{"target peak", events.TypeTargetSet,
		`{"target_id":"peak","type":"peak","target_year":2020,"peak_year":2020,"qualifier":"before","legal_status":"pledge","year_set":2015}`,
		&events.TargetSetBody{TargetID: "peak", Type: "peak", TargetYear: ip(2020), PeakYear: ip(2020), Qualifier: "before", LegalStatus: "pledge", YearSet: ip(2015)}},
	{"target net_zero", events.TypeTargetSet,
		`{"target_id":"nz","type":"net_zero","base_year":1990,"base_emissions_tco2e":431000000,"target_year":2045,"offsets":{"allowed":false},"legal_status":"law"}`,
		&events.TargetSetBody{TargetID: "nz", Type: "net_zero", BaseYear: ip(1990), BaseEmissionsTCO2e: dp("431000000"), TargetYear: ip(2045),
			Offsets: &events.Offsets{}, LegalStatus: "law"}},
	{"target withdrawn", events.TypeTargetWithdrawn,
		`{"target_id":"ghg-2030","reason":"superseded by net_zero target nz"}`,
		&events.TargetWithdrawnBody{TargetID: "ghg-2030", Reason: "superseded by net_zero target nz"}},
	{"inventory GPC BASIC", events.TypeInventoryReported,
		`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[` +
			`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":1000.25,"quality":"H"},` +
			`{"gpc_ref":"I.1.2","scope":2,"gas":"CO2e","tco2e":500},` +
			`{"gpc_ref":"II.1.1","scope":1,"gas":"CH4","tco2e":0.75},` +
			`{"gpc_ref":"III.2.2","scope":3,"gas":"CH4","tco2e":20},` +
			`{"gpc_ref":"I.7.1","scope":1,"gas":"CH4","notation":"NO","explanation":"no coal mining in the city"}],` +
			`"total_tco2e":1521,"source":{"url":"http://example.org/inventory-2015.pdf"},"boundary":"City of Los Angeles"}`,
		&events.InventoryBody{Year: 2015, Framework: "GPC", Level: "BASIC", GWP: "AR5", Lines: []events.InventoryLine{
			{GPCRef: "I.1.1", Scope: 1, Gas: "CO2", TCO2e: dp("1000.25"), Quality: "H"},
			{GPCRef: "I.1.2", Scope: 2, Gas: "CO2e", TCO2e: dp("500")},
			{GPCRef: "II.1.1", Scope: 1, Gas: "CH4", TCO2e: dp("0.75")},
			{GPCRef: "III.2.2", Scope: 3, Gas: "CH4", TCO2e: dp("20")},
			{GPCRef: "I.7.1", Scope: 1, Gas: "CH4", Notation: "NO", Explanation: "no coal mining in the city"},
		}, TotalTCO2e: dp("1521"), Source: &events.DocumentRef{URL: "http://example.org/inventory-2015.pdf"}, Boundary: "City of Los Angeles"}},
	{"inventory GPC BASIC+ with removals", events.TypeInventoryReported,
		`{"year":2016,"framework":"GPC","level":"BASIC+","gwp":"AR6","lines":[` +
			`{"gpc_ref":"IV.1","scope":1,"gas":"CO2","tco2e":10},` +
			`{"gpc_ref":"V.2","scope":1,"gas":"CO2","tco2e":-25.5},` +
			`{"gpc_ref":"II.4.3","scope":3,"gas":"CO2e","tco2e":5}],` +
			`"total_tco2e":-10.5,"restates":"$ID"}`,
		&events.InventoryBody{Year: 2016, Framework: "GPC", Level: "BASIC+", GWP: "AR6", Lines: []events.InventoryLine{
			{GPCRef: "IV.1", Scope: 1, Gas: "CO2", TCO2e: dp("10")},
			{GPCRef: "V.2", Scope: 1, Gas: "CO2", TCO2e: dp("-25.5")},
			{GPCRef: "II.4.3", Scope: 3, Gas: "CO2e", TCO2e: dp("5")},
		}, TotalTCO2e: dp("-10.5"), Restates: bodyEventID}},
	{"inventory territorial total only", events.TypeInventoryReported,
		`{"year":2014,"framework":"national","level":"territorial","gwp":"AR4","total_tco2e":83000000}`,
		&events.InventoryBody{Year: 2014, Framework: "national", Level: "territorial", GWP: "AR4", TotalTCO2e: dp("83000000")}},
	{"plan", events.TypePlanPublished,
		`{"plan_id":"pla","version":2,"title":"Sustainable City pLAn","adopted":"2015-04-08","horizon_year":2035,` +
			`"document":{"url":"https://plan.lamayor.org/"},"actions":[` +
			`{"action_id":"solar","title":"Rooftop solar","sector":"stationary_energy","kind":"mitigation","status":"in_progress",` +
			`"expected_reduction_tco2e_per_year":150000,"cost":{"amount":2500000.5,"currency":"USD"}},` +
			`{"action_id":"cool-roofs","title":"Cool roofs","sector":"cross_cutting","kind":"adaptation","status":"planned","hazards":["extreme_heat","drought"]}]}`,
		&events.PlanBody{PlanID: "pla", Version: 2, Title: "Sustainable City pLAn", Adopted: "2015-04-08", HorizonYear: 2035,
			Document: &events.DocumentRef{URL: "https://plan.lamayor.org/"}, Actions: []events.PlanAction{
				{ActionID: "solar", Title: "Rooftop solar", Sector: "stationary_energy", Kind: "mitigation", Status: "in_progress",
					ExpectedReductionTCO2ePerYear: dp("150000"), Cost: &events.Cost{Amount: dp("2500000.5"), Currency: "USD"}},
				{ActionID: "cool-roofs", Title: "Cool roofs", Sector: "cross_cutting", Kind: "adaptation", Status: "planned",
					Hazards: []string{"extreme_heat", "drought"}},
			}}},
	{"partnership", events.TypePartnership,
		`{"partnership_id":"la-shenzhen","partners":["uslax","cnszx"],"instrument":"mou","topics":["ports","electric vehicles"],` +
			`"signed":"2015-09-15","description":"Clean ports cooperation.","document":{"url":"https://example.org/mou.pdf","sha256":"$DOCHASH"}}`,
		&events.PartnershipBody{PartnershipID: "la-shenzhen", Partners: []string{"uslax", "cnszx"}, Instrument: "mou",
			Topics: []string{"ports", "electric vehicles"}, Signed: "2015-09-15", Description: "Clean ports cooperation.",
			Document: &events.DocumentRef{URL: "https://example.org/mou.pdf", SHA256: bodyDocHash}}},
	{"attestation", events.TypeAttestation,
		`{"subject":{"event_id":"$ID","hash":"$HASH"},"standard":"ISO 14064-3:2019","assurance":"limited","materiality_pct":5,` +
			`"opinion":"unmodified","summary":"No material misstatement found.\nScope: stationary energy."}`,
		&events.AttestationBody{Subject: events.Subject{EventID: bodyEventID, Hash: bodyHash}, Standard: "ISO 14064-3:2019",
			Assurance: "limited", MaterialityPct: dp("5"), Opinion: "unmodified", Summary: "No material misstatement found.\nScope: stationary energy."}},
	{"retraction", events.TypeRetraction,
		`{"event_id":"$ID","reason":"wrong year"}`,
		&events.RetractionBody{EventID: bodyEventID, Reason: "wrong year"}},
}

func TestDecodeBodyValid(t *testing.T) {
	seen := map[string]bool{}
	for _, tt := range validBodies {
		t.Run(tt.name, func(t *testing.T) {
			seen[tt.typ] = true
			got, err := events.DecodeBody(tt.typ, []byte(bodyVars.Replace(tt.json)))
			if err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if got.EventType() != tt.typ {
				t.Errorf("EventType() = %q, want %q", got.EventType(), tt.typ)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeBody:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
	for _, typ := range events.EventTypes() {
		if !seen[typ] {
			t.Errorf("no valid body of type %s", typ)
		}
	}
}

func fe(path, msg string) events.FieldError { return events.FieldError{Path: path, Message: msg} }

func TestDecodeBodyInvalid(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		json string
		want []events.FieldError
	}{
		// The strict JSON profile: one problem, at "body", with its byte offset.
		// Decoding: one problem, at the path of the value.
		{"null", events.TypeKeyRevoked, `{"keyid":null,"reason":"x"}`,
			[]events.FieldError{fe("body", "byte 9: null is not allowed (omit the field instead)")}},
		{"duplicate key", events.TypeKeyRevoked, `{"reason":"a","reason":"b"}`,
			[]events.FieldError{fe("body", `byte 22: duplicate object key "reason"`)}},
		{"upper-case key", events.TypeKeyRevoked, `{"Reason":"a"}`,
			[]events.FieldError{fe("body", `byte 9: object key "Reason" is not lower-case ASCII [a-z0-9_-]`)}},
		{"unknown field", events.TypeKeyRevoked, `{"keyid":"$K1ID","reason":"x","note":"y"}`,
			[]events.FieldError{fe("body.note", "unknown field")}},
		{"wrong JSON type", events.TypeKeyRevoked, `{"keyid":"$K1ID","reason":5}`,
			[]events.FieldError{fe("body.reason", "expected a string, got JSON number")}},
		{"unknown field in an array element", events.TypeInventoryReported,
			`{"year":2016,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":1,"gas":"CO2e","tco2e":1},{"gpc_ref":"I.1.1","scope":1,"gas":"CO2e","tco2e":1,"evil":1}],"total_tco2e":2}`,
			[]events.FieldError{fe("body.lines[1].evil", "unknown field")}},
		{"wrong JSON type in an array element", events.TypeInventoryReported,
			`{"year":2016,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":1,"gas":"CO2e","tco2e":1},{"gpc_ref":"I.1.1","scope":"1","gas":"CO2e","tco2e":1}],"total_tco2e":2}`,
			[]events.FieldError{fe("body.lines[1].scope", "expected a number, got JSON string")}},
		{"bad decimal in an array element", events.TypeInventoryReported,
			`{"year":2016,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":1,"gas":"CO2e","tco2e":1.23456}],"total_tco2e":2}`,
			[]events.FieldError{fe("body.lines[0].tco2e", `number "1.23456": want at most 3 decimal places and no exponent`)}},
		{"not an object", events.TypeRetraction, `[]`,
			[]events.FieldError{fe("body", "expected an object, got JSON array")}},
		{"trailing data", events.TypeRetraction, `{"event_id":"$ID","reason":"x"} `,
			[]events.FieldError{fe("body", "trailing data at byte 54")}},
		{"unknown type", "target.deleted", `{}`,
			[]events.FieldError{fe("type", `unknown event type "target.deleted"`)}},
		{"decimal with 4 places", events.TypeTargetSet,
			`{"target_id":"t","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1.2345,"legal_status":"law"}`,
			[]events.FieldError{fe("body.target_emissions_tco2e", `number "1.2345": want at most 3 decimal places and no exponent`)}},
		{"decimal with exponent", events.TypeTargetSet,
			`{"target_id":"t","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1e3,"legal_status":"law"}`,
			[]events.FieldError{fe("body.target_emissions_tco2e", `number "1e3": want digits only, no exponent`)}},
		{"year with exponent", events.TypeTargetSet,
			`{"target_id":"t","type":"fixed_level","target_year":2.03e3,"target_emissions_tco2e":1,"legal_status":"law"}`,
			[]events.FieldError{fe("body.target_year", "expected a number, got JSON number 2.03e3")}},

		// Sources, summits, municipalities and boundaries (SPEC §6.0, §6.3, §6.6, §6.8).
		{"enrolment: municipality outside China", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"en":"X"},"country":"US","level":"municipality","keys":[$K1]}`,
			[]events.FieldError{fe("body.level", "municipality is only used with country CN (a province-level municipality)")}},
		{"enrolment: a summit endorsed and attended", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"en":"X"},"country":"CN","level":"city","keys":[$K1],` +
				`"endorsements":[{"summit":"2016-beijing","date":"2016-06-07"}],"participations":[{"summit":"2016-beijing","date":"2016-06-07","source":{"url":"ftp://x"}}]}`,
			[]events.FieldError{
				fe("body.participations[0].summit", "duplicates body.endorsements[0].summit"),
				fe("body.participations[0].source.url", `"ftp://x" is not an absolute http or https URL`),
			}},
		{"enrolment: participations of a verifier", events.TypePartyEnrolled,
			`{"kind":"verifier","names":{"en":"V"},"keys":[$K1],"participations":[{"summit":"2016-beijing","date":"2016-06-07"}]}`,
			[]events.FieldError{fe("body.participations", "not allowed for kind verifier")}},
		{"target: unknown boundary, quote too long", events.TypeTargetSet,
			`{"target_id":"t","type":"base_year_absolute","base_year":2009,"target_year":2030,"reduction_pct":40,"boundary_type":"municipal","legal_status":"policy","source":{"url":"https://x.example","quote":"$LONG1001"}}`,
			[]events.FieldError{
				fe("body.boundary_type", `"municipal" is not one of community, government_operations`),
				fe("body.source.quote", "has 1001 characters, at most 1000 allowed"),
			}},
		{"inventory: unknown boundary", events.TypeInventoryReported,
			`{"year":2017,"framework":"IPCC2006","level":"territorial","gwp":"AR5","total_tco2e":1,"boundary_type":"operations"}`,
			[]events.FieldError{fe("body.boundary_type", `"operations" is not one of community, government_operations`)}},

		// network.genesis
		{"genesis: several problems", events.TypeGenesis, `{"origin":"my log","name":"","registrar_keys":[],"log_key":"nonsense"}`,
			[]events.FieldError{
				fe("body.origin", "must not contain white space"),
				fe("body.name", "required"),
				fe("body.registrar_keys", "required"),
				fe("body.log_key", "not a signed-note Ed25519 verifier key <name>+<hash>+<key>: malformed verifier id"),
			}},
		{"genesis: origin with +", events.TypeGenesis, `{"origin":"a+b","name":"n","registrar_keys":[$K1],"log_key":"$LOGKEY"}`,
			[]events.FieldError{fe("body.origin", "must not contain '+'")}},
		{"genesis: log key named otherwise", events.TypeGenesis, `{"origin":"other.example/log","name":"n","registrar_keys":[$K1],"log_key":"$LOGKEY"}`,
			[]events.FieldError{fe("body.log_key", `key name "climateledger.local/log" does not match origin "other.example/log"`)}},
		{"genesis: log key hash in upper case", events.TypeGenesis, `{"origin":"climateledger.local/log","name":"n","registrar_keys":[$K1],"log_key":"$LOGKEYUPPER"}`,
			[]events.FieldError{fe("body.log_key", "not in canonical form (lower-case hash, standard base64)")}},
		{"genesis: duplicate and bad registrar keys", events.TypeGenesis,
			`{"origin":"climateledger.local/log","name":"n","registrar_keys":[$K1,$K1,{"keyid":"$K2ID","public":"AAAA"}],"log_key":"$LOGKEY"}`,
			[]events.FieldError{
				fe("body.registrar_keys[1].keyid", "duplicates body.registrar_keys[0].keyid"),
				fe("body.registrar_keys[2].public", "not the standard base64 of a 32-byte Ed25519 key"),
			}},

		// registrar and party keys
		{"registrar key added: empty key, blank reason", events.TypeRegistrarKeyAdded, `{"key":{"keyid":"","public":""},"reason":"   "}`,
			[]events.FieldError{
				fe("body.key.keyid", "required"),
				fe("body.key.public", "required"),
				fe("body.reason", "must not be blank"),
			}},
		{"registrar key added: keyid of another key", events.TypeRegistrarKeyAdded, `{"key":{"keyid":"$K1ID","public":"$K2PUB"}}`,
			[]events.FieldError{fe("body.key.keyid", "does not match the public key (want $K2ID)")}},
		{"registrar key revoked: upper-case keyid, no reason", events.TypeRegistrarKeyRevoked, `{"keyid":"$UPPERHEX"}`,
			[]events.FieldError{
				fe("body.keyid", `"$UPPERHEX" is not a key id (want 64 lower-case hex digits)`),
				fe("body.reason", "required"),
			}},
		{"key added: short public key", events.TypeKeyAdded, `{"key":{"keyid":"$K1ID","public":"AQID"}}`,
			[]events.FieldError{fe("body.key.public", "not the standard base64 of a 32-byte Ed25519 key")}},
		{"key revoked: reason too long", events.TypeKeyRevoked, `{"keyid":"$K1ID","reason":"$LONG1001"}`,
			[]events.FieldError{fe("body.reason", "has 1001 characters, at most 1000 allowed")}},

		// party.enrolled
		{"enrolled: jurisdiction missing fields", events.TypePartyEnrolled, `{"kind":"jurisdiction","names":{"zh":"洛杉矶"},"keys":[]}`,
			[]events.FieldError{
				fe("body.names.en", "required"),
				fe("body.country", "required"),
				fe("body.level", "required"),
				fe("body.keys", "required"),
			}},
		{"enrolled: verifier with jurisdiction fields", events.TypePartyEnrolled,
			`{"kind":"verifier","names":{"en":"V"},"country":"gb","level":"city","parent":"us-ca","keys":[$K3],"endorsements":[{"summit":"2015-los-angeles","date":"2015-09-15"}]}`,
			[]events.FieldError{
				fe("body.country", `"gb" is not an ISO 3166-1 alpha-2 code`),
				fe("body.level", "not allowed for kind verifier"),
				fe("body.parent", "not allowed for kind verifier"),
				fe("body.endorsements", "not allowed for kind verifier"),
			}},
		{"enrolled: bad names", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"zh_hans":"x","en":"LA\u0007","fr":" "},"country":"CN","level":"province","keys":[$K1]}`,
			[]events.FieldError{
				fe("body.names.en", "contains control character U+0007"),
				fe("body.names.fr", "must not be blank"),
				fe("body.names.zh_hans", `"zh_hans" is not a language tag (want ^[a-z]{2,3}(-[a-z0-9]{2,8})*$)`),
			}},
		{"enrolled: codes and endorsements", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"en":"Shenzhen"},"country":"CN","level":"city","parent":"CN-GD","codes":{"iso3166_2":"US-CA","unlocode":"cnszx"},"keys":[$K1],` +
				`"endorsements":[{"summit":"2017-paris","date":""},{"summit":"2016-beijing","date":"2016-02-30"}]}`,
			[]events.FieldError{
				fe("body.parent", `"CN-GD" is not a party id (want ^[a-z0-9][a-z0-9-]{0,62}$)`),
				fe("body.codes.iso3166_2", "US-CA is not in country CN"),
				fe("body.codes.unlocode", `"cnszx" is not a UN/LOCODE (want ^[A-Z]{2} ?[A-Z2-9]{3}$)`),
				fe("body.endorsements[0].summit", `"2017-paris" is not one of 2015-los-angeles, 2016-beijing`),
				fe("body.endorsements[0].date", "required"),
				fe("body.endorsements[1].date", `"2016-02-30" is not a calendar date`),
			}},
		{"enrolled: summit twice", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"en":"Beijing"},"country":"CN","level":"city","keys":[$K1],` +
				`"endorsements":[{"summit":"2016-beijing","date":"2016-06-07"},{"summit":"2016-beijing","date":"2016-06-08"},{"summit":"2015-los-angeles","date":"2015-09-15"}]}`,
			[]events.FieldError{
				fe("body.endorsements", "has 3 entries, at most 2 allowed"),
				fe("body.endorsements[1].summit", "duplicates body.endorsements[0].summit"),
			}},
		{"enrolled: unknown kind, country, empty codes, mismatched key", events.TypePartyEnrolled,
			`{"kind":"city","names":{"en":"x"},"country":"MX","codes":{},"keys":[$K1,{"keyid":"$K1ID","public":"$K2PUB"}]}`,
			[]events.FieldError{
				fe("body.kind", `"city" is not one of jurisdiction, verifier`),
				fe("body.country", `"MX" is not one of US, CN`),
				fe("body.codes", "must not be empty (omit the field instead)"),
				fe("body.keys[1].keyid", "does not match the public key (want $K2ID)"),
			}},
		{"enrolled: empty endorsements", events.TypePartyEnrolled,
			`{"kind":"jurisdiction","names":{"en":"x"},"country":"US","level":"state","keys":[$K1],"endorsements":[]}`,
			[]events.FieldError{fe("body.endorsements", "must not be empty (omit the field instead)")}},

		// endorsement.recorded
		{"endorsement: bad summit, date, wording", events.TypeEndorsement, `{"summit":"2017-paris","date":"2015-9-15","target_wording":"peak\u0007"}`,
			[]events.FieldError{
				fe("body.summit", `"2017-paris" is not one of 2015-los-angeles, 2016-beijing`),
				fe("body.date", `"2015-9-15" is not a date (want YYYY-MM-DD)`),
				fe("body.target_wording", "contains control character U+0007"),
			}},
		{"endorsement: date before 1990", events.TypeEndorsement, `{"summit":"2015-los-angeles","date":"1989-12-31"}`,
			[]events.FieldError{fe("body.date", "year 1989 is outside 1990-2100")}},

		// target.set
		{"target: several problems in order", events.TypeTargetSet,
			`{"target_id":"Target 1","type":"base_year_absolute","base_emissions_tco2e":0,"target_year":2030,"reduction_pct":40,"target_emissions_tco2e":10,"peak_year":2020,"legal_status":"maybe"}`,
			[]events.FieldError{
				fe("body.target_id", `"Target 1" does not match ^[a-z0-9][a-z0-9._-]{0,63}$`),
				fe("body.base_year", "required for type base_year_absolute"),
				fe("body.base_emissions_tco2e", "0 is not greater than 0"),
				fe("body.target_emissions_tco2e", "not allowed together with reduction_pct (give exactly one)"),
				fe("body.peak_year", "not used by type base_year_absolute"),
				fe("body.legal_status", `"maybe" is not one of pledge, policy, law`),
			}},
		{"target: base_year_absolute without reduction or level", events.TypeTargetSet,
			`{"target_id":"t","type":"base_year_absolute","base_year":1990,"base_emissions_tco2e":100,"target_year":2030,"legal_status":"law"}`,
			[]events.FieldError{fe("body.reduction_pct", "required for type base_year_absolute unless target_emissions_tco2e is given")}},
		{"target: target year and level against the base", events.TypeTargetSet,
			`{"target_id":"t","type":"base_year_absolute","base_year":2030,"base_emissions_tco2e":100,"target_year":2030,"target_emissions_tco2e":100.001,"legal_status":"law"}`,
			[]events.FieldError{
				fe("body.target_year", "must be after base_year 2030"),
				fe("body.target_emissions_tco2e", "must not exceed base_emissions_tco2e 100"),
			}},
		{"target: peak", events.TypeTargetSet,
			`{"target_id":"p","type":"peak","base_year":2005,"target_year":2025,"peak_year":2030,"qualifier":"circa","legal_status":"pledge","year_set":2031}`,
			[]events.FieldError{
				fe("body.base_year", "not used by type peak"),
				fe("body.target_year", "must equal peak_year 2030"),
				fe("body.qualifier", `"circa" is not one of by, before, around`),
				fe("body.year_set", "must not be after peak_year 2030"),
			}},
		{"target: peak without peak", events.TypeTargetSet, `{"target_id":"p","type":"peak","legal_status":"pledge"}`,
			[]events.FieldError{
				fe("body.peak_year", "required for type peak"),
				fe("body.qualifier", "required for type peak"),
			}},
		{"target: trajectory with one milestone", events.TypeTargetSet,
			`{"target_id":"tr","type":"trajectory","milestones":[{"year":2030}],"legal_status":"law"}`,
			[]events.FieldError{
				fe("body.milestones", "needs at least 2 entries, has 1"),
				fe("body.milestones[0].target_emissions_tco2e", "required"),
			}},
		{"target: trajectory out of order", events.TypeTargetSet,
			`{"target_id":"tr","type":"trajectory","base_year":2035,"base_emissions_tco2e":100,"target_year":2040,` +
				`"milestones":[{"year":2030,"target_emissions_tco2e":50},{"year":2050,"target_emissions_tco2e":-1},{"year":2045,"target_emissions_tco2e":0}],"legal_status":"law"}`,
			[]events.FieldError{
				fe("body.target_year", "must equal the last milestone year 2045"),
				fe("body.milestones[0].year", "must be after base_year 2035"),
				fe("body.milestones[1].target_emissions_tco2e", "-1 is negative"),
				fe("body.milestones[2].year", "must be after body.milestones[1].year 2050"),
			}},
		{"target: fixed_level base year without base emissions", events.TypeTargetSet,
			`{"target_id":"f","type":"fixed_level","base_year":2010,"target_year":2030,"target_emissions_tco2e":5,"legal_status":"law"}`,
			[]events.FieldError{fe("body.base_emissions_tco2e", "required when base_year is given")}},
		{"target: net_zero", events.TypeTargetSet,
			`{"target_id":"nz","type":"net_zero","base_emissions_tco2e":5,"target_year":2045,"reduction_pct":100,"legal_status":"law","year_set":2046}`,
			[]events.FieldError{
				fe("body.base_year", "required when base_emissions_tco2e is given"),
				fe("body.reduction_pct", "not used by type net_zero"),
				fe("body.year_set", "must not be after target_year 2045"),
			}},
		{"target: intensity", events.TypeTargetSet,
			`{"target_id":"i","type":"base_year_intensity","base_year":2005,"base_emissions_tco2e":5,"target_year":2020,"reduction_pct":40,"base_intensity":-1,"legal_status":"policy"}`,
			[]events.FieldError{
				fe("body.base_emissions_tco2e", "not used by type base_year_intensity"),
				fe("body.intensity_unit", "required for type base_year_intensity"),
				fe("body.base_intensity", "-1 is not greater than 0"),
			}},
		{"target: baseline scenario", events.TypeTargetSet,
			`{"target_id":"b","type":"baseline_scenario","target_year":2030,"reduction_pct":100.5,"baseline_emissions_tco2e":0,"milestones":[],"legal_status":"pledge"}`,
			[]events.FieldError{
				fe("body.reduction_pct", "100.5 is outside 0-100"),
				fe("body.baseline_emissions_tco2e", "0 is not greater than 0"),
				fe("body.milestones", "not used by type baseline_scenario"),
			}},
		{"target: coverage and offsets", events.TypeTargetSet,
			`{"target_id":"c","type":"fixed_level","target_year":2030,"target_emissions_tco2e":5,` +
				`"coverage":{"gases":["CO2","co2","CO2"],"sectors":[],"scopes":[1,4,1]},"offsets":{"allowed":false,"max_pct":10},"legal_status":"law"}`,
			[]events.FieldError{
				fe("body.coverage.gases[1]", `"co2" is not one of CO2, CH4, N2O, HFCs, PFCs, SF6, NF3`),
				fe("body.coverage.gases[2]", "duplicates body.coverage.gases[0]"),
				fe("body.coverage.sectors", "must not be empty (omit the field instead)"),
				fe("body.coverage.scopes[1]", "4 is not a scope (want 1, 2 or 3)"),
				fe("body.coverage.scopes[2]", "duplicates body.coverage.scopes[0]"),
				fe("body.offsets.max_pct", "only allowed when allowed is true"),
			}},
		{"target: empty coverage, offsets over 100", events.TypeTargetSet,
			`{"target_id":"c","type":"fixed_level","target_year":2030,"target_emissions_tco2e":5,"coverage":{},"offsets":{"allowed":true,"max_pct":101},"legal_status":"law"}`,
			[]events.FieldError{
				fe("body.coverage", "must not be empty (omit the field instead)"),
				fe("body.offsets.max_pct", "101 is outside 0-100"),
			}},
		{"target: no type", events.TypeTargetSet, `{"target_id":"x","target_year":1980}`,
			[]events.FieldError{
				fe("body.type", "required"),
				fe("body.target_year", "1980 is outside 1990-2100"),
				fe("body.legal_status", "required"),
			}},
		{"target: unknown type", events.TypeTargetSet, `{"target_id":"x","type":"absolute","legal_status":"law"}`,
			[]events.FieldError{fe("body.type", `"absolute" is not one of base_year_absolute, fixed_level, base_year_intensity, baseline_scenario, trajectory, peak, net_zero`)}},
		{"target: source and description", events.TypeTargetSet,
			`{"target_id":"x","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1,"legal_status":"law","source":{"url":"ftp://example.org/a","sha256":"ABC","title":"t"},"description":"a\tb"}`,
			[]events.FieldError{
				fe("body.source.url", `"ftp://example.org/a" is not an absolute http or https URL`),
				fe("body.source.sha256", `"ABC" is not a SHA-256 (want 64 lower-case hex digits)`),
				fe("body.description", "contains control character U+0009"),
			}},
		{"target: URL with a space", events.TypeTargetSet,
			`{"target_id":"x","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1,"legal_status":"law","source":{"url":"https://example.org/a b"}}`,
			[]events.FieldError{fe("body.source.url", "must not contain white space or control characters")}},
		{"target: relative URL", events.TypeTargetSet,
			`{"target_id":"x","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1,"legal_status":"law","source":{"url":"/docs/target.pdf"}}`,
			[]events.FieldError{fe("body.source.url", `"/docs/target.pdf" is not an absolute http or https URL`)}},
		{"target: URL with a password", events.TypeTargetSet,
			`{"target_id":"x","type":"fixed_level","target_year":2030,"target_emissions_tco2e":1,"legal_status":"law","source":{"url":"https://me:secret@example.org/"}}`,
			[]events.FieldError{fe("body.source.url", "must not contain user information")}},

		// target.withdrawn
		{"target withdrawn: empty", events.TypeTargetWithdrawn, `{}`,
			[]events.FieldError{
				fe("body.target_id", "required"),
				fe("body.reason", "required"),
			}},

		// inventory.reported
		{"inventory: GPC references", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[` +
				`{"gpc_ref":"I.9.1","scope":1,"gas":"CO2","tco2e":1},{"gpc_ref":"I.1.2","scope":1,"gas":"CO2","tco2e":2},{"gpc_ref":"IV.1.2","scope":1,"gas":"CO2","tco2e":3}],"total_tco2e":6}`,
			[]events.FieldError{
				fe("body.lines[0].gpc_ref", `unknown GPC reference "I.9.1"`),
				fe("body.lines[1].scope", "I.1.2 is a scope 2 source, not scope 1"),
				fe("body.lines[2].gpc_ref", `unknown GPC reference "IV.1.2"`),
			}},
		{"inventory: total does not match", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":990}],"total_tco2e":1000}`,
			[]events.FieldError{fe("body.total_tco2e", "1000 does not match the sum of lines 990")}},
		{"inventory: notation without explanation", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","notation":"NE"}],"total_tco2e":0}`,
			[]events.FieldError{fe("body.lines[0].explanation", "required with a notation key")}},
		{"inventory: figures and notation keys", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[` +
				`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":5,"explanation":"why"},` +
				`{"gpc_ref":"I.2.1","scope":1,"gas":"CO2","tco2e":5,"notation":"NO","explanation":"x"},` +
				`{"gpc_ref":"I.3.1","scope":1,"gas":"CO2"},` +
				`{"gpc_ref":"I.4.1","scope":1,"gas":"CO2","notation":"XX","explanation":"x","quality":"A"}],"total_tco2e":10}`,
			[]events.FieldError{
				fe("body.lines[0].explanation", "only allowed with a notation key"),
				fe("body.lines[1].notation", "not allowed together with tco2e (give exactly one)"),
				fe("body.lines[2].tco2e", "required unless notation is given"),
				fe("body.lines[3].notation", `"XX" is not one of NO, IE, NE, C`),
				fe("body.lines[3].quality", `"A" is not one of H, M, L`),
			}},
		{"inventory: negative figures and BASIC sources", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[` +
				`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":-5},{"gpc_ref":"IV.1","scope":1,"gas":"CO2","tco2e":5},` +
				`{"gpc_ref":"II.1.3","scope":3,"gas":"CO2","tco2e":1},{"gpc_ref":"V.2","scope":1,"gas":"CO2","tco2e":-1}],"total_tco2e":0}`,
			[]events.FieldError{
				fe("body.lines[0].tco2e", "-5 is negative (only V.2, land, may report net removals)"),
				fe("body.lines[1].gpc_ref", "IV.1 is not part of a BASIC inventory"),
				fe("body.lines[2].gpc_ref", "II.1.3 is not part of a BASIC inventory"),
				fe("body.lines[3].gpc_ref", "V.2 is not part of a BASIC inventory"),
			}},
		{"inventory: duplicate and double-counted lines", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[` +
				`{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":1},{"gpc_ref":"I.1.1","scope":1,"gas":"CO2","tco2e":2},{"gpc_ref":"I.1.1","scope":1,"gas":"CO2e","tco2e":3},` +
				`{"gpc_ref":"I.2.1","scope":1,"gas":"CO2e","tco2e":1},{"gpc_ref":"I.2.1","scope":1,"gas":"CH4","tco2e":1}],"total_tco2e":8}`,
			[]events.FieldError{
				fe("body.lines[1].gas", "duplicates body.lines[0] (same gpc_ref and gas)"),
				fe("body.lines[2].gas", "I.1.1 already has per-gas lines (body.lines[0]); an aggregated CO2e line would count them twice"),
				fe("body.lines[4].gas", "I.2.1 already has an aggregated CO2e line (body.lines[3])"),
			}},
		{"inventory: territorial GPC", events.TypeInventoryReported, `{"year":2015,"framework":"GPC","level":"territorial","gwp":"SAR","total_tco2e":5}`,
			[]events.FieldError{
				fe("body.level", "territorial is not used with framework GPC (use BASIC or BASIC+)"),
				fe("body.gwp", `"SAR" is not one of AR4, AR5, AR6`),
				fe("body.lines", "required for framework GPC"),
			}},
		{"inventory: BASIC under IPCC2006", events.TypeInventoryReported, `{"year":2015,"framework":"IPCC2006","level":"BASIC","gwp":"AR5","lines":[],"total_tco2e":-1}`,
			[]events.FieldError{
				fe("body.level", "BASIC is only used with framework GPC"),
				fe("body.lines", "must not be empty (omit the field instead)"),
				fe("body.total_tco2e", "-1 is negative"),
			}},
		{"inventory: territorial with a scope 2 line", events.TypeInventoryReported,
			`{"framework":"national","level":"territorial","gwp":"AR4","lines":[{"gpc_ref":"I.1.2","scope":2,"gas":"CO2","tco2e":1},{"gpc_ref":"I.4.4","scope":1,"gas":"CO2","tco2e":2}],` +
				`"total_tco2e":3,"restates":"01jdb8y2q5b6h1xkqz0w2r8m3t"}`,
			[]events.FieldError{
				fe("body.year", "required"),
				fe("body.lines[0].gpc_ref", "I.1.2 is a scope 2 source, not part of a territorial inventory (scope 1 only)"),
				fe("body.restates", `"01jdb8y2q5b6h1xkqz0w2r8m3t" is not an event id (want a canonical ULID)`),
			}},
		{"inventory: other scope 3 in BASIC+, no total", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC+","gwp":"AR5","lines":[{"gpc_ref":"VI.1","scope":3,"gas":"CO2","tco2e":1}]}`,
			[]events.FieldError{
				fe("body.lines[0].gpc_ref", "VI.1 is not part of a BASIC+ inventory"),
				fe("body.total_tco2e", "required"),
			}},
		{"inventory: bad scope, missing gas and reference", events.TypeInventoryReported,
			`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.1.1","scope":4,"tco2e":1},{"gas":"CO2","tco2e":1}],"total_tco2e":2}`,
			[]events.FieldError{
				fe("body.lines[0].scope", "4 is not a scope (want 1, 2 or 3)"),
				fe("body.lines[0].gas", "required"),
				fe("body.lines[1].gpc_ref", "required"),
				fe("body.lines[1].scope", "required"),
			}},

		// plan.published
		{"plan: header", events.TypePlanPublished, `{"plan_id":"p","version":0,"title":"","adopted":"2019-04-29","horizon_year":2018}`,
			[]events.FieldError{
				fe("body.version", "required"),
				fe("body.title", "required"),
				fe("body.horizon_year", "must not be before the adopted year 2019"),
			}},
		{"plan: actions", events.TypePlanPublished,
			`{"plan_id":"p","version":1,"title":"Plan","adopted":"2019-04-29","horizon_year":2050,"actions":[` +
				`{"action_id":"a","title":"A","sector":"other_scope3","kind":"adaptation","status":"done","expected_reduction_tco2e_per_year":5,"hazards":["flood","flood","meteor"]},` +
				`{"action_id":"a","title":"B","sector":"waste","kind":"mitigation","status":"planned","hazards":["flood"],"cost":{"currency":"usd"}}]}`,
			[]events.FieldError{
				fe("body.actions[0].sector", `"other_scope3" is not one of stationary_energy, transportation, waste, ippu, afolu, cross_cutting`),
				fe("body.actions[0].status", `"done" is not one of planned, in_progress, completed, cancelled`),
				fe("body.actions[0].expected_reduction_tco2e_per_year", "only for kind mitigation"),
				fe("body.actions[0].hazards[1]", "duplicates body.actions[0].hazards[0]"),
				fe("body.actions[0].hazards[2]", `"meteor" is not one of extreme_heat, drought, flood, sea_level_rise, wildfire, storm, water_scarcity, other`),
				fe("body.actions[1].action_id", "duplicates body.actions[0].action_id"),
				fe("body.actions[1].hazards", "only for kind adaptation"),
				fe("body.actions[1].cost.amount", "required"),
				fe("body.actions[1].cost.currency", `"usd" is not an ISO 4217 currency code`),
			}},
		{"plan: negative version, bad date, document without url, no actions", events.TypePlanPublished,
			`{"plan_id":"p","version":-1,"title":"T","adopted":"2019/04/29","horizon_year":2050,"document":{"title":"x"},"actions":[]}`,
			[]events.FieldError{
				fe("body.version", "must be at least 1"),
				fe("body.adopted", `"2019/04/29" is not a date (want YYYY-MM-DD)`),
				fe("body.document.url", "required"),
				fe("body.actions", "must not be empty (omit the field instead)"),
			}},

		// partnership.recorded
		{"partnership: one partner", events.TypePartnership, `{"partnership_id":"p","partners":["us-ca"],"instrument":"treaty","topics":[],"signed":""}`,
			[]events.FieldError{
				fe("body.partners", "needs at least 2 entries, has 1"),
				fe("body.instrument", `"treaty" is not one of mou, sister_city, network, workshop, exchange, joint_project`),
				fe("body.topics", "required"),
				fe("body.signed", "required"),
			}},
		{"partnership: bad and duplicate entries", events.TypePartnership,
			`{"partnership_id":"p","partners":["us-ca","US-NY","us-ca"],"instrument":"mou","topics":["ports","ports",""],"signed":"2015-09-15"}`,
			[]events.FieldError{
				fe("body.partners[1]", `"US-NY" is not a party id (want ^[a-z0-9][a-z0-9-]{0,62}$)`),
				fe("body.partners[2]", "duplicates body.partners[0]"),
				fe("body.topics[1]", "duplicates body.topics[0]"),
				fe("body.topics[2]", "required"),
			}},
		{"partnership: too many partners", events.TypePartnership,
			`{"partnership_id":"p","partners":[$PARTNERS17],"instrument":"network","topics":["x"],"signed":"2015-09-15"}`,
			[]events.FieldError{fe("body.partners", "has 17 entries, at most 16 allowed")}},

		// attestation.issued
		{"attestation: several problems", events.TypeAttestation,
			`{"subject":{"event_id":"not-an-id","hash":"abc"},"standard":"","assurance":"high","materiality_pct":0}`,
			[]events.FieldError{
				fe("body.subject.event_id", `"not-an-id" is not an event id (want a canonical ULID)`),
				fe("body.subject.hash", `"abc" is not a payload hash (want 64 lower-case hex digits)`),
				fe("body.standard", "required"),
				fe("body.assurance", `"high" is not one of limited, reasonable`),
				fe("body.materiality_pct", "0 is outside 0-100 (0 excluded)"),
				fe("body.opinion", "required"),
			}},
		{"attestation: materiality, opinion, summary", events.TypeAttestation,
			`{"subject":{"event_id":"$ID","hash":"$HASH"},"standard":"ISO 14064-3:2019","assurance":"reasonable","materiality_pct":100.5,"opinion":"qualified","summary":"ok\r\n"}`,
			[]events.FieldError{
				fe("body.materiality_pct", "100.5 is outside 0-100 (0 excluded)"),
				fe("body.opinion", `"qualified" is not one of unmodified, modified, adverse, disclaimer`),
				fe("body.summary", "contains control character U+000D"),
			}},

		// event.retracted
		{"retraction: empty", events.TypeRetraction, `{}`,
			[]events.FieldError{
				fe("body.event_id", "required"),
				fe("body.reason", "required"),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.DecodeBody(tt.typ, []byte(bodyVars.Replace(tt.json)))
			if err == nil {
				t.Fatalf("DecodeBody = %#v, want an error", got)
			}
			if got != nil {
				t.Errorf("DecodeBody returned a body with its error: %#v", got)
			}
			var ve *events.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T %v, want a *ValidationError", err, err)
			}
			want := make([]events.FieldError, len(tt.want))
			for i, f := range tt.want {
				want[i] = events.FieldError{Path: f.Path, Message: bodyVars.Replace(f.Message)}
			}
			if !slices.Equal(ve.Fields, want) {
				t.Errorf("problems:\n got %s\nwant %s", fieldList(ve.Fields), fieldList(want))
			}
		})
	}
	if len(tests) < 60 {
		t.Errorf("%d bad bodies, want at least 60", len(tests))
	}
}

func fieldList(fs []events.FieldError) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("\n\t" + f.Path + ": " + f.Message)
	}
	return b.String()
}

func TestGPCTable(t *testing.T) {
	tests := []struct {
		ref    string
		sector string
		scope  int
		ok     bool
	}{
		{"I.1.1", events.SectorStationaryEnergy, 1, true},
		{"I.1.2", events.SectorStationaryEnergy, 2, true},
		{"I.4.4", events.SectorStationaryEnergy, 1, true},
		{"I.8.1", events.SectorStationaryEnergy, 1, true},
		{"II.5.2", events.SectorTransportation, 2, true},
		{"III.2.2", events.SectorWaste, 3, true},
		{"III.4.3", events.SectorWaste, 1, true},
		{"IV.1", events.SectorIPPU, 1, true},
		{"V.2", events.SectorAFOLU, 1, true},
		{"VI.1", events.SectorOtherScope3, 3, true},
		{"I.9.1", "", 0, false},
		{"I.7.2", "", 0, false},
		{"II.5.3", "", 0, false},
		{"IV.1.2", "", 0, false},
		{"iv.1", "", 0, false},
		{"", "", 0, false},
	}
	for _, tt := range tests {
		sector, ok := events.GPCSector(tt.ref)
		if sector != tt.sector || ok != tt.ok {
			t.Errorf("GPCSector(%q) = %q, %v; want %q, %v", tt.ref, sector, ok, tt.sector, tt.ok)
		}
		scope, ok := events.GPCScope(tt.ref)
		if scope != tt.scope || ok != tt.ok {
			t.Errorf("GPCScope(%q) = %d, %v; want %d, %v", tt.ref, scope, ok, tt.scope, tt.ok)
		}
	}
	refs := events.GPCRefs()
	if got, want := len(refs), 53; got != want { // I: 21, II: 14, III: 12, IV: 2, V: 3, VI: 1
		t.Errorf("len(GPCRefs()) = %d, want %d", got, want)
	}
	if got, want := refs[0]+" "+refs[len(refs)-1], "I.1.1 VI.1"; got != want {
		t.Errorf("first and last GPC refs = %q, want %q", got, want)
	}
	for _, ref := range refs {
		if _, ok := events.GPCSector(ref); !ok {
			t.Errorf("GPCSector(%q) not ok for a listed reference", ref)
		}
	}
}

// TestEnumListsAreCopies checks that a caller changing an exported list cannot change
// what the validator accepts.
func TestEnumListsAreCopies(t *testing.T) {
	events.Gases()[0] = "XX"
	events.TargetTypes()[0] = "XX"
	events.GPCRefs()[0] = "XX"
	if got := events.Gases()[0]; got != "CO2" {
		t.Errorf("Gases()[0] = %q after a caller's change, want CO2", got)
	}
	if got := events.TargetTypes()[0]; got != events.TargetBaseYearAbsolute {
		t.Errorf("TargetTypes()[0] = %q after a caller's change, want %s", got, events.TargetBaseYearAbsolute)
	}
	if got := events.GPCRefs()[0]; got != "I.1.1" {
		t.Errorf("GPCRefs()[0] = %q after a caller's change, want I.1.1", got)
	}
}
