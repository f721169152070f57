package projections

import (
	"cmp"
	"math"
	"math/big"
	"slices"

	"github.com/climateledger/climateledger/events"
)

// partyModel is what the applier keeps in memory about a party to rewrite its
// summary and progress rows without reading its rows back: its targets' revisions,
// inventory headers, plan versions and partnerships, each with its retracted mark.
// It is a cache of rows that are in Pebble (or in the batch being built): it is
// loaded from them on first use and dropped whenever a batch may have been
// discarded.
type partyModel struct {
	row     PartyRow
	targets map[string][]targetRev
	invs    []invHeader
	plans   map[string][]planVer
	pships  []pshipRef
	// sum and prog are the summary and progress rows as last written.
	sum  []byte
	prog map[string][]byte

	// invVer counts the changes of invs that can change a series (an inventory
	// added or retracted); call invsChanged after each.
	invVer uint64
	// seriesVer is the invVer that series was computed at.
	seriesVer uint64
	// series holds the current inventory series of each boundary (series()).
	series map[string][]Point
	// progIn are the inputs of each progress row in prog as last assessed: a
	// progress row is assessed again only when its target's current revision or the
	// inventories changed.
	progIn map[string]progInput
}

// progInput is what a target's progress was assessed from: the current revision
// (an event: its body) and the inventories (invVer).
type progInput struct {
	rev    Ref
	invVer uint64
}

// invsChanged records a change of invs that can change the series.
func (m *partyModel) invsChanged() { m.invVer++ }

type targetRev struct {
	ref       Ref
	seq       uint64
	withdrawn bool
	body      *events.TargetSetBody
	retracted bool
}

type invHeader struct {
	year      int
	seq       uint64
	ref       Ref
	total     events.Decimal
	gwp       string
	level     string
	framework string
	// boundary is the effective boundary_type (events.EffectiveBoundary): each
	// boundary has its own current inventory per year.
	boundary  string
	restates  string
	retracted bool
	// current and restatedBy are the standing as stored in the row.
	current    bool
	restatedBy []Ref
}

// standing computes the Current and RestatedBy of every inventory of year (of every
// boundary), and calls changed for each one (index into invs) whose stored standing
// differs.
func standing(invs []invHeader, year int, changed func(i int, current bool, restatedBy []Ref)) {
	var inYear []int
	for i := range invs {
		if invs[i].year == year {
			inYear = append(inYear, i)
		}
	}
	var cands []int
	for _, i := range inYear {
		// The year's current inventory of i's boundary.
		b := events.EffectiveBoundary(invs[i].boundary)
		cands = cands[:0]
		for _, j := range inYear {
			if !invs[j].retracted && events.EffectiveBoundary(invs[j].boundary) == b {
				cands = append(cands, j)
			}
		}
		cur := pickCurrent(invs, cands)
		var by []Ref
		for _, j := range inYear {
			if !invs[j].retracted && invs[j].restates == invs[i].ref.EventID {
				by = append(by, invs[j].ref)
			}
		}
		if (i == cur) != invs[i].current || !slices.Equal(by, invs[i].restatedBy) {
			changed(i, i == cur, by)
		}
	}
}

// boundaryRank is the position of an effective boundary_type in
// events.BoundaryTypes() (community first), len(boundaryOrder) for one not there.
func boundaryRank(boundaryType string) int {
	b := events.EffectiveBoundary(boundaryType)
	for i, x := range boundaryOrder {
		if x == b {
			return i
		}
	}
	return len(boundaryOrder)
}

var boundaryOrder = events.BoundaryTypes()

// pickCurrent picks the current inventory among cands (indexes into invs of the
// inventories of one year and boundary that were not retracted): leave out those that
// another of them restates, and take the latest (highest seq) of the rest; -1 when
// none is left.
func pickCurrent(invs []invHeader, cands []int) int {
	best := -1
	for _, i := range cands {
		restated := false
		for _, j := range cands {
			if invs[j].restates == invs[i].ref.EventID {
				restated = true
				break
			}
		}
		if !restated && (best < 0 || invs[i].seq > invs[best].seq) {
			best = i
		}
	}
	return best
}

