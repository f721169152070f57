package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// vectorEntries returns every entry of every test vector, in file-name order, as fuzz
// seeds.
func vectorEntries(f *testing.F) [][]byte {
	vs := readVectors(f)
	names := make([]string, 0, len(vs))
	for name := range vs {
		names = append(names, name)
	}
	slices.Sort(names)
	var out [][]byte
	for _, name := range names {
		for _, e := range vs[name].Entries {
			out = append(out, []byte(e))
		}
	}
	return out
}

// fuzzRegistry is a registry with a genesis, two jurisdictions and a verifier, for
// checking fuzzed entries against some state.
func fuzzRegistry(f *testing.F) *events.Registry {
	n := eventtest.New("fuzz", "")
	n.Enroll("us-ca", "California", "", "US", "state")
	n.Enroll("cnszx", "Shenzhen", "", "CN", "city")
	n.EnrollVerifier("verifier-a", "Verifier A")
	reg, findings := n.Replay()
	for i, fd := range findings {
		if fd != nil {
			f.Fatalf("entry %d: %v", i, fd)
		}
	}
	return reg
}

// checkFinding fails unless err is a *Finding with one of the codes.
func checkFinding(t *testing.T, what string, err error, codes ...events.Code) {
	t.Helper()
	var fd *events.Finding
	if !errors.As(err, &fd) {
		t.Fatalf("%s: error %T %v, want a *events.Finding", what, err, err)
	}
	if !slices.Contains(codes, fd.Code) {
		t.Fatalf("%s: code %s, want one of %v", what, fd.Code, codes)
	}
}

// FuzzParseEntry checks the stored-envelope parser: it never panics, it fails only
// with a parse finding, and an entry that parses re-marshals with MarshalEnvelope to
// exactly its bytes (the stored form is unique). A parsed entry is then checked against
// a small registry, which must not panic either.
func FuzzParseEntry(f *testing.F) {
	for _, e := range vectorEntries(f) {
		f.Add(e)
	}
	reg := fuzzRegistry(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		e, err := events.ParseEntry(raw)
		if err != nil {
			if e != nil {
				t.Fatal("ParseEntry returned an entry with its error")
			}
			checkFinding(t, "ParseEntry", err, events.CodeMalformedEnvelope, events.CodePayloadType, events.CodeNoSignatures,
				events.CodeMalformedPayload, events.CodeUnknownType, events.CodeInvalidBody)
			return
		}
		if got := events.MarshalEnvelope(e.PayloadBytes, e.Signatures); !bytes.Equal(got, raw) {
			t.Fatalf("MarshalEnvelope(ParseEntry(b)) != b\n   b: %q\ngot: %q", raw, got)
		}
		if e.Hash != events.PayloadHash(e.PayloadBytes) || e.Body == nil || e.Body.EventType() != e.Payload.Type {
			t.Fatalf("inconsistent entry: hash %s, body %T, type %s", e.Hash, e.Body, e.Payload.Type)
		}
		if len(raw) > events.MaxEntrySize {
			t.Fatalf("an entry of %d bytes parsed", len(raw))
		}
		if fd := reg.Check(e); fd != nil && !slices.Contains(events.Codes, fd.Code) {
			t.Fatalf("Check: unknown code %s", fd.Code)
		}
	})
}

