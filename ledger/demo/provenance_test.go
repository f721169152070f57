package demo_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/demo"
)

// sourced is testdata/endorsers-and-figures.json, the research the demo was curated
// from (a copy of ../shared/data/endorsers-and-figures.json): every row has a source
// URL, a quote and a confidence mark, V (read on the cited page), K (general
// knowledge, names only) or U (unsure or inferred).
type sourced struct {
	Endorsers []endorserRow `json:"endorsers"`
	Figures   []struct {
		Party      string `json:"party"`
		Kind       string `json:"kind"`
		SourceURL  string `json:"source_url"`
		Quote      string `json:"quote"`
		Confidence string `json:"confidence"`
	} `json:"figures"`
}

type endorserRow struct {
	NameEN     string `json:"name_en"`
	Summit     string `json:"summit"`
	SourceURL  string `json:"source_url"`
	Confidence string `json:"confidence"`
	Quote      string `json:"quote"`
}

func loadSourced(t *testing.T) *sourced {
	t.Helper()
	b, err := os.ReadFile("testdata/endorsers-and-figures.json")
	if err != nil {
		t.Fatal(err)
	}
	var s sourced
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

var figureRef = regexp.MustCompile(`figures\[(\d+)\]`)

// figureRefs returns the rows of endorsers-and-figures.json that s names.
func figureRefs(s string) []int {
	var out []int
	for _, m := range figureRef.FindAllStringSubmatch(s, -1) {
		i, _ := strconv.Atoi(m[1])
		out = append(out, i)
	}
	return out
}

// TestProvenance: every body names its source; every event curated from
// endorsers-and-figures.json carries the URL and the quote of its row, and every row
// it names is V; no endorsement is recorded from a U mark (Pinecrest's 2015 signature,
// the 2016 participants), and those parties are enrolled as participants; every row
// of the data set is either recorded or listed in README.md's "Left out" with its
// reason.
func TestProvenance(t *testing.T) {
	n, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	src := loadSourced(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for _, p := range n.Parties {
		if strings.HasPrefix(strings.TrimSpace(p.Confidence), "U") {
			t.Errorf("%s: confidence %q", p.ID, p.Confidence)
		}
		if name, ok := strings.CutPrefix(p.Data, "endorsers: "); ok {
			i := slices.IndexFunc(src.Endorsers, func(e endorserRow) bool { return e.NameEN == name })
			if i < 0 {
				t.Errorf("%s: data %q names no endorser row", p.ID, p.Data)
				continue
			}
			row := src.Endorsers[i]
			ends := p.Enrolment.Endorsements
			recorded := false
			for _, e := range p.Events {
				recorded = recorded || e.Type == events.TypeEndorsement
			}
			switch row.Confidence {
			case "V":
				if len(ends) != 1 || ends[0].Summit != row.Summit || ends[0].Source == nil || ends[0].Source.URL != row.SourceURL || ends[0].Source.Quote != row.Quote {
					t.Errorf("%s: want its %s endorsement with the row's URL and quote, got %+v", p.ID, row.Summit, ends)
				}
			default: // U: never recorded as an endorsement; enrolled as a participant
				if len(ends) != 0 || recorded {
					t.Errorf("%s: endorsement recorded from a %s mark", p.ID, row.Confidence)
				}
				if len(p.Enrolment.Participations) == 0 {
					t.Errorf("%s: a participant without participations", p.ID)
				}
			}
		}
		for j, e := range p.Events {
			what := fmt.Sprintf("%s events[%d] %s", p.ID, j, e.Type)
			if strings.HasPrefix(strings.TrimSpace(e.Confidence), "U") {
				t.Errorf("%s: confidence %q", what, e.Confidence)
			}
			body, err := events.DecodeBody(e.Type, e.Body)
			if err != nil {
				t.Fatal(err)
			}
			doc := demo.SourceOf(body)
			if doc == nil || doc.URL == "" {
				t.Errorf("%s: no source", what)
				continue
			}
			refs := figureRefs(e.Data)
			if len(refs) == 0 {
				if !strings.Contains(e.Data, "demo-jurisdictions.json") {
					t.Errorf("%s: data %q names no source row", what, e.Data)
				}
				continue
			}
			for _, i := range refs {
				if i >= len(src.Figures) || src.Figures[i].Confidence != "V" {
					t.Errorf("%s: figures[%d] is not a V row", what, i)
				}
				used[i] = true
			}
			if f := src.Figures[refs[0]]; doc.URL != f.SourceURL || doc.Quote != f.Quote {
				t.Errorf("%s: source %q / %q, want the URL and quote of figures[%d]", what, doc.URL, doc.Quote, refs[0])
			}
		}
	}
	_, leftOut, _ := strings.Cut(string(readme), "## Left out")
	listed := map[int]bool{}
	for _, i := range figureRefs(leftOut) {
		listed[i] = true
	}
	for i, f := range src.Figures {
		switch {
		case used[i] && f.Confidence != "V":
			t.Errorf("figures[%d] is %s and recorded", i, f.Confidence)
		case !used[i] && !listed[i]:
			t.Errorf("figures[%d] (%s %s) is neither recorded nor listed under Left out in README.md", i, f.Party, f.Kind)
		}
	}
}

// TestProvenanceTable: README.md's table of events by party, type and confidence is
// exactly the data's (go test -run TestProvenanceTable -v prints the table).
func TestProvenanceTable(t *testing.T) {
	n, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	table := demo.ProvenanceTable(n)
	t.Log("\n" + table)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "<!-- provenance -->\n"+table+"<!-- /provenance -->") {
		t.Errorf("README.md's provenance table differs from the data; want between <!-- provenance --> and <!-- /provenance -->:\n%s", table)
	}
}