type planVer struct {
	version   int
	ref       Ref
	retracted bool
}

type pshipRef struct {
	id        string
	ref       Ref
	partners  []string
	retracted bool
}

func newPartyModel(row PartyRow) *partyModel {
	return &partyModel{row: row, targets: map[string][]targetRev{}, plans: map[string][]planVer{}, prog: map[string][]byte{},
		progIn: map[string]progInput{}}
}

// currentTarget returns a target's current revision: its last event that was not
// retracted (nil when every one was).
func currentTarget(revs []targetRev) *targetRev {
	for i := len(revs) - 1; i >= 0; i-- {
		if !revs[i].retracted {
			return &revs[i]
		}
	}
	return nil
}

// currentInventories picks each year's current inventory of each boundary: among
// the inventories of that year and boundary that were not retracted, leave out those
// that another of them restates, and take the latest (highest seq) of the rest. It
// returns the indexes into invs of the picks, in increasing year order (community
// before government_operations within a year).
func currentInventories(invs []invHeader) []int {
	type group struct {
		year int
		rank int
		name string
	}
	live := make([]int, 0, len(invs))
	groups := make([]group, len(invs))
	for i, h := range invs {
		if !h.retracted {
			live = append(live, i)
			groups[i] = group{h.year, boundaryRank(h.boundary), events.EffectiveBoundary(h.boundary)}
		}
	}
	// Sort by year, then boundary, then position in invs (stable).
	slices.SortStableFunc(live, func(a, b int) int {
		ga, gb := groups[a], groups[b]
		return cmp.Or(cmp.Compare(ga.year, gb.year), cmp.Compare(ga.rank, gb.rank), cmp.Compare(ga.name, gb.name))
	})
	out := make([]int, 0, len(live))
	for start := 0; start < len(live); {
		end := start + 1
		for end < len(live) && groups[live[end]] == groups[live[start]] {
			end++
		}
		if best := pickCurrent(invs, live[start:end]); best >= 0 {
			out = append(out, best)
		}
		start = end
	}
	return out
}

// seriesOf returns the current inventory series of one boundary (an effective
// boundary_type): progress never mixes boundaries. It is computed again only after
// invsChanged.
func (m *partyModel) seriesOf(boundary string) []Point {
	if m.series == nil || m.seriesVer != m.invVer {
		m.series = map[string][]Point{}
		m.seriesVer = m.invVer
		for _, i := range currentInventories(m.invs) {
			h := m.invs[i]
			b := events.EffectiveBoundary(h.boundary)
			m.series[b] = append(m.series[b], Point{Year: h.year, TCO2e: h.total, GWP: h.gwp, Level: h.level, Framework: h.framework, Ref: h.ref})
		}
	}
	return m.series[boundary]
}

// activeTarget is a target that is set and not withdrawn, with its current revision.
type activeTarget struct {
	id  string
	cur *targetRev
}

