package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/projections/web"
)

// The worked examples of docs/SPEC.md §3.2, §4.2 and §10.2.
const (
	specEntry     = `{"payloadType":"application/vnd.climateledger.event.v1+json","payload":"eyJ2IjoxLCJpZCI6IjAxTThCVlFTUDAyR1FHWThUUEVZUjFYWURQIiwicGFydHkiOiJ1cy1jYSIsInNlcSI6MiwicHJldiI6ImVhNGFlZWQ0ODk5ODAyYzkzMTUyNTU0ODY0ZTc1YjI3Yjg4YjZlN2NkMjgzMjNkZGUzMjkyZTQwNDA5NjU2MmMiLCJ0eXBlIjoiZW5kb3JzZW1lbnQucmVjb3JkZWQiLCJ0aW1lIjoiMjAyNi0xMS0yNlQxMjowMjowMFoiLCJib2R5Ijp7InN1bW1pdCI6IjIwMTUtbG9zLWFuZ2VsZXMiLCJkYXRlIjoiMjAxNS0wOS0xNSIsInRhcmdldF93b3JkaW5nIjoiUmVkdWNlIGdyZWVuaG91c2UgZ2FzIGVtaXNzaW9ucyB0byA0MCBwZXJjZW50IGJlbG93IDE5OTAgbGV2ZWxzIGJ5IDIwMzAuIn19","signatures":[{"keyid":"04789f52e68aee2a0c89b6f60105d766b77132d283483449b579d3f72bef2999","sig":"NAa/NUsSjw7JZM14PUXrSvxzwh6wbYKTvUxc60tzwazqukZ2QBuiSF9ZNgH7UZS4wqd25S1f1Ku7LfXaw18/DQ=="}]}`
	specKeyID     = "04789f52e68aee2a0c89b6f60105d766b77132d283483449b579d3f72bef2999"
	specPublic    = "U4QjbqeceGylg6hvENOYgl9oHaalPjP2wmPfkwQtdZk="
	specLeaf0     = "2f37edaca733bc70f3077d6cbb5866e5caf59121e2fd7b483c26510e3bfbc869"
	specLeaf1     = "7f22686701fc5b06ab77fbd38a1f04aaeb04940e52a4d4698da9a17e00f607b0"
	specLeaf2     = "dfe066dd20dcb7366ddb2fff38cbad17e6917d4a96bfbfacbc8bcab8604075e5"
	specNode01    = "b9a38d7336eba35b57c31c601b11ad81a7b6ebb2671ac34334b34bfe44086911"
	specRoot      = "5c453e7b38fd7ceec67635b58db3e5f41a2c2a57e8f76b84f868a3506ddb8012"
	specLogKey    = "climateledger.local/log+fe6fcd3a+AY2BHEfI68xpNeBLX/yntqjP7w1jfP9a/e+NFXpYm0dO"
	specWitness   = "a.witness.example+2debb7da+BH9EdNgtOjVOkHsS9RKuicuuHt4NpPd5LPpRDlXBrfsl"
	specCosigned  = "climateledger.local/log\n3\nXEU+ezj9fO7GdjW1jbPl9BosKlfo92uE+GijUG3bgBI=\n\n\u2014 climateledger.local/log /m/NOlyq+mpe7fjlsQiU3ba6JT0dgvKH+f+hq0t1hIQ7DCwDLXvqwnzZQcJBoG5gLEXKpowoVYYNkAmlcJ8NO6EeSQQ=\n\u2014 a.witness.example Leu32gAAAABrDWVAAZHdcFPbAQ5hU5YcJMtG/gmOLgaDohL2rvofgkTTGeLDuGLlf8TX7rSgnDvDxCwPIH4wiDjRY7u4LmBxlIGUBg==\n"
	specPayloadID = "3884130b9841457842e5ac1233a61fa371d856251da36724d75276fc5c033ffe"
)

