package events_test

import (
	"crypto/ed25519"
	"slices"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// The benchmarks compare the package's cost per event with the bare Ed25519 operation
// it cannot avoid. Each iteration runs the package's operation and then the raw one,
// timing both, so that both see the same machine (its cores are shared and often
// busy): ns/op is the package's operation alone, raw-ns/op the raw one, and
// "ratio-to-raw" is raw ÷ ours (1.0: the format costs nothing on top of the
// signature; the target for ParseVerify is ≥ 0.85 per core). The ratio is the median
// over batches of 16 iterations, so that a burst of load on the machine that hits one
// side of a few batches does not move it. Run with
//
//	go test ./events -run '^$' -bench 'SignMarshal|ParseVerify' -count 5
//
// and quote the medians.

// interleave runs ours and raw b.N times each, alternating, and reports ns/op (ours),
// raw-ns/op and ratio-to-raw.
func interleave(b *testing.B, ours, raw func()) {
	const batch = 16
	b.ResetTimer()
	var tOurs, tRaw, bOurs, bRaw time.Duration
	var ratios []float64
	for i := range b.N {
		t0 := time.Now()
		ours()
		t1 := time.Now()
		raw()
		t2 := time.Now()
		bOurs += t1.Sub(t0)
		bRaw += t2.Sub(t1)
		if (i+1)%batch == 0 || i == b.N-1 {
			ratios = append(ratios, float64(bRaw)/float64(bOurs))
			tOurs, tRaw, bOurs, bRaw = tOurs+bOurs, tRaw+bRaw, 0, 0
		}
	}
	b.StopTimer()
	slices.Sort(ratios)
	n := float64(b.N)
	b.ReportMetric(float64(tOurs.Nanoseconds())/n, "ns/op")
	b.ReportMetric(float64(tRaw.Nanoseconds())/n, "raw-ns/op")
	b.ReportMetric(ratios[len(ratios)/2], "ratio-to-raw")
}

// benchNetwork is a network with California enrolled, and the drafts benchmarked on
// its chain.
func benchNetwork() (*eventtest.Network, map[string]events.Body) {
	n := eventtest.New("bench", "")
	n.Enroll("us-ca", "California", "加利福尼亚州", "US", "state")
	d := func(s string) *events.Decimal { v := events.MustDecimal(s); return &v }
	bodies := map[string]events.Body{
		"endorsement": &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15",
			TargetWording: "Reduce greenhouse gas emissions to 40 percent below 1990 levels by 2030."},
		"inventory": &events.InventoryBody{Year: 2015, Framework: "GPC", Level: "BASIC", GWP: "AR5",
			Lines: []events.InventoryLine{
				{GPCRef: "I.1.1", Scope: 1, Gas: "CO2", TCO2e: d("1234.5"), Quality: "H"},
				{GPCRef: "I.1.2", Scope: 2, Gas: "CO2e", TCO2e: d("800.25"), Quality: "M"},
				{GPCRef: "II.1.1", Scope: 1, Gas: "CO2", TCO2e: d("2000"), Quality: "M"},
				{GPCRef: "II.1.1", Scope: 1, Gas: "CH4", TCO2e: d("1.125"), Quality: "L"},
				{GPCRef: "III.1.2", Scope: 3, Gas: "CH4", TCO2e: d("45"), Quality: "L"},
				{GPCRef: "I.7.1", Scope: 1, Gas: "CH4", Notation: "NO", Explanation: "No coal mining within the boundary."},
				{GPCRef: "I.8.1", Scope: 1, Gas: "CH4", Notation: "IE", Explanation: "Included in I.4.1."},
			},
			TotalTCO2e: d("4080.875"), Source: &events.DocumentRef{URL: "https://example.org/inventories/2015.pdf"}},
	}
	return n, bodies
}

// BenchmarkSignMarshal measures what a client does per event: Draft.Marshal (which
// also validates the payload and body) and Sign (DSSE PAE, one Ed25519 signature, the
// stored form). Raw is ed25519.Sign of the same PAE.
func BenchmarkSignMarshal(b *testing.B) {
	n, bodies := benchNetwork()
	key := n.Parties["us-ca"].Keys[0]
	priv := ed25519.NewKeyFromSeed(key.Seed())
	for _, name := range []string{"endorsement", "inventory"} {
		b.Run(name, func(b *testing.B) {
			d := n.Draft("us-ca", bodies[name].EventType(), bodies[name])
			payload, err := d.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			pae := events.PAE(events.PayloadType, payload)
			interleave(b, func() {
				p, err := d.Marshal()
				if err != nil {
					b.Fatal(err)
				}
				events.Sign(p, key)
			}, func() { ed25519.Sign(priv, pae) })
		})
	}
}

// BenchmarkParseVerify measures what a verifier does per event: ParseEntry (stored
// form, strict payload and body decoding and validation) and Registry.Check (every
// replay rule, with the Ed25519 verification it makes). Raw is ed25519.Verify of the
// same signature over the same PAE.
func BenchmarkParseVerify(b *testing.B) {
	n, bodies := benchNetwork()
	key := n.Parties["us-ca"].Keys[0]
	reg, findings := n.Replay()
	for i, f := range findings {
		if f != nil {
			b.Fatalf("entry %d: %v", i, f)
		}
	}
	for _, name := range []string{"endorsement", "inventory"} {
		b.Run(name, func(b *testing.B) {
			d := n.Draft("us-ca", bodies[name].EventType(), bodies[name])
			payload, err := d.Marshal()
			if err != nil {
				b.Fatal(err)
			}
			entry := events.Sign(payload, key)
			e, err := events.ParseEntry(entry)
			if err != nil {
				b.Fatal(err)
			}
			if f := reg.Check(e); f != nil {
				b.Fatal(f)
			}
			pae, sig, pub := events.PAE(events.PayloadType, payload), e.Signatures[0].Sig, key.Public()
			interleave(b, func() {
				e, err := events.ParseEntry(entry)
				if err != nil {
					b.Fatal(err)
				}
				if f := reg.Check(e); f != nil {
					b.Fatal(f)
				}
			}, func() {
				if !ed25519.Verify(pub, pae, sig) {
					b.Fatal("raw verify failed")
				}
			})
		})
	}
}
