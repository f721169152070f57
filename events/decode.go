package events

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// jsonDecoder decodes a JSON document that checkStrictJSON has accepted into the
// package's types, without reflection: each type has a decodeJSON method that names
// its fields. It follows encoding/json (with DisallowUnknownFields and the package's
// cleanJSONError messages) exactly where it matters here:
//
//   - a member that the type does not declare is an error, `json: unknown field "x"`;
//   - a value of the wrong JSON kind is an error, "path: expected a string, got JSON
//     number", where path joins the struct field names from the root (no array
//     indices, no map keys), and the value is skipped;
//   - the first of those errors is kept and decoding goes on, but an error from a
//     Decimal (an Unmarshaler in encoding/json) stops decoding and wins;
//   - a present array or object gives a non-nil slice or map even when empty; a
//     present member of pointer type is allocated; an absent one stays nil.
//
// Because the input was checked first, the decoder never meets malformed JSON, null,
// duplicate or non-lower-case keys (so keys match field names exactly, as
// encoding/json's case-insensitive matching does on such keys).
type jsonDecoder struct {
	b     []byte
	i     int
	path  [][]byte // struct field names from the root to the value being decoded
	saved error    // the first type or unknown-field error
	abort error    // a Decimal error: decoding stops
	// spans are the top-level member values, when the scanner recorded them.
	spans []span
	// text is b as a string, made on the first string value: strings without escapes
	// are substrings of it, so that decoding allocates once for all of them (not used
	// when spans is set: see str).
	text string
	// decimals is a slab the Decimals are allocated from.
	decimals []Decimal
	pathBuf  [8][]byte
	// elems are the arrays being decoded, outermost first: at which depth of path
	// each was entered and the index of its element being decoded (for error paths).
	elems   []elemPos
	elemBuf [4]elemPos
}

// elemPos is an array being decoded: entered at depth len(path), at element i.
type elemPos struct{ depth, i int }

// decodeError is a decoding error at one value: the JSON path of the value from the
// decoded document's root ("lines[2].tco2e", "" for the root itself, "note" for an
// unknown member "note"), and what is wrong with it. Its Error method gives the message
// encoding/json would (with DisallowUnknownFields), which has no array indices and does
// not say where an unknown member is.
type decodeError struct {
	path   string
	msg    string
	compat string
}

func (e *decodeError) Error() string { return e.compat }

// fieldPath is the JSON path of the value being decoded, with array indices.
func (d *jsonDecoder) fieldPath() string {
	var b []byte
	e := 0
	for k := 0; k <= len(d.path); k++ {
		for ; e < len(d.elems) && d.elems[e].depth == k; e++ {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(d.elems[e].i), 10)
			b = append(b, ']')
		}
		if k < len(d.path) {
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, d.path[k]...)
		}
	}
	return string(b)
}

// decodeJSON decodes checked JSON into v and returns the error encoding/json would.
// spans, if not nil, are the top-level member values (checkStrictJSONSpans).
func decodeJSON(b []byte, v interface{ decodeJSON(*jsonDecoder) }, spans ...span) error {
	d := &jsonDecoder{b: b, spans: spans}
	d.path = d.pathBuf[:0]
	v.decodeJSON(d)
	if d.abort != nil {
		return d.abort
	}
	return d.saved
}

func (d *jsonDecoder) ws() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// kind returns the JSON kind of the next value, as encoding/json names it in errors.
func (d *jsonDecoder) kind() string {
	d.ws()
	switch d.b[d.i] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	}
	return "number"
}

