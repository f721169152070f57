package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/events/internal/vectorgen/vectors"
)

// vectorDir is testdata/vectors at the repository root (docs/SPEC.md §9).
const vectorDir = "../testdata/vectors"

// vectorFile is the format of one vector file (testdata/vectors/README.md).
type vectorFile struct {
	Desc    string                `json:"desc"`
	Expect  string                `json:"expect"`
	Keys    []events.PublicKeyRef `json:"keys"`
	Entries []string              `json:"entries"`
	Hashes  []string              `json:"hashes"`
}

func readVectors(t testing.TB) map[string]*vectorFile {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no vectors in %s", vectorDir)
	}
	out := map[string]*vectorFile{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.DisallowUnknownFields()
		var v vectorFile
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = &v
	}
	return out
}

// TestVectors replays every vector from an empty registry: every entry but the last is
// valid, the last has the expected outcome, and the payload hashes match.
func TestVectors(t *testing.T) {
	outcomes := append([]string{vectors.Valid}, codeStrings()...)
	for name, v := range readVectors(t) {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			if !slices.Contains(outcomes, v.Expect) {
				t.Fatalf("expect %q is not in the closed set %v", v.Expect, outcomes)
			}
			if want := v.Expect + "-"; !strings.HasPrefix(name, want) {
				t.Errorf("file name %s does not start with %s", name, want)
			}
			if v.Desc == "" || len(v.Entries) == 0 || len(v.Hashes) != len(v.Entries) {
				t.Fatalf("desc %q, %d entries, %d hashes: want a desc and one hash per entry", v.Desc, len(v.Entries), len(v.Hashes))
			}
			for _, k := range v.Keys {
				if _, err := k.Decode(); err != nil {
					t.Errorf("keys: %v", err)
				}
			}
			reg := events.NewRegistry()
			for i, raw := range v.Entries {
				got := vectors.Valid
				e, err := events.ParseEntry([]byte(raw))
				switch {
				case err != nil:
					reg.Skip()
					got = string(events.CodeOf(err))
				default:
					if f := reg.Apply(e); f != nil {
						got = string(f.Code)
					}
				}
				want := vectors.Valid
				if i == len(v.Entries)-1 {
					want = v.Expect
				}
				if got != want {
					t.Errorf("entry %d: outcome %s, want %s", i, got, want)
				}
				if h := payloadHashOf([]byte(raw)); h != v.Hashes[i] {
					t.Errorf("entry %d: payload hash %q, want %q", i, h, v.Hashes[i])
				}
				if err == nil && e.Hash.String() != v.Hashes[i] {
					t.Errorf("entry %d: Entry.Hash %s, want %s", i, e.Hash, v.Hashes[i])
				}
			}
		})
	}
}

// payloadHashOf returns the hex SHA-256 of an entry's DSSE payload, or "" when the
// stored envelope is malformed (testdata/vectors/README.md).
func payloadHashOf(raw []byte) string {
	if _, err := events.ParseEntry(raw); events.CodeOf(err) == events.CodeMalformedEnvelope {
		return ""
	}
	var env struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return "undecodable: " + err.Error()
	}
	p, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return "undecodable: " + err.Error()
	}
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

func codeStrings() []string {
	var out []string
	for _, c := range events.Codes {
		out = append(out, string(c))
	}
	return out
}

