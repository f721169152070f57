// Package vectors defines climateledger's test vectors (testdata/vectors, docs/SPEC.md
// §9): logs that a verifier in any language replays from an empty state, each with the
// outcome of its last entry. Every input — keys, event ids, times — derives from the
// fixed seed [Seed] through package eventtest, so [Files] returns the same bytes on
// every run. Command vectorgen writes them; a test in package events checks that the
// files in the repository equal a fresh [Files].
//
// A valid case ends with an entry that is valid; every other case names the valid case
// it mutates (its base) and applies exactly one mutation to it. [Cases] checks all of
// this with package events before it returns: the base replays valid, every entry but
// the last of a case is valid, and the last has the case's outcome.
package vectors

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// Seed is the seed every key, event id and time of the vectors derives from.
const Seed = "climateledger/vectors/v1"

// Valid is the expected outcome of a case whose last entry is valid.
const Valid = "valid"

// Case is one test vector.
type Case struct {
	// Name is the file name without ".json": the outcome, a hyphen, a short name.
	Name string
	// Desc says what the case shows and, for a negative case, its base and mutation.
	Desc string
	// Expect is Valid or a finding code (events.Codes).
	Expect string
	// Base is the name of the valid case this one mutates ("" for a valid case).
	Base string
	// Keys are the public keys the case uses, in order of first appearance.
	Keys []events.PublicKeyRef
	// Entries are the stored entries, in log order.
	Entries [][]byte
	// Hashes are the payload hashes of Entries (hex); "" for an entry whose stored
	// envelope is malformed.
	Hashes []string
}

// file is the JSON form of a case.
type file struct {
	Desc    string                `json:"desc"`
	Expect  string                `json:"expect"`
	Keys    []events.PublicKeyRef `json:"keys"`
	Entries []string              `json:"entries"`
	Hashes  []string              `json:"hashes"`
}

// Marshal returns the case's file bytes: indented JSON and a newline.
func (c *Case) Marshal() []byte {
	f := file{Desc: c.Desc, Expect: c.Expect, Keys: c.Keys, Hashes: c.Hashes}
	for _, e := range c.Entries {
		f.Entries = append(f.Entries, string(e))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// Files returns every vector file by name ("valid-genesis.json" → bytes).
func Files() (map[string][]byte, error) {
	cases, err := Cases()
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(cases))
	for _, c := range cases {
		out[c.Name+".json"] = c.Marshal()
	}
	return out, nil
}

// Cases builds every case and checks it against package events.
func Cases() (cases []*Case, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vectors: %v", r)
		}
	}()
	byName := map[string]*Case{}
	for _, d := range definitions() {
		n := newNet()
		d.build(n)
		c := &Case{Name: d.expect + "-" + d.name, Desc: d.desc, Expect: d.expect, Base: d.base, Entries: n.Entries}
		if d.base != "" {
			c.Desc = fmt.Sprintf("%s Base: %s-%s; mutation: %s", d.desc, Valid, d.base, d.mutation)
			base, ok := byName[Valid+"-"+d.base]
			if !ok || base.Expect != Valid {
				return nil, fmt.Errorf("case %s: base %s is not an earlier valid case", c.Name, d.base)
			}
			c.Base = base.Name
		} else if d.expect != Valid || d.mutation != "" {
			return nil, fmt.Errorf("case %s: a case without a base must be valid", c.Name)
		}
		if _, dup := byName[c.Name]; dup {
			return nil, fmt.Errorf("case %s defined twice", c.Name)
		}
		if err := check(c); err != nil {
			return nil, fmt.Errorf("case %s: %v", c.Name, err)
		}
		c.Hashes = hashes(c.Entries)
		c.Keys = n.usedKeys(c.Entries)
		byName[c.Name] = c
		cases = append(cases, c)
	}
	return cases, nil
}

// Outcome replays entries from an empty registry and returns the outcome of each:
// Valid or a finding code.
func Outcome(entries [][]byte) []string {
	reg := events.NewRegistry()
	out := make([]string, len(entries))
	for i, raw := range entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			reg.Skip()
			out[i] = string(events.CodeOf(err))
			continue
		}
		if f := reg.Apply(e); f != nil {
			out[i] = string(f.Code)
		} else {
			out[i] = Valid
		}
	}
	return out
}

