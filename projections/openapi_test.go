package projections

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIMatchesServer: the document says what the server enforces — from and
// to of /v1/proofs/consistency are required tree sizes ≥ 1 (they were optional with
// minimum 0); POST /v1/events lists 415 and 429 — and no "$ref" hides inside an
// extension member (x-…), where tools do not resolve it.
func TestOpenAPIMatchesServer(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(v any, path ...string) any {
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("no %v in the document", path)
			}
			v = m[k]
		}
		return v
	}
	params := get(doc, "paths", "/v1/proofs/consistency", "get", "parameters").([]any)
	for _, p := range params {
		p := p.(map[string]any)
		if p["required"] != true || get(p, "schema", "minimum") != 1.0 || get(p, "schema", "type") != "integer" {
			t.Errorf("consistency parameter %v: want required, an integer with minimum 1", p)
		}
	}
	if len(params) != 2 {
		t.Errorf("consistency has %d parameters, want from and to", len(params))
	}
	responses := get(doc, "paths", "/v1/events", "post", "responses").(map[string]any)
	for _, code := range []string{"200", "201", "400", "401", "403", "409", "413", "415", "422", "429", "503"} {
		if _, ok := responses[code]; !ok {
			t.Errorf("POST /v1/events does not document %s", code)
		}
	}
	var walk func(path string, v any, inExt bool)
	walk = func(path string, v any, inExt bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" && inExt {
					t.Errorf("%s: a $ref inside an extension member", path)
				}
				walk(path+"/"+k, x, inExt || strings.HasPrefix(k, "x-"))
			}
		case []any:
			for _, x := range v {
				walk(path+"/[]", x, inExt)
			}
		}
	}
	walk("", doc, false)
	ptr, _ := get(doc, "paths", "/v1/subscribe", "get", "responses", "200", "content", "text/event-stream", "x-event-data-schema").(string)
	if ptr != "#/components/schemas/Notice" || get(doc, "components", "schemas", "Notice") == nil {
		t.Errorf("x-event-data-schema %q, want the Notice component schema", ptr)
	}
	if _, ok := get(doc, "components", "schemas", "Problem", "properties").(map[string]any)["limit"]; !ok {
		t.Errorf("the Problem schema lacks limit")
	}
}
