package witness_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	tdnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

func TestGenerateKeyRoundTrip(t *testing.T) {
	seed := sha256.Sum256([]byte("witness key"))
	skey, vkey, err := witness.GenerateKey(bytes.NewReader(seed[:]), "w1.example.org")
	if err != nil {
		t.Fatal(err)
	}
	pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
	h := sha256.Sum256(append([]byte("w1.example.org\n\x04"), pub...))
	wantV := fmt.Sprintf("w1.example.org+%x+%s", h[:4], base64.StdEncoding.EncodeToString(append([]byte{4}, pub...)))
	if vkey != wantV {
		t.Errorf("vkey = %q, want %q (from the spec)", vkey, wantV)
	}
	wantS := fmt.Sprintf("PRIVATE+KEY+w1.example.org+%x+%s", h[:4], base64.StdEncoding.EncodeToString(append([]byte{4}, seed[:]...)))
	if skey != wantS {
		t.Errorf("skey is not PRIVATE+KEY+<name>+<hash>+<base64(0x04 ‖ seed)>")
	}

	s, err := witness.ParseSignerKey(skey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if s.VerifierKey != vkey || s.Name() != "w1.example.org" {
		t.Errorf("signer: VerifierKey %q name %q, want %q, w1.example.org", s.VerifierKey, s.Name(), vkey)
	}
	v, err := witness.ParseVerifierKey(vkey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != s.Name() || v.KeyHash() != s.KeyHash() || witness.KeyID(v) != fmt.Sprintf("w1.example.org+%x", h[:4]) {
		t.Errorf("verifier %s, signer %s", witness.KeyID(v), witness.KeyID(s))
	}

	// A cosignature made with the parsed signer verifies with the parsed verifier,
	// with transparency-dev/formats' verifier, and by the spec written out here.
	log := newTestLog(t, "example.com/log")
	text := log.text(t, 3)
	signed, err := note.Sign(&note.Note{Text: text}, s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(v)); err != nil {
		t.Errorf("own verifier: %v", err)
	}
	tdv, err := tdnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(signed, note.VerifierList(tdv)); err != nil {
		t.Errorf("transparency-dev verifier: %v", err)
	}
	checkCosignatureFromSpec(t, vkey, text, signed[len(text)+1:])

	// The name must be a valid key name.
	for _, name := range []string{"", "a+b", "a b"} {
		if _, _, err := witness.GenerateKey(rand.Reader, name); !errors.Is(err, witness.ErrMalformed) {
			t.Errorf("GenerateKey(%q) = %v, want ErrMalformed", name, err)
		}
	}
}

func TestParseVerifierKeyErrors(t *testing.T) {
	_, vkey, err := witness.GenerateKey(rand.Reader, "w1.example.org")
	if err != nil {
		t.Fatal(err)
	}
	skey, _, err := witness.GenerateKey(rand.Reader, "w1.example.org")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(vkey, "+", 3)
	name, hash, key64 := parts[0], parts[1], parts[2]
	key, _ := base64.StdEncoding.DecodeString(key64)

	otherHash := fmt.Sprintf("%08x", mustParseHex(t, hash)^1)
	type1 := append([]byte{0x01}, key[1:]...)
	logSkey, logVkey, err := proof.GenerateLogKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, vkey, want string
	}{
		{"wrong key hash", name + "+" + otherHash + "+" + key64, "key hash " + otherHash + " does not match the name and key"},
		{"upper-case hash", name + "+" + "A" + hash[1:] + "+" + key64, "key hash is not 8 lower-case hex digits"},
		{"type byte 0x01", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(type1), "key is not an Ed25519 cosignature/v1 key (want 33 bytes starting 0x04, got 33 bytes)"},
		{"log key (type 0x01)", logVkey, "key is not an Ed25519 cosignature/v1 key"},
		{"short key", name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(key[:32]), "got 32 bytes"},
		{"base64 with a newline inside", name + "+" + hash + "+" + key64[:20] + "\n" + key64[20:], "key is not canonical standard base64"},
		{"base64 with a carriage return", name + "+" + hash + "+" + key64[:20] + "\r" + key64[20:], "key is not canonical standard base64"},
		{"URL-safe base64", name + "+" + hash + "+" + base64.URLEncoding.EncodeToString(append([]byte{4}, bytes.Repeat([]byte{0xff}, 32)...)), "key is not canonical standard base64"},
		{"padded base64", name + "+" + hash + "+" + key64 + "==", "key is not canonical standard base64"},
		{"private key", skey, "this is a private signer key (witness.key), want the verifier key (witness.pub)"},
		{"private log key", logSkey, "this is a private signer key"},
		{"two fields", name + "+" + hash, "want <name>+<hex key hash>+<base64 key>"},
		{"bad name", "a b+" + hash + "+" + key64, "key name:"},
		{"two newlines", vkey + "\n\n", "key is not canonical standard base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := witness.ParseVerifierKey(tc.vkey)
			if err == nil {
				t.Fatalf("ParseVerifierKey accepted it: %s", witness.KeyID(v))
			}
			var fe *proof.FormatError
			if !errors.As(err, &fe) || fe.Format != "witness verifier key" || !errors.Is(err, witness.ErrMalformed) {
				t.Errorf("error %v (%T), want a *proof.FormatError with Format \"witness verifier key\"", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), key64) || (strings.HasPrefix(tc.vkey, "PRIVATE") && strings.Contains(err.Error(), strings.SplitN(tc.vkey, "+", 5)[4])) {
				t.Errorf("error %q contains key material", err)
			}
		})
	}
}

