package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
)

// chromiumPath is where the browser test looks for Chromium.
const chromiumPath = "/usr/bin/chromium"

// newBrowser starts headless Chromium for the test, or skips the test when it is
// missing (fails instead when CI=true).
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but Chromium is missing: %v", err)
		}
		t.Skipf("Chromium not found at %s: skipping the browser test", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, slack*timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// js evaluates a JavaScript expression in the page.
func js[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// slack multiplies the browser tests' time limits. They are upper bounds, not
// expectations: a page that renders in 0.2 s here can take seconds on a loaded CI
// machine running every package's tests at once, and a passing test never waits them
// out.
const slack = 3

// waitFor polls a JavaScript predicate until it is true, for up to slack × timeout.
func waitFor(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(slack*timeout))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// TestDashboard drives the dashboard in Chromium against a real node with the demo
// network and its two witnesses: the network view lists California and Beijing,
// search works in Chinese, California's chart has a point per inventory, every proof
// has its witnessed proof, cosigned by Los Angeles and Shenzhen, and an event
// submitted through the API appears on the open page without a reload, then is
// witnessed.
func TestDashboard(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	s := startDemo(t)
	shots := os.Getenv("WEB_SCREENSHOTS") // a directory: save screenshots there

	// The network view.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length > 0`, 10*time.Second)
	rows := js[int](t, ctx, `document.querySelectorAll('table.juris tbody tr').length`)
	if rows != 50 {
		t.Errorf("network view: got %d jurisdictions, want 50", rows)
	}
	for id, want := range map[string]string{"us-ca": "California", "cn-bj": "Beijing"} {
		got := js[string](t, ctx, fmt.Sprintf(`(document.querySelector('tr[data-party=%q] td.name') || {}).textContent || ''`, id))
		if !strings.Contains(got, want) {
			t.Errorf("row %s: got %q, want it to name %s", id, got, want)
		}
	}
	// Every row says, in words, its main target's status.
	if n := js[int](t, ctx, `[...document.querySelectorAll('table.juris tbody tr')].filter(r => !r.querySelector('.badge[data-status]') || r.querySelector('.badge').textContent.trim() === '').length`); n != 0 {
		t.Errorf("%d rows without a status in words", n)
	}
	// The footer says who cosigned the log.
	_, size := s.Node.Checkpoint()
	waitWitnessed(t, ctx, size, "Checkpoint %d cosigned by Los Angeles and Shenzhen witnesses, 2 of 2 · ")
	screenshot(t, ctx, shots, "network-1280.png")

	// Search by the Chinese name.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#f-q"), "北京")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "search results", `document.querySelectorAll('table.juris tbody tr').length === 1 && !!document.querySelector('tr[data-party="cn-bj"]')`, 5*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#f-clear"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "cleared filters", `document.querySelectorAll('table.juris tbody tr').length === 50`, 5*time.Second)

	// Filter by country.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-country"), "US")); err != nil {
		t.Fatal(err)
	}
	js[bool](t, ctx, `document.getElementById('f-country').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, "the U.S. jurisdictions", `[...document.querySelectorAll('table.juris tbody tr')].every(r => r.dataset.party.startsWith('us')) && document.querySelectorAll('table.juris tbody tr').length === 24`, 5*time.Second)

	// California's view.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="#/p/us-ca"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "California's chart", `document.querySelectorAll('svg.chart a.inv-point').length > 0`, 10*time.Second)
	if got := js[int](t, ctx, `document.querySelectorAll('svg.chart a.inv-point').length`); got != 5 {
		t.Errorf("California's chart: got %d inventory points, want 5", got)
	}
	// Draw SB 32, which has both anchors: 1990 (base year) and 2016 (year set).
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#chart-target"), "sb32")); err != nil {
		t.Fatal(err)
	}
	js[bool](t, ctx, `document.getElementById('chart-target').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, "SB 32's chart", `!!document.querySelector('svg.chart .anchor-set') && document.querySelectorAll('svg.chart a.inv-point').length === 5`, 5*time.Second)
	for what, sel := range map[string]string{
		"a point's <title>":  `svg.chart a.inv-point title`,
		"the target path":    `svg.chart .path-base`,
		"the base anchor":    `svg.chart .anchor-base`,
		"the year-set mark":  `svg.chart .anchor-set`,
		"the target marker":  `svg.chart .target-mark`,
		"a verify link":      `a.verify[href$="/verify"]`,
		"the progress badge": `#progress .badge[data-status]`,
	} {
		if !js[bool](t, ctx, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
			t.Errorf("California's view has no %s (%s)", what, sel)
		}
	}
	// Every inventory point links to its event's page, and that event is in the ledger.
	href := js[string](t, ctx, `document.querySelector('svg.chart a.inv-point').getAttribute('href')`)
	if id, ok := strings.CutPrefix(href, "#/e/"); !ok {
		t.Errorf("a chart point links to %q, want #/e/{id}", href)
	} else if resp, err := http.Get(s.URL + "/v1/events/" + id); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/events/%s: %v %v", id, resp, err)
	} else {
		resp.Body.Close()
	}
	// Every proof has its witnessed proof next to it, which carries both cosignatures.
	if n, w := js[int](t, ctx, `document.querySelectorAll('a.verify').length`), js[int](t, ctx, `document.querySelectorAll('.proofs .wproof a').length`); n == 0 || w != n {
		t.Errorf("California's view: %d witnessed proofs for %d verify links, want one each", w, n)
	}
	wlink := `document.querySelector('.proofs .wproof a')`
	if got, want := js[string](t, ctx, wlink+`.title`), `^cosigned by Los Angeles and Shenzhen witnesses, 2 of 2, at `+utcTime+`$`; !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("a witnessed proof's title: got %q, want %s", got, want)
	}
	if got := js[string](t, ctx, wlink+`.getAttribute('aria-label')`); !strings.HasPrefix(got, "Witnessed proof of ") || !strings.Contains(got, "cosigned by Los Angeles and Shenzhen witnesses, 2 of 2, at ") {
		t.Errorf("a witnessed proof's aria-label: got %q", got)
	}
	checkWitnessedProof(t, s, js[string](t, ctx, wlink+`.getAttribute('href')`))
	screenshot(t, ctx, shots, "california-1280.png")

	// The keyboard reaches the chart's points, and a focused point shows it.
	reached := false
	for i := 0; i < 40 && !reached; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		reached = js[bool](t, ctx, `!!document.activeElement && document.activeElement.matches('svg.chart a.inv-point')`)
	}
	if !reached {
		t.Error("40 presses of Tab did not reach a point of the chart")
	} else if stroke := js[string](t, ctx, `getComputedStyle(document.activeElement.querySelector('circle')).stroke`); stroke != "rgb(26, 95, 180)" {
		t.Errorf("a focused chart point has stroke %q, want the focus colour", stroke)
	}
	screenshot(t, ctx, shots, "california-focus.png")

	// A new inventory, submitted through the API as California, appears on the open
	// page without a reload.
	js[bool](t, ctx, `(window.__sameDocument = true)`)
	start := time.Now()
	rc := submitInventory(t, s, "us-ca", 2020)
	waitFor(t, ctx, "the new inventory point", `document.querySelectorAll('svg.chart a.inv-point').length === 6`, 5*time.Second)
	latency := time.Since(start)
	t.Logf("the page showed the new event %v after the submission began", latency)
	if latency > 3*time.Second {
		t.Errorf("the page took %v to show the new event, want about a second at most", latency)
	}
	if !js[bool](t, ctx, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	if !js[bool](t, ctx, fmt.Sprintf(`!!document.querySelector('svg.chart a.inv-point[data-event=%q]')`, rc.ID)) {
		t.Errorf("no chart point links to the new event %s", rc.ID)
	}
	waitFor(t, ctx, "the sector breakdown", `document.querySelectorAll('#sectors .bars li').length === 3`, 5*time.Second)
	// The witnesses catch up: the footer and the new inventory's proof say so.
	waitWitnessed(t, ctx, rc.Index+1, "Checkpoint %d cosigned by Los Angeles and Shenzhen witnesses, 2 of 2 · ")
	waitFor(t, ctx, "the new inventory's witnessed proof", fmt.Sprintf(`!!document.querySelector('.wproof[data-id=%q] a')`, rc.ID), 10*time.Second)
	checkWitnessedProof(t, s, js[string](t, ctx, fmt.Sprintf(`document.querySelector('.wproof[data-id=%q] a').getAttribute('href')`, rc.ID)))
	waitFor(t, ctx, "the announcement", `document.getElementById('announcer').textContent.length > 0`, 5*time.Second)

	// Back on the network view, a plan published by Los Angeles turns its plan mark
	// on, without a reload.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="#/"]`))); err != nil {
		t.Fatal(err)
	}
	planMark := `(document.querySelector('tr[data-party="uslax"] td[data-label="Plan"] .mark') || {}).className`
	waitFor(t, ctx, "Los Angeles's row", planMark+` === 'mark no'`, 5*time.Second)
	plan := submit(t, s, "uslax", &events.PlanBody{PlanID: "browser-test-plan", Version: 1, Title: "Browser test plan (not a real plan)",
		Adopted: "2026-01-01", HorizonYear: 2030})
	waitFor(t, ctx, "Los Angeles's plan mark", planMark+` === 'mark yes'`, 5*time.Second)
	if !js[bool](t, ctx, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/#/p/us-ca")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "California's view", `!!document.querySelector('#party-h')`, 10*time.Second)

	// The interface switches to Chinese.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the Chinese interface", `document.documentElement.lang === 'zh-CN' && document.querySelector('#party-h').textContent.includes('加利福尼亚州')`, 5*time.Second)
	waitWitnessed(t, ctx, plan.Index+1, "检查点 %d 已由洛杉矶市和深圳市见证方共同签署，2/2 · ")
	if got := js[string](t, ctx, wlink+`.textContent`); got != "见证证明" {
		t.Errorf("a witnessed proof's link in Chinese: got %q, want 见证证明", got)
	}
	if got, want := js[string](t, ctx, wlink+`.title`), `^已由洛杉矶市和深圳市见证方共同签署，2/2，时间 `+utcTime+`$`; !regexp.MustCompile(want).MatchString(got) {
		t.Errorf("a witnessed proof's title in Chinese: got %q, want %s", got, want)
	}
	screenshot(t, ctx, shots, "california-zh-1280.png")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang"))); err != nil {
		t.Fatal(err)
	}

	// Phone width: nothing scrolls sideways.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812)); err != nil {
		t.Fatal(err)
	}
	for _, view := range []struct{ hash, ready, shot string }{
		{"#/p/us-ca", `document.querySelectorAll('svg.chart a.inv-point').length === 6`, "california-375.png"},
		{"#/", `document.querySelectorAll('table.juris tbody tr').length > 0`, "network-375.png"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/"+view.hash)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, view.hash+" at 375px", view.ready, 10*time.Second)
		if w := js[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
			t.Errorf("%s at 375px scrolls sideways by %dpx", view.hash, w)
		}
		waitWitnessed(t, ctx, plan.Index+1, "Checkpoint %d cosigned by Los Angeles and Shenzhen witnesses, 2 of 2 · ")
		screenshot(t, ctx, shots, view.shot)
	}

	// Shenzhen's witness goes down: the next checkpoint misses the quorum, and the
	// footer says that the witnessed one lags and why, in both languages.
	s.WitnessDown["cnszx"].Store(true)
	late := submitInventory(t, s, "us-ca", 2021)
	for _, tc := range []struct{ cosigned, lag, failing string }{
		{"Checkpoint %d cosigned by Los Angeles and Shenzhen witnesses, 2 of 2 · ", "latest %d, witnessed %d", "Shenzhen witness failing: "},
		{"检查点 %d 已由洛杉矶市和深圳市见证方共同签署，2/2 · ", "最新 %d，已见证 %d", "深圳市见证方签署失败："},
	} {
		if strings.HasPrefix(tc.lag, "最新") {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang"))); err != nil {
				t.Fatal(err)
			}
		}
		lag := fmt.Sprintf(tc.lag, late.Index+1, late.Index)
		waitFor(t, ctx, "the lag and the failing witness", fmt.Sprintf(`(document.querySelector('#witnesses [data-state=lag]') || {}).textContent === %q && !!document.querySelector('#witnesses [data-state=failing]')`, lag), 10*time.Second)
		if got, want := js[string](t, ctx, `document.querySelector('#witnesses [data-state=cosigned]').textContent`), fmt.Sprintf(tc.cosigned, late.Index); !strings.HasPrefix(got, want) {
			t.Errorf("the witnessed checkpoint while Shenzhen is down: got %q, want %q…", got, want)
		}
		if got := js[string](t, ctx, `document.querySelector('#witnesses [data-state=failing]').textContent`); !strings.HasPrefix(got, tc.failing) || !strings.Contains(got, "503") {
			t.Errorf("the failing witness: got %q, want %q and its 503", got, tc.failing+"…")
		}
		if w := js[int](t, ctx, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
			t.Errorf("the network view at 375px with a failing witness scrolls sideways by %dpx", w)
		}
	}
	screenshot(t, ctx, shots, "witness-lag-zh-375.png")
}