// TestVectorCoverage checks that the vectors cover every finding code, every event
// type and every target type as valid, and that every negative case names its base.
func TestVectorCoverage(t *testing.T) {
	vs := readVectors(t)
	expects := map[string]int{}
	validTypes := map[string]bool{}
	targetTypes := map[string]bool{}
	for name, v := range vs {
		expects[v.Expect]++
		if v.Expect == vectors.Valid {
			for _, raw := range v.Entries {
				e, err := events.ParseEntry([]byte(raw))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				validTypes[e.Payload.Type] = true
				if b, ok := e.Body.(*events.TargetSetBody); ok {
					targetTypes[b.Type] = true
				}
			}
			continue
		}
		base, _, ok := strings.Cut(v.Desc[strings.Index(v.Desc, "Base: ")+len("Base: "):], ";")
		if !strings.Contains(v.Desc, "Base: ") || !ok || vs[base+".json"] == nil || vs[base+".json"].Expect != vectors.Valid {
			t.Errorf("%s: desc does not name a valid base case: %q", name, v.Desc)
		}
	}
	for _, c := range events.Codes {
		if expects[string(c)] == 0 {
			t.Errorf("no vector expects %s", c)
		}
	}
	for _, typ := range events.EventTypes() {
		if !validTypes[typ] {
			t.Errorf("no valid vector has a %s entry", typ)
		}
	}
	for _, typ := range events.TargetTypes() {
		if !targetTypes[typ] {
			t.Errorf("no valid vector has a target of type %s", typ)
		}
	}
	if len(vs) < 40 {
		t.Errorf("%d vectors, want at least 40", len(vs))
	}
}

