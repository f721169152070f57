package web_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBoundaries: a target or inventory of government operations (SPEC §6.6) is
// labelled "municipal operations" wherever its figure is shown, and progress, the
// chart and the inventories commitment never mix it with community-wide figures:
// Phoenix (operations inventories only), Boston (both in 2017), Lancaster and Los
// Angeles (operations targets only). In English at 1280 px and in Chinese at 375 px.
func TestBoundaries(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	s := startDemo(t)
	shots := os.Getenv("WEB_SCREENSHOTS")
	inv, _ := inventoryRef(t, s, "usphx", 2015)
	for _, tc := range []struct {
		lang  string
		width int64
		ops   string
		want  map[string]map[string]string // page → selector → text
	}{
		{"en", 1280, "municipal operations", map[string]map[string]string{
			"": {
				`tr[data-party="us-lancaster-pa"] .main-target > .target-line`:                               "Net zero by 2050 · operations-neutral-2050 municipal operations",
				`tr[data-party="uslax"] .main-target > .target-line`:                                         "Net zero by 2045 · municipal-carbon-neutral-2045 municipal operations",
				`tr[data-party="uslax"] .main-target .others li[data-target="municipal-2025"] .tag.boundary`: "municipal operations",
			},
			"#/p/usphx": {
				`#chart-wrap [data-empty="noboundary"]`:                                  "No community-wide inventory has been reported for this target; inventories of another boundary are not drawn with it.",
				`#chart-target option[value="operations-2015"]`:                          "5% below 2005 by 2015 (operations-2015) · municipal operations",
				`article.card[data-target="operations-2015"] h3 .tag.boundary`:           "municipal operations",
				`#inventories tr[data-year="2015"] td[data-label="Total"] .tag.boundary`: "municipal operations",
				"ul.commitments li:nth-child(2)":                                         "Inventories✗no: None",
			},
			"#/p/usphx/operations-2015": {
				"#chart-boundary":             "Inventories of municipal operations only: the boundary of this target.",
				"svg.chart title#chart-title": "Emissions of Phoenix (municipal operations) in MtCO₂e: reported inventories and the path to the target shown.",
				"#progress h3 .tag.boundary":  "municipal operations",
				"#progress .badge":            "✓Achieved",
				"#progress .reason":           "2022 emissions, 0.49\u00a0Mt, are at or below the 0.64\u00a0Mt the 2015 target allows.",
			},
			"#/p/usbos": {
				"#chart-boundary": "Inventories of municipal operations are not drawn here (another boundary): see the table of inventories.",
			},
			"#/e/" + inv: {
				`#payload dd[data-field="boundary_type"]`: "municipal operations",
			},
		}},
		{"zh", 375, "市政运营", map[string]map[string]string{
			"": {
				`tr[data-party="us-lancaster-pa"] .main-target > .target-line`: "2050 年实现净零 · operations-neutral-2050 市政运营",
			},
			"#/p/usphx": {
				`#chart-wrap [data-empty="noboundary"]`:                        "尚未报告该目标边界（全辖区）的清单；其他边界的清单不与其一起绘制。",
				`article.card[data-target="operations-2015"] h3 .tag.boundary`: "市政运营",
				"ul.commitments li:nth-child(2)":                               "清单✗无: 无",
			},
			"#/p/usphx/operations-2015": {
				"#chart-boundary":             "仅显示市政运营清单：即该目标的边界。",
				"svg.chart title#chart-title": "菲尼克斯市（市政运营）的排放（百万吨二氧化碳当量）：已报告的清单及所示目标的路径。",
				"#progress h3 .tag.boundary":  "市政运营",
			},
			"#/p/usbos": {
				"#chart-boundary": "市政运营清单未在此绘制（边界不同）：见清单表。",
			},
			"#/e/" + inv: {
				`#payload dd[data-field="boundary_type"]`: "市政运营",
			},
		}},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, 900)); err != nil {
			t.Fatal(err)
		}
		for _, page := range []string{"", "#/p/usphx", "#/p/usphx/operations-2015", "#/p/usbos", "#/e/" + inv} {
			want := tc.want[page]
			if want == nil {
				continue
			}
			switch page {
			case "":
				navigate(t, ctx, s.URL+"/?lang="+tc.lang+"&v=net")
				waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
				if js[bool](t, ctx, `!!document.querySelector('tr[data-party="usphx"] .main-target > .target-line .tag.boundary')`) {
					t.Errorf("%s: Phoenix's community target is labelled with another boundary", tc.lang)
				}
			case "#/p/usphx/operations-2015":
				// The chart drawn for the operations target: its own series only.
				js[bool](t, ctx, `(document.getElementById('chart-target').value = 'operations-2015', document.getElementById('chart-target').dispatchEvent(new Event('change')), true)`)
				waitFor(t, ctx, "the operations chart", `document.querySelectorAll('svg.chart a.inv-point').length === 4`, 5*time.Second)
				if got := settle(t, ctx, `[...document.querySelectorAll('svg.chart a.inv-point')].map(a => a.dataset.year).join(' ')`, "2005 2012 2015 2022"); got != "2005 2012 2015 2022" {
					t.Errorf("%s: Phoenix's operations chart: points %s", tc.lang, got)
				}
			case "#/p/usbos":
				navigate(t, ctx, s.URL+"/?lang="+tc.lang+"#/p/usbos")
				waitFor(t, ctx, "Boston's chart", `!!document.querySelector('#declaration[data-party="usbos"]') && !!document.querySelector('#chart-boundary') && document.querySelectorAll('svg.chart a.inv-point').length > 0`, 10*time.Second)
				// 2017 has a community inventory and one of operations: the chart draws
				// the community's, the table lists both.
				if got := settle(t, ctx, `[...document.querySelectorAll('svg.chart a.inv-point')].map(a => a.dataset.year).join(' ')`, "2016 2017"); got != "2016 2017" {
					t.Errorf("%s: Boston's chart: points %s, want 2016 2017", tc.lang, got)
				}
				if got := js[int](t, ctx, `document.querySelectorAll('#inventories tr[data-year="2017"]').length`); got != 2 {
					t.Errorf("%s: Boston's 2017 inventories: %d rows, want 2", tc.lang, got)
				}
				if got := textOf(t, ctx, `#inventories tr[data-year="2017"] .tag.boundary`); got != tc.ops {
					t.Errorf("%s: Boston's 2017 operations inventory: got %q, want %q", tc.lang, got, tc.ops)
				}
			default:
				navigate(t, ctx, s.URL+"/?lang="+tc.lang+page)
				sel := ""
				for k := range want {
					sel = k
					break
				}
				waitFor(t, ctx, page, fmt.Sprintf(`!!document.querySelector(%q)`, sel), 10*time.Second)
			}
			for sel, w := range want {
				// Parts of a page render as their data arrives (the chart after the
				// party): wait for each text rather than read it once.
				if got := settle(t, ctx, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ''`, sel), w); got != w {
					t.Errorf("%s %s: %s: got %q, want %q", tc.lang, page, sel, got, w)
				}
			}
			if page == "#/p/usphx" {
				if n := js[int](t, ctx, `document.querySelectorAll('#inventories .tag.boundary').length`); n != 4 {
					t.Errorf("%s: Phoenix: %d inventories labelled, want 4", tc.lang, n)
				}
				if js[bool](t, ctx, `!!document.querySelector('article.card[data-target="community-2050"] .tag.boundary')`) {
					t.Errorf("%s: Phoenix's community target is labelled with another boundary", tc.lang)
				}
			}
			noSidewaysScroll(t, ctx, fmt.Sprintf("%s %s", tc.lang, page))
			if page == "#/p/usphx/operations-2015" {
				screenshot(t, ctx, shots, fmt.Sprintf("boundary-phoenix-%s-%d.png", tc.lang, tc.width))
			}
		}
	}
}

func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
}

// settle polls expr for up to slack × 10 s until it is want (the chart is drawn in an
// animation frame, and a live update may draw it again), and returns its last value.
func settle(t *testing.T, ctx context.Context, expr, want string) string {
	t.Helper()
	var got string
	for deadline := time.Now().Add(slack * 10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got = js[string](t, ctx, expr); got == want {
			break
		}
	}
	return got
}
