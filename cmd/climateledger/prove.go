package main

import (
	"context"
	"fmt"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/proof"
)

func init() {
	register("prove", "fetch an event's offline-verifiable proof (C2SP tlog-proof) from a server", cmdProve)
}

func cmdProve(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "prove", "--server URL EVENT_ID [--out FILE] [--log-key KEY]")
	server := fs.String("server", "", "the server holding the event")
	out := fs.String("out", "", "file to write (default EVENT_ID.tlog-proof)")
	logKey := fs.String("log-key", "", "verify the proof with this log key (or file, keys/log.pub) before writing it")
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
	b, err := src.EventProof(ctx, id)
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
	}
	path := *out
	if path == "" {
		path = id + ".tlog-proof"
	}
	if err := audit.WriteFileAtomic(path, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: proof of event %s at index %d (%s)\n", path, id, p.Index, verified)
	return nil
}
