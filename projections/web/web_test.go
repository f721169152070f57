package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/projections/web"
)

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	web.Routes(mux)
	mux.HandleFunc("GET /v1/state", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api") })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		path, method string
		status       int
		ctype, has   string
	}{
		{"/", "GET", 200, "text/html; charset=utf-8", `<script src="/assets/app.js" defer></script>`},
		{"/", "HEAD", 200, "text/html; charset=utf-8", ""},
		{"/assets/app.js", "GET", 200, "text/javascript; charset=utf-8", "'use strict'"},
		{"/assets/i18n.js", "GET", 200, "text/javascript; charset=utf-8", "addText"},
		{"/assets/ui.js", "GET", 200, "text/javascript; charset=utf-8", "provMark"},
		{"/assets/verify.js", "GET", 200, "text/javascript; charset=utf-8", "verifyInclusion"},
		{"/assets/party.js", "GET", 200, "text/javascript; charset=utf-8", "renderParty"},
		{"/assets/network.js", "GET", 200, "text/javascript; charset=utf-8", "renderNetwork"},
		{"/assets/event.js", "GET", 200, "text/javascript; charset=utf-8", "renderEventView"},
		{"/assets/witness.js", "GET", 200, "text/javascript; charset=utf-8", "climateledgerWitnesses"},
		{"/assets/app.css", "GET", 200, "text/css; charset=utf-8", ":focus-visible"},
		{"/assets/favicon.svg", "GET", 200, "image/svg+xml", "<svg"},
		{"/assets/index.html", "GET", 404, "", ""},
		{"/assets/missing.js", "GET", 404, "", ""},
		{"/assets/", "GET", 404, "", ""},
		{"/index.html", "GET", 404, "", ""},
		{"/", "POST", 405, "", ""},
		{"/v1/state", "GET", 200, "", "api"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: got %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			continue
		}
		if tc.ctype != "" && resp.Header.Get("Content-Type") != tc.ctype {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, resp.Header.Get("Content-Type"), tc.ctype)
		}
		if !strings.Contains(string(body), tc.has) {
			t.Errorf("%s %s: body does not contain %q", tc.method, tc.path, tc.has)
		}
	}
}

func TestHeaders(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options: %q", got)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q: want an ETag and no-cache", etag, resp.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: got %d, want 304", resp.StatusCode)
	}
}

// TestNoExternalResources: the page works offline, so nothing it ships may point
// elsewhere (the links in the data it draws are the data's own).
func TestNoExternalResources(t *testing.T) {
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	for _, p := range []string{"/", "/assets/app.js", "/assets/i18n.js", "/assets/witness.js", "/assets/ui.js", "/assets/verify.js", "/assets/party.js",
		"/assets/network.js", "/assets/event.js", "/assets/app.css", "/assets/favicon.svg"} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s := string(b)
		s = strings.ReplaceAll(s, "http://www.w3.org/2000/svg", "")
		for _, bad := range []string{"http://", "https://", "//cdn", "@import", "fonts.googleapis"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s refers to %q", p, bad)
			}
		}
	}
}
