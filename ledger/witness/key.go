package witness

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/internal/fsutil"
	"github.com/climateledger/climateledger/ledger/proof"
)

// Files in a witness's data directory.
const (
	// KeyFile holds the witness's signer key, "PRIVATE+KEY+<name>+<hash>+<base64(0x04 ‖
	// seed)>\n", written 0600 and never logged.
	KeyFile = "witness.key"
	// PubFile holds the witness's verifier key (see [ParseVerifierKey]) and a newline.
	PubFile = "witness.pub"
)

// algCosignatureV1 is the signed-note key type of Ed25519 cosignature/v1 keys.
const algCosignatureV1 = 0x04

// ErrMalformed matches every error about a key string or witness request that is not
// in the expected format (it is proof.ErrMalformed, so callers need test only one).
var ErrMalformed = proof.ErrMalformed

// keyHash is the signed-note key hash of a cosignature/v1 key: the first four bytes of
// SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key), big-endian.
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// GenerateKey makes a new Ed25519 cosignature/v1 key for a witness called name,
// reading the seed from rand (crypto/rand.Reader in production). skey is the signer key
// string, vkey the verifier key string; neither ends in a newline. The name must be a
// valid signed-note key name (see proof.ValidateOrigin), for example
// "uslax.witness.example.org".
func GenerateKey(rand io.Reader, name string) (skey, vkey string, err error) {
	if err := proof.ValidateOrigin(name); err != nil {
		return "", "", fmt.Errorf("generate witness key: name: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return "", "", fmt.Errorf("generate witness key: %w", err)
	}
	h := keyHash(name, pub)
	skey = fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, priv.Seed()...)))
	vkey = fmt.Sprintf("%s+%08x+%s", name, h, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
	return skey, vkey, nil
}

// Signer makes a witness's timestamped cosignature/v1 signatures (a note.Signer that
// uses the clock) and knows its verifier key string.
type Signer struct {
	note.Signer
	// VerifierKey is the matching verifier key string, without a newline.
	VerifierKey string
}

// ParseSignerKey parses a witness signer key string (one trailing newline allowed)
// into a *Signer. Errors are *proof.FormatError with Format "witness signer key";
// they never contain key material.
func ParseSignerKey(skey string) (*Signer, error) {
	bad := func(format string, args ...any) (*Signer, error) {
		return nil, &proof.FormatError{Format: "witness signer key", Msg: fmt.Sprintf(format, args...)}
	}
	s := strings.TrimSuffix(skey, "\n")
	parts := strings.SplitN(s, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return bad("want PRIVATE+KEY+<name>+<hex key hash>+<base64 key>")
	}
	key, msg := decodeKeyParts(parts[2], parts[3], parts[4], ed25519.SeedSize)
	if msg != "" {
		return bad("%s", msg)
	}
	pub := ed25519.NewKeyFromSeed(key).Public().(ed25519.PublicKey)
	if fmt.Sprintf("%08x", keyHash(parts[2], pub)) != parts[3] {
		return bad("key hash %s does not match the key", parts[3])
	}
	signer, err := tdnote.NewSignerForCosignatureV1(s)
	if err != nil {
		return bad("rejected by transparency-dev/formats: %v", err)
	}
	vkey := fmt.Sprintf("%s+%s+%s", parts[2], parts[3], base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, pub...)))
	return &Signer{Signer: signer, VerifierKey: vkey}, nil
}

// ParseVerifierKey parses a witness verifier key "<name>+<hex key hash>+<base64(0x04 ‖
// 32-byte Ed25519 public key)>" (one trailing newline allowed) into a note.Verifier of
// cosignature/v1 signatures. The key hash must match the name and key. Errors are
// *proof.FormatError with Format "witness verifier key".
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	bad := func(format string, args ...any) (note.Verifier, error) {
		return nil, &proof.FormatError{Format: "witness verifier key", Msg: fmt.Sprintf(format, args...)}
	}
	s := strings.TrimSuffix(vkey, "\n")
	if strings.HasPrefix(s, "PRIVATE+KEY+") {
		return bad("this is a private signer key (%s), want the verifier key (%s)", KeyFile, PubFile)
	}
	parts := strings.SplitN(s, "+", 3)
	if len(parts) != 3 {
		return bad("want <name>+<hex key hash>+<base64 key>")
	}
	key, msg := decodeKeyParts(parts[0], parts[1], parts[2], ed25519.PublicKeySize)
	if msg != "" {
		return bad("%s", msg)
	}
	if fmt.Sprintf("%08x", keyHash(parts[0], key)) != parts[1] {
		return bad("key hash %s does not match the name and key", parts[1])
	}
	v, err := tdnote.NewVerifierForCosignatureV1(s)
	if err != nil {
		return bad("rejected by transparency-dev/formats: %v", err)
	}
	return v, nil
}

// decodeKeyParts checks the name, hash and key fields of a key string and returns the
// key bytes after the 0x04 type byte, or a description of the first problem.
func decodeKeyParts(name, hash, key64 string, size int) ([]byte, string) {
	if err := proof.ValidateOrigin(name); err != nil {
		var fe *proof.FormatError
		errors.As(err, &fe)
		return nil, "key name: " + fe.Msg
	}
	if len(hash) != 8 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, "key hash is not 8 lower-case hex digits"
	}
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil || base64.StdEncoding.EncodeToString(key) != key64 {
		return nil, "key is not canonical standard base64"
	}
	if len(key) != 1+size || key[0] != algCosignatureV1 {
		return nil, fmt.Sprintf("key is not an Ed25519 cosignature/v1 key (want %d bytes starting 0x04, got %d bytes)", 1+size, len(key))
	}
	return key[1:], ""
}

// LoadOrCreateKey reads the witness key from dir/witness.key, or, when there is none,
// creates one named name (dir/witness.key 0600, dir/witness.pub 0644). An existing key whose name differs from a
// non-empty name is an error: a witness's name is part of its identity.
func LoadOrCreateKey(rand io.Reader, dir, name string) (*Signer, error) {
	path := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if name == "" {
			return nil, fmt.Errorf("%s does not exist and no witness name was given to create it", path)
		}
		skey, vkey, err := GenerateKey(rand, name)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		if err := fsutil.WriteNewFile(path, []byte(skey+"\n"), 0o600); err != nil {
			return nil, err
		}
		if err := fsutil.WriteNewFile(filepath.Join(dir, PubFile), []byte(vkey+"\n"), 0o644); err != nil {
			return nil, err
		}
		b = []byte(skey + "\n")
	} else if err != nil {
		return nil, err
	}
	signer, err := ParseSignerKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if name != "" && signer.Name() != name {
		return nil, fmt.Errorf("%s is the key of witness %q, not %q", path, signer.Name(), name)
	}
	return signer, nil
}