// TestVerifyVectors runs the browser's verifier (verify.js, WebCrypto) on the worked
// examples of docs/SPEC.md, and on one mutation of each that must fail.
func TestVerifyVectors(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/?live=0")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the verifier", `!!(window.CL && window.CL.verify)`, 10*time.Second)
	consts, _ := json.Marshal(map[string]string{"entry": specEntry, "keyid": specKeyID, "pub": specPublic, "l0": specLeaf0, "l1": specLeaf1,
		"l2": specLeaf2, "n01": specNode01, "root": specRoot, "logKey": specLogKey, "witness": specWitness, "note": specCosigned})
	expr := `(async (C) => {
	  const V = CL.verify, enc = new TextEncoder(), out = {};
	  const h = (x) => Uint8Array.from(x.match(/../g).map((b) => parseInt(b, 16)));
	  const fail = async (f) => { try { await f(); return 'passed'; } catch (e) { return e.step + ' ' + e.code; } };
	  const entry = enc.encode(C.entry);
	  out.leaf = V.hex(await V.leafHash(entry));
	  const env = V.parseEntry(entry);
	  out.payloadHash = V.hex(await V.sha256(env.payload));
	  const keys = new Map([[C.keyid, { public: C.pub, party: 'us-ca' }]]);
	  out.signers = (await V.verifySignatures(env, keys, ['us-ca'])).map((s) => s.party + ' ' + s.ok).join();
	  out.otherParty = await fail(() => V.verifySignatures(env, keys, ['us-ca', 'uslax']));
	  env.payload[40] ^= 1;
	  out.flippedPayload = await fail(() => V.verifySignatures(env, keys, ['us-ca']));
	  out.incl2 = await V.verifyInclusion(h(C.l2), 2, 3, [h(C.n01)], h(C.root));
	  out.incl0 = await V.verifyInclusion(h(C.l0), 0, 3, [h(C.l1), h(C.l2)], h(C.root));
	  out.incl0swapped = await V.verifyInclusion(h(C.l0), 0, 3, [h(C.l2), h(C.l1)], h(C.root));
	  out.incl0short = await V.verifyInclusion(h(C.l0), 0, 3, [h(C.l1)], h(C.root));
	  out.cons23 = await V.verifyConsistency(2, 3, [h(C.l2)], h(C.n01), h(C.root));
	  out.cons13 = await V.verifyConsistency(1, 3, [h(C.l1), h(C.l2)], h(C.l0), h(C.root));
	  out.cons13bad = await V.verifyConsistency(1, 3, [h(C.l2), h(C.l1)], h(C.l0), h(C.root));
	  const note = V.openNote(enc.encode(C.note), 'checkpoint');
	  const cp = V.parseCheckpoint(note.text);
	  out.checkpoint = cp.origin + ' ' + cp.size + ' ' + V.hex(cp.root);
	  const lk = await V.parseVKey(C.logKey, 1, 'checkpoint');
	  out.logSig = await fail(() => V.checkLogSignature(note, lk, cp));
	  const w = await V.parseVKey(C.witness, 4, 'witnesses');
	  const cs = await V.checkCosignatures(note, [w], 1);
	  out.cosigned = cs.cosigned.map((c) => c.key.id + ' ' + c.time.toISOString()).join();
	  const other = await V.parseVKey(C.logKey.replace('+fe6fcd3a+', '+fe6fcd3b+'), 1, 'checkpoint').catch((e) => e);
	  out.badKeyHash = other instanceof Error ? other.step + ' ' + other.code : 'parsed';
	  const rewritten = V.openNote(enc.encode(C.note.replace('\n3\n', '\n4\n')), 'checkpoint');
	  out.rewritten = await fail(() => V.checkLogSignature(rewritten, lk, V.parseCheckpoint(rewritten.text)));
	  const badCosig = V.openNote(enc.encode(C.note.replace('Leu32gAAAABrDWVA', 'Leu32gAAAABrDWVB')), 'checkpoint');
	  out.badCosig = await fail(() => V.checkCosignatures(badCosig, [w], 1));
	  const noCosig = V.openNote(enc.encode(C.note.split('\n').slice(0, 5).join('\n') + '\n'), 'checkpoint');
	  out.quorum = await fail(() => V.checkCosignatures(noCosig, [w], 1));
	  return JSON.stringify(out);
	})(` + string(consts) + `)`
	res, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(res), &got); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"leaf": specLeaf2, "payloadHash": specPayloadID, "signers": "us-ca true",
		"otherParty":     "signatures missing_signature",
		"flippedPayload": "signatures bad_signature",
		"incl2":          true, "incl0": true, "incl0swapped": false, "incl0short": false,
		"cons23": true, "cons13": true, "cons13bad": false,
		"checkpoint": "climateledger.local/log 3 " + specRoot,
		"logSig":     "passed",
		"cosigned":   "a.witness.example+2debb7da 2026-11-30T12:00:00.000Z",
		// The key hash fe6fcd3b is not that of this name and key.
		"badKeyHash": "checkpoint bad_key",
		"rewritten":  "checkpoint log_bad_signature",
		"badCosig":   "witnesses bad_cosignature",
		"quorum":     "witnesses quorum",
	} {
		if got[k] != want {
			t.Errorf("%s: got %v, want %v", k, got[k], want)
		}
	}
}