// skip moves past the next value.
func (d *jsonDecoder) skip() {
	d.ws()
	switch d.b[d.i] {
	case '"':
		d.skipString()
	case '{', '[':
		depth := 0
		for {
			switch d.b[d.i] {
			case '"':
				d.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			d.i++
			if depth == 0 {
				return
			}
		}
	default: // a number, true or false
		for d.i < len(d.b) {
			switch d.b[d.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			d.i++
		}
	}
}

func (d *jsonDecoder) skipString() {
	d.i++ // opening quote
	for {
		for plainStringByte[d.b[d.i]] {
			d.i++
		}
		switch d.b[d.i] {
		case '\\':
			d.i += 2
		case '"':
			d.i++
			return
		default:
			d.i++
		}
	}
}

// raw returns the bytes of the next value and moves past it.
func (d *jsonDecoder) raw() []byte {
	d.ws()
	start := d.i
	if len(d.path) == 1 {
		for _, sp := range d.spans {
			if sp.start == start {
				d.i = sp.end
				return d.b[start:d.i]
			}
		}
	}
	d.skip()
	return d.b[start:d.i]
}

// typeError records that the next value has the wrong kind (want is "a string", "a
// number", …) and skips it. got overrides the value's kind in the message.
func (d *jsonDecoder) typeError(want, got string) {
	if got == "" {
		got = d.kind()
	}
	if d.saved == nil {
		msg := "expected " + want + ", got JSON " + got
		compat := msg
		if len(d.path) > 0 {
			compat = string(bytes.Join(d.path, []byte("."))) + ": " + msg
		}
		d.saved = &decodeError{path: d.fieldPath(), msg: msg, compat: compat}
	}
	d.skip()
}

// object decodes an object member by member: member is called with each key and must
// decode (or skip) its value. It reports a type error when the value is not an object.
func (d *jsonDecoder) object(member func(key []byte)) bool {
	if d.kind() != "object" {
		d.typeError("an object", "")
		return false
	}
	d.i++ // '{'
	d.ws()
	if d.b[d.i] == '}' {
		d.i++
		return true
	}
	for d.abort == nil {
		d.ws()
		start := d.i + 1
		d.skipString()
		key := d.b[start : d.i-1] // the key rule rules out escapes
		d.ws()
		d.i++ // ':'
		d.path = append(d.path, key)
		member(key)
		d.path = d.path[:len(d.path)-1]
		d.ws()
		if d.b[d.i] == ',' {
			d.i++
			continue
		}
		d.i++ // '}'
		break
	}
	return true
}

// unknown records an unknown member and skips its value.
func (d *jsonDecoder) unknown(key []byte) {
	if d.saved == nil {
		d.saved = &decodeError{path: d.fieldPath(), msg: "unknown field", compat: "json: unknown field " + strconv.Quote(string(key))}
	}
	d.skip()
}

// array decodes an array element by element: elem is called for each and must decode
// its value. It reports a type error when the value is not an array.
func (d *jsonDecoder) array(elem func()) bool {
	if d.kind() != "array" {
		d.typeError("an array", "")
		return false
	}
	d.i++ // '['
	d.ws()
	if d.b[d.i] == ']' {
		d.i++
		return true
	}
	if d.elems == nil {
		d.elems = d.elemBuf[:0]
	}
	d.elems = append(d.elems, elemPos{depth: len(d.path)})
	top := len(d.elems) - 1
	for d.abort == nil {
		elem()
		d.ws()
		if d.b[d.i] == ',' {
			d.i++
			d.elems[top].i++
			continue
		}
		d.i++ // ']'
		break
	}
	d.elems = d.elems[:top]
	return true
}

// decodeSlice decodes an array into *dst (non-nil even when empty), each element with
// elem.
func decodeSlice[T any](d *jsonDecoder, dst *[]T, elem func(*T)) {
	if d.kind() != "array" {
		d.typeError("an array", "")
		return
	}
	s := make([]T, 0, 4)
	d.array(func() {
		var zero T
		s = append(s, zero)
		elem(&s[len(s)-1]) // decoded in place: no copy that escapes per element
	})
	*dst = s
}

// str decodes a string.
func (d *jsonDecoder) str(dst *string) {
	if d.kind() != "string" {
		d.typeError("a string", "")
		return
	}
	d.ws()
	start := d.i
	raw := d.raw()
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') < 0 {
		// Checked UTF-8 without escapes: the string as it is. A body's strings are
		// substrings of one copy of it; a payload's few short ones are copied each
		// (copying the payload would copy its body too).
		if d.spans != nil {
			*dst = string(body)
			return
		}
		if d.text == "" {
			d.text = string(d.b)
		}
		*dst = d.text[start+1 : d.i-1]
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil { // escapes: encoding/json's rules
		panic("events: checked JSON string does not decode: " + err.Error())
	}
}

// strOK decodes a string and reports whether it was one.
func (d *jsonDecoder) strOK(dst *string) bool {
	if d.kind() != "string" {
		d.typeError("a string", "")
		return false
	}
	d.str(dst)
	return true
}

// integer reads a number that must be an integer of the given size.
func (d *jsonDecoder) integer(signed bool) (int64, uint64, bool) {
	if d.kind() != "number" {
		d.typeError("a number", "")
		return 0, 0, false
	}
	start := d.i
	lit := string(d.raw())
	var err error
	var n int64
	var u uint64
	if signed {
		n, err = strconv.ParseInt(lit, 10, strconv.IntSize)
	} else {
		u, err = strconv.ParseUint(lit, 10, 64)
	}
	if err != nil {
		d.i = start
		d.typeError("a number", "number "+lit)
		return 0, 0, false
	}
	return n, u, true
}

func (d *jsonDecoder) int(dst *int) { d.intOK(dst) }

// intOK decodes an int and reports whether it was one.
func (d *jsonDecoder) intOK(dst *int) bool {
	n, _, ok := d.integer(true)
	if ok {
		*dst = int(n)
	}
	return ok
}

func (d *jsonDecoder) intPtr() *int {
	n, _, ok := d.integer(true)
	if !ok {
		return nil
	}
	v := int(n)
	return &v
}

func (d *jsonDecoder) uint64Ptr() *uint64 {
	_, u, ok := d.integer(false)
	if !ok {
		return nil
	}
	return &u
}

func (d *jsonDecoder) bool(dst *bool) {
	switch d.kind() {
	case "bool":
		*dst = d.raw()[0] == 't'
	default:
		d.typeError("a boolean", "")
	}
}

// decimal decodes a Decimal; like encoding/json with an Unmarshaler, any value goes to
// Decimal.UnmarshalJSON, and its error stops decoding.
func (d *jsonDecoder) decimal() *Decimal {
	if len(d.decimals) == 0 {
		d.decimals = make([]Decimal, 8)
	}
	v := &d.decimals[0]
	if err := v.UnmarshalJSON(d.raw()); err != nil {
		d.abort = &decodeError{path: d.fieldPath(), msg: err.Error(), compat: err.Error()}
		return nil
	}
	d.decimals = d.decimals[1:]
	return v
}

// ---- the package's types ----

func (r *rawPayload) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "v":
			r.hasV = d.intOK(&r.V)
		case "id":
			r.hasID = d.strOK(&r.ID)
		case "party":
			r.hasParty = d.strOK(&r.Party)
		case "seq":
			var u *uint64
			if u = d.uint64Ptr(); u != nil {
				r.Seq, r.hasSeq = *u, true
			}
		case "prev":
			r.hasPrev = d.strOK(&r.Prev)
		case "type":
			r.hasType = d.strOK(&r.Type)
		case "time":
			r.hasTime = d.strOK(&r.Time)
		case "body":
			if r.Body = d.raw(); !r.ownedBody { // json.RawMessage takes any value
				r.Body = bytes.Clone(r.Body)
			}
		default:
			d.unknown(k)
		}
	})
}

