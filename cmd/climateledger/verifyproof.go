package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

func init() {
	register("verify-proof", "check an event's tlog-proof offline with the log's key (and witnesses' keys), and show what it proves", cmdVerifyProof)
}

// The steps of checking a claim offline (docs/AUDIT.md, "One claim, offline").
const (
	stepRead       = "step 1 of 5, read the tlog-proof"
	stepCheckpoint = "step 2 of 5, check the checkpoint's signature with the log key"
	stepWitnesses  = "step 3 of 5, check the witnesses' cosignatures"
	stepInclusion  = "step 4 of 5, check the inclusion proof of the entry's leaf hash against the checkpoint's root"
	stepEvent      = "step 5 of 5, decode the entry as an event"
)

// proofStep names the step of proof.VerifyTLogProof that err comes from.
func proofStep(err error) string {
	var fe *proof.FormatError
	switch {
	case errors.Is(err, proof.ErrInvalidProof):
		return stepInclusion
	case errors.As(err, &fe) && fe.Format == "tlog-proof":
		return stepRead
	}
	return stepCheckpoint
}

func cmdVerifyProof(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify-proof", "FILE --log-key KEY [--witness VKEY]… [--witness-quorum K]")
	logKey := fs.String("log-key", "", "the log's verifier key, or a file holding it (keys/log.pub); required: with the --witness keys, it is all that is trusted")
	witnesses := addWitnessFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one proof FILE, got %q", errUsage, pos)
	}
	if err := required(fs, "log-key"); err != nil {
		return err
	}
	wp, err := witnesses.policy()
	if err != nil {
		return err
	}
	key, err := readLogKey(*logKey)
	if err != nil {
		return err
	}
	v, err := proof.ParseVerifierKey(key)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	// The steps in order: read, then the checkpoint (log signature and witnesses), then
	// the inclusion proof against it.
	tp, err := proof.ParseTLogProof(b)
	if err != nil {
		return fmt.Errorf("%s: FAILED at %s: %w", pos[0], stepRead, err)
	}
	witnessed := "none required (no --witness given): the checkpoint is trusted on the log key alone"
	if len(wp.Keys) > 0 {
		policy, err := wp.Policy(v)
		if err != nil {
			return err
		}
		res, err := policy.Check(tp.Checkpoint)
		switch {
		case errors.Is(err, witness.ErrQuorum) || errors.Is(err, witness.ErrBadCosignature):
			return fmt.Errorf("%s: FAILED at %s: %s", pos[0], stepWitnesses, audit.WitnessFailure(res, err))
		case err != nil:
			return fmt.Errorf("%s: FAILED at %s: %w", pos[0], proofStep(err), err)
		}
		witnessed = audit.CosignedSummary(audit.Cosignatures(res.Cosigned), res.Missing, res.Quorum)
	}
	claim, err := proof.VerifyTLogProof(b, v)
	if err != nil {
		return fmt.Errorf("%s: FAILED at %s: %w", pos[0], proofStep(err), err)
	}
	c := claim.Checkpoint
	leaf := proof.LeafHash(claim.Entry)
	w := &bytes.Buffer{}
	fmt.Fprintf(w, "%s: OK\n", pos[0])
	fmt.Fprintf(w, "the log %s, in its checkpoint of size %d signed by %s, holds this entry at index %d\n", c.Origin, c.Size, key, claim.Index)
	fmt.Fprintf(w, "witnesses: %s\n\n", witnessed)
	row := func(k, v string) { fmt.Fprintf(w, "  %-13s %s\n", k, v) }
	row("index", fmt.Sprint(claim.Index))
	row("tree size", fmt.Sprint(c.Size))
	row("origin", c.Origin)
	row("root", base64.StdEncoding.EncodeToString(c.Root[:]))
	row("leaf hash", hex.EncodeToString(leaf[:])+" (SHA-256 of 0x00 and the entry)")
	ent, perr := events.ParseEntry(claim.Entry)
	if perr != nil {
		e.stdout.Write(w.Bytes())
		return fmt.Errorf("%s: the proof holds, but FAILED at %s: the entry is not a well-formed event: %w", pos[0], stepEvent, perr)
	}
	p := ent.Payload
	row("event id", p.ID)
	row("party", p.Party)
	row("seq", fmt.Sprint(p.Seq))
	row("type", p.Type)
	row("time", p.Time)
	row("payload hash", ent.Hash.String())
	keyids := make([]string, len(ent.Signatures))
	for i, s := range ent.Signatures {
		keyids[i] = s.KeyID
	}
	row("signed by", strings.Join(keyids, ", "))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, ent.PayloadBytes, "  ", "  "); err != nil {
		pretty.Write(ent.PayloadBytes)
	}
	fmt.Fprintf(w, "\npayload:\n  %s\n", pretty.String())
	fmt.Fprintf(w, "\nThe proof shows these exact bytes are in the log. Whether the event was valid under\n"+
		"the replay rules (signed by a current key of %s, chained, not retracted) is what\n"+
		"`climateledger audit` checks over the whole log.\n", p.Party)
	_, err = e.stdout.Write(w.Bytes())
	return err
}