// TestVectorsRoundTrip checks that the files equal what the generator produces now
// (`go generate ./events/...` rewrites them).
func TestVectorsRoundTrip(t *testing.T) {
	want, err := vectors.Files()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(vectorDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range paths {
		name := filepath.Base(p)
		have[name] = true
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := want[name]; !ok {
			t.Errorf("%s is not generated any more (run go generate ./events/...)", name)
		} else if !bytes.Equal(got, w) {
			t.Errorf("%s differs from the generator's output (run go generate ./events/...)", name)
		}
	}
	for name := range want {
		if !have[name] {
			t.Errorf("%s is missing (run go generate ./events/...)", name)
		}
	}
}

// TestNodeVerifier runs the independent verifier written from docs/SPEC.md alone
// (docs/verifiers/node) over every vector. It is skipped when node is not installed,
// except in CI (CI=true), where it fails.
func TestNodeVerifier(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH, and CI=true: the independent verifier must run in CI")
		}
		t.Skip("node is not on PATH")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(node, nodeVerifier(t), vectorDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node verifier: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// Regression tests for rules that contradicted the project's design (docs/SPEC.md §6–7) (each also has a vector).

// TestSecondGenesisRefused: a network.genesis after the first entry named new
// registrar keys signed only by themselves, and was valid.
func TestSecondGenesisRefused(t *testing.T) {
	n := eventtest.New("regression", "")
	k := eventtest.Key("regression", "intruder")
	n.Append(events.NetworkParty, &events.GenesisBody{Origin: n.Origin, Name: "take-over", RegistrarKeys: []events.PublicKeyRef{k.Ref()}, LogKey: n.LogKey}, k)
	reg, findings := n.Replay()
	if f := findings[1]; f == nil || f.Code != events.CodeNotPermitted {
		t.Fatalf("second genesis: got %v, want %s", f, events.CodeNotPermitted)
	}
	if reg.Key(k.KeyID()) != nil {
		t.Fatalf("the second genesis registered its key")
	}
}

// TestReEnrolmentRefused: party.enrolled at seq > 1 of an existing chain changed the
// party's kind and added keys without the party's signature, and was valid.
func TestReEnrolmentRefused(t *testing.T) {
	n := eventtest.New("regression", "")
	n.Enroll("us-ca", "California", "", "US", "state")
	k := eventtest.Key("regression", "intruder")
	n.Append("us-ca", &events.EnrolledBody{Kind: events.KindVerifier, Names: map[string]string{"en": "x"}, Keys: []events.PublicKeyRef{k.Ref()}}, n.Registrar, k)
	reg, findings := n.Replay()
	if f := findings[2]; f == nil || f.Code != events.CodeNotPermitted {
		t.Fatalf("re-enrolment: got %v, want %s", f, events.CodeNotPermitted)
	}
	if p := reg.Party("us-ca"); p.Kind != events.KindJurisdiction || reg.Key(k.KeyID()) != nil {
		t.Fatalf("re-enrolment changed the party: kind %s, intruder key registered %v", p.Kind, reg.Key(k.KeyID()) != nil)
	}
}

// TestSubmissionEscapedDuplicateKey: DecodeSubmission compared object keys before
// unescaping, so "p\u0061yload" slipped past the duplicate-key rule and silently
// replaced the payload.
func TestSubmissionEscapedDuplicateKey(t *testing.T) {
	n := eventtest.New("regression", "")
	entry := string(n.Entries[0])
	for _, sub := range []string{
		entry[:len(entry)-1] + `,"p\u0061yload":"e30="}`,
		strings.Replace(entry, `"sig":`, `"s\u0069g":"AA==","sig":`, 1),
	} {
		if _, err := events.DecodeSubmission([]byte(sub)); events.CodeOf(err) != events.CodeMalformedEnvelope {
			t.Errorf("DecodeSubmission(%.60s…): %v, want %s", sub, err, events.CodeMalformedEnvelope)
		}
	}
	// An escaped key that duplicates nothing is still just that key.
	sub := strings.Replace(entry, `"payloadType":`, `"payload\u0054ype":`, 1)
	got, err := events.DecodeSubmission([]byte(sub))
	if err != nil || string(got) != entry {
		t.Errorf("DecodeSubmission with an escaped key: %v, want the stored entry back", err)
	}
}

// TestNodeVerifierDifferential checks that docs/SPEC.md pins down the body and
// reference rules, not only the cases the vectors happen to contain: it mutates every
// member of the last body of every valid vector in many ways (delete it, give it a
// value of another kind, a boundary value, a value from a neighbouring enumeration, …),
// re-signs the payload with the original keys, and requires the Node verifier to reach
// the same outcome as package events on every mutant.
func TestNodeVerifierDifferential(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH, and CI=true")
		}
		t.Skip("node is not on PATH")
	}
	if testing.Short() {
		t.Skip("-short")
	}
	signers := map[string]*events.Signer{}
	for _, label := range []string{"registrar", "registrar/2", "party/us-ca", "party/cnszx", "party/verifier-a", "us-ca/2"} {
		k := eventtest.Key(vectors.Seed, label)
		signers[k.KeyID()] = k
	}
	type input struct {
		Prefixes [][]string `json:"prefixes"`
		Cases    [][2]any   `json:"cases"`
	}
	var in input
	var want []string
	names := []string{}
	for name, v := range readVectors(t) {
		if v.Expect == vectors.Valid && len(v.Entries[len(v.Entries)-1]) < 8000 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	vs := readVectors(t)
	for _, name := range names {
		v := vs[name]
		prefix := v.Entries[:len(v.Entries)-1]
		reg := events.NewRegistry()
		for _, raw := range prefix {
			e, err := events.ParseEntry([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			if f := reg.Apply(e); f != nil {
				t.Fatal(f)
			}
		}
		last, err := events.ParseEntry([]byte(v.Entries[len(v.Entries)-1]))
		if err != nil {
			t.Fatal(err)
		}
		pi := len(in.Prefixes)
		in.Prefixes = append(in.Prefixes, prefix)
		refs := append(slices.Clone(v.Hashes), idsOf(t, v.Entries)...)
		var payloads [][]byte
		for _, body := range jsonMutants(t, last.Payload.Body, refs) {
			payloads = append(payloads, spliceBody(t, last.PayloadBytes, body))
		}
		payloads = append(payloads, payloadMutants(t, last.PayloadBytes, refs)...)
		check := func(entry []byte) {
			got := vectors.Valid
			if e, err := events.ParseEntry(entry); err != nil {
				got = string(events.CodeOf(err))
			} else if f := reg.Check(e); f != nil {
				got = string(f.Code)
			}
			in.Cases = append(in.Cases, [2]any{pi, string(entry)})
			want = append(want, got)
		}
		for _, entry := range entryMutants([]byte(v.Entries[len(v.Entries)-1])) {
			check(entry)
		}
		for _, payload := range payloads {
			sigs := make([]events.Signature, len(last.Signatures))
			for i, s := range last.Signatures {
				sigs[i] = s
				if k := signers[s.KeyID]; k != nil {
					sigs[i].Sig = k.Sign(events.PAE(events.PayloadType, payload))
				}
			}
			check(events.MarshalEnvelope(payload, sigs))
		}
	}
	file := filepath.Join(t.TempDir(), "cases.json")
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, nodeVerifier(t), "--cases", file).Output()
	if err != nil {
		t.Fatalf("node verifier: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("node answered %d cases, want %d", len(got), len(want))
	}
	outcomes := map[string]int{}
	bad := 0
	for i := range want {
		outcomes[want[i]]++
		if got[i] != want[i] {
			if bad++; bad <= 20 {
				p, _ := events.ParseEntry([]byte(in.Cases[i][1].(string)))
				var body string
				if p != nil {
					body = string(p.Payload.Body)
				} else {
					var env struct{ Payload []byte }
					json.Unmarshal([]byte(in.Cases[i][1].(string)), &env)
					body = string(env.Payload)
				}
				t.Errorf("case %d: node says %s, events says %s\n%s", i, got[i], want[i], body)
			}
		}
	}
	t.Logf("%d mutants, %d disagreements; outcomes %v", len(want), bad, outcomes)
}

// nodeVerifier returns the path of the Node verifier. It reads the file, so that go
// test's cache notices when the script changes.
func nodeVerifier(t *testing.T) string {
	const path = "../docs/verifiers/node/verify.mjs"
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}

func idsOf(t *testing.T, entries []string) []string {
	var ids []string
	for _, raw := range entries {
		if e, err := events.ParseEntry([]byte(raw)); err == nil {
			ids = append(ids, e.Payload.ID)
		}
	}
	return ids
}

// spliceBody replaces the body of payload (its last member, as Draft.Marshal writes it).
func spliceBody(t *testing.T, payload, body []byte) []byte {
	i := bytes.LastIndex(payload, []byte(`,"body":`))
	if i < 0 {
		t.Fatalf("no body in %s", payload)
	}
	out := append(slices.Clone(payload[:i+len(`,"body":`)]), body...)
	return append(out, '}')
}

// payloadMutants returns mutations of the payload's own members (not the body), as
// jsonMutants makes them.
func payloadMutants(t *testing.T, payload []byte, refs []string) [][]byte {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		t.Fatal(err)
	}
	body := top["body"]
	delete(top, "body")
	head, err := json.Marshal(top)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, m := range append(jsonMutants(t, head, refs), head) {
		if bytes.Equal(m, []byte("{}")) {
			out = append(out, append([]byte(`{"body":`), append(body, '}')...))
			continue
		}
		out = append(out, append(append(m[:len(m)-1:len(m)-1], `,"body":`...), append(body, '}')...))
	}
	out = append(out, head) // no body at all
	return out
}

// entryMutants returns byte-level mutations of a stored entry (not re-signed): at
// positions spread over the entry, more densely in its fixed head and in the
// signatures at its end, a byte deleted, doubled, or replaced by one of a few
// structural characters.
func entryMutants(entry []byte) [][]byte {
	step := func(i int) int {
		switch {
		case i < 64:
			return 2
		case i >= len(entry)-160:
			return 3
		}
		return 61
	}
	var out [][]byte
	for i := 0; i < len(entry); i += step(i) {
		out = append(out, slices.Delete(slices.Clone(entry), i, i+1))
		out = append(out, slices.Insert(slices.Clone(entry), i, entry[i]))
		for _, c := range []byte(`" \A=}`) {
			if c != entry[i] {
				m := slices.Clone(entry)
				m[i] = c
				out = append(out, m)
			}
		}
	}
	return out
}

// jsonMutants returns mutations of a JSON value: every member deleted, replaced by
// values of every kind and boundary, every array shortened, emptied and given a
// duplicate, an unknown member added to every object. refs are strings from the log
// (event ids, hashes) worth trying as values.
func jsonMutants(t *testing.T, body []byte, refs []string) [][]byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var root any
	if err := d.Decode(&root); err != nil {
		t.Fatal(err)
	}
	long := func(n int) string { return strings.Repeat("é", n) }
	strs := []any{"", " ", "x", "X", "\u0007", "a\nb", "\u00a0", long(101), long(301), long(1001), long(4001),
		"2015-02-29", "2016-02-29", "1989-12-31", "2101-01-01", "2015-9-15", "us-ca", "cnszx", "verifier-a", "network", "US-CA",
		"I.9.1", "V.2", "I.4.4", "VI.1", "CO2e", "NE", "US", "GB", "en", "AR5", "territorial", "BASIC+", "peak", "mitigation",
		"adaptation", "https://user@example.org/", "http://example.org/%zz", "ftp://example.org/", "https://", "http://a.b:x/",
		"01M8BVQSP02GQGY8TPEYR1XYDP", "01m8bvqsp02gqgy8tpeyr1xydp", "81M8BVQSP02GQGY8TPEYR1XYDP", "01M8BVQSP02GQGY8TPEYR1XYDPX",
		strings.Repeat("A", 64), "2026-11-26T12:00:00Z", "2026-11-26T12:05:00.5Z", "2026-11-26T12:00:59.999999999Z",
		"2026-11-26T12:05:00+00:00", "2026-11-26T24:00:00Z", "2026-02-29T12:00:00Z", "2026-11-26T12:05:00.0000000001Z",
		"2026-11-26 12:05:00Z", "https://a`b/", "https://[::1]/", "https://h:80/x", "https://h:/", "https://:80/", "https://h:8a/",
		"https://例え.jp/", "https://%E4%BE%8B.jp/", "https://h/%4", "https://h/?q=%zz", "https://h#%", "HTTP://h/", "https://h?x@y",
		"https://h/p@q", "https://a:b@h/", "endorsement.recorded", "target.set", "party.enrolled", "network.genesis", "-us", "a-"}
	for _, r := range refs {
		strs = append(strs, r)
	}
	nums := []any{json.Number("0"), json.Number("-1"), json.Number("2"), json.Number("18446744073709551616"), json.Number("1"), json.Number("3"), json.Number("4"), json.Number("1989"),
		json.Number("1990"), json.Number("2100"), json.Number("2101"), json.Number("1.5"), json.Number("0.001"),
		json.Number("1.2345"), json.Number("1e3"), json.Number("-0"), json.Number("100"), json.Number("100.001"),
		json.Number("2030"), json.Number("999999999999999.999"), json.Number("1000000000000000")}
	others := []any{true, false, []any{}, map[string]any{}, []any{"x"}, []any{json.Number("1")}}

	var out [][]byte
	emit := func() {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(root); err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
	}
	try := func(set func(any), orig any, values []any) {
		for _, v := range values {
			set(v)
			emit()
		}
		set(orig)
	}
	var walk func(node any, set func(any))
	walk = func(node any, set func(any)) {
		switch n := node.(type) {
		case map[string]any:
			n["zz"] = json.Number("1")
			emit()
			delete(n, "zz")
			keys := make([]string, 0, len(n))
			for k := range n {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				v := n[k]
				delete(n, k)
				emit()
				n[k] = v
				walk(v, func(x any) { n[k] = x })
			}
		case []any:
			for _, alt := range [][]any{{}, n[min(1, len(n)):], append(slices.Clone(n), n[0])} {
				set(alt)
				emit()
			}
			set(n)
			for i := range n {
				walk(n[i], func(x any) { n[i] = x })
			}
		case string:
			try(set, n, append(strs, nums[2], others[2]))
		case json.Number:
			try(set, n, append(nums, "1", others[0]))
		case bool:
			try(set, n, []any{!n, "true", json.Number("1")})
		}
	}
	walk(root, func(any) {})
	return out
}
