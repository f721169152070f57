package audit

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/witness"
)

// WitnessedSource is implemented by sources that can give the newest checkpoint
// cosigned by the node's witnesses, when that is not what Checkpoint returns (NATS).
// Run asks it instead of Checkpoint when Options.Witnesses is set. (A server's GET
// /v1/checkpoint already serves the witnessed checkpoint when the node has witnesses.)
type WitnessedSource interface {
	// WitnessedCheckpoint returns the newest witnessed checkpoint, unverified. Errors
	// wrap ErrNoCheckpoint when the source has none.
	WitnessedCheckpoint(ctx context.Context) ([]byte, error)
}

// WitnessPolicy is the witnesses a verifier requires: the verifier key strings it
// trusts and how many of them must cosign a checkpoint. The zero value requires none.
type WitnessPolicy struct {
	// Keys are witness verifier keys (a witness's witness.pub):
	// "<name>+<hex key hash>+<base64(0x04 ‖ 32-byte Ed25519 public key)>".
	Keys []string
	// Quorum is how many distinct witnesses of Keys must cosign; 0 means all of them.
	Quorum int
}

// verifiers parses the keys and settles the quorum. Errors name the key (by position
// and text) or the quorum that is wrong.
func (p WitnessPolicy) verifiers() ([]note.Verifier, int, error) {
	var vs []note.Verifier
	seen := map[string]int{}
	for i, k := range p.Keys {
		v, err := witness.ParseVerifierKey(k)
		if err != nil {
			return nil, 0, fmt.Errorf("witness key %d (%s): %w", i+1, shorten(strings.TrimSpace(k), 120), err)
		}
		id := witness.KeyID(v)
		if j, dup := seen[id]; dup {
			return nil, 0, fmt.Errorf("witness keys %d and %d are the same key %s", j+1, i+1, id)
		}
		seen[id] = i
		vs = append(vs, v)
	}
	q := p.Quorum
	switch {
	case q < 0 || q > len(vs):
		return nil, 0, fmt.Errorf("witness quorum %d is not between 1 and the %d witness keys given", q, len(vs))
	case q == 0:
		q = len(vs)
	}
	return vs, q, nil
}

// Policy returns the witness.Policy "signed by log and cosigned by Quorum of Keys".
// Errors name the key or the quorum that is wrong.
func (p WitnessPolicy) Policy(log note.Verifier) (*witness.Policy, error) {
	vs, q, err := p.verifiers()
	if err != nil {
		return nil, err
	}
	return witness.NewPolicy(log, vs, q)
}

// report checks the policy and returns the report section that states it (nil, nil
// when the policy has no keys).
func (p WitnessPolicy) report() (*WitnessesReport, error) {
	if len(p.Keys) == 0 {
		if p.Quorum != 0 {
			return nil, fmt.Errorf("witness quorum %d, but no witness key was given", p.Quorum)
		}
		return nil, nil
	}
	_, quorum, err := p.verifiers()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(p.Keys))
	for i, k := range p.Keys {
		keys[i] = strings.TrimSpace(k)
	}
	return &WitnessesReport{Keys: keys, Quorum: quorum, Statement: fmt.Sprintf(trustWitnesses, quorum, len(keys)),
		Cosigned: []CosignatureReport{}, Missing: []string{}}, nil
}

// Trust statement of the witnesses in a report.
const trustWitnesses = "given by the auditor: the checkpoint must also carry valid cosignatures (cosignature/v1) by at least %d of these %d witness keys"

// WitnessesReport says which witnesses the audit required and which cosigned the
// checkpoint. It is nil in a report when no witness was required.
type WitnessesReport struct {
	// Keys are the witness verifier keys given (trusted), in the order given.
	Keys []string `json:"keys"`
	// Quorum is the number of cosignatures required.
	Quorum int `json:"quorum"`
	// Statement is the trust statement printed in the report.
	Statement string `json:"statement"`
	// Cosigned lists the valid cosignatures by witnesses of the policy, in policy
	// order; empty when the checkpoint could not be checked.
	Cosigned []CosignatureReport `json:"cosigned"`
	// Missing lists the witnesses of the policy ("<name>+<hex key hash>") that did not
	// cosign (validly).
	Missing []string `json:"missing"`
	// OK: the checkpoint carries at least Quorum valid cosignatures and no altered one.
	OK bool `json:"ok"`
	// Problem says why the policy is not met (the checkpoint_witnesses finding's
	// reason); "" when OK, or when the checkpoint's log signature did not verify and the
	// cosignatures were not checked.
	Problem string `json:"problem"`
}

// CosignatureReport is one valid witness cosignature.
type CosignatureReport struct {
	// Witness is the witness key's name; Key its "<name>+<hex key hash>".
	Witness string `json:"witness"`
	Key     string `json:"key"`
	// Time is when the witness cosigned (the cosignature's timestamp), UTC.
	Time time.Time `json:"time"`
}

