package httpapi_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/projections"
)

// edgeNode is a node with views, served behind Edge on a real HTTP server.
type edgeNode struct {
	node *ledger.Node
	n    *eventtest.Network
	srv  *httptest.Server
	lim  *httpapi.Limiter
}

// serveEdge opens a node with the projections and the dashboard-less mux of serve,
// behind Edge with limits (nil: none).
func serveEdge(t *testing.T, limits *httpapi.Limits) *edgeNode {
	t.Helper()
	e := &edgeNode{}
	if limits != nil {
		var err error
		if e.lim, err = httpapi.NewLimiter(*limits); err != nil {
			t.Fatal(err)
		}
	}
	var h http.Handler
	e.node, e.n, h = edgeHandler(t, e.lim)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// edgeHandler opens a node with the projections attached and returns the node's
// whole HTTP handler (the ledger's endpoints and the views) behind Edge with lim
// (nil: no limits).
func edgeHandler(tb testing.TB, lim *httpapi.Limiter) (*ledger.Node, *eventtest.Network, http.Handler) {
	tb.Helper()
	views, err := projections.New(projections.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	node, n := ledgertest.Open(tb, "", views)
	if err := views.Attach(tb.Context(), node); err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node, Limiter: lim}).Routes(mux)
	views.Routes(mux)
	return node, n, httpapi.Edge(mux, httpapi.EdgeConfig{Limiter: lim})
}

// answer is a response as a test sees it.
type answer struct {
	status  int
	header  http.Header
	body    []byte
	problem *httpapi.Problem // decoded when the body is problem+json
}

func do(t *testing.T, c *http.Client, method, url, contentType string, body []byte) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		a.problem = new(httpapi.Problem)
		if err := json.Unmarshal(b, a.problem); err != nil {
			t.Fatalf("%s %s: problem: %v: %s", method, url, err, b)
		}
	}
	return a
}

// internalText are fragments that must never reach a client: Go error chains,
// library names, addresses.
var internalText = []string{"read tcp", "i/o timeout", "json: ", "EOF", "pebble", "nats:", "goroutine", "127.0.0.1", "runtime error", "%!"}

func checkNoInternalText(t *testing.T, what string, b []byte) {
	t.Helper()
	for _, s := range internalText {
		if bytes.Contains(b, []byte(s)) {
			t.Errorf("%s: the answer contains internal text %q: %s", what, s, b)
		}
	}
}

func fe(path, msg string) events.FieldError { return events.FieldError{Path: path, Message: msg} }

