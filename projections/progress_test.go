package projections

import (
	"encoding/json"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
)

// Each scenario's expected numbers are computed by hand in its comment.

var targetRef = Ref{EventID: "01TARGET00000000000000000A", Index: 3}

func pt(year int, t, gwp, level string, index uint64) Point {
	return Point{Year: year, TCO2e: events.MustDecimal(t), GWP: gwp, Level: level, Framework: events.FrameworkGPC,
		Ref: Ref{EventID: "01INVENTORY000000000000" + string(rune('A'+index%26)) + "0", Index: index}}
}

func ar5(year int, t string, index uint64) Point { return pt(year, t, "AR5", "BASIC", index) }

type wantProgress struct {
	status      string
	target      string // E_t
	latest      int    // y
	achieved    string // achieved_pct value, "" when not computable
	exact       string // achieved_pct exact fraction
	basePath    string // E(y) on the base-year path, "" when not computable
	setPath     string // E(y) on the year_set path, "" when not computable
	anchor      string // status_anchor
	reasonHas   string
	noteHas     string
	baseFrom    string // Base.From
	targetExact string // Target.Exact
}

func checkProgress(t *testing.T, got Progress, w wantProgress) {
	t.Helper()
	if got.Status != w.status {
		t.Errorf("status = %s (%s), want %s", got.Status, got.Reason, w.status)
	}
	if w.target != "" && (got.Target == nil || got.Target.TCO2e.String() != w.target) {
		t.Errorf("E_t = %+v, want %s", got.Target, w.target)
	}
	if w.targetExact != "" && (got.Target == nil || got.Target.Exact != w.targetExact) {
		t.Errorf("E_t exact = %+v, want %s", got.Target, w.targetExact)
	}
	if w.latest != 0 && (got.Latest == nil || got.Latest.Year != w.latest) {
		t.Errorf("latest = %+v, want year %d", got.Latest, w.latest)
	}
	switch {
	case w.achieved == "" && got.AchievedPct != nil:
		t.Errorf("achieved_pct = %+v, want none", got.AchievedPct)
	case w.achieved != "" && (got.AchievedPct == nil || got.AchievedPct.Value.String() != w.achieved || got.AchievedPct.Exact != w.exact):
		t.Errorf("achieved_pct = %+v, want %s (exact %s)", got.AchievedPct, w.achieved, w.exact)
	}
	path := func(name string) string {
		for _, a := range got.Anchors {
			if a.Anchor == name && a.Path != nil {
				return a.Path.TCO2e.String()
			}
		}
		return ""
	}
	if p := path(AnchorBaseYear); p != w.basePath {
		t.Errorf("base-year path E(y) = %q, want %q (anchors %+v)", p, w.basePath, got.Anchors)
	}
	if p := path(AnchorYearSet); p != w.setPath {
		t.Errorf("year_set path E(y) = %q, want %q (anchors %+v)", p, w.setPath, got.Anchors)
	}
	if got.StatusAnchor != w.anchor {
		t.Errorf("status_anchor = %q, want %q", got.StatusAnchor, w.anchor)
	}
	if !strings.Contains(got.Reason, w.reasonHas) {
		t.Errorf("reason %q does not mention %q", got.Reason, w.reasonHas)
	}
	if !slices.Contains(ReasonCodes(), got.ReasonCode) {
		t.Errorf("reason_code %q is not one of ReasonCodes()", got.ReasonCode)
	}
	if w.noteHas != "" && !strings.Contains(strings.Join(got.Notes, "; "), w.noteHas) {
		t.Errorf("notes %q do not mention %q", got.Notes, w.noteHas)
	}
	if w.baseFrom != "" && (got.Base == nil || got.Base.From != w.baseFrom) {
		t.Errorf("E_b = %+v, want from %s", got.Base, w.baseFrom)
	}
	if got.Revision != targetRef {
		t.Errorf("revision = %+v, want %+v", got.Revision, targetRef)
	}
}

