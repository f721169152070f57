package projections

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

func TestHTTPErrors(t *testing.T) {
	e := start(t, Config{})
	buildGolden(e.net)
	e.flush(t)
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/v1/parties/nobody", 404, httpapi.CodeNotFound},
		{"/v1/parties/nobody/events", 404, httpapi.CodeNotFound},
		{"/v1/parties/Not_A_Party", 400, httpapi.CodeBadRequest},
		{"/v1/parties?country=FR", 400, httpapi.CodeBadRequest},
		{"/v1/parties?status=winning", 400, httpapi.CodeBadRequest},
		{"/v1/parties/us-ca/events?limit=0", 400, httpapi.CodeBadRequest},
		{"/v1/parties/us-ca/events?limit=1001", 400, httpapi.CodeBadRequest},
		{"/v1/parties/us-ca/events?after=x", 400, httpapi.CodeBadRequest},
		{"/v1/subscribe?party=BAD", 400, httpapi.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(e.srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var p httpapi.Problem
			if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || p.Code != tt.code || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d problem %+v, want %d %s", resp.StatusCode, p, tt.status, tt.code)
			}
		})
	}
}

func TestPartiesFilterAndPaging(t *testing.T) {
	e := start(t, Config{})
	buildGolden(e.net)
	e.flush(t)
	for _, tt := range []struct {
		query string
		want  string
	}{
		{"", "cnszx us-ca uslax verifier-a"},
		{"?country=US", "us-ca uslax"},
		{"?country=CN&level=city", "cnszx"},
		{"?kind=verifier", "verifier-a"},
		{"?status=achieved", "us-ca"},
		{"?status=pending", "cnszx"},
		{"?status=none", "uslax verifier-a"},
		{"?level=province", ""},
	} {
		var l PartyList
		e.getJSON(t, "/v1/parties"+tt.query, &l)
		var ids []string
		for _, p := range l.Parties {
			ids = append(ids, p.ID)
		}
		if got := strings.Join(ids, " "); got != tt.want || l.Count != len(ids) {
			t.Errorf("/v1/parties%s = %q (count %d), want %q", tt.query, got, l.Count, tt.want)
		}
	}

	// Paging walks the chain in seq order and stops.
	var seqs []uint64
	after := "0"
	for pages := 0; ; pages++ {
		var p EventsPage
		e.getJSON(t, "/v1/parties/us-ca/events?limit=4&after="+after, &p)
		for _, ev := range p.Events {
			seqs = append(seqs, ev.Seq)
		}
		if p.NextAfter == nil {
			break
		}
		after = jsonString(*p.NextAfter)
		if pages > 10 {
			t.Fatal("paging does not end")
		}
	}
	if len(seqs) != 15 {
		t.Fatalf("paged %d events of us-ca, want 15: %v", len(seqs), seqs)
	}
	for i, s := range seqs {
		if s != uint64(i+1) {
			t.Fatalf("seqs %v are not 1..15", seqs)
		}
	}
}

func jsonString(v uint64) string { b, _ := json.Marshal(v); return string(b) }

// The OpenAPI document covers every endpoint of the service, each path is the
// pattern the mux routes it to, and every $ref resolves.
func TestOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	want := []string{
		"POST /v1/events", "GET /v1/events/{id}", "GET /v1/events/{id}/proof", "GET /v1/checkpoint",
		"GET /v1/witnesses", "GET /v1/proofs/consistency", "GET /v1/log/entries", "GET /v1/log/rejections", "GET /v1/parties",
		"GET /v1/parties/{id}", "GET /v1/parties/{id}/head", "GET /v1/parties/{id}/events", "GET /v1/network",
		"GET /v1/state", "GET /v1/subscribe", "GET /v1/openapi.json", "GET /",
	}
	v := newViews(t, Config{})
	mux := http.NewServeMux()
	v.Routes(mux)
	(&httpapi.Handler{}).Routes(mux)
	var got []string
	for path, ops := range doc.Paths {
		for method := range ops {
			route := strings.ToUpper(method) + " " + path
			got = append(got, route)
			if path == "/" {
				continue // the dashboard, registered by package web
			}
			r := httptest.NewRequest(strings.ToUpper(method), strings.ReplaceAll(path, "{id}", "01ARZ3NDEKTSV4RRFFQ69G5FAV"), nil)
			if _, pattern := mux.Handler(r); pattern != route {
				t.Errorf("%s is routed to %q", route, pattern)
			}
		}
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("the document lacks %s", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the document has %d operations, want %d: %v", len(got), len(want), got)
	}
	for _, r := range strings.Split(string(OpenAPI()), `"$ref":"#/components/schemas/`)[1:] {
		name := r[:strings.IndexByte(r, '"')]
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref to missing schema %s", name)
		}
	}
	for _, name := range []string{"PartyDetail", "Progress", "Network", "State", "Notice", "Receipt", "Problem", "TargetSetBody"} {
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("no schema %s", name)
		}
	}
}

