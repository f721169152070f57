package events

// The GPC reference numbers an inventory line may carry.
//
// The table follows the Global Protocol for Community-Scale Greenhouse Gas Emission
// Inventories (GPC, WRI / C40 / ICLEI, version 1.0, 2014), chapter 4 "Reporting
// requirements": the scopes table (Table 4.3) and the reporting template built on it.
// Each row there has a GPC reference number, the scope it is reported under, and one of
// four markings, kept here as gpcInclusion:
//
//   - sources required for BASIC reporting;
//   - sources added for BASIC+ reporting;
//   - sources required for the territorial total but not for BASIC/BASIC+ (I.4.4, the
//     III.x.3 rows);
//   - other scope 3 (VI.1), reported apart from every total.
//
// Sectors I–III have three-part numbers (subsector . row); IPPU, AFOLU and other
// scope 3 have two-part numbers (IV.1, V.2, VI.1), as in the GPC. Off-road
// transportation (II.5) has rows for scopes 1 and 2 only.

// GPC sector names, as returned by GPCSector and used in target coverage.
const (
	SectorStationaryEnergy = "stationary_energy" // GPC sector I
	SectorTransportation   = "transportation"    // GPC sector II
	SectorWaste            = "waste"             // GPC sector III
	SectorIPPU             = "ippu"              // GPC sector IV, industrial processes and product use
	SectorAFOLU            = "afolu"             // GPC sector V, agriculture, forestry and other land use
	SectorOtherScope3      = "other_scope3"      // GPC sector VI
)

// gpcInclusion says which inventory totals a GPC row belongs to.
type gpcInclusion uint8

const (
	gpcBasic           gpcInclusion = iota + 1 // BASIC, and so also BASIC+
	gpcBasicPlus                               // BASIC+ only
	gpcTerritorialOnly                         // territorial total only
	gpcOtherScope3                             // no total
)

type gpcRow struct {
	ref    string
	sector string
	scope  int
	in     gpcInclusion
}

