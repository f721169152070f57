package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

func init() {
	register("prove", "fetch an event's offline-verifiable proof (C2SP tlog-proof) from a server", cmdProve)
}

func cmdProve(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "prove", "--server URL EVENT_ID [--out FILE] [--log-key KEY] [--witnessed] [--witness VKEY]… [--witness-quorum K]")
	server := fs.String("server", "", "the server holding the event")
	out := fs.String("out", "", "file to write (default EVENT_ID.tlog-proof)")
	logKey := fs.String("log-key", "", "verify the proof with this log key (or file, keys/log.pub) before writing it")
	witnessed := fs.Bool("witnessed", false, "fetch the proof against the server's newest checkpoint cosigned by its witnesses "+
		"(GET /v1/events/{id}/proof?witnessed=1; implied by --witness), instead of its newest log-signed checkpoint")
	witnesses := addWitnessFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: want one EVENT_ID, got %q", errUsage, pos)
	}
	if err := required(fs, "server"); err != nil {
		return err
	}
	wp, err := witnesses.policy()
	if err != nil {
		return err
	}
	if len(wp.Keys) > 0 {
		if *logKey == "" {
			return fmt.Errorf("%w: --witness needs --log-key: the cosignatures are checked on a checkpoint verified with the log key", errUsage)
		}
		*witnessed = true
	}
	id := pos[0]
	if !events.ValidEventID(id) {
		return fmt.Errorf("event id %q is not a canonical ULID", id)
	}
	key, err := readLogKey(*logKey)
	if err != nil {
		return err
	}
	src, err := audit.NewServer(*server, nil)
	if err != nil {
		return err
	}
	var b []byte
	if *witnessed {
		b, err = src.WitnessedEventProof(ctx, id)
	} else {
		b, err = src.EventProof(ctx, id)
	}
	if err != nil {
		return err
	}
	p, err := proof.ParseTLogProof(b)
	if err != nil {
		return fmt.Errorf("the server's proof of %s: %w", id, err)
	}
	verified := "not verified (no --log-key): check it with `climateledger verify-proof FILE --log-key KEY`"
	if key != "" {
		v, err := proof.ParseVerifierKey(key)
		if err != nil {
			return err
		}
		claim, err := proof.VerifyTLogProof(b, v)
		if err != nil {
			return fmt.Errorf("the server's proof of %s does not verify: %w", id, err)
		}
		ent, err := events.ParseEntry(claim.Entry)
		if err != nil {
			return fmt.Errorf("the server's proof of %s proves an entry that is not a well-formed event: %w", id, err)
		}
		if ent.Payload.ID != id {
			return fmt.Errorf("the server's proof of %s proves event %s instead", id, ent.Payload.ID)
		}
		verified = "verified with the log key"
		if len(wp.Keys) > 0 {
			policy, err := wp.Policy(v)
			if err != nil {
				return err
			}
			res, err := policy.Check(p.Checkpoint)
			if errors.Is(err, witness.ErrQuorum) || errors.Is(err, witness.ErrBadCosignature) {
				return fmt.Errorf("the server's proof of %s does not satisfy the witnesses: %s", id, audit.WitnessFailure(res, err))
			} else if err != nil {
				return fmt.Errorf("the server's proof of %s: %w", id, err)
			}
			verified += " and the witnesses: " + audit.CosignedSummary(audit.Cosignatures(res.Cosigned), res.Missing, res.Quorum)
		}
	}
	path := *out
	if path == "" {
		path = id + ".tlog-proof"
	}
	if err := audit.WriteFileAtomic(path, b, 0o644); err != nil {
		return err
	}
	kind := ""
	if *witnessed {
		kind = "witnessed "
	}
	fmt.Fprintf(e.stdout, "%s: %sproof of event %s at index %d, tree size %d (%s)\n", path, kind, id, p.Index, proofSize(p), verified)
	return nil
}

// proofSize is the tree size of the proof's checkpoint (0 if it does not parse, which
// ParseTLogProof has already ruled out).
func proofSize(p *proof.TLogProof) uint64 {
	c, _ := proof.PeekCheckpoint(p.Checkpoint)
	return c.Size
}