func (r *PublicKeyRef) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "keyid":
			d.str(&r.KeyID)
		case "public":
			d.str(&r.Public)
		default:
			d.unknown(k)
		}
	})
}

func (r *DocumentRef) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "url":
			d.str(&r.URL)
		case "sha256":
			d.str(&r.SHA256)
		case "title":
			d.str(&r.Title)
		case "quote":
			d.str(&r.Quote)
		default:
			d.unknown(k)
		}
	})
}

// decodePtr allocates *dst and decodes an object into it, as encoding/json does for a
// pointer field (a value of another kind leaves *dst nil).
func decodePtr[T any, PT interface {
	*T
	decodeJSON(*jsonDecoder)
}](d *jsonDecoder, dst **T) {
	if d.kind() != "object" {
		d.typeError("an object", "")
		return
	}
	v := PT(new(T))
	v.decodeJSON(d)
	*dst = v
}

func keyRefs(d *jsonDecoder, dst *[]PublicKeyRef) {
	decodeSlice(d, dst, func(k *PublicKeyRef) { k.decodeJSON(d) })
}

func stringSlice(d *jsonDecoder, dst *[]string) { decodeSlice(d, dst, d.str) }

func (b *GenesisBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "origin":
			d.str(&b.Origin)
		case "name":
			d.str(&b.Name)
		case "registrar_keys":
			keyRefs(d, &b.RegistrarKeys)
		case "log_key":
			d.str(&b.LogKey)
		default:
			d.unknown(k)
		}
	})
}

// decodeKeyAndReason decodes {"key", "reason"}: the bodies that add a key.
func decodeKeyAndReason(d *jsonDecoder, key *PublicKeyRef, reason *string) {
	d.object(func(k []byte) {
		switch string(k) {
		case "key":
			key.decodeJSON(d)
		case "reason":
			d.str(reason)
		default:
			d.unknown(k)
		}
	})
}

// decodeKeyIDAndReason decodes {"keyid", "reason"}: the bodies that revoke a key.
func decodeKeyIDAndReason(d *jsonDecoder, keyID, reason *string) {
	d.object(func(k []byte) {
		switch string(k) {
		case "keyid":
			d.str(keyID)
		case "reason":
			d.str(reason)
		default:
			d.unknown(k)
		}
	})
}

