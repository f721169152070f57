package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestLevelMunicipality: Beijing is enrolled at level municipality (直辖市, SPEC §6.3),
// and every place that names a level says so: its row, the level filter, its page and
// its enrolment event; in English at 1280 px and in Chinese at 375 px.
func TestLevelMunicipality(t *testing.T) {
	ctx := newBrowser(t, 60*time.Second)
	s := startDemo(t)
	var bj struct {
		Party struct {
			Enrolled struct {
				EventID string `json:"event_id"`
			} `json:"enrolled"`
		} `json:"party"`
	}
	getJSON(t, s.URL+"/v1/parties/cn-bj", &bj)
	for _, tc := range []struct {
		lang, col, want string
		width           int64
	}{
		{"en", "Level", "Municipality", 1280},
		{"zh", "级别", "直辖市", 375},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, 900)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
		if got := textOf(t, ctx, fmt.Sprintf(`tr[data-party="cn-bj"] td[data-label=%q]`, tc.col)); got != tc.want {
			t.Errorf("%s: Beijing's level: got %q, want %q", tc.lang, got, tc.want)
		}
		if got := textOf(t, ctx, `#f-level option[value="municipality"]`); got != tc.want {
			t.Errorf("%s: the level filter's option: got %q, want %q", tc.lang, got, tc.want)
		}
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-level"), "municipality")); err != nil {
			t.Fatal(err)
		}
		js[bool](t, ctx, `document.getElementById('f-level').dispatchEvent(new Event('change')) || true`)
		waitFor(t, ctx, "the municipalities", `document.querySelectorAll('table.juris tbody tr').length === 1 && !!document.querySelector('tr[data-party="cn-bj"]')`, 5*time.Second)
		noSidewaysScroll(t, ctx, tc.lang+" network filtered by level")

		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/p/cn-bj")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Beijing's page", `!!document.querySelector('li[data-fact="level"]')`, 10*time.Second)
		if got, want := textOf(t, ctx, `li[data-fact="level"] b`), tc.want; got != want {
			t.Errorf("%s: Beijing's page, level: got %q, want %q", tc.lang, got, want)
		}
		noSidewaysScroll(t, ctx, tc.lang+" Beijing's page")

		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/e/"+bj.Party.Enrolled.EventID)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Beijing's enrolment", `!!document.querySelector('#payload dd[data-field="level"]')`, 10*time.Second)
		if got := textOf(t, ctx, `#payload dd[data-field="level"]`); got != tc.want {
			t.Errorf("%s: the enrolment's level: got %q, want %q", tc.lang, got, tc.want)
		}
	}
}