// TestDashboardWithoutSSE: where server-sent events do not get through (a proxy that
// buffers them, say), the open page polls the checkpoint and still updates, even while
// nothing is witnessed (Shenzhen's witness is down, and the quorum is both), which
// the page says plainly.
func TestDashboardWithoutSSE(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	shots := os.Getenv("WEB_SCREENSHOTS")
	s := startDemoWith(t, demoConfig{
		wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/subscribe" {
					http.NotFound(w, r)
					return
				}
				h.ServeHTTP(w, r)
			})
		},
		witnesses: demoWitnesses,
		down:      []string{"cnszx"},
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/#/p/ussea")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Seattle's chart", `document.querySelectorAll('svg.chart a.inv-point').length === 4`, 10*time.Second)
	waitFor(t, ctx, "the polling state", `document.getElementById('live').dataset.state === 'polling'`, 5*time.Second)
	js[bool](t, ctx, `(window.__sameDocument = true)`)
	submitInventory(t, s, "ussea", 2016)
	waitFor(t, ctx, "the new inventory point", `document.querySelectorAll('svg.chart a.inv-point').length === 5`, 5*time.Second)
	if !js[bool](t, ctx, `window.__sameDocument === true`) {
		t.Error("the page reloaded")
	}
	if got := js[string](t, ctx, `document.getElementById('live').dataset.state`); got != "polling" {
		t.Errorf("live state %q with nothing witnessed, want polling", got)
	}

	// The footer says what is missing, and the proofs wait for the witnesses.
	for _, tc := range []struct{ awaiting, failing, wait, shot string }{
		{"Awaiting witnesses: no checkpoint cosigned by 2 of 2 yet", "Shenzhen witness failing: ", "awaiting witnesses", "witness-down-1280.png"},
		{"正在等待见证方：尚无检查点获得 2/2 个共同签名", "深圳市见证方签署失败：", "等待见证", "witness-down-zh-1280.png"},
	} {
		if tc.wait != "awaiting witnesses" {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang"))); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, ctx, "the witnesses' state", fmt.Sprintf(`(document.querySelector('#witnesses [data-state=awaiting]') || {}).textContent === %q && [...document.querySelectorAll('#witnesses [data-state=failing]')].length === 1`, tc.awaiting), 10*time.Second)
		if got := js[string](t, ctx, `document.querySelector('#witnesses [data-state=failing]').textContent`); !strings.HasPrefix(got, tc.failing) || !strings.Contains(got, "503") {
			t.Errorf("the failing witness: got %q, want %q and its 503", got, tc.failing+"…")
		}
		if n, w := js[int](t, ctx, `document.querySelectorAll('a.verify').length`), js[int](t, ctx, fmt.Sprintf(`[...document.querySelectorAll('.proofs .wproof')].filter(e => !e.hidden && !e.querySelector('a') && e.textContent === %q).length`, tc.wait)); n == 0 || w != n {
			t.Errorf("%d proofs marked %q of %d verify links, want all", w, tc.wait, n)
		}
		screenshot(t, ctx, shots, tc.shot)
	}
	if got := js[string](t, ctx, `document.getElementById('checkpoint-link').getAttribute('href')`); got != "/v1/checkpoint?latest=1" {
		t.Errorf("the checkpoint link while nothing is witnessed: %q, want /v1/checkpoint?latest=1", got)
	}
}