// witnessView is the part of GET /v1/witnesses the tests read.
type witnessView struct {
	Quorum    int `json:"quorum"`
	Witnesses []struct {
		VerifierKey string `json:"verifier_key"`
	} `json:"witnesses"`
	Witnessed *struct {
		Size uint64 `json:"size"`
	} `json:"witnessed"`
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// waitCosigned waits until the witnessed checkpoint has at least size entries and
// returns the witnesses' view.
func waitCosigned(t *testing.T, s *demoServer, size uint64) witnessView {
	t.Helper()
	deadline := time.Now().Add(slack * 15 * time.Second)
	for {
		var w witnessView
		getJSON(t, s.URL+"/v1/witnesses", &w)
		if w.Witnessed != nil && w.Witnessed.Size >= size {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("no witnessed checkpoint of size %d", size)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// inventoryRef returns the event id and log index of party's current inventory of
// year.
func inventoryRef(t *testing.T, s *demoServer, party string, year int) (string, uint64) {
	t.Helper()
	var d struct {
		Inventories []struct {
			Year    int `json:"year"`
			Reports []struct {
				Current bool `json:"current"`
				Event   struct {
					EventID string `json:"event_id"`
					Index   uint64 `json:"index"`
					Seq     uint64 `json:"seq"`
				} `json:"event"`
			} `json:"reports"`
		} `json:"inventories"`
	}
	getJSON(t, s.URL+"/v1/parties/"+party, &d)
	for _, y := range d.Inventories {
		for _, r := range y.Reports {
			if y.Year == year && r.Current {
				return r.Event.EventID, r.Event.Index
			}
		}
	}
	t.Fatalf("%s has no current inventory of %d", party, year)
	return "", 0
}

// logKeyOf returns the log key named by the genesis, and the genesis's event id.
func logKeyOf(t *testing.T, s *demoServer) (key, genesis string) {
	t.Helper()
	var net struct {
		Party struct {
			Enrolled struct {
				EventID string `json:"event_id"`
			} `json:"enrolled"`
		} `json:"party"`
	}
	getJSON(t, s.URL+"/v1/parties/network", &net)
	var ev struct {
		Payload struct {
			Body struct {
				LogKey string `json:"log_key"`
			} `json:"body"`
		} `json:"payload"`
	}
	getJSON(t, s.URL+"/v1/events/"+net.Party.Enrolled.EventID, &ev)
	return ev.Payload.Body.LogKey, net.Party.Enrolled.EventID
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// textOf returns the text of the first element matching sel ("" when none).
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return js[string](t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel))
}

func noSidewaysScroll(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if w := js[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("%s scrolls sideways by %dpx", what, w)
	}
}

// TestEventPageVerified: from the network view, one click on California's inventory
// figure opens its signed event (what it says, who signed it, its place in the chain
// and the log), and a second click verifies it in the browser, green, with the
// witnesses' cosignatures; a second check after the log grew finds the log
// consistent with the checkpoint seen before. In English at 1280 px, then in Chinese
// at 375 px.
func TestEventPageVerified(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	s := startDemo(t)
	shots := os.Getenv("WEB_SCREENSHOTS")
	id, index := inventoryRef(t, s, "us-ca", 2019)
	_, size := s.Node.Checkpoint()
	w := waitCosigned(t, s, size)
	kb, err := os.ReadFile(demo.KeyPath(s.KeyDir, "us-ca"))
	if err != nil {
		t.Fatal(err)
	}
	caKey, err := events.ParseKeyFile(kb)
	if err != nil {
		t.Fatal(err)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
	// Click 1: the inventory figure of California's row.
	figure := `tr[data-party="us-ca"] td[data-label="Inventory"] a[data-event]`
	if got := textOf(t, ctx, figure); got != fmt.Sprintf("Latest 2019 (older than %d)", time.Now().Year()-4) {
		t.Errorf("California's inventory figure: %q", got)
	}
	click(t, ctx, figure)
	waitFor(t, ctx, "the event page", `!!document.getElementById('event-h')`, 10*time.Second)
	if got := js[string](t, ctx, `location.hash`); got != "#/e/"+id {
		t.Errorf("the figure opened %s, want #/e/%s", got, id)
	}
	for sel, want := range map[string]string{
		"#event-h":                              "Greenhouse gas inventory · California",
		`#payload dd[data-field="year"]`:        "2019",
		`#payload dd[data-field="total_tco2e"]`: "418.2\u00a0MtCO₂e",
		`#payload dd[data-field="gwp"]`:         "AR4",
		`#payload dd[data-field="level"]`:       "territorial",
		`#payload dd[data-field="type"]`:        "Greenhouse gas inventory inventory.reported",
		`#chain dd[data-field="index"]`:         fmt.Sprint(index),
		`#signers li[data-party="us-ca"]`:       "California · key " + caKey.KeyID()[:16] + "… · added " + textOf(t, ctx, `#signers li[data-party="us-ca"] .muted a`),
		".prov[data-prov=\"self\"]":             "self-reported",
		".prov[data-prov=\"disclaimer\"]":       "disclaimer of opinion by Demo Verifier (fictitious, demo only) — not an attestation",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("%s: got %q, want %q", sel, got, want)
		}
	}
	if got := textOf(t, ctx, `#chain dd[data-field="seq"]`); !regexp.MustCompile(`^event \d+ of California’s chain$`).MatchString(got) {
		t.Errorf("the event's place: %q", got)
	}
	if js[bool](t, ctx, `!!document.querySelector('.prov[data-prov="attested"]')`) {
		t.Error("a disclaimer of opinion is shown as an attestation")
	}
	for _, dl := range []string{"envelope", "event", "proof"} {
		if !js[bool](t, ctx, fmt.Sprintf(`!!document.querySelector('#downloads a[data-dl=%q][download]')`, dl)) {
			t.Errorf("no download of the %s", dl)
		}
	}
	waitFor(t, ctx, "the witnesses' line", `!document.getElementById('ev-witnesses').textContent.startsWith('…')`, 5*time.Second)
	if got, want := textOf(t, ctx, "#ev-witnesses"), fmt.Sprintf("in the checkpoint of size %d cosigned by Los Angeles and Shenzhen witnesses (2 of 2)", w.Witnessed.Size); got != want {
		t.Errorf("the witnesses: got %q, want %q", got, want)
	}

	// Click 2: verify in the browser.
	verify := func(want string, consistency, consText string) {
		t.Helper()
		js[bool](t, ctx, `(document.getElementById('verify-result').removeAttribute('data-ok'), true)`)
		click(t, ctx, "#verify-btn")
		waitFor(t, ctx, "the verification", `document.getElementById('verify-result').hasAttribute('data-ok')`, 15*time.Second)
		if got := textOf(t, ctx, "#verdict"); got != want {
			t.Errorf("verdict: got %q, want %q (checks: %s)", got, want, textOf(t, ctx, ".checks"))
		}
		if got := js[string](t, ctx, `document.getElementById('verify-result').dataset.ok`); got != "true" {
			t.Errorf("data-ok = %s", got)
		}
		if got := js[string](t, ctx, `[...document.querySelectorAll('.checks li')].map(l => l.dataset.check + ':' + l.dataset.state).join(' ')`); got != "signatures:ok leaf:ok inclusion:ok checkpoint:ok witnesses:ok" {
			t.Errorf("checks: %s", got)
		}
		if got := js[string](t, ctx, `getComputedStyle(document.getElementById('verdict')).color`); got != "rgb(17, 99, 41)" {
			t.Errorf("the verdict's colour is %s, want green", got)
		}
		if got := js[string](t, ctx, `(document.getElementById('consistency') || {dataset: {}}).dataset.consistency || ''`); got != consistency {
			t.Errorf("consistency: got %q, want %q", got, consistency)
		}
		if got := textOf(t, ctx, "#consistency"); !regexp.MustCompile(consText).MatchString(got) {
			t.Errorf("consistency: got %q, want %s", got, consText)
		}
		if got := textOf(t, ctx, `#signers .sigmark[data-state="ok"]`); got != "✓ " {
			t.Errorf("the signer's mark: %q", got)
		}
	}
	verify(fmt.Sprintf("✓ Verified in your browser: these exact signed bytes are entry %d of the public log, in the checkpoint of size %d signed by the log key and cosigned by Los Angeles and Shenzhen witnesses (2 of 2).", index, w.Witnessed.Size),
		"first", fmt.Sprintf(`^The first checkpoint this browser has seen of this log \(size %d\); it is kept`, w.Witnessed.Size))
	if got := textOf(t, ctx, ".proves p:first-child"); !strings.HasPrefix(got, "What this proves: the keys shown signed exactly this content") {
		t.Errorf("what it proves: %q", got)
	}
	if got := textOf(t, ctx, ".proves p:last-child"); !strings.HasPrefix(got, "What it does not prove: that the figures are true or complete") {
		t.Errorf("what it does not prove: %q", got)
	}
	screenshot(t, ctx, shots, "event-verified-1280.png")

	// The log grows; the witnesses cosign it; the same check now also shows that the
	// new checkpoint extends the one seen before.
	old := w.Witnessed.Size
	rc := submitInventory(t, s, "uslax", 2015)
	w = waitCosigned(t, s, rc.Index+1)
	verify(fmt.Sprintf("✓ Verified in your browser: these exact signed bytes are entry %d of the public log, in the checkpoint of size %d signed by the log key and cosigned by Los Angeles and Shenzhen witnesses (2 of 2).", index, w.Witnessed.Size),
		"consistent", fmt.Sprintf(`^Consistent with the checkpoint this browser saw before \(.+\): the log from size %d to %d only grew\.$`, old, w.Witnessed.Size))

	// In Chinese, at 375 px.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatal(err)
	}
	click(t, ctx, "#lang")
	waitFor(t, ctx, "the page in Chinese", `document.documentElement.lang === 'zh-CN' && (document.getElementById('event-h') || {}).textContent === '温室气体清单 · 加利福尼亚州'`, 10*time.Second)
	if got := js[string](t, ctx, `location.search`); got != "?lang=zh" {
		t.Errorf("the address after switching to Chinese: %q, want ?lang=zh", got)
	}
	verify(fmt.Sprintf("✓ 已验证（在您的浏览器中）：这些签名字节正是公开日志的第 %d 条记录，包含在由日志密钥签名、并由洛杉矶市和深圳市见证方共同签署（2/2）的大小为 %d 的检查点中。", index, w.Witnessed.Size),
		"same", fmt.Sprintf(`^与本浏览器以前看到的检查点相同（大小 %d，.+）。$`, w.Witnessed.Size))
	for sel, want := range map[string]string{
		`#payload dd[data-field="year"]`: "2019",
		".prov[data-prov=\"self\"]":      "自行报告",
		`#chain h3`:                      "此后",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("%s in Chinese: got %q, want %q", sel, got, want)
		}
	}
	noSidewaysScroll(t, ctx, "the event page at 375px in Chinese")
	screenshot(t, ctx, shots, "event-verified-zh-375.png")

	// A verify link next to a figure opens the event page and checks it at once: one
	// click to green.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en#/p/us-ca")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "California's inventories", `!!document.querySelector('#inventories a.verify')`, 10*time.Second)
	click(t, ctx, fmt.Sprintf(`#inventories tr[data-event-row=%q] a.verify`, id))
	waitFor(t, ctx, "the verification", `(document.getElementById('verify-result') || {dataset: {}}).dataset.ok === 'true'`, 15*time.Second)
	if got := textOf(t, ctx, "#verdict"); !strings.HasPrefix(got, "✓ Verified in your browser: ") {
		t.Errorf("the verify link's verdict: %q", got)
	}
	noSidewaysScroll(t, ctx, "the event page at 375px")
}

// rewriter rewrites a response body by request path (nil: leave it).
type rewriter = func(r *http.Request, body []byte) []byte

// tamperWith wraps a handler so that the current rewriter changes what it serves.
func tamperWith(cur *atomic.Pointer[rewriter]) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f := cur.Load()
			if f == nil || r.URL.Path == "/v1/subscribe" {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			body := (*f)(r, rec.Body.Bytes())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	}
}