// gpcTable lists every GPC reference number in the GPC's order.
var gpcTable = []gpcRow{
	// I Stationary energy: .1 fuel combustion in the boundary (scope 1), .2 grid-supplied
	// energy consumed in the boundary (scope 2), .3 transmission and distribution losses
	// (scope 3).
	{"I.1.1", SectorStationaryEnergy, 1, gpcBasic}, // residential buildings
	{"I.1.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.1.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.2.1", SectorStationaryEnergy, 1, gpcBasic}, // commercial and institutional buildings and facilities
	{"I.2.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.2.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.3.1", SectorStationaryEnergy, 1, gpcBasic}, // manufacturing industries and construction
	{"I.3.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.3.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.4.1", SectorStationaryEnergy, 1, gpcBasic}, // energy industries
	{"I.4.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.4.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.4.4", SectorStationaryEnergy, 1, gpcTerritorialOnly}, // energy generation supplied to the grid
	{"I.5.1", SectorStationaryEnergy, 1, gpcBasic},           // agriculture, forestry and fishing activities
	{"I.5.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.5.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.6.1", SectorStationaryEnergy, 1, gpcBasic}, // non-specified sources
	{"I.6.2", SectorStationaryEnergy, 2, gpcBasic},
	{"I.6.3", SectorStationaryEnergy, 3, gpcBasicPlus},
	{"I.7.1", SectorStationaryEnergy, 1, gpcBasic}, // fugitive: mining, processing, storage, transport of coal
	{"I.8.1", SectorStationaryEnergy, 1, gpcBasic}, // fugitive: oil and natural gas systems

	// II Transportation: .1 fuel combustion in the boundary (scope 1), .2 grid-supplied
	// energy (scope 2), .3 transboundary journeys and T&D losses (scope 3).
	{"II.1.1", SectorTransportation, 1, gpcBasic}, // on-road
	{"II.1.2", SectorTransportation, 2, gpcBasic},
	{"II.1.3", SectorTransportation, 3, gpcBasicPlus},
	{"II.2.1", SectorTransportation, 1, gpcBasic}, // railways
	{"II.2.2", SectorTransportation, 2, gpcBasic},
	{"II.2.3", SectorTransportation, 3, gpcBasicPlus},
	{"II.3.1", SectorTransportation, 1, gpcBasic}, // waterborne navigation
	{"II.3.2", SectorTransportation, 2, gpcBasic},
	{"II.3.3", SectorTransportation, 3, gpcBasicPlus},
	{"II.4.1", SectorTransportation, 1, gpcBasic}, // aviation
	{"II.4.2", SectorTransportation, 2, gpcBasic},
	{"II.4.3", SectorTransportation, 3, gpcBasicPlus},
	{"II.5.1", SectorTransportation, 1, gpcBasic}, // off-road
	{"II.5.2", SectorTransportation, 2, gpcBasic},

	// III Waste: .1 generated and treated in the boundary (scope 1), .2 generated in the
	// boundary, treated outside (scope 3), .3 generated outside, treated in the boundary
	// (scope 1, territorial total only).
	{"III.1.1", SectorWaste, 1, gpcBasic}, // solid waste disposal
	{"III.1.2", SectorWaste, 3, gpcBasic},
	{"III.1.3", SectorWaste, 1, gpcTerritorialOnly},
	{"III.2.1", SectorWaste, 1, gpcBasic}, // biological treatment of waste
	{"III.2.2", SectorWaste, 3, gpcBasic},
	{"III.2.3", SectorWaste, 1, gpcTerritorialOnly},
	{"III.3.1", SectorWaste, 1, gpcBasic}, // incineration and open burning
	{"III.3.2", SectorWaste, 3, gpcBasic},
	{"III.3.3", SectorWaste, 1, gpcTerritorialOnly},
	{"III.4.1", SectorWaste, 1, gpcBasic}, // wastewater treatment and discharge
	{"III.4.2", SectorWaste, 3, gpcBasic},
	{"III.4.3", SectorWaste, 1, gpcTerritorialOnly},

	// IV Industrial processes and product use (scope 1).
	{"IV.1", SectorIPPU, 1, gpcBasicPlus}, // industrial processes
	{"IV.2", SectorIPPU, 1, gpcBasicPlus}, // product use

	// V Agriculture, forestry and other land use (scope 1).
	{"V.1", SectorAFOLU, 1, gpcBasicPlus}, // livestock
	{"V.2", SectorAFOLU, 1, gpcBasicPlus}, // land (removals may be reported as negative figures)
	{"V.3", SectorAFOLU, 1, gpcBasicPlus}, // aggregate sources and non-CO2 emission sources on land

	// VI Other scope 3.
	{"VI.1", SectorOtherScope3, 3, gpcOtherScope3},
}

// gpcLandRef is the AFOLU land row, the only one whose figures may be negative
// (net removals).
const gpcLandRef = "V.2"

var gpcByRef = func() map[string]gpcRow {
	m := make(map[string]gpcRow, len(gpcTable))
	for _, r := range gpcTable {
		m[r.ref] = r
	}
	return m
}()

// GPCRefs returns every GPC reference number an inventory line may carry, in the GPC's
// order ("I.1.1" … "VI.1"). The caller owns the returned slice.
func GPCRefs() []string {
	refs := make([]string, len(gpcTable))
	for i, r := range gpcTable {
		refs[i] = r.ref
	}
	return refs
}

// GPCSector returns the sector of a GPC reference number (SectorStationaryEnergy,
// SectorTransportation, SectorWaste, SectorIPPU, SectorAFOLU or SectorOtherScope3), and
// false when ref is not one.
func GPCSector(ref string) (sector string, ok bool) {
	r, ok := gpcByRef[ref]
	return r.sector, ok
}

// GPCScope returns the scope (1, 2 or 3) a GPC reference number is reported under, and
// false when ref is not one.
func GPCScope(ref string) (scope int, ok bool) {
	r, ok := gpcByRef[ref]
	return r.scope, ok
}

// gpcInLevel reports whether a row of a known GPC reference number belongs in an
// inventory of the given level, whose total is the sum of its lines: BASIC holds only
// BASIC rows; BASIC+ also the BASIC+ rows; territorial (the scope 1 total) every
// scope 1 row.
func gpcInLevel(r gpcRow, level string) bool {
	switch level {
	case InventoryLevelBasic:
		return r.in == gpcBasic
	case InventoryLevelBasicPlus:
		return r.in == gpcBasic || r.in == gpcBasicPlus
	case InventoryLevelTerritorial:
		return r.scope == 1
	}
	return true
}