func check(c *Case) error {
	if len(c.Entries) == 0 {
		return fmt.Errorf("no entries")
	}
	if c.Expect != Valid && !slices.Contains(events.Codes, events.Code(c.Expect)) {
		return fmt.Errorf("expect %q is neither %q nor a finding code", c.Expect, Valid)
	}
	got := Outcome(c.Entries)
	for i, o := range got[:len(got)-1] {
		if o != Valid {
			return fmt.Errorf("entry %d: %s, want every entry but the last valid", i, o)
		}
	}
	if last := got[len(got)-1]; last != c.Expect {
		return fmt.Errorf("last entry: %s, want %s", last, c.Expect)
	}
	for i, e := range c.Entries {
		if !isText(e) {
			return fmt.Errorf("entry %d is not printable ASCII", i)
		}
	}
	return nil
}

func isText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' {
			return false
		}
	}
	return true
}

// hashes returns the payload hash of each entry: SHA-256 of the DSSE payload when the
// stored envelope is well-formed (ParseEntry gets past CodeMalformedEnvelope), "" when
// it is not.
func hashes(entries [][]byte) []string {
	out := make([]string, len(entries))
	for i, raw := range entries {
		e, err := events.ParseEntry(raw)
		switch {
		case err == nil:
			out[i] = e.Hash.String()
		case events.CodeOf(err) == events.CodeMalformedEnvelope:
			out[i] = ""
		default:
			var env struct{ Payload []byte }
			if err := json.Unmarshal(raw, &env); err != nil {
				panic(fmt.Sprintf("entry %d: well-formed envelope does not decode: %v", i, err))
			}
			out[i] = events.PayloadHash(env.Payload).String()
		}
	}
	return out
}

// ---- building logs ----

// net is a test network under construction with every key the vectors may use.
type net struct {
	*eventtest.Network
	signers map[string]*events.Signer // by key id
}

func newNet() *net {
	n := &net{Network: eventtest.New(Seed, ""), signers: map[string]*events.Signer{}}
	n.signers[n.Registrar.KeyID()] = n.Registrar
	return n
}

// key derives the key named label from the seed.
func (n *net) key(label string) *events.Signer {
	k := eventtest.Key(Seed, label)
	n.signers[k.KeyID()] = k
	return k
}

// partyKey is the first key of a party (the key eventtest derives for it).
func (n *net) partyKey(id string) *events.Signer { return n.key("party/" + id) }

var hex64 = regexp.MustCompile(`[0-9a-f]{64}`)
var payloadField = regexp.MustCompile(`"payload":"([A-Za-z0-9+/=]*)"`)

// usedKeys lists the known keys whose key ids appear in the entries (in a signature
// or in a payload), in order of first appearance.
func (n *net) usedKeys(entries [][]byte) []events.PublicKeyRef {
	var out []events.PublicKeyRef
	seen := map[string]bool{}
	for _, raw := range entries {
		text := raw
		if m := payloadField.FindSubmatch(raw); m != nil {
			if p, err := base64.StdEncoding.DecodeString(string(m[1])); err == nil {
				text = append(slices.Clone(p), raw...)
			}
		}
		for _, id := range hex64.FindAll(text, -1) {
			s := n.signers[string(id)]
			if s == nil || seen[s.KeyID()] {
				continue
			}
			seen[s.KeyID()] = true
			out = append(out, s.Ref())
		}
	}
	return out
}

// enrol appends a party.enrolled entry listing keys, signed by the registrar and every
// listed key, and makes keys[0] the party's default signer.
func (n *net) enrol(id string, body *events.EnrolledBody, keys ...*events.Signer) {
	for _, k := range keys {
		body.Keys = append(body.Keys, k.Ref())
	}
	n.Append(id, body, append([]*events.Signer{n.Registrar}, keys...)...)
	n.Parties[id].Keys = keys
}

// enrolCA enrols California with its default key.
func (n *net) enrolCA() *events.Signer {
	k := n.partyKey("us-ca")
	n.enrol("us-ca", caEnrolment(), k)
	return k
}

