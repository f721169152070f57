package demo_test

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/demo"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// The demo network as committed: these numbers are in README.md and in the summary
// `climateledger serve --demo` prints; change them together.
const (
	wantParties = 51
	wantEvents  = 196
)

func TestNetworkData(t *testing.T) {
	n, err := demo.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(n.Parties); got != wantParties {
		t.Errorf("parties: got %d, want %d", got, wantParties)
	}
	if got := n.EventCount(); got != wantEvents {
		t.Errorf("events: got %d, want %d", got, wantEvents)
	}
	want := map[string]int{
		events.TypePartyEnrolled:     51,
		events.TypeTargetSet:         80,
		events.TypeInventoryReported: 43,
		events.TypePlanPublished:     19,
		events.TypePartnership:       2,
		events.TypeAttestation:       1,
	}
	got := n.Counts()
	for typ, w := range want {
		if got[typ] != w {
			t.Errorf("%s: got %d, want %d", typ, got[typ], w)
		}
	}
	for _, p := range n.Parties {
		if p.Enrolment.Kind == events.KindJurisdiction && (p.Enrolment.Names["en"] == "" || p.Enrolment.Names["zh"] == "") {
			t.Errorf("%s: want names in English and Chinese, got %v", p.ID, p.Enrolment.Names)
		}
		for i, e := range p.Events {
			// Every figure keeps its source (TestProvenance checks the URL and quote).
			if !strings.Contains(string(e.Body), `"source"`) && !strings.Contains(string(e.Body), `"document"`) {
				t.Errorf("%s events[%d] %s: no source or document", p.ID, i, e.Type)
			}
		}
	}
	// Who endorsed: the 29 signatories of 2015 (Pinecrest's signature is U, so it is
	// a participant), the 19 named participants of 2016 and Pinecrest without an
	// endorsement, and Chengdu enrolled without either.
	groups := map[string]int{}
	for _, p := range n.Parties {
		switch {
		case p.Enrolment.Kind != events.KindJurisdiction:
		case len(p.Enrolment.Endorsements) > 0:
			groups["endorser"]++
		case len(p.Enrolment.Participations) > 0:
			groups["participant"]++
		default:
			groups["none"]++
		}
	}
	if groups["endorser"] != 29 || groups["participant"] != 20 || groups["none"] != 1 {
		t.Errorf("standing: got %v, want 29 endorsers, 20 participants, 1 without", groups)
	}
	if v := n.Party(demo.VerifierID); v == nil || !strings.Contains(v.Enrolment.Names["en"], "demo") {
		t.Errorf("the verifier must be named as a demo: %+v", v)
	}
}

func TestParseRejectsUncertain(t *testing.T) {
	b := []byte(`{"about":"x","compiled_from":"x","parties":[
	 {"id":"demo-verifier","confidence":"fictitious","enrolment":{"kind":"verifier","names":{"en":"Demo"}},"events":[]},
	 {"id":"us-ca","confidence":"V","enrolment":{"kind":"jurisdiction","names":{"en":"California"},"country":"US","level":"state"},
	  "events":[{"type":"target.set","confidence":"U","body":{"target_id":"x","type":"peak","peak_year":2030,"qualifier":"by","legal_status":"pledge"}}]}],
	 "partnerships":[],"attestations":[]}`)
	_, err := demo.Parse(b)
	if err == nil || !strings.Contains(err.Error(), "uncertain") {
		t.Fatalf("Parse: got %v, want an error about an uncertain figure", err)
	}
}

// seed runs Seed with a fresh key directory under dir.
func seed(t *testing.T, node *ledger.Node, keyDir string, now func() time.Time) (*demo.Summary, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return demo.Seed(ctx, node, demo.Config{KeyDir: keyDir, Now: now})
}

