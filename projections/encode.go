package projections

import (
	"encoding/hex"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/climateledger/climateledger/events"
)

// The rows' JSON, written by hand. Each appendJSON method appends exactly the bytes
// that marshal (encoding/json, HTML escaping off) writes for the same value: fields
// in declaration order with their json names, omitempty as encoding/json applies it
// (zero numbers, "", false, nil pointers, empty slices and maps), nil slices and
// maps without omitempty as null, map keys sorted, strings escaped as encoding/json
// escapes them. The rows are part of the state digest, so a single byte of
// difference is a different state: TestRowEncodersMatchEncodingJSON compares every
// appender with encoding/json on generated values that set every field, and
// TestFrozenDigests holds whole logs to the digests they had before these existed.
// encodeRow falls back to marshal for any other type.

// encodeRow appends row's JSON to b.
func encodeRow(b []byte, row any) ([]byte, error) {
	switch r := row.(type) {
	case *EventRow:
		return r.appendJSON(b), nil
	case *IDRow:
		return r.appendJSON(b), nil
	case *InventoryRow:
		return r.appendJSON(b), nil
	case *TargetRevisionRow:
		return r.appendJSON(b), nil
	case *PlanVersionRow:
		return r.appendJSON(b), nil
	case *PartnershipRow:
		return r.appendJSON(b), nil
	case *AttestationRow:
		return r.appendJSON(b), nil
	case *KeyRow:
		return r.appendJSON(b), nil
	case *PartyRow:
		return r.appendJSON(b), nil
	case *EndorsementRow:
		return r.appendJSON(b), nil
	case *RejectedRow:
		return r.appendJSON(b), nil
	case *Summary:
		return r.appendJSON(b), nil
	case *Progress:
		return r.appendJSON(b), nil
	}
	data, err := marshal(row)
	return append(b, data...), err
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes it
// without HTML escaping: \" \\ \b \f \n \r \t, other control characters as \u00XX,
// U+2028 and U+2029 as \u2028 and \u2029, invalid UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

// appendStrings appends ss as a JSON array of strings; nil is null.
func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendStringMap appends m as a JSON object with sorted keys; nil is null.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendString(b, k), ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func appendInt(b []byte, v int) []byte { return strconv.AppendInt(b, int64(v), 10) }

func appendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// appendThousandths appends v thousandths in the shortest decimal form: "431000000",
// "0.5", "-12.125" (events.Decimal.String and Number.String).
func appendThousandths(b []byte, v int64) []byte {
	if v < 0 {
		if v == -v { // math.MinInt64
			return append(b, events.Decimal(v).String()...)
		}
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/events.DecimalScale, 10)
	if f := v % events.DecimalScale; f != 0 {
		d := [4]byte{'.', byte('0' + f/100), byte('0' + f/10%10), byte('0' + f%10)}
		n := 4
		for d[n-1] == '0' {
			n--
		}
		b = append(b, d[:n]...)
	}
	return b
}

func appendDecimal(b []byte, d events.Decimal) []byte { return appendThousandths(b, int64(d)) }

func appendNumber(b []byte, n Number) []byte {
	if n.big == nil {
		return appendThousandths(b, n.small)
	}
	return append(b, n.String()...)
}

// jobj writes the fields of one JSON object.
type jobj struct {
	b []byte
	n int // fields written
}

func openObj(b []byte) jobj { return jobj{b: append(b, '{')} }

// key writes the separator and the field's name (a plain ASCII json name).
func (o *jobj) key(name string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(o.b, '"')
	o.b = append(o.b, name...)
	o.b = append(o.b, '"', ':')
}

func (o *jobj) str(name, v string) { o.key(name); o.b = appendString(o.b, v) }
func (o *jobj) strOE(name, v string) {
	if v != "" {
		o.str(name, v)
	}
}
func (o *jobj) int(name string, v int) { o.key(name); o.b = appendInt(o.b, v) }
func (o *jobj) intOE(name string, v int) {
	if v != 0 {
		o.int(name, v)
	}
}
func (o *jobj) u64(name string, v uint64) { o.key(name); o.b = strconv.AppendUint(o.b, v, 10) }
func (o *jobj) u64OE(name string, v uint64) {
	if v != 0 {
		o.u64(name, v)
	}
}
func (o *jobj) bool(name string, v bool)          { o.key(name); o.b = appendBool(o.b, v) }
func (o *jobj) dec(name string, v events.Decimal) { o.key(name); o.b = appendDecimal(o.b, v) }
func (o *jobj) decPtrOE(name string, v *events.Decimal) {
	if v != nil {
		o.dec(name, *v)
	}
}
func (o *jobj) intPtrOE(name string, v *int) {
	if v != nil {
		o.int(name, *v)
	}
}
func (o *jobj) num(name string, v Number)    { o.key(name); o.b = appendNumber(o.b, v) }
func (o *jobj) strs(name string, v []string) { o.key(name); o.b = appendStrings(o.b, v) }
func (o *jobj) strsOE(name string, v []string) {
	if len(v) > 0 {
		o.strs(name, v)
	}
}
func (o *jobj) eventRef(name string, r *EventRef) { o.key(name); o.b = r.appendJSON(o.b) }
func (o *jobj) retractionOE(name string, r *Retraction) {
	if r != nil {
		o.key(name)
		o.b = r.appendJSON(o.b)
	}
}
func (o *jobj) docOE(name string, d *events.DocumentRef) {
	if d != nil {
		o.key(name)
		o.b = appendDocumentRef(o.b, d)
	}
}

// ref writes the fields of an embedded Ref.
func (o *jobj) ref(r Ref) { o.str("event_id", r.EventID); o.u64("index", r.Index) }

// eventRefFields writes the fields of an embedded EventRef.
func (o *jobj) eventRefFields(r *EventRef) {
	o.str("event_id", r.EventID)
	o.u64("index", r.Index)
	o.u64("seq", r.Seq)
	o.str("time", r.Time)
}

func (o *jobj) close() []byte { return append(o.b, '}') }

// appendArray appends xs as a JSON array, each element with elem; nil is null.
func appendArray[T any](b []byte, xs []T, elem func([]byte, *T) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, &xs[i])
	}
	return append(b, ']')
}

