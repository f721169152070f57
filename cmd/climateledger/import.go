package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/projections"
)

func init() {
	register("import", "turn the rows of a CSV file into signed events of one party (dry-run table, then submit; resumable)", cmdImport)
}

// The import command reads a spreadsheet exported as CSV (one event per row), builds
// each row's event body with a mapping file, checks every body with the same rules as
// the gate (events.DecodeBody), and prints a table of what it would submit, what is
// already in the party's chain, and what is invalid, by row and column. Then, unless
// --dry-run, it submits the new events through the node's write API in row order.
//
// A mapping file is JSON:
//
//	{"description": "…",
//	 "type": "inventory.reported",                 (every row is one type), or
//	 "type_column": "Record", "types": {"inventory": "inventory.reported", "target": "target.set"},
//	 "actor_column": "actor_id",                   (optional; --actor keeps the rows of one actor)
//	 "require": {"target_unit": ["percent"]},      (optional; a cell outside the list is invalid)
//	 "bodies": {"inventory.reported": {
//	     "year": {"column": "year"},
//	     "total_tco2e": {"column": "total_emissions", "unit": "MtCO2e"},
//	     "framework": {"const": "IPCC2006"},
//	     "boundary_type": {"column": "Boundary", "values": {"community": "community", "operations": "government_operations"}},
//	     "source.url": {"column": "URL"},
//	     "lines": [{"gpc_ref": "I.1.1", "gas": "CO2e", "column": "Residential scope 1", "unit": "tCO2e"}]
//	 }}}
//
// A body path names a field of the event type's body (SPEC §6) with dots for nested
// objects ("source.quote", "coverage.gases"); a field takes one column or a constant.
// An empty cell leaves its field out. "unit" scales an emission figure to tCO2e
// (tCO2e, ktCO2e, MtCO2e) exactly; "values" maps cell texts to values; "split" splits a
// cell into a list. "lines" (inventories only) turns columns into GPC lines: a figure
// becomes tco2e, a notation key (NO, IE, NE, C) a notation line whose explanation names
// the column.
//
// Resuming: a row is already recorded when the party's chain holds an event of the
// same type with the same body that was not retracted; a re-run submits only the rest,
// so an interrupted import is finished by running it again.

// Units of emission figures in a mapping, as powers of ten of a tonne.
var importUnits = map[string]int{"tCO2e": 0, "t": 0, "ktCO2e": 3, "kt": 3, "MtCO2e": 6, "Mt": 6}

// importTypes are the event types import builds, with their body types.
var importTypes = map[string]reflect.Type{
	events.TypeTargetSet:         reflect.TypeFor[events.TargetSetBody](),
	events.TypeInventoryReported: reflect.TypeFor[events.InventoryBody](),
	events.TypePlanPublished:     reflect.TypeFor[events.PlanBody](),
	events.TypeEndorsement:       reflect.TypeFor[events.EndorsementBody](),
}

// importMapping is a mapping file.
type importMapping struct {
	Description string                                `json:"description"`
	Type        string                                `json:"type"`
	TypeColumn  string                                `json:"type_column"`
	Types       map[string]string                     `json:"types"`
	ActorColumn string                                `json:"actor_column"`
	Require     map[string][]string                   `json:"require"`
	Bodies      map[string]map[string]json.RawMessage `json:"bodies"`

	fields map[string][]importField // event type → fields, in path order
	lines  map[string][]importLine  // event type → GPC line columns
}

// importField is one body field of a mapping.
type importField struct {
	Path   string            `json:"-"`
	Column string            `json:"column"`
	Const  json.RawMessage   `json:"const"`
	Unit   string            `json:"unit"`
	Values map[string]string `json:"values"`
	Split  string            `json:"split"`
	kind   fieldKind
}

// importLine is a column that holds one GPC line of an inventory.
type importLine struct {
	GPCRef  string `json:"gpc_ref"`
	Gas     string `json:"gas"`
	Column  string `json:"column"`
	Unit    string `json:"unit"`
	Quality string `json:"quality"`
}

type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindDecimal
	kindBool
	kindStrings
	kindInts
)

