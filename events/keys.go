package events

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
)

// KeyID returns the key id of an Ed25519 public key: the lower-case hex of
// SHA-256 of its 32 raw bytes (docs/SPEC.md §1).
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// PublicKeyRef is a public key as it travels in event bodies: its key id and the base64
// of its 32 raw bytes. A valid ref's KeyID is KeyID of its decoded public key.
type PublicKeyRef struct {
	KeyID  string `json:"keyid"`
	Public string `json:"public"`
}

// RefOf returns the PublicKeyRef of pub.
func RefOf(pub ed25519.PublicKey) PublicKeyRef {
	return PublicKeyRef{KeyID: KeyID(pub), Public: base64.StdEncoding.EncodeToString(pub)}
}

// Decode checks the ref and returns its public key. It fails when Public is not the
// canonical base64 of 32 bytes or KeyID does not match it.
func (r PublicKeyRef) Decode() (ed25519.PublicKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(r.Public)
	if err != nil || len(raw) != ed25519.PublicKeySize || base64.StdEncoding.EncodeToString(raw) != r.Public {
		return nil, fmt.Errorf("public: want the standard base64 of a 32-byte Ed25519 key")
	}
	pub := ed25519.PublicKey(raw)
	if want := KeyID(pub); r.KeyID != want {
		return nil, fmt.Errorf("keyid: %q does not match the public key (want %s)", r.KeyID, want)
	}
	return pub, nil
}

// Signer is an Ed25519 private key with its key id. It is safe for concurrent use.
type Signer struct {
	keyID string
	priv  ed25519.PrivateKey
}

// NewSigner returns the signer for a 32-byte Ed25519 seed.
func NewSigner(seed []byte) (*Signer, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("ed25519 seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Signer{keyID: KeyID(priv.Public().(ed25519.PublicKey)), priv: priv}, nil
}

// GenerateSigner creates a new key from rand (crypto/rand.Reader in production; a fixed
// reader in the vector generator).
func GenerateSigner(rand io.Reader) (*Signer, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rand, seed); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return NewSigner(seed)
}

// KeyID returns the signer's key id.
func (s *Signer) KeyID() string { return s.keyID }

// Public returns the signer's public key.
func (s *Signer) Public() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }

// Ref returns the signer's public key as a PublicKeyRef.
func (s *Signer) Ref() PublicKeyRef { return RefOf(s.Public()) }

// Seed returns the 32-byte seed. Handle with care: it is the private key.
func (s *Signer) Seed() []byte { return s.priv.Seed() }

// Sign signs msg.
func (s *Signer) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }

// keyFile is the on-disk JSON form of a key (docs/SPEC.md §1).
type keyFile struct {
	KeyID   string `json:"keyid"`
	Public  string `json:"public"`
	Private string `json:"private"`
}

// MarshalKeyFile returns the key-file bytes for s:
// {"keyid":"…","public":"<base64>","private":"<base64 of the 32-byte seed>"} and a
// newline. Writing the file (mode 0600) is the caller's job.
func MarshalKeyFile(s *Signer) []byte {
	b, _ := json.Marshal(keyFile{KeyID: s.keyID, Public: base64.StdEncoding.EncodeToString(s.Public()), Private: base64.StdEncoding.EncodeToString(s.Seed())})
	return append(b, '\n')
}

// ParseKeyFile parses key-file bytes and checks that keyid and public match the seed.
func ParseKeyFile(b []byte) (*Signer, error) {
	var kf keyFile
	if err := decodeStrict(trimNewline(b), &kf); err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	seed, err := base64.StdEncoding.Strict().DecodeString(kf.Private)
	if err != nil {
		return nil, fmt.Errorf("key file: private: %v", err)
	}
	s, err := NewSigner(seed)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if kf.KeyID != s.keyID || kf.Public != base64.StdEncoding.EncodeToString(s.Public()) {
		return nil, fmt.Errorf("key file: keyid or public does not match the private key")
	}
	return s, nil
}

// ParsePublicKeyFile reads a key file but needs only its public part; the private
// field may be absent. It returns the checked PublicKeyRef.
func ParsePublicKeyFile(b []byte) (PublicKeyRef, error) {
	var kf struct {
		KeyID   string `json:"keyid"`
		Public  string `json:"public"`
		Private string `json:"private,omitempty"`
	}
	if err := decodeStrict(trimNewline(b), &kf); err != nil {
		return PublicKeyRef{}, fmt.Errorf("key file: %w", err)
	}
	ref := PublicKeyRef{KeyID: kf.KeyID, Public: kf.Public}
	if _, err := ref.Decode(); err != nil {
		return PublicKeyRef{}, fmt.Errorf("key file: %w", err)
	}
	return ref, nil
}

func trimNewline(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