// summary computes the party's summary and lists its active targets in id order.
func (m *partyModel) summary() (Summary, []activeTarget) {
	s := Summary{ID: m.row.ID, Kind: m.row.Kind, Names: m.row.Names, Country: m.row.Country, Level: m.row.Level, Parent: m.row.Parent,
		ActiveTargets: []TargetRef{}, Plans: []PlanRef{}, Partnerships: []PartnershipRef{}}
	// The latest inventory (the inventories commitment, network totals) is the
	// latest community-wide one: a government_operations inventory is a part of the
	// jurisdiction's emissions, not its total.
	if cs := m.seriesOf(events.BoundaryCommunity); len(cs) > 0 {
		l := cs[len(cs)-1]
		s.LatestInventory = &InventoryRef{Year: l.Year, TotalTCO2e: l.TCO2e, GWP: l.GWP, Level: l.Level, Ref: l.Ref}
	}
	var active []activeTarget
	bodies := map[string]*events.TargetSetBody{}
	for _, id := range sortedKeys(m.targets) {
		cur := currentTarget(m.targets[id])
		if cur == nil || cur.withdrawn {
			continue
		}
		bodies[id] = cur.body
		s.ActiveTargets = append(s.ActiveTargets, TargetRef{TargetID: id, Type: cur.body.Type, EndYear: EndYear(cur.body), Ref: cur.ref})
		active = append(active, activeTarget{id: id, cur: cur})
	}
	for _, id := range sortedKeys(m.plans) {
		vs := m.plans[id]
		for i := len(vs) - 1; i >= 0; i-- {
			if !vs[i].retracted {
				s.Plans = append(s.Plans, PlanRef{PlanID: id, Version: vs[i].version, Ref: vs[i].ref})
				break
			}
		}
	}
	for _, p := range m.pships {
		if !p.retracted {
			s.Partnerships = append(s.Partnerships, PartnershipRef{PartnershipID: p.id, Partners: p.partners, Ref: p.ref})
		}
	}
	latest := 0
	if s.LatestInventory != nil {
		latest = s.LatestInventory.Year
	}
	s.MainTargetID = mainTarget(s.ActiveTargets, bodies, latest)
	return s, active
}

// progress assesses an active target against the series of its boundary.
func (m *partyModel) progress(t activeTarget) Progress {
	return Assess(TargetInput{Body: t.cur.body, Ref: t.cur.ref}, m.seriesOf(events.EffectiveBoundary(t.cur.body.BoundaryType)))
}