// rfc6962 computes MTH and the inclusion path of leaf m (RFC 6962 §2.1).
func mth(l [][32]byte) [32]byte {
	if len(l) == 1 {
		return l[0]
	}
	k := split(len(l))
	return proof.NodeHash(mth(l[:k]), mth(l[k:]))
}

func inclusionPath(m int, l [][32]byte) [][32]byte {
	if len(l) == 1 {
		return nil
	}
	k := split(len(l))
	if m < k {
		return append(inclusionPath(m, l[:k]), mth(l[k:]))
	}
	return append(inclusionPath(m-k, l[k:]), mth(l[:k]))
}

func split(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// keyID returns the "<name>+<key hash>" of a verifier key (its base64 may hold "+").
func keyID(vkey string) string {
	p := strings.SplitN(vkey, "+", 3)
	return p[0] + "+" + p[1]
}

// isProof reports whether r asks for an event's proof.
func isProof(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/v1/events/") && strings.HasSuffix(r.URL.Path, "/proof")
}

func parseProof(t *testing.T, b []byte) *proof.TLogProof {
	p, err := proof.ParseTLogProof(b)
	if err != nil {
		t.Errorf("parse the served proof: %v", err)
	}
	return p
}

// TestVerifyTampered serves tampered bytes and checks that the browser's verifier
// names the check that fails: a proof with one flipped byte (inclusion), a wrong log
// key (checkpoint signature), a checkpoint rewritten over a consistent fake tree and
// signed by another key of the same name (checkpoint signature, after the inclusion
// passed), a witness's cosignature with one flipped bit and a missing cosignature
// (witness cosignatures), and a payload with one flipped byte (signatures).
func TestVerifyTampered(t *testing.T) {
	ctx := newBrowser(t, 120*time.Second)
	var cur atomic.Pointer[rewriter]
	s := startDemoWith(t, demoConfig{witnesses: demoWitnesses, wrap: tamperWith(&cur)})
	shots := os.Getenv("WEB_SCREENSHOTS")
	id, _ := inventoryRef(t, s, "us-ca", 2019)
	_, size := s.Node.Checkpoint()
	waitCosigned(t, s, size)
	logKey, genesis := logKeyOf(t, s)
	origin := logKey[:strings.IndexByte(logKey, '+')]
	_, otherKey, err := proof.GenerateLogKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	forgerSKey, _, err := proof.GenerateLogKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	forger, err := proof.ParseSignerKey(forgerSKey)
	if err != nil {
		t.Fatal(err)
	}

	cosigLine := func(b []byte, witness string, f func(line string) string) []byte {
		var out []string
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "— "+witness+".witness.climateledger.local ") {
				if l = f(l); l == "" {
					continue // the line is dropped
				}
			}
			out = append(out, l)
		}
		return []byte(strings.Join(out, "\n"))
	}
	for _, tc := range []struct {
		name    string
		rewrite rewriter
		failed  string // the check that fails
		verdict string // the verdict's start
		detail  string // a regexp its detail must match
		passed  string // the checks that pass before it
		lang    string
	}{
		{"flipped byte in the proof", func(r *http.Request, b []byte) []byte {
			if !isProof(r) {
				return b
			}
			p := parseProof(t, b)
			p.Hashes[0][7] ^= 0x01
			return p.Marshal()
		}, "inclusion", "✗ Not verified: the check “inclusion proof” failed.", `^the inclusion path does not lead from the leaf at index \d+ to the root of the checkpoint of size \d+$`,
			"signatures:ok leaf:ok inclusion:bad checkpoint:not-run witnesses:not-run", "en"},
		{"wrong log key", func(r *http.Request, b []byte) []byte {
			if r.URL.Path != "/v1/events/"+genesis {
				return b
			}
			return bytes.ReplaceAll(b, []byte(logKey), []byte(otherKey))
		}, "checkpoint", "✗ Not verified: the check “checkpoint signature” failed.", `^no signature by the log key ` + regexp.QuoteMeta(keyID(otherKey)) + `$`,
			"signatures:ok leaf:ok inclusion:ok checkpoint:bad witnesses:not-run", "en"},
		{"rewritten checkpoint", func(r *http.Request, b []byte) []byte {
			if !isProof(r) {
				return b
			}
			p := parseProof(t, b)
			leaves := make([][32]byte, p.Index+2)
			for i := range leaves {
				leaves[i] = proof.LeafHash([]byte(fmt.Sprintf("forged %d", i)))
			}
			leaves[p.Index] = proof.LeafHash(p.Extra)
			cp, err := proof.SignCheckpoint(proof.Checkpoint{Origin: origin, Size: uint64(len(leaves)), Root: mth(leaves)}, forger)
			if err != nil {
				t.Error(err)
			}
			p.Hashes, p.Checkpoint = inclusionPath(int(p.Index), leaves), cp
			return p.Marshal()
		}, "checkpoint", "✗ 未通过验证：“检查点签名”检查失败。", `^no signature by the log key ` + regexp.QuoteMeta(keyID(logKey)) + `$`,
			"signatures:ok leaf:ok inclusion:ok checkpoint:bad witnesses:not-run", "zh"},
		{"flipped cosignature", func(r *http.Request, b []byte) []byte {
			if !isProof(r) {
				return b
			}
			return cosigLine(b, "cnszx", func(l string) string {
				i := strings.LastIndexByte(l, ' ')
				raw, _ := base64.StdEncoding.DecodeString(l[i+1:])
				raw[len(raw)-1] ^= 0x01
				return l[:i+1] + base64.StdEncoding.EncodeToString(raw)
			})
		}, "witnesses", "✗ Not verified: the check “witness cosignatures” failed.", `^the cosignature by cnszx\.witness\.climateledger\.local\+[0-9a-f]{8} does not verify$`,
			"signatures:ok leaf:ok inclusion:ok checkpoint:ok witnesses:bad", "en"},
		{"missing cosignature", func(r *http.Request, b []byte) []byte {
			if !isProof(r) {
				return b
			}
			return cosigLine(b, "uslax", func(string) string { return "" })
		}, "witnesses", "✗ Not verified: the check “witness cosignatures” failed.", `^1 of the 2 required witness cosignatures$`,
			"signatures:ok leaf:ok inclusion:ok checkpoint:ok witnesses:bad", "en"},
		{"flipped byte in the payload", func(r *http.Request, b []byte) []byte {
			if !isProof(r) {
				return b
			}
			p := parseProof(t, b)
			var env struct {
				PayloadType string            `json:"payloadType"`
				Payload     []byte            `json:"payload"`
				Signatures  []json.RawMessage `json:"signatures"`
			}
			json.Unmarshal(p.Extra, &env)
			env.Payload = bytes.Replace(env.Payload, []byte(`"year":2019`), []byte(`"year":2018`), 1)
			p.Extra, _ = json.Marshal(env)
			return p.Marshal()
		}, "signatures", "✗ Not verified: the check “signatures” failed.", `^the signature by key [0-9a-f]{16}… \(us-ca\) does not verify$`,
			"signatures:bad leaf:not-run inclusion:not-run checkpoint:not-run witnesses:not-run", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur.Store(&tc.rewrite)
			defer cur.Store(nil)
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?lang=%s&case=%d#/e/%s/verify", s.URL, tc.lang, time.Now().UnixNano(), id))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "the verification", `(document.getElementById('verify-result') || {}).dataset && document.getElementById('verify-result').hasAttribute('data-ok')`, 15*time.Second)
			if got := js[string](t, ctx, `document.getElementById('verify-result').dataset.ok`); got != "false" {
				t.Fatalf("tampered bytes verified: %s", textOf(t, ctx, "#verify-result"))
			}
			if got := js[string](t, ctx, `document.getElementById('verdict').dataset.failed`); got != tc.failed {
				t.Errorf("failed check: got %q, want %q", got, tc.failed)
			}
			if got := textOf(t, ctx, "#verdict"); !strings.HasPrefix(got, tc.verdict+" ") {
				t.Errorf("verdict: got %q, want %q…", got, tc.verdict)
			}
			if got := textOf(t, ctx, "#verdict .detail"); !regexp.MustCompile(tc.detail).MatchString(got) {
				t.Errorf("detail: got %q, want %s", got, tc.detail)
			}
			if got := js[string](t, ctx, `[...document.querySelectorAll('.checks li')].map(l => l.dataset.check + ':' + l.dataset.state).join(' ')`); got != tc.passed {
				t.Errorf("checks: got %s, want %s", got, tc.passed)
			}
			if got := js[string](t, ctx, `getComputedStyle(document.getElementById('verdict')).color`); got != "rgb(164, 14, 38)" {
				t.Errorf("the verdict's colour is %s, want red", got)
			}
			if js[bool](t, ctx, `!!document.getElementById('consistency')`) {
				t.Error("a failed check still compared checkpoints")
			}
			if tc.name == "wrong log key" {
				waitFor(t, ctx, "the fingerprint", `document.getElementById('log-key-fp').textContent.startsWith('SHA-256 fingerprint of the key: ')`, 5*time.Second)
				if got := js[string](t, ctx, `document.getElementById('log-key').value`); got != otherKey {
					t.Errorf("the key shown: %q, want the served one %q", got, otherKey)
				}
			}
			if tc.name == "rewritten checkpoint" {
				screenshot(t, ctx, shots, "event-tampered-zh.png")
			}
		})
	}
}

