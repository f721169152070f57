package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// post submits body and returns the status and the decoded answer.
func post(t *testing.T, url string, body []byte) (int, *ledger.Receipt, *httpapi.Problem) {
	t.Helper()
	resp, err := http.Post(url+"/v1/events", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("status %d with Content-Type %q, want application/problem+json: %s", resp.StatusCode, ct, b)
		}
		var p httpapi.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatalf("problem: %v: %s", err, b)
		}
		return resp.StatusCode, nil, &p
	}
	var rc ledger.Receipt
	if err := json.Unmarshal(b, &rc); err != nil {
		t.Fatalf("receipt: %v: %s", err, b)
	}
	return resp.StatusCode, &rc, nil
}

// mustSubmit submits a valid entry and advances nothing (the network already did).
func mustSubmit(t *testing.T, url string, entry []byte) *ledger.Receipt {
	t.Helper()
	status, rc, p := post(t, url, entry)
	if status != http.StatusCreated {
		t.Fatalf("submit: status %d, problem %+v", status, p)
	}
	return rc
}

// draft signs the next event of party without advancing the network.
func draft(t *testing.T, n *eventtest.Network, party string, body events.Body, edit func(d *events.Draft), signers ...*events.Signer) []byte {
	t.Helper()
	d := n.Draft(party, body.EventType(), body)
	if edit != nil {
		edit(d)
	}
	payload, err := d.Marshal()
	if err != nil {
		t.Fatalf("draft: %v", err)
	}
	if len(signers) == 0 {
		signers = n.Parties[party].Keys[:1]
	}
	return events.Sign(payload, signers...)
}

func inventory() *events.InventoryBody {
	var b events.InventoryBody
	raw := `{"year":2016,"framework":"IPCC2006","level":"territorial","gwp":"AR4","lines":[],"total_tco2e":429400000}`
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		panic(err)
	}
	return &b
}

