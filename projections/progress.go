package projections

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/climateledger/climateledger/events"
)

// Progress statuses (docs/PROJECTIONS.md §4).
const (
	StatusAchieved        = "achieved"
	StatusOnTrack         = "on_track"
	StatusOffTrack        = "off_track"
	StatusExpiredMissed   = "expired_missed"
	StatusNotAssessable   = "not_assessable"
	StatusPending         = "pending"
	StatusPeakAchieved    = "peak_achieved"
	StatusPeakMissed      = "peak_missed"
	StatusPeakUnconfirmed = "peak_unconfirmed"
)

// Statuses returns every progress status.
func Statuses() []string {
	return []string{StatusAchieved, StatusOnTrack, StatusOffTrack, StatusExpiredMissed, StatusNotAssessable,
		StatusPending, StatusPeakAchieved, StatusPeakMissed, StatusPeakUnconfirmed}
}

// Reason codes: why a progress status is what it is (Progress.ReasonCode). Each names
// the ReasonParams it sets.
const (
	// ReasonIntensityTarget: not_assessable; an intensity target (IntensityUnit).
	ReasonIntensityTarget = "intensity_target"
	// ReasonNoBaselineFigure: not_assessable; a baseline_scenario target without
	// baseline emissions.
	ReasonNoBaselineFigure = "no_baseline_figure"
	// ReasonNoInventory: not_assessable; nothing reported.
	ReasonNoInventory = "no_inventory"
	// ReasonNoBoundaryInventory: not_assessable; a target of Boundary (not
	// community-wide) and no inventory of that boundary.
	ReasonNoBoundaryInventory = "no_boundary_inventory"
	// ReasonNoBaseEmissions: not_assessable; a base_year_absolute target without base
	// emissions, and no inventory (of its Boundary, "" for community-wide) for its
	// BaseYear.
	ReasonNoBaseEmissions = "no_base_emissions"
	// ReasonMethodMismatch: not_assessable; the inventories of Year (the latest) and
	// OtherYear differ in GWP or Level (each the two values, latest first, when they
	// differ).
	ReasonMethodMismatch = "method_mismatch"
	// ReasonNoTargetLevel: not_assessable; no absolute target level.
	ReasonNoTargetLevel = "no_target_level"
	// ReasonNoPath: not_assessable; neither path can be drawn.
	ReasonNoPath = "no_path"
	// ReasonAtOrBelowTarget: achieved; Latest (of Year) ≤ Target (of TargetYear).
	ReasonAtOrBelowTarget = "at_or_below_target"
	// ReasonTargetYearPassed: expired_missed; Year ≥ TargetYear and Latest > Target.
	ReasonTargetYearPassed = "target_year_passed"
	// ReasonOnPath and ReasonAbovePath: on_track and off_track; Latest (of Year)
	// compared with Path, the value in Year of the straight path from Anchor
	// (AnchorYear) to Target (TargetYear).
	ReasonOnPath    = "on_path"
	ReasonAbovePath = "above_path"
	// ReasonBeforePeakYear: pending; the latest inventory (Year) is before PeakYear.
	ReasonBeforePeakYear = "before_peak_year"
	// ReasonNothingBeforePeak: peak_unconfirmed; no inventory at or before PeakYear.
	ReasonNothingBeforePeak = "nothing_before_peak"
	// ReasonPeakExceeded: peak_missed; the inventory of Year (Latest) is above Max,
	// the maximum at or before PeakYear (of MaxYear).
	ReasonPeakExceeded = "peak_exceeded"
	// ReasonPeakConfirmed and ReasonPeakUnconfirmed: peak_achieved and
	// peak_unconfirmed; Max (of MaxYear) is at or before PeakYear and LowerAfter
	// later inventories are lower (2 needed).
	ReasonPeakConfirmed   = "peak_confirmed"
	ReasonPeakUnconfirmed = "peak_unconfirmed"
)

