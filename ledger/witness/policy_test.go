package witness_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

// testWitnessKey is a witness key made for policy tests (no server).
type testWitnessKey struct {
	signer   *witness.Signer
	verifier note.Verifier
	id       string
}

func newTestWitnessKey(t testing.TB, name string) testWitnessKey {
	t.Helper()
	skey, vkey, err := witness.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := witness.ParseSignerKey(skey)
	if err != nil {
		t.Fatal(err)
	}
	v := witnessVerifier(t, vkey)
	return testWitnessKey{s, v, witness.KeyID(v)}
}

// cosign returns k's cosignature line on the signed checkpoint cp.
func (k testWitnessKey) cosign(t testing.TB, cp []byte) []byte {
	t.Helper()
	text, _, _ := bytes.Cut(cp, []byte("\n\n"))
	signed, err := note.Sign(&note.Note{Text: string(text) + "\n"}, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed[len(text)+2:]
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestPolicy(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2, w3 := newTestWitnessKey(t, "w1.example.org"), newTestWitnessKey(t, "w2.example.org"), newTestWitnessKey(t, "w3.example.org")
	impostor := newTestWitnessKey(t, "w2.example.org") // w2's name, another key
	cp := log.checkpoint(t, 9)
	l1, l2, l3, lImp := w1.cosign(t, cp), w2.cosign(t, cp), w3.cosign(t, cp), impostor.cosign(t, cp)
	otherCP := log.checkpoint(t, 10)
	l2other := w2.cosign(t, otherCP) // w2's valid line, for another checkpoint

	pol, err := witness.NewPolicy(log.verifier, []note.Verifier{w1.verifier, w2.verifier}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if pol.Quorum() != 2 || pol.Log() != log.verifier || len(pol.Witnesses()) != 2 {
		t.Errorf("accessors: %d %v %d", pol.Quorum(), pol.Log(), len(pol.Witnesses()))
	}

	t.Run("quorum", func(t *testing.T) {
		for _, signed := range [][]byte{cat(cp, l1, l2), cat(cp, l2, l1), cat(cp, l3, l2, lImp, l1)} {
			r, err := pol.Check(signed)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if r.Checkpoint.Size != 9 || r.Checkpoint.Root != log.root(t, 9) || r.Quorum != 2 || len(r.Missing) != 0 {
				t.Errorf("Result = %+v", r)
			}
			if len(r.Cosigned) != 2 || r.Cosigned[0].Key != w1.id || r.Cosigned[1].Key != w2.id || r.Cosigned[0].Witness != "w1.example.org" {
				t.Errorf("Cosigned = %+v, want w1 then w2 (policy order)", r.Cosigned)
			}
			for _, c := range r.Cosigned {
				if d := time.Since(c.Time); d < -time.Minute || d > time.Minute || c.Time.Location() != time.UTC {
					t.Errorf("cosignature time %v is not now in UTC", c.Time)
				}
			}
			if got, want := r.Summary(), "cosigned by w1.example.org and w2.example.org (2 of 2 required)"; got != want {
				t.Errorf("Summary() = %q, want %q", got, want)
			}
		}
	})

	quorumError := func(t *testing.T, signed []byte, wantSigned, wantMissing []string) {
		t.Helper()
		r, err := pol.Check(signed)
		var qe *witness.QuorumError
		if !errors.As(err, &qe) || !errors.Is(err, witness.ErrQuorum) {
			t.Fatalf("Check: %v, want a *QuorumError", err)
		}
		if qe.Size != 9 || qe.Want != 2 || !reflect.DeepEqual(qe.Signed, wantSigned) || !reflect.DeepEqual(qe.Missing, wantMissing) {
			t.Errorf("QuorumError = %+v, want Signed %v Missing %v", qe, wantSigned, wantMissing)
		}
		_, missing, _ := strings.Cut(err.Error(), "; missing ")
		for _, id := range wantMissing {
			if !strings.Contains(missing, id) {
				t.Errorf("error %q does not name the missing %s", err, id)
			}
		}
		if r == nil || len(r.Cosigned) != len(wantSigned) || !reflect.DeepEqual(r.Missing, wantMissing) {
			t.Errorf("Result with the error = %+v", r)
		}
	}
	t.Run("one of two", func(t *testing.T) {
		quorumError(t, cat(cp, l1), []string{w1.id}, []string{w2.id})
		quorumError(t, cat(cp, l2), []string{w2.id}, []string{w1.id})
		quorumError(t, cp, nil, []string{w1.id, w2.id})
	})
	t.Run("outside key not counted", func(t *testing.T) {
		quorumError(t, cat(cp, l1, l3), []string{w1.id}, []string{w2.id})
		// w2's name with another key: not w2.
		quorumError(t, cat(cp, l1, lImp), []string{w1.id}, []string{w2.id})
		// A broken line by a key outside the policy is ignored, not an error.
		quorumError(t, flipSignature(t, cat(cp, l1, l3), -1, 0), []string{w1.id}, []string{w2.id})
		// A line whose key hash no longer names w2 is someone else's.
		quorumError(t, flipSignature(t, cat(cp, l1, l2), -1, 8+64+3), []string{w1.id}, []string{w2.id})
	})
	t.Run("same witness twice counts once", func(t *testing.T) {
		quorumError(t, cat(cp, l1, l1), []string{w1.id}, []string{w2.id})
		// note.Open keeps the first line per key: a second, broken line by w1 is dropped.
		quorumError(t, cat(cp, l1, flipSignature(t, cat(cp, l1), 1, 0)[len(cp):]), []string{w1.id}, []string{w2.id})
	})
	t.Run("bad cosignature", func(t *testing.T) {
		for name, signed := range map[string][]byte{
			"signature byte":   flipSignature(t, cat(cp, l1, l2), -1, 0),
			"first byte":       flipSignature(t, cat(cp, l1, l2), -1, 63),
			"timestamp":        flipSignature(t, cat(cp, l1, l2), -1, 64),
			"other checkpoint": cat(cp, l1, l2other),
		} {
			_, err := pol.Check(signed)
			var ce *witness.CosignatureError
			if !errors.As(err, &ce) || !errors.Is(err, witness.ErrBadCosignature) || ce.Key != w2.id {
				t.Errorf("%s: Check: %v, want a *CosignatureError for %s", name, err, w2.id)
			}
		}
	})
	t.Run("log signature", func(t *testing.T) {
		forger := newTestLog(t, "example.com/log")
		fcp := forger.checkpoint(t, 9)
		if _, err := pol.Check(cat(fcp, w1.cosign(t, fcp), w2.cosign(t, fcp))); !errors.Is(err, proof.ErrUnknownKey) {
			t.Errorf("forged log signature: %v, want proof.ErrUnknownKey", err)
		}
		if _, err := pol.Check(cat(flipSignature(t, cp, 0, 0), l1, l2)); !errors.Is(err, proof.ErrBadSignature) {
			t.Errorf("altered log signature: %v, want proof.ErrBadSignature", err)
		}
		// A witness line is not a log signature.
		if _, err := pol.Check(cat(bytes.TrimSuffix(cp, cp[bytes.Index(cp, []byte("\n\n"))+2:]), l1, l2)); !errors.Is(err, proof.ErrUnknownKey) {
			t.Errorf("cosignatures without the log signature: %v, want proof.ErrUnknownKey", err)
		}
	})
	t.Run("quorum 0", func(t *testing.T) {
		p0, err := witness.NewPolicy(log.verifier, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := p0.Check(cat(cp, l1)); err != nil || len(r.Cosigned) != 0 {
			t.Errorf("quorum 0: %+v, %v", r, err)
		}
	})
}

func TestNewPolicyErrors(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	w1, w2 := newTestWitnessKey(t, "w1.example.org"), newTestWitnessKey(t, "w2.example.org")
	w1again := witnessVerifier(t, w1.signer.VerifierKey)
	for _, tc := range []struct {
		name   string
		log    note.Verifier
		ws     []note.Verifier
		quorum int
		want   string
	}{
		{"quorum above n", log.verifier, []note.Verifier{w1.verifier, w2.verifier}, 3, "quorum 3 is not between 0 and the 2 witness keys given"},
		{"negative quorum", log.verifier, []note.Verifier{w1.verifier}, -1, "quorum -1 is not between 0"},
		{"no witnesses, quorum 1", log.verifier, nil, 1, "quorum 1 is not between 0 and the 0"},
		{"duplicate key", log.verifier, []note.Verifier{w1.verifier, w2.verifier, w1again}, 2, "key " + w1.id + " is given twice"},
		{"log key as witness", log.verifier, []note.Verifier{w1.verifier, log.verifier}, 1, "is given twice (or is the log key)"},
		{"no log key", nil, []note.Verifier{w1.verifier}, 1, "no log key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := witness.NewPolicy(tc.log, tc.ws, tc.quorum)
			if err == nil {
				t.Fatalf("NewPolicy accepted it: %+v", p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	// The policy keeps its own copy of the keys.
	ws := []note.Verifier{w1.verifier, w2.verifier}
	p, err := witness.NewPolicy(log.verifier, ws, 2)
	if err != nil {
		t.Fatal(err)
	}
	ws[1] = w1.verifier
	if witness.KeyID(p.Witnesses()[1]) != w2.id {
		t.Error("NewPolicy kept the caller's slice")
	}
}
