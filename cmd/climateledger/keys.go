package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
)

func init() {
	register("keygen", "create an Ed25519 key file for a party", cmdKeygen)
}

func cmdKeygen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "keygen", "--out FILE")
	out := fs.String("out", "", "key file to create (mode 0600; never overwritten)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "out"); err != nil {
		return err
	}
	s, err := events.GenerateSigner(rand.Reader)
	if err != nil {
		return err
	}
	if err := writeNewFile(*out, events.MarshalKeyFile(s)); err != nil {
		return err
	}
	ref := s.Ref()
	fmt.Fprintf(e.stdout, "{\"keyid\":%q,\"public\":%q,\"file\":%q}\n", ref.KeyID, ref.Public, *out)
	return nil
}

// writeNewFile creates a key file (0600, synced), refusing to overwrite.
func writeNewFile(path string, b []byte) error {
	err := ledger.WriteKeyFile(path, b)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; not overwriting a key", path)
	}
	return err
}

// readSigner reads a key file with its private key.
func readSigner(path string) (*events.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := events.ParseKeyFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}