var typeDecimal = reflect.TypeFor[events.Decimal]()

// fieldKindOf resolves a dotted body path against a body type's JSON fields.
func fieldKindOf(t reflect.Type, path string) (fieldKind, error) {
	for _, seg := range strings.Split(path, ".") {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return 0, fmt.Errorf("%s: %s is not an object", path, seg)
		}
		found := false
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == seg {
				t, found = f.Type, true
				break
			}
		}
		if !found {
			return 0, fmt.Errorf("%s: no field %q", path, seg)
		}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == typeDecimal:
		return kindDecimal, nil
	case t.Kind() == reflect.String:
		return kindString, nil
	case t.Kind() == reflect.Int:
		return kindInt, nil
	case t.Kind() == reflect.Bool:
		return kindBool, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return kindStrings, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int:
		return kindInts, nil
	}
	return 0, fmt.Errorf("%s: a %s field cannot be read from a cell", path, t.Kind())
}

// parseMapping reads and checks a mapping file; every problem is reported at once.
func parseMapping(b []byte) (*importMapping, error) {
	var m importMapping
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch {
	case m.Type != "" && m.TypeColumn != "":
		bad("give either type or type_column, not both")
	case m.Type == "" && m.TypeColumn == "":
		bad("type or type_column is required")
	case m.TypeColumn != "" && len(m.Types) == 0:
		bad("type_column needs types (cell value → event type)")
	}
	want := map[string]bool{}
	if m.Type != "" {
		want[m.Type] = true
	}
	for _, t := range m.Types {
		want[t] = true
	}
	for t := range want {
		if importTypes[t] == nil {
			bad("event type %q: import builds %s", t, strings.Join(slices.Sorted(maps.Keys(importTypes)), ", "))
		} else if m.Bodies[t] == nil {
			bad("bodies: no mapping for %s", t)
		}
	}
	m.fields, m.lines = map[string][]importField{}, map[string][]importLine{}
	for _, t := range slices.Sorted(maps.Keys(m.Bodies)) {
		bt := importTypes[t]
		if bt == nil {
			bad("bodies: %q is not an event type import builds", t)
			continue
		}
		for _, path := range slices.Sorted(maps.Keys(m.Bodies[t])) {
			raw := m.Bodies[t][path]
			if path == "lines" {
				if t != events.TypeInventoryReported {
					bad("bodies.%s.lines: only inventories have lines", t)
					continue
				}
				var ls []importLine
				d := json.NewDecoder(bytes.NewReader(raw))
				d.DisallowUnknownFields()
				if err := d.Decode(&ls); err != nil {
					bad("bodies.%s.lines: %v", t, err)
					continue
				}
				for i, l := range ls {
					if _, ok := events.GPCScope(l.GPCRef); !ok {
						bad("bodies.%s.lines[%d]: %q is not a GPC reference number", t, i, l.GPCRef)
					}
					if _, ok := importUnits[l.Unit]; l.Unit != "" && !ok {
						bad("bodies.%s.lines[%d]: unit %q: want tCO2e, ktCO2e or MtCO2e", t, i, l.Unit)
					}
					if l.Column == "" || l.Gas == "" {
						bad("bodies.%s.lines[%d]: column and gas are required", t, i)
					}
				}
				m.lines[t] = ls
				continue
			}
			var f importField
			d := json.NewDecoder(bytes.NewReader(raw))
			d.DisallowUnknownFields()
			if err := d.Decode(&f); err != nil {
				bad("bodies.%s.%s: %v", t, path, err)
				continue
			}
			f.Path = path
			kind, err := fieldKindOf(bt, path)
			if err != nil {
				bad("bodies.%s.%v", t, err)
				continue
			}
			f.kind = kind
			if (f.Column == "") == (f.Const == nil) {
				bad("bodies.%s.%s: give exactly one of column and const", t, path)
			}
			if _, ok := importUnits[f.Unit]; f.Unit != "" && (!ok || kind != kindDecimal) {
				bad("bodies.%s.%s: unit %q: only for emission figures, tCO2e, ktCO2e or MtCO2e", t, path, f.Unit)
			}
			if f.Split != "" && kind != kindStrings && kind != kindInts {
				bad("bodies.%s.%s: split is only for lists", t, path)
			}
			m.fields[t] = append(m.fields[t], f)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	return &m, nil
}

// columns lists every column a mapping reads.
func (m *importMapping) columns() []string {
	var cols []string
	add := func(c string) {
		if c != "" && !slices.Contains(cols, c) {
			cols = append(cols, c)
		}
	}
	add(m.TypeColumn)
	add(m.ActorColumn)
	for _, c := range slices.Sorted(maps.Keys(m.Require)) {
		add(c)
	}
	for _, t := range slices.Sorted(maps.Keys(m.fields)) {
		for _, f := range m.fields[t] {
			add(f.Column)
		}
		for _, l := range m.lines[t] {
			add(l.Column)
		}
	}
	return cols
}

// cellProblem is an invalid row's problem: its column (or body path when no column
// holds the field) and what is wrong.
type cellProblem struct {
	Column, Field, Message string
}

func (p cellProblem) String() string {
	if p.Column != "" {
		return fmt.Sprintf("column %q: %s", p.Column, p.Message)
	}
	return fmt.Sprintf("field %s: %s", p.Field, p.Message)
}

// importRow is one data row of the CSV file and what it becomes.
type importRow struct {
	Line     int // the row number in the file (the header is row 1)
	Actor    string
	Type     string
	Body     events.Body
	Problems []cellProblem
	// Skip says why a valid row is not submitted ("" when it is new).
	Skip string
	// Revises names the target this row revises, or the plan version it follows.
	Revises string
}

func (r *importRow) what() string {
	switch b := r.Body.(type) {
	case *events.InventoryBody:
		s := fmt.Sprintf("%d total %s tCO2e", b.Year, b.TotalTCO2e)
		if events.EffectiveBoundary(b.BoundaryType) != events.BoundaryCommunity {
			s += " (" + b.BoundaryType + ")"
		}
		return s
	case *events.TargetSetBody:
		s := b.TargetID + " " + b.Type
		if y := projections.EndYear(b); y != 0 {
			s += " " + strconv.Itoa(y)
		}
		if events.EffectiveBoundary(b.BoundaryType) != events.BoundaryCommunity {
			s += " (" + b.BoundaryType + ")"
		}
		return s
	case *events.PlanBody:
		return fmt.Sprintf("%s v%d %s", b.PlanID, b.Version, b.Adopted)
	case *events.EndorsementBody:
		return b.Summit + " " + b.Date
	}
	return ""
}

var decimalCell = regexp.MustCompile(`^(-?)([0-9]*)(?:\.([0-9]+))?$`)

// scaleDecimal reads a decimal cell ("8.86", "51,400,000") and multiplies it by
// 10^exp exactly, returning the shortest decimal text.
func scaleDecimal(cell string, exp int) (string, error) {
	s := strings.NewReplacer(",", "", "_", "", " ", "", "\u00a0", "").Replace(cell)
	m := decimalCell.FindStringSubmatch(s)
	if m == nil || m[2]+m[3] == "" {
		return "", fmt.Errorf("%q is not a number", cell)
	}
	digits, frac := m[2]+m[3], len(m[3])
	frac -= exp
	for frac < 0 {
		digits += "0"
		frac++
	}
	intPart, fracPart := digits[:len(digits)-frac], strings.TrimRight(digits[len(digits)-frac:], "0")
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	if len(fracPart) > 3 {
		return "", fmt.Errorf("%q has more than 3 decimal places in tCO2e", cell)
	}
	out := m[1] + intPart
	if fracPart != "" {
		out += "." + fracPart
	}
	if out == "-0" {
		out = "0"
	}
	if _, err := events.ParseDecimal(out); err != nil {
		return "", fmt.Errorf("%q: %v", cell, err)
	}
	return out, nil
}

// cellValue converts one cell to the JSON value of a field.
func cellValue(f importField, cell string) (any, error) {
	if v, ok := f.Values[cell]; ok {
		cell = v
	} else if len(f.Values) > 0 {
		return nil, fmt.Errorf("%q is not one of %s", cell, strings.Join(slices.Sorted(maps.Keys(f.Values)), ", "))
	}
	switch f.kind {
	case kindString:
		return cell, nil
	case kindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(cell), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", cell)
		}
		return json.Number(strconv.FormatInt(n, 10)), nil
	case kindDecimal:
		v, err := scaleDecimal(cell, importUnits[f.Unit])
		if err != nil {
			return nil, err
		}
		return json.Number(v), nil
	case kindBool:
		switch strings.ToLower(strings.TrimSpace(cell)) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not yes or no", cell)
	case kindStrings, kindInts:
		sep := f.Split
		if sep == "" {
			sep = ";"
		}
		var out []any
		for _, part := range strings.Split(cell, sep) {
			part = strings.TrimSpace(part)
			if f.kind == kindStrings {
				out = append(out, part)
				continue
			}
			n, err := strconv.Atoi(part)
			if err != nil {
				return nil, fmt.Errorf("%q is not a list of whole numbers", cell)
			}
			out = append(out, n)
		}
		return out, nil
	}
	return nil, errors.New("unsupported field")
}

// setPath sets obj[a][b]… = v for the dotted path.
func setPath(obj map[string]any, path string, v any) {
	segs := strings.Split(path, ".")
	for _, s := range segs[:len(segs)-1] {
		next, ok := obj[s].(map[string]any)
		if !ok {
			next = map[string]any{}
			obj[s] = next
		}
		obj = next
	}
	obj[segs[len(segs)-1]] = v
}

var lineIndex = regexp.MustCompile(`^body\.lines\[(\d+)\]`)

// buildRow turns one CSV record into an event body, or lists its problems.
func (m *importMapping) buildRow(line int, col map[string]int, rec []string) *importRow {
	r := &importRow{Line: line}
	cell := func(c string) string { return strings.TrimSpace(rec[col[c]]) }
	if m.ActorColumn != "" {
		r.Actor = cell(m.ActorColumn)
	}
	for _, c := range slices.Sorted(maps.Keys(m.Require)) {
		if v := cell(c); !slices.Contains(m.Require[c], v) {
			r.Problems = append(r.Problems, cellProblem{Column: c, Message: fmt.Sprintf("%q: want %s", v, strings.Join(m.Require[c], " or "))})
		}
	}
	r.Type = m.Type
	if m.TypeColumn != "" {
		v := cell(m.TypeColumn)
		if r.Type = m.Types[v]; r.Type == "" {
			r.Problems = append(r.Problems, cellProblem{Column: m.TypeColumn, Message: fmt.Sprintf("%q is not one of %s", v, strings.Join(slices.Sorted(maps.Keys(m.Types)), ", "))})
			return r
		}
	}
	obj := map[string]any{}
	column := map[string]string{} // body path → column, for problems
	for _, f := range m.fields[r.Type] {
		if f.Const != nil {
			var v any
			d := json.NewDecoder(bytes.NewReader(f.Const))
			d.UseNumber()
			if err := d.Decode(&v); err != nil {
				r.Problems = append(r.Problems, cellProblem{Field: f.Path, Message: "const: " + err.Error()})
				continue
			}
			setPath(obj, f.Path, v)
			continue
		}
		column["body."+f.Path] = f.Column
		c := cell(f.Column)
		if c == "" {
			continue // absent
		}
		v, err := cellValue(f, c)
		if err != nil {
			r.Problems = append(r.Problems, cellProblem{Column: f.Column, Message: err.Error()})
			continue
		}
		setPath(obj, f.Path, v)
	}
	var lineCols []string
	var lines []any
	for _, l := range m.lines[r.Type] {
		c := cell(l.Column)
		if c == "" {
			continue
		}
		scope, _ := events.GPCScope(l.GPCRef)
		ln := map[string]any{"gpc_ref": l.GPCRef, "scope": scope, "gas": l.Gas}
		if slices.Contains(events.NotationKeys(), c) {
			ln["notation"] = c
			ln["explanation"] = fmt.Sprintf("%s, as reported in the column %q of the imported file", c, l.Column)
		} else {
			v, err := scaleDecimal(c, importUnits[l.Unit])
			if err != nil {
				r.Problems = append(r.Problems, cellProblem{Column: l.Column, Message: err.Error()})
				continue
			}
			ln["tco2e"] = json.Number(v)
		}
		if l.Quality != "" {
			ln["quality"] = l.Quality
		}
		lines = append(lines, ln)
		lineCols = append(lineCols, l.Column)
	}
	if len(lines) > 0 {
		obj["lines"] = lines
	}
	if len(r.Problems) > 0 {
		return r
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		r.Problems = append(r.Problems, cellProblem{Field: "body", Message: err.Error()})
		return r
	}
	body, err := events.DecodeBody(r.Type, raw)
	var ve *events.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, fe := range ve.Fields {
			p := cellProblem{Field: strings.TrimPrefix(fe.Path, "body."), Message: fe.Message}
			if c, ok := column[fe.Path]; ok {
				p.Column = c
			} else if mm := lineIndex.FindStringSubmatch(fe.Path); mm != nil {
				if i, _ := strconv.Atoi(mm[1]); i < len(lineCols) {
					p.Column = lineCols[i]
				}
			} else {
				// A nested field: the column of its closest mapped parent or child.
				for path, c := range column {
					if strings.HasPrefix(path, fe.Path+".") || strings.HasPrefix(fe.Path, path+".") {
						p.Column = c
						break
					}
				}
			}
			r.Problems = append(r.Problems, p)
		}
	case err != nil:
		r.Problems = append(r.Problems, cellProblem{Field: "body", Message: err.Error()})
	default:
		r.Body = body
	}
	return r
}