func TestSeed(t *testing.T) {
	node, _ := ledgertest.Open(t, "")
	keyDir := t.TempDir() + "/demo-keys"
	sum, err := seed(t, node, keyDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sum)
	if sum.Submitted != wantEvents || sum.Events != wantEvents || sum.AlreadySeeded || sum.Resumed {
		t.Errorf("summary: got %+v, want %d events submitted", sum, wantEvents)
	}
	if sum.Parties != wantParties || sum.Jurisdictions != wantParties-1 || sum.Verifiers != 1 {
		t.Errorf("summary parties: got %d (%d jurisdictions, %d verifiers)", sum.Parties, sum.Jurisdictions, sum.Verifiers)
	}
	if got, want := node.Applied(), uint64(1+wantEvents); got != want {
		t.Errorf("log size: got %d, want %d (genesis + demo events)", got, want)
	}
	rj, err := node.Rejections(0, node.Applied())
	if err != nil {
		t.Fatal(err)
	}
	if len(rj) != 0 {
		t.Errorf("rejections: got %d, want 0: %+v", len(rj), rj)
	}
	var parties []string
	node.View(func(reg *events.Registry, _ uint64) { parties = reg.Parties() })
	if got, want := len(parties), 1+wantParties; got != want {
		t.Errorf("parties in the registry: got %d %v, want %d", got, parties, want)
	}

	// Every party has a 0600 key file that is its registered key.
	keys := map[string]*events.Signer{}
	for _, id := range []string{"us-ca", "uslax", "cnszx", "cn-bj", demo.VerifierID} {
		path := demo.KeyPath(keyDir, id)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		k, err := events.ParseKeyFile(b)
		if err != nil {
			t.Fatal(err)
		}
		keys[id] = k
		node.View(func(reg *events.Registry, _ uint64) {
			if ks := reg.Key(k.KeyID()); ks == nil || ks.Owner != id || !ks.Active() {
				t.Errorf("%s: key %s is not an active key of the party", id, k.KeyID())
			}
		})
	}

	// The LA–Shenzhen MOU is on Los Angeles's chain, signed by both cities.
	var mou *events.Entry
	var attestation *events.AttestationBody
	for _, raw := range ledgertest.Entries(t, node) {
		e, err := events.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := e.Body.(*events.PartnershipBody); ok && b.PartnershipID == "la-shenzhen-mou-2015" {
			mou = e
		}
		if b, ok := e.Body.(*events.AttestationBody); ok {
			attestation = b
		}
	}
	if mou == nil {
		t.Fatal("no la-shenzhen-mou-2015 partnership in the log")
	}
	if mou.Payload.Party != "uslax" {
		t.Errorf("MOU on chain %s, want uslax", mou.Payload.Party)
	}
	signed := map[string]bool{}
	for _, s := range mou.Signatures {
		signed[s.KeyID] = true
	}
	if !signed[keys["uslax"].KeyID()] || !signed[keys["cnszx"].KeyID()] || len(mou.Signatures) != 2 {
		t.Errorf("MOU signatures: got %d %v, want uslax's and cnszx's", len(mou.Signatures), signed)
	}
	if attestation == nil || attestation.Opinion != "disclaimer" {
		t.Errorf("attestation: got %+v, want the demo verifier's disclaimer", attestation)
	}

	// Seeding again is a no-op.
	applied := node.Applied()
	sum, err = seed(t, node, keyDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.AlreadySeeded || sum.Submitted != 0 || node.Applied() != applied {
		t.Errorf("second Seed: got %+v and log size %d, want a no-op at %d", sum, node.Applied(), applied)
	}
	if !strings.HasPrefix(sum.String(), "demo: already seeded") {
		t.Errorf("summary line: %q", sum)
	}
}

// TestSeedResume interrupts seeding (the gate refuses an event whose time is off) and
// checks that the next Seed completes it with the same keys.
func TestSeedResume(t *testing.T) {
	for _, stopAfter := range []int64{20, wantEvents - 1} {
		t.Run("", func(t *testing.T) {
			node, _ := ledgertest.Open(t, "")
			keyDir := t.TempDir()
			var calls atomic.Int64
			skewed := func() time.Time {
				if calls.Add(1) > stopAfter {
					return time.Now().Add(time.Hour)
				}
				return time.Now()
			}
			if _, err := seed(t, node, keyDir, skewed); events.CodeOf(err) != ledger.CodeClockSkew {
				t.Fatalf("interrupted Seed: got %v, want a clock_skew rejection", err)
			}
			if got := node.Applied(); got != uint64(1+stopAfter) {
				t.Fatalf("log size after interruption: got %d, want %d", got, 1+stopAfter)
			}
			sum, err := seed(t, node, keyDir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sum.Resumed || sum.Submitted != wantEvents-int(stopAfter) {
				t.Errorf("resumed Seed: got %+v, want %d submitted", sum, wantEvents-int(stopAfter))
			}
			if got := node.Applied(); got != uint64(1+wantEvents) {
				t.Errorf("log size: got %d, want %d", got, 1+wantEvents)
			}
			if rj, _ := node.Rejections(0, node.Applied()); len(rj) != 0 {
				t.Errorf("rejections: %+v", rj)
			}
		})
	}
}

// TestSeedSkipsUsedLog: a log with other parties is not seeded.
func TestSeedSkipsUsedLog(t *testing.T) {
	node, net := ledgertest.Open(t, "")
	net.Enroll("usden", "Denver", "", "US", "city") // not a demo party
	if _, _, err := node.Submit(context.Background(), net.Entries[len(net.Entries)-1]); err != nil {
		t.Fatal(err)
	}
	sum, err := seed(t, node, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Skipped == "" || sum.Submitted != 0 || node.Applied() != 2 {
		t.Errorf("got %+v with log size %d, want a skip", sum, node.Applied())
	}
}
