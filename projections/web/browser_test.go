package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
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
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
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

// waitFor polls a JavaScript predicate until it is true.
func waitFor(t *testing.T, ctx context.Context, what, expr string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// TestDashboard drives the dashboard in Chromium against a real node with the demo
// network: the network view lists California and Beijing, search works in Chinese,
// California's chart has a point per inventory, and an event submitted through the
// API appears on the open page without a reload.
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
	if rows != 14 {
		t.Errorf("network view: got %d jurisdictions, want 14", rows)
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
	screenshot(t, ctx, shots, "network-1280.png")

	// Search by the Chinese name.
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#f-q"), "北京")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "search results", `document.querySelectorAll('table.juris tbody tr').length === 1 && !!document.querySelector('tr[data-party="cn-bj"]')`, 5*time.Second)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#f-clear"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "cleared filters", `document.querySelectorAll('table.juris tbody tr').length === 14`, 5*time.Second)

	// Filter by country.
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-country"), "US")); err != nil {
		t.Fatal(err)
	}
	js[bool](t, ctx, `document.getElementById('f-country').dispatchEvent(new Event('change')) || true`)
	waitFor(t, ctx, "the U.S. jurisdictions", `[...document.querySelectorAll('table.juris tbody tr')].every(r => r.dataset.party.startsWith('us')) && document.querySelectorAll('table.juris tbody tr').length === 5`, 5*time.Second)

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
		"a verify link":      `a.verify[href$="/proof"]`,
		"the progress badge": `#progress .badge[data-status]`,
	} {
		if !js[bool](t, ctx, fmt.Sprintf(`!!document.querySelector(%q)`, sel)) {
			t.Errorf("California's view has no %s (%s)", what, sel)
		}
	}
	// Every inventory point links to its event, and that event is in the ledger.
	href := js[string](t, ctx, `document.querySelector('svg.chart a.inv-point').getAttribute('href')`)
	if resp, err := http.Get(s.URL + href); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %v %v", href, resp, err)
	} else {
		resp.Body.Close()
	}
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
	waitFor(t, ctx, "the announcement", `document.getElementById('announcer').textContent.length > 0`, 5*time.Second)

	// Back on the network view, a plan published by Los Angeles turns its plan mark
	// on, without a reload.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="#/"]`))); err != nil {
		t.Fatal(err)
	}
	planMark := `(document.querySelector('tr[data-party="uslax"] td[data-label="Plan"] .mark') || {}).className`
	waitFor(t, ctx, "Los Angeles's row", planMark+` === 'mark no'`, 5*time.Second)
	submit(t, s, "uslax", &events.PlanBody{PlanID: "browser-test-plan", Version: 1, Title: "Browser test plan (not a real plan)",
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
		screenshot(t, ctx, shots, view.shot)
	}
}

// TestDashboardWithoutSSE: where server-sent events do not get through (a proxy that
// buffers them, say), the open page polls the checkpoint and still updates.
func TestDashboardWithoutSSE(t *testing.T) {
	ctx := newBrowser(t, 30*time.Second)
	s := startDemoWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/subscribe" {
				http.NotFound(w, r)
				return
			}
			h.ServeHTTP(w, r)
		})
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