func (b *RegistrarKeyAddedBody) decodeJSON(d *jsonDecoder) { decodeKeyAndReason(d, &b.Key, &b.Reason) }

func (b *RegistrarKeyRevokedBody) decodeJSON(d *jsonDecoder) {
	decodeKeyIDAndReason(d, &b.KeyID, &b.Reason)
}

func (b *EnrolledBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "kind":
			d.str(&b.Kind)
		case "names":
			if d.kind() != "object" {
				d.typeError("an object", "")
				return
			}
			names := map[string]string{}
			d.object(func(tag []byte) {
				d.path = d.path[:len(d.path)-1] // map keys are not part of error paths
				var s string
				d.str(&s)
				names[string(tag)] = s
				d.path = append(d.path, tag)
			})
			b.Names = names
		case "country":
			d.str(&b.Country)
		case "level":
			d.str(&b.Level)
		case "parent":
			d.str(&b.Parent)
		case "codes":
			decodePtr(d, &b.Codes)
		case "keys":
			keyRefs(d, &b.Keys)
		case "endorsements":
			decodeSlice(d, &b.Endorsements, func(e *Endorsement) { e.decodeJSON(d) })
		case "participations":
			decodeSlice(d, &b.Participations, func(e *Participation) { e.decodeJSON(d) })
		default:
			d.unknown(k)
		}
	})
}

func (c *PartyCodes) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "iso3166_2":
			d.str(&c.ISO3166_2)
		case "unlocode":
			d.str(&c.UNLOCODE)
		default:
			d.unknown(k)
		}
	})
}

func (e *Endorsement) decodeJSON(d *jsonDecoder) { decodeSummitRef(d, &e.Summit, &e.Date, &e.Source) }

func (e *Participation) decodeJSON(d *jsonDecoder) { decodeSummitRef(d, &e.Summit, &e.Date, &e.Source) }

func decodeSummitRef(d *jsonDecoder, summit, date *string, source **DocumentRef) {
	d.object(func(k []byte) {
		switch string(k) {
		case "summit":
			d.str(summit)
		case "date":
			d.str(date)
		case "source":
			decodePtr(d, source)
		default:
			d.unknown(k)
		}
	})
}

func (b *KeyAddedBody) decodeJSON(d *jsonDecoder) { decodeKeyAndReason(d, &b.Key, &b.Reason) }

func (b *KeyRevokedBody) decodeJSON(d *jsonDecoder) { decodeKeyIDAndReason(d, &b.KeyID, &b.Reason) }

func (b *EndorsementBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "summit":
			d.str(&b.Summit)
		case "date":
			d.str(&b.Date)
		case "target_wording":
			d.str(&b.TargetWording)
		case "source":
			decodePtr(d, &b.Source)
		default:
			d.unknown(k)
		}
	})
}

func (b *TargetSetBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "target_id":
			d.str(&b.TargetID)
		case "type":
			d.str(&b.Type)
		case "base_year":
			b.BaseYear = d.intPtr()
		case "base_emissions_tco2e":
			b.BaseEmissionsTCO2e = d.decimal()
		case "target_year":
			b.TargetYear = d.intPtr()
		case "reduction_pct":
			b.ReductionPct = d.decimal()
		case "target_emissions_tco2e":
			b.TargetEmissionsTCO2e = d.decimal()
		case "baseline_emissions_tco2e":
			b.BaselineEmissionsTCO2e = d.decimal()
		case "peak_year":
			b.PeakYear = d.intPtr()
		case "qualifier":
			d.str(&b.Qualifier)
		case "intensity_unit":
			d.str(&b.IntensityUnit)
		case "base_intensity":
			b.BaseIntensity = d.decimal()
		case "milestones":
			decodeSlice(d, &b.Milestones, func(m *Milestone) { m.decodeJSON(d) })
		case "coverage":
			decodePtr(d, &b.Coverage)
		case "boundary_type":
			d.str(&b.BoundaryType)
		case "offsets":
			decodePtr(d, &b.Offsets)
		case "legal_status":
			d.str(&b.LegalStatus)
		case "year_set":
			b.YearSet = d.intPtr()
		case "source":
			decodePtr(d, &b.Source)
		case "description":
			d.str(&b.Description)
		default:
			d.unknown(k)
		}
	})
}

func (m *Milestone) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "year":
			d.int(&m.Year)
		case "target_emissions_tco2e":
			m.TargetEmissionsTCO2e = d.decimal()
		default:
			d.unknown(k)
		}
	})
}

