package web_test

import (
	"fmt"
	"maps"
	"os"
	"strings"
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

// declarationView is the part of a party's declaration the tests read.
type declarationView struct {
	Endorser bool   `json:"endorser"`
	Group    string `json:"group"`
	Evidence []struct {
		EventID string `json:"event_id"`
		Index   uint64 `json:"index"`
	} `json:"evidence"`
}

// TestDeclarationStanding: the network view counts the jurisdictions by their
// standing with the Declaration as /v1/network does (2015 signatories, 2016
// endorsers, participants whose endorsement is unconfirmed, neither), filters by it,
// and marks each row; a jurisdiction's page says why it is in its group, with the
// sources of its endorsements and participations and the signed events that show it.
// In English at 1280 px and in Chinese at 375 px.
func TestDeclarationStanding(t *testing.T) {
	ctx := newBrowser(t, 90*time.Second)
	s := startDemo(t)
	shots := os.Getenv("WEB_SCREENSHOTS")
	var net struct {
		Declaration struct {
			Endorsers struct {
				Count int `json:"count"`
			} `json:"endorsers"`
			Groups []struct {
				Group   string   `json:"group"`
				Count   int      `json:"count"`
				Parties []string `json:"parties"`
			} `json:"groups"`
		} `json:"declaration"`
	}
	getJSON(t, s.URL+"/v1/network", &net)
	counts := map[string]int{"endorsers": net.Declaration.Endorsers.Count}
	members := map[string]string{}
	for _, g := range net.Declaration.Groups {
		counts[g.Group] = g.Count
		members[g.Group] = strings.Join(g.Parties, " ")
	}
	// The demo's standing (ledger/demo/README.md): 29 signatories, 20 participants
	// (19 of 2016 and Pinecrest), Chengdu.
	if want := map[string]int{"endorsers": 29, "signatory_2015": 29, "endorser_2016": 0, "participant": 20, "not_endorser": 1}; !maps.Equal(counts, want) {
		t.Fatalf("/v1/network declaration counts: got %v, want %v", counts, want)
	}
	pinecrest := partyDeclaration(t, s, "us-pinecrest-fl")
	chengdu := partyDeclaration(t, s, "cnctu")
	beijing := partyDeclaration(t, s, "cn-bj")

	for _, tc := range []struct {
		lang  string
		width int64
		tiles map[string]string // data-stat or data-group → the tile's text
		note  string
		rows  map[string]string // party → its row's badge
		title string            // Chicago's badge's title
		opts  string            // the filter's options
		count string            // after filtering the participants
		page  map[string]map[string]string
	}{
		{"en", 1280,
			map[string]string{
				"endorsers":      "29endorsers of the Declaration",
				"signatory_2015": "29signed it in Los Angeles, 2015",
				"endorser_2016":  "0endorsed it in Beijing, 2016 (not in 2015)",
				"participant":    "20took part in a summit, endorsement unconfirmed: not counted",
				"not_endorser":   "1enrolled without an endorsement: not counted",
			},
			"Endorsers are the jurisdictions with a recorded endorsement. Participants of a summit whose endorsement no source confirms, and jurisdictions enrolled without one, are listed but not counted as endorsers.",
			map[string]string{"us-ca": "Signed in Los Angeles, 2015", "cn-bj": "Signed in Los Angeles, 2015", "uschi": "Took part, endorsement unconfirmed", "us-pinecrest-fl": "Took part, endorsement unconfirmed", "cnctu": "No endorsement recorded"},
			"Took part in the 2016 Beijing summit, but no endorsement of the Declaration is recorded for it: not counted as an endorser (its endorsement is unconfirmed).",
			"All|signatory_2015:Signed in Los Angeles, 2015|participant:Took part, endorsement unconfirmed|not_endorser:No endorsement recorded",
			"Showing 20 of 50 jurisdictions",
			map[string]map[string]string{
				"us-pinecrest-fl": {
					"#declaration .badge.decl": "Took part, endorsement unconfirmed",
					"#decl-reason":             "Took part in the 2015 Los Angeles summit and the 2016 Beijing summit, but no endorsement of the Declaration is recorded for it: not counted as an endorser (its endorsement is unconfirmed).",
					`#declaration li[data-kind="participation"][data-summit="2015-los-angeles"]`: "Took part in the Los Angeles summit (2015-09-15) · source not pinned",
					`#declaration li[data-kind="participation"][data-summit="2016-beijing"]`:     "Took part in the Beijing summit (2016-06-07) · source not pinned",
					"#decl-evidence": fmt.Sprintf("Evidence: signed event, log entry %d", pinecrest.Evidence[0].Index),
				},
				"cn-bj": {
					"#declaration .badge.decl": "Signed in Los Angeles, 2015",
					"#decl-reason":             "Signed the Declaration at the 2015 Los Angeles summit (a recorded endorsement). It also took part in the 2016 Beijing summit.",
					`#declaration li[data-kind="endorsement"][data-summit="2015-los-angeles"]`: "Endorsed at the Los Angeles summit (2015-09-15) · source not pinned",
					`#declaration li[data-kind="participation"][data-summit="2016-beijing"]`:   "Took part in the Beijing summit (2016-06-07) · source not pinned",
					"#decl-evidence": fmt.Sprintf("Evidence: signed event, log entry %d", beijing.Evidence[0].Index),
				},
				"cnctu": {
					"#declaration .badge.decl": "No endorsement recorded",
					"#decl-reason":             "Enrolled without an endorsement of the Declaration, and none is recorded since: not counted as an endorser.",
					"#decl-evidence":           fmt.Sprintf("Evidence: signed event, log entry %d", chengdu.Evidence[0].Index),
				},
			}},
		{"zh", 375,
			map[string]string{
				"endorsers":      "29个宣言签署方",
				"signatory_2015": "292015年在洛杉矶签署",
				"endorser_2016":  "02016年在北京签署（2015年未签署）",
				"participant":    "20参加了峰会，签署未经证实：不计入",
				"not_endorser":   "1登记时无签署：不计入",
			},
			"签署方是有签署记录的地方政府。参加了峰会但没有来源证实其签署的地方政府，以及登记时没有签署的地方政府，会被列出，但不计为签署方。",
			map[string]string{"us-ca": "2015年洛杉矶签署方", "uschi": "参会，签署未经证实", "cnctu": "无签署记录"},
			"参加了2016年北京峰会，但没有其签署宣言的记录：不计为签署方（其签署未经证实）。",
			"全部|signatory_2015:2015年洛杉矶签署方|participant:参会，签署未经证实|not_endorser:无签署记录",
			"显示 20 / 50 个地方政府",
			map[string]map[string]string{
				"us-pinecrest-fl": {
					"#declaration .badge.decl": "参会，签署未经证实",
					"#decl-reason":             "参加了2015年洛杉矶峰会和2016年北京峰会，但没有其签署宣言的记录：不计为签署方（其签署未经证实）。",
					`#declaration li[data-kind="participation"][data-summit="2016-beijing"]`: "参加北京峰会（2016-06-07） · 来源 未固定哈希",
					"#decl-evidence": fmt.Sprintf("证据：签名事件，日志第 %d 条", pinecrest.Evidence[0].Index),
				},
				"cn-bj": {
					"#decl-reason": "在2015年洛杉矶峰会签署了宣言（有签署记录）。此外还参加了2016年北京峰会。",
					`#declaration li[data-kind="endorsement"][data-summit="2015-los-angeles"]`: "在洛杉矶峰会签署（2015-09-15） · 来源 未固定哈希",
				},
				"cnctu": {
					"#decl-reason": "登记时没有签署宣言，此后也没有签署记录：不计为签署方。",
				},
			}},
	} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(tc.width, 900)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, ctx, "the jurisdictions", `document.querySelectorAll('table.juris tbody tr').length === 50`, 10*time.Second)
		for key, want := range tc.tiles {
			sel := fmt.Sprintf(`#decl-stats li[data-group=%q]`, key)
			if key == "endorsers" {
				sel = `#decl-stats li[data-stat="endorsers"]`
			}
			if got := textOf(t, ctx, sel); got != want {
				t.Errorf("%s: tile %s: got %q, want %q", tc.lang, key, got, want)
			}
			if got := textOf(t, ctx, sel+" .n"); got != fmt.Sprint(counts[key]) {
				t.Errorf("%s: tile %s counts %s, /v1/network %d", tc.lang, key, got, counts[key])
			}
		}
		if got := textOf(t, ctx, "#decl-note"); got != tc.note {
			t.Errorf("%s: the note: got %q, want %q", tc.lang, got, tc.note)
		}
		for party, want := range tc.rows {
			if got := textOf(t, ctx, fmt.Sprintf(`tr[data-party=%q] td.name .badge.decl`, party)); got != want {
				t.Errorf("%s: %s's badge: got %q, want %q", tc.lang, party, got, want)
			}
		}
		if n := js[int](t, ctx, `document.querySelectorAll('table.juris tbody tr td.name .badge.decl[data-group]').length`); n != 50 {
			t.Errorf("%s: %d rows with a standing badge, want 50", tc.lang, n)
		}
		if got := js[string](t, ctx, `document.querySelector('tr[data-party="uschi"] .badge.decl').title`); got != tc.title {
			t.Errorf("%s: Chicago's badge title: got %q, want %q", tc.lang, got, tc.title)
		}
		if got := js[string](t, ctx, `[...document.querySelectorAll('#f-group option')].map(o => o.value ? o.value + ':' + o.textContent : o.textContent).join('|')`); got != tc.opts {
			t.Errorf("%s: the standing filter: got %q, want %q", tc.lang, got, tc.opts)
		}
		for _, g := range []string{"participant", "not_endorser", "signatory_2015"} {
			if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#f-group"), g)); err != nil {
				t.Fatal(err)
			}
			js[bool](t, ctx, `document.getElementById('f-group').dispatchEvent(new Event('change')) || true`)
			waitFor(t, ctx, "the "+g+" filter", fmt.Sprintf(`document.querySelectorAll('table.juris tbody tr').length === %d`, counts[g]), 5*time.Second)
			if got := js[string](t, ctx, `[...document.querySelectorAll('table.juris tbody tr')].map(r => r.dataset.party).sort().join(' ')`); got != members[g] {
				t.Errorf("%s: filtered by %s: got %s, want %s", tc.lang, g, got, members[g])
			}
			if g == "participant" {
				if got := textOf(t, ctx, "#count"); got != tc.count {
					t.Errorf("%s: count: got %q, want %q", tc.lang, got, tc.count)
				}
			}
		}
		noSidewaysScroll(t, ctx, tc.lang+" network filtered by standing")
		screenshot(t, ctx, shots, fmt.Sprintf("declaration-network-%s-%d.png", tc.lang, tc.width))
		click(t, ctx, "#f-clear")
		waitFor(t, ctx, "cleared filters", `document.querySelectorAll('table.juris tbody tr').length === 50`, 5*time.Second)

		for party, want := range tc.page {
			if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang="+tc.lang+"#/p/"+party)); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, party+"'s standing", fmt.Sprintf(`!!document.querySelector('#declaration[data-party=%q]')`, party), 10*time.Second)
			for sel, w := range want {
				if got := textOf(t, ctx, sel); got != w {
					t.Errorf("%s: %s %s: got %q, want %q", tc.lang, party, sel, got, w)
				}
			}
			d := map[string]declarationView{"us-pinecrest-fl": pinecrest, "cn-bj": beijing, "cnctu": chengdu}[party]
			var hrefs []string
			for _, e := range d.Evidence {
				hrefs = append(hrefs, "#/e/"+e.EventID)
			}
			if got := js[string](t, ctx, `[...document.querySelectorAll('#decl-evidence a')].map(a => a.getAttribute('href')).join(' ')`); got != strings.Join(hrefs, " ") {
				t.Errorf("%s: %s's evidence links: got %s, want %s", tc.lang, party, got, strings.Join(hrefs, " "))
			}
			noSidewaysScroll(t, ctx, tc.lang+" "+party+"'s page")
			if party == "us-pinecrest-fl" {
				screenshot(t, ctx, shots, fmt.Sprintf("declaration-pinecrest-%s-%d.png", tc.lang, tc.width))
			}
		}
	}

	// The sources of Pinecrest's participations are those of its enrolment.
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?lang=en#/p/us-pinecrest-fl")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "Pinecrest's standing", `!!document.getElementById('decl-reason')`, 10*time.Second)
	const citiesSpeak = "https://citiesspeak.org/2016/08/09/what-i-learned-at-the-u-s-china-low-carbon-cities-summit-in-beijing/"
	if got := js[string](t, ctx, `[...document.querySelectorAll('#declaration li a.ext')].map(a => a.href).join(' ')`); got != citiesSpeak+" "+citiesSpeak {
		t.Errorf("Pinecrest's participation sources: %s", got)
	}
}

// partyDeclaration reads a jurisdiction's declaration from GET /v1/parties/{id}.
func partyDeclaration(t *testing.T, s *demoServer, party string) declarationView {
	t.Helper()
	var d struct {
		Declaration declarationView `json:"declaration"`
	}
	getJSON(t, s.URL+"/v1/parties/"+party, &d)
	if len(d.Declaration.Evidence) == 0 {
		t.Fatalf("%s: no declaration evidence", party)
	}
	return d.Declaration
}