// ReasonCodes returns every reason code.
func ReasonCodes() []string {
	return []string{ReasonIntensityTarget, ReasonNoBaselineFigure, ReasonNoInventory, ReasonNoBoundaryInventory, ReasonNoBaseEmissions, ReasonMethodMismatch, ReasonNoTargetLevel,
		ReasonNoPath, ReasonAtOrBelowTarget, ReasonTargetYearPassed, ReasonOnPath, ReasonAbovePath, ReasonBeforePeakYear,
		ReasonNothingBeforePeak, ReasonPeakExceeded, ReasonPeakConfirmed, ReasonPeakUnconfirmed}
}

// ReasonParams are the values a reason code names (see the codes); the others are
// absent. Figures are in tCO2e, rounded as the Progress figures are.
type ReasonParams struct {
	Year       int      `json:"year,omitempty"`
	Latest     *Number  `json:"latest_tco2e,omitempty"`
	TargetYear int      `json:"target_year,omitempty"`
	Target     *Number  `json:"target_tco2e,omitempty"`
	Anchor     string   `json:"anchor,omitempty"`
	AnchorYear int      `json:"anchor_year,omitempty"`
	Path       *Number  `json:"path_tco2e,omitempty"`
	PeakYear   int      `json:"peak_year,omitempty"`
	MaxYear    int      `json:"max_year,omitempty"`
	Max        *Number  `json:"max_tco2e,omitempty"`
	LowerAfter *int     `json:"lower_after,omitempty"`
	OtherYear  int      `json:"other_year,omitempty"`
	GWP        []string `json:"gwp,omitempty"`
	Level      []string `json:"level,omitempty"`
	Unit       string   `json:"intensity_unit,omitempty"`
	BaseYear   int      `json:"base_year,omitempty"`
	Boundary   string   `json:"boundary,omitempty"`
}

// methodParams fills the GWP and Level of a method_mismatch between the latest
// inventory and another.
func methodParams(latest, other Point) *ReasonParams {
	rp := &ReasonParams{Year: latest.Year, OtherYear: other.Year}
	if latest.GWP != other.GWP {
		rp.GWP = []string{latest.GWP, other.GWP}
	}
	if latest.Level != other.Level {
		rp.Level = []string{latest.Level, other.Level}
	}
	return rp
}

func num(f *Figure) *Number { n := f.TCO2e; return &n }

// Anchors of a target's path.
const (
	AnchorBaseYear = "base_year"
	AnchorYearSet  = "year_set"
)

// Ref names the event a row or a number comes from: its id and log index.
type Ref struct {
	EventID string `json:"event_id"`
	Index   uint64 `json:"index"`
}

// TargetInput is the revision of a target that progress is assessed against.
type TargetInput struct {
	Body *events.TargetSetBody
	// Ref is the target.set event of this revision.
	Ref Ref
}

// Point is the current inventory of one year: the input series of Assess.
type Point struct {
	Year                  int
	TCO2e                 events.Decimal
	GWP, Level, Framework string
	Ref                   Ref
}

// Figure is one number of an assessment with its provenance: the events it comes
// from, and for a computed figure the formula.
type Figure struct {
	Year int `json:"year,omitempty"`
	// TCO2e is the figure in tCO2e, rounded to the thousandth (halves away from zero)
	// when Exact is set.
	TCO2e Number `json:"tco2e"`
	// Exact is the exact value as a fraction of tonnes ("1293/5") when TCO2e is
	// rounded.
	Exact string `json:"exact,omitempty"`
	// From says what the figure is: "inventory", "target.base_emissions_tco2e",
	// "target.target_emissions_tco2e", "target.milestones", "computed".
	From    string `json:"from"`
	Formula string `json:"formula,omitempty"`
	// GWP and Level are an inventory's.
	GWP     string `json:"gwp,omitempty"`
	Level   string `json:"level,omitempty"`
	Sources []Ref  `json:"sources"`

	rat *big.Rat // exact value in tonnes
}