// FuzzDecodeSubmission checks the submission decoder: it never panics, it fails only
// with malformed_envelope or wrong_payload_type, and what it accepts is a stored form
// that ParseEntry either accepts or refuses with a finding, and that decodes to itself
// when submitted again.
func FuzzDecodeSubmission(f *testing.F) {
	for i, e := range vectorEntries(f) {
		f.Add(e)
		if i%7 == 0 {
			// The same envelope in another layout: indented, members reordered.
			var indented bytes.Buffer
			if json.Indent(&indented, e, "", "  ") == nil {
				f.Add(indented.Bytes())
			}
			var env map[string]json.RawMessage
			if json.Unmarshal(e, &env) == nil {
				if b, err := json.Marshal(env); err == nil { // keys sorted: payload, payloadType, signatures
					f.Add(b)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, sub []byte) {
		stored, err := events.DecodeSubmission(sub)
		if err != nil {
			if stored != nil {
				t.Fatal("DecodeSubmission returned bytes with its error")
			}
			checkFinding(t, "DecodeSubmission", err, events.CodeMalformedEnvelope, events.CodePayloadType)
			return
		}
		e, err := events.ParseEntry(stored)
		if err != nil {
			checkFinding(t, "ParseEntry(DecodeSubmission(b))", err, events.CodeMalformedEnvelope, events.CodePayloadType,
				events.CodeNoSignatures, events.CodeMalformedPayload, events.CodeUnknownType, events.CodeInvalidBody)
			return
		}
		again, err := events.DecodeSubmission(stored)
		if err != nil || !bytes.Equal(again, stored) {
			t.Fatalf("a stored form does not decode to itself: %v\nstored: %q\n again: %q", err, stored, again)
		}
		if !bytes.Equal(e.Raw, stored) {
			t.Fatal("Entry.Raw is not the stored bytes")
		}
	})
}

// FuzzFormats checks the hand-written format checks against their definitions in
// docs/SPEC.md: the regular expressions, and for event ids what oklog/ulid accepts and
// writes back unchanged.
func FuzzFormats(f *testing.F) {
	for _, s := range []string{"01M8BVQSP02GQGY8TPEYR1XYDP", "01m8bvqsp02gqgy8tpeyr1xydp", "81M8BVQSP02GQGY8TPEYR1XYDP",
		"7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01M8BVQSP02GQGY8TPEYR1XYDI", "us-ca", "-us", "a", strings.Repeat("a", 63), strings.Repeat("a", 64),
		"2026-11-26T12:00:00Z", "2026-11-26T12:00:00.123456789Z", "2026-11-26T12:00:00.Z", "2026-11-26T12:00:00.1234567890Z",
		"2026-02-29T12:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26t12:00:00Z", "2026-11-26T12:00:00+00:00"} {
		f.Add(s)
	}
	ulidRE := regexp.MustCompile(`^[0-7][0-9A-HJKMNP-TV-Z]{25}$`)
	partyRE := regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	timeRE := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$`)
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ulid.ParseStrict(s)
		if got, want := events.ValidEventID(s), err == nil && id.String() == s; got != want || got != ulidRE.MatchString(s) {
			t.Errorf("ValidEventID(%q) = %v, want %v (regexp %v)", s, got, want, ulidRE.MatchString(s))
		}
		if got, want := events.ValidPartyID(s), partyRE.MatchString(s); got != want {
			t.Errorf("ValidPartyID(%q) = %v, want %v", s, got, want)
		}
		_, err = events.ParseTime(s)
		_, perr := time.Parse(time.RFC3339Nano, s)
		if got, want := err == nil, timeRE.MatchString(s) && perr == nil; got != want {
			t.Errorf("ParseTime(%q) ok = %v, want %v", s, got, want)
		}
	})
}

// FuzzDecodeBodyJSON checks DecodeBody's reflection-free decoder (decode.go) against
// encoding/json, which it replaced: whenever the body passes the strict JSON profile,
// DecodeBody must fail to decode exactly when encoding/json (DisallowUnknownFields)
// fails, with the same message, and a body it returns must equal encoding/json's.
func FuzzDecodeBodyJSON(f *testing.F) {
	types := events.EventTypes()
	index := map[string]uint8{}
	for i, t := range types {
		index[t] = uint8(i)
	}
	for _, b := range validBodies {
		f.Add(index[b.typ], []byte(bodyVars.Replace(b.json)))
	}
	for _, s := range []string{`{"reason":5}`, `[]`, `{"key":"x","reason":1}`, `{"names":{"en":5},"keys":{}}`,
		`{"lines":[{"scope":"1","tco2e":"2"}],"year":2015.5}`, `{"lines":[{"tco2e":1.2345}],"year":"x"}`,
		`{"subject":[],"materiality_pct":true}`, `{"actions":[{"cost":{"amount":{}}}],"version":1e2}`,
		`{"milestones":[{"year":-0}],"coverage":{"scopes":[1,"2"]},"offsets":{"allowed":1}}`} {
		for i := range types {
			f.Add(uint8(i), []byte(s))
		}
	}
	newBody := map[string]func() any{
		events.TypeGenesis:             func() any { return new(events.GenesisBody) },
		events.TypeRegistrarKeyAdded:   func() any { return new(events.RegistrarKeyAddedBody) },
		events.TypeRegistrarKeyRevoked: func() any { return new(events.RegistrarKeyRevokedBody) },
		events.TypePartyEnrolled:       func() any { return new(events.EnrolledBody) },
		events.TypeKeyAdded:            func() any { return new(events.KeyAddedBody) },
		events.TypeKeyRevoked:          func() any { return new(events.KeyRevokedBody) },
		events.TypeEndorsement:         func() any { return new(events.EndorsementBody) },
		events.TypeTargetSet:           func() any { return new(events.TargetSetBody) },
		events.TypeTargetWithdrawn:     func() any { return new(events.TargetWithdrawnBody) },
		events.TypeInventoryReported:   func() any { return new(events.InventoryBody) },
		events.TypePlanPublished:       func() any { return new(events.PlanBody) },
		events.TypePartnership:         func() any { return new(events.PartnershipBody) },
		events.TypeAttestation:         func() any { return new(events.AttestationBody) },
		events.TypeRetraction:          func() any { return new(events.RetractionBody) },
	}
	f.Fuzz(func(t *testing.T, sel uint8, raw []byte) {
		typ := types[int(sel)%len(types)]
		got, err := events.DecodeBody(typ, raw)
		if err != nil {
			var ve *events.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %T", err)
			}
			if len(ve.Fields) == 1 && ve.Fields[0].Path == "body" {
				m := ve.Fields[0].Message
				if m == "invalid UTF-8" || strings.HasPrefix(m, "trailing data") || strings.HasPrefix(m, "byte ") {
					return // the strict profile refused it: encoding/json has no say
				}
			}
		}
		// decodeMsg is the decoding error worded as encoding/json words it, "" when it
		// decoded; DecodeBody must report exactly that error, at its field path.
		decodeMsg, fe := events.DecodeBodyJSONError(typ, raw)
		if decodeMsg != "" {
			var ve *events.ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0] != fe {
				t.Fatalf("%s body %q: DecodeBody reported %v, want exactly the decoding error %+v", typ, raw, err, fe)
			}
			if !strings.HasPrefix(fe.Path, "body") {
				t.Fatalf("%s body %q: decoding error at path %q, not under body", typ, raw, fe.Path)
			}
			if fe.Message == "unknown field" && !strings.HasSuffix(decodeMsg, strconv.Quote(fe.Path[strings.LastIndexByte(fe.Path, '.')+1:])) {
				t.Fatalf("%s body %q: unknown field at path %q, but encoding/json says %s", typ, raw, fe.Path, decodeMsg)
			}
		}
		ref := newBody[typ]()
		d := json.NewDecoder(bytes.NewReader(raw))
		d.DisallowUnknownFields()
		var refMsg string
		if rerr := d.Decode(ref); rerr != nil {
			refMsg = cleanedJSONError(rerr)
		}
		if decodeMsg != refMsg {
			t.Fatalf("%s body %q:\nDecodeBody:    %q\nencoding/json: %q", typ, raw, decodeMsg, refMsg)
		}
		if err == nil && !reflect.DeepEqual(got, ref) {
			t.Fatalf("%s body %q decodes differently:\nDecodeBody:    %#v\nencoding/json: %#v", typ, raw, got, ref)
		}
	})
}

// cleanedJSONError formats an encoding/json error as package events reports decoding
// errors: "field.path: expected a string, got JSON number".
func cleanedJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	var want string
	switch te.Type.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Struct, reflect.Map:
		want = "an object"
	case reflect.Slice, reflect.Array:
		want = "an array"
	case reflect.Bool:
		want = "a boolean"
	default:
		want = "a number"
	}
	msg := "expected " + want + ", got JSON " + te.Value
	if te.Field != "" {
		msg = te.Field + ": " + msg
	}
	return msg
}