// TestDashboardWithoutWitnesses: a node without witnesses (GET /v1/witnesses is 404)
// gets a short note, not an error, and no witnessed proofs.
func TestDashboardWithoutWitnesses(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	s := startDemoWith(t, demoConfig{})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/#/p/ussea")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Seattle's chart", `document.querySelectorAll('svg.chart a.inv-point').length === 4`, 10*time.Second)
	for _, want := range []string{"Checkpoints are signed by the log alone (no witnesses).", "检查点仅由日志签名（无见证方）。"} {
		if want != "Checkpoints are signed by the log alone (no witnesses)." {
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#lang"))); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, ctx, "the note", fmt.Sprintf(`document.getElementById('witnesses').textContent === %q`, want), 5*time.Second)
	}
	if n := js[int](t, ctx, `[...document.querySelectorAll('.wproof')].filter(e => !e.hidden || e.textContent).length`); n != 0 {
		t.Errorf("%d witnessed-proof marks shown on a node without witnesses", n)
	}
	if js[bool](t, ctx, `!!document.querySelector('.error')`) {
		t.Error("the page shows an error")
	}
	// The audit command names the log key, and no witness.
	logKey, _ := logKeyOf(t, s)
	want := "climateledger audit --server " + s.URL + " --log-key " + logKey
	waitFor(t, ctx, "the audit command", fmt.Sprintf(`document.getElementById('audit-cmd').textContent === %q`, want), 5*time.Second)
}

// utcTime matches a time as the page writes it: "20:31 UTC", after its date when not
// today's.
const utcTime = `(\d{4}-\d\d-\d\d )?\d\d:\d\d UTC`

// waitWitnessed waits for the footer to say that the checkpoint of size is witnessed:
// the text format (with %d for the size) followed by the time.
func waitWitnessed(t *testing.T, ctx context.Context, size uint64, format string) {
	t.Helper()
	want := fmt.Sprintf(format, size)
	waitFor(t, ctx, "the witnessed checkpoint "+fmt.Sprint(size), fmt.Sprintf(`document.getElementById('witnesses').textContent.startsWith(%q)`, want), 10*time.Second)
	got := js[string](t, ctx, `document.getElementById('witnesses').textContent`)
	if re := "^" + regexp.QuoteMeta(want) + utcTime + "$"; !regexp.MustCompile(re).MatchString(got) {
		t.Errorf("the witnesses' line: got %q, want %s", got, re)
	}
}

// checkWitnessedProof downloads the witnessed proof at href and checks that both
// witnesses cosigned its checkpoint.
func checkWitnessedProof(t *testing.T, s *demoServer, href string) {
	t.Helper()
	if !strings.HasSuffix(href, "/proof?witnessed=1") {
		t.Errorf("a witnessed proof links to %q, want …/proof?witnessed=1", href)
	}
	resp, err := http.Get(s.URL + href)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", href, resp.Status, b)
	}
	for _, w := range demoWitnesses {
		if line := "\n— " + w + ".witness.climateledger.local "; !strings.Contains(string(b), line) {
			t.Errorf("GET %s: no cosignature line %q in\n%s", href, line[1:], b)
		}
	}
}

