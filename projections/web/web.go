// Package web is climateledger's dashboard: plain HTML, CSS and JavaScript embedded in
// the binary (no CDN, no external fonts, no build step), served at "/" with its files
// under "/assets/". It works offline against the node that serves it.
//
// The page reads only the node's public HTTP API (docs/SPEC.md §8, docs/PROJECTIONS.md §7): GET /v1/parties and
// /v1/parties/{id} (the projections), /v1/state, /v1/events/{id}, its proofs
// (/v1/events/{id}/proof, ?witnessed=1), /v1/proofs/consistency, /v1/witnesses, and
// GET /v1/subscribe (server-sent events, with GET /v1/checkpoint?latest=1 polled where
// they do not get through) to update open views without a reload. Its views: the
// network (every jurisdiction with its standing with the Declaration — 2015
// signatory, 2016 endorser, participant whose endorsement is unconfirmed, neither —
// its four commitments and the target that matters now in the reader's calendar, each
// figure marked self-reported or attested, and a comparison over time, by country and
// by standing, with CSV and JSON downloads); a jurisdiction (its standing and why, an
// inline SVG emissions chart with the target path, progress explained in plain words,
// targets, inventories, plans, partnerships and attestations); and a
// readable page per signed event (#/e/{id}) with a "Verify" button that checks, with
// WebCrypto in the reader's browser, the event's signatures, its leaf hash, its
// inclusion proof, the checkpoint's log signature and the witnesses' cosignatures, and
// that the log only grew since the checkpoint the browser saw before (docs/SPEC.md
// §3–5 and §10). Figures of government operations are labelled as such and never
// drawn with community-wide ones (SPEC §6.6); a source without sha256 is shown as not
// pinned, with its quote (SPEC §6.0). In English and Chinese (?lang=en|zh); ?live=0
// turns live updates off.
//
// The scripts, loaded in order by index.html: i18n.js (texts, language, formats),
// witness.js (who cosigned), ui.js (building the page, the API, shared marks),
// verify.js (the checks), party.js, network.js, event.js (the views) and app.js
// (routing, live updates, the footer).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets
var assets embed.FS

// file is one embedded file, ready to serve.
type file struct {
	body  []byte
	ctype string
	etag  string
}

// files maps a URL path ("/", "/assets/app.js") to its file; built once at init from
// the embedded tree, which never changes.
var files = func() map[string]*file {
	m := map[string]*file{}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = http.DetectContentType(b)
		}
		f := &file{body: b, ctype: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		m["/"+p] = f
		if p == "assets/index.html" {
			m["/"] = f
		}
		return nil
	})
	if err != nil {
		panic("web: embedded assets: " + err.Error())
	}
	return m
}()

// contentSecurityPolicy allows nothing but the page's own origin: no inline script,
// no external fonts, styles or connections.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler returns the dashboard's handler. It serves GET and HEAD of "/" (the page)
// and "/assets/<file>", and answers 404 for anything else; mount it on exactly those
// patterns ("GET /{$}" and "GET /assets/"). Responses carry an ETag and
// "Cache-Control: no-cache" (revalidate, then 304), and a strict Content Security
// Policy. Safe for concurrent use.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		f := files[r.URL.Path]
		if f == nil || r.URL.Path == "/assets/index.html" {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ctype)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if strings.HasPrefix(f.ctype, "text/html") {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	})
}

// Routes registers the dashboard on mux at "GET /{$}" and "GET /assets/" (Go 1.22
// patterns; GET also matches HEAD).
func Routes(mux *http.ServeMux) {
	h := Handler()
	mux.Handle("GET /{$}", h)
	mux.Handle("GET /assets/", h)
}
