package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/climateledger/climateledger/events"
)

// TestDocumentReferences: a source without a sha256 is shown as not pinned next to its
// link (SPEC §6.0), a pinned one with its hash; the quoted passage is the link's title,
// and a blockquote on the event page, also for the sources of endorsements and
// participations. In English at 1280 px and in Chinese at 375 px.
func TestDocumentReferences(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	s := startDemo(t)
	const (
		phxURL   = "https://www.phoenix.gov/oep/environment/climate"
		opsQuote = "The 2009 Climate Action Plan defined how the city would achieve a goal to reduce greenhouse gas (GHG) emissions from city operations to 5 percent below the 2005 levels by 2015."
		invQuote = "Phoenix reduced its municipal Greenhouse Gas Emissions (GHG) footprint by 15.6 % below 2005 levels meeting and surpassing its goal of 15%."
		pcQuote  = "This year, the Chinese reciprocated by hosting the 2016 U.S.-China Climate-Smart / Low-Carbon Cities Summit in Beijing. I attended as one of a dozen U.S. mayors"
		hash     = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	)
	// A pinned document: a plan submitted as Guangzhou.
	submit(t, s, "cncan", &events.PlanBody{PlanID: "pinned-test", Version: 1, Title: "Test plan (browser test)", Adopted: "2020-01-01", HorizonYear: 2030,
		Document: &events.DocumentRef{URL: "https://example.org/plan.pdf", SHA256: hash, Title: "Test plan document", Quote: "A passage\nof two lines."}})
	inv, _ := inventoryRef(t, s, "usphx", 2015)
	enrolment := partyDeclaration(t, s, "us-pinecrest-fl").Evidence[0].EventID

	for _, tc := range []struct {
		lang       string
		width      int64
		notPinned  string
		pinTitle   string
		source     string
		document   string
		summitLine string
	}{
		{"en", 1280, "not pinned", "No SHA-256 of the document is recorded: the reference names a document, it does not prove its bytes.", "source", "document",
			"Beijing summit (2016-06-07) · CitiesSpeak (NLC): What I Learned at the U.S.-China Low-Carbon Cities Summit in Beijing, by Mayor Cindy Lerner not pinned" + pcQuote},
		{"zh", 375, "未固定哈希", "未记录该文件的 SHA-256：该引用指明了文件，但不能证明其内容。", "来源", "文件",
			"北京峰会 (2016-06-07) · CitiesSpeak (NLC): What I Learned at the U.S.-China Low-Carbon Cities Summit in Beijing, by Mayor Cindy Lerner 未固定哈希" + pcQuote},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, 900)); err != nil {
			t.Fatal(err)
		}
		// Phoenix: every source is a web page read once, not pinned.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/p/usphx")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Phoenix's targets", `!!document.querySelector('article.card[data-target="operations-2015"] .doc')`, 10*time.Second)
		card := `article.card[data-target="operations-2015"] .links .doc`
		if got, want := textOf(t, ctx, card), tc.source+" "+tc.notPinned; got != want {
			t.Errorf("%s: the operations target's source: got %q, want %q", tc.lang, got, want)
		}
		if got, want := js[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).title`, card+" a.ext")), phxURL+"\n“"+opsQuote+"”"; got != want {
			t.Errorf("%s: the source link's title: got %q, want %q", tc.lang, got, want)
		}
		if got := js[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).title`, card+` .pin[data-pin="none"]`)); got != tc.pinTitle {
			t.Errorf("%s: the not-pinned mark's title: got %q, want %q", tc.lang, got, tc.pinTitle)
		}
		if n, m := js[int](t, ctx, `document.querySelectorAll('#main .doc').length`), js[int](t, ctx, `document.querySelectorAll('#main .doc > .pin[data-pin="none"]').length`); n == 0 || n != m {
			t.Errorf("%s: Phoenix's page: %d sources, %d marked not pinned; want all", tc.lang, n, m)
		}
		if got, want := textOf(t, ctx, `#inventories tr[data-year="2015"] .doc`), tc.source+" "+tc.notPinned; got != want {
			t.Errorf("%s: the 2015 inventory's source: got %q, want %q", tc.lang, got, want)
		}
		noSidewaysScroll(t, ctx, tc.lang+" Phoenix's page")

		// Guangzhou's test plan: pinned, with its hash.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/p/cncan")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Guangzhou's plan", `!!document.querySelector('article.card[data-plan="pinned-test"] .doc')`, 10*time.Second)
		doc := `article.card[data-plan="pinned-test"] .links .doc`
		if got, want := textOf(t, ctx, doc), tc.document+" SHA-256 0123456789ab…"; got != want {
			t.Errorf("%s: the pinned document: got %q, want %q", tc.lang, got, want)
		}
		if got := js[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).title`, doc+` .pin[data-pin="sha256"]`)); got != "SHA-256 "+hash {
			t.Errorf("%s: the pinned mark's title: %q", tc.lang, got)
		}
		if got, want := js[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).title`, doc+" a.ext")), "Test plan document\n“A passage\nof two lines.”"; got != want {
			t.Errorf("%s: the pinned document's title: got %q, want %q", tc.lang, got, want)
		}

		// The event page quotes the passage under the link.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/e/"+inv)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Phoenix's 2015 inventory", `!!document.querySelector('#payload dd[data-field="source"] blockquote')`, 10*time.Second)
		for sel, want := range map[string]string{
			`#payload dd[data-field="source"] a.ext`:            phxURL,
			`#payload dd[data-field="source"] .pin`:             tc.notPinned,
			`#payload dd[data-field="source"] blockquote.quote`: invQuote,
		} {
			if got := textOf(t, ctx, sel); got != want {
				t.Errorf("%s: %s: got %q, want %q", tc.lang, sel, got, want)
			}
		}
		if got := js[string](t, ctx, `document.querySelector('#payload dd[data-field="source"] blockquote').getAttribute('cite')`); got != phxURL {
			t.Errorf("%s: the quote's cite: %q", tc.lang, got)
		}
		noSidewaysScroll(t, ctx, tc.lang+" Phoenix's 2015 inventory")

		// Pinecrest's enrolment: each participation with its source and quote.
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/e/"+enrolment)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "Pinecrest's enrolment", `!!document.querySelector('#payload dd[data-field="participations"] li[data-summit="2016-beijing"] blockquote')`, 10*time.Second)
		if got := textOf(t, ctx, `#payload dd[data-field="participations"] li[data-summit="2016-beijing"]`); got != tc.summitLine {
			t.Errorf("%s: Pinecrest's 2016 participation:\n got %q\nwant %q", tc.lang, got, tc.summitLine)
		}
		if n := js[int](t, ctx, `document.querySelectorAll('#payload dd[data-field="participations"] li blockquote.quote').length`); n != 2 {
			t.Errorf("%s: %d quotes for Pinecrest's two participations", tc.lang, n)
		}
		noSidewaysScroll(t, ctx, tc.lang+" Pinecrest's enrolment")
	}
}
