package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
	"github.com/climateledger/climateledger/projections"
)

// readNode is a real node with its views, served over HTTP as `serve` does (the write
// API and the read API).
type readNode struct {
	node *ledger.Node
	net  *eventtest.Network
	url  string
	dir  string
}

func startReadNode(t *testing.T) *readNode {
	t.Helper()
	views, err := projections.New(projections.Config{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	node, n := ledgertest.Open(t, dir, views)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := views.Attach(ctx, node); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&httpapi.Handler{Node: node}).Routes(mux)
	views.Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &readNode{node: node, net: n, url: srv.URL, dir: dir}
}

// enrol enrols a jurisdiction and writes its key file; it returns the file's path.
func (r *readNode) enrol(t *testing.T, id, name, country, level string) string {
	t.Helper()
	r.net.Enroll(id, name, "", country, level)
	mustSubmit(t, r.node, r.net.Entries[len(r.net.Entries)-1])
	path := filepath.Join(r.dir, id+".key")
	if err := os.WriteFile(path, events.MarshalKeyFile(r.net.Parties[id].Keys[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func example(parts ...string) string {
	return filepath.Join(append([]string{"..", "..", "examples", "import"}, parts...)...)
}

// withRows writes a copy of the example CSV file with extra lines appended.
func withRows(t *testing.T, path string, extra ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(out, []byte(string(b)+strings.Join(extra, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func importCLI(t *testing.T, r *readNode, mapping, party, key string, extra ...string) (int, string, string) {
	t.Helper()
	args := append([]string{"import", "--server", r.url, "--format", "csv", "--map", mapping, "--party", party, "--key", key}, extra...)
	return runCLI(t, args...)
}

// TestImportConnecticut imports the OpenClimate-shaped example files of Connecticut
// into a real node: a dry run first, then the events, then a re-run that finds every
// row already recorded; a bad row stops the whole file (named by row and column)
// unless --skip-invalid; an interrupted import is finished by running it again.
func TestImportConnecticut(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ct", "Connecticut", "US", "state")
	emMap, emCSV := example("connecticut", "emissions.map.json"), example("connecticut", "emissions.csv")
	tgMap, tgCSV := example("connecticut", "targets.map.json"), example("connecticut", "targets.csv")

	size := r.node.Applied()
	code, out, errOut := importCLI(t, r, emMap, "us-ct", key, "--dry-run", emCSV)
	if code != 0 || strings.Count(out, " new\n") != 4 || !strings.Contains(out, "dry run: nothing submitted") || r.node.Applied() != size {
		t.Fatalf("dry run: exit %d, log %d → %d\n%s%s", code, size, r.node.Applied(), out, errOut)
	}
	if !strings.Contains(out, "2018 total 42200000 tCO2e") {
		t.Errorf("dry-run table: want the 2018 total in tCO2e:\n%s", out)
	}

	// A bad row: nothing of the file is submitted, the row and column are named.
	bad := withRows(t, emCSV, `x:US-CT:2021,US-CT,2021,3O.5e6,,x,https://example.org/ct,"quote",boundary`)
	code, out, _ = importCLI(t, r, emMap, "us-ct", key, bad)
	if code != 1 || !strings.Contains(out, `6    inventory.reported`) || !strings.Contains(out, `INVALID: column "total_emissions": "3O.5e6" is not a number`) ||
		!strings.Contains(out, "nothing submitted") || r.node.Applied() != size {
		t.Fatalf("bad row: exit %d, log %d → %d\n%s", code, size, r.node.Applied(), out)
	}
	// A row the body rules refuse, named by its column.
	bad2 := withRows(t, emCSV, `x:US-CT:1980,US-CT,1980,100,,x,ftp://example.org/ct,"quote",boundary`)
	code, out, _ = importCLI(t, r, emMap, "us-ct", key, "--dry-run", bad2)
	if code != 1 || !strings.Contains(out, `column "year":`) || !strings.Contains(out, `column "source_url"`) {
		t.Fatalf("rule violations: exit %d\n%s", code, out)
	}

	// Interrupted: the first two rows only, then the whole file; no duplicates.
	b, _ := os.ReadFile(emCSV)
	lines := strings.SplitAfter(string(b), "\n")
	part := filepath.Join(t.TempDir(), "part.csv")
	os.WriteFile(part, []byte(strings.Join(lines[:3], "")), 0o644)
	if code, out, errOut := importCLI(t, r, emMap, "us-ct", key, part); code != 0 || !strings.Contains(out, "submitted 2 events") {
		t.Fatalf("first part: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = importCLI(t, r, emMap, "us-ct", key, emCSV)
	if code != 0 || strings.Count(out, "already recorded (event") != 2 || !strings.Contains(out, "submitted 2 events") || !strings.Contains(errOut, "[####################] 2/2") {
		t.Fatalf("resumed: exit %d\n%s%s", code, out, errOut)
	}
	if got, want := r.node.Applied(), size+4; got != want {
		t.Errorf("log size: got %d, want %d (4 inventories, no duplicate)", got, want)
	}
	code, out, _ = importCLI(t, r, emMap, "us-ct", key, emCSV)
	if code != 0 || !strings.Contains(out, "0 to submit, 4 already recorded") || !strings.Contains(out, "nothing to submit") {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}

	// --skip-invalid submits the valid rows and leaves the bad one out.
	tgBad := withRows(t, tgCSV, `ghg-2040,US-CT,Absolute emission reduction,2001,2040,,60,tonnes,,false,,https://example.org/ct,bad unit,x,pledge,community,,q`)
	code, out, _ = importCLI(t, r, tgMap, "us-ct", key, tgBad)
	if code != 1 || !strings.Contains(out, `column "target_unit": "tonnes": want percent`) {
		t.Fatalf("targets with a bad unit: exit %d\n%s", code, out)
	}
	code, out, errOut = importCLI(t, r, tgMap, "us-ct", key, "--skip-invalid", tgBad)
	if code != 0 || !strings.Contains(out, "submitted 3 events") {
		t.Fatalf("--skip-invalid: exit %d\n%s%s", code, out, errOut)
	}

	// The imported events are the party's: progress of the 2030 target uses the
	// 2001 base and the 2020 inventory.
	var d projections.PartyDetail
	if err := getJSON(r.url+"/v1/parties/us-ct", &d); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, tv := range d.Targets {
		if tv.TargetID == "ghg-2030" && tv.Progress != nil && tv.Progress.Latest != nil && tv.Progress.Latest.Year == 2020 {
			found = true
		}
	}
	if !found || len(d.Inventories) != 4 {
		t.Errorf("party after import: %d inventories, targets %+v", len(d.Inventories), d.Targets)
	}
}

// TestImportBoston imports a city's own spreadsheet (inventories and targets in one
// sheet, megatonnes, boundaries in words), with a bad row of each kind.
func TestImportBoston(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "usbos", "Boston", "US", "city")
	m, f := example("boston", "boston.map.json"), example("boston", "boston.csv")
	size := r.node.Applied()
	bad := withRows(t, f,
		`inventroy,2018,community,5.9,,,,,,https://example.org/b,q,n`,
		`inventory,2018,community,5.9.1,,,,,,https://example.org/b,q,n`,
		`inventory,2018,citywide,5.9,,,,,,https://example.org/b,q,n`,
		`target,,community,,t-2030,2005,2030,150,pledge,https://example.org/b,q,n`)
	code, out, _ := importCLI(t, r, m, "usbos", key, bad)
	for _, want := range []string{
		`7    ?`, `INVALID: column "Record": "inventroy" is not one of inventory, target`,
		`8    inventory.reported`, `column "Total emissions (MtCO2e)": "5.9.1" is not a number`,
		`column "Boundary": "citywide" is not one of community, government operations`,
		`10   target.set`, `column "Reduction (%)": 150 is outside 0-100`,
		"9 rows: 5 to submit, 0 already recorded or skipped, 4 invalid", "nothing submitted",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bad rows: want %q in\n%s", want, out)
		}
	}
	if code != 1 || r.node.Applied() != size {
		t.Fatalf("bad rows: exit %d, log %d → %d", code, size, r.node.Applied())
	}
	code, out, errOut := importCLI(t, r, m, "usbos", key, f)
	if code != 0 || !strings.Contains(out, "submitted 5 events to usbos") || !strings.Contains(out, "132000 tCO2e (government_operations)") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = importCLI(t, r, m, "usbos", key, f)
	if code != 0 || !strings.Contains(out, "0 to submit, 5 already recorded") {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}
	// Both 2017 inventories are current: one per boundary.
	var d projections.PartyDetail
	if err := getJSON(r.url+"/v1/parties/usbos", &d); err != nil {
		t.Fatal(err)
	}
	for _, y := range d.Inventories {
		if y.Year == 2017 && (len(y.Reports) != 2 || !y.Reports[0].Current || !y.Reports[1].Current) {
			t.Errorf("2017: %+v", y.Reports)
		}
	}
	// A key of another party is refused before anything is read or submitted.
	other := r.enrol(t, "us-ct", "Connecticut", "US", "state")
	if code, _, errOut := importCLI(t, r, m, "usbos", other, f); code != 1 || !strings.Contains(errOut, "is not an active key of usbos") {
		t.Errorf("another party's key: exit %d\n%s", code, errOut)
	}
}

// TestImportExamplesMatchDemo: the example files hold the demo's own events for
// Connecticut and Boston, so against a demo log every row is already recorded.
func TestImportExamplesMatchDemo(t *testing.T) {
	r := startReadNode(t)
	keyDir := filepath.Join(r.dir, demo.KeyDirName)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Seed(ctx, r.node, demo.Config{KeyDir: keyDir}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ party, mapping, file string }{
		{"us-ct", example("connecticut", "emissions.map.json"), example("connecticut", "emissions.csv")},
		{"us-ct", example("connecticut", "targets.map.json"), example("connecticut", "targets.csv")},
		{"usbos", example("boston", "boston.map.json"), example("boston", "boston.csv")},
	} {
		code, out, errOut := importCLI(t, r, c.mapping, c.party, demo.KeyPath(keyDir, c.party), "--dry-run", c.file)
		if code != 0 || strings.Contains(out, " new") || !strings.Contains(out, " 0 to submit") {
			t.Errorf("%s: exit %d\n%s%s", c.file, code, out, errOut)
		}
	}
}

func TestScaleDecimal(t *testing.T) {
	for _, c := range []struct {
		cell string
		exp  int
		want string
	}{
		{"8.86", 6, "8860000"}, {"0.132", 6, "132000"}, {"51,400,000", 0, "51400000"}, {"694.48", 3, "694480"},
		{"1.2345", 3, "1234.5"}, {"-0.5", 0, "-0.5"}, {"007", 0, "7"}, {".5", 6, "500000"}, {"-0", 0, "0"},
		{"1.23456", 0, ""}, {"1e6", 0, ""}, {"", 0, ""}, {"abc", 0, ""}, {"1.2.3", 0, ""},
	} {
		got, err := scaleDecimal(c.cell, c.exp)
		if (err != nil) != (c.want == "") || got != c.want {
			t.Errorf("scaleDecimal(%q, %d) = %q, %v; want %q", c.cell, c.exp, got, err, c.want)
		}
	}
}

func TestParseMappingReportsEveryProblem(t *testing.T) {
	_, err := parseMapping([]byte(`{"type":"inventory.reported","bodies":{"inventory.reported":{
		"year":{"column":"y","const":2020},"total_tco2e":{"column":"t","unit":"GtCO2e"},"nope":{"column":"n"},
		"lines":[{"gpc_ref":"I.9.9","gas":"CO2","column":"c"}]},"plan.published":{}}}`))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"year: give exactly one of column and const", `unit "GtCO2e"`, `no field "nope"`, `"I.9.9" is not a GPC reference number`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %v", want, err)
		}
	}
}

// getJSON reads a JSON answer (receipts come after the views applied the event, so
// the read API already shows it).
func getJSON(url string, v any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// TestImportLines: GPC sub-sector columns become inventory lines (a figure, or a
// notation key with an explanation naming the column); the total must match them,
// and a bad cell or a total that does not add up is named by its column.
func TestImportLines(t *testing.T) {
	m, err := parseMapping([]byte(`{"type":"inventory.reported","bodies":{"inventory.reported":{
		"year":{"column":"Year"},"total_tco2e":{"column":"Total","unit":"ktCO2e"},
		"framework":{"const":"GPC"},"level":{"const":"BASIC"},"gwp":{"const":"AR5"},
		"lines":[{"gpc_ref":"I.1.1","gas":"CO2e","column":"Residential (scope 1)","unit":"ktCO2e"},
		         {"gpc_ref":"I.1.2","gas":"CO2e","column":"Residential (scope 2)","unit":"ktCO2e","quality":"M"},
		         {"gpc_ref":"III.1.1","gas":"CH4","column":"Landfill","unit":"ktCO2e"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := m.readImport(strings.NewReader("Year,Total,Residential (scope 1),Residential (scope 2),Landfill\n"+
		"2019,1.5,1.25,0.25,NE\n"+
		"2020,2,1.25,x,\n"+
		"2021,9,1.25,0.25,\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	b, ok := rows[0].Body.(*events.InventoryBody)
	if !ok || len(b.Lines) != 3 || b.Lines[2].Notation != "NE" || !strings.Contains(b.Lines[2].Explanation, `"Landfill"`) ||
		b.TotalTCO2e.String() != "1500" || b.Lines[1].Quality != "M" {
		t.Errorf("row 2: %+v, problems %v", rows[0].Body, rows[0].Problems)
	}
	if p := rows[1].Problems; len(p) != 1 || p[0].Column != "Residential (scope 2)" {
		t.Errorf("row 3: want the bad cell's column, got %v", p)
	}
	if p := rows[2].Problems; len(p) != 1 || p[0].Column != "Total" || !strings.Contains(p[0].Message, "does not match the sum of lines 1500") {
		t.Errorf("row 4: want the total's column, got %v", p)
	}
}