func (r *EventRef) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.eventRefFields(r)
	return o.close()
}

func (r *Ref) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.ref(*r)
	return o.close()
}

func (r *Retraction) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("event_id", r.EventID)
	o.u64("index", r.Index)
	o.str("reason", r.Reason)
	return o.close()
}

func appendDocumentRef(b []byte, d *events.DocumentRef) []byte {
	o := openObj(b)
	o.str("url", d.URL)
	o.strOE("sha256", d.SHA256)
	o.strOE("title", d.Title)
	o.strOE("quote", d.Quote)
	return o.close()
}

func (r *EventRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.u64("seq", r.Seq)
	o.str("id", r.ID)
	o.u64("index", r.Index)
	o.str("type", r.Type)
	o.str("time", r.Time)
	if r.hashSet && r.Hash == "" {
		o.key("hash")
		o.b = append(hex.AppendEncode(append(o.b, '"'), r.hash[:]), '"')
	} else {
		o.str("hash", r.Hash)
	}
	o.retractionOE("retracted", r.Retracted)
	return o.close()
}

func (r *IDRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("party", r.Party)
	o.u64("seq", r.Seq)
	o.u64("index", r.Index)
	o.str("type", r.Type)
	o.strOE("target_id", r.TargetID)
	o.intOE("year", r.Year)
	o.strOE("plan_id", r.PlanID)
	o.intOE("version", r.Version)
	o.strsOE("partners", r.Partners)
	o.strOE("subject", r.Subject)
	o.strOE("subject_party", r.SubjectParty)
	return o.close()
}

