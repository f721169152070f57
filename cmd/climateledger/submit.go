package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/client"
)

func init() {
	register("submit", "sign an event with a party key and submit it; prints the receipt (--batch: bulk load, resumable)", cmdSubmit)
	register("enroll", "enrol a party (registrar and the party's keys sign); prints the receipt", cmdEnroll)
}

// cmdSubmit is submit: one event body signed and submitted, or with --batch a bulk
// load of a JSON-lines file (runBatch).
func cmdSubmit(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "submit", "--server URL --key FILE --party ID --type TYPE --body FILE [--cosign FILE]…\n"+
		"       climateledger submit --batch FILE.jsonl [--state FILE] [--restart] [--concurrency N] [--server URL] [--key FILE --party ID --type TYPE [--cosign FILE]…]")
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	keyFile := fs.String("key", "", "the party's key file")
	party := fs.String("party", "", "the party whose chain the event extends")
	typ := fs.String("type", "", "event type, e.g. inventory.reported")
	bodyFile := fs.String("body", "", "JSON file with the event body ('-' for standard input)")
	retries := fs.Int("retries", 5, "how often to rebuild and resubmit after a chain conflict (with --batch also after a 5xx or a network error)")
	var cosign stringList
	fs.Var(&cosign, "cosign", "another key file that must sign (a partner, a new key); repeatable")
	batch := fs.String("batch", "", "bulk load: a JSON-lines file, one signed envelope or event body per line (resumable; see README \"Bulk load\")")
	stateFile := fs.String("state", "", "with --batch: the state file that makes the load resumable (default FILE.jsonl.state)")
	restart := fs.Bool("restart", false, "with --batch: discard the state file and load the file from the start")
	concurrency := fs.Int("concurrency", 64, "with --batch: how many chains are loaded at a time")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *batch != "" {
		if *bodyFile != "" {
			fs.Usage()
			return fmt.Errorf("%w: --body and --batch exclude each other", errUsage)
		}
		if *typ != "" && !events.KnownType(*typ) {
			fs.Usage()
			return fmt.Errorf("%w: --type %q is not an event type; valid types: %s", errUsage, *typ, strings.Join(events.EventTypes(), ", "))
		}
		if *concurrency < 1 {
			fs.Usage()
			return fmt.Errorf("%w: --concurrency must be at least 1", errUsage)
		}
		if *stateFile == "" {
			*stateFile = *batch + ".state"
		}
		return runBatch(ctx, e, batchOptions{Path: *batch, State: *stateFile, Restart: *restart, Concurrency: *concurrency, Retries: *retries,
			Party: *party, Type: *typ, KeyFile: *keyFile, Cosign: cosign, Server: *server})
	}
	for _, f := range []string{"state", "restart", "concurrency"} {
		if flagSet(fs, f) {
			fs.Usage()
			return fmt.Errorf("%w: --%s needs --batch", errUsage, f)
		}
	}
	if err := required(fs, "key", "party", "type", "body"); err != nil {
		return err
	}
	if !events.KnownType(*typ) {
		fs.Usage()
		return fmt.Errorf("%w: --type %q is not an event type; valid types: %s", errUsage, *typ, strings.Join(events.EventTypes(), ", "))
	}
	signers, err := readSigners(append([]string{*keyFile}, cosign...))
	if err != nil {
		return err
	}
	raw, err := readInput(*bodyFile)
	if err != nil {
		return err
	}
	body, err := events.DecodeBody(*typ, raw)
	if err != nil {
		return bodyFileError(*bodyFile, err)
	}
	c, err := client.New(*server)
	if err != nil {
		return err
	}
	rc, err := submitWithRetry(ctx, c, *party, *typ, body, signers, *retries)
	if err != nil {
		return err
	}
	return printJSON(e, rc)
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// maxRateLimitWait is the longest Retry-After that submit waits out by itself.
const maxRateLimitWait = 10 * time.Second

// submitWithRetry fetches the head, signs the next event and submits it, rebuilding on
// a chain conflict, or after a 429 rate_limited's Retry-After (up to 10 s), up to
// retries times.
func submitWithRetry(ctx context.Context, c *client.Client, party, typ string, body events.Body, signers []*events.Signer, retries int) (*ledger.Receipt, error) {
	for attempt := 0; ; attempt++ {
		head, err := c.Head(ctx, party)
		if err != nil {
			return nil, err
		}
		pos, err := afterHead(head)
		if err != nil {
			return nil, err
		}
		d := &events.Draft{Party: party, Seq: pos.seq + 1, Prev: pos.hash, Type: typ, Time: time.Now().UTC().Truncate(time.Second), Body: body}
		payload, err := d.Marshal()
		if err != nil {
			return nil, err
		}
		rc, _, err := c.Submit(ctx, events.Sign(payload, signers...))
		var pe *client.ProblemError
		if errors.As(err, &pe) && pe.Status == http.StatusConflict && pe.Code != string(events.CodeDuplicateID) && attempt < retries {
			time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
			continue
		}
		if errors.As(err, &pe) && pe.Status == http.StatusTooManyRequests && pe.RetryAfter <= maxRateLimitWait && attempt < retries {
			// Over a rate limit: wait as told, then sign again (the time moves on).
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(pe.RetryAfter):
			}
			continue
		}
		return rc, err
	}
}