// TestForkWarning: a browser that saw another checkpoint of the same size before, or a
// larger one that the log does not extend to, is warned of a fork.
func TestForkWarning(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	s := startDemo(t)
	id, _ := inventoryRef(t, s, "us-ca", 2019)
	_, size := s.Node.Checkpoint()
	w := waitCosigned(t, s, size)
	logKey, _ := logKeyOf(t, s)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?live=0")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the page", `!!window.CL`, 10*time.Second)
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, seen := range []struct {
		size uint64
		lead string
	}{
		{w.Witnessed.Size, fmt.Sprintf("Fork warning. This log showed this browser a different history before (a checkpoint of size %d, seen ", w.Witnessed.Size)},
		{3, "Fork warning. This log showed this browser a different history before (a checkpoint of size 3, seen "},
	} {
		st, _ := json.Marshal(map[string]any{"origin": logKey[:strings.IndexByte(logKey, '+')], "size": seen.size, "root": other, "logKey": logKey, "at": "2026-01-02T03:04:05Z"})
		js[bool](t, ctx, fmt.Sprintf(`(localStorage.setItem('climateledger.checkpoint', %q), true)`, st))
		if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/?live=0&n=%d#/e/%s/verify", s.URL, seen.size, id))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the verification", `!!document.getElementById('verdict')`, 15*time.Second)
		if got := textOf(t, ctx, "#fork-warning"); !strings.HasPrefix(got, seen.lead) {
			t.Errorf("seen size %d: fork warning %q, want %q…", seen.size, got, seen.lead)
		}
		if got := js[string](t, ctx, `JSON.parse(localStorage.getItem('climateledger.checkpoint')).root`); got != other {
			t.Errorf("the checkpoint seen before was replaced after a fork: root %s", got)
		}
	}
}