func (r *PartyRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("id", r.ID)
	o.str("kind", r.Kind)
	o.key("names")
	o.b = appendStringMap(o.b, r.Names)
	o.strOE("country", r.Country)
	o.strOE("level", r.Level)
	o.strOE("parent", r.Parent)
	if c := r.Codes; c != nil {
		o.key("codes")
		co := openObj(o.b)
		co.strOE("iso3166_2", c.ISO3166_2)
		co.strOE("unlocode", c.UNLOCODE)
		o.b = co.close()
	}
	o.eventRef("enrolled", &r.Enrolled)
	if len(r.Participations) > 0 {
		o.key("participations")
		o.b = appendArray(o.b, r.Participations, func(b []byte, p *events.Participation) []byte {
			po := openObj(b)
			po.str("summit", p.Summit)
			po.str("date", p.Date)
			po.docOE("source", p.Source)
			return po.close()
		})
	}
	return o.close()
}

func (r *KeyRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("keyid", r.KeyID)
	o.str("public", r.Public)
	o.eventRef("added", &r.Added)
	if v := r.Revoked; v != nil {
		o.key("revoked")
		ro := openObj(o.b)
		ro.eventRefFields(&v.EventRef)
		ro.str("chain", v.Chain)
		ro.str("reason", v.Reason)
		o.b = ro.close()
	}
	return o.close()
}

func (r *EndorsementRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("summit", r.Summit)
	o.str("date", r.Date)
	o.strOE("target_wording", r.TargetWording)
	o.str("source", r.Source)
	o.docOE("document", r.Document)
	o.eventRef("event", &r.Event)
	o.retractionOE("retracted", r.Retracted)
	return o.close()
}

func (r *TargetRevisionRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("target_id", r.TargetID)
	o.eventRef("event", &r.Event)
	o.str("action", r.Action)
	o.int("revision", r.Revision)
	if r.Set != nil {
		o.key("set")
		o.b = appendTargetSet(o.b, r.Set)
	}
	o.strOE("reason", r.Reason)
	o.retractionOE("retracted", r.Retracted)
	return o.close()
}

func appendTargetSet(b []byte, t *events.TargetSetBody) []byte {
	o := openObj(b)
	o.str("target_id", t.TargetID)
	o.str("type", t.Type)
	o.intPtrOE("base_year", t.BaseYear)
	o.decPtrOE("base_emissions_tco2e", t.BaseEmissionsTCO2e)
	o.intPtrOE("target_year", t.TargetYear)
	o.decPtrOE("reduction_pct", t.ReductionPct)
	o.decPtrOE("target_emissions_tco2e", t.TargetEmissionsTCO2e)
	o.decPtrOE("baseline_emissions_tco2e", t.BaselineEmissionsTCO2e)
	o.intPtrOE("peak_year", t.PeakYear)
	o.strOE("qualifier", t.Qualifier)
	o.strOE("intensity_unit", t.IntensityUnit)
	o.decPtrOE("base_intensity", t.BaseIntensity)
	if len(t.Milestones) > 0 {
		o.key("milestones")
		o.b = appendArray(o.b, t.Milestones, func(b []byte, m *events.Milestone) []byte {
			mo := openObj(b)
			mo.int("year", m.Year)
			mo.decPtrOE("target_emissions_tco2e", m.TargetEmissionsTCO2e)
			return mo.close()
		})
	}
	if c := t.Coverage; c != nil {
		o.key("coverage")
		co := openObj(o.b)
		co.strsOE("gases", c.Gases)
		co.strsOE("sectors", c.Sectors)
		if len(c.Scopes) > 0 {
			co.key("scopes")
			co.b = appendArray(co.b, c.Scopes, func(b []byte, s *int) []byte { return appendInt(b, *s) })
		}
		o.b = co.close()
	}
	o.strOE("boundary_type", t.BoundaryType)
	if f := t.Offsets; f != nil {
		o.key("offsets")
		fo := openObj(o.b)
		fo.bool("allowed", f.Allowed)
		fo.decPtrOE("max_pct", f.MaxPct)
		o.b = fo.close()
	}
	o.str("legal_status", t.LegalStatus)
	o.intPtrOE("year_set", t.YearSet)
	o.docOE("source", t.Source)
	o.strOE("description", t.Description)
	return o.close()
}