func TestGateOutcomes(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)

	// A network: two jurisdictions and a verifier, us-ca rotated its first key.
	for _, p := range []struct{ id, country, level string }{{"us-ca", "US", "state"}, {"cnszx", "CN", "city"}} {
		n.Enroll(p.id, p.id, "", p.country, p.level)
		mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	}
	n.EnrollVerifier("verifier-a", "Verifier A")
	mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	key1 := n.Parties["us-ca"].Keys[0]
	key2 := eventtest.Key(n.Seed, "us-ca/2")
	mustSubmit(t, srv.URL, n.Append("us-ca", &events.KeyAddedBody{Key: key2.Ref(), Reason: "rotation"}, key1, key2))
	mustSubmit(t, srv.URL, n.Append("us-ca", &events.KeyRevokedBody{KeyID: key1.KeyID(), Reason: "rotation"}, key2))
	n.Parties["us-ca"].Keys = []*events.Signer{key2}
	valid := n.Append("us-ca", inventory(), key2)
	validReceipt := mustSubmit(t, srv.URL, valid)

	before := ledgertest.Entries(t, node)
	szx := n.Parties["cnszx"].Keys[0]
	goodPayload := func() []byte {
		d := n.Draft("us-ca", events.TypeInventoryReported, inventory())
		p, err := d.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	withPayload := func(edit func(s string) string) []byte {
		return events.Sign([]byte(edit(string(goodPayload()))), key2)
	}
	envJSON := func(payloadType, payload string, sigs string) []byte {
		return []byte(`{"payloadType":"` + payloadType + `","payload":"` + payload + `","signatures":` + sigs + `}`)
	}
	goodB64 := base64.StdEncoding.EncodeToString(goodPayload())
	sig := `[{"keyid":"` + key2.KeyID() + `","sig":"` + base64.StdEncoding.EncodeToString(key2.Sign(events.PAE(events.PayloadType, goodPayload()))) + `"}]`

	tests := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"not JSON", []byte("hello"), 400, "malformed_envelope"},
		{"empty body", nil, 400, "malformed_envelope"},
		{"JSON array", []byte(`[1]`), 400, "malformed_envelope"},
		{"duplicate envelope key", []byte(`{"payloadType":"x","payloadType":"y","payload":"","signatures":[]}`), 400, "malformed_envelope"},
		{"unknown envelope field", []byte(strings.Replace(string(envJSON(events.PayloadType, goodB64, sig)), `{`, `{"extra":1,`, 1)), 400, "malformed_envelope"},
		{"field in other case", []byte(strings.Replace(string(envJSON(events.PayloadType, goodB64, sig)), `"payload"`, `"Payload"`, 1)), 400, "malformed_envelope"},
		{"malformed base64", envJSON(events.PayloadType, "not*base64", sig), 400, "malformed_envelope"},
		{"unpadded base64", envJSON(events.PayloadType, strings.TrimRight(goodB64, "="), sig), 400, "malformed_envelope"},
		{"wrong payloadType", envJSON("application/json", goodB64, sig), 400, "wrong_payload_type"},
		{"no signatures", envJSON(events.PayloadType, goodB64, `[]`), 400, "no_signatures"},
		{"oversize", append(append([]byte(`{"payloadType":"`), bytes.Repeat([]byte("a"), 200<<10)...), `"}`...), 413, "too_large"},
		{"payload not JSON", events.Sign([]byte("not json"), key2), 400, "malformed_payload"},
		{"payload duplicate key", withPayload(func(s string) string { return strings.Replace(s, `"v":1,`, `"v":1,"v":1,`, 1) }), 400, "malformed_payload"},
		{"payload unknown field", withPayload(func(s string) string { return strings.Replace(s, `"v":1,`, `"v":1,"x":2,`, 1) }), 400, "malformed_payload"},
		{"payload invalid UTF-8", withPayload(func(s string) string { return strings.Replace(s, `"party":"us-ca"`, "\"party\":\"us-\xff\"", 1) }), 400, "malformed_payload"},
		{"payload trailing data", withPayload(func(s string) string { return s + " " }), 400, "malformed_payload"},
		{"payload version 2", withPayload(func(s string) string { return strings.Replace(s, `"v":1,`, `"v":2,`, 1) }), 400, "malformed_payload"},
		{"unknown type", withPayload(func(s string) string {
			return strings.Replace(s, `"type":"inventory.reported"`, `"type":"inventory.reported.v9"`, 1)
		}), 422, "unknown_type"},
		{"unknown body field", withPayload(func(s string) string { return strings.Replace(s, `"year":2016`, `"year":2016,"yaer":2016`, 1) }), 422, "invalid_body"},
		{"flipped signature byte", func() []byte {
			sg := key2.Sign(events.PAE(events.PayloadType, goodPayload()))
			sg[10] ^= 1
			return events.MarshalEnvelope(goodPayload(), []events.Signature{{KeyID: key2.KeyID(), Sig: sg}})
		}(), 401, "bad_signature"},
		{"another party's key", events.Sign(goodPayload(), szx), 403, "key_not_authorized"},
		{"unknown key only", events.Sign(goodPayload(), eventtest.Key("x", "y")), 403, "key_not_authorized"},
		{"revoked key", events.Sign(goodPayload(), key1), 403, "key_revoked"},
		{"party not enrolled", draft(t, n, "uslax", inventory(), nil, key2), 403, "not_enrolled"},
		{"missing partner signature", draft(t, n, "us-ca", &events.PartnershipBody{PartnershipID: "la-szx", Partners: []string{"us-ca", "cnszx"}, Instrument: "mou", Topics: []string{"ports"}, Signed: "2015-09-15"}, nil, key2), 403, "missing_partner_signature"},
		{"enrolment without proof of possession", draft(t, n, "uslax", &events.EnrolledBody{Kind: "jurisdiction", Names: map[string]string{"en": "Los Angeles"}, Country: "US", Level: "city", Keys: []events.PublicKeyRef{eventtest.Key("x", "lax").Ref()}}, nil, n.Registrar), 403, "missing_signature"},
		{"seq from the future", draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Seq += 3 }, key2), 409, "chain_conflict"},
		{"prev from another chain", draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Prev = n.Parties["cnszx"].Head }, key2), 409, "chain_conflict"},
		{"clock skew", draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Time = time.Now().Add(time.Hour) }, key2), 422, "clock_skew"},
		{"time going backwards", draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Time = n.Now.Add(-2 * time.Minute) }, key2), 422, "time_backwards"},
		{"event id reused with other bytes", draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.ID = validReceipt.ID }, key2), 409, "duplicate_id"},
		{"attestation by a jurisdiction", draft(t, n, "us-ca", &events.AttestationBody{Subject: events.Subject{EventID: validReceipt.ID, Hash: validReceipt.Hash.String()}, Standard: "ISO 14064-3:2019", Assurance: "limited", Opinion: "unmodified"}, nil, key2), 422, "not_permitted"},
		{"retracting an unknown event", draft(t, n, "us-ca", &events.RetractionBody{EventID: "01ARZ3NDEKTSV4RRFFQ69G5FAV", Reason: "typo"}, nil, key2), 422, "bad_reference"},
		{"revoking the last key", draft(t, n, "us-ca", &events.KeyRevokedBody{KeyID: key2.KeyID(), Reason: "oops"}, nil, key2), 422, "not_permitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, p := post(t, srv.URL, tt.body)
			if status != tt.status || p == nil || p.Code != tt.code {
				t.Fatalf("got status %d problem %+v, want %d %s", status, p, tt.status, tt.code)
			}
			if p.Status != tt.status || p.Type != "urn:climateledger:problem:"+tt.code {
				t.Errorf("problem document %+v: status or type do not match", p)
			}
		})
	}
	after := ledgertest.Entries(t, node)
	if len(after) != len(before) {
		t.Fatalf("log has %d entries after the bad submissions, want %d", len(after), len(before))
	}
	for i := range before {
		if !bytes.Equal(before[i], after[i]) {
			t.Fatalf("entry %d changed", i)
		}
	}

	// A conflict carries the current head.
	_, _, p := post(t, srv.URL, draft(t, n, "us-ca", inventory(), func(d *events.Draft) { d.Seq += 3 }, key2))
	if p.Head == nil || p.Head.Seq != n.Parties["us-ca"].Seq || p.Head.Hash != n.Parties["us-ca"].Head.String() {
		t.Fatalf("conflict head = %+v, want seq %d hash %s", p.Head, n.Parties["us-ca"].Seq, n.Parties["us-ca"].Head)
	}
	// An invalid body lists every problem with its path.
	status, _, p := post(t, srv.URL, withPayload(func(s string) string { return strings.Replace(s, `"year":2016`, `"year":2016,"yaer":2016`, 1) }))
	if status != 422 || len(p.Errors) == 0 || !strings.HasPrefix(p.Errors[0].Path, "body") {
		t.Fatalf("invalid body: status %d errors %+v, want 422 with paths under body", status, p.Errors)
	}
}

