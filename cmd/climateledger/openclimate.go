package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/projections"
)

func init() {
	register("export-openclimate", "write the read models as OpenClimate CSV files (actors, emissions, targets), each row with its event id and log index", cmdExportOpenClimate)
}

// The OpenClimate export writes what the read API serves in the shapes of the
// OpenClimate schema (Open Earth Foundation, schema 1.0: tables Actor, EmissionsAgg,
// Target, DataSource), one CSV file per table with the schema's columns first, then
// columns of ours that trace every row to its signed event:
//
//	actors.csv       actor_id, type, name, is_part_of, datasource_id,
//	                 climateledger_party, name_zh, country, level, endorser, declaration_group, event_id, log_index
//	emissions.csv    emissions_id, actor_id, year, total_emissions, methodology_id, datasource_id,
//	                 climateledger_party, boundary_type, event_id, log_index, source_url
//	targets.csv      target_id, actor_id, target_type, baseline_year, target_year, baseline_value, target_value,
//	                 target_unit, bau_value, is_net_zero, percent_achieved, URL, summary, datasource_id,
//	                 climateledger_party, boundary_type, qualifier, legal_status, progress_status, progress_reason,
//	                 event_id, log_index
//	datasource.csv   datasource_id, name, publisher, published, URL, checkpoint_size, state_index, state_digest
//	checkpoint       the log's signed checkpoint when the export was read
//
// emissions.csv holds each jurisdiction's current community-wide inventory of each
// year (OpenClimate's EmissionsAgg is an actor's total); government_operations
// inventories are not totals and are left out. targets.csv holds the active targets'
// current revisions. Figures are written exactly (tCO2e, at most three decimals), so a
// total with a fraction is not an integer as the schema's bigint would have it.
//
// Given an event id and log index from any row, `climateledger prove --server URL
// EVENT_ID` fetches the event's inclusion proof, and `verify-proof` checks it offline
// against the log's key.

var isoParty = regexp.MustCompile(`^[a-z]{2}-[a-z0-9]{1,3}$`)

// actorID is the OpenClimate actor id of a party: its ISO 3166-2 code, else its
// UN/LOCODE ("US LAX"), else "climateledger:<party>".
func actorID(p projections.PartyRow) string {
	switch {
	case p.Codes != nil && p.Codes.ISO3166_2 != "":
		return p.Codes.ISO3166_2
	case p.Codes != nil && p.Codes.UNLOCODE != "":
		u := p.Codes.UNLOCODE
		if !strings.Contains(u, " ") {
			u = u[:2] + " " + u[2:]
		}
		return u
	}
	return "climateledger:" + p.ID
}

// partOf is the OpenClimate actor a party is part of: its parent (by the parent's
// codes when it is enrolled, by its ISO 3166-2-shaped id otherwise), else its country.
func partOf(p projections.PartyRow, parties map[string]projections.PartyRow) string {
	if p.Parent != "" {
		if pp, ok := parties[p.Parent]; ok {
			return actorID(pp)
		}
		if isoParty.MatchString(p.Parent) {
			return strings.ToUpper(p.Parent)
		}
		return "climateledger:" + p.Parent
	}
	return p.Country
}

var actorTypes = map[string]string{"state": "adm1", "province": "adm1", "municipality": "adm1", "city": "city", "county": "adm2", "region": "adm1"}

var openClimateTargetTypes = map[string]string{
	events.TargetBaseYearAbsolute:  "Absolute emission reduction",
	events.TargetFixedLevel:        "Fixed level",
	events.TargetBaseYearIntensity: "Intensity reduction",
	events.TargetBaselineScenario:  "Baseline scenario",
	events.TargetTrajectory:        "Trajectory",
	events.TargetPeak:              "Peak",
	events.TargetNetZero:           "Net zero",
}