// TestErrorsAreExactProblems walks every handler of the ledger and the views with bad
// inputs, behind Edge, and checks the whole problem document of each answer: status,
// stable code, a detail that names the field and the limit, the field errors, and no
// internal text.
func TestErrorsAreExactProblems(t *testing.T) {
	e := serveEdge(t, nil)
	n := e.n
	n.Enroll("us-ca", "California", "", "US", "state")
	mustSubmit(t, e.srv.URL, n.Entries[len(n.Entries)-1])
	rc := mustSubmit(t, e.srv.URL, n.Append("us-ca", inventory()))
	key := n.Parties["us-ca"].Keys[0]
	before := ledgertest.Entries(t, e.node)
	size := len(before)

	evil := draft(t, n, "us-ca", inventory(), nil)
	evil = events.Sign([]byte(strings.Replace(string(must(events.ParseEntry(evil)).PayloadBytes), `"year":2016`, `"year":2016,"evil":1`, 1)), key)
	scope := events.Sign([]byte(strings.Replace(string(must(events.ParseEntry(draft(t, n, "us-ca", inventory(), nil))).PayloadBytes), `"year":2016`, `"year":"2016"`, 1)), key)
	payloadField := events.Sign([]byte(strings.Replace(string(must(events.ParseEntry(draft(t, n, "us-ca", inventory(), nil))).PayloadBytes), `"v":1,`, `"v":1,"x":2,`, 1)), key)

	const json = "application/json"
	bad := func(status int, code, detail string, fields ...events.FieldError) httpapi.Problem {
		return httpapi.Problem{Type: "urn:climateledger:problem:" + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail, Errors: fields}
	}
	sizeMsg := fmt.Sprintf("required: a tree size from 1 to %d (the tree size)", size)
	tests := []struct {
		method, path, ctype string
		body                []byte
		want                httpapi.Problem
	}{
		// POST /v1/events: media type, size, body paths.
		{"POST", "/v1/events", "text/plain", evil, bad(415, "unsupported_media_type", "Content-Type must be application/json (a DSSE envelope, docs/SPEC.md §3.3)")},
		{"POST", "/v1/events", "", evil, bad(415, "unsupported_media_type", "Content-Type must be application/json (a DSSE envelope, docs/SPEC.md §3.3); the request has none")},
		{"POST", "/v1/events", "application/json; charset=latin1", evil, bad(415, "unsupported_media_type", "Content-Type must be application/json (a DSSE envelope, docs/SPEC.md §3.3)")},
		{"POST", "/v1/events", "application/x-www-form-urlencoded", []byte("a=b"), bad(415, "unsupported_media_type", "Content-Type must be application/json (a DSSE envelope, docs/SPEC.md §3.3)")},
		{"POST", "/v1/events", json, bytes.Repeat([]byte("a"), 10<<20), bad(413, "too_large", "the submission is 10485760 bytes, over the 131072-byte limit (docs/SPEC.md §3.2–3.3)")},
		{"POST", "/v1/events", json, evil, bad(422, "invalid_body", "body.evil: unknown field", fe("body.evil", "unknown field"))},
		{"POST", "/v1/events", json, scope, bad(422, "invalid_body", "body.year: expected a number, got JSON string", fe("body.year", "expected a number, got JSON string"))},
		{"POST", "/v1/events", json, payloadField, bad(400, "malformed_payload", "payload: x: unknown field", fe("x", "unknown field"))},
		{"POST", "/v1/events", "application/json; charset=utf-8", []byte(`{"payloadType":`), bad(400, "malformed_envelope", "envelope: byte 15: unexpected end of JSON")},
		// Events and proofs.
		{"GET", "/v1/events/nonsense", "", nil, bad(404, "not_found", "id: not an event id (a ULID: 26 characters of Crockford base32, upper case)")},
		{"GET", "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV", "", nil, bad(404, "not_found", "id: no valid event has id 01ARZ3NDEKTSV4RRFFQ69G5FAV")},
		{"GET", "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/proof", "", nil, bad(404, "not_found", "id: no valid event has id 01ARZ3NDEKTSV4RRFFQ69G5FAV")},
		{"GET", "/v1/events/" + rc.ID + "/proof?size=x", "", nil, bad(400, "bad_request", fmt.Sprintf("size: want a tree size from %d (the entry's index + 1) to %d (the tree size)", rc.Index+1, size), fe("size", fmt.Sprintf("want a tree size from %d (the entry's index + 1) to %d (the tree size)", rc.Index+1, size)))},
		{"GET", "/v1/events/" + rc.ID + "/proof?size=99", "", nil, bad(400, "bad_request", fmt.Sprintf("size: want a tree size from %d (the entry's index + 1) to %d (the tree size)", rc.Index+1, size), fe("size", fmt.Sprintf("want a tree size from %d (the entry's index + 1) to %d (the tree size)", rc.Index+1, size)))},
		{"GET", "/v1/events/" + rc.ID + "/proof?witnessed=1", "", nil, bad(404, "no_witnesses", "this node has no witnesses configured: there is no witnessed proof")},
		{"GET", "/v1/proofs/consistency", "", nil, bad(400, "bad_request", "from: "+sizeMsg+"; to: "+sizeMsg, fe("from", sizeMsg), fe("to", sizeMsg))},
		{"GET", "/v1/proofs/consistency?from=0&to=1", "", nil, bad(400, "bad_request", "from: "+sizeMsg, fe("from", sizeMsg))},
		{"GET", "/v1/proofs/consistency?from=1&to=99", "", nil, bad(400, "bad_request", "to: "+sizeMsg, fe("to", sizeMsg))},
		{"GET", "/v1/proofs/consistency?from=3&to=2", "", nil, bad(400, "bad_request", "from: 3 is above to (2)", fe("from", "3 is above to (2)"))},
		// The log.
		{"GET", "/v1/log/entries?start=x", "", nil, bad(400, "bad_request", "start: want a log index: an integer ≥ 0", fe("start", "want a log index: an integer ≥ 0"))},
		{"GET", "/v1/log/entries?end=-1", "", nil, bad(400, "bad_request", "end: want a log index: an integer ≥ 0", fe("end", "want a log index: an integer ≥ 0"))},
		{"GET", "/v1/log/entries?start=9", "", nil, bad(400, "bad_request", fmt.Sprintf("start: 9 is after end %d (the tree size is %d)", size, size), fe("start", fmt.Sprintf("9 is after end %d (the tree size is %d)", size, size)))},
		{"GET", "/v1/log/rejections?start=-2", "", nil, bad(400, "bad_request", "start: want a log index: an integer ≥ 0", fe("start", "want a log index: an integer ≥ 0"))},
		{"GET", "/v1/parties/US-CA/head", "", nil, bad(400, "bad_request", "id: a party id must match ^[a-z0-9][a-z0-9-]{0,62}$", fe("id", "a party id must match ^[a-z0-9][a-z0-9-]{0,62}$"))},
		{"GET", "/v1/witnesses", "", nil, bad(404, "no_witnesses", "this node has no witnesses configured")},
		// The views.
		{"GET", "/v1/parties?kind=evil", "", nil, bad(400, "bad_request", `kind: "evil" is not one of [jurisdiction verifier]`)},
		{"GET", "/v1/parties/US-CA", "", nil, bad(400, "bad_request", "party id must match ^[a-z0-9][a-z0-9-]{0,62}$")},
		{"GET", "/v1/parties/nobody", "", nil, bad(404, "not_found", "party nobody not found")},
		{"GET", "/v1/parties/us-ca/events?limit=0", "", nil, bad(400, "bad_request", "limit: want 1 to 1000")},
		{"GET", "/v1/parties/us-ca/events?after=x", "", nil, bad(400, "bad_request", "after: not a seq")},
		{"GET", "/v1/subscribe?party=A", "", nil, bad(400, "bad_request", "party must match ^[a-z0-9][a-z0-9-]{0,62}$")},
		// No such path, no such method.
		{"GET", "/nope", "", nil, bad(404, "not_found", "there is no resource at this path (the API is described at /v1/openapi.json)")},
		{"GET", "/v1/events", "", nil, bad(405, "method_not_allowed", "method GET is not allowed on this path; allowed: POST")},
		{"DELETE", "/v1/events/" + rc.ID, "", nil, bad(405, "method_not_allowed", "method DELETE is not allowed on this path; allowed: GET, HEAD")},
		{"PUT", "/v1/state", json, []byte("{}"), bad(405, "method_not_allowed", "method PUT is not allowed on this path; allowed: GET, HEAD")},
	}
	for _, tt := range tests {
		name := tt.method + " " + tt.path
		if tt.ctype != "" {
			name += " (" + tt.ctype + ")"
		}
		t.Run(name, func(t *testing.T) {
			a := do(t, nil, tt.method, e.srv.URL+tt.path, tt.ctype, tt.body)
			if a.problem == nil {
				t.Fatalf("status %d, Content-Type %q, want problem+json: %s", a.status, a.header.Get("Content-Type"), a.body)
			}
			if a.status != tt.want.Status || !reflect.DeepEqual(*a.problem, tt.want) {
				t.Errorf("got  %d %+v\nwant %d %+v", a.status, *a.problem, tt.want.Status, tt.want)
			}
			if tt.want.Status == 405 && a.header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			checkNoInternalText(t, name, a.body)
		})
	}
	after := ledgertest.Entries(t, e.node)
	if !reflect.DeepEqual(after, before) {
		t.Fatalf("the log changed: %d entries, want %d", len(after), len(before))
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rawRequest sends bytes on a new TCP connection, optionally closing the write side,
// and returns the response read back.
func rawRequest(t *testing.T, addr, req string, closeWrite bool, readTimeout time.Duration) answer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	if closeWrite {
		c.(*net.TCPConn).CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(readTimeout))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: b}
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		a.problem = new(httpapi.Problem)
		json.Unmarshal(b, a.problem)
	}
	return a
}

