package audit_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

// The Node.js verifier, written from docs/SPEC.md alone (docs/verifiers/node).
const (
	nodeVerifyScript     = "../../docs/verifiers/node/verify.mjs"
	nodeCheckpointScript = "../../docs/verifiers/node/checkpoint.mjs"
)

// goVerdict is the verdict of witness.Policy.Check in the Node verifier's closed set.
func goVerdict(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, witness.ErrQuorum):
		return "quorum"
	case errors.Is(err, witness.ErrBadCosignature):
		return "bad_cosignature"
	case errors.Is(err, proof.ErrUnknownKey):
		return "log_unknown_key"
	case errors.Is(err, proof.ErrBadSignature):
		return "log_bad_signature"
	case errors.Is(err, proof.ErrOriginMismatch):
		return "origin_mismatch"
	case errors.Is(err, proof.ErrMalformed):
		return "malformed"
	}
	return "unexpected error: " + err.Error()
}

// nodeCheckpointVerdicts runs the Node verifier's --checkpoint-cases over cps under the
// policy (log key, witness keys, quorum) and returns its verdicts. It skips the test
// when node is not installed, unless CI=true.
func nodeCheckpointVerdicts(t *testing.T, logKey string, witnesses []string, quorum int, cps [][]byte) []string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH, and CI=true: the independent verifier must run in CI")
		}
		t.Skip("node is not on PATH")
	}
	for _, p := range []string{nodeVerifyScript, nodeCheckpointScript} {
		if _, err := os.ReadFile(p); err != nil { // read, so that go test's cache sees changes
			t.Fatal(err)
		}
	}
	in := struct {
		LogKey      string   `json:"log_key"`
		Witnesses   []string `json:"witnesses"`
		Quorum      int      `json:"quorum"`
		Checkpoints []string `json:"checkpoints"`
	}{LogKey: logKey, Witnesses: witnesses, Quorum: quorum}
	for _, cp := range cps {
		in.Checkpoints = append(in.Checkpoints, base64.StdEncoding.EncodeToString(cp))
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, nodeVerifyScript, "--checkpoint-cases", file).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("node verifier: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("node verifier: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(cps) {
		t.Fatalf("node answered %d cases, want %d", len(got), len(cps))
	}
	return got
}

// TestNodeVerifierWitnesses runs the Node.js verifier on cosigned checkpoints and
// compares its verdicts with witness.Policy.Check: named cases (two valid
// cosignatures pass quorum 2; one removed, one byte flipped, or a cosignature by a key
// outside the policy in its place fail), then every single-byte mutation of a good
// checkpoint, under quorum 2 and quorum 1.
func TestNodeVerifierWitnesses(t *testing.T) {
	a, b, c := newTestWitness(t, "a.witness.example"), newTestWitness(t, "b.witness.example"), newTestWitness(t, "c.witness.example")
	entries := testNetwork().Entries
	plain := signCheckpoint(t, testSigner(t), uint64(len(entries)), rootOf(entries))
	good := cosign(t, plain, a, b)
	other, _ := otherSigner(t)

	named := []struct {
		name string
		cp   []byte
		want string // under "a and b, quorum 2"
	}{
		{"two valid cosignatures", good, "ok"},
		{"one removed", cosign(t, plain, a), "quorum"},
		{"one byte of a cosignature flipped", flipCosignature(t, good, b), "bad_cosignature"},
		{"a cosignature by a key outside the policy is not counted", cosign(t, plain, a, c), "quorum"},
		{"the outside cosignature does not replace a policy witness", cosign(t, plain, c, a), "quorum"},
		{"three, one outside the policy", cosign(t, plain, c, b, a), "ok"},
		{"a duplicated line counts once", cosign(t, plain, a, a), "quorum"},
		{"a later altered duplicate is ignored", append(cosign(t, plain, a, b), flipCosignature(t, cosign(t, plain, b), b)[len(plain):]...), "ok"},
		{"no log signature", cosign(t, signCheckpoint(t, other, 12, rootOf(entries)), a, b), "log_unknown_key"},
		{"log signature only", plain, "quorum"},
		{"checkpoint text altered", bytes.Replace(good, []byte("\n12\n"), []byte("\n13\n"), 1), "log_bad_signature"},
	}
	policy := func(quorum int) *witness.Policy {
		t.Helper()
		lv, err := proof.ParseVerifierKey(eventtest.TestLogVerifierKey)
		if err != nil {
			t.Fatal(err)
		}
		var vs []note.Verifier
		for _, w := range []*testWitness{a, b} {
			v, err := witness.ParseVerifierKey(w.vkey)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		p, err := witness.NewPolicy(lv, vs, quorum)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	var cps [][]byte
	for _, n := range named {
		cps = append(cps, n.cp)
	}
	mutants := checkpointMutants(good)
	cps = append(cps, mutants...)
	for _, quorum := range []int{2, 1} {
		p := policy(quorum)
		got := nodeCheckpointVerdicts(t, eventtest.TestLogVerifierKey, []string{a.vkey, b.vkey}, quorum, cps)
		for i, n := range named {
			_, err := p.Check(n.cp)
			if want := goVerdict(err); got[i] != want || (quorum == 2 && want != n.want) {
				t.Errorf("quorum %d, %s: node says %s, Go says %s, want %s", quorum, n.name, got[i], want, n.want)
			}
		}
		counts := map[string]int{}
		bad := 0
		for i, m := range mutants {
			_, err := p.Check(m)
			want := goVerdict(err)
			counts[want]++
			if g := got[len(named)+i]; g != want {
				if bad++; bad <= 10 {
					t.Errorf("quorum %d, mutant %d: node says %s, Go says %s:\n%q", quorum, i, g, want, m)
				}
			}
		}
		t.Logf("quorum %d: %d mutants, %d disagreements; Go verdicts %v", quorum, len(mutants), bad, counts)
		// No "ok" is required of the mutants: whether any single-byte change leaves a
		// valid note depends on the random signatures (a changed padding-adjacent base64
		// digit can decode to the same bytes); the named cases cover "ok".
		if quorum == 2 && (counts["bad_cosignature"] == 0 || counts["malformed"] == 0 || counts["log_bad_signature"] == 0 || counts["quorum"] == 0) {
			t.Errorf("the mutants do not reach every verdict: %v", counts)
		}
	}
}

// checkpointMutants returns single-byte mutations of a signed note: every byte
// deleted, doubled, and replaced by a few structural characters.
func checkpointMutants(cp []byte) [][]byte {
	var out [][]byte
	for i := range cp {
		out = append(out, slices.Delete(slices.Clone(cp), i, i+1))
		out = append(out, slices.Insert(slices.Clone(cp), i, cp[i]))
		for _, r := range []byte("\n +=A/\x00\x80") {
			if r != cp[i] {
				m := slices.Clone(cp)
				m[i] = r
				out = append(out, m)
			}
		}
	}
	return out
}
