package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger/httpapi"
)

func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

// TestExportOpenClimate exports a node that holds Boston's imported spreadsheet and
// traces every emissions and target row back to its signed event: the event id gives
// the event, its receipt has the row's log index, and its body has the row's figures.
// The government_operations inventory is not an emissions total and is left out.
func TestExportOpenClimate(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "usbos", "Boston", "US", "city")
	if code, out, errOut := importCLI(t, r, example("boston", "boston.map.json"), "usbos", key, example("boston", "boston.csv")); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, errOut)
	}
	dir := filepath.Join(t.TempDir(), "oc")
	code, out, errOut := runCLI(t, "export-openclimate", "--server", r.url, "--out", dir)
	if code != 0 || !strings.Contains(out, "1 actors, 2 emissions rows, 2 targets") {
		t.Fatalf("export: exit %d\n%s%s", code, out, errOut)
	}
	actors := readCSV(t, filepath.Join(dir, "actors.csv"))
	if len(actors) != 1 || actors[0]["climateledger_party"] != "usbos" || actors[0]["type"] != "city" || actors[0]["endorser"] != "false" || actors[0]["declaration_group"] != "not_endorser" {
		t.Errorf("actors: %v", actors)
	}
	trace := func(row map[string]string) map[string]any {
		t.Helper()
		var er httpapi.EventResponse
		if err := getJSON(r.url+"/v1/events/"+row["event_id"], &er); err != nil {
			t.Fatalf("event %s: %v", row["event_id"], err)
		}
		if strconv.FormatUint(er.Receipt.Index, 10) != row["log_index"] {
			t.Errorf("event %s: index %d, row says %s", row["event_id"], er.Receipt.Index, row["log_index"])
		}
		var p struct {
			Party string         `json:"party"`
			Body  map[string]any `json:"body"`
		}
		if err := json.Unmarshal(er.Payload, &p); err != nil || p.Party != row["climateledger_party"] {
			t.Fatalf("event %s: party %q, err %v", row["event_id"], p.Party, err)
		}
		return p.Body
	}
	em := readCSV(t, filepath.Join(dir, "emissions.csv"))
	if len(em) != 2 {
		t.Fatalf("emissions rows: %v", em)
	}
	for _, row := range em {
		b := trace(row)
		if strconv.FormatFloat(b["year"].(float64), 'f', -1, 64) != row["year"] || strconv.FormatFloat(b["total_tco2e"].(float64), 'f', -1, 64) != row["total_emissions"] ||
			row["actor_id"] != "climateledger:usbos" || (b["boundary_type"] != nil && b["boundary_type"] != "community") {
			t.Errorf("emissions row %v does not match its event %v", row, b)
		}
	}
	tg := readCSV(t, filepath.Join(dir, "targets.csv"))
	if len(tg) != 2 {
		t.Fatalf("target rows: %v", tg)
	}
	for _, row := range tg {
		b := trace(row)
		if !strings.HasSuffix(row["target_id"], ":"+b["target_id"].(string)) || row["target_type"] != "Absolute emission reduction" ||
			row["target_unit"] != "percent" || strconv.FormatFloat(b["reduction_pct"].(float64), 'f', -1, 64) != row["target_value"] {
			t.Errorf("target row %v does not match its event %v", row, b)
		}
		if row["progress_status"] == "" {
			t.Errorf("target row %v: no progress status", row)
		}
	}
	ds := readCSV(t, filepath.Join(dir, "datasource.csv"))
	cp, _ := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if len(ds) != 1 || !strings.HasPrefix(string(cp), "climateledger.local/log\n"+ds[0]["checkpoint_size"]+"\n") {
		t.Errorf("datasource %v, checkpoint %q", ds, cp)
	}
}
