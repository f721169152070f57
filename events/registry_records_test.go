package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// normalized returns a copy of r's state comparable with reflect.DeepEqual.
func normalized(r *Registry) Registry {
	c := *r
	c.touch = touched{}
	c.parties = map[string]*PartyState{}
	for id, ps := range r.parties {
		p := *ps
		p.Time = p.Time.UTC()
		if len(p.Keys) == 0 {
			p.Keys = nil
		}
		c.parties[id] = &p
	}
	return c
}

// TestRegistryRecordsRoundTrip replays every test vector and, after each entry,
// rebuilds the registry twice — from all its records, and from the records Changes
// returned along the way — and checks that both equal the replayed one and judge the
// next entry (valid or not) the same way.
func TestRegistryRecordsRoundTrip(t *testing.T) {
	paths, err := filepath.Glob("../testdata/vectors/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, p := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(p), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var v struct{ Entries []string }
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			reg := NewRegistry()
			incremental := map[string][]byte{}
			for i, raw := range v.Entries {
				e, err := ParseEntry([]byte(raw))
				if err != nil {
					reg.Skip()
				} else {
					reg.Apply(e)
				}
				for _, rec := range reg.Changes() {
					incremental[string(rec.Key)] = rec.Value
				}
				full := NewRegistryLoader(0)
				for k, v := range reg.Records() {
					if err := full.Add(k, v); err != nil {
						t.Fatalf("entry %d: full: %v", i, err)
					}
				}
				inc := NewRegistryLoader(0)
				for k, v := range incremental {
					if err := inc.Add([]byte(k), v); err != nil {
						t.Fatalf("entry %d: incremental: %v", i, err)
					}
				}
				for name, l := range map[string]*RegistryLoader{"full": full, "incremental": inc} {
					got, err := l.Registry(reg.Applied())
					if err != nil {
						t.Fatalf("entry %d: %s: %v", i, name, err)
					}
					if g, w := normalized(got), normalized(reg); !reflect.DeepEqual(g, w) {
						t.Fatalf("entry %d: %s load differs:\n got %s\nwant %s", i, name, got, reg)
					}
					if i+1 < len(v.Entries) {
						if next, err := ParseEntry([]byte(v.Entries[i+1])); err == nil {
							if g, w := got.Check(next), reg.Check(next); !reflect.DeepEqual(g, w) {
								t.Fatalf("entry %d: %s load judges the next entry %v, the replayed registry %v", i, name, g, w)
							}
						}
					}
				}
			}
		})
	}
}

// TestRegistryLoaderRefusesBadRecords: a truncated or inconsistent record set is
// refused, never half-loaded.
func TestRegistryLoaderRefusesBadRecords(t *testing.T) {
	cases := map[string][2][]byte{
		"truncated party":  {[]byte("pus-ca"), {recordVersion, 0}},
		"unknown version":  {[]byte("kabc"), {9}},
		"unknown kind":     {[]byte("zabc"), {recordVersion}},
		"short event id":   {[]byte("eabc"), {recordVersion}},
		"bad genesis JSON": {[]byte("g"), []byte("{")},
	}
	for name, c := range cases {
		l := NewRegistryLoader(0)
		if err := l.Add(c[0], c[1]); err == nil {
			t.Errorf("%s: Add accepted it", name)
		}
		if _, err := l.Registry(1); err == nil {
			t.Errorf("%s: Registry built after a bad record", name)
		}
	}
	// A key of a chain that has no record.
	l := NewRegistryLoader(0)
	k := keyRecord(&KeyState{Owner: "nobody", Public: make([]byte, 32)})
	if err := l.Add([]byte("kkey1"), k); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Registry(1); err == nil {
		t.Error("Registry accepted a key of an unknown chain")
	}
}