// TestNetworkEvidence: the network view marks every figure self-reported or attested
// (a disclaimer is shown as such, never as an attestation), picks the target that
// matters now, says "no inventory since" for a target whose year has passed, explains
// progress in plain words, counts attested inventories, compares the network, and
// downloads its tables with event ids; in English and in Chinese at 375 px.
func TestNetworkEvidence(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	s := startDemo(t)
	shots := os.Getenv("WEB_SCREENSHOTS")
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
	row := func(party, sel string) string { return fmt.Sprintf(`tr[data-party=%q] %s`, party, sel) }
	year := time.Now().Year()
	for sel, want := range map[string]string{
		// California: its 2030 target, not the 2020 one it achieved; the other one
		// click away.
		row("us-ca", ".main-target > .badge"):                                    "✗Off track",
		row("us-ca", ".main-target > .target-line a"):                            "40% below 1990 by 2030",
		row("us-ca", ".main-target .others summary"):                             "Other targets (1)",
		row("us-ca", `.main-target .others li[data-target="ab32"] .badge`):       "✓Achieved",
		row("us-ca", `.main-target .others li[data-target="ab32"] a`):            "0% below 1990 by 2020",
		row("us-ca", `td[data-label="Inventory"] .prov[data-prov="self"]`):       "self-reported",
		row("us-ca", `td[data-label="Inventory"] .prov[data-prov="disclaimer"]`): "disclaimer of opinion by Demo Verifier (fictitious, demo only) — not an attestation",
		row("ussea", ".main-target > .badge"):                                    "✗Off track",
		row("ussea", ".main-target > .target-line a"):                            "58% below 2008 by 2030",
		// Peak years past, no inventory after them.
		row("cn-bj", ".main-target > .badge"):                             "!No inventory since 2015",
		row("cncan", ".main-target > .badge"):                             "!No inventory reported",
		row("cn-bj", ".main-target > .target-line a"):                     "Peak emissions around 2020",
		`#stats li[data-stat="attested"]`:                                 fmt.Sprintf("0with an attested inventory for %d or later", year-4),
		"#cmp-capita":                                                     "Per person: no population figure is recorded in the ledger (no event type carries one), so emissions per person cannot be shown.",
		`table.counts tr[data-country="US"][data-group="signatory_2015"]`: "United StatesSigned in Los Angeles, 2015181801210",
		`table.counts tr[data-country="US"][data-group="participant"]`:    "United StatesTook part, endorsement unconfirmed640300",
		`table.counts tr[data-country="CN"][data-group="signatory_2015"]`: "ChinaSigned in Los Angeles, 201511100120",
		`table.counts tr[data-country="CN"][data-group="participant"]`:    "ChinaTook part, endorsement unconfirmed1440100",
		`table.counts tr[data-country="CN"][data-group="not_endorser"]`:   "ChinaNo endorsement recorded110000",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("%s: got %q, want %q", sel, got, want)
		}
	}
	if n := js[int](t, ctx, `document.querySelectorAll('.prov[data-prov="attested"]').length`); n != 0 {
		t.Errorf("%d figures marked attested; the demo's only statement is a disclaimer", n)
	}
	// Every row's figures link to signed events.
	if n := js[int](t, ctx, `[...document.querySelectorAll('table.juris tbody tr')].filter(r => r.querySelector('td[data-label="Targets"] .mark.yes') && !r.querySelector('td[data-label="Targets"] a[href^="#/e/"]')).length`); n != 0 {
		t.Errorf("%d rows with targets whose figure links to no event", n)
	}
	// Only community-wide inventories are compared: Phoenix, which reports government
	// operations alone, is not drawn (the series of /v1/parties carry boundary_type).
	if got := js[string](t, ctx, `[...document.querySelectorAll('svg.compare .cmp-series')].map(g => g.dataset.party).sort().join(' ')`); got != "cn-bj cn-suzhou cnwuh us-ca us-ct us-dc us-saint-paul-mn usatl usbos uschi ushou uslax usnyc usoak uspdx ussea ussfo" {
		t.Errorf("the comparison's series: %q", got)
	}
	if n := js[int](t, ctx, `[...document.querySelectorAll('svg.compare a.cmp-point')].filter(a => !/^#\/e\/[0-9A-Z]{26}$/.test(a.getAttribute('href'))).length`); n != 0 {
		t.Errorf("%d points of the comparison link to no event", n)
	}
	// Download the jurisdictions as CSV: a header, and California's row with its
	// inventory's event id.
	click(t, ctx, `p[data-download="jurisdictions"] button[data-format="csv"]`)
	csvPath := filepath.Join(dir, "jurisdictions.csv")
	var csv []byte
	for deadline := time.Now().Add(slack * 5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if b, err := os.ReadFile(csvPath); err == nil && len(b) > 0 {
			csv = b
			break
		}
	}
	invID, _ := inventoryRef(t, s, "us-ca", 2019)
	lines := strings.Split(string(csv), "\r\n")
	if len(lines) != 52 || lines[0] != "party,name_en,name_zh,country,level,endorser,declaration_group,targets,inventory_year,inventory_tco2e,inventory_provenance,inventory_event_id,plan,partnership,main_target_id,main_target_title,main_target_status,main_target_overdue_since,main_target_event_id" {
		t.Fatalf("jurisdictions.csv: %d lines, header %q", len(lines), lines[0])
	}
	if !strings.Contains(string(csv), "\r\nus-ca,California,加利福尼亚州,US,state,true,signatory_2015,2,2019,418150000,self-reported,"+invID+",false,false,sb32,40% below 1990 by 2030,off_track,,") {
		t.Errorf("jurisdictions.csv has no California row with its inventory %s:\n%s", invID, csv)
	}
	screenshot(t, ctx, shots, "network-evidence-1280.png")

	// Progress explained in plain words, with the formula kept for auditors.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en#/p/ussea")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Seattle's progress", `!!document.querySelector('#progress .reason')`, 10*time.Second)
	for sel, want := range map[string]string{
		"#progress .reason":                 "2014 emissions, 3.38\u00a0Mt, are above the 3.03\u00a0Mt the straight path from 2008 to the 2030 target allows.",
		"#progress h3":                      "58% below 2008 by 2030 core-2030 main target now",
		`#progress .prov[data-prov="self"]`: "self-reported",
		`#progress .auditors dd code`:       "E_y (2014: 3384000) is above the base_year path E(2014) = 3030545.455",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("Seattle %s: got %q, want %q", sel, got, want)
		}
	}
	if got := js[string](t, ctx, `document.querySelector('#progress .reason').dataset.code`); got != "above_path" {
		t.Errorf("Seattle's reason code: %q", got)
	}

	// An unmodified attestation of Seattle's 2014 inventory turns its figures into
	// "attested by …", and the attested-only filter finds it.
	sea, _ := inventoryRef(t, s, "ussea", 2014)
	var seaEv struct {
		Receipt struct {
			Hash string `json:"hash"`
		} `json:"receipt"`
	}
	getJSON(t, s.URL+"/v1/events/"+sea, &seaEv)
	submit(t, s, "demo-verifier", &events.AttestationBody{Subject: events.Subject{EventID: sea, Hash: seaEv.Receipt.Hash},
		Standard: "ISO 14064-3:2019", Assurance: "reasonable", Opinion: "unmodified", Summary: "Test attestation by the browser test; not a real one."})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Seattle attested", `!!document.querySelector('tr[data-party="ussea"] .prov[data-prov="attested"]')`, 10*time.Second)
	if got, want := textOf(t, ctx, `tr[data-party="ussea"] td[data-label="Inventory"] .prov[data-prov="attested"]`), "✓attested by Demo Verifier (fictitious, demo only) (reasonable assurance)"; got != want {
		t.Errorf("Seattle's inventory: got %q, want %q", got, want)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-evidence"), "attested")); err != nil {
		t.Fatal(err)
	}
	js[bool](t, ctx, `document.getElementById('f-evidence').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, "the attested-only filter", `document.querySelectorAll('table.juris tbody tr').length === 1 && !!document.querySelector('tr[data-party="ussea"]')`, 5*time.Second)
	if got := textOf(t, ctx, "#count"); got != "Showing 1 of 50 jurisdictions" {
		t.Errorf("count: %q", got)
	}

	// In Chinese at 375 px.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=zh")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the network in Chinese", `document.documentElement.lang === 'zh-CN' && document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
	for sel, want := range map[string]string{
		row("us-ca", ".main-target > .badge"):                             "✗进展落后",
		row("us-ca", ".main-target > .target-line a"):                     "2030 年比 1990 年减少 40%",
		row("us-ca", `td[data-label="清单"] .prov[data-prov="self"]`):       "自行报告",
		row("us-ca", `td[data-label="清单"] .prov[data-prov="disclaimer"]`): "演示核查机构（虚构，仅供演示）无法表示意见——不是核查证明",
		row("cn-bj", ".main-target > .badge"):                             "!自 2015 年以来无清单",
		row("ussea", `td[data-label="清单"] .prov[data-prov="attested"]`):   "✓经演示核查机构（虚构，仅供演示）核查（合理保证）",
		"#compare-sec-h": "网络对比",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("%s in Chinese: got %q, want %q", sel, got, want)
		}
	}
	noSidewaysScroll(t, ctx, "the network view at 375px in Chinese")
	screenshot(t, ctx, shots, "network-evidence-zh-375.png")
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=zh#/p/ussea")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Seattle in Chinese", `!!document.querySelector('#progress .reason')`, 10*time.Second)
	if got, want := textOf(t, ctx, "#progress .reason"), "2014 年排放量为 3.38\u00a0百万吨，高于从 2008 年到 2030 年目标的直线路径所允许的 3.03\u00a0百万吨。"; got != want {
		t.Errorf("Seattle's reason in Chinese: got %q, want %q", got, want)
	}
	noSidewaysScroll(t, ctx, "Seattle at 375px in Chinese")
}