func (r *InventoryRow) appendJSON(b []byte) []byte {
	if r.raw != nil {
		return append(b, r.raw...)
	}
	o := openObj(b)
	o.int("year", r.Year)
	o.eventRef("event", &r.Event)
	o.str("framework", r.Framework)
	o.str("level", r.Level)
	o.str("gwp", r.GWP)
	o.dec("total_tco2e", r.TotalTCO2e)
	o.strOE("restates", r.Restates)
	o.docOE("source", r.Source)
	o.strOE("boundary_type", r.BoundaryType)
	o.strOE("boundary", r.Boundary)
	o.int("lines", r.Lines)
	switch {
	case r.Breakdown != nil:
		o.key("breakdown")
		o.b = r.Breakdown.appendJSON(o.b)
	case len(r.lines) > 0:
		o.key("breakdown")
		o.b = appendBreakdown(o.b, r.lines)
	}
	o.retractionOE("retracted", r.Retracted)
	o.bool("current", r.Current)
	if len(r.RestatedBy) > 0 {
		o.key("restated_by")
		o.b = appendArray(o.b, r.RestatedBy, appendRefElem)
	}
	return o.close()
}

func appendRefElem(b []byte, r *Ref) []byte { return r.appendJSON(b) }

func (d *Breakdown) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.key("by_sector")
	o.b = appendArray(o.b, d.BySector, func(b []byte, s *SectorAmount) []byte {
		so := openObj(b)
		so.str("sector", s.Sector)
		so.num("tco2e", s.TCO2e)
		so.int("lines", s.Lines)
		return so.close()
	})
	o.key("by_scope")
	o.b = appendArray(o.b, d.ByScope, func(b []byte, s *ScopeAmount) []byte {
		so := openObj(b)
		so.int("scope", s.Scope)
		so.num("tco2e", s.TCO2e)
		so.int("lines", s.Lines)
		return so.close()
	})
	o.key("by_gas")
	o.b = appendArray(o.b, d.ByGas, func(b []byte, g *GasAmount) []byte {
		go_ := openObj(b)
		go_.str("gas", g.Gas)
		go_.num("tco2e", g.TCO2e)
		go_.int("lines", g.Lines)
		return go_.close()
	})
	o.key("cells")
	o.b = appendArray(o.b, d.Cells, func(b []byte, c *Cell) []byte {
		co := openObj(b)
		co.str("sector", c.Sector)
		co.int("scope", c.Scope)
		co.str("gas", c.Gas)
		co.num("tco2e", c.TCO2e)
		co.int("lines", c.Lines)
		return co.close()
	})
	if len(d.Notations) > 0 {
		o.key("notation_keys")
		o.b = appendArray(o.b, d.Notations, func(b []byte, n *NotationLine) []byte {
			no := openObj(b)
			no.str("gpc_ref", n.GPCRef)
			no.str("gas", n.Gas)
			no.str("notation", n.Notation)
			no.str("explanation", n.Explanation)
			return no.close()
		})
	}
	return o.close()
}

func (r *PlanVersionRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("plan_id", r.PlanID)
	o.int("version", r.Version)
	o.eventRef("event", &r.Event)
	o.str("title", r.Title)
	o.str("adopted", r.Adopted)
	o.int("horizon_year", r.HorizonYear)
	o.docOE("document", r.Document)
	o.key("actions")
	o.b = appendArray(o.b, r.Actions, func(b []byte, a *events.PlanAction) []byte {
		ao := openObj(b)
		ao.str("action_id", a.ActionID)
		ao.str("title", a.Title)
		ao.str("sector", a.Sector)
		ao.str("kind", a.Kind)
		ao.str("status", a.Status)
		ao.decPtrOE("expected_reduction_tco2e_per_year", a.ExpectedReductionTCO2ePerYear)
		ao.strsOE("hazards", a.Hazards)
		if c := a.Cost; c != nil {
			ao.key("cost")
			co := openObj(ao.b)
			co.decPtrOE("amount", c.Amount)
			co.str("currency", c.Currency)
			ao.b = co.close()
		}
		return ao.close()
	})
	o.retractionOE("retracted", r.Retracted)
	return o.close()
}