func TestParseSignerKeyErrors(t *testing.T) {
	skey, vkey, err := witness.GenerateKey(rand.Reader, "w1.example.org")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(skey, "+", 5)
	seed64 := parts[4]
	otherHash := fmt.Sprintf("%08x", mustParseHex(t, parts[3])^1)
	logSkey, _, _ := proof.GenerateLogKey(rand.Reader, "example.com/log")
	for _, tc := range []struct {
		name, skey, want string
	}{
		{"verifier key", vkey, "want PRIVATE+KEY+<name>+<hex key hash>+<base64 key>"},
		{"wrong key hash", "PRIVATE+KEY+w1.example.org+" + otherHash + "+" + seed64, "key hash " + otherHash + " does not match the key"},
		{"other name", "PRIVATE+KEY+w2.example.org+" + parts[3] + "+" + seed64, "does not match the key"},
		{"log signer key", logSkey, "key is not an Ed25519 cosignature/v1 key"},
		{"non-canonical base64", "PRIVATE+KEY+w1.example.org+" + parts[3] + "+" + seed64[:10] + "\r" + seed64[10:], "key is not canonical standard base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := witness.ParseSignerKey(tc.skey)
			var fe *proof.FormatError
			if !errors.As(err, &fe) || fe.Format != "witness signer key" {
				t.Fatalf("error %v, want a *proof.FormatError with Format \"witness signer key\"", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), seed64) {
				t.Errorf("error %q contains the private key", err)
			}
		})
	}
}

func mustParseHex(t testing.TB, s string) uint32 {
	t.Helper()
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		t.Fatal(err)
	}
	return uint32(n)
}

// umask reads the process's umask on Linux (0o022 elsewhere).
func umask() os.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0o022
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return os.FileMode(n)
			}
		}
	}
	return 0o022
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "w")
	if _, err := witness.LoadOrCreateKey(rand.Reader, dir, ""); err == nil || !strings.Contains(err.Error(), "no witness name was given") {
		t.Errorf("no key and no name: %v, want an error saying no name was given", err)
	}
	s, err := witness.LoadOrCreateKey(rand.Reader, dir, "w1.example.org")
	if err != nil {
		t.Fatal(err)
	}
	for file, perm := range map[string]os.FileMode{witness.KeyFile: 0o600, witness.PubFile: 0o644 &^ umask()} {
		fi, err := os.Stat(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != perm {
			t.Errorf("%s mode %v, want %v", file, got, perm)
		}
	}
	pub, err := os.ReadFile(filepath.Join(dir, witness.PubFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(pub) != s.VerifierKey+"\n" {
		t.Errorf("%s = %q, want the verifier key %q and a newline", witness.PubFile, pub, s.VerifierKey)
	}
	priv, err := os.ReadFile(filepath.Join(dir, witness.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(priv), "PRIVATE+KEY+w1.example.org+") || !strings.HasSuffix(string(priv), "\n") {
		t.Errorf("%s is not a signer key line", witness.KeyFile)
	}

	for _, name := range []string{"w1.example.org", ""} {
		again, err := witness.LoadOrCreateKey(rand.Reader, dir, name)
		if err != nil {
			t.Fatalf("reload with name %q: %v", name, err)
		}
		if again.VerifierKey != s.VerifierKey {
			t.Errorf("reload with name %q: key %s, want the same key %s", name, again.VerifierKey, s.VerifierKey)
		}
	}
	_, err = witness.LoadOrCreateKey(rand.Reader, dir, "w2.example.org")
	if err == nil || !strings.Contains(err.Error(), `is the key of witness "w1.example.org", not "w2.example.org"`) {
		t.Errorf("other name: %v, want an error naming both names", err)
	}
	// Refusing did not replace the key.
	if again, err := witness.LoadOrCreateKey(rand.Reader, dir, ""); err != nil || again.VerifierKey != s.VerifierKey {
		t.Errorf("after the refusal: %v, key changed: %v", err, again == nil || again.VerifierKey != s.VerifierKey)
	}

	// A corrupt key file is an error naming the file, not a new key.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, witness.KeyFile), []byte("garbage\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := witness.LoadOrCreateKey(rand.Reader, bad, "w1.example.org"); err == nil || !strings.Contains(err.Error(), witness.KeyFile) || !errors.Is(err, witness.ErrMalformed) {
		t.Errorf("corrupt key file: %v, want ErrMalformed naming %s", err, witness.KeyFile)
	}
}