func absolute(base int, baseEm string, target int, pct, level string, yearSet int) *events.TargetSetBody {
	b := &events.TargetSetBody{TargetID: "t", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(base), BaseEmissionsTCO2e: dec(baseEm),
		TargetYear: ptr(target), LegalStatus: "law"}
	if pct != "" {
		b.ReductionPct = dec(pct)
	} else {
		b.TargetEmissionsTCO2e = dec(level)
	}
	if yearSet != 0 {
		b.YearSet = ptr(yearSet)
	}
	return b
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name   string
		target *events.TargetSetBody
		series []Point
		want   wantProgress
	}{
		{
			// California SB 32 as in the brief: base 1990 = 431,000,000 (the target's
			// figure: no 1990 inventory); 2030 −40% → E_t = 431,000,000 × 0.6 =
			// 258,600,000; inventory 2016 = 429,400,000.
			// E(2016) = 431,000,000 + (2016−1990)/(2030−1990) × (258,600,000 − 431,000,000)
			//         = 431,000,000 − 0.65 × 172,400,000 = 318,940,000 < 429,400,000: off track.
			// achieved% = (431,000,000 − 429,400,000)/172,400,000 × 100 = 400/431 = 0.928… → 0.9.
			name:   "off_track",
			target: absolute(1990, "431000000", 2030, "40", "", 0),
			series: []Point{pt(2016, "429400000", "AR4", "territorial", 8)},
			want: wantProgress{status: StatusOffTrack, target: "258600000", latest: 2016, achieved: "0.9", exact: "400/431",
				basePath: "318940000", anchor: AnchorBaseYear, reasonHas: "above the base_year path E(2016) = 318940000",
				noteHas: "gwp and level not checked: no inventory for base year 1990", baseFrom: "target.base_emissions_tco2e"},
		},
		{
			// Base 2005 inventory = 1,000,000; target 2030 level 500,000; inventory 2020 = 650,000.
			// Base path: E(2020) = 1,000,000 + 15/25 × (500,000 − 1,000,000) = 700,000 ≥ 650,000: on track.
			// year_set 2010 (inventory 950,000): E(2020) = 950,000 + 10/20 × (500,000 − 950,000) = 725,000.
			// achieved% = (1,000,000 − 650,000)/(1,000,000 − 500,000) × 100 = 70.
			name:   "on_track",
			target: absolute(2005, "1000000", 2030, "", "500000", 2010),
			series: []Point{ar5(2005, "1000000", 5), ar5(2010, "950000", 6), ar5(2020, "650000", 7)},
			want: wantProgress{status: StatusOnTrack, target: "500000", latest: 2020, achieved: "70", exact: "70",
				basePath: "700000", setPath: "725000", anchor: AnchorBaseYear, reasonHas: "at or below the base_year path", baseFrom: "inventory"},
		},
		{
			// As above with inventory 2022 = 480,000 ≤ E_t = 500,000: achieved.
			// achieved% = (1,000,000 − 480,000)/500,000 × 100 = 104.
			// E(2022) = 1,000,000 + 17/25 × (−500,000) = 660,000; year_set: 950,000 + 12/20 × (−450,000) = 680,000.
			name:   "achieved",
			target: absolute(2005, "1000000", 2030, "", "500000", 2010),
			series: []Point{ar5(2005, "1000000", 5), ar5(2010, "950000", 6), ar5(2022, "480000", 7)},
			want: wantProgress{status: StatusAchieved, target: "500000", latest: 2022, achieved: "104", exact: "104",
				basePath: "660000", setPath: "680000", reasonHas: "at or below the target level"},
		},
		{
			// Target 2020 −20% of 1,000,000 → E_t = 800,000; inventory 2021 = 850,000 > E_t
			// with y ≥ t: expired_missed. The path ends at the target: E(2020) = 800,000.
			// achieved% = (1,000,000 − 850,000)/(1,000,000 − 800,000) × 100 = 75.
			name:   "expired_missed",
			target: absolute(2005, "1000000", 2020, "20", "", 0),
			series: []Point{ar5(2005, "1000000", 5), ar5(2021, "850000", 9)},
			want: wantProgress{status: StatusExpiredMissed, target: "800000", latest: 2021, achieved: "75", exact: "75",
				basePath: "800000", reasonHas: "at or after the target year 2020"},
		},
		{
			name:   "not_assessable without inventory",
			target: absolute(2005, "1000000", 2030, "40", "", 0),
			want:   wantProgress{status: StatusNotAssessable, reasonHas: "no inventory"},
		},
		{
			// The base-year inventory uses AR4, the latest AR5.
			name:   "not_assessable gwp mismatch",
			target: absolute(2005, "1000000", 2030, "40", "", 0),
			series: []Point{pt(2005, "1000000", "AR4", "BASIC", 5), ar5(2020, "700000", 9)},
			want:   wantProgress{status: StatusNotAssessable, latest: 2020, reasonHas: "use different gwp (AR5, AR4)"},
		},
		{
			name: "not_assessable intensity",
			target: &events.TargetSetBody{TargetID: "t", Type: events.TargetBaseYearIntensity, BaseYear: ptr(2015), TargetYear: ptr(2020),
				ReductionPct: dec("10"), IntensityUnit: "tCO2 per 10,000 CNY GDP", LegalStatus: "policy"},
			series: []Point{ar5(2015, "1000", 5)},
			want:   wantProgress{status: StatusNotAssessable, reasonHas: "per unit of activity"},
		},
		{
			name:   "not_assessable baseline without figure",
			target: &events.TargetSetBody{TargetID: "t", Type: events.TargetBaselineScenario, TargetYear: ptr(2030), ReductionPct: dec("30"), LegalStatus: "policy"},
			series: []Point{ar5(2015, "1000", 5)},
			want:   wantProgress{status: StatusNotAssessable, reasonHas: "without baseline_emissions_tco2e"},
		},
		{
			// Baseline 2030 = 2,000,000, −30% → E_t = 1,400,000. No base year: only the
			// year_set path (2015 inventory 1,500,000):
			// E(2020) = 1,500,000 + 5/15 × (1,400,000 − 1,500,000) = 4,400,000/3 = 1,466,666.666… → 1466666.667.
			// 1,450,000 is below: on track by the year_set path.
			name: "baseline_scenario on the year_set path",
			target: &events.TargetSetBody{TargetID: "t", Type: events.TargetBaselineScenario, TargetYear: ptr(2030), ReductionPct: dec("30"),
				BaselineEmissionsTCO2e: dec("2000000"), LegalStatus: "policy", YearSet: ptr(2015)},
			series: []Point{ar5(2015, "1500000", 5), ar5(2020, "1450000", 6)},
			want: wantProgress{status: StatusOnTrack, target: "1400000", latest: 2020, setPath: "1466666.667", anchor: AnchorYearSet,
				reasonHas: "year_set path", noteHas: "no base-year emissions"},
		},
		{
			// Net zero 2050 from 1,000,000 in 2005: E(2020) = 1,000,000 − 15/45 × 1,000,000
			// = 2,000,000/3 = 666,666.667; 700,000 is above: off track. achieved% = 30.
			name: "net_zero off_track",
			target: &events.TargetSetBody{TargetID: "t", Type: events.TargetNetZero, BaseYear: ptr(2005), BaseEmissionsTCO2e: dec("1000000"),
				TargetYear: ptr(2050), LegalStatus: "pledge"},
			series: []Point{ar5(2020, "700000", 6)},
			want: wantProgress{status: StatusOffTrack, target: "0", latest: 2020, achieved: "30", exact: "30",
				basePath: "666666.667", anchor: AnchorBaseYear, reasonHas: "above"},
		},
		{
			// Trajectory from 100 (2010) through 80 (2020) to 50 (2030); inventory 2025 = 66.
			// E(2025) on the 2020–2030 segment = 80 + 5/10 × (50 − 80) = 65 < 66: off track.
			// achieved% = (100 − 66)/(100 − 50) × 100 = 68.
			name: "trajectory off_track",
			target: &events.TargetSetBody{TargetID: "t", Type: events.TargetTrajectory, BaseYear: ptr(2010), BaseEmissionsTCO2e: dec("100"),
				Milestones: []events.Milestone{{Year: 2020, TargetEmissionsTCO2e: dec("80")}, {Year: 2030, TargetEmissionsTCO2e: dec("50")}}, LegalStatus: "policy"},
			series: []Point{ar5(2025, "66", 6)},
			want: wantProgress{status: StatusOffTrack, target: "50", latest: 2025, achieved: "68", exact: "68", basePath: "65", anchor: AnchorBaseYear,
				reasonHas: "E(2025) = 65"},
		},
		{
			// E_t = 431,000,000.001 × (1 − 33.333/100) = 431,000,000.001 × 0.66667
			//     = 287,334,770.000666 67 — not a whole thousandth: reported as 287334770.001,
			// exact as 28733477000066667/100000000. E(2016) = E_b + 26/40 × (E_t − E_b)
			// = 337,617,600.500 783… → 337617600.501. achieved% = (E_b − 429,400,000)/(E_b − E_t) × 100
			// = 1.1137… → 1.1 (fractions checked with Python's fractions module).
			name:   "rounded target level",
			target: absolute(1990, "431000000.001", 2030, "33.333", "", 0),
			series: []Point{pt(2016, "429400000", "AR4", "territorial", 8)},
			want: wantProgress{status: StatusOffTrack, target: "287334770.001", targetExact: "28733477000066667/100000000", latest: 2016,
				achieved: "1.1", exact: "16000000010000000/14366523000033333", basePath: "337617600.501", anchor: AnchorBaseYear, reasonHas: "above"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkProgress(t, Assess(TargetInput{Body: tt.target, Ref: targetRef}, tt.series), tt.want)
		})
	}
}