func cmdEnroll(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "enroll", "--server URL --registrar-key FILE --party ID (--file BODY.json | --kind K --name-en N --key FILE … [flags])")
	server := fs.String("server", "http://127.0.0.1:8080", "server URL")
	regKey := fs.String("registrar-key", "", "the registrar's key file (DATA/keys/registrar.key)")
	party := fs.String("party", "", "the new party's id, e.g. us-ca or uslax")
	file := fs.String("file", "", "a party.enrolled body as JSON (instead of the flags below)")
	kind := fs.String("kind", "jurisdiction", "jurisdiction or verifier")
	nameEN := fs.String("name-en", "", "name in English")
	nameZH := fs.String("name-zh", "", "name in Chinese")
	country := fs.String("country", "", "US or CN (jurisdictions)")
	level := fs.String("level", "", "city, county, state, province or region (jurisdictions)")
	parent := fs.String("parent", "", "parent party id")
	iso := fs.String("iso3166-2", "", "ISO 3166-2 code, e.g. US-CA")
	locode := fs.String("unlocode", "", "UN/LOCODE, e.g. US LAX")
	var keys, endorsements stringList
	fs.Var(&keys, "key", "a key file of the party (it signs as proof of possession); repeatable")
	fs.Var(&endorsements, "endorsement", "SUMMIT:DATE, e.g. 2015-los-angeles:2015-09-15; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "registrar-key", "party"); err != nil {
		return err
	}
	if len(keys) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: at least one --key is required (the party's keys sign their enrolment)", errUsage)
	}
	reg, err := readSigner(*regKey)
	if err != nil {
		return err
	}
	partyKeys, err := readSigners(keys)
	if err != nil {
		return err
	}
	var body events.Body
	if *file != "" {
		raw, err := readInput(*file)
		if err != nil {
			return err
		}
		if body, err = events.DecodeBody(events.TypePartyEnrolled, raw); err != nil {
			return bodyFileError(*file, err)
		}
	} else {
		b := &events.EnrolledBody{Kind: *kind, Names: map[string]string{"en": *nameEN}, Country: *country, Level: *level, Parent: *parent}
		if *nameZH != "" {
			b.Names["zh"] = *nameZH
		}
		if *iso != "" || *locode != "" {
			b.Codes = &events.PartyCodes{ISO3166_2: *iso, UNLOCODE: *locode}
		}
		for _, k := range partyKeys {
			b.Keys = append(b.Keys, k.Ref())
		}
		for _, en := range endorsements {
			summit, date, ok := strings.Cut(en, ":")
			if !ok {
				return fmt.Errorf("--endorsement %q: want SUMMIT:DATE", en)
			}
			b.Endorsements = append(b.Endorsements, events.Endorsement{Summit: summit, Date: date})
		}
		raw, _ := json.Marshal(b)
		if body, err = events.DecodeBody(events.TypePartyEnrolled, raw); err != nil {
			return err
		}
	}
	c, err := client.New(*server)
	if err != nil {
		return err
	}
	rc, err := submitWithRetry(ctx, c, *party, events.TypePartyEnrolled, body, append([]*events.Signer{reg}, partyKeys...), 0)
	if err != nil {
		return err
	}
	return printJSON(e, rc)
}

func readSigners(paths []string) ([]*events.Signer, error) {
	out := make([]*events.Signer, 0, len(paths))
	for _, p := range paths {
		s, err := readSigner(p)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// bodyFileError names the body file and lists every problem of the body in it, each
// with its field path ("body.lines[2].tco2e: …").
func bodyFileError(path string, err error) error {
	name := path
	if path == "-" {
		name = "standard input"
	}
	var ve *events.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("body file %s: %w", name, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "body file %s is not a valid body:", name)
	for _, f := range ve.Fields {
		fmt.Fprintf(&b, "\n  %s", f)
	}
	return errors.New(b.String())
}

// readInput reads a file, or standard input for "-", without surrounding white space.
func readInput(path string) ([]byte, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(os.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	return bytes.TrimSpace(b), err
}

func printJSON(e *env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
