package projections

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		"GET /v1/proofs/consistency", "GET /v1/log/entries", "GET /v1/log/rejections", "GET /v1/parties",
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