func TestAssessPeak(t *testing.T) {
	peak := &events.TargetSetBody{TargetID: "peak", Type: events.TargetPeak, PeakYear: ptr(2025), Qualifier: "by", LegalStatus: "policy"}
	base := []Point{ar5(2020, "100", 1), ar5(2024, "110", 2), ar5(2025, "108", 3)}
	tests := []struct {
		name      string
		series    []Point
		status    string
		max       string // the maximum at or before the peak year
		lower     int
		exceeded  int // year of exceeded_by
		reasonHas string
	}{
		// 2023 is before the peak year 2025.
		{"pending", []Point{ar5(2020, "100", 1), ar5(2023, "104", 2)}, StatusPending, "104", 0, 0, "before the peak year 2025"},
		// Max at or before 2025 is 110 (2024); 2026 = 105 and 2027 = 104 are both lower.
		{"peak_achieved", append(base[:3:3], ar5(2026, "105", 4), ar5(2027, "104", 5)), StatusPeakAchieved, "110", 2, 0, "2 later inventories are lower"},
		// 2026 = 111 exceeds 110.
		{"peak_missed", append(base[:3:3], ar5(2026, "105", 4), ar5(2027, "111", 5)), StatusPeakMissed, "110", 1, 2027, "emissions in 2027 (111) exceed"},
		// Only one later inventory, and it is lower.
		{"peak_unconfirmed", append(base[:3:3], ar5(2026, "105", 4)), StatusPeakUnconfirmed, "110", 1, 0, "only 1 later inventories are lower"},
		// A later year equal to the maximum is neither above nor below it.
		{"peak_unconfirmed tie", append(base[:3:3], ar5(2026, "110", 4), ar5(2027, "109", 5)), StatusPeakUnconfirmed, "110", 1, 0, "only 1"},
		{"not_assessable mixed gwp", []Point{pt(2020, "100", "AR4", "BASIC", 1), ar5(2026, "90", 2)}, StatusNotAssessable, "", 0, 0, "different gwp"},
		{"not_assessable empty", nil, StatusNotAssessable, "", 0, 0, "no inventory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Assess(TargetInput{Body: peak, Ref: targetRef}, tt.series)
			if p.Status != tt.status || !strings.Contains(p.Reason, tt.reasonHas) {
				t.Fatalf("status %s (%s), want %s mentioning %q", p.Status, p.Reason, tt.status, tt.reasonHas)
			}
			if !slices.Contains(ReasonCodes(), p.ReasonCode) {
				t.Errorf("reason_code %q is not one of ReasonCodes()", p.ReasonCode)
			}
			if tt.max == "" {
				return
			}
			if p.Peak == nil || p.Peak.Maximum == nil || p.Peak.Maximum.TCO2e.String() != tt.max || p.Peak.LowerAfter != tt.lower {
				t.Fatalf("peak = %+v, want maximum %s and %d lower", p.Peak, tt.max, tt.lower)
			}
			if got := p.Peak.ExceededBy; (got == nil) != (tt.exceeded == 0) || (got != nil && got.Year != tt.exceeded) {
				t.Errorf("exceeded_by = %+v, want year %d", got, tt.exceeded)
			}
			if len(p.Peak.Maximum.Sources) != 1 || p.Peak.Maximum.Sources[0].Index == 0 {
				t.Errorf("maximum carries no source: %+v", p.Peak.Maximum)
			}
		})
	}
}