func (c *Coverage) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "gases":
			stringSlice(d, &c.Gases)
		case "sectors":
			stringSlice(d, &c.Sectors)
		case "scopes":
			decodeSlice(d, &c.Scopes, d.int)
		default:
			d.unknown(k)
		}
	})
}

func (o *Offsets) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "allowed":
			d.bool(&o.Allowed)
		case "max_pct":
			o.MaxPct = d.decimal()
		default:
			d.unknown(k)
		}
	})
}

func (b *TargetWithdrawnBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "target_id":
			d.str(&b.TargetID)
		case "reason":
			d.str(&b.Reason)
		default:
			d.unknown(k)
		}
	})
}

func (b *InventoryBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "year":
			d.int(&b.Year)
		case "framework":
			d.str(&b.Framework)
		case "level":
			d.str(&b.Level)
		case "gwp":
			d.str(&b.GWP)
		case "lines":
			decodeSlice(d, &b.Lines, func(l *InventoryLine) { l.decodeJSON(d) })
		case "total_tco2e":
			b.TotalTCO2e = d.decimal()
		case "restates":
			d.str(&b.Restates)
		case "source":
			decodePtr(d, &b.Source)
		case "boundary_type":
			d.str(&b.BoundaryType)
		case "boundary":
			d.str(&b.Boundary)
		default:
			d.unknown(k)
		}
	})
}

func (l *InventoryLine) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "gpc_ref":
			d.str(&l.GPCRef)
		case "scope":
			d.int(&l.Scope)
		case "gas":
			d.str(&l.Gas)
		case "tco2e":
			l.TCO2e = d.decimal()
		case "notation":
			d.str(&l.Notation)
		case "explanation":
			d.str(&l.Explanation)
		case "quality":
			d.str(&l.Quality)
		default:
			d.unknown(k)
		}
	})
}

func (b *PlanBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "plan_id":
			d.str(&b.PlanID)
		case "version":
			d.int(&b.Version)
		case "title":
			d.str(&b.Title)
		case "adopted":
			d.str(&b.Adopted)
		case "horizon_year":
			d.int(&b.HorizonYear)
		case "document":
			decodePtr(d, &b.Document)
		case "actions":
			decodeSlice(d, &b.Actions, func(a *PlanAction) { a.decodeJSON(d) })
		default:
			d.unknown(k)
		}
	})
}

func (a *PlanAction) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "action_id":
			d.str(&a.ActionID)
		case "title":
			d.str(&a.Title)
		case "sector":
			d.str(&a.Sector)
		case "kind":
			d.str(&a.Kind)
		case "status":
			d.str(&a.Status)
		case "expected_reduction_tco2e_per_year":
			a.ExpectedReductionTCO2ePerYear = d.decimal()
		case "hazards":
			stringSlice(d, &a.Hazards)
		case "cost":
			decodePtr(d, &a.Cost)
		default:
			d.unknown(k)
		}
	})
}

func (c *Cost) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "amount":
			c.Amount = d.decimal()
		case "currency":
			d.str(&c.Currency)
		default:
			d.unknown(k)
		}
	})
}

func (b *PartnershipBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "partnership_id":
			d.str(&b.PartnershipID)
		case "partners":
			stringSlice(d, &b.Partners)
		case "instrument":
			d.str(&b.Instrument)
		case "topics":
			stringSlice(d, &b.Topics)
		case "signed":
			d.str(&b.Signed)
		case "description":
			d.str(&b.Description)
		case "document":
			decodePtr(d, &b.Document)
		default:
			d.unknown(k)
		}
	})
}

func (b *AttestationBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "subject":
			b.Subject.decodeJSON(d)
		case "standard":
			d.str(&b.Standard)
		case "assurance":
			d.str(&b.Assurance)
		case "materiality_pct":
			b.MaterialityPct = d.decimal()
		case "opinion":
			d.str(&b.Opinion)
		case "summary":
			d.str(&b.Summary)
		default:
			d.unknown(k)
		}
	})
}

func (s *Subject) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "event_id":
			d.str(&s.EventID)
		case "hash":
			d.str(&s.Hash)
		default:
			d.unknown(k)
		}
	})
}

func (b *RetractionBody) decodeJSON(d *jsonDecoder) {
	d.object(func(k []byte) {
		switch string(k) {
		case "event_id":
			d.str(&b.EventID)
		case "reason":
			d.str(&b.Reason)
		default:
			d.unknown(k)
		}
	})
}