func dec(d *events.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func intOrEmpty(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func cmdExportOpenClimate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export-openclimate", "--server URL --out DIR")
	server := fs.String("server", "", "the server whose read API to export")
	out := fs.String("out", "", "directory for actors.csv, emissions.csv, targets.csv, datasource.csv and checkpoint (created if missing; files are replaced)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if err := required(fs, "server", "out"); err != nil {
		return err
	}
	c, err := client.New(*server)
	if err != nil {
		return err
	}
	checkpoint, err := getText(ctx, *server, "/v1/checkpoint?latest=1")
	if err != nil {
		return err
	}
	origin, size, _ := strings.Cut(checkpoint, "\n")
	size, _, _ = strings.Cut(size, "\n")
	var state projections.State
	if err := c.Get(ctx, "/v1/state", &state); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	var list projections.PartyList
	if err := c.Get(ctx, "/v1/parties?kind=jurisdiction", &list); err != nil {
		return fmt.Errorf("parties: %w", err)
	}
	details := make([]*projections.PartyDetail, 0, len(list.Parties))
	parties := map[string]projections.PartyRow{}
	for _, it := range list.Parties {
		var d projections.PartyDetail
		if err := c.Get(ctx, "/v1/parties/"+url.PathEscape(it.ID), &d); err != nil {
			return fmt.Errorf("party %s: %w", it.ID, err)
		}
		details = append(details, &d)
		parties[it.ID] = d.Party
	}
	ds := "climateledger:" + origin

	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var nActors, nEmissions, nTargets int
	err = writeCSV(filepath.Join(*out, "actors.csv"), []string{"actor_id", "type", "name", "is_part_of", "datasource_id",
		"climateledger_party", "name_zh", "country", "level", "endorser", "declaration_group", "event_id", "log_index"}, func(w *csv.Writer) error {
		for _, d := range details {
			p := d.Party
			endorser, group := "", ""
			if d.Declaration != nil {
				endorser, group = strconv.FormatBool(d.Declaration.Endorser), d.Declaration.Group
			}
			nActors++
			if err := w.Write([]string{actorID(p), actorTypes[p.Level], p.Names["en"], partOf(p, parties), ds,
				p.ID, p.Names["zh"], p.Country, p.Level, endorser, group, p.Enrolled.EventID, strconv.FormatUint(p.Enrolled.Index, 10)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = writeCSV(filepath.Join(*out, "emissions.csv"), []string{"emissions_id", "actor_id", "year", "total_emissions", "methodology_id", "datasource_id",
		"climateledger_party", "boundary_type", "event_id", "log_index", "source_url"}, func(w *csv.Writer) error {
		for _, d := range details {
			aid := actorID(d.Party)
			for _, y := range d.Inventories {
				for _, r := range y.Reports {
					if !r.Current || events.EffectiveBoundary(r.BoundaryType) != events.BoundaryCommunity {
						continue
					}
					src := ""
					if r.Source != nil {
						src = r.Source.URL
					}
					nEmissions++
					if err := w.Write([]string{fmt.Sprintf("%s:%s:%d", ds, aid, r.Year), aid, strconv.Itoa(r.Year), r.TotalTCO2e.String(),
						fmt.Sprintf("climateledger:%s:%s:%s", r.Framework, r.Level, r.GWP), ds,
						d.Party.ID, events.BoundaryCommunity, r.Event.EventID, strconv.FormatUint(r.Event.Index, 10), src}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = writeCSV(filepath.Join(*out, "targets.csv"), []string{"target_id", "actor_id", "target_type", "baseline_year", "target_year", "baseline_value",
		"target_value", "target_unit", "bau_value", "is_net_zero", "percent_achieved", "URL", "summary", "datasource_id",
		"climateledger_party", "boundary_type", "qualifier", "legal_status", "progress_status", "progress_reason", "event_id", "log_index"}, func(w *csv.Writer) error {
		for _, d := range details {
			aid := actorID(d.Party)
			for _, tv := range d.Targets {
				if tv.State != "active" || tv.Current == nil || tv.Current.Set == nil {
					continue
				}
				b := tv.Current.Set
				value, unit := "", ""
				switch {
				case b.ReductionPct != nil:
					value, unit = dec(b.ReductionPct), "percent"
				case b.TargetEmissionsTCO2e != nil:
					value, unit = dec(b.TargetEmissionsTCO2e), "tCO2e"
				case b.Type == events.TargetNetZero:
					value, unit = "0", "tCO2e"
				}
				targetYear := intOrEmpty(b.TargetYear)
				if targetYear == "" {
					if y := projections.EndYear(b); y != 0 {
						targetYear = strconv.Itoa(y)
					}
				}
				achieved, status, reason := "", "", ""
				if p := tv.Progress; p != nil {
					status, reason = p.Status, p.Reason
					if p.AchievedPct != nil {
						achieved = p.AchievedPct.Value.String()
					}
				}
				url := ""
				if b.Source != nil {
					url = b.Source.URL
				}
				nTargets++
				if err := w.Write([]string{ds + ":" + aid + ":" + b.TargetID, aid, openClimateTargetTypes[b.Type], intOrEmpty(b.BaseYear), targetYear,
					dec(b.BaseEmissionsTCO2e), value, unit, dec(b.BaselineEmissionsTCO2e), strconv.FormatBool(b.Type == events.TargetNetZero), achieved,
					url, b.Description, ds, d.Party.ID, events.EffectiveBoundary(b.BoundaryType), b.Qualifier, b.LegalStatus, status, reason,
					tv.Current.Event.EventID, strconv.FormatUint(tv.Current.Event.Index, 10)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = writeCSV(filepath.Join(*out, "datasource.csv"), []string{"datasource_id", "name", "publisher", "published", "URL",
		"checkpoint_size", "state_index", "state_digest"}, func(w *csv.Writer) error {
		return w.Write([]string{ds, "climateledger log " + origin, origin, "", strings.TrimRight(*server, "/"), size,
			strconv.FormatUint(state.Index, 10), state.Digest})
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "checkpoint"), []byte(checkpoint), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d actors, %d emissions rows, %d targets (log %s, checkpoint size %s); trace a row with: climateledger prove --server %s EVENT_ID\n",
		*out, nActors, nEmissions, nTargets, origin, size, *server)
	return nil
}

// writeCSV writes a CSV file through a temporary file, so that a failed export leaves
// the previous file.
func writeCSV(path string, header []string, rows func(*csv.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	err = w.Write(header)
	if err == nil {
		err = rows(w)
	}
	if w.Flush(); err == nil {
		err = w.Error()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// getText fetches a text answer.
func getText(ctx context.Context, server, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(server, "/")+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %s", path, resp.Status, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}