// A restatement of the base year in the latest gwp reconciles the series: the current
// inventory of a year resolves restatements and ignores retracted ones.
func TestCurrentInventories(t *testing.T) {
	h := func(year int, seq uint64, id, restates, gwp string, retracted bool) invHeader {
		return invHeader{year: year, seq: seq, ref: Ref{EventID: id, Index: seq}, total: events.MustDecimal("1000"), gwp: gwp, level: "BASIC",
			restates: restates, retracted: retracted}
	}
	invs := []invHeader{
		h(2005, 2, "A", "", "AR4", false),
		h(2020, 3, "B", "", "AR5", false),
		h(2005, 4, "C", "A", "AR5", false), // restates A in AR5
		h(2010, 5, "D", "", "AR5", false),
		h(2010, 6, "E", "D", "AR5", true), // retracted restatement: D stays current
		h(2015, 7, "F", "", "AR5", true),  // retracted: no 2015
	}
	var got []string
	for _, i := range currentInventories(invs) {
		got = append(got, invs[i].ref.EventID)
	}
	if want := "C D B"; strings.Join(got, " ") != want {
		t.Fatalf("current inventories = %v, want %s", got, want)
	}
	m := &partyModel{invs: invs}
	p := Assess(TargetInput{Body: absolute(2005, "1000", 2030, "50", "", 0), Ref: targetRef}, m.seriesOf(events.BoundaryCommunity))
	if p.Status == StatusNotAssessable {
		t.Fatalf("restated base year still not comparable: %s", p.Reason)
	}
}

