package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger/httpapi"
)

// FuzzHTTP drives the node's whole HTTP handler — the ledger's endpoints and the
// views behind Edge, over a real node (NATS, Pebble) — with random requests, and
// checks that no answer is a 5xx other than 503, that every error is a problem+json
// without internal text, and that a refused request leaves the stream unchanged.
func FuzzHTTP(f *testing.F) {
	node, n, h := edgeHandler(f, nil)
	submit := func(entry []byte) {
		rr := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/events", bytes.NewReader(entry))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rr, req)
		if rr.Code != http.StatusCreated {
			f.Fatalf("seed submission: %d %s", rr.Code, rr.Body)
		}
	}
	n.Enroll("us-ca", "California", "", "US", "state")
	submit(n.Entries[len(n.Entries)-1])
	recorded := n.Append("us-ca", inventory())
	submit(recorded)
	next := draft(&testing.T{}, n, "us-ca", inventory(), nil)

	methods := []string{"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"}
	ctypes := []string{"application/json", "", "text/plain", "application/json; charset=utf-8", "application/problem+json", "multipart/form-data; boundary=x"}
	for _, s := range []struct {
		m, ct      uint8
		path, body string
	}{
		{1, 0, "/v1/events", string(recorded)},
		{1, 0, "/v1/events", string(next)},
		{1, 2, "/v1/events", string(next)},
		{1, 0, "/v1/events", `{"payloadType":"application/vnd.climateledger.event.v1+json","payload":"e30=","signatures":[]}`},
		{1, 0, "/v1/events", strings.Replace(string(recorded), `"sig":"`, `"sig":"AA`, 1)},
		{0, 1, "/v1/events/01ARZ3NDEKTSV4RRFFQ69G5FAV/proof?size=3", ""},
		{0, 1, "/v1/proofs/consistency?from=1&to=3", ""},
		{0, 1, "/v1/log/entries?start=0&end=18446744073709551615", ""},
		{0, 1, "/v1/log/rejections?start=1", ""},
		{0, 1, "/v1/parties/us-ca/head", ""},
		{0, 1, "/v1/parties/us-ca/events?after=1&limit=1000", ""},
		{0, 1, "/v1/parties?country=US&status=on_track", ""},
		{0, 1, "/v1/checkpoint", ""},
		{0, 1, "/v1/state", ""},
		{0, 1, "/v1/witnesses", ""},
		{3, 0, "/v1/state", "{}"},
		{0, 1, "/%2e%2e/v1/state", ""},
		{0, 1, "/v1/events//proof", ""},
	} {
		f.Add(s.m, s.ct, s.path, []byte(s.body))
	}

	f.Fuzz(func(t *testing.T, m, ct uint8, target string, body []byte) {
		if !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "/v1/subscribe") {
			return // SSE streams until the client leaves; TestSSECaps covers it
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req, err := http.NewRequest(methods[int(m)%len(methods)], "http://node"+u.RequestURI(), bytes.NewReader(body))
		if err != nil {
			return
		}
		req.RemoteAddr = "192.0.2.1:1234"
		if c := ctypes[int(ct)%len(ctypes)]; c != "" {
			req.Header.Set("Content-Type", c)
		}
		before, err := node.Log().LastSeq(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		after, err := node.Log().LastSeq(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		status := rr.Code
		if status >= 500 && status != http.StatusServiceUnavailable {
			t.Fatalf("%s %s: status %d: %s", req.Method, target, status, rr.Body)
		}
		if status >= 400 {
			if got := rr.Header().Get("Content-Type"); got != "application/problem+json" {
				t.Fatalf("%s %s: status %d with Content-Type %q: %s", req.Method, target, status, got, rr.Body)
			}
			var p httpapi.Problem
			if req.Method != "HEAD" {
				if err := json.Unmarshal(rr.Body.Bytes(), &p); err != nil || p.Status != status || p.Code == "" {
					t.Fatalf("%s %s: status %d, problem %s", req.Method, target, status, rr.Body)
				}
			}
			for _, s := range []string{"read tcp", "i/o timeout", "json: ", "goroutine", "runtime error", "pebble", "nats:"} {
				// (A fragment the request itself carries may be quoted back.)
				if strings.Contains(rr.Body.String(), s) && !bytes.Contains(body, []byte(s)) && !strings.Contains(target, s) {
					t.Fatalf("%s %s: internal text %q in %s", req.Method, target, s, rr.Body)
				}
			}
		}
		switch {
		case status == http.StatusCreated:
			if after != before+1 {
				t.Fatalf("201 but the log went from %d to %d entries", before, after)
			}
		case after != before:
			t.Fatalf("%s %s answered %d, but the log went from %d to %d entries", req.Method, target, status, before, after)
		}
	})
}