func (r *PartnershipRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("partnership_id", r.PartnershipID)
	o.str("submitter", r.Submitter)
	o.eventRef("event", &r.Event)
	o.strs("partners", r.Partners)
	o.str("instrument", r.Instrument)
	o.strs("topics", r.Topics)
	o.str("signed", r.Signed)
	o.strOE("description", r.Description)
	o.docOE("document", r.Document)
	o.retractionOE("retracted", r.Retracted)
	return o.close()
}

func (r *AttestationRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("verifier", r.Verifier)
	o.eventRef("event", &r.Event)
	o.key("subject")
	so := openObj(o.b)
	so.str("event_id", r.Subject.EventID)
	so.str("hash", r.Subject.Hash)
	so.str("party", r.Subject.Party)
	so.str("type", r.Subject.Type)
	so.u64("index", r.Subject.Index)
	o.b = so.close()
	o.str("standard", r.Standard)
	o.str("assurance", r.Assurance)
	o.decPtrOE("materiality_pct", r.MaterialityPct)
	o.str("opinion", r.Opinion)
	o.strOE("summary", r.Summary)
	o.retractionOE("retracted", r.Retracted)
	o.retractionOE("subject_retracted", r.SubjectRetracted)
	return o.close()
}

func (r *RejectedRow) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.u64("index", r.Index)
	o.str("code", r.Code)
	o.str("reason", r.Reason)
	o.strOE("id", r.ID)
	o.strOE("party", r.Party)
	o.u64OE("seq", r.Seq)
	return o.close()
}

func (s *Summary) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.str("id", s.ID)
	o.str("kind", s.Kind)
	o.key("names")
	o.b = appendStringMap(o.b, s.Names)
	o.strOE("country", s.Country)
	o.strOE("level", s.Level)
	o.strOE("parent", s.Parent)
	o.key("active_targets")
	o.b = appendArray(o.b, s.ActiveTargets, func(b []byte, t *TargetRef) []byte {
		to := openObj(b)
		to.str("target_id", t.TargetID)
		to.str("type", t.Type)
		to.intOE("end_year", t.EndYear)
		to.ref(t.Ref)
		return to.close()
	})
	o.key("latest_inventory")
	if l := s.LatestInventory; l == nil {
		o.b = append(o.b, "null"...)
	} else {
		lo := openObj(o.b)
		lo.int("year", l.Year)
		lo.dec("total_tco2e", l.TotalTCO2e)
		lo.str("gwp", l.GWP)
		lo.str("level", l.Level)
		lo.strOE("boundary_type", l.BoundaryType)
		lo.ref(l.Ref)
		o.b = lo.close()
	}
	o.key("plans")
	o.b = appendArray(o.b, s.Plans, func(b []byte, p *PlanRef) []byte {
		po := openObj(b)
		po.str("plan_id", p.PlanID)
		po.int("version", p.Version)
		po.ref(p.Ref)
		return po.close()
	})
	o.key("partnerships")
	o.b = appendArray(o.b, s.Partnerships, func(b []byte, p *PartnershipRef) []byte {
		po := openObj(b)
		po.str("partnership_id", p.PartnershipID)
		po.strs("partners", p.Partners)
		po.ref(p.Ref)
		return po.close()
	})
	o.strOE("main_target_id", s.MainTargetID)
	return o.close()
}