func TestRoundRat(t *testing.T) {
	tests := []struct {
		num, den int64
		places   int
		want     string
		exact    bool
	}{
		{1, 20, 1, "0.1", false},    // 0.05 → 0.1 (half away from zero)
		{-1, 20, 1, "-0.1", false},  // −0.05 → −0.1
		{1, 3, 3, "0.333", false},   //
		{2, 3, 3, "0.667", false},   //
		{-2, 3, 3, "-0.667", false}, //
		{7, 4, 1, "1.8", false},     // 1.75 → 1.8
		{3, 2, 3, "1.5", true},      //
		{0, 1, 1, "0", true},
	}
	for _, tt := range tests {
		got, exact := roundRat(big.NewRat(tt.num, tt.den), tt.places)
		if got.String() != tt.want || exact != tt.exact {
			t.Errorf("roundRat(%d/%d, %d) = %s exact %v, want %s exact %v", tt.num, tt.den, tt.places, got, exact, tt.want, tt.exact)
		}
	}
}

func TestMainTarget(t *testing.T) {
	bodies := map[string]*events.TargetSetBody{
		"ab32":      {Type: events.TargetBaseYearAbsolute},
		"sb32":      {Type: events.TargetBaseYearAbsolute},
		"nz":        {Type: events.TargetNetZero},
		"intensity": {Type: events.TargetBaseYearIntensity},
	}
	ts := []TargetRef{{TargetID: "ab32", Type: events.TargetBaseYearAbsolute, EndYear: 2020}, {TargetID: "sb32", Type: events.TargetBaseYearAbsolute, EndYear: 2030},
		{TargetID: "nz", Type: events.TargetNetZero, EndYear: 2045}, {TargetID: "intensity", Type: events.TargetBaseYearIntensity, EndYear: 2025}}
	for _, tt := range []struct {
		latest int
		want   string
	}{{2016, "ab32"}, {2021, "sb32"}, {2031, "nz"}, {2050, "nz"}} {
		if got := mainTarget(ts, bodies, tt.latest); got != tt.want {
			t.Errorf("main target with latest inventory %d = %s, want %s", tt.latest, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	big1 := NumberOf(events.Decimal(math.MaxInt64)).Add(1).Add(1000)
	for _, tt := range []struct {
		n    Number
		want string
	}{
		{NumberOf(0), "0"}, {NumberOf(1500), "1.5"}, {NumberOf(-12125), "-12.125"},
		{big1, "9223372036854776.808"}, {big1.Add(-1001).Add(-1), "9223372036854775.806"},
	} {
		b, _ := tt.n.MarshalJSON()
		if string(b) != tt.want {
			t.Errorf("%v marshals to %s, want %s", tt.n, b, tt.want)
		}
		var back Number
		if err := back.UnmarshalJSON(b); err != nil || back.String() != tt.want {
			t.Errorf("%s does not round-trip: %v %v", tt.want, back, err)
		}
	}
	var n Number
	for _, bad := range []string{"1e3", "0.0001", "", "-", "1.2.3", "+1"} {
		if err := n.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The reason's code and parameters say what the English reason says, so that a reader
// can say it in any language: one case per code, the parameters exactly.
func TestAssessReasonCodes(t *testing.T) {
	peak := &events.TargetSetBody{TargetID: "peak", Type: events.TargetPeak, PeakYear: ptr(2025), Qualifier: "by", LegalStatus: "policy"}
	intensity := &events.TargetSetBody{TargetID: "i", Type: events.TargetBaseYearIntensity, BaseYear: ptr(2015), TargetYear: ptr(2020),
		ReductionPct: dec("10"), IntensityUnit: "tCO2 per 10,000 CNY GDP", LegalStatus: "policy"}
	baseline := &events.TargetSetBody{TargetID: "b", Type: events.TargetBaselineScenario, TargetYear: ptr(2030), ReductionPct: dec("20"), LegalStatus: "pledge"}
	sb32 := absolute(1990, "431000000", 2030, "40", "", 0)
	for _, tt := range []struct {
		name   string
		target *events.TargetSetBody
		series []Point
		code   string
		params string
	}{
		{"intensity", intensity, nil, ReasonIntensityTarget, `{"intensity_unit":"tCO2 per 10,000 CNY GDP"}`},
		{"baseline", baseline, nil, ReasonNoBaselineFigure, `null`},
		{"no inventory", sb32, nil, ReasonNoInventory, `null`},
		{"method", absolute(2005, "100", 2030, "40", "", 0), []Point{pt(2005, "100", "AR4", "BASIC", 1), pt(2020, "90", "AR5", "BASIC", 2)},
			ReasonMethodMismatch, `{"year":2020,"other_year":2005,"gwp":["AR5","AR4"]}`},
		// The PROJECTIONS.md example: 429.4 Mt in 2016 is above the 318.94 Mt the path
		// from 1990 to 2030 allows.
		{"above path", sb32, []Point{pt(2016, "429400000", "AR4", "territorial", 8)}, ReasonAbovePath,
			`{"year":2016,"latest_tco2e":429400000,"target_year":2030,"target_tco2e":258600000,"anchor":"base_year","anchor_year":1990,"path_tco2e":318940000}`},
		{"on path", sb32, []Point{pt(2016, "300000000", "AR4", "territorial", 8)}, ReasonOnPath,
			`{"year":2016,"latest_tco2e":300000000,"target_year":2030,"target_tco2e":258600000,"anchor":"base_year","anchor_year":1990,"path_tco2e":318940000}`},
		{"achieved", sb32, []Point{pt(2019, "250000000", "AR4", "territorial", 8)}, ReasonAtOrBelowTarget,
			`{"year":2019,"latest_tco2e":250000000,"target_year":2030,"target_tco2e":258600000}`},
		{"expired", sb32, []Point{pt(2031, "300000000", "AR4", "territorial", 8)}, ReasonTargetYearPassed,
			`{"year":2031,"latest_tco2e":300000000,"target_year":2030,"target_tco2e":258600000}`},
		{"pending", peak, []Point{ar5(2020, "100", 1), ar5(2023, "104", 2)}, ReasonBeforePeakYear, `{"year":2023,"latest_tco2e":104,"peak_year":2025}`},
		{"nothing before", peak, []Point{ar5(2026, "100", 1)}, ReasonNothingBeforePeak, `{"peak_year":2025}`},
		{"exceeded", peak, []Point{ar5(2024, "110", 1), ar5(2026, "111", 2)}, ReasonPeakExceeded,
			`{"year":2026,"latest_tco2e":111,"peak_year":2025,"max_year":2024,"max_tco2e":110}`},
		{"confirmed", peak, []Point{ar5(2024, "110", 1), ar5(2026, "105", 2), ar5(2027, "104", 3)}, ReasonPeakConfirmed,
			`{"peak_year":2025,"max_year":2024,"max_tco2e":110,"lower_after":2}`},
		{"unconfirmed", peak, []Point{ar5(2024, "110", 1), ar5(2026, "110", 2)}, ReasonPeakUnconfirmed,
			`{"peak_year":2025,"max_year":2024,"max_tco2e":110,"lower_after":0}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := Assess(TargetInput{Body: tt.target, Ref: targetRef}, tt.series)
			params, err := json.Marshal(p.ReasonParams)
			if err != nil {
				t.Fatal(err)
			}
			if p.ReasonCode != tt.code || string(params) != tt.params {
				t.Errorf("got %s %s, want %s %s (%s)", p.ReasonCode, params, tt.code, tt.params, p.Reason)
			}
		})
	}
}