// Pct is a computed percentage: rounded to 0.1 (halves away from zero), with the
// exact fraction, the formula and the events it comes from.
type Pct struct {
	Value   Number `json:"value"`
	Exact   string `json:"exact"`
	Formula string `json:"formula"`
	Sources []Ref  `json:"sources"`
}

// Anchor is the target path drawn from one anchor year to the target.
type Anchor struct {
	Anchor string `json:"anchor"`
	Year   int    `json:"year,omitempty"`
	// Start is E_a, the emissions at the anchor year.
	Start *Figure `json:"start,omitempty"`
	// Path is E(y), the path's value at the latest inventory year (at the target
	// year once y is past it).
	Path *Figure `json:"path,omitempty"`
	// OnTrack reports E_y ≤ E(y).
	OnTrack *bool `json:"on_track,omitempty"`
	// NotComputable says why this anchor gives no path.
	NotComputable string `json:"not_computable,omitempty"`
}

// PeakProgress is the evidence for a peak target's status.
type PeakProgress struct {
	PeakYear  int    `json:"peak_year"`
	Qualifier string `json:"qualifier"`
	// Maximum is the highest inventory at or before the peak year (the earliest on
	// ties); before the peak year, the highest so far.
	Maximum *Figure `json:"maximum,omitempty"`
	// After lists the inventories after the peak year.
	After []Figure `json:"after,omitempty"`
	// ExceededBy is the first inventory after the peak year above Maximum.
	ExceededBy *Figure `json:"exceeded_by,omitempty"`
	// LowerAfter counts the inventories after the peak year below Maximum.
	LowerAfter int `json:"lower_after"`
}