func (p *Progress) appendJSON(b []byte) []byte {
	if p.raw != nil {
		return append(b, p.raw...)
	}
	o := openObj(b)
	o.str("target_id", p.TargetID)
	o.str("type", p.Type)
	o.key("revision")
	o.b = p.Revision.appendJSON(o.b)
	o.str("status", p.Status)
	o.str("reason", p.Reason)
	o.str("reason_code", p.ReasonCode)
	if rp := p.ReasonParams; rp != nil {
		o.key("reason_params")
		o.b = rp.appendJSON(o.b)
	}
	o.strsOE("notes", p.Notes)
	o.intOE("target_year", p.TargetYear)
	o.figureOE("base", p.Base)
	o.figureOE("target", p.Target)
	o.figureOE("latest", p.Latest)
	if a := p.AchievedPct; a != nil {
		o.key("achieved_pct")
		ao := openObj(o.b)
		ao.num("value", a.Value)
		ao.str("exact", a.Exact)
		ao.str("formula", a.Formula)
		ao.key("sources")
		ao.b = appendArray(ao.b, a.Sources, appendRefElem)
		o.b = ao.close()
	}
	if len(p.Anchors) > 0 {
		o.key("anchors")
		o.b = appendArray(o.b, p.Anchors, func(b []byte, a *Anchor) []byte {
			ao := openObj(b)
			ao.str("anchor", a.Anchor)
			ao.intOE("year", a.Year)
			ao.figureOE("start", a.Start)
			ao.figureOE("path", a.Path)
			if a.OnTrack != nil {
				ao.bool("on_track", *a.OnTrack)
			}
			ao.strOE("not_computable", a.NotComputable)
			return ao.close()
		})
	}
	o.strOE("status_anchor", p.StatusAnchor)
	if pk := p.Peak; pk != nil {
		o.key("peak")
		po := openObj(o.b)
		po.int("peak_year", pk.PeakYear)
		po.str("qualifier", pk.Qualifier)
		po.figureOE("maximum", pk.Maximum)
		if len(pk.After) > 0 {
			po.key("after")
			po.b = appendArray(po.b, pk.After, func(b []byte, f *Figure) []byte { return f.appendJSON(b) })
		}
		po.figureOE("exceeded_by", pk.ExceededBy)
		po.int("lower_after", pk.LowerAfter)
		o.b = po.close()
	}
	return o.close()
}

func (o *jobj) figureOE(name string, f *Figure) {
	if f != nil {
		o.key(name)
		o.b = f.appendJSON(o.b)
	}
}

func (f *Figure) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.intOE("year", f.Year)
	o.num("tco2e", f.TCO2e)
	o.strOE("exact", f.Exact)
	o.str("from", f.From)
	o.strOE("formula", f.Formula)
	o.strOE("gwp", f.GWP)
	o.strOE("level", f.Level)
	o.key("sources")
	o.b = appendArray(o.b, f.Sources, appendRefElem)
	return o.close()
}

func (rp *ReasonParams) appendJSON(b []byte) []byte {
	o := openObj(b)
	o.intOE("year", rp.Year)
	o.numPtrOE("latest_tco2e", rp.Latest)
	o.intOE("target_year", rp.TargetYear)
	o.numPtrOE("target_tco2e", rp.Target)
	o.strOE("anchor", rp.Anchor)
	o.intOE("anchor_year", rp.AnchorYear)
	o.numPtrOE("path_tco2e", rp.Path)
	o.intOE("peak_year", rp.PeakYear)
	o.intOE("max_year", rp.MaxYear)
	o.numPtrOE("max_tco2e", rp.Max)
	o.intPtrOE("lower_after", rp.LowerAfter)
	o.intOE("other_year", rp.OtherYear)
	o.strsOE("gwp", rp.GWP)
	o.strsOE("level", rp.Level)
	o.strOE("intensity_unit", rp.Unit)
	o.intOE("base_year", rp.BaseYear)
	o.strOE("boundary", rp.Boundary)
	return o.close()
}

func (o *jobj) numPtrOE(name string, n *Number) {
	if n != nil {
		o.num(name, *n)
	}
}