// Cosignatures converts a policy check's cosignatures for a report.
func Cosignatures(cs []witness.Cosignature) []CosignatureReport {
	out := make([]CosignatureReport, len(cs))
	for i, c := range cs {
		out[i] = CosignatureReport{Witness: c.Witness, Key: c.Key, Time: c.Time.UTC()}
	}
	return out
}

// CosignedSummary says in one line who cosigned and when, out of what:
// "cosigned by a+1234abcd at 2026-11-26T12:00:00Z, b+… at … (2 of 2 required)", with
// "; missing c+…" when a witness of the policy did not cosign. verify-proof, export
// and the audit report all use it.
func CosignedSummary(cosigned []CosignatureReport, missing []string, quorum int) string {
	s := "cosigned by " + cosignedList(cosigned)
	if len(cosigned) <= quorum {
		s += fmt.Sprintf(" (%d of %d required", len(cosigned), quorum)
	} else {
		s += fmt.Sprintf(" (%d cosignatures, %d required", len(cosigned), quorum)
	}
	if len(missing) > 0 {
		s += "; missing " + witness.JoinAnd(missing)
	}
	return s + ")"
}

// cosignedList is "a+1234abcd at 2026-11-26T12:00:00Z, b+… at …", or "no witness of
// the policy".
func cosignedList(cosigned []CosignatureReport) string {
	if len(cosigned) == 0 {
		return "no witness of the policy"
	}
	parts := make([]string, len(cosigned))
	for i, c := range cosigned {
		parts[i] = c.Key + " at " + c.Time.UTC().Format(time.RFC3339)
	}
	return strings.Join(parts, ", ")
}

// WitnessFailure describes why a checkpoint fails a witness policy, for error
// messages and findings. For too few cosignatures it names who cosigned, when, and
// who is missing: "the checkpoint of size 7 has 1 of the 2 required witness
// cosignatures: cosigned by a+1234abcd at 2026-11-26T12:00:00Z; missing b+5678ef90".
// For an altered cosignature it names the witness. res is what witness.Policy.Check
// returned with err (nil for an altered cosignature).
func WitnessFailure(res *witness.Result, err error) string {
	var qe *witness.QuorumError
	if errors.As(err, &qe) && res != nil {
		return fmt.Sprintf("the checkpoint of size %d has %d of the %d required witness cosignatures: cosigned by %s; missing %s",
			qe.Size, len(res.Cosigned), res.Quorum, cosignedList(Cosignatures(res.Cosigned)), witness.JoinAnd(res.Missing))
	}
	return err.Error()
}

// checkWitnesses applies the witness policy to the checkpoint whose log signature
// verified, fills the report's witness section and records a checkpoint_witnesses
// finding when the policy is not met.
func (a *auditor) checkWitnesses(cpNote []byte) {
	wr := a.rep.Witnesses
	if wr == nil {
		return
	}
	policy, err := a.opts.WitnessPolicy.Policy(a.verifier)
	if err != nil {
		wr.Problem = err.Error()
		a.logFinding(Finding{Code: CodeCheckpointWitnesses, Reason: wr.Problem})
		return
	}
	res, err := policy.Check(cpNote)
	if res != nil {
		wr.Cosigned, wr.Missing = Cosignatures(res.Cosigned), append([]string{}, res.Missing...)
	}
	if err != nil {
		wr.Problem = WitnessFailure(res, err)
		a.logFinding(Finding{Code: CodeCheckpointWitnesses, Reason: wr.Problem})
		return
	}
	wr.OK = true
}

// WitnessedCheckpoint asks a node on natslog.SubjectCheckpointWitnessed for the newest
// checkpoint cosigned by its witnesses. No responder, or an empty answer (the node has
// no witnesses, or none reached its quorum yet), is ErrNoCheckpoint.
func (n *NATSSource) WitnessedCheckpoint(ctx context.Context) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	subj := natslog.SubjectCheckpointWitnessed
	m, err := n.log.Conn().RequestWithContext(ctx, subj, nil)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("%s: %w: no node answers %s", n.name, ErrNoCheckpoint, subj)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: request %s: %w", n.name, subj, err)
	}
	if len(m.Data) == 0 {
		return nil, fmt.Errorf("%s: %w: empty answer on %s (the node has no witnesses, or none has reached its quorum yet)", n.name, ErrNoCheckpoint, subj)
	}
	return m.Data, nil
}

// WitnessedEventProof fetches GET /v1/events/{id}/proof?witnessed=1: the event's
// tlog-proof against the node's newest witnessed checkpoint (with its cosignature
// lines), unverified. The node answers 409 while no witnessed checkpoint covers the
// event yet, and 404 when it has no witnesses; the error carries the node's problem.
func (s *ServerSource) WitnessedEventProof(ctx context.Context, id string) ([]byte, error) {
	return s.get(ctx, "/v1/events/"+url.PathEscape(id)+"/proof?witnessed=1", 1<<20)
}