func TestResubmitIdenticalReturnsOriginalReceipt(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)
	n.Enroll("us-ca", "California", "", "US", "state")
	first := mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	entry := n.Append("us-ca", inventory())
	rc := mustSubmit(t, srv.URL, entry)
	size := len(ledgertest.Entries(t, node))

	status, again, p := post(t, srv.URL, entry)
	if status != http.StatusOK || p != nil {
		t.Fatalf("resubmit: status %d problem %+v, want 200", status, p)
	}
	if again.ID != rc.ID || again.Index != rc.Index || again.Hash != rc.Hash || again.Seq != rc.Seq {
		t.Fatalf("resubmit receipt %+v, want the original %+v", again, rc)
	}
	if got := len(ledgertest.Entries(t, node)); got != size {
		t.Fatalf("log grew from %d to %d entries on a resubmission", size, got)
	}
	if first.Index != 1 || rc.Index != 2 || rc.Seq != 2 {
		t.Fatalf("indexes: enrolment %d, inventory %d seq %d; want 1, 2, 2", first.Index, rc.Index, rc.Seq)
	}
}

func TestLogEntriesServesExactBytes(t *testing.T) {
	node, n := ledgertest.Open(t, "")
	srv := ledgertest.Serve(t, node)
	for _, id := range []string{"us-ca", "cnszx", "uslax"} {
		n.Enroll(id, id, "", "US", "city")
		mustSubmit(t, srv.URL, n.Entries[len(n.Entries)-1])
	}
	all := ledgertest.Entries(t, node)
	get := func(query string) (int, string) {
		resp, err := http.Get(srv.URL + "/v1/log/entries" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	lines := func(es [][]byte) string {
		var b strings.Builder
		for _, e := range es {
			b.Write(e)
			b.WriteByte('\n')
		}
		return b.String()
	}
	tests := []struct {
		query  string
		status int
		body   string
	}{
		{"", 200, lines(all)},
		{"?start=1&end=3", 200, lines(all[1:3])},
		{"?start=3&end=99", 200, lines(all[3:])},
		{"?start=4&end=4", 200, ""},
	}
	for _, tt := range tests {
		if status, body := get(tt.query); status != tt.status || body != tt.body {
			t.Errorf("GET /v1/log/entries%s = %d %q, want %d %q", tt.query, status, body, tt.status, tt.body)
		}
	}
	if status, _ := get("?start=3&end=1"); status != http.StatusBadRequest {
		t.Errorf("start after end: status %d, want 400", status)
	}
}
