package projections

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

// OpenAPI returns the OpenAPI 3.1 document of the whole HTTP API: the ledger's
// endpoints and the read API. Its schemas are generated from the Go types the
// handlers encode, so they cannot drift from the wire. GET /v1/openapi.json serves
// it. The result is shared: do not modify it.
func OpenAPI() []byte {
	openapiOnce.Do(func() { openapiDoc = buildOpenAPI() })
	return openapiDoc
}

var (
	openapiOnce sync.Once
	openapiDoc  []byte
)

func handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(OpenAPI())
}

type obj = map[string]any

// schemaGen generates JSON Schemas (2020-12, as OpenAPI 3.1 uses) from Go types, one
// component per named struct.
type schemaGen struct {
	defs  obj
	owner map[string]reflect.Type
}

var (
	typeNumber  = reflect.TypeFor[Number]()
	typeDecimal = reflect.TypeFor[events.Decimal]()
	typeHash    = reflect.TypeFor[events.Hash]()
	typeRaw     = reflect.TypeFor[json.RawMessage]()
	typeTime    = reflect.TypeFor[time.Time]()
)

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// of returns the schema of t: a $ref for a named struct.
func (g *schemaGen) of(t reflect.Type) obj {
	switch t {
	case typeNumber:
		return obj{"type": "number", "description": "exact decimal, at most 3 fractional digits, no exponent"}
	case typeDecimal:
		return obj{"type": "number", "description": "exact decimal, at most 3 fractional digits, at most 15 integer digits"}
	case typeHash:
		return obj{"type": "string", "pattern": "^[0-9a-f]{64}$"}
	case typeRaw:
		return obj{}
	case typeTime:
		return obj{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return obj{"type": "integer"}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer", "minimum": 0}
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return obj{"type": "string", "contentEncoding": "base64"}
		}
		return obj{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Struct:
		name := t.Name()
		if prev, ok := g.owner[name]; ok {
			if prev != t {
				panic(fmt.Sprintf("openapi: two types named %s (%v, %v)", name, prev, t))
			}
			return ref(name)
		}
		g.owner[name] = t
		s := obj{"type": "object"}
		g.defs[name] = s
		props, required := obj{}, []string{}
		g.fields(t, props, &required)
		s["properties"] = props
		if len(required) > 0 {
			s["required"] = required
		}
		return ref(name)
	}
	panic(fmt.Sprintf("openapi: no schema for %v", t))
}

// fields adds t's JSON fields (embedded structs flattened) to props.
func (g *schemaGen) fields(t reflect.Type, props obj, required *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			g.fields(ft, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.of(f.Type)
		omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if !omit && (f.Type.Kind() == reflect.Pointer || f.Type.Kind() == reflect.Slice && f.Type != typeRaw && f.Type.Elem().Kind() != reflect.Uint8 || f.Type.Kind() == reflect.Map) {
			s = obj{"anyOf": []any{s, obj{"type": "null"}}}
		}
		props[name] = s
		if !omit {
			*required = append(*required, name)
		}
	}
}

// op describes one operation.
type op struct {
	summary, description string
	params               []any
	body                 obj
	responses            obj
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func textContent(desc string) obj {
	return obj{"text/plain": obj{"schema": obj{"type": "string", "description": desc}}}
}

func ok(desc string, content obj) obj { return obj{"description": desc, "content": content} }

func pathParam(name, desc, pattern string) obj {
	return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string", "pattern": pattern}}
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func requiredQueryParam(name, desc string, schema obj) obj {
	p := queryParam(name, desc, schema)
	p["required"] = true
	return p
}

// eventDataSchema names, as a JSON pointer in a string, the component schema that
// ref points to (for x-event-data-schema).
func eventDataSchema(ref obj) string { return ref["$ref"].(string) }

// problems lists the problem responses of an operation.
func problems(statuses ...string) obj {
	text := map[string]string{
		"400": "malformed request", "401": "a signature does not verify", "403": "a key is not authorised for the party",
		"404": "not found", "409": "chain conflict (the body carries the current head) or duplicate id",
		"413": "submission too large", "415": "Content-Type is not application/json", "422": "invalid body or rule violation",
		"429": "a per-client limit was crossed (rate_limited; Retry-After says when to retry)", "500": "internal error",
		"503": "log unavailable (nothing was appended) or integration pending",
	}
	out := obj{}
	for _, s := range statuses {
		out[s] = obj{"description": text[s], "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}
	}
	return out
}

func merge(a obj, more ...obj) obj {
	for _, b := range more {
		for k, v := range b {
			a[k] = v
		}
	}
	return a
}

const (
	partyPattern = "^[a-z0-9][a-z0-9-]{0,62}$"
	ulidPattern  = "^[0-9A-HJKMNP-TV-Z]{26}$"
)

func buildOpenAPI() []byte {
	g := &schemaGen{defs: obj{}, owner: map[string]reflect.Type{}}
	s := func(v any) obj { return g.of(reflect.TypeOf(v)) }
	partyID := pathParam("id", "party id", partyPattern)
	eventID := pathParam("id", "event id (ULID)", ulidPattern)
	index := obj{"type": "integer", "minimum": 0}
	treeSize := obj{"type": "integer", "minimum": 1}

	g.defs["Envelope"] = obj{"type": "object", "description": "DSSE v1 envelope (docs/SPEC.md §3); any JSON layout on submission",
		"required": []string{"payloadType", "payload", "signatures"},
		"properties": obj{
			"payloadType": obj{"const": events.PayloadType},
			"payload":     obj{"type": "string", "contentEncoding": "base64"},
			"signatures": obj{"type": "array", "items": obj{"type": "object", "required": []string{"keyid", "sig"},
				"properties": obj{"keyid": obj{"type": "string", "pattern": "^[0-9a-f]{64}$"}, "sig": obj{"type": "string", "contentEncoding": "base64"}}}},
		}}

	paths := map[string]map[string]op{
		"/v1/events": {"post": {
			summary:     "Submit a signed event",
			description: "Runs the gate (validation, signatures, chain) and appends the event; answers with the receipt once it is integrated.",
			body:        obj{"required": true, "content": jsonContent(ref("Envelope"))},
			responses: merge(obj{"201": ok("recorded: the receipt", jsonContent(s(ledger.Receipt{}))),
				"200": ok("the identical event was already recorded: its receipt (whatever the event's time)", jsonContent(s(ledger.Receipt{})))},
				problems("400", "401", "403", "409", "413", "415", "422", "429", "503")),
		}},
		"/v1/events/{id}": {"get": {
			summary: "An event with its receipt", params: []any{eventID},
			responses: merge(obj{"200": ok("the stored entry, its payload and receipt", jsonContent(s(httpapi.EventResponse{})))}, problems("404", "503")),
		}},
		"/v1/events/{id}/proof": {"get": {
			summary: "An event's inclusion proof (C2SP tlog-proof)", params: []any{eventID,
				queryParam("size", "tree size of the checkpoint to prove against, above the entry's index (default: the latest)", treeSize),
				queryParam("witnessed", "1: prove against the newest witnessed checkpoint, with its cosignature lines (docs/SPEC.md §10.5)", obj{"type": "string", "enum": []string{"1", "true"}})},
			responses: merge(obj{"200": ok("tlog-proof with the entry in extra", textContent("c2sp.org/tlog-proof@v1"))}, problems("400", "404", "503"),
				obj{"409": obj{"description": "witnessed=1: no witnessed checkpoint covers the event yet (code not_witnessed, with index)", "content": obj{"application/problem+json": obj{"schema": ref("Problem")}}}}),
		}},
		"/v1/checkpoint": {"get": {
			summary:     "The latest checkpoint: witnessed when the node has witnesses",
			description: "Without witnesses, the latest log-signed checkpoint. With witnesses, the newest checkpoint cosigned by a quorum of them (503 not_witnessed with Retry-After while there is none); latest=1 gives the latest log-signed one (docs/SPEC.md §10.5).",
			params:      []any{queryParam("latest", "1: the latest log-signed checkpoint even when the node has witnesses", obj{"type": "string", "enum": []string{"1", "true"}})},
			responses:   merge(obj{"200": ok("C2SP signed-note checkpoint, with cosignature lines when witnessed", textContent("signed note"))}, problems("503")),
		}},
		"/v1/witnesses": {"get": {
			summary:   "The node's witnesses, its quorum and its newest witnessed checkpoint",
			responses: merge(obj{"200": ok("witness status", jsonContent(s(httpapi.WitnessesResponse{})))}, problems("404")),
		}},
		"/v1/proofs/consistency": {"get": {
			summary: "RFC 6962 consistency proof between two tree sizes",
			params: []any{requiredQueryParam("from", "the older tree size, 1 ≤ from ≤ to", treeSize),
				requiredQueryParam("to", "the newer tree size, from ≤ to ≤ the tree size", treeSize)},
			responses: merge(obj{"200": ok("one base64 hash per line", textContent("base64 hashes, one per line"))}, problems("400")),
		}},
		"/v1/log/entries": {"get": {
			summary: "Log entries [start, end) as stored, one per line (at most 1000)",
			params:  []any{queryParam("start", "first index (default 0)", index), queryParam("end", "end index, exclusive (default: the tree size)", index)},
			responses: merge(obj{"200": ok("JSON lines: the exact stored bytes of each entry",
				obj{"application/jsonl": obj{"schema": obj{"type": "string"}}})}, problems("400", "503")),
		}},
		"/v1/log/rejections": {"get": {
			summary: "Entries in [start, end) that broke a replay rule",
			params:  []any{queryParam("start", "first index (default 0)", index), queryParam("end", "end index, exclusive", index)},
			responses: merge(obj{"200": ok("rejections in index order",
				jsonContent(obj{"type": "array", "items": s(ledger.Rejection{})}))}, problems("400")),
		}},
		"/v1/parties": {"get": {
			summary:     "Parties with their four commitments and main target progress",
			description: "From one snapshot of the views. Verifiers and jurisdictions; the network's own chain is at /v1/parties/network.",
			params: []any{
				queryParam("country", "US or CN", obj{"type": "string", "enum": events.Countries()}),
				queryParam("level", "jurisdiction level", obj{"type": "string", "enum": events.JurisdictionLevels()}),
				queryParam("kind", "party kind", obj{"type": "string", "enum": []string{events.KindJurisdiction, events.KindVerifier}}),
				queryParam("status", "main target's progress status (none: no active target)", obj{"type": "string", "enum": append(Statuses(), "none")}),
			},
			responses: merge(obj{"200": ok("the parties, in id order", jsonContent(s(PartyList{})))}, problems("400", "503")),
		}},
		"/v1/parties/{id}": {"get": {
			summary:     "A party: names, keys over time, endorsements, targets with history and progress, inventories, plans, partnerships, attestations",
			description: "From one snapshot of the views. Every computed number carries the events (ids and log indexes) it comes from.",
			params:      []any{partyID},
			responses:   merge(obj{"200": ok("the party", jsonContent(s(PartyDetail{})))}, problems("400", "404", "503")),
		}},
		"/v1/parties/{id}/head": {"get": {
			summary: "A chain's head (seq and payload hash; seq 0 for a party with no chain)", params: []any{partyID},
			responses: merge(obj{"200": ok("the head", jsonContent(s(ledger.Head{})))}, problems("400", "503")),
		}},
		"/v1/parties/{id}/events": {"get": {
			summary: "A party's events in chain order, paged",
			params: []any{partyID, queryParam("after", "return events with seq > after (default 0)", index),
				queryParam("limit", "page size, 1 to 1000 (default 100)", obj{"type": "integer", "minimum": 1, "maximum": MaxEventsPerPage})},
			responses: merge(obj{"200": ok("a page; next_after is absent on the last page", jsonContent(s(EventsPage{})))}, problems("400", "404", "503")),
		}},
		"/v1/network": {"get": {
			summary:   "Network totals by country (latest inventories, with their year mix) and counts by commitment and status",
			responses: merge(obj{"200": ok("the network", jsonContent(s(Network{})))}, problems("503")),
		}},
		"/v1/state": {"get": {
			summary:     "Applied index and state digest",
			description: "Read from one Pebble snapshot. digest = SHA-256 over every projection row (prefix p/) in key order, each framed as uint32 BE len(key) ‖ key ‖ uint32 BE len(value) ‖ value (docs/PROJECTIONS.md).",
			responses:   merge(obj{"200": ok("the state", jsonContent(s(State{})))}, problems("503")),
		}},
		"/v1/subscribe": {"get": {
			summary: "Change notices as server-sent events",
			description: "One `notice` event per changed view and party (data: Notice JSON; id: the entry's log index). " +
				"Send Last-Event-ID to resume; if the notices after it are no longer kept, a `reset` event (data: {index, reason}) says to refetch. " +
				"Heartbeat comments every 15 s; `retry:` hint first. The same notices go to NATS as projections.<view>.<party>.",
			params: []any{queryParam("party", "only notices for this party", obj{"type": "string", "pattern": partyPattern}),
				obj{"name": "Last-Event-ID", "in": "header", "required": false, "description": "the last log index seen", "schema": obj{"type": "string"}}},
			responses: merge(obj{"200": ok("text/event-stream of notices; the data of each is a Notice",
				obj{"text/event-stream": obj{"schema": obj{"type": "string"},
					// Not a $ref: tools do not resolve references inside extensions.
					"x-event-data-schema": eventDataSchema(s(Notice{}))}})}, problems("400", "429")),
		}},
		"/": {"get": {
			summary:     "The dashboard (HTML; its files under /assets/)",
			description: "Served by package projections/web; it reads only the endpoints described here.",
			responses:   obj{"200": ok("the dashboard page", obj{"text/html": obj{"schema": obj{"type": "string"}}})},
		}},
		"/v1/openapi.json": {"get": {
			summary:   "This document",
			responses: obj{"200": ok("OpenAPI 3.1", jsonContent(obj{"type": "object"}))},
		}},
	}
	g.of(reflect.TypeFor[httpapi.Problem]())
	// Closed sets the reflection cannot see.
	enum := func(schema, field string, values []string) {
		g.defs[schema].(obj)["properties"].(obj)[field] = obj{"type": "string", "enum": values}
	}
	enum("Progress", "status", Statuses())
	enum("Progress", "type", events.TargetTypes())
	enum("Anchor", "anchor", []string{AnchorBaseYear, AnchorYearSet})
	enum("Notice", "view", []string{viewParties, viewTargets, viewInventories, viewPlans, viewPartnerships, viewAttestations})
	enum("TargetView", "state", []string{"active", "withdrawn", "retracted"})
	enum("TargetRevisionRow", "action", []string{actionSet, actionWithdrawn})
	enum("StatusCount", "status", append(Statuses(), "none"))

	out := obj{}
	for path, ops := range paths {
		item := obj{}
		for method, o := range ops {
			m := obj{"summary": o.summary, "responses": o.responses,
				"operationId": method + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(path)}
			if o.description != "" {
				m["description"] = o.description
			}
			if len(o.params) > 0 {
				m["parameters"] = o.params
			}
			if o.body != nil {
				m["requestBody"] = o.body
			}
			item[method] = m
		}
		out[path] = item
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{"title": "climateledger API", "version": "1",
			"description": "Signed, hash-chained commitments of the U.S.-China Climate Leaders Declaration: the ledger's write and log endpoints (docs/SPEC.md) and the read API of the projections (docs/PROJECTIONS.md). Errors are RFC 9457 problem documents (application/problem+json) with a stable code, on every path: an unknown path is 404 not_found, a method a path does not serve 405 method_not_allowed (with Allow), and any request may meet 429 rate_limited (with Retry-After) when its client address is over its limits (docs/SECURITY.md)."},
		"paths":      out,
		"components": obj{"schemas": g.defs},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}