// GET /v1/parties/{id} documents are cached until their party changes, and a read
// after a receipt always shows the receipt's event.
func TestDocumentCache(t *testing.T) {
	e := start(t, Config{})
	buildGolden(e.net)
	e.flush(t)
	hits := func() uint64 {
		e.views.docs.mu.Lock()
		defer e.views.docs.mu.Unlock()
		return e.views.docs.hits
	}
	_, first := e.get(t, "/v1/parties/us-ca")
	_, second := e.get(t, "/v1/parties/us-ca")
	if string(first) != string(second) || hits() != 1 {
		t.Fatalf("second GET: %d hits, same body %v", hits(), string(first) == string(second))
	}
	// Another party's event keeps us-ca's document.
	e.net.Append("cnszx", &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07"})
	e.flush(t)
	if _, b := e.get(t, "/v1/parties/us-ca"); string(b) != string(first) || hits() != 2 {
		t.Fatalf("after a cnszx event: %d hits, same body %v", hits(), string(b) == string(first))
	}
	// Submissions through the gate: the document read right after each receipt has
	// the event.
	e.net.Now, e.net.Step = time.Now().UTC().Truncate(time.Second), 0
	for year := 2001; year < 2031; year++ {
		e.get(t, "/v1/parties/us-ca") // cached before the submission
		entry := e.net.Append("us-ca", inventoryFor(year, "400000000"))
		rc, _, err := e.node.Submit(context.Background(), entry)
		if err != nil {
			t.Fatal(err)
		}
		e.sent++
		var d PartyDetail
		e.getJSON(t, "/v1/parties/us-ca", &d)
		if d.Index < rc.Index+1 {
			t.Fatalf("after the receipt of index %d, GET says index %d", rc.Index, d.Index)
		}
		found := false
		for _, y := range d.Inventories {
			found = found || y.Year == year
		}
		if !found {
			t.Fatalf("after the receipt of the %d inventory, GET does not show it", year)
		}
	}
}

// The cache protocol, step by step: nothing computed before or during a change is
// served or stored after it.
func TestDocCacheProtocol(t *testing.T) {
	c := newDocCache(2)
	if _, _, ok := c.get("a", 2026); ok {
		t.Fatal("hit on an empty cache")
	}
	_, tok, _ := c.get("a", 2026)
	c.put("a", 2026, tok, []byte("v1"))
	if b, _, ok := c.get("a", 2026); !ok || string(b) != "v1" {
		t.Fatalf("no hit after put: %q %v", b, ok)
	}
	if _, _, ok := c.get("a", 2027); ok {
		t.Fatal("hit for another year")
	}
	// A reader starts, then an entry touching "a" is applied: its document is not
	// stored, and the old one is not served while the change is in flight.
	_, before, _ := c.get("b", 2026)
	_, tokA, _ := c.get("a", 2026)
	c.touch("a")
	if _, _, ok := c.get("a", 2026); ok {
		t.Fatal("served while in flight")
	}
	c.put("a", 2026, tokA, []byte("stale"))
	_, during, _ := c.get("a", 2026)
	c.put("a", 2026, during, []byte("stale"))
	c.done([]string{"a"})
	c.put("a", 2026, during, []byte("stale"))
	if _, _, ok := c.get("a", 2026); ok {
		t.Fatal("a document computed before the commit was stored")
	}
	// Other parties are not affected; a reset drops everything.
	c.put("b", 2026, before, []byte("b1"))
	if b, _, ok := c.get("b", 2026); !ok || string(b) != "b1" {
		t.Fatal("b was not stored")
	}
	_, tokB, _ := c.get("x", 2026)
	c.reset()
	c.put("x", 2026, tokB, []byte("x"))
	if _, _, ok := c.get("b", 2026); ok {
		t.Fatal("hit after reset")
	}
	if _, _, ok := c.get("x", 2026); ok {
		t.Fatal("stored across a reset")
	}
	// At most max documents.
	for _, p := range []string{"p", "q", "r"} {
		_, tk, _ := c.get(p, 2026)
		c.put(p, 2026, tk, []byte(p))
	}
	if n := len(c.docs); n != 2 {
		t.Fatalf("%d documents kept, max 2", n)
	}
}
