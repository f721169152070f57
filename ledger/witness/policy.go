package witness

import (
	"errors"
	"fmt"
	"strings"
	"time"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
)

// ErrQuorum matches a *QuorumError: a checkpoint that verifies under the log key but
// carries fewer valid witness cosignatures than the policy's quorum.
var ErrQuorum = errors.New("too few witness cosignatures")

// ErrBadCosignature matches a *CosignatureError: a cosignature line by a witness of
// the policy that does not verify (the checkpoint text or the line was altered).
var ErrBadCosignature = errors.New("bad witness cosignature")

// Policy is what a verifier trusts: the log's key, a set of witness keys and a
// quorum. A checkpoint satisfies it when it carries a valid signature by the log key
// and valid cosignatures by at least Quorum distinct witnesses of the set. A Policy is
// immutable after NewPolicy and safe for concurrent use.
type Policy struct {
	log       note.Verifier
	witnesses []note.Verifier
	quorum    int
}

// NewPolicy returns the policy "signed by log and cosigned by at least quorum of
// witnesses". It fails if quorum is negative or larger than the number of witnesses,
// or if a witness key appears twice or has the log key's name and hash.
func NewPolicy(log note.Verifier, witnesses []note.Verifier, quorum int) (*Policy, error) {
	if log == nil {
		return nil, errors.New("witness policy: no log key")
	}
	if quorum < 0 || quorum > len(witnesses) {
		return nil, fmt.Errorf("witness policy: quorum %d is not between 0 and the %d witness keys given", quorum, len(witnesses))
	}
	seen := map[string]bool{KeyID(log): true}
	for _, w := range witnesses {
		id := KeyID(w)
		if seen[id] {
			return nil, fmt.Errorf("witness policy: key %s is given twice (or is the log key)", id)
		}
		seen[id] = true
	}
	return &Policy{log: log, witnesses: append([]note.Verifier(nil), witnesses...), quorum: quorum}, nil
}

// Quorum returns the number of witness cosignatures the policy requires.
func (p *Policy) Quorum() int { return p.quorum }

// Witnesses returns the witness keys of the policy, in the order given.
func (p *Policy) Witnesses() []note.Verifier { return append([]note.Verifier(nil), p.witnesses...) }

// Log returns the log's verifier.
func (p *Policy) Log() note.Verifier { return p.log }

// KeyID names a signed-note key in messages: "<name>+<hex key hash>".
func KeyID(v interface {
	Name() string
	KeyHash() uint32
}) string {
	return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
}

// Cosignature is one valid witness cosignature on a checkpoint.
type Cosignature struct {
	// Witness is the witness key's name, Key its "<name>+<hex key hash>".
	Witness string `json:"witness"`
	Key     string `json:"key"`
	// Time is when the witness signed (the cosignature's timestamp, in UTC).
	Time time.Time `json:"time"`
}

// Result is what [Policy.Check] found on a checkpoint.
type Result struct {
	// Checkpoint is the checkpoint, verified under the log key.
	Checkpoint proof.Checkpoint
	// Cosigned lists the valid cosignatures by witnesses of the policy, in policy order.
	Cosigned []Cosignature
	// Missing lists, as "<name>+<hex key hash>", the witnesses of the policy that did not
	// cosign, in policy order.
	Missing []string
	// Quorum is the number of cosignatures the policy requires.
	Quorum int
}

// Summary says in one line who cosigned: "cosigned by A and B (2 of 2 required)".
func (r *Result) Summary() string {
	names := make([]string, len(r.Cosigned))
	for i, c := range r.Cosigned {
		names[i] = c.Witness
	}
	s := "cosigned by " + JoinAnd(names)
	if len(names) == 0 {
		s = "cosigned by no witness"
	}
	s += fmt.Sprintf(" (%d of %d required", len(r.Cosigned), r.Quorum)
	if len(r.Missing) > 0 {
		s += "; missing " + JoinAnd(r.Missing)
	}
	return s + ")"
}