// TestSubmitBodyErrors: bodies that are too large or do not arrive. A declared 10 MiB
// body is refused by its declared size; an undeclared (chunked) one by the limit; a
// body cut short, or too slow for the server's read timeout, is incomplete_body — and
// no answer carries the Go error ("read tcp …: i/o timeout", "unexpected EOF").
func TestSubmitBodyErrors(t *testing.T) {
	node, _ := ledgertest.Open(t, "")
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	srv := httptest.NewUnstartedServer(httpapi.Edge(mux, httpapi.EdgeConfig{}))
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	head := "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
	incomplete := "the request body could not be read in full: the client closed the connection, or sent the body more slowly than the server waits for it"

	tests := []struct {
		name       string
		req        string
		closeWrite bool
		status     int
		code       string
		detail     string
	}{
		{"declared 10 MiB, not sent", head + "Content-Length: 10485760\r\n\r\n", false, 413, "too_large",
			"the submission is 10485760 bytes, over the 131072-byte limit (docs/SPEC.md §3.2–3.3)"},
		{"chunked, over the limit", head + "Transfer-Encoding: chunked\r\n\r\n" + fmt.Sprintf("%x\r\n%s\r\n", 140000, strings.Repeat("a", 140000)), false, 413, "too_large",
			"the submission is over the 131072-byte limit (docs/SPEC.md §3.2–3.3)"},
		{"cut short", head + "Content-Length: 100\r\n\r\n{\"payloadType\"", true, 400, "incomplete_body", incomplete},
		{"too slow", head + "Content-Length: 100\r\n\r\n{\"payloadType\"", false, 400, "incomplete_body", incomplete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := rawRequest(t, addr, tt.req, tt.closeWrite, 10*time.Second)
			if a.problem == nil || a.status != tt.status || a.problem.Code != tt.code || a.problem.Detail != tt.detail {
				t.Fatalf("got %d %s, want %d %s %q", a.status, a.body, tt.status, tt.code, tt.detail)
			}
			checkNoInternalText(t, tt.name, a.body)
		})
	}
	if got := len(ledgertest.Entries(t, node)); got != 1 {
		t.Fatalf("log has %d entries, want only the genesis", got)
	}
}