// TestDashboardStates: an empty log, a jurisdiction without inventory, a y-axis that
// shows the change, ?lang= in links, the audit command with the keys, and "offline —
// showing data as of HH:MM" with a retry that brings the page back.
func TestDashboardStates(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)

	// An empty log says so.
	empty := startDemoWith(t, demoConfig{empty: true})
	for _, tc := range []struct{ lang, want string }{
		{"en", "The log is empty: no jurisdiction has enrolled yet."},
		{"zh", "日志为空：尚无地方政府登记。"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(empty.URL+"/?lang="+tc.lang)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the empty log", `!!document.getElementById('empty-log')`, 10*time.Second)
		if got := textOf(t, ctx, "#empty-log"); got != tc.want {
			t.Errorf("empty log (%s): got %q, want %q", tc.lang, got, tc.want)
		}
		if js[bool](t, ctx, `!!document.querySelector('table.juris')`) {
			t.Error("an empty log shows a table")
		}
	}

	var down atomic.Bool
	s := startDemoWith(t, demoConfig{witnesses: demoWitnesses, wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				// As if the server were gone: the connection closes with no answer.
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.Close()
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	}})

	// Guangzhou has no inventory: its chart says so instead of an empty frame.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en#/p/cncan")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Guangzhou's chart", `!!document.querySelector('#chart-wrap p')`, 10*time.Second)
	if got, want := textOf(t, ctx, `#chart-wrap [data-empty="noinv"]`), "No inventory has been reported, so there is no emissions series to draw."; got != want {
		t.Errorf("Guangzhou's chart: got %q, want %q", got, want)
	}
	if js[bool](t, ctx, `!!document.querySelector('#chart-wrap svg')`) {
		t.Error("Guangzhou's chart draws a frame without data")
	}
	if got, want := textOf(t, ctx, "#progress .reason"), "No inventory has been reported, so progress cannot be assessed."; got != want {
		t.Errorf("Guangzhou's progress: got %q, want %q", got, want)
	}
	if got, want := textOf(t, ctx, "#progress .badge"), "!No inventory reported"; got != want {
		t.Errorf("Guangzhou's status: got %q, want %q", got, want)
	}

	// California's axis starts near its figures, and says so.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en#/p/us-ca")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "California's chart", `document.querySelectorAll('svg.chart a.inv-point').length === 5`, 10*time.Second)
	if got := js[string](t, ctx, `document.getElementById('chart-wrap').dataset.axisFrom`); got != "200000000" {
		t.Errorf("California's y-axis starts at %s, want 200000000", got)
	}
	if got, want := textOf(t, ctx, ".axis-note"), "The vertical axis starts at 200\u00a0MtCO₂e, not at zero, so that the change shows."; got != want {
		t.Errorf("axis note: got %q, want %q", got, want)
	}

	// The language is in links: ?lang=zh opens in Chinese, and the footer links to
	// this page in the language on screen.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=zh#/p/us-ca")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "California in Chinese", `document.documentElement.lang === 'zh-CN' && (document.getElementById('party-h') || {textContent: ''}).textContent.startsWith('加利福尼亚州')`, 10*time.Second)
	if got := js[string](t, ctx, `document.getElementById('lang-link').getAttribute('href')`); got != "?lang=zh#/p/us-ca" {
		t.Errorf("the language link: %q", got)
	}
	click(t, ctx, "#lang")
	waitFor(t, ctx, "English", `document.documentElement.lang === 'en' && location.search === '?lang=en'`, 5*time.Second)

	// The footer's audit command carries the log key and the witnesses.
	logKey, _ := logKeyOf(t, s)
	var w witnessView
	getJSON(t, s.URL+"/v1/witnesses", &w)
	want := "climateledger audit --server " + s.URL + " --log-key " + logKey
	for _, x := range w.Witnesses {
		want += " --witness " + x.VerifierKey
	}
	want += fmt.Sprintf(" --witness-quorum %d", w.Quorum)
	waitFor(t, ctx, "the audit command", `document.getElementById('audit-cmd').textContent.includes('--witness-quorum')`, 10*time.Second)
	if got := textOf(t, ctx, "#audit-cmd"); got != want {
		t.Errorf("audit command:\n got %q\nwant %q", got, want)
	}

	// The server goes away: the page says it is offline and how old its data is, and
	// Retry brings it back once the server answers again.
	waitFor(t, ctx, "following the log", `['polling', 'live'].includes(document.getElementById('live').dataset.state)`, 10*time.Second)
	down.Store(true)
	s.Server.CloseClientConnections()
	for _, tc := range []struct{ lang, format string }{
		{"en", "Offline — showing data as of %s"},
		{"zh", "离线——显示的是 %s 的数据"},
	} {
		if tc.lang == "zh" {
			click(t, ctx, "#lang")
		}
		waitFor(t, ctx, "offline", `document.getElementById('live').dataset.state === 'offline'`, 10*time.Second)
		asOf := js[string](t, ctx, `CL.hhmm(CL.store.asOf)`)
		if !regexp.MustCompile(`^\d\d:\d\d$`).MatchString(asOf) {
			t.Fatalf("as of %q", asOf)
		}
		if got, want := textOf(t, ctx, "#live-text"), fmt.Sprintf(tc.format, asOf); got != want {
			t.Errorf("offline (%s): got %q, want %q", tc.lang, got, want)
		}
		if got := textOf(t, ctx, "#live-retry"); got != map[string]string{"en": "Try again", "zh": "重试"}[tc.lang] {
			t.Errorf("retry button (%s): %q", tc.lang, got)
		}
	}
	if !js[bool](t, ctx, `!!document.getElementById('party-h')`) {
		t.Error("the page dropped what it showed when the server went away")
	}
	down.Store(false)
	click(t, ctx, "#live-retry")
	waitFor(t, ctx, "back online", `document.getElementById('live').dataset.state !== 'offline' && !document.getElementById('live-retry')`, 10*time.Second)
}

// TestVirtualTimeBudget: a headless screenshot one-liner (Chromium with
// --virtual-time-budget, which waits until the network is idle) finishes on every
// view, with live updates on (the default) and off.
func TestVirtualTimeBudget(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		newBrowser(t, time.Second) // skips, or fails under CI=true
	}
	s := startDemo(t)
	id, _ := inventoryRef(t, s, "us-ca", 2019)
	for _, tc := range []struct{ path, want string }{
		{"/", `data-party="us-ca"`},
		{"/?live=0", `data-party="us-ca"`},
		{"/#/p/us-ca", `id="party-h"`},
		{"/#/e/" + id + "/verify", `data-ok="true"`},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		start := time.Now()
		out, err := exec.CommandContext(ctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir="+t.TempDir(),
			"--virtual-time-budget=5000", "--dump-dom", s.URL+tc.path).Output()
		cancel()
		if err != nil {
			t.Errorf("%s: chromium --virtual-time-budget: %v after %v", tc.path, err, time.Since(start))
			continue
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: the dumped page has no %s", tc.path, tc.want)
		}
	}
}
