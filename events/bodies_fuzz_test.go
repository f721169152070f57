package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/climateledger/climateledger/events"
)

// FuzzDecodeBody checks that DecodeBody never panics, that it returns either a body or a
// *ValidationError, and that a body that decodes survives a round trip: json.Marshal of
// it decodes again to the same value, and marshals to the same bytes.
//
// The first input selects the event type (modulo the number of types), so that the
// fuzzer spends its time on bodies rather than on type names.
func FuzzDecodeBody(f *testing.F) {
	types := events.EventTypes()
	index := map[string]uint8{}
	for i, t := range types {
		index[t] = uint8(i)
	}
	for _, b := range validBodies {
		f.Add(index[b.typ], []byte(bodyVars.Replace(b.json)))
	}
	f.Add(index[events.TypeInventoryReported], []byte(`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5","lines":[{"gpc_ref":"I.9.1","scope":1,"gas":"CO2","tco2e":1}],"total_tco2e":2}`))
	f.Add(index[events.TypeTargetSet], []byte(`{"target_id":"t","type":"trajectory","milestones":[{"year":2030,"target_emissions_tco2e":1},{"year":2030}],"legal_status":"law"}`))

	f.Fuzz(func(t *testing.T, sel uint8, raw []byte) {
		typ := types[int(sel)%len(types)]
		b, err := events.DecodeBody(typ, raw)
		if err != nil {
			var ve *events.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("DecodeBody(%s) error %T %v, want a *ValidationError with fields", typ, err, err)
			}
			if b != nil {
				t.Fatalf("DecodeBody(%s) returned a body with its error", typ)
			}
			return
		}
		if b.EventType() != typ {
			t.Fatalf("EventType() = %q, want %q", b.EventType(), typ)
		}
		out, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("json.Marshal(%s body): %v", typ, err)
		}
		b2, err := events.DecodeBody(typ, out)
		if err != nil {
			t.Fatalf("re-decoding the marshalled %s body failed: %v\ninput: %s\nmarshalled: %s", typ, err, raw, out)
		}
		if !reflect.DeepEqual(b, b2) {
			t.Fatalf("round trip changed the %s body:\n first %#v\nsecond %#v", typ, b, b2)
		}
		out2, err := json.Marshal(b2)
		if err != nil {
			t.Fatalf("json.Marshal(re-decoded %s body): %v", typ, err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("marshal is not stable:\n first %s\nsecond %s", out, out2)
		}
	})
}