// Progress is the assessment of one target against the inventory series
// (docs/PROJECTIONS.md §4). Every figure carries the events it comes from.
type Progress struct {
	TargetID string `json:"target_id"`
	Type     string `json:"type"`
	// Revision is the target.set event assessed (the target's current revision).
	Revision Ref    `json:"revision"`
	Status   string `json:"status"`
	// Reason says in one English sentence, with the formula's names, why the status
	// is what it is (for auditors). ReasonCode says the same as one of ReasonCodes,
	// with ReasonParams, so that a reader can put it in any language.
	Reason       string        `json:"reason"`
	ReasonCode   string        `json:"reason_code"`
	ReasonParams *ReasonParams `json:"reason_params,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
	// TargetYear is t: target_year, the last milestone year, or the peak year.
	TargetYear int `json:"target_year,omitempty"`
	// Base is E_b, Target is E_t and Latest is E_y (y = Latest.Year).
	Base        *Figure `json:"base,omitempty"`
	Target      *Figure `json:"target,omitempty"`
	Latest      *Figure `json:"latest,omitempty"`
	AchievedPct *Pct    `json:"achieved_pct,omitempty"`
	// Anchors are the paths from the base year and from year_set.
	Anchors []Anchor `json:"anchors,omitempty"`
	// StatusAnchor is the anchor whose path decided on_track or off_track.
	StatusAnchor string        `json:"status_anchor,omitempty"`
	Peak         *PeakProgress `json:"peak,omitempty"`

	// raw is the stored progress row when the read path did not decode it:
	// MarshalJSON writes it as is.
	raw []byte
}

// MarshalJSON implements json.Marshaler: the fields, or the stored row's bytes.
func (p *Progress) MarshalJSON() ([]byte, error) { return p.appendJSON(nil), nil }

// EndYear returns the year a target is for: target_year, else peak_year, else the
// last milestone year (0 when none is set).
func EndYear(b *events.TargetSetBody) int {
	switch {
	case b.TargetYear != nil:
		return *b.TargetYear
	case b.PeakYear != nil:
		return *b.PeakYear
	case len(b.Milestones) > 0:
		return b.Milestones[len(b.Milestones)-1].Year
	}
	return 0
}

// Assess computes a target's progress from the current inventory series (one point
// per year, in increasing year order: each year's current inventory — not retracted,
// restatements resolved). It is a pure function: exact rational arithmetic for every
// comparison, rounding only in the reported figures.
//
// The rule (docs/PROJECTIONS.md §4, GHG Protocol Mitigation Goal Standard; CDP-ICLEI "percentage
// of target achieved"): y is the latest inventory year, E_y its total. E_b is the
// base-year emissions: the current inventory of the base year when there is one, else
// the target's base_emissions_tco2e. E_t is the target level: target_emissions_tco2e;
// E_b × (1 − reduction_pct/100) for a base_year_absolute target given as a
// percentage; baseline_emissions_tco2e × (1 − reduction_pct/100) for a
// baseline_scenario target; 0 for net_zero; the last milestone for a trajectory. The
// path from anchor year a is E(y) = E_a + (y−a)/(t−a)·(E_t−E_a) (for a trajectory,
// piecewise through the milestones after a), computed with a = base year and with
// a = year_set (E_a = that year's inventory). achieved% = (E_b − E_y)/(E_b − E_t).
//
// Status, first match: not_assessable (intensity targets; baseline_scenario without
// baseline; no inventory; latest and base-year inventories with different gwp or
// level); achieved (E_y ≤ E_t); expired_missed (y ≥ t); on_track (E_y ≤ E(y), on the
// base-year path, else the year_set path); off_track; not_assessable when neither
// path can be drawn. Peak targets: pending (y < peak year); peak_missed (an inventory
// after the peak year exceeds the maximum at or before it); peak_achieved (at least
// two inventories after the peak year are below that maximum); else
// peak_unconfirmed.
func Assess(t TargetInput, series []Point) Progress {
	b := t.Body
	p := Progress{TargetID: b.TargetID, Type: b.Type, Revision: t.Ref, TargetYear: EndYear(b)}
	notAssessable := func(reason, code string, params *ReasonParams) Progress {
		p.Status, p.Reason, p.ReasonCode, p.ReasonParams = StatusNotAssessable, reason, code, params
		return p
	}
	switch b.Type {
	case events.TargetBaseYearIntensity:
		return notAssessable(fmt.Sprintf("a %s target is measured per unit of activity (%s); the log carries no activity data, and the target has no absolute emission figures", b.Type, b.IntensityUnit),
			ReasonIntensityTarget, &ReasonParams{Unit: b.IntensityUnit})
	case events.TargetBaselineScenario:
		if b.BaselineEmissionsTCO2e == nil {
			return notAssessable("a baseline_scenario target without baseline_emissions_tco2e has no absolute target level", ReasonNoBaselineFigure, nil)
		}
	case events.TargetPeak:
		return assessPeak(p, b, series)
	}
	if len(series) == 0 {
		return notAssessable(noInventory(b))
	}
	last := series[len(series)-1]
	y, tYear := last.Year, p.TargetYear
	p.Latest = inventoryFigure(last)

	// E_b: the base-year inventory, else the target's figure.
	var baseInv *Point
	if b.BaseYear != nil {
		if i := findYear(series, *b.BaseYear); i >= 0 {
			baseInv = &series[i]
			p.Base = inventoryFigure(*baseInv)
			if why := mismatch(last, *baseInv); why != "" {
				return notAssessable(fmt.Sprintf("the latest inventory (%d) and the base-year inventory (%d) %s, and no restatement reconciles them", last.Year, baseInv.Year, why),
					ReasonMethodMismatch, methodParams(last, *baseInv))
			}
		} else if b.BaseEmissionsTCO2e != nil {
			p.Base = targetFigure(*b.BaseYear, *b.BaseEmissionsTCO2e, "target.base_emissions_tco2e", t.Ref)
			p.Notes = append(p.Notes, fmt.Sprintf("gwp and level not checked: no inventory for base year %d; the target's base_emissions_tco2e is used", *b.BaseYear))
		}
	}

	// E_t.
	switch b.Type {
	case events.TargetBaseYearAbsolute, events.TargetFixedLevel:
		if b.TargetEmissionsTCO2e != nil {
			p.Target = targetFigure(tYear, *b.TargetEmissionsTCO2e, "target.target_emissions_tco2e", t.Ref)
		} else if p.Base != nil && b.ReductionPct != nil {
			p.Target = computed(tYear, new(big.Rat).Mul(p.Base.rat, keepShare(*b.ReductionPct)),
				fmt.Sprintf("E_b × (1 − %s/100)", b.ReductionPct), append(slices.Clone(p.Base.Sources), t.Ref))
		}
	case events.TargetBaselineScenario:
		p.Target = computed(tYear, new(big.Rat).Mul(decRat(*b.BaselineEmissionsTCO2e), keepShare(*b.ReductionPct)),
			fmt.Sprintf("baseline_emissions_tco2e × (1 − %s/100)", b.ReductionPct), []Ref{t.Ref})
	case events.TargetNetZero:
		p.Target = targetFigure(tYear, 0, "target.type net_zero", t.Ref)
	case events.TargetTrajectory:
		m := b.Milestones[len(b.Milestones)-1]
		p.Target = targetFigure(m.Year, *m.TargetEmissionsTCO2e, "target.milestones", t.Ref)
	}
	if p.Target == nil {
		if b.Type == events.TargetBaseYearAbsolute && b.BaseYear != nil && p.Base == nil {
			return notAssessable(fmt.Sprintf("the base-year emissions are not known: the target states no base_emissions_tco2e and no %sinventory is reported for its base year %d, so %s%% below them cannot be computed",
				boundaryWords(b), *b.BaseYear, b.ReductionPct), ReasonNoBaseEmissions, &ReasonParams{BaseYear: *b.BaseYear, Boundary: boundaryOf(b)})
		}
		return notAssessable("the target has no absolute target level", ReasonNoTargetLevel, nil)
	}

	// achieved% = (E_b − E_y)/(E_b − E_t).
	if p.Base != nil {
		den := new(big.Rat).Sub(p.Base.rat, p.Target.rat)
		if den.Sign() != 0 {
			v := new(big.Rat).Quo(new(big.Rat).Sub(p.Base.rat, p.Latest.rat), den)
			v.Mul(v, big.NewRat(100, 1))
			r, _ := roundRat(v, 1)
			p.AchievedPct = &Pct{Value: r, Exact: v.RatString(), Formula: "(E_b − E_y)/(E_b − E_t) × 100",
				Sources: mergeRefs(p.Base.Sources, p.Latest.Sources, p.Target.Sources)}
		} else {
			p.Notes = append(p.Notes, "achieved_pct not computable: E_b equals E_t")
		}
	} else {
		p.Notes = append(p.Notes, "achieved_pct not computable: no base-year emissions")
	}

	// Paths from both anchors.
	base := Anchor{Anchor: AnchorBaseYear}
	switch {
	case b.BaseYear == nil:
		base.NotComputable = "the target has no base year"
	case p.Base == nil:
		base.NotComputable = fmt.Sprintf("no emissions for base year %d", *b.BaseYear)
	default:
		base.Year, base.Start = *b.BaseYear, p.Base
		drawPath(&base, b, p.Target, p.Latest, tYear)
	}
	set := Anchor{Anchor: AnchorYearSet}
	switch {
	case b.YearSet == nil:
		set.NotComputable = "the target has no year_set"
	default:
		set.Year = *b.YearSet
		if i := findYear(series, *b.YearSet); i < 0 {
			set.NotComputable = fmt.Sprintf("no inventory for year_set %d", *b.YearSet)
		} else if why := mismatch(last, series[i]); why != "" {
			set.Start = inventoryFigure(series[i])
			set.NotComputable = fmt.Sprintf("the year_set inventory (%d) and the latest (%d) %s", series[i].Year, last.Year, why)
		} else {
			set.Start = inventoryFigure(series[i])
			drawPath(&set, b, p.Target, p.Latest, tYear)
		}
	}
	p.Anchors = []Anchor{base, set}

	switch {
	case p.Latest.rat.Cmp(p.Target.rat) <= 0:
		p.Status = StatusAchieved
		p.Reason = fmt.Sprintf("E_y (%d: %s) is at or below the target level E_t (%s)", y, p.Latest.TCO2e, p.Target.TCO2e)
		p.ReasonCode = ReasonAtOrBelowTarget
		p.ReasonParams = &ReasonParams{Year: y, Latest: num(p.Latest), TargetYear: tYear, Target: num(p.Target)}
	case y >= tYear:
		p.Status = StatusExpiredMissed
		p.Reason = fmt.Sprintf("the latest inventory (%d) is at or after the target year %d and E_y (%s) is above E_t (%s)", y, tYear, p.Latest.TCO2e, p.Target.TCO2e)
		p.ReasonCode = ReasonTargetYearPassed
		p.ReasonParams = &ReasonParams{Year: y, Latest: num(p.Latest), TargetYear: tYear, Target: num(p.Target)}
	default:
		for _, a := range p.Anchors {
			if a.OnTrack == nil {
				continue
			}
			p.StatusAnchor = a.Anchor
			p.ReasonParams = &ReasonParams{Year: y, Latest: num(p.Latest), TargetYear: tYear, Target: num(p.Target),
				Anchor: a.Anchor, AnchorYear: a.Year, Path: num(a.Path)}
			if *a.OnTrack {
				p.Status, p.ReasonCode = StatusOnTrack, ReasonOnPath
				p.Reason = fmt.Sprintf("E_y (%d: %s) is at or below the %s path E(%d) = %s", y, p.Latest.TCO2e, a.Anchor, y, a.Path.TCO2e)
			} else {
				p.Status, p.ReasonCode = StatusOffTrack, ReasonAbovePath
				p.Reason = fmt.Sprintf("E_y (%d: %s) is above the %s path E(%d) = %s", y, p.Latest.TCO2e, a.Anchor, y, a.Path.TCO2e)
			}
			break
		}
		if p.Status == "" {
			p.Status, p.ReasonCode = StatusNotAssessable, ReasonNoPath
			p.Reason = fmt.Sprintf("no path to compare with: base_year: %s; year_set: %s", base.NotComputable, set.NotComputable)
		}
	}
	return p
}

// drawPath fills a's path value at the latest year and whether E_y is on it.
func drawPath(a *Anchor, b *events.TargetSetBody, target, latest *Figure, tYear int) {
	y := latest.Year
	if y < a.Year {
		a.NotComputable = fmt.Sprintf("the latest inventory (%d) is before the anchor year %d", y, a.Year)
		return
	}
	// The path's points: the anchor, then the target (or the milestones after a).
	type pt struct {
		year int
		v    *big.Rat
	}
	pts := []pt{{a.Year, a.Start.rat}}
	if b.Type == events.TargetTrajectory {
		for _, m := range b.Milestones {
			if m.Year > a.Year {
				pts = append(pts, pt{m.Year, decRat(*m.TargetEmissionsTCO2e)})
			}
		}
	} else if tYear > a.Year {
		pts = append(pts, pt{tYear, target.rat})
	}
	if len(pts) < 2 {
		a.NotComputable = fmt.Sprintf("the anchor year %d is not before the target year %d", a.Year, tYear)
		return
	}
	at := min(y, pts[len(pts)-1].year)
	var v *big.Rat
	for i := 1; i < len(pts); i++ {
		p0, p1 := pts[i-1], pts[i]
		if at > p1.year {
			continue
		}
		// E(at) = E_0 + (at − y0)/(y1 − y0) · (E_1 − E_0)
		v = new(big.Rat).Sub(p1.v, p0.v)
		v.Mul(v, big.NewRat(int64(at-p0.year), int64(p1.year-p0.year)))
		v.Add(v, p0.v)
		break
	}
	formula := "E_a + (y − a)/(t − a) × (E_t − E_a)"
	if b.Type == events.TargetTrajectory {
		formula = "linear between the anchor and the milestones: E_0 + (y − y_0)/(y_1 − y_0) × (E_1 − E_0)"
	}
	if y > at {
		formula += fmt.Sprintf(", at the target year %d (y = %d is past it)", at, y)
	}
	a.Path = computed(at, v, formula, mergeRefs(a.Start.Sources, target.Sources, latest.Sources))
	on := latest.rat.Cmp(v) <= 0
	a.OnTrack = &on
}

// assessPeak applies the peak rule.
func assessPeak(p Progress, b *events.TargetSetBody, series []Point) Progress {
	P := *b.PeakYear
	pk := &PeakProgress{PeakYear: P, Qualifier: b.Qualifier}
	if len(series) == 0 {
		p.Status = StatusNotAssessable
		p.Reason, p.ReasonCode, p.ReasonParams = noInventory(b)
		return p
	}
	last := series[len(series)-1]
	p.Latest = inventoryFigure(last)
	for _, s := range series {
		if why := mismatch(last, s); why != "" {
			p.Status, p.ReasonCode, p.ReasonParams = StatusNotAssessable, ReasonMethodMismatch, methodParams(last, s)
			p.Reason = fmt.Sprintf("the inventories of %d and %d %s, and no restatement reconciles them; the series is not comparable", s.Year, last.Year, why)
			return p
		}
	}
	p.Peak = pk
	var mx *Point
	for i := range series {
		if series[i].Year <= P && (mx == nil || series[i].TCO2e > mx.TCO2e) {
			mx = &series[i]
		}
	}
	if mx != nil {
		pk.Maximum = inventoryFigure(*mx)
	}
	if last.Year < P {
		p.Status, p.ReasonCode = StatusPending, ReasonBeforePeakYear
		p.Reason = fmt.Sprintf("the latest inventory (%d) is before the peak year %d", last.Year, P)
		p.ReasonParams = &ReasonParams{Year: last.Year, Latest: num(p.Latest), PeakYear: P}
		return p
	}
	for _, s := range series {
		if s.Year <= P {
			continue
		}
		f := inventoryFigure(s)
		pk.After = append(pk.After, *f)
		if mx == nil {
			continue
		}
		if s.TCO2e > mx.TCO2e && pk.ExceededBy == nil {
			pk.ExceededBy = f
		}
		if s.TCO2e < mx.TCO2e {
			pk.LowerAfter++
		}
	}
	if mx == nil {
		p.Status, p.ReasonCode = StatusPeakUnconfirmed, ReasonNothingBeforePeak
		p.Reason = fmt.Sprintf("no inventory at or before the peak year %d to compare with", P)
		p.ReasonParams = &ReasonParams{PeakYear: P}
		return p
	}
	lower := pk.LowerAfter
	p.ReasonParams = &ReasonParams{PeakYear: P, MaxYear: mx.Year, Max: num(pk.Maximum), LowerAfter: &lower}
	switch {
	case pk.ExceededBy != nil:
		p.Status, p.ReasonCode = StatusPeakMissed, ReasonPeakExceeded
		p.Reason = fmt.Sprintf("emissions in %d (%s) exceed the maximum at or before the peak year (%d: %s)", pk.ExceededBy.Year, pk.ExceededBy.TCO2e, mx.Year, pk.Maximum.TCO2e)
		p.ReasonParams.Year, p.ReasonParams.Latest, p.ReasonParams.LowerAfter = pk.ExceededBy.Year, num(pk.ExceededBy), nil
	case pk.LowerAfter >= 2:
		p.Status, p.ReasonCode = StatusPeakAchieved, ReasonPeakConfirmed
		p.Reason = fmt.Sprintf("the series maximum (%d: %s) is at or before the peak year %d and %d later inventories are lower", mx.Year, pk.Maximum.TCO2e, P, pk.LowerAfter)
	default:
		p.Status, p.ReasonCode = StatusPeakUnconfirmed, ReasonPeakUnconfirmed
		p.Reason = fmt.Sprintf("the maximum (%d: %s) is at or before the peak year %d, but only %d later inventories are lower (2 needed)", mx.Year, pk.Maximum.TCO2e, P, pk.LowerAfter)
	}
	return p
}

// noInventory is the reason (sentence, code and parameters) a target without
// inventories is not assessable. A government_operations target is assessed only
// with inventories of that boundary.
func noInventory(b *events.TargetSetBody) (string, string, *ReasonParams) {
	if bt := boundaryOf(b); bt != "" {
		return fmt.Sprintf("no inventory of the target's boundary (%s) has been reported; inventories of other boundaries are not compared with it", bt),
			ReasonNoBoundaryInventory, &ReasonParams{Boundary: bt}
	}
	return "no inventory has been reported", ReasonNoInventory, nil
}

// boundaryOf is a target's boundary when it is not community-wide, else "".
func boundaryOf(b *events.TargetSetBody) string {
	if bt := events.EffectiveBoundary(b.BoundaryType); bt != events.BoundaryCommunity {
		return bt
	}
	return ""
}

// boundaryWords names a target's boundary for a reason: "" for community,
// "government_operations " otherwise.
func boundaryWords(b *events.TargetSetBody) string {
	if bt := boundaryOf(b); bt != "" {
		return bt + " "
	}
	return ""
}

// mismatch says how two inventories differ in gwp or level ("" when they agree).
func mismatch(a, b Point) string {
	switch {
	case a.GWP != b.GWP && a.Level != b.Level:
		return fmt.Sprintf("use different gwp (%s, %s) and level (%s, %s)", a.GWP, b.GWP, a.Level, b.Level)
	case a.GWP != b.GWP:
		return fmt.Sprintf("use different gwp (%s, %s)", a.GWP, b.GWP)
	case a.Level != b.Level:
		return fmt.Sprintf("use different level (%s, %s)", a.Level, b.Level)
	}
	return ""
}

func findYear(series []Point, year int) int {
	for i, s := range series {
		if s.Year == year {
			return i
		}
	}
	return -1
}

// keepShare returns 1 − pct/100.
func keepShare(pct events.Decimal) *big.Rat {
	return new(big.Rat).Sub(big.NewRat(1, 1), new(big.Rat).SetFrac64(int64(pct), 100*events.DecimalScale))
}

func inventoryFigure(s Point) *Figure {
	return &Figure{Year: s.Year, TCO2e: NumberOf(s.TCO2e), From: "inventory", GWP: s.GWP, Level: s.Level,
		Sources: []Ref{s.Ref}, rat: decRat(s.TCO2e)}
}

func targetFigure(year int, d events.Decimal, from string, ref Ref) *Figure {
	return &Figure{Year: year, TCO2e: NumberOf(d), From: from, Sources: []Ref{ref}, rat: decRat(d)}
}

func computed(year int, v *big.Rat, formula string, sources []Ref) *Figure {
	n, exact := roundRat(v, 3)
	f := &Figure{Year: year, TCO2e: n, From: "computed", Formula: formula, Sources: sources, rat: v}
	if !exact {
		f.Exact = v.RatString()
	}
	return f
}

// mergeRefs returns the distinct refs of lists, in log order.
func mergeRefs(lists ...[]Ref) []Ref {
	var out []Ref
	for _, l := range lists {
		for _, r := range l {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.SortFunc(out, func(a, b Ref) int {
		switch {
		case a.Index < b.Index:
			return -1
		case a.Index > b.Index:
			return 1
		}
		return 0
	})
	return out
}
