package events

import (
	"encoding/base64"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Body validation (docs/SPEC.md §6). Every body type has a validate method that appends
// each problem it finds to a fieldErrors, with a path from the payload root
// ("body.lines[3].gpc_ref"). Problems are reported in the order of the body's fields
// as declared below (the order json.Marshal writes them), array elements in index
// order and object keys (names) in sorted order; a rule that relates two fields is
// reported at one of them, usually the later. Each field gets at most one problem.
//
// Rules shared by every body type:
//
//   - Text: a required text must not be empty; any text that is present must not be
//     blank (white space only) and must not contain control characters (Unicode Cc);
//     long texts (reason, description, summary, target_wording, boundary,
//     explanation, quote) may contain line feeds (U+000A). Lengths count characters
//     (code points): names and titles at most 300, reason, explanation and quote 1000,
//     long texts 4000, short labels (intensity_unit, topics) 100.
//   - Local ids (target_id, plan_id, action_id, partnership_id):
//     ^[a-z0-9][a-z0-9._-]{0,63}$. Party ids: ^[a-z0-9][a-z0-9-]{0,62}$. Event ids:
//     canonical ULIDs. Key ids, hashes and sha256: 64 lower-case hex digits.
//   - Dates: "YYYY-MM-DD", a real calendar date, its year within 1990–2100. Years:
//     integers within 1990–2100.
//   - Numbers for emissions and percentages are Decimals (at most three decimal
//     places, no exponent); percentages are within 0–100.
//   - An optional list or object, when present, must not be empty: omit it instead.
//   - Lists are bounded (keys 16, partners 16, names 32, topics 32, milestones 100,
//     inventory lines 1000, plan actions 500); only the first that many entries of a
//     longer list are checked.

// Limits of the body rules.
const (
	minYear = 1990
	maxYear = 2100

	maxNameLen     = 300  // names, titles, document titles, standard
	maxReasonLen   = 1000 // reason, explanation, quote
	maxTextLen     = 4000 // description, summary, target_wording, boundary
	maxLabelLen    = 100  // intensity_unit, topics
	maxOriginLen   = 200
	maxURLLen      = 2048
	maxKeys        = 16
	maxPartners    = 16
	maxNames       = 32
	maxTopics      = 32
	maxMilestones  = 100
	maxLines       = 1000
	maxPlanActions = 500
)

// Target types (target.set body.type).
const (
	// TargetBaseYearAbsolute: reduce absolute emissions relative to a base year.
	TargetBaseYearAbsolute = "base_year_absolute"
	// TargetFixedLevel: reach an absolute emission level in a target year.
	TargetFixedLevel = "fixed_level"
	// TargetBaseYearIntensity: reduce emissions per unit of output relative to a base year.
	TargetBaseYearIntensity = "base_year_intensity"
	// TargetBaselineScenario: reduce emissions relative to a business-as-usual scenario.
	TargetBaselineScenario = "baseline_scenario"
	// TargetTrajectory: a series of emission levels in milestone years.
	TargetTrajectory = "trajectory"
	// TargetPeak: emissions peak by, before or around a year.
	TargetPeak = "peak"
	// TargetNetZero: net-zero emissions by a target year.
	TargetNetZero = "net_zero"
)

// LevelMunicipality is the level of a province-level municipality of China (直辖市:
// Beijing, Tianjin, Shanghai, Chongqing), which is neither a province nor a city; only
// with country CN.
const LevelMunicipality = "municipality"

// Emission boundaries (target.set and inventory.reported body.boundary_type). Progress
// compares a target only with inventories of the same boundary.
const (
	// BoundaryCommunity: the emissions of the whole jurisdiction (community-wide,
	// citywide, statewide; GPC's geographic boundary). An absent boundary_type means
	// community.
	BoundaryCommunity = "community"
	// BoundaryGovernmentOperations: the emissions of the jurisdiction's own operations
	// only (municipal or state buildings, fleet, facilities; ICLEI's Local Government
	// Operations Protocol).
	BoundaryGovernmentOperations = "government_operations"
)

// Inventory frameworks (inventory.reported body.framework).
const (
	// FrameworkGPC is the Global Protocol for Community-Scale GHG Inventories (2014).
	FrameworkGPC = "GPC"
	// FrameworkIPCC2006 is the 2006 IPCC Guidelines for National GHG Inventories.
	FrameworkIPCC2006 = "IPCC2006"
	// FrameworkNational is a national method (e.g. China's provincial inventory guidelines).
	FrameworkNational = "national"
)

// Inventory reporting levels (inventory.reported body.level).
const (
	// InventoryLevelBasic is GPC BASIC: stationary energy and transportation scopes 1
	// and 2, waste scopes 1 and 3.
	InventoryLevelBasic = "BASIC"
	// InventoryLevelBasicPlus is GPC BASIC+: BASIC plus IPPU, AFOLU, and scope 3 of
	// stationary energy and transportation.
	InventoryLevelBasicPlus = "BASIC+"
	// InventoryLevelTerritorial is the territorial (scope 1) total, for IPCC2006 and
	// national inventories.
	InventoryLevelTerritorial = "territorial"
)

// GasCO2e is the gas of an inventory line that aggregates several gases in CO2e.
const GasCO2e = "CO2e"

// Enumerations. Each exported function returns a new slice in the documented order.
var (
	summits            = []string{"2015-los-angeles", "2016-beijing"}
	partyKinds         = []string{KindJurisdiction, KindVerifier}
	countries          = []string{"US", "CN"}
	jurisdictionLevels = []string{"city", "county", "state", "province", "region", LevelMunicipality}
	boundaryTypes      = []string{BoundaryCommunity, BoundaryGovernmentOperations}
	targetTypes        = []string{TargetBaseYearAbsolute, TargetFixedLevel, TargetBaseYearIntensity, TargetBaselineScenario, TargetTrajectory, TargetPeak, TargetNetZero}
	targetQualifiers   = []string{"by", "before", "around"}
	legalStatuses      = []string{"pledge", "policy", "law"}
	gases              = []string{"CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3"}
	lineGases          = append(slices.Clone(gases), GasCO2e)
	sectors            = []string{SectorStationaryEnergy, SectorTransportation, SectorWaste, SectorIPPU, SectorAFOLU, SectorOtherScope3}
	frameworks         = []string{FrameworkGPC, FrameworkIPCC2006, FrameworkNational}
	inventoryLevels    = []string{InventoryLevelBasic, InventoryLevelBasicPlus, InventoryLevelTerritorial}
	gwps               = []string{"AR4", "AR5", "AR6"}
	notationKeys       = []string{"NO", "IE", "NE", "C"}
	dataQualities      = []string{"H", "M", "L"}
	planSectors        = []string{SectorStationaryEnergy, SectorTransportation, SectorWaste, SectorIPPU, SectorAFOLU, "cross_cutting"}
	actionKinds        = []string{"mitigation", "adaptation"}
	actionStatuses     = []string{"planned", "in_progress", "completed", "cancelled"}
	hazards            = []string{"extreme_heat", "drought", "flood", "sea_level_rise", "wildfire", "storm", "water_scarcity", "other"}
	instruments        = []string{"mou", "sister_city", "network", "workshop", "exchange", "joint_project"}
	assuranceLevels    = []string{"limited", "reasonable"}
	opinions           = []string{"unmodified", "modified", "adverse", "disclaimer"}
)

// Summits returns the Declaration summits: "2015-los-angeles", "2016-beijing".
func Summits() []string { return slices.Clone(summits) }

// Countries returns the countries of jurisdictions: "US", "CN".
func Countries() []string { return slices.Clone(countries) }

// JurisdictionLevels returns the levels of a jurisdiction: city, county, state,
// province, region, municipality.
func JurisdictionLevels() []string { return slices.Clone(jurisdictionLevels) }

// BoundaryTypes returns the emission boundaries of a target or an inventory:
// community, government_operations.
func BoundaryTypes() []string { return slices.Clone(boundaryTypes) }

// EffectiveBoundary returns a boundary_type as it counts: "" (absent) is
// BoundaryCommunity.
func EffectiveBoundary(boundaryType string) string {
	if boundaryType == "" {
		return BoundaryCommunity
	}
	return boundaryType
}

// TargetTypes returns the target types (TargetBaseYearAbsolute … TargetNetZero).
func TargetTypes() []string { return slices.Clone(targetTypes) }

// TargetQualifiers returns the qualifiers of a peak target's year: by, before, around.
func TargetQualifiers() []string { return slices.Clone(targetQualifiers) }

// LegalStatuses returns the legal statuses of a target: pledge, policy, law.
func LegalStatuses() []string { return slices.Clone(legalStatuses) }

// Gases returns the seven Kyoto gases: CO2, CH4, N2O, HFCs, PFCs, SF6, NF3. An
// inventory line may also use GasCO2e.
func Gases() []string { return slices.Clone(gases) }

// Sectors returns the GPC sectors: stationary_energy, transportation, waste, ippu,
// afolu, other_scope3 (the values of GPCSector and of target coverage).
func Sectors() []string { return slices.Clone(sectors) }

// Frameworks returns the inventory frameworks: GPC, IPCC2006, national.
func Frameworks() []string { return slices.Clone(frameworks) }

// InventoryLevels returns the inventory reporting levels: BASIC, BASIC+, territorial.
func InventoryLevels() []string { return slices.Clone(inventoryLevels) }

// GWPs returns the IPCC assessment reports whose global warming potentials an
// inventory may use: AR4, AR5, AR6.
func GWPs() []string { return slices.Clone(gwps) }

// NotationKeys returns the GPC notation keys: NO (not occurring), IE (included
// elsewhere), NE (not estimated), C (confidential).
func NotationKeys() []string { return slices.Clone(notationKeys) }

// DataQualities returns the GPC data quality ratings: H (high), M (medium), L (low).
func DataQualities() []string { return slices.Clone(dataQualities) }

// PlanSectors returns the sectors of a plan action: the GPC sectors except
// other_scope3, and cross_cutting.
func PlanSectors() []string { return slices.Clone(planSectors) }

// ActionKinds returns the kinds of a plan action: mitigation, adaptation.
func ActionKinds() []string { return slices.Clone(actionKinds) }

// ActionStatuses returns the statuses of a plan action: planned, in_progress,
// completed, cancelled.
func ActionStatuses() []string { return slices.Clone(actionStatuses) }

// Hazards returns the climate hazards an adaptation action may address.
func Hazards() []string { return slices.Clone(hazards) }

// PartnershipInstruments returns the instruments of a partnership: mou, sister_city,
// network, workshop, exchange, joint_project.
func PartnershipInstruments() []string { return slices.Clone(instruments) }

// AssuranceLevels returns the assurance levels of an attestation: limited, reasonable.
func AssuranceLevels() []string { return slices.Clone(assuranceLevels) }

// Opinions returns the opinions of an attestation: unmodified, modified, adverse,
// disclaimer.
func Opinions() []string { return slices.Clone(opinions) }

var (
	localIDPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	langTagPattern  = regexp.MustCompile(`^[a-z]{2,3}(-[a-z0-9]{2,8})*$`)
	datePattern     = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
	iso3166Pattern  = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)
	unlocodePattern = regexp.MustCompile(`^[A-Z]{2} ?[A-Z2-9]{3}$`)
	alpha2Pattern   = regexp.MustCompile(`^[A-Z]{2}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ---- network chain ----

// validate checks a network.genesis body:
//   - origin: required, at most 200 characters, no white space, no '+', no control
//     characters (a signed-note key name);
//   - name: required text, at most 300 characters;
//   - registrar_keys: 1 to 16 valid keys with distinct key ids;
//   - log_key: required, a signed-note Ed25519 verifier key
//     (<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte key)>) in canonical form
//     (lower-case hash, standard base64) whose name equals origin.
func (b *GenesisBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	originOK := v.origin("body.origin", b.Origin)
	v.text("body.name", b.Name, true, maxNameLen, false)
	v.keyList("body.registrar_keys", b.RegistrarKeys)
	v.logKey("body.log_key", b.LogKey, b.Origin, originOK)
}

// validate checks a registrar.key_added body: key a valid key; reason optional text
// (at most 1000 characters).
func (b *RegistrarKeyAddedBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.keyRef("body.key", b.Key)
	v.text("body.reason", b.Reason, false, maxReasonLen, true)
}

// validate checks a registrar.key_revoked body: keyid required (64 lower-case hex
// digits); reason required text (at most 1000 characters).
func (b *RegistrarKeyRevokedBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.keyID("body.keyid", b.KeyID)
	v.text("body.reason", b.Reason, true, maxReasonLen, true)
}

// ---- party chains ----

// validate checks a party.enrolled body:
//   - kind: required, jurisdiction or verifier;
//   - names: required object of language tag (^[a-z]{2,3}(-[a-z0-9]{2,8})*$) → name
//     (text, at most 300 characters), at most 32 entries, "en" required;
//   - country: for a jurisdiction required, US or CN; for a verifier optional, an ISO
//     3166-1 alpha-2 code;
//   - level: for a jurisdiction required, city, county, state, province, region or
//     municipality (only with country CN); for a verifier absent;
//   - parent: for a jurisdiction optional, a party id; for a verifier absent;
//   - codes: optional, not empty; iso3166_2 ^[A-Z]{2}-[A-Z0-9]{1,3}$ and unlocode
//     ^[A-Z]{2} ?[A-Z2-9]{3}$, each optional; for a jurisdiction both start with its
//     country;
//   - keys: 1 to 16 valid keys with distinct key ids;
//   - endorsements: for a jurisdiction optional, not empty, at most 2, each {summit
//     (2015-los-angeles or 2016-beijing), date, source (optional DocumentRef)}, no
//     summit twice; for a verifier absent;
//   - participations: for a jurisdiction optional, not empty, at most 2, each
//     {summit, date, source (optional DocumentRef)}, no summit twice and none that
//     is among endorsements; for a verifier absent.
func (b *EnrolledBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	kindOK := v.enum("body.kind", b.Kind, true, partyKinds)
	juris := kindOK && b.Kind == KindJurisdiction
	verifier := kindOK && b.Kind == KindVerifier

	v.names("body.names", b.Names)

	country := ""
	switch {
	case verifier:
		if b.Country != "" && !alpha2Pattern.MatchString(b.Country) {
			v.add("body.country", "%s is not an ISO 3166-1 alpha-2 code", quoteValue(b.Country))
		}
	default:
		if v.enum("body.country", b.Country, juris, countries) {
			country = b.Country
		}
	}

	if verifier {
		v.absent("body.level", b.Level != "", "kind verifier")
		v.absent("body.parent", b.Parent != "", "kind verifier")
	} else {
		if v.enum("body.level", b.Level, juris, jurisdictionLevels) && b.Level == LevelMunicipality && country != "CN" {
			v.add("body.level", "%s is only used with country CN (a province-level municipality)", b.Level)
		}
		if b.Parent != "" {
			v.partyID("body.parent", b.Parent)
		}
	}

	if b.Codes != nil {
		v.codes("body.codes", b.Codes, country)
	}

	v.keyList("body.keys", b.Keys)

	if verifier {
		v.absent("body.endorsements", b.Endorsements != nil, "kind verifier")
		v.absent("body.participations", b.Participations != nil, "kind verifier")
		return
	}
	if b.Endorsements != nil && len(b.Endorsements) == 0 {
		v.add("body.endorsements", "must not be empty (omit the field instead)")
	}
	seen := map[string]string{} // summit → the path of the element that names it
	for i, e := range limit(v, "body.endorsements", b.Endorsements, len(summits)) {
		v.summitRef(pathIndex("body.endorsements", i), e.Summit, e.Date, e.Source, seen)
	}
	if b.Participations != nil && len(b.Participations) == 0 {
		v.add("body.participations", "must not be empty (omit the field instead)")
	}
	for i, e := range limit(v, "body.participations", b.Participations, len(summits)) {
		v.summitRef(pathIndex("body.participations", i), e.Summit, e.Date, e.Source, seen)
	}
}

// summitRef checks one endorsement or participation of an enrolment: summit required,
// one of Summits and not named before (seen maps each summit to the element that
// named it); date required; source an optional DocumentRef.
func (v bodyCheck) summitRef(p, summit, date string, source *DocumentRef, seen map[string]string) {
	if v.enum(p+".summit", summit, true, summits) {
		if prev, dup := seen[summit]; dup {
			v.add(p+".summit", "duplicates %s.summit", prev)
		} else {
			seen[summit] = p
		}
	}
	v.date(p+".date", date, true)
	v.document(p+".source", source)
}

// validate checks a key.added body: key a valid key; reason optional text (at most 1000
// characters).
func (b *KeyAddedBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.keyRef("body.key", b.Key)
	v.text("body.reason", b.Reason, false, maxReasonLen, true)
}

// validate checks a key.revoked body: keyid required (64 lower-case hex digits);
// reason required text (at most 1000 characters).
func (b *KeyRevokedBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.keyID("body.keyid", b.KeyID)
	v.text("body.reason", b.Reason, true, maxReasonLen, true)
}

// EndorsementBody records a jurisdiction's endorsement of the U.S.-China Climate
// Leaders Declaration at one of its summits.
//
// Rules: summit required, 2015-los-angeles or 2016-beijing; date required (the date of
// the endorsement); target_wording optional text of at most 4000 characters (the
// target as worded in the Declaration); source optional DocumentRef (the document
// that shows the endorsement).
type EndorsementBody struct {
	Summit        string       `json:"summit"`
	Date          string       `json:"date"`
	TargetWording string       `json:"target_wording,omitempty"`
	Source        *DocumentRef `json:"source,omitempty"`
}

// EventType implements Body.
func (*EndorsementBody) EventType() string { return TypeEndorsement }

func (b *EndorsementBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.enum("body.summit", b.Summit, true, summits)
	v.date("body.date", b.Date, true)
	v.text("body.target_wording", b.TargetWording, false, maxTextLen, true)
	v.document("body.source", b.Source)
}

// ---- targets ----

// TargetSetBody sets a GHG target, or revises it: a later target.set with the same
// target_id replaces the earlier one.
//
// Rules for every type:
//   - target_id: required local id; type: required, one of TargetTypes;
//   - years (base_year, target_year, peak_year, year_set, milestone years) within
//     1990–2100; base_year before target_year; year_set not after target_year (or,
//     without one, peak_year or the last milestone year);
//   - base_emissions_tco2e, baseline_emissions_tco2e and base_intensity greater than 0;
//     target_emissions_tco2e at least 0; reduction_pct within 0–100;
//   - coverage optional, not empty: gases (Gases), sectors (Sectors), scopes (1–3),
//     each optional, not empty, without duplicates;
//   - offsets optional: allowed (absent means false) and max_pct (0–100), which is
//     only allowed when allowed is true;
//   - boundary_type optional: community (the default when absent) or
//     government_operations; progress compares the target only with inventories of
//     the same boundary;
//   - legal_status required: pledge, policy or law; source optional DocumentRef;
//     description optional text of at most 4000 characters.
//
// Fields by type (R required, O optional, - not used: present is an error):
//
//	type                 base_year base_em target_year reduction target_em baseline peak_year qualifier intensity_unit base_intensity milestones
//	base_year_absolute   R         O       R           O*        O*        -        -         -         -              -              -
//	fixed_level          O+        O+      R           -         R         -        -         -         -              -              -
//	base_year_intensity  R         -       R           R         -         -        -         -         R              O              -
//	baseline_scenario    -         -       R           R         -        O        -         -         -              -              -
//	trajectory           O+        O+      O           -         -         -        -         -         -              -              R
//	peak                 -         -       O           -         -         -        R         R         -              -              -
//	net_zero             O+        O+      R           -         -         -        -         -         -              -              -
//
// O*: exactly one of reduction_pct and target_emissions_tco2e, and target_emissions_tco2e
// at most base_emissions_tco2e when that is given. A base_year_absolute target without
// base_emissions_tco2e ("40% below 2009 by 2030", no base figure stated) is valid:
// progress takes the base from the party's inventory of the base year, and without
// one says it is not assessable. O+: base_year and base_emissions_tco2e come together.
// trajectory: at least 2 milestones (at most 100), years strictly increasing, the first
// after base_year; target_year, if given, equals the last milestone year. peak:
// qualifier by, before or around; target_year, if given, equals peak_year.
type TargetSetBody struct {
	TargetID string `json:"target_id"`
	Type     string `json:"type"`
	// BaseYear is the year emissions are compared with.
	BaseYear *int `json:"base_year,omitempty"`
	// BaseEmissionsTCO2e is the base year's emissions, in tCO2e.
	BaseEmissionsTCO2e *Decimal `json:"base_emissions_tco2e,omitempty"`
	TargetYear         *int     `json:"target_year,omitempty"`
	// ReductionPct is the reduction, in percent, from the base year (or from the
	// baseline scenario, or of intensity).
	ReductionPct *Decimal `json:"reduction_pct,omitempty"`
	// TargetEmissionsTCO2e is the emission level to reach in the target year, in tCO2e.
	TargetEmissionsTCO2e *Decimal `json:"target_emissions_tco2e,omitempty"`
	// BaselineEmissionsTCO2e is the business-as-usual emissions in the target year.
	BaselineEmissionsTCO2e *Decimal `json:"baseline_emissions_tco2e,omitempty"`
	PeakYear               *int     `json:"peak_year,omitempty"`
	// Qualifier says how the peak year is meant: by, before or around it.
	Qualifier string `json:"qualifier,omitempty"`
	// IntensityUnit names the intensity measure, e.g. "tCO2e per million CNY GDP".
	IntensityUnit string `json:"intensity_unit,omitempty"`
	// BaseIntensity is the base year's intensity, in IntensityUnit.
	BaseIntensity *Decimal    `json:"base_intensity,omitempty"`
	Milestones    []Milestone `json:"milestones,omitempty"`
	Coverage      *Coverage   `json:"coverage,omitempty"`
	// BoundaryType is community (also when "") or government_operations.
	BoundaryType string       `json:"boundary_type,omitempty"`
	Offsets      *Offsets     `json:"offsets,omitempty"`
	LegalStatus  string       `json:"legal_status"`
	YearSet      *int         `json:"year_set,omitempty"`
	Source       *DocumentRef `json:"source,omitempty"`
	Description  string       `json:"description,omitempty"`
}

// Milestone is one point of a trajectory target: the emission level to reach by a
// year. Both fields are required.
type Milestone struct {
	Year                 int      `json:"year"`
	TargetEmissionsTCO2e *Decimal `json:"target_emissions_tco2e,omitempty"`
}

// Coverage is what a target covers. Each list is optional, but not empty when present,
// and has no duplicates.
type Coverage struct {
	// Gases are among Gases.
	Gases []string `json:"gases,omitempty"`
	// Sectors are among Sectors.
	Sectors []string `json:"sectors,omitempty"`
	// Scopes are 1, 2 or 3.
	Scopes []int `json:"scopes,omitempty"`
}

// Offsets says whether a target may be met with offsets, and up to what share.
type Offsets struct {
	Allowed bool `json:"allowed"`
	// MaxPct is the largest share of the reduction, in percent, that offsets may
	// provide; only with Allowed.
	MaxPct *Decimal `json:"max_pct,omitempty"`
}

// fieldUse says whether a target type uses a field.
type fieldUse uint8

const (
	useNo fieldUse = iota
	useOptional
	useRequired
)

// targetUse is one row of the TargetSetBody table.
type targetUse struct {
	baseYear, baseEmissions, targetYear, reductionPct, targetEmissions, baseline,
	peakYear, qualifier, intensityUnit, baseIntensity, milestones fieldUse
	// basePair: base_year and base_emissions_tco2e are optional but come together.
	basePair bool
}

// targetUses is the table in the TargetSetBody doc comment.
var targetUses = func() map[string]targetUse {
	const n, o, r = useNo, useOptional, useRequired
	return map[string]targetUse{
		TargetBaseYearAbsolute:  {r, o, r, o, o, n, n, n, n, n, n, false},
		TargetFixedLevel:        {o, o, r, n, r, n, n, n, n, n, n, true},
		TargetBaseYearIntensity: {r, n, r, r, n, n, n, n, r, o, n, false},
		TargetBaselineScenario:  {n, n, r, r, n, o, n, n, n, n, n, false},
		TargetTrajectory:        {o, o, o, n, n, n, n, n, n, n, r, true},
		TargetPeak:              {n, n, o, n, n, n, r, r, n, n, n, false},
		TargetNetZero:           {o, o, r, n, n, n, n, n, n, n, n, true},
	}
}()

// anyUse is used when the type is not known: every present field is checked on its own.
var anyUse = targetUse{useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, useOptional, false}

// EventType implements Body.
func (*TargetSetBody) EventType() string { return TypeTargetSet }

func (b *TargetSetBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.localID("body.target_id", b.TargetID, true)
	typeOK := v.enum("body.type", b.Type, true, targetTypes)
	u := anyUse
	if typeOK {
		u = targetUses[b.Type]
	}
	// use reports a field that the type requires but is absent, or does not use but is
	// present; it returns whether the field is present and used.
	use := func(path string, has bool, fu fieldUse) bool {
		switch {
		case has && fu == useNo:
			v.add(path, "not used by type %s", b.Type)
			return false
		case !has && fu == useRequired:
			v.add(path, "required for type %s", b.Type)
			return false
		}
		return has
	}

	baseYear := 0 // a valid base_year, or 0
	if use("body.base_year", b.BaseYear != nil, u.baseYear) {
		if v.year("body.base_year", *b.BaseYear) {
			baseYear = *b.BaseYear
		}
	} else if u.basePair && b.BaseYear == nil && b.BaseEmissionsTCO2e != nil {
		v.add("body.base_year", "required when base_emissions_tco2e is given")
	}

	var baseEm *Decimal // a valid base_emissions_tco2e, or nil
	if use("body.base_emissions_tco2e", b.BaseEmissionsTCO2e != nil, u.baseEmissions) {
		if v.positive("body.base_emissions_tco2e", *b.BaseEmissionsTCO2e) {
			baseEm = b.BaseEmissionsTCO2e
		}
	} else if u.basePair && b.BaseEmissionsTCO2e == nil && b.BaseYear != nil {
		v.add("body.base_emissions_tco2e", "required when base_year is given")
	}

	// Years a target_year must agree with.
	peakYear := 0
	if u.peakYear != useNo && b.PeakYear != nil && yearInRange(*b.PeakYear) {
		peakYear = *b.PeakYear
	}
	lastMilestone := 0
	if u.milestones != useNo && len(b.Milestones) > 0 {
		lastMilestone = b.Milestones[min(len(b.Milestones), maxMilestones)-1].Year
	}

	endYear, endName := 0, "" // the year the target is for, to check year_set against
	if use("body.target_year", b.TargetYear != nil, u.targetYear) && v.year("body.target_year", *b.TargetYear) {
		ty := *b.TargetYear
		switch {
		case baseYear != 0 && ty <= baseYear:
			v.add("body.target_year", "must be after base_year %d", baseYear)
		case typeOK && b.Type == TargetPeak && peakYear != 0 && ty != peakYear:
			v.add("body.target_year", "must equal peak_year %d", peakYear)
		case typeOK && b.Type == TargetTrajectory && yearInRange(lastMilestone) && ty != lastMilestone:
			v.add("body.target_year", "must equal the last milestone year %d", lastMilestone)
		default:
			endYear, endName = ty, "target_year"
		}
	}

	if use("body.reduction_pct", b.ReductionPct != nil, u.reductionPct) {
		v.percent("body.reduction_pct", *b.ReductionPct)
	} else if typeOK && b.Type == TargetBaseYearAbsolute && b.ReductionPct == nil && b.TargetEmissionsTCO2e == nil {
		v.add("body.reduction_pct", "required for type %s unless target_emissions_tco2e is given", b.Type)
	}

	if use("body.target_emissions_tco2e", b.TargetEmissionsTCO2e != nil, u.targetEmissions) {
		te := *b.TargetEmissionsTCO2e
		switch {
		case typeOK && b.Type == TargetBaseYearAbsolute && b.ReductionPct != nil:
			v.add("body.target_emissions_tco2e", "not allowed together with reduction_pct (give exactly one)")
		case !v.nonNegative("body.target_emissions_tco2e", te):
		case typeOK && b.Type == TargetBaseYearAbsolute && baseEm != nil && te > *baseEm:
			v.add("body.target_emissions_tco2e", "must not exceed base_emissions_tco2e %s", *baseEm)
		}
	}

	if use("body.baseline_emissions_tco2e", b.BaselineEmissionsTCO2e != nil, u.baseline) {
		v.positive("body.baseline_emissions_tco2e", *b.BaselineEmissionsTCO2e)
	}

	if use("body.peak_year", b.PeakYear != nil, u.peakYear) && v.year("body.peak_year", *b.PeakYear) && endYear == 0 {
		endYear, endName = *b.PeakYear, "peak_year"
	}

	if use("body.qualifier", b.Qualifier != "", u.qualifier) {
		v.enum("body.qualifier", b.Qualifier, true, targetQualifiers)
	}

	if use("body.intensity_unit", b.IntensityUnit != "", u.intensityUnit) {
		v.text("body.intensity_unit", b.IntensityUnit, true, maxLabelLen, false)
	}

	if use("body.base_intensity", b.BaseIntensity != nil, u.baseIntensity) {
		v.positive("body.base_intensity", *b.BaseIntensity)
	}

	if use("body.milestones", b.Milestones != nil, u.milestones) {
		ms := b.Milestones
		switch {
		case typeOK && b.Type == TargetTrajectory && len(ms) < 2:
			v.add("body.milestones", "needs at least 2 entries, has %d", len(ms))
		case len(ms) == 0:
			v.add("body.milestones", "must not be empty (omit the field instead)")
		}
		ms = limit(v, "body.milestones", ms, maxMilestones)
		prev, prevName := baseYear, "base_year" // the last accepted year
		lastOK := false                         // whether the last milestone's year was accepted
		for i, m := range ms {
			p := pathIndex("body.milestones", i)
			lastOK = false
			switch {
			case m.Year == 0:
				v.add(p+".year", "required")
			case !v.year(p+".year", m.Year):
			case prev != 0 && m.Year <= prev:
				v.add(p+".year", "must be after %s %d", prevName, prev)
			default:
				prev, prevName, lastOK = m.Year, p+".year", true
			}
			if m.TargetEmissionsTCO2e == nil {
				v.add(p+".target_emissions_tco2e", "required")
			} else {
				v.nonNegative(p+".target_emissions_tco2e", *m.TargetEmissionsTCO2e)
			}
		}
		if lastOK && endYear == 0 && typeOK && b.Type == TargetTrajectory {
			endYear, endName = prev, "the last milestone year"
		}
	}

	if b.Coverage != nil {
		v.coverage("body.coverage", b.Coverage)
	}
	v.enum("body.boundary_type", b.BoundaryType, false, boundaryTypes)

	if b.Offsets != nil && b.Offsets.MaxPct != nil {
		if !b.Offsets.Allowed {
			v.add("body.offsets.max_pct", "only allowed when allowed is true")
		} else {
			v.percent("body.offsets.max_pct", *b.Offsets.MaxPct)
		}
	}

	v.enum("body.legal_status", b.LegalStatus, true, legalStatuses)

	if b.YearSet != nil && v.year("body.year_set", *b.YearSet) && endYear != 0 && *b.YearSet > endYear {
		v.add("body.year_set", "must not be after %s %d", endName, endYear)
	}

	v.document("body.source", b.Source)
	v.text("body.description", b.Description, false, maxTextLen, true)
}

// TargetWithdrawnBody withdraws one of the party's targets.
//
// Rules: target_id required local id; reason required text of at most 1000
// characters. That the target exists and is active is a replay rule, not a body rule.
type TargetWithdrawnBody struct {
	TargetID string `json:"target_id"`
	Reason   string `json:"reason"`
}

// EventType implements Body.
func (*TargetWithdrawnBody) EventType() string { return TypeTargetWithdrawn }

func (b *TargetWithdrawnBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.localID("body.target_id", b.TargetID, true)
	v.text("body.reason", b.Reason, true, maxReasonLen, true)
}

// ---- inventories ----

// InventoryBody reports a GHG inventory for one year.
//
// Rules:
//   - year: required, within 1990–2100;
//   - framework: required, GPC, IPCC2006 or national;
//   - level: required; BASIC and BASIC+ only with framework GPC, territorial only with
//     IPCC2006 or national;
//   - gwp: required, AR4, AR5 or AR6;
//   - lines: required (at least one) for framework GPC, optional (not empty) otherwise,
//     at most 1000; see InventoryLine. No two lines have the same gpc_ref and gas, and
//     a gpc_ref with an aggregated CO2e line has no per-gas lines (and vice versa).
//     Each line's source must belong in the level's total (GPC Table 4.3): BASIC holds
//     only BASIC sources (no I.x.3 or II.x.3 scope 3, no I.4.4, no III.x.3, no IV, V or
//     VI.1); BASIC+ also holds IV, V, I.x.3 and II.x.3 (not I.4.4, III.x.3 or VI.1);
//     territorial holds scope 1 sources only;
//   - total_tco2e: required; with lines, exactly the sum of their tco2e; without lines,
//     at least 0;
//   - restates: optional event id of the inventory this one recalculates;
//   - source: optional DocumentRef; boundary_type: optional, community (the default
//     when absent) or government_operations; boundary: optional text of at most 4000
//     characters describing the inventory boundary.
type InventoryBody struct {
	Year      int    `json:"year"`
	Framework string `json:"framework"`
	Level     string `json:"level"`
	GWP       string `json:"gwp"`
	// Lines are the inventory's figures, by GPC reference number and gas.
	Lines []InventoryLine `json:"lines,omitempty"`
	// TotalTCO2e is the inventory total in tCO2e; it is never nil in a valid body.
	TotalTCO2e *Decimal `json:"total_tco2e,omitempty"`
	// Restates is the id of an earlier inventory event of the same party and year
	// that this one recalculates ("" when it does not).
	Restates string       `json:"restates,omitempty"`
	Source   *DocumentRef `json:"source,omitempty"`
	// BoundaryType is community (also when "") or government_operations. A
	// restatement has the boundary of the inventory it restates (a replay rule).
	BoundaryType string `json:"boundary_type,omitempty"`
	Boundary     string `json:"boundary,omitempty"`
}

// InventoryLine is one figure of an inventory.
//
// Rules: gpc_ref required, a GPC reference number (GPCRefs); scope required, the scope
// of gpc_ref (GPCScope); gas required, one of Gases or GasCO2e; exactly one of tco2e
// and notation (NO, IE, NE or C); tco2e at least 0, except for V.2 (land), which may
// report net removals as a negative figure; explanation (text of at most 1000
// characters) required with a notation key and not allowed without one; quality
// optional, H, M or L.
type InventoryLine struct {
	GPCRef      string   `json:"gpc_ref"`
	Scope       int      `json:"scope"`
	Gas         string   `json:"gas"`
	TCO2e       *Decimal `json:"tco2e,omitempty"`
	Notation    string   `json:"notation,omitempty"`
	Explanation string   `json:"explanation,omitempty"`
	Quality     string   `json:"quality,omitempty"`
}

// EventType implements Body.
func (*InventoryBody) EventType() string { return TypeInventoryReported }

func (b *InventoryBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	if b.Year == 0 {
		v.add("body.year", "required")
	} else {
		v.year("body.year", b.Year)
	}
	fwOK := v.enum("body.framework", b.Framework, true, frameworks)
	level := "" // a valid level that fits the framework, or ""
	if v.enum("body.level", b.Level, true, inventoryLevels) {
		gpcLevel := b.Level != InventoryLevelTerritorial
		switch {
		case fwOK && gpcLevel && b.Framework != FrameworkGPC:
			v.add("body.level", "%s is only used with framework GPC", b.Level)
		case fwOK && !gpcLevel && b.Framework == FrameworkGPC:
			v.add("body.level", "%s is not used with framework GPC (use BASIC or BASIC+)", b.Level)
		default:
			level = b.Level
		}
	}
	v.enum("body.gwp", b.GWP, true, gwps)

	switch {
	case len(b.Lines) == 0 && fwOK && b.Framework == FrameworkGPC:
		v.add("body.lines", "required for framework GPC")
	case b.Lines != nil && len(b.Lines) == 0:
		v.add("body.lines", "must not be empty (omit the field instead)")
	}
	lines := limit(v, "body.lines", b.Lines, maxLines)
	type refGas struct{ ref, gas string }
	var seen smallMap[refGas]       // gpc_ref and gas → first line
	var aggregated smallMap[string] // gpc_ref → first line with gas CO2e
	var perGas smallMap[string]     // gpc_ref → first line with a single gas
	var sum lineSum
	for i := range lines {
		l := &lines[i]
		l.validate(v, i, level)
		if l.TCO2e != nil {
			sum.add(*l.TCO2e)
		}
		if _, known := gpcByRef[l.GPCRef]; !known || !slices.Contains(lineGases, l.Gas) {
			continue
		}
		p := pathIndex("body.lines", i) + ".gas" // only used in messages below
		k := refGas{l.GPCRef, l.Gas}
		if j, dup := seen.get(k); dup {
			v.add(p, "duplicates %s (same gpc_ref and gas)", pathIndex("body.lines", j))
			continue
		}
		seen.set(k, i)
		if l.Gas == GasCO2e {
			if j, ok := perGas.get(l.GPCRef); ok {
				v.add(p, "%s already has per-gas lines (%s); an aggregated CO2e line would count them twice", l.GPCRef, pathIndex("body.lines", j))
				continue
			}
			aggregated.set(l.GPCRef, i)
		} else {
			if j, ok := aggregated.get(l.GPCRef); ok {
				v.add(p, "%s already has an aggregated CO2e line (%s)", l.GPCRef, pathIndex("body.lines", j))
				continue
			}
			if _, ok := perGas.get(l.GPCRef); !ok {
				perGas.set(l.GPCRef, i)
			}
		}
	}

	switch {
	case b.TotalTCO2e == nil:
		v.add("body.total_tco2e", "required")
	case len(b.Lines) > maxLines:
		// Not every line was checked; the sum would mislead.
	case len(b.Lines) > 0:
		if !sum.equals(*b.TotalTCO2e) {
			v.add("body.total_tco2e", "%s does not match the sum of lines %s", *b.TotalTCO2e, formatThousandths(sum.big()))
		}
	default:
		v.nonNegative("body.total_tco2e", *b.TotalTCO2e)
	}

	if b.Restates != "" {
		v.eventID("body.restates", b.Restates)
	}
	v.document("body.source", b.Source)
	v.enum("body.boundary_type", b.BoundaryType, false, boundaryTypes)
	v.text("body.boundary", b.Boundary, false, maxTextLen, true)
}

// smallMap maps keys to line numbers: a linear search over the first few keys, a map
// after them (an inventory has up to 1000 lines, most have a dozen).
type smallMap[K comparable] struct {
	n    int
	keys [16]K
	vals [16]int
	m    map[K]int
}

func (s *smallMap[K]) get(k K) (int, bool) {
	for i := range s.n {
		if s.keys[i] == k {
			return s.vals[i], true
		}
	}
	v, ok := s.m[k]
	return v, ok
}

func (s *smallMap[K]) set(k K, v int) {
	for i := range s.n {
		if s.keys[i] == k {
			s.vals[i] = v
			return
		}
	}
	if s.n < len(s.keys) {
		if _, ok := s.m[k]; !ok {
			s.keys[s.n], s.vals[s.n] = k, v
			s.n++
			return
		}
	}
	if s.m == nil {
		s.m = map[K]int{}
	}
	s.m[k] = v
}

// lineSum adds Decimals exactly: in an int64 while it fits, then in a big.Int.
type lineSum struct {
	small int64
	large *big.Int // non-nil once the sum left the int64 range
}

func (s *lineSum) add(d Decimal) {
	if s.large == nil {
		if r := s.small + int64(d); (d > 0 && r < s.small) || (d < 0 && r > s.small) {
			s.large = big.NewInt(s.small)
		} else {
			s.small = r
			return
		}
	}
	s.large.Add(s.large, big.NewInt(int64(d)))
}

func (s *lineSum) big() *big.Int {
	if s.large != nil {
		return s.large
	}
	return big.NewInt(s.small)
}

func (s *lineSum) equals(d Decimal) bool {
	if s.large != nil {
		return s.large.Cmp(big.NewInt(int64(d))) == 0
	}
	return s.small == int64(d)
}

// validate checks line i of an inventory; level is the inventory's level when it is
// valid and fits the framework, else "". Paths are built only for problems: this
// loop runs for up to 1000 lines.
func (l *InventoryLine) validate(v bodyCheck, i int, level string) {
	p := func(field string) string { return pathIndex("body.lines", i) + field }
	row, known := gpcByRef[l.GPCRef]
	switch {
	case l.GPCRef == "":
		v.add(p(".gpc_ref"), "required")
	case !known:
		v.add(p(".gpc_ref"), "unknown GPC reference %s", quoteValue(l.GPCRef))
	case level != "" && !gpcInLevel(row, level):
		if level == InventoryLevelTerritorial {
			v.add(p(".gpc_ref"), "%s is a scope %d source, not part of a territorial inventory (scope 1 only)", l.GPCRef, row.scope)
		} else {
			v.add(p(".gpc_ref"), "%s is not part of a %s inventory", l.GPCRef, level)
		}
	}
	switch {
	case l.Scope == 0:
		v.add(p(".scope"), "required")
	case l.Scope < 1 || l.Scope > 3:
		v.add(p(".scope"), "%d is not a scope (want 1, 2 or 3)", l.Scope)
	case known && l.Scope != row.scope:
		v.add(p(".scope"), "%s is a scope %d source, not scope %d", l.GPCRef, row.scope, l.Scope)
	}
	if l.Gas == "" || !slices.Contains(lineGases, l.Gas) { // as enum would find
		v.enum(p(".gas"), l.Gas, true, lineGases)
	}
	switch {
	case l.TCO2e == nil && l.Notation == "":
		v.add(p(".tco2e"), "required unless notation is given")
	case l.TCO2e != nil && *l.TCO2e < 0 && l.GPCRef != gpcLandRef:
		v.add(p(".tco2e"), "%s is negative (only %s, land, may report net removals)", *l.TCO2e, gpcLandRef)
	}
	if l.Notation != "" {
		if l.TCO2e != nil {
			v.add(p(".notation"), "not allowed together with tco2e (give exactly one)")
		} else if !slices.Contains(notationKeys, l.Notation) {
			v.enum(p(".notation"), l.Notation, true, notationKeys)
		}
	}
	explanation := func(required bool) {
		if _, problem := checkText(l.Explanation, required, maxReasonLen, true); problem != "" {
			v.add(p(".explanation"), "%s", problem)
		}
	}
	switch {
	case l.Notation != "" && l.TCO2e == nil:
		if l.Explanation == "" {
			v.add(p(".explanation"), "required with a notation key")
		} else {
			explanation(true)
		}
	case l.Explanation != "" && l.Notation == "":
		v.add(p(".explanation"), "only allowed with a notation key")
	default:
		explanation(false)
	}
	if l.Quality != "" && !slices.Contains(dataQualities, l.Quality) {
		v.enum(p(".quality"), l.Quality, false, dataQualities)
	}
}

// formatThousandths writes a sum of Decimal units in Decimal's wire form.
func formatThousandths(x *big.Int) string {
	if x.IsInt64() {
		return Decimal(x.Int64()).String()
	}
	sign := ""
	a := new(big.Int).Set(x)
	if a.Sign() < 0 {
		sign = "-"
		a.Neg(a)
	}
	q, m := new(big.Int).QuoRem(a, big.NewInt(DecimalScale), new(big.Int))
	s := sign + q.String()
	if m.Sign() != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%03d", m.Int64()), "0")
	}
	return s
}

// ---- plans ----

// PlanBody publishes a version of a climate action plan; a later plan.published with
// the same plan_id and a higher version revises it (the version order is a replay
// rule).
//
// Rules: plan_id required local id; version required, at least 1; title required text
// of at most 300 characters; adopted required date; horizon_year required, within
// 1990–2100 and not before the adopted year; document optional DocumentRef; actions
// optional (not empty, at most 500) with distinct action_ids, see PlanAction.
type PlanBody struct {
	PlanID  string `json:"plan_id"`
	Version int    `json:"version"`
	Title   string `json:"title"`
	// Adopted is the date the plan was adopted, YYYY-MM-DD.
	Adopted string `json:"adopted"`
	// HorizonYear is the last year the plan covers.
	HorizonYear int          `json:"horizon_year"`
	Document    *DocumentRef `json:"document,omitempty"`
	Actions     []PlanAction `json:"actions,omitempty"`
}

// PlanAction is one action of a plan.
//
// Rules: action_id required local id, unique in the plan; title required text of at
// most 300 characters; sector required, one of PlanSectors; kind required, mitigation
// or adaptation; status required, one of ActionStatuses;
// expected_reduction_tco2e_per_year optional, at least 0, mitigation only; hazards
// optional (not empty, no duplicates, among Hazards), adaptation only; cost optional.
type PlanAction struct {
	ActionID string `json:"action_id"`
	Title    string `json:"title"`
	Sector   string `json:"sector"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	// ExpectedReductionTCO2ePerYear is the yearly reduction the action is expected to
	// bring once in effect, in tCO2e.
	ExpectedReductionTCO2ePerYear *Decimal `json:"expected_reduction_tco2e_per_year,omitempty"`
	Hazards                       []string `json:"hazards,omitempty"`
	Cost                          *Cost    `json:"cost,omitempty"`
}

// Cost is the estimated cost of an action: amount required, at least 0; currency
// required, an ISO 4217 code (^[A-Z]{3}$).
type Cost struct {
	Amount   *Decimal `json:"amount,omitempty"`
	Currency string   `json:"currency"`
}

// EventType implements Body.
func (*PlanBody) EventType() string { return TypePlanPublished }

func (b *PlanBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.localID("body.plan_id", b.PlanID, true)
	switch {
	case b.Version == 0:
		v.add("body.version", "required")
	case b.Version < 0:
		v.add("body.version", "must be at least 1")
	}
	v.text("body.title", b.Title, true, maxNameLen, false)
	adoptedYear, _ := v.date("body.adopted", b.Adopted, true)
	switch {
	case b.HorizonYear == 0:
		v.add("body.horizon_year", "required")
	case !v.year("body.horizon_year", b.HorizonYear):
	case adoptedYear != 0 && b.HorizonYear < adoptedYear:
		v.add("body.horizon_year", "must not be before the adopted year %d", adoptedYear)
	}
	v.document("body.document", b.Document)

	if b.Actions != nil && len(b.Actions) == 0 {
		v.add("body.actions", "must not be empty (omit the field instead)")
	}
	seen := map[string]int{}
	for i, a := range limit(v, "body.actions", b.Actions, maxPlanActions) {
		p := pathIndex("body.actions", i)
		if v.localID(p+".action_id", a.ActionID, true) {
			if j, dup := seen[a.ActionID]; dup {
				v.add(p+".action_id", "duplicates %s.action_id", pathIndex("body.actions", j))
			} else {
				seen[a.ActionID] = i
			}
		}
		v.text(p+".title", a.Title, true, maxNameLen, false)
		v.enum(p+".sector", a.Sector, true, planSectors)
		kindOK := v.enum(p+".kind", a.Kind, true, actionKinds)
		v.enum(p+".status", a.Status, true, actionStatuses)
		if a.ExpectedReductionTCO2ePerYear != nil {
			if kindOK && a.Kind != "mitigation" {
				v.add(p+".expected_reduction_tco2e_per_year", "only for kind mitigation")
			} else {
				v.nonNegative(p+".expected_reduction_tco2e_per_year", *a.ExpectedReductionTCO2ePerYear)
			}
		}
		if a.Hazards != nil {
			if kindOK && a.Kind != "adaptation" {
				v.add(p+".hazards", "only for kind adaptation")
			} else {
				v.enumList(p+".hazards", a.Hazards, hazards)
			}
		}
		if a.Cost != nil {
			if a.Cost.Amount == nil {
				v.add(p+".cost.amount", "required")
			} else {
				v.nonNegative(p+".cost.amount", *a.Cost.Amount)
			}
			switch {
			case a.Cost.Currency == "":
				v.add(p+".cost.currency", "required")
			case !currencyPattern.MatchString(a.Cost.Currency):
				v.add(p+".cost.currency", "%s is not an ISO 4217 currency code", quoteValue(a.Cost.Currency))
			}
		}
	}
}

// ---- partnerships, attestations, retractions ----

// validate checks a partnership.recorded body:
//   - partnership_id: required local id;
//   - partners: 2 to 16 distinct party ids (that they are enrolled jurisdictions that
//     all signed is a replay rule);
//   - instrument: required, one of PartnershipInstruments;
//   - topics: 1 to 32 distinct texts of at most 100 characters;
//   - signed: required date;
//   - description: optional text of at most 4000 characters;
//   - document: optional DocumentRef.
func (b *PartnershipBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	v.localID("body.partnership_id", b.PartnershipID, true)
	switch {
	case len(b.Partners) == 0:
		v.add("body.partners", "required")
	case len(b.Partners) < 2:
		v.add("body.partners", "needs at least 2 entries, has %d", len(b.Partners))
	}
	seen := map[string]int{}
	for i, p := range limit(v, "body.partners", b.Partners, maxPartners) {
		path := pathIndex("body.partners", i)
		if !v.partyID(path, p) {
			continue
		}
		if j, dup := seen[p]; dup {
			v.add(path, "duplicates %s", pathIndex("body.partners", j))
			continue
		}
		seen[p] = i
	}
	v.enum("body.instrument", b.Instrument, true, instruments)
	if len(b.Topics) == 0 {
		v.add("body.topics", "required")
	}
	topics := map[string]int{}
	for i, t := range limit(v, "body.topics", b.Topics, maxTopics) {
		path := pathIndex("body.topics", i)
		if !v.text(path, t, true, maxLabelLen, false) {
			continue
		}
		if j, dup := topics[t]; dup {
			v.add(path, "duplicates %s", pathIndex("body.topics", j))
			continue
		}
		topics[t] = i
	}
	v.date("body.signed", b.Signed, true)
	v.text("body.description", b.Description, false, maxTextLen, true)
	v.document("body.document", b.Document)
}

// validate checks an attestation.issued body:
//   - subject.event_id: required event id; subject.hash: required payload hash (64
//     lower-case hex digits);
//   - standard: required text of at most 300 characters (e.g. "ISO 14064-3:2019");
//   - assurance: required, limited or reasonable;
//   - materiality_pct: optional, greater than 0 and at most 100;
//   - opinion: required, one of Opinions;
//   - summary: optional text of at most 4000 characters.
func (b *AttestationBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	if b.Subject.EventID == "" {
		v.add("body.subject.event_id", "required")
	} else {
		v.eventID("body.subject.event_id", b.Subject.EventID)
	}
	switch {
	case b.Subject.Hash == "":
		v.add("body.subject.hash", "required")
	case !validHexHash(b.Subject.Hash):
		v.add("body.subject.hash", "%s is not a payload hash (want 64 lower-case hex digits)", quoteValue(b.Subject.Hash))
	}
	v.text("body.standard", b.Standard, true, maxNameLen, false)
	v.enum("body.assurance", b.Assurance, true, assuranceLevels)
	if m := b.MaterialityPct; m != nil && (*m <= 0 || *m > 100*DecimalScale) {
		v.add("body.materiality_pct", "%s is outside 0-100 (0 excluded)", *m)
	}
	v.enum("body.opinion", b.Opinion, true, opinions)
	v.text("body.summary", b.Summary, false, maxTextLen, true)
}

// validate checks an event.retracted body: event_id required event id (that it is the
// party's own earlier, retractable event is a replay rule); reason required text of
// at most 1000 characters.
func (b *RetractionBody) validate(fe *fieldErrors) {
	v := bodyCheck{fe}
	if b.EventID == "" {
		v.add("body.event_id", "required")
	} else {
		v.eventID("body.event_id", b.EventID)
	}
	v.text("body.reason", b.Reason, true, maxReasonLen, true)
}

// ---- shared checks ----

// bodyCheck holds the field checks shared by the body types. Each check reports at
// most one problem at path and returns whether the value is present and valid.
type bodyCheck struct {
	*fieldErrors
}

func pathIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// quoteValue quotes a value for a message, shortened to 80 characters.
func quoteValue(s string) string {
	if utf8.RuneCountInString(s) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return strconv.Quote(s)
}

func yearInRange(y int) bool { return y >= minYear && y <= maxYear }

// absent reports a field that must not be present for the given reason.
func (v bodyCheck) absent(path string, present bool, why string) {
	if present {
		v.add(path, "not allowed for %s", why)
	}
}

// limit reports a list longer than max and returns the part of it to check.
func limit[T any](v bodyCheck, path string, list []T, max int) []T {
	if len(list) > max {
		v.add(path, "has %d entries, at most %d allowed", len(list), max)
		return list[:max]
	}
	return list
}

func (v bodyCheck) limitAny(path string, n, max int) bool {
	if n > max {
		v.add(path, "has %d entries, at most %d allowed", n, max)
		return false
	}
	return true
}

// text checks a text field: required (when asked), not blank, no control characters
// (line feeds allowed when multiline), at most max characters.
func (v bodyCheck) text(path, s string, required bool, max int, multiline bool) bool {
	ok, problem := checkText(s, required, max, multiline)
	if problem != "" {
		v.add(path, "%s", problem)
	}
	return ok
}

// checkText is text without a path: it returns whether s is present and valid, and
// the problem to report ("" when none).
func checkText(s string, required bool, max int, multiline bool) (ok bool, problem string) {
	if s == "" {
		if required {
			return false, "required"
		}
		return false, ""
	}
	if strings.TrimSpace(s) == "" {
		return false, "must not be blank"
	}
	for _, c := range s {
		if unicode.IsControl(c) && !(multiline && c == '\n') {
			return false, fmt.Sprintf("contains control character %U", c)
		}
	}
	if n := utf8.RuneCountInString(s); n > max {
		return false, fmt.Sprintf("has %d characters, at most %d allowed", n, max)
	}
	return true, ""
}

// enum checks that s is one of allowed.
func (v bodyCheck) enum(path, s string, required bool, allowed []string) bool {
	if s == "" {
		if required {
			v.add(path, "required")
		}
		return false
	}
	if !slices.Contains(allowed, s) {
		v.add(path, "%s is not one of %s", quoteValue(s), strings.Join(allowed, ", "))
		return false
	}
	return true
}

// enumList checks an optional list of distinct values of allowed.
func (v bodyCheck) enumList(path string, list, allowed []string) {
	if len(list) == 0 {
		v.add(path, "must not be empty (omit the field instead)")
		return
	}
	seen := map[string]int{}
	for i, s := range list {
		p := pathIndex(path, i)
		if !v.enum(p, s, true, allowed) {
			continue
		}
		if j, dup := seen[s]; dup {
			v.add(p, "duplicates %s", pathIndex(path, j))
			continue
		}
		seen[s] = i
	}
}

func (v bodyCheck) localID(path, s string, required bool) bool {
	switch {
	case s == "":
		if required {
			v.add(path, "required")
		}
		return false
	case !localIDPattern.MatchString(s):
		v.add(path, "%s does not match ^[a-z0-9][a-z0-9._-]{0,63}$", quoteValue(s))
		return false
	}
	return true
}

func (v bodyCheck) partyID(path, s string) bool {
	switch {
	case s == "":
		v.add(path, "required")
		return false
	case !validPartyID(s):
		v.add(path, "%s is not a party id (want ^[a-z0-9][a-z0-9-]{0,62}$)", quoteValue(s))
		return false
	}
	return true
}

func (v bodyCheck) eventID(path, s string) bool {
	if !validEventID(s) {
		v.add(path, "%s is not an event id (want a canonical ULID)", quoteValue(s))
		return false
	}
	return true
}

func (v bodyCheck) keyID(path, s string) bool {
	switch {
	case s == "":
		v.add(path, "required")
		return false
	case !validHexHash(s):
		v.add(path, "%s is not a key id (want 64 lower-case hex digits)", quoteValue(s))
		return false
	}
	return true
}

// year checks that y is within 1990–2100.
func (v bodyCheck) year(path string, y int) bool {
	if !yearInRange(y) {
		v.add(path, "%d is outside %d-%d", y, minYear, maxYear)
		return false
	}
	return true
}

// date checks a YYYY-MM-DD calendar date with its year within 1990–2100 and returns
// its year.
func (v bodyCheck) date(path, s string, required bool) (int, bool) {
	if s == "" {
		if required {
			v.add(path, "required")
		}
		return 0, false
	}
	if !datePattern.MatchString(s) {
		v.add(path, "%s is not a date (want YYYY-MM-DD)", quoteValue(s))
		return 0, false
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		v.add(path, "%s is not a calendar date", quoteValue(s))
		return 0, false
	}
	if !yearInRange(t.Year()) {
		v.add(path, "year %d is outside %d-%d", t.Year(), minYear, maxYear)
		return 0, false
	}
	return t.Year(), true
}

func (v bodyCheck) positive(path string, d Decimal) bool {
	if d <= 0 {
		v.add(path, "%s is not greater than 0", d)
		return false
	}
	return true
}

func (v bodyCheck) nonNegative(path string, d Decimal) bool {
	if d < 0 {
		v.add(path, "%s is negative", d)
		return false
	}
	return true
}

func (v bodyCheck) percent(path string, d Decimal) bool {
	if d < 0 || d > 100*DecimalScale {
		v.add(path, "%s is outside 0-100", d)
		return false
	}
	return true
}

// keyRef checks a PublicKeyRef: PublicKeyRef.Decode must succeed. A failure is
// reported at the field at fault: keyid (missing, malformed, or not the key's id) or
// public (missing or not the standard base64 of 32 bytes).
func (v bodyCheck) keyRef(path string, k PublicKeyRef) bool {
	_, err := k.Decode()
	if err == nil {
		return true
	}
	raw, derr := base64.StdEncoding.Strict().DecodeString(k.Public)
	pubOK := k.Public != "" && derr == nil && len(raw) == 32 && base64.StdEncoding.EncodeToString(raw) == k.Public
	n := len(v.list)
	if v.keyID(path+".keyid", k.KeyID) && pubOK && k.KeyID != KeyID(raw) {
		v.add(path+".keyid", "does not match the public key (want %s)", KeyID(raw))
	}
	switch {
	case k.Public == "":
		v.add(path+".public", "required")
	case !pubOK:
		v.add(path+".public", "not the standard base64 of a 32-byte Ed25519 key")
	}
	if len(v.list) == n { // not expected: Decode has a rule this function does not know
		v.add(path, "%v", err)
	}
	return false
}

// keyList checks 1 to 16 valid keys with distinct key ids.
func (v bodyCheck) keyList(path string, keys []PublicKeyRef) {
	if len(keys) == 0 {
		v.add(path, "required")
		return
	}
	seen := map[string]int{}
	for i, k := range limit(v, path, keys, maxKeys) {
		p := pathIndex(path, i)
		if !v.keyRef(p, k) {
			continue
		}
		if j, dup := seen[k.KeyID]; dup {
			v.add(p+".keyid", "duplicates %s.keyid", pathIndex(path, j))
			continue
		}
		seen[k.KeyID] = i
	}
}

// origin checks a log origin, which is also the signed-note name of the log key.
func (v bodyCheck) origin(path, s string) bool {
	switch {
	case s == "":
		v.add(path, "required")
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		v.add(path, "must not contain white space")
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		v.add(path, "must not contain control characters")
	case strings.Contains(s, "+"):
		v.add(path, "must not contain '+'")
	case utf8.RuneCountInString(s) > maxOriginLen:
		v.add(path, "has %d characters, at most %d allowed", utf8.RuneCountInString(s), maxOriginLen)
	default:
		return true
	}
	return false
}

// logKey checks the genesis log_key: a canonical signed-note Ed25519 verifier key
// named origin.
func (v bodyCheck) logKey(path, s, origin string, originOK bool) {
	if s == "" {
		v.add(path, "required")
		return
	}
	vk, err := note.NewVerifier(s)
	if err != nil {
		v.add(path, "not a signed-note Ed25519 verifier key <name>+<hash>+<key>: %v", err)
		return
	}
	name, rest, _ := strings.Cut(s, "+")
	_, key64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if want := fmt.Sprintf("%s+%08x+%s", name, vk.KeyHash(), base64.StdEncoding.EncodeToString(key)); err != nil || want != s {
		v.add(path, "not in canonical form (lower-case hash, standard base64)")
		return
	}
	if originOK && vk.Name() != origin {
		v.add(path, "key name %s does not match origin %s", quoteValue(vk.Name()), quoteValue(origin))
	}
}

// names checks a names object: language tag → name, "en" required.
func (v bodyCheck) names(path string, names map[string]string) {
	if len(names) == 0 {
		v.add(path, "required")
		return
	}
	if _, ok := names["en"]; !ok {
		v.add(path+".en", "required")
	}
	tags := make([]string, 0, len(names))
	for t := range names {
		tags = append(tags, t)
	}
	slices.Sort(tags)
	if !v.limitAny(path, len(tags), maxNames) {
		tags = tags[:maxNames]
	}
	for _, t := range tags {
		p := path + "." + t
		if !langTagPattern.MatchString(t) {
			v.add(p, "%s is not a language tag (want ^[a-z]{2,3}(-[a-z0-9]{2,8})*$)", quoteValue(t))
			continue
		}
		v.text(p, names[t], true, maxNameLen, false)
	}
}

// codes checks a party's codes; country is the jurisdiction's valid country, or "".
func (v bodyCheck) codes(path string, c *PartyCodes, country string) {
	if c.ISO3166_2 == "" && c.UNLOCODE == "" {
		v.add(path, "must not be empty (omit the field instead)")
		return
	}
	switch {
	case c.ISO3166_2 == "":
	case !iso3166Pattern.MatchString(c.ISO3166_2):
		v.add(path+".iso3166_2", "%s is not an ISO 3166-2 code (want ^[A-Z]{2}-[A-Z0-9]{1,3}$)", quoteValue(c.ISO3166_2))
	case country != "" && c.ISO3166_2[:2] != country:
		v.add(path+".iso3166_2", "%s is not in country %s", c.ISO3166_2, country)
	}
	switch {
	case c.UNLOCODE == "":
	case !unlocodePattern.MatchString(c.UNLOCODE):
		v.add(path+".unlocode", "%s is not a UN/LOCODE (want ^[A-Z]{2} ?[A-Z2-9]{3}$)", quoteValue(c.UNLOCODE))
	case country != "" && c.UNLOCODE[:2] != country:
		v.add(path+".unlocode", "%s is not in country %s", c.UNLOCODE, country)
	}
}

// coverage checks a target's coverage.
func (v bodyCheck) coverage(path string, c *Coverage) {
	if c.Gases == nil && c.Sectors == nil && c.Scopes == nil {
		v.add(path, "must not be empty (omit the field instead)")
		return
	}
	if c.Gases != nil {
		v.enumList(path+".gases", c.Gases, gases)
	}
	if c.Sectors != nil {
		v.enumList(path+".sectors", c.Sectors, sectors)
	}
	if c.Scopes != nil {
		if len(c.Scopes) == 0 {
			v.add(path+".scopes", "must not be empty (omit the field instead)")
		}
		seen := map[int]int{}
		for i, s := range c.Scopes {
			p := pathIndex(path+".scopes", i)
			if s < 1 || s > 3 {
				v.add(p, "%d is not a scope (want 1, 2 or 3)", s)
				continue
			}
			if j, dup := seen[s]; dup {
				v.add(p, "duplicates %s", pathIndex(path+".scopes", j))
				continue
			}
			seen[s] = i
		}
	}
}

// document checks an optional DocumentRef.
func (v bodyCheck) document(path string, d *DocumentRef) {
	if d == nil {
		return
	}
	if _, problem := checkURL(d.URL); problem != "" { // paths are built only for problems
		v.add(path+".url", "%s", problem)
	}
	switch {
	case d.SHA256 == "":
	case !validHexHash(d.SHA256):
		v.add(path+".sha256", "%s is not a SHA-256 (want 64 lower-case hex digits)", quoteValue(d.SHA256))
	}
	if _, problem := checkText(d.Title, false, maxNameLen, false); problem != "" {
		v.add(path+".title", "%s", problem)
	}
	if _, problem := checkText(d.Quote, false, maxReasonLen, true); problem != "" {
		v.add(path+".quote", "%s", problem)
	}
}

// checkURL checks a document URL and returns whether it is valid, and the problem to
// report ("" when none): an absolute http or https URL of at most 2048 characters,
// without white space, control characters or user information: "http://" or
// "https://", then an authority (up to the first '/', '?' or '#') that is a non-empty
// RFC 3986 reg-name (unreserved, sub-delims, %XX escapes or non-ASCII characters) with
// an optional ":port" of digits, and anything after it; every '%' in the URL starts a
// %XX escape.
func checkURL(s string) (ok bool, problem string) {
	if s == "" {
		return false, "required"
	}
	if n := utf8.RuneCountInString(s); n > maxURLLen {
		return false, fmt.Sprintf("has %d characters, at most %d allowed", n, maxURLLen)
	}
	if strings.IndexFunc(s, func(c rune) bool { return unicode.IsSpace(c) || unicode.IsControl(c) }) >= 0 {
		return false, "must not contain white space or control characters"
	}
	// The rule is explicit rather than net/url's, whose details change between Go
	// versions and which no other language reproduces (docs/SPEC.md §6.0).
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	switch {
	case ok && strings.Contains(authority, "@"):
		return false, "must not contain user information"
	case !ok || !validURLAuthority(authority) || !validPercentEscapes(s):
		return false, quoteValue(s) + " is not an absolute http or https URL"
	}
	return true, ""
}

// validURLAuthority reports whether a is a document URL's authority: a non-empty RFC
// 3986 reg-name (unreserved, sub-delims, %XX escapes — checked by validPercentEscapes —
// and, as in an IRI, non-ASCII characters) and an optional port, ":" and digits. That
// is ^(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+(?::[0-9]*)?$.
func validURLAuthority(a string) bool {
	host := a
	if i := strings.LastIndexByte(a, ':'); i >= 0 {
		host = a[:i]
		for _, c := range []byte(a[i+1:]) {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	if host == "" {
		return false
	}
	for _, c := range []byte(host) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		case strings.IndexByte("._~!$&'()*+,;=-%", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validPercentEscapes reports whether every '%' in s starts a %XX escape.
func validPercentEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && (i+2 >= len(s) || !isHex4([]byte{s[i+1], s[i+2], '0', '0'})) {
			return false
		}
	}
	return true
}