// readImport reads the CSV file and builds every row. It fails only when the file or
// its header cannot be read; row problems are in the rows.
func (m *importMapping) readImport(r io.Reader, actor string) ([]*importRow, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) // a spreadsheet's byte order mark
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("header: column %q appears twice", h)
		}
		col[h] = i
	}
	var missing []string
	for _, c := range m.columns() {
		if _, ok := col[c]; !ok {
			missing = append(missing, strconv.Quote(c))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header: the mapping reads columns the file does not have: %s", strings.Join(missing, ", "))
	}
	var rows []*importRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", line, err)
		}
		if len(rec) != len(header) {
			rows = append(rows, &importRow{Line: line, Problems: []cellProblem{{Field: "row", Message: fmt.Sprintf("has %d cells, the header %d", len(rec), len(header))}}})
			continue
		}
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue // an empty line
		}
		for i, c := range rec {
			if !utf8.ValidString(c) {
				return nil, fmt.Errorf("row %d, column %q: not UTF-8 (save the file as UTF-8 CSV)", line, header[i])
			}
		}
		row := m.buildRow(line, col, rec)
		if actor != "" && row.Actor != actor {
			row.Problems, row.Body, row.Skip = nil, nil, "another actor ("+row.Actor+")"
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// existing is what the party's chain already holds, for resuming.
type existing struct {
	bodies  map[string][]existingEvent // type + canonical body → events
	targets map[string]bool            // target ids set
	plans   map[string]int             // plan id → last version
}

type existingEvent struct {
	ID    string
	Index uint64
}

// canonical is a body's JSON as json.Marshal writes its Go value: equal bodies give
// equal bytes whatever the layout they were submitted in.
// An absent boundary_type and "community" mean the same (SPEC §6.6) and compare equal.
func canonical(typ string, b events.Body) string {
	switch v := b.(type) {
	case *events.TargetSetBody:
		c := *v
		c.BoundaryType = events.EffectiveBoundary(c.BoundaryType)
		b = &c
	case *events.InventoryBody:
		c := *v
		c.BoundaryType = events.EffectiveBoundary(c.BoundaryType)
		b = &c
	}
	raw, _ := json.Marshal(b)
	return typ + "\x00" + string(raw)
}

// readExisting reads the party's events of the types import builds.
func readExisting(ctx context.Context, c *client.Client, party string) (*existing, error) {
	ex := &existing{bodies: map[string][]existingEvent{}, targets: map[string]bool{}, plans: map[string]int{}}
	after := uint64(0)
	for {
		var page projections.EventsPage
		if err := c.Get(ctx, fmt.Sprintf("/v1/parties/%s/events?after=%d&limit=1000", url.PathEscape(party), after), &page); err != nil {
			return nil, fmt.Errorf("the party's events: %w", err)
		}
		for _, ev := range page.Events {
			if importTypes[ev.Type] == nil || ev.Retracted != nil {
				continue
			}
			var er httpapi.EventResponse
			if err := c.Get(ctx, "/v1/events/"+ev.ID, &er); err != nil {
				return nil, fmt.Errorf("event %s: %w", ev.ID, err)
			}
			var p struct {
				Body json.RawMessage `json:"body"`
			}
			if err := json.Unmarshal(er.Payload, &p); err != nil {
				return nil, fmt.Errorf("event %s: %w", ev.ID, err)
			}
			body, err := events.DecodeBody(ev.Type, p.Body)
			if err != nil {
				return nil, fmt.Errorf("event %s: %w", ev.ID, err)
			}
			k := canonical(ev.Type, body)
			ex.bodies[k] = append(ex.bodies[k], existingEvent{ID: ev.ID, Index: ev.Index})
			switch b := body.(type) {
			case *events.TargetSetBody:
				ex.targets[b.TargetID] = true
			case *events.PlanBody:
				ex.plans[b.PlanID] = max(ex.plans[b.PlanID], b.Version)
			}
		}
		if page.NextAfter == nil {
			return ex, nil
		}
		after = *page.NextAfter
	}
}

// plan decides, for each valid row, whether it is new, already recorded or a
// duplicate of an earlier row.
func (ex *existing) plan(rows []*importRow) {
	seen := map[string]int{}
	for _, r := range rows {
		if r.Body == nil || r.Skip != "" {
			continue
		}
		k := canonical(r.Type, r.Body)
		if evs := ex.bodies[k]; len(evs) > 0 {
			r.Skip = fmt.Sprintf("already recorded (event %s, index %d)", evs[0].ID, evs[0].Index)
			continue
		}
		if line, dup := seen[k]; dup {
			r.Skip = fmt.Sprintf("same as row %d", line)
			continue
		}
		seen[k] = r.Line
		switch b := r.Body.(type) {
		case *events.TargetSetBody:
			if ex.targets[b.TargetID] {
				r.Revises = "revises target " + b.TargetID
			}
			ex.targets[b.TargetID] = true
		case *events.PlanBody:
			if last, ok := ex.plans[b.PlanID]; ok && b.Version <= last {
				r.Problems = append(r.Problems, cellProblem{Field: "version", Message: fmt.Sprintf("plan %s already has version %d; a new version must be higher", b.PlanID, last)})
				r.Body = nil
				continue
			}
			ex.plans[b.PlanID] = b.Version
		}
	}
}

func cmdImport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "import", "--format csv --map MAPPING.json --party ID --key FILE [--server URL] [--dry-run] [--skip-invalid] [--actor A] FILE.csv")
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	format := fs.String("format", "csv", "input format (csv: comma-separated, UTF-8, a header row)")
	mapFile := fs.String("map", "", "mapping file (JSON): which columns make which event fields")
	party := fs.String("party", "", "the party whose chain the events extend")
	keyFile := fs.String("key", "", "the party's key file")
	dryRun := fs.Bool("dry-run", false, "print the table of what would be submitted, then stop")
	skipInvalid := fs.Bool("skip-invalid", false, "submit the valid rows even when some rows are invalid")
	actor := fs.String("actor", "", "with the mapping's actor_column: import only the rows of this actor")
	retries := fs.Int("retries", 5, "how often to rebuild and resubmit an event after a chain conflict")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "map", "party", "key"); err != nil {
		return err
	}
	if *format != "csv" {
		fs.Usage()
		return fmt.Errorf("%w: --format %q: only csv is supported", errUsage, *format)
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one CSV file, got %d arguments", errUsage, fs.NArg())
	}
	mb, err := os.ReadFile(*mapFile)
	if err != nil {
		return err
	}
	m, err := parseMapping(mb)
	if err != nil {
		return fmt.Errorf("%s: %w", *mapFile, err)
	}
	if *actor != "" && m.ActorColumn == "" {
		return fmt.Errorf("--actor needs an actor_column in the mapping")
	}
	signer, err := readSigner(*keyFile)
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	rows, err := m.readImport(f, *actor)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	c, err := client.New(*server)
	if err != nil {
		return err
	}
	if err := checkPartyKey(ctx, c, *party, signer); err != nil {
		return err
	}
	ex, err := readExisting(ctx, c, *party)
	if err != nil {
		return err
	}
	ex.plan(rows)

	var todo []*importRow
	invalid, recorded := 0, 0
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "row\ttype\twhat\tstatus")
	for _, r := range rows {
		status := ""
		switch {
		case len(r.Problems) > 0:
			invalid++
			var ps []string
			for _, p := range r.Problems {
				ps = append(ps, p.String())
			}
			status = "INVALID: " + strings.Join(ps, "; ")
		case r.Skip != "":
			recorded++
			status = r.Skip
		default:
			todo = append(todo, r)
			status = "new"
			if r.Revises != "" {
				status += " (" + r.Revises + ")"
			}
		}
		typ := r.Type
		if typ == "" {
			typ = "?"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", r.Line, typ, r.what(), status)
	}
	tw.Flush()
	fmt.Fprintf(e.stdout, "\n%s: %d rows: %d to submit, %d already recorded or skipped, %d invalid\n", path, len(rows), len(todo), recorded, invalid)

	switch {
	case invalid > 0 && !*skipInvalid:
		fmt.Fprintf(e.stdout, "nothing submitted: fix the invalid rows (row and column above), or pass --skip-invalid to submit the %d valid new rows\n", len(todo))
		return fmt.Errorf("%s: %d invalid rows, nothing submitted", path, invalid)
	case *dryRun:
		fmt.Fprintln(e.stdout, "dry run: nothing submitted")
		return nil
	case len(todo) == 0:
		fmt.Fprintln(e.stdout, "nothing to submit")
		return nil
	}

	for i, r := range todo {
		rc, err := submitWithRetry(ctx, c, *party, r.Type, r.Body, []*events.Signer{signer}, *retries)
		if err != nil {
			fmt.Fprintf(e.stderr, "%s row %d: %v\n", progressBar(i, len(todo)), r.Line, err)
			return fmt.Errorf("row %d not recorded (%d of %d submitted; run the same command again to submit the rest: recorded rows are skipped): %w", r.Line, i, len(todo), err)
		}
		fmt.Fprintf(e.stderr, "%s row %d %s %s → event %s, index %d\n", progressBar(i+1, len(todo)), r.Line, r.Type, r.what(), rc.ID, rc.Index)
	}
	fmt.Fprintf(e.stdout, "submitted %d events to %s\n", len(todo), *party)
	return nil
}

// progressBar is "[#####-----]  5/10".
func progressBar(done, total int) string {
	const width = 20
	n := width * done / max(total, 1)
	return fmt.Sprintf("[%s%s] %*d/%d", strings.Repeat("#", n), strings.Repeat("-", width-n), len(strconv.Itoa(total)), done, total)
}

// checkPartyKey checks, before anything is submitted, that the party is enrolled and
// that the key is one of its active keys.
func checkPartyKey(ctx context.Context, c *client.Client, party string, k *events.Signer) error {
	var d struct {
		Keys []struct {
			KeyID  string `json:"keyid"`
			Active bool   `json:"active"`
		} `json:"keys"`
	}
	if err := c.Get(ctx, "/v1/parties/"+url.PathEscape(party), &d); err != nil {
		var pe *client.ProblemError
		if errors.As(err, &pe) && pe.Status == 404 {
			return fmt.Errorf("party %s is not enrolled", party)
		}
		return fmt.Errorf("party %s: %w", party, err)
	}
	for _, key := range d.Keys {
		if key.KeyID == k.KeyID() && key.Active {
			return nil
		}
	}
	return fmt.Errorf("the key %s is not an active key of %s", k.KeyID(), party)
}