// submitInventory submits test figures for an inventory of year as party.
func submitInventory(t *testing.T, s *demoServer, party string, year int) *ledger.Receipt {
	t.Helper()
	d := func(s string) *events.Decimal { v := events.MustDecimal(s); return &v }
	return submit(t, s, party, &events.InventoryBody{Year: year, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4",
		Lines: []events.InventoryLine{
			{GPCRef: "I.1.1", Scope: 1, Gas: events.GasCO2e, TCO2e: d("30000000")},
			{GPCRef: "II.1.1", Scope: 1, Gas: events.GasCO2e, TCO2e: d("150000000")},
			{GPCRef: "III.1.1", Scope: 1, Gas: events.GasCO2e, TCO2e: d("9000000")},
		},
		TotalTCO2e: d("189000000"),
		Boundary:   "Test figures submitted by the browser test; not a real inventory.",
	})
}

// submit signs the next event of party's chain with its demo key and POSTs it to
// /v1/events, as a jurisdiction's client would.
func submit(t *testing.T, s *demoServer, party string, body events.Body) *ledger.Receipt {
	t.Helper()
	b, err := os.ReadFile(demo.KeyPath(s.KeyDir, party))
	if err != nil {
		t.Fatal(err)
	}
	key, err := events.ParseKeyFile(b)
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.Node.ChainHead(context.Background(), party)
	if err != nil {
		t.Fatal(err)
	}
	dr := &events.Draft{Party: party, Seq: head.Seq + 1, Type: body.EventType(), Time: time.Now().UTC().Truncate(time.Second), Body: body}
	if dr.Prev, err = events.ParseHash(head.Hash); err != nil {
		t.Fatal(err)
	}
	payload, err := dr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(s.URL+"/v1/events", "application/json", bytes.NewReader(events.Sign(payload, key)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rc ledger.Receipt
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&rc) != nil {
		t.Fatalf("POST /v1/events: %s", resp.Status)
	}
	return &rc
}

// screenshot saves a full-page screenshot to dir/name when dir is set.
func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
