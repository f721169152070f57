package projections

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// encodedRows are the row types with a hand-written encoder.
var encodedRows = []any{&EventRow{}, &IDRow{}, &InventoryRow{}, &TargetRevisionRow{}, &PlanVersionRow{}, &PartnershipRow{},
	&AttestationRow{}, &KeyRow{}, &PartyRow{}, &EndorsementRow{}, &RejectedRow{}, &Summary{}, &Progress{}}

// Strings that exercise every escape of encoding/json: quotes, backslashes, the short
// escapes, other control characters, HTML characters (not escaped here), U+2028 and
// U+2029, invalid UTF-8, multi-byte characters.
var trickyStrings = []string{"", "a", "us-ca", "01JD6X7Q2V3W4X5Y6Z7A8B9C0D", `say "hi" \ bye`, "tab\there\nline\r\b\f", "\x00\x01\x1f\x7f",
	"<b>&amp;</b>", "加利福尼亚州", "\u2028 and \u2029", "bad \xff\xfe utf8 \xc3", "🌍 Earth", "/slash/", "é", `,"current":true}`}

// fill sets v (settable) to a random value: every exported field is set or left
// zero at random, so that both sides of every omitempty are covered.
func fill(r *rand.Rand, v reflect.Value) {
	switch v.Type() {
	case reflect.TypeFor[Number]():
		switch r.IntN(3) {
		case 0:
			v.Set(reflect.ValueOf(Number{small: r.Int64N(2e18) - 1e18}))
		case 1:
			x, _ := new(big.Int).SetString("123456789012345678901234567", 10)
			x.Add(x, big.NewInt(r.Int64N(1e6)))
			if r.IntN(2) == 0 {
				x.Neg(x)
			}
			v.Set(reflect.ValueOf(numberOfInt(x)))
		}
		return
	case reflect.TypeFor[events.Decimal]():
		if r.IntN(4) > 0 {
			v.SetInt([]int64{0, 1, -1, 500, 1000, -1250, 431_000_000_000, r.Int64N(2e17) - 1e17}[r.IntN(8)])
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(trickyStrings[r.IntN(len(trickyStrings))])
	case reflect.Int, reflect.Int64:
		v.SetInt([]int64{0, 0, 1, -7, 2030, r.Int64N(1 << 40)}[r.IntN(6)])
	case reflect.Uint64:
		v.SetUint([]uint64{0, 0, 1, 1 << 63, r.Uint64()}[r.IntN(5)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fill(r, p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		switch n := r.IntN(5); n {
		case 0: // nil
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := 0; i < s.Len(); i++ {
				fill(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := r.IntN(5); n {
		case 0: // nil
		default:
			m := reflect.MakeMap(v.Type())
			for i := 0; i < n-1; i++ {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fill(r, k)
				fill(r, e)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				fill(r, v.Field(i))
			}
		}
	default:
		panic("fill: no rule for " + v.Type().String())
	}
}

// reference encodes row with encoding/json alone (marshal), also for the rows whose
// MarshalJSON uses their hand-written encoder.
func reference(row any) ([]byte, error) {
	switch r := row.(type) {
	case *InventoryRow:
		type plain InventoryRow
		return marshal((*plain)(r))
	case *Progress:
		type plain Progress
		return marshal((*plain)(r))
	}
	return marshal(row)
}

// Every hand-written row encoder writes exactly what encoding/json writes.
func TestRowEncodersMatchEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(15, uint64(time.Now().UnixNano())))
	for _, row := range encodedRows {
		typ := reflect.TypeOf(row).Elem()
		t.Run(typ.Name(), func(t *testing.T) {
			for i := 0; i < 3000; i++ {
				v := reflect.New(typ)
				fill(r, v.Elem())
				want, err := reference(v.Interface())
				if err != nil {
					t.Fatalf("encoding/json: %v", err)
				}
				got, err := encodeRow([]byte("prefix"), v.Interface())
				if err != nil || !bytes.Equal(got, append([]byte("prefix"), want...)) {
					t.Fatalf("%#v:\n got %s (%v)\nwant prefix%s", v.Interface(), got, err, want)
				}
			}
		})
	}
}

// Every row of the frozen logs and of the demo network, decoded and encoded again,
// keeps its bytes: the rows were written by the hand-written encoders, and
// encoding/json writes the same for what they decode to.
func TestRowEncodersRoundTrip(t *testing.T) {
	check := func(t *testing.T, r pebble.Reader) {
		t.Helper()
		n := 0
		err := scan(r, newKey(projectionsRoot), func(k, v []byte) error {
			row := rowFor(k)
			if row == nil {
				return nil
			}
			n++
			if err := json.Unmarshal(v, row); err != nil {
				t.Errorf("%s: %v", k, err)
				return nil
			}
			if got, err := encodeRow(nil, row); err != nil || !bytes.Equal(got, v) {
				t.Errorf("%s: re-encoded\n%s (%v)\nstored\n%s", k, got, err, v)
			}
			if want, _ := reference(row); !bytes.Equal(want, v) {
				t.Errorf("%s: encoding/json writes\n%s\nstored\n%s", k, want, v)
			}
			return nil
		})
		if err != nil || n == 0 {
			t.Fatalf("%d rows: %v", n, err)
		}
	}
	for _, l := range frozenLogs {
		if l.long {
			continue
		}
		t.Run(l.name, func(t *testing.T) {
			entries := frozenEntries("frozen", l.build)
			h := openHarness(t, vfs.NewMem(), entries, true)
			defer h.db.Close()
			h.step(len(entries))
			check(t, h.db)
		})
	}
	t.Run("demo", func(t *testing.T) {
		v := newViews(t, Config{})
		node, _ := ledgertest.Open(t, "", v)
		if _, err := demo.Seed(context.Background(), node, demo.Config{KeyDir: filepath.Join(t.TempDir(), "keys")}); err != nil {
			t.Fatal(err)
		}
		snap := node.DB().NewSnapshot()
		defer snap.Close()
		check(t, snap)
	})
}

// rowFor returns a new row of the type stored at k; nil for p/applied.
func rowFor(k []byte) any {
	for _, c := range []struct {
		pfx string
		new func() any
	}{
		{pfxParty, func() any { return &PartyRow{} }}, {pfxKey, func() any { return &KeyRow{} }},
		{pfxEvent, func() any { return &EventRow{} }}, {pfxID, func() any { return &IDRow{} }},
		{pfxEndorsement, func() any { return &EndorsementRow{} }}, {pfxTarget, func() any { return &TargetRevisionRow{} }},
		{pfxInventory, func() any { return &InventoryRow{} }}, {pfxPlan, func() any { return &PlanVersionRow{} }},
		{pfxPartnership, func() any { return &PartnershipRow{} }}, {"p/att/", func() any { return &AttestationRow{} }},
		{pfxSummary, func() any { return &Summary{} }}, {pfxProgress, func() any { return &Progress{} }},
		{pfxRejected, func() any { return &RejectedRow{} }},
	} {
		if bytes.HasPrefix(k, []byte(c.pfx)) {
			return c.new()
		}
	}
	return nil
}

// Rewriting an inventory row's standing in its bytes gives the bytes of the row
// with the new standing.
func TestSpliceStanding(t *testing.T) {
	r := rand.New(rand.NewPCG(16, uint64(time.Now().UnixNano())))
	for i := 0; i < 3000; i++ {
		var row InventoryRow
		fill(r, reflect.ValueOf(&row).Elem())
		stored := row.appendJSON(nil)
		var by []Ref
		for j := r.IntN(3); j > 0; j-- {
			by = append(by, Ref{EventID: trickyStrings[r.IntN(len(trickyStrings))], Index: r.Uint64()})
		}
		current := r.IntN(2) == 0
		got, ok := spliceStanding([]byte("x"), stored, current, by)
		row.Current, row.RestatedBy = current, by
		if want, _ := reference(&row); !ok || !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("splice of\n%s\n got %s (%v)\nwant x%s", stored, got, ok, want)
		}
	}
}

// breakdown builds the Breakdown of an inventory's lines: the reference for
// appendBreakdown. It sums the cells in a map, apart from the way appendBreakdown
// sums them (sorted runs), so the two check each other.
func breakdown(lines []events.InventoryLine) *Breakdown {
	if len(lines) == 0 {
		return nil
	}
	type cellKey struct{ sector, scope, gas int }
	var bySector [8]acc
	var byScope [4]acc
	var byGas [9]acc
	cells := map[cellKey]*acc{}
	b := &Breakdown{BySector: []SectorAmount{}, ByScope: []ScopeAmount{}, ByGas: []GasAmount{}, Cells: []Cell{}}
	for _, l := range lines {
		if l.TCO2e == nil {
			b.Notations = append(b.Notations, NotationLine{GPCRef: l.GPCRef, Gas: l.Gas, Notation: l.Notation, Explanation: l.Explanation})
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
		k := cellKey{si, scope, gi}
		if cells[k] == nil {
			cells[k] = &acc{}
		}
		cells[k].add(*l.TCO2e)
	}
	for i, s := range sectorOrder {
		if bySector[i].lines > 0 {
			b.BySector = append(b.BySector, SectorAmount{Sector: s, TCO2e: bySector[i].number(), Lines: bySector[i].lines})
		}
	}
	for s := 1; s <= 3; s++ {
		if byScope[s].lines > 0 {
			b.ByScope = append(b.ByScope, ScopeAmount{Scope: s, TCO2e: byScope[s].number(), Lines: byScope[s].lines})
		}
	}
	for i, g := range gasOrder {
		if byGas[i].lines > 0 {
			b.ByGas = append(b.ByGas, GasAmount{Gas: g, TCO2e: byGas[i].number(), Lines: byGas[i].lines})
		}
	}
	keys := slices.SortedFunc(maps.Keys(cells), func(a, b cellKey) int {
		return cmp.Or(cmp.Compare(a.sector, b.sector), cmp.Compare(a.scope, b.scope), cmp.Compare(a.gas, b.gas))
	})
	for _, k := range keys {
		c := cells[k]
		b.Cells = append(b.Cells, Cell{Sector: sectorOrder[k.sector], Scope: k.scope, Gas: gasOrder[k.gas], TCO2e: c.number(), Lines: c.lines})
	}
	return b
}

// appendBreakdown writes what encoding/json writes for breakdown's Breakdown.
func TestAppendBreakdown(t *testing.T) {
	r := rand.New(rand.NewPCG(17, uint64(time.Now().UnixNano())))
	refs := []string{"I.1.1", "I.1.2", "I.2.1", "I.3.1", "I.7.1", "II.1.1", "II.2.2", "III.1.1", "III.4.1", "IV.1", "V.1", "X.9", ""}
	gases := append(events.Gases(), events.GasCO2e, "bogus")
	for i := 0; i < 3000; i++ {
		lines := make([]events.InventoryLine, 1+r.IntN(30))
		if i == 0 { // sums beyond int64
			lines = make([]events.InventoryLine, 12)
			for j := range lines {
				v := events.Decimal(999_999_999_999_999_999)
				lines[j] = events.InventoryLine{GPCRef: "I.1.1", Gas: "CO2", TCO2e: &v}
			}
		}
		for j := range lines {
			l := &lines[j]
			if i == 0 {
				break
			}
			l.GPCRef, l.Gas = refs[r.IntN(len(refs))], gases[r.IntN(len(gases))]
			if r.IntN(5) == 0 {
				l.Notation, l.Explanation = "NE", trickyStrings[r.IntN(len(trickyStrings))]
				continue
			}
			v := events.Decimal([]int64{0, 1, 1500, 431_000_000_000, 999_999_999_999_999_999, r.Int64N(1e15)}[r.IntN(6)])
			l.TCO2e = &v
		}
		want, _ := reference(breakdown(lines))
		if got := appendBreakdown([]byte("x"), lines); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("lines %+v:\n got %s\nwant x%s", lines, got, want)
		}
	}
}

// An event row made with its hash (written in hex by the encoder) encodes as the row
// with the hash's hex string.
func TestEventRowHash(t *testing.T) {
	r := rand.New(rand.NewPCG(18, uint64(time.Now().UnixNano())))
	for i := 0; i < 100; i++ {
		var row EventRow
		fill(r, reflect.ValueOf(&row).Elem())
		for j := range row.hash {
			row.hash[j] = byte(r.Uint32())
		}
		row.Hash, row.hashSet = "", true
		got, _ := encodeRow(nil, &row)
		plain := row
		plain.Hash, plain.hashSet = row.hash.String(), false
		if want, _ := reference(&plain); !bytes.Equal(got, want) {
			t.Fatalf("got %s\nwant %s", got, want)
		}
	}
}
