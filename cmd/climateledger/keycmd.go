package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/client"
)

func init() {
	register("key", "rotate or revoke a party's or the registrar's key: builds, signs and submits the key events; prints what changed", cmdKey)
}

const keyUsage = `Usage: climateledger key rotate|revoke [flags]   (key rotate --help, key revoke --help)

  key rotate   replace a key: add the new key (key.added, signed by the current and the
               new key; registrar.key_added with --registrar), then revoke the old one
               (signed by the new key) unless --keep-old
  key revoke   revoke a key by its key id: one of the party's keys (signed by another
               current key of the party, or with --registrar by a registrar key), or with
               --registrar and no --party a registrar key (registrar.key_revoked)

The recovery procedure for each key is in docs/SECURITY.md.
`

func cmdKey(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, keyUsage)
		return errUsage
	}
	switch args[0] {
	case "rotate":
		return cmdKeyRotate(ctx, e, args[1:])
	case "revoke":
		return cmdKeyRevoke(ctx, e, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(e.stdout, keyUsage)
		return nil
	}
	fmt.Fprint(e.stderr, keyUsage)
	return fmt.Errorf("%w: unknown subcommand %q (want rotate or revoke)", errUsage, args[0])
}

// keyChange is one key event that was recorded, as key rotate and key revoke print it.
type keyChange struct {
	Event string `json:"event"`
	Party string `json:"party"`
	// KeyID is the key added or revoked.
	KeyID string `json:"keyid"`
	// SignedBy are the key ids that signed the event.
	SignedBy []string `json:"signed_by"`
	ID       string   `json:"id"`
	Seq      uint64   `json:"seq"`
	Index    uint64   `json:"index"`
	Hash     string   `json:"hash"`
}

// keyReport is what key rotate and key revoke print: every change recorded, in order.
type keyReport struct {
	Changes []keyChange `json:"changes"`
	// NewKeyFile is the new key's file and whether this run created it (rotate).
	NewKeyFile string `json:"new_key_file,omitempty"`
	Created    bool   `json:"created,omitempty"`
	// Note says what the operator must do next, if anything.
	Note string `json:"note,omitempty"`
}

func cmdKeyRotate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "key rotate", "--server URL (--party ID | --registrar) --key CURRENT.key --new-key NEW.key [--reason TEXT] [--keep-old]")
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	party := fs.String("party", "", "the party whose key is replaced")
	registrar := fs.Bool("registrar", false, "replace a registrar key (on the network chain) instead of a party's")
	keyFile := fs.String("key", "", "the current key's file (it signs the addition; with --registrar, a registrar key)")
	newKeyFile := fs.String("new-key", "", "the new key's file; created (0600) if it does not exist")
	reason := fs.String("reason", "key rotation", "why (recorded in both events)")
	keepOld := fs.Bool("keep-old", false, "only add the new key; keep the current one")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "key", "new-key"); err != nil {
		return err
	}
	if (*party == "") == !*registrar {
		fs.Usage()
		return fmt.Errorf("%w: give exactly one of --party ID and --registrar", errUsage)
	}
	current, err := readSigner(*keyFile)
	if err != nil {
		return err
	}
	next, created, err := loadOrCreateKey(*newKeyFile)
	if err != nil {
		return err
	}
	if next.KeyID() == current.KeyID() {
		return fmt.Errorf("--new-key %s holds the same key as --key %s", *newKeyFile, *keyFile)
	}
	c, err := client.New(*server)
	if err != nil {
		return err
	}
	rep := &keyReport{NewKeyFile: *newKeyFile, Created: created}
	chain, addType, revType := *party, events.TypeKeyAdded, events.TypeKeyRevoked
	addSigners := []*events.Signer{current, next} // key.added: a current key and the new key
	var added, revoked any = &events.KeyAddedBody{Key: next.Ref(), Reason: *reason}, &events.KeyRevokedBody{KeyID: current.KeyID(), Reason: *reason}
	if *registrar {
		chain, addType, revType = events.NetworkParty, events.TypeRegistrarKeyAdded, events.TypeRegistrarKeyRevoked
		addSigners = []*events.Signer{current} // registrar.key_added: a current registrar key
		added, revoked = &events.RegistrarKeyAddedBody{Key: next.Ref(), Reason: *reason}, &events.RegistrarKeyRevokedBody{KeyID: current.KeyID(), Reason: *reason}
		rep.Note = "replace the registrar key file kept with the node (DATA/keys/registrar.key) and its offline copies with " + *newKeyFile
	}
	if err := submitKeyEvent(ctx, c, rep, chain, addType, added, next.KeyID(), addSigners); err != nil {
		return printKeyReport(e, rep, err)
	}
	if !*keepOld {
		if err := submitKeyEvent(ctx, c, rep, chain, revType, revoked, current.KeyID(), []*events.Signer{next}); err != nil {
			return printKeyReport(e, rep, fmt.Errorf("the new key was added, but revoking the old one failed (run key revoke): %w", err))
		}
	}
	return printKeyReport(e, rep, nil)
}

