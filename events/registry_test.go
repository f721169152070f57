package events_test

import (
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// buildNetwork returns a small valid network: genesis, two jurisdictions, a verifier.
func buildNetwork(t *testing.T) *eventtest.Network {
	t.Helper()
	n := eventtest.New("registry-test", "")
	n.Enroll("us-ca", "California", "加利福尼亚州", "US", "state")
	n.Enroll("cnszx", "Shenzhen", "深圳市", "CN", "city")
	n.EnrollVerifier("verifier-a", "Verifier A")
	return n
}

func TestReplayValidNetwork(t *testing.T) {
	n := buildNetwork(t)
	reg, findings := n.Replay()
	for i, f := range findings {
		if f != nil {
			t.Fatalf("entry %d: %v", i, f)
		}
	}
	if got, want := reg.Applied(), uint64(4); got != want {
		t.Fatalf("Applied() = %d, want %d", got, want)
	}
	ca := reg.Party("us-ca")
	if ca == nil || ca.Seq != 1 || ca.Kind != events.KindJurisdiction || ca.Head != n.Hashes[1] {
		t.Fatalf("Party(us-ca) = %+v, want seq 1 kind jurisdiction head %s", ca, n.Hashes[1])
	}
	if got := reg.Parties(); len(got) != 4 || got[0] != "network" || got[3] != "verifier-a" {
		t.Fatalf("Parties() = %v", got)
	}
}

func TestReplayRules(t *testing.T) {
	caKey := func(n *eventtest.Network) *events.Signer { return n.Parties["us-ca"].Keys[0] }
	tests := []struct {
		name  string
		build func(n *eventtest.Network)
		want  events.Code
	}{
		{"signed by another party's key", func(n *eventtest.Network) {
			n.Append("us-ca", &events.RetractionBody{EventID: n.IDs[1], Reason: "x"}, n.Parties["cnszx"].Keys[0])
		}, events.CodeKeyNotAuthorized},
		{"attestation from a jurisdiction", func(n *eventtest.Network) {
			n.Append("us-ca", &events.AttestationBody{Subject: events.Subject{EventID: n.IDs[1], Hash: n.Hashes[1].String()}, Standard: "ISO 14064-3:2019", Assurance: "limited", Opinion: "unmodified"}, caKey(n))
		}, events.CodeNotPermitted},
		{"revoked key signs after revocation", func(n *eventtest.Network) {
			k2 := eventtest.Key(n.Seed, "us-ca-2")
			n.Append("us-ca", &events.KeyAddedBody{Key: k2.Ref()}, caKey(n), k2)
			n.Append("us-ca", &events.KeyRevokedBody{KeyID: caKey(n).KeyID(), Reason: "rotated"}, k2)
			n.Append("us-ca", &events.TargetWithdrawnBody{TargetID: "t1", Reason: "x"}, caKey(n))
		}, events.CodeKeyRevoked},
		{"missing partner signature", func(n *eventtest.Network) {
			n.Append("us-ca", &events.PartnershipBody{PartnershipID: "p1", Partners: []string{"us-ca", "cnszx"}, Instrument: "mou", Topics: []string{"ports"}, Signed: "2015-09-15"}, caKey(n))
		}, events.CodeMissingPartnerSignature},
		{"retract an event of another party", func(n *eventtest.Network) {
			n.Append("us-ca", &events.RetractionBody{EventID: n.IDs[2], Reason: "x"}, caKey(n))
		}, events.CodeBadReference},
		{"enrol without registrar", func(n *eventtest.Network) {
			k := eventtest.Key(n.Seed, "uslax")
			n.Append("uslax", &events.EnrolledBody{Kind: "jurisdiction", Names: map[string]string{"en": "Los Angeles"}, Country: "US", Level: "city", Keys: []events.PublicKeyRef{k.Ref()}}, k)
		}, events.CodeKeyNotAuthorized},
		{"revoke the last key", func(n *eventtest.Network) {
			n.Append("us-ca", &events.KeyRevokedBody{KeyID: caKey(n).KeyID(), Reason: "x"}, caKey(n))
		}, events.CodeNotPermitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := buildNetwork(t)
			tt.build(n)
			_, findings := n.Replay()
			for i, f := range findings[:len(findings)-1] {
				if f != nil {
					t.Fatalf("entry %d: unexpected finding %v", i, f)
				}
			}
			last := findings[len(findings)-1]
			if last == nil || last.Code != tt.want {
				t.Fatalf("last entry: got %v, want code %s", last, tt.want)
			}
		})
	}
}