// enrolSZX enrols Shenzhen with its default key.
func (n *net) enrolSZX() *events.Signer {
	k := n.partyKey("cnszx")
	n.enrol("cnszx", szxEnrolment(), k)
	return k
}

// enrolVerifier enrols the verifier party "verifier-a".
func (n *net) enrolVerifier() *events.Signer {
	k := n.partyKey("verifier-a")
	n.enrol("verifier-a", &events.EnrolledBody{Kind: events.KindVerifier,
		Names: map[string]string{"en": "Example Assurance Ltd"}, Country: "GB"}, k)
	return k
}

// add appends a valid event of party signed by signers (the party's first key when
// none are given) and returns the stored entry.
func (n *net) add(party string, body events.Body, signers ...*events.Signer) []byte {
	return n.Append(party, body, signers...)
}

// draft returns the draft of party's next event without appending it.
func (n *net) draft(party string, body events.Body) *events.Draft {
	return n.Draft(party, body.EventType(), body)
}

// payload returns the payload bytes of party's next event without appending it.
func (n *net) payload(party string, body events.Body) []byte {
	return marshal(n.draft(party, body))
}

func marshal(d *events.Draft) []byte {
	p, err := d.Marshal()
	if err != nil {
		panic(fmt.Sprintf("marshal %s %s: %v", d.Party, d.Type, err))
	}
	return p
}

// push appends payload signed by signers (no check of any kind).
func (n *net) push(party string, payload []byte, signers ...*events.Signer) []byte {
	return n.Push(party, payload, events.Sign(payload, signers...))
}

// pushEntry appends stored entry bytes built by hand.
func (n *net) pushEntry(party string, payload, entry []byte) {
	n.Push(party, payload, entry)
}

// lastEntry returns the last entry.
func (n *net) lastEntry() []byte { return n.Entries[len(n.Entries)-1] }

// setLast replaces the last entry's stored bytes.
func (n *net) setLast(entry []byte) { n.Entries[len(n.Entries)-1] = entry }

// drop removes entry i.
func (n *net) drop(i int) {
	n.Entries = slices.Delete(n.Entries, i, i+1)
	n.Hashes = slices.Delete(n.Hashes, i, i+1)
	n.IDs = slices.Delete(n.IDs, i, i+1)
}