func cmdKeyRevoke(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "key revoke", "--server URL [--party ID] [--registrar] --key SIGNER.key --keyid KEYID --reason TEXT")
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	party := fs.String("party", "", "the party whose key is revoked; without it (and with --registrar) a registrar key is revoked")
	registrar := fs.Bool("registrar", false, "--key is a registrar key: revoke a party's key as the registrar (with --party), or a registrar key (without)")
	keyFile := fs.String("key", "", "the signing key's file: another current key of the party, or with --registrar a current registrar key")
	keyID := fs.String("keyid", "", "the key id (hex) of the key to revoke")
	reason := fs.String("reason", "", "why: lost, compromised, … (recorded in the event)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "key", "keyid", "reason"); err != nil {
		return err
	}
	if *party == "" && !*registrar {
		fs.Usage()
		return fmt.Errorf("%w: give --party ID (a party's key), or --registrar without --party (a registrar key)", errUsage)
	}
	signer, err := readSigner(*keyFile)
	if err != nil {
		return err
	}
	c, err := client.New(*server)
	if err != nil {
		return err
	}
	rep := &keyReport{}
	chain, typ := *party, events.TypeKeyRevoked
	var body any = &events.KeyRevokedBody{KeyID: *keyID, Reason: *reason}
	if *party == "" {
		chain, typ = events.NetworkParty, events.TypeRegistrarKeyRevoked
		body = &events.RegistrarKeyRevokedBody{KeyID: *keyID, Reason: *reason}
	}
	return printKeyReport(e, rep, submitKeyEvent(ctx, c, rep, chain, typ, body, *keyID, []*events.Signer{signer}))
}

// submitKeyEvent validates body as an event of type typ, signs it on chain with
// signers, submits it and records the change in rep.
func submitKeyEvent(ctx context.Context, c *client.Client, rep *keyReport, chain, typ string, body any, keyID string, signers []*events.Signer) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	b, err := events.DecodeBody(typ, raw)
	if err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	rc, err := submitWithRetry(ctx, c, chain, typ, b, signers, 5)
	if err != nil {
		return fmt.Errorf("%s on %s: %w", typ, chain, err)
	}
	rep.Changes = append(rep.Changes, receiptChange(typ, keyID, signers, rc))
	return nil
}

func receiptChange(typ, keyID string, signers []*events.Signer, rc *ledger.Receipt) keyChange {
	ch := keyChange{Event: typ, Party: rc.Party, KeyID: keyID, ID: rc.ID, Seq: rc.Seq, Index: rc.Index, Hash: rc.Hash.String()}
	for _, s := range signers {
		ch.SignedBy = append(ch.SignedBy, s.KeyID())
	}
	return ch
}

// printKeyReport prints what changed (even when a later step failed) and returns err.
func printKeyReport(e *env, rep *keyReport, err error) error {
	if len(rep.Changes) > 0 || err == nil {
		if perr := printJSON(e, rep); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

// loadOrCreateKey reads a key file, or creates one (0600, synced) when there is none.
func loadOrCreateKey(path string) (*events.Signer, bool, error) {
	s, err := readSigner(path)
	if err == nil {
		return s, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if s, err = events.GenerateSigner(rand.Reader); err != nil {
		return nil, false, err
	}
	if err := writeNewFile(path, events.MarshalKeyFile(s)); err != nil {
		return nil, false, err
	}
	return s, true, nil
}