// mainTarget picks the target a party is judged by in lists. Among the active
// targets it prefers, in this order: a type that inventories can assess (not
// base_year_intensity, not baseline_scenario without baseline emissions); an end year
// at or after the latest inventory year (the next one due), the earliest such; else
// the latest end year; the earlier type in events.TargetTypes; the smaller target id.
func mainTarget(ts []TargetRef, bodies map[string]*events.TargetSetBody, latestYear int) string {
	if len(ts) == 0 {
		return ""
	}
	types := events.TargetTypes()
	assessable := func(t TargetRef) bool {
		b := bodies[t.TargetID]
		return b.Type != events.TargetBaseYearIntensity && !(b.Type == events.TargetBaselineScenario && b.BaselineEmissionsTCO2e == nil)
	}
	best := slices.MinFunc(ts, func(a, b TargetRef) int {
		aOK, bOK := assessable(a), assessable(b)
		aDue, bDue := a.EndYear >= latestYear, b.EndYear >= latestYear
		switch {
		case aOK != bOK:
			if aOK {
				return -1
			}
			return 1
		case aDue != bDue:
			if aDue {
				return -1
			}
			return 1
		case aDue && a.EndYear != b.EndYear:
			return cmp.Compare(a.EndYear, b.EndYear)
		case !aDue && a.EndYear != b.EndYear:
			return cmp.Compare(b.EndYear, a.EndYear)
		}
		if c := cmp.Compare(slices.Index(types, a.Type), slices.Index(types, b.Type)); c != 0 {
			return c
		}
		return cmp.Compare(a.TargetID, b.TargetID)
	})
	return best.TargetID
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// acc sums Decimals exactly: in an int64 while it fits, else in a big.Int.
type acc struct {
	small int64
	big   *big.Int
	lines int
}

func (a *acc) add(d events.Decimal) {
	a.lines++
	v := int64(d)
	if a.big == nil {
		if (v > 0 && a.small > math.MaxInt64-v) || (v < 0 && a.small < math.MinInt64-v) {
			a.big = big.NewInt(a.small)
		} else {
			a.small += v
			return
		}
	}
	a.big.Add(a.big, big.NewInt(v))
}

func (a *acc) number() Number {
	if a.big != nil {
		return numberOfInt(new(big.Int).Set(a.big))
	}
	return Number{small: a.small}
}

var (
	sectorOrder = events.Sectors()
	gasOrder    = append(events.Gases(), events.GasCO2e)
)

// appendBreakdown appends the JSON of an inventory's Breakdown for lines (not
// empty): its lines summed by sector, scope, gas and all three, each with its line
// count (lines with a notation key listed apart), written as the sums are made
// without building a Breakdown (TestAppendBreakdown compares it with one).
func appendBreakdown(b []byte, lines []events.InventoryLine) []byte {
	type cellLine struct {
		sector, scope, gas int
		tco2e              events.Decimal
	}
	var bySector [8]acc
	var byScope [4]acc
	var byGas [9]acc
	var buf [16]cellLine
	cells := buf[:0]
	notations := false
	for _, l := range lines {
		if l.TCO2e == nil {
			notations = true
			continue
		}
		sector, _ := events.GPCSector(l.GPCRef)
		scope, _ := events.GPCScope(l.GPCRef)
		si, gi := slices.Index(sectorOrder, sector), slices.Index(gasOrder, l.Gas)
		if si < 0 || gi < 0 || scope < 1 || scope > 3 {
			continue // not in a valid body
		}
		bySector[si].add(*l.TCO2e)
		byScope[scope].add(*l.TCO2e)
		byGas[gi].add(*l.TCO2e)
		cells = append(cells, cellLine{si, scope, gi, *l.TCO2e})
	}
	// amount closes o, an amount's object, with its sum and line count.
	amount := func(o jobj, a *acc) []byte {
		o.num("tco2e", a.number())
		o.int("lines", a.lines)
		return o.close()
	}
	// elem starts the object of the n-th element of an array.
	elem := func(b []byte, n int) jobj {
		if n > 0 {
			b = append(b, ',')
		}
		return openObj(b)
	}
	b = append(b, `{"by_sector":[`...)
	n := 0
	for i, s := range sectorOrder {
		if bySector[i].lines > 0 {
			o := elem(b, n)
			o.str("sector", s)
			b = amount(o, &bySector[i])
			n++
		}
	}
	b = append(b, `],"by_scope":[`...)
	n = 0
	for s := 1; s <= 3; s++ {
		if byScope[s].lines > 0 {
			o := elem(b, n)
			o.int("scope", s)
			b = amount(o, &byScope[s])
			n++
		}
	}
	b = append(b, `],"by_gas":[`...)
	n = 0
	for i, g := range gasOrder {
		if byGas[i].lines > 0 {
			o := elem(b, n)
			o.str("gas", g)
			b = amount(o, &byGas[i])
			n++
		}
	}
	b = append(b, `],"cells":[`...)
	slices.SortStableFunc(cells, func(a, b cellLine) int {
		return cmp.Or(cmp.Compare(a.sector, b.sector), cmp.Compare(a.scope, b.scope), cmp.Compare(a.gas, b.gas))
	})
	for start := 0; start < len(cells); {
		var c acc
		k := cells[start]
		end := start
		for ; end < len(cells) && cells[end].sector == k.sector && cells[end].scope == k.scope && cells[end].gas == k.gas; end++ {
			c.add(cells[end].tco2e)
		}
		o := elem(b, start)
		o.str("sector", sectorOrder[k.sector])
		o.int("scope", k.scope)
		o.str("gas", gasOrder[k.gas])
		b = amount(o, &c)
		start = end
	}
	b = append(b, ']')
	if notations {
		b = append(b, `,"notation_keys":[`...)
		n = 0
		for i := range lines {
			l := &lines[i]
			if l.TCO2e != nil {
				continue
			}
			o := elem(b, n)
			n++
			o.str("gpc_ref", l.GPCRef)
			o.str("gas", l.Gas)
			o.str("notation", l.Notation)
			o.str("explanation", l.Explanation)
			b = o.close()
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