// edit replaces the only occurrence of old in b with new; it panics unless old occurs
// exactly once, so that a mutation is exactly the edit it says.
func edit(b []byte, old, new string) []byte {
	if c := bytes.Count(b, []byte(old)); c != 1 {
		panic(fmt.Sprintf("edit: %q occurs %d times in %s", old, c, b))
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

var sigField = regexp.MustCompile(`"sig":"([A-Za-z0-9+/=]+)"`)

// editSig rewrites the first signature of a stored entry with f.
func editSig(entry []byte, f func(sig []byte) []byte) []byte {
	m := sigField.FindSubmatch(entry)
	sig, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		panic(err)
	}
	return edit(entry, string(m[1]), base64.StdEncoding.EncodeToString(f(sig)))
}

// otherHash is a fixed hash that no vector's payload has.
func otherHash(label string) string {
	h := sha256.Sum256([]byte("climateledger/vectors/other\x00" + label))
	return hex.EncodeToString(h[:])
}

// ---- bodies ----

func caEnrolment() *events.EnrolledBody {
	return &events.EnrolledBody{Kind: events.KindJurisdiction,
		Names:   map[string]string{"en": "California", "zh": "加利福尼亚州"},
		Country: "US", Level: "state", Codes: &events.PartyCodes{ISO3166_2: "US-CA"},
		Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15"}}}
}

func szxEnrolment() *events.EnrolledBody {
	return &events.EnrolledBody{Kind: events.KindJurisdiction,
		Names:   map[string]string{"en": "Shenzhen", "zh": "深圳市"},
		Country: "CN", Level: "city", Parent: "cn-gd", Codes: &events.PartyCodes{ISO3166_2: "CN-GD", UNLOCODE: "CN SZX"},
		Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15"}, {Summit: "2016-beijing", Date: "2016-06-07"}}}
}

// enrolBJ enrols Beijing, a province-level municipality, with its default key.
func (n *net) enrolBJ() *events.Signer {
	k := n.partyKey("cn-bj")
	n.enrol("cn-bj", &events.EnrolledBody{Kind: events.KindJurisdiction,
		Names:   map[string]string{"en": "Beijing", "zh": "北京市"},
		Country: "CN", Level: events.LevelMunicipality, Codes: &events.PartyCodes{ISO3166_2: "CN-BJ"},
		Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15", Source: sourceXinhua()}}}, k)
	return k
}

// sourceXinhua is a document reference without sha256: a page that was read, quoted
// and not pinned.
func sourceXinhua() *events.DocumentRef {
	return &events.DocumentRef{URL: "http://ccgp-fushun.com/environment/2015-09/16/content_36596534.htm",
		Title: "Xinhua, 16 September 2015 (mirror)",
		Quote: "Chinese cities and provinces Beijing, Shenzhen, Wuhan, Guangzhou, Sichuan, Hainan, Guiyang, Zhenjiang, Jinchang, Yanan and Jilin, and U.S. states and cities including California, Connecticut, Los Angeles, Atlanta, Boston, Portland, Seattle, Houston, Salt Lake City, Des Moines, Carmel signed the Declaration"}
}

func bostonEnrolment() *events.EnrolledBody {
	return &events.EnrolledBody{Kind: events.KindJurisdiction,
		Names:   map[string]string{"en": "Boston", "zh": "波士顿"},
		Country: "US", Level: "city", Codes: &events.PartyCodes{UNLOCODE: "US BOS"},
		Endorsements: []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15", Source: sourceXinhua()}},
		Participations: []events.Participation{{Summit: "2016-beijing", Date: "2016-06-07",
			Source: &events.DocumentRef{URL: "https://staging.c40.org/events/second-china-u-s-climate-smart-low-carbon-cities-summit",
				Quote: "Mayors of Chinese and American cities, including Boston, Wuhan and Shenzhen will come together to share ideas and best practices on tackling climate change."}}}}
}

// targetNoBase is "X% below BASE by YEAR" as a source states it: no base figure.
func targetNoBase() *events.TargetSetBody {
	return &events.TargetSetBody{TargetID: "community-2030", Type: events.TargetBaseYearAbsolute,
		BaseYear: ip(2009), TargetYear: ip(2030), ReductionPct: dp("40"), BoundaryType: events.BoundaryCommunity, LegalStatus: "policy",
		Source: &events.DocumentRef{URL: "http://database.aceee.org/city/community-wide-energy-efficiency-goals",
			Quote: "The plan's climate goals include reducing greenhouse gas emissions 20% below a 2009 baseline by 2020 and 40% below a 2009 baseline by 2030."}}
}

// inventoryOperations is a government_operations inventory: a total only.
func inventoryOperations() *events.InventoryBody {
	return &events.InventoryBody{Year: 2017, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR5",
		TotalTCO2e: dp("132000"), BoundaryType: events.BoundaryGovernmentOperations,
		Source:   &events.DocumentRef{URL: "https://example.org/inventories/operations-2017", Quote: "Local Government Operations emitted 132 thousand metric tons of GHGs"},
		Boundary: "Buildings, fleet and facilities of the jurisdiction's government (illustrative figures)."}
}

const wording = "Reduce greenhouse gas emissions to 40 percent below 1990 levels by 2030."

func endorsement() *events.EndorsementBody {
	return &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15", TargetWording: wording}
}

func ip(i int) *int { return &i }

func dp(s string) *events.Decimal {
	d := events.MustDecimal(s)
	return &d
}

func targetAbsolute() *events.TargetSetBody {
	return &events.TargetSetBody{TargetID: "ghg-2030", Type: events.TargetBaseYearAbsolute,
		BaseYear: ip(1990), BaseEmissionsTCO2e: dp("431000000"), TargetYear: ip(2030), ReductionPct: dp("40"),
		Coverage:    &events.Coverage{Gases: events.Gases(), Scopes: []int{1}},
		LegalStatus: "law", YearSet: ip(2016),
		Source:      &events.DocumentRef{URL: "https://leginfo.legislature.ca.gov/faces/billNavClient.xhtml?bill_id=201520160SB32", Title: "SB-32 California Global Warming Solutions Act of 2006: emissions limit"},
		Description: "Statewide greenhouse gas emissions 40% below the 1990 level by 2030 (illustrative figures)."}
}

// inventory2015 is a GPC BASIC inventory with figures, notation keys and quality marks.
func inventory2015() *events.InventoryBody {
	return &events.InventoryBody{Year: 2015, Framework: events.FrameworkGPC, Level: events.InventoryLevelBasic, GWP: "AR5",
		Lines: []events.InventoryLine{
			{GPCRef: "I.1.1", Scope: 1, Gas: "CO2", TCO2e: dp("1234.5"), Quality: "H"},
			{GPCRef: "I.1.2", Scope: 2, Gas: events.GasCO2e, TCO2e: dp("800.25"), Quality: "M"},
			{GPCRef: "II.1.1", Scope: 1, Gas: "CO2", TCO2e: dp("2000"), Quality: "M"},
			{GPCRef: "II.1.1", Scope: 1, Gas: "CH4", TCO2e: dp("1.125"), Quality: "L"},
			{GPCRef: "III.1.2", Scope: 3, Gas: "CH4", TCO2e: dp("45"), Quality: "L"},
			{GPCRef: "I.7.1", Scope: 1, Gas: "CH4", Notation: "NO", Explanation: "No coal mining within the boundary."},
			{GPCRef: "I.8.1", Scope: 1, Gas: "CH4", Notation: "IE", Explanation: "Included in I.4.1 (utility reporting)."},
		},
		TotalTCO2e: dp("4080.875"),
		Source:     &events.DocumentRef{URL: "https://example.org/inventories/2015.pdf", SHA256: otherHash("inventory-2015.pdf")},
		Boundary:   "Administrative boundary of the jurisdiction (illustrative figures)."}
}

func planV1() *events.PlanBody {
	return &events.PlanBody{PlanID: "cap", Version: 1, Title: "Climate Action Plan", Adopted: "2016-05-10", HorizonYear: 2030,
		Document: &events.DocumentRef{URL: "https://example.org/plans/cap-2016.pdf"},
		Actions: []events.PlanAction{
			{ActionID: "a1", Title: "Retire coal-fired power purchase contracts", Sector: events.SectorStationaryEnergy, Kind: "mitigation",
				Status: "in_progress", ExpectedReductionTCO2ePerYear: dp("120000"), Cost: &events.Cost{Amount: dp("25000000"), Currency: "USD"}},
			{ActionID: "a2", Title: "Urban heat resilience programme", Sector: "cross_cutting", Kind: "adaptation",
				Status: "planned", Hazards: []string{"extreme_heat", "drought"}},
		}}
}

func planV2() *events.PlanBody {
	p := planV1()
	p.Version, p.Adopted, p.HorizonYear = 2, "2019-04-29", 2045
	p.Document = &events.DocumentRef{URL: "https://example.org/plans/cap-2019.pdf"}
	p.Actions[0].Status = "completed"
	p.Actions = append(p.Actions, events.PlanAction{ActionID: "a3", Title: "Electrify the municipal bus fleet",
		Sector: events.SectorTransportation, Kind: "mitigation", Status: "planned", ExpectedReductionTCO2ePerYear: dp("35000.5")})
	return p
}

func partnership() *events.PartnershipBody {
	return &events.PartnershipBody{PartnershipID: "ca-szx-2015", Partners: []string{"us-ca", "cnszx"}, Instrument: "mou",
		Topics: []string{"zero-emission vehicles", "ports"}, Signed: "2015-09-15",
		Description: "Memorandum of understanding on low-carbon development (illustrative)."}
}

func attestation(eventID string, hash events.Hash) *events.AttestationBody {
	return &events.AttestationBody{Subject: events.Subject{EventID: eventID, Hash: hash.String()},
		Standard: "ISO 14064-3:2019", Assurance: "limited", MaterialityPct: dp("5"), Opinion: "unmodified",
		Summary: "Limited assurance over the 2015 inventory; no material misstatement found."}
}