// JoinAnd joins names for a sentence: "none", "a", "a and b", "a, b and c".
func JoinAnd(s []string) string {
	switch len(s) {
	case 0:
		return "none"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// QuorumError reports a checkpoint with too few valid witness cosignatures. It
// matches ErrQuorum.
type QuorumError struct {
	// Size is the checkpoint's tree size.
	Size uint64
	// Want is the policy's quorum; Signed and Missing name the witnesses of the policy
	// that did and did not cosign ("<name>+<hex key hash>").
	Want            int
	Signed, Missing []string
}

// Error names who signed and who is missing.
func (e *QuorumError) Error() string {
	signed := "none"
	if len(e.Signed) > 0 {
		signed = JoinAnd(e.Signed)
	}
	return fmt.Sprintf("checkpoint of size %d has %d of the %d required witness cosignatures: cosigned by %s; missing %s",
		e.Size, len(e.Signed), e.Want, signed, JoinAnd(e.Missing))
}

// Is reports whether target is ErrQuorum.
func (e *QuorumError) Is(target error) bool { return target == ErrQuorum }

// CosignatureError reports a cosignature line by a policy witness that does not
// verify. It matches ErrBadCosignature.
type CosignatureError struct {
	// Key is the witness key, "<name>+<hex key hash>".
	Key string
}

// Error names the witness.
func (e *CosignatureError) Error() string {
	return fmt.Sprintf("cosignature by witness %s does not verify: the checkpoint or the signature line was altered", e.Key)
}

// Is reports whether target is ErrBadCosignature.
func (e *CosignatureError) Is(target error) bool { return target == ErrBadCosignature }

// Check verifies a signed checkpoint against the policy. It first opens it under the
// log key (proof.OpenCheckpoint: its errors are returned unchanged), then checks every
// signature line by a witness of the policy. It returns the result, or:
//
//   - a *CosignatureError (ErrBadCosignature) for a policy witness's line that does
//     not verify, or a cosignature whose timestamp cannot be read;
//   - a *QuorumError (ErrQuorum), with the result, when fewer than Quorum distinct
//     witnesses cosigned.
//
// Signature lines by keys outside the policy are ignored.
func (p *Policy) Check(signedNote []byte) (*Result, error) {
	cp, err := proof.OpenCheckpoint(signedNote, p.log)
	if err != nil {
		return nil, err
	}
	r := &Result{Checkpoint: cp, Quorum: p.quorum}
	valid := map[string]note.Signature{}
	if len(p.witnesses) > 0 {
		n, err := note.Open(signedNote, note.VerifierList(p.witnesses...))
		var invalid *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case err == nil:
			for _, s := range n.Sigs {
				valid[fmt.Sprintf("%s+%08x", s.Name, s.Hash)] = s
			}
		case errors.As(err, &invalid):
			return nil, &CosignatureError{Key: fmt.Sprintf("%s+%08x", invalid.Name, invalid.Hash)}
		case errors.As(err, &unverified):
			// no cosignature by a policy witness
		default:
			return nil, fmt.Errorf("witness cosignatures: %w", err)
		}
	}
	for _, w := range p.witnesses {
		id := KeyID(w)
		s, ok := valid[id]
		if !ok {
			r.Missing = append(r.Missing, id)
			continue
		}
		t, err := tdnote.CoSigV1Timestamp(s)
		if err != nil {
			return nil, &CosignatureError{Key: id}
		}
		r.Cosigned = append(r.Cosigned, Cosignature{Witness: w.Name(), Key: id, Time: t.UTC()})
	}
	if len(r.Cosigned) < p.quorum {
		e := &QuorumError{Size: cp.Size, Want: p.quorum, Missing: r.Missing}
		for _, c := range r.Cosigned {
			e.Signed = append(e.Signed, c.Key)
		}
		return r, e
	}
	return r, nil
}
