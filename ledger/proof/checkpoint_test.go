package proof_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
	"golang.org/x/mod/sumdb/note"
)

// testKey is a log key generated deterministically from a label.
type testKey struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func newTestKey(t testing.TB, label, origin string) testKey {
	t.Helper()
	seed := sha256.Sum256([]byte(label))
	skey, vkey, err := proof.GenerateLogKey(bytes.NewReader(seed[:]), origin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := proof.ParseSignerKey(skey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	v, err := proof.ParseVerifierKey(vkey + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return testKey{skey, vkey, s, v}
}

func TestCheckpointMarshal(t *testing.T) {
	c := proof.Checkpoint{Origin: "example.com/log", Size: 20852163, Root: sha256.Sum256([]byte("root"))}
	want := "example.com/log\n20852163\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
	if got := string(c.Marshal()); got != want {
		t.Errorf("Marshal() = %q, want %q", got, want)
	}
	got, err := proof.ParseCheckpointBody([]byte(want))
	if err != nil || got != c {
		t.Errorf("ParseCheckpointBody = %+v, %v; want %+v", got, err, c)
	}
	zero := proof.Checkpoint{Origin: "o", Size: 0}
	if got, err := proof.ParseCheckpointBody(zero.Marshal()); err != nil || got != zero {
		t.Errorf("ParseCheckpointBody(size 0) = %+v, %v", got, err)
	}
}

func TestParseCheckpointBodyErrors(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tc := range []struct {
		name, body string
		line       int
		msg        string
	}{
		{"empty", "", 0, "does not end with a newline"},
		{"no final newline", "o\n1\n" + root, 0, "does not end with a newline"},
		{"two lines", "o\n1\n", 2, "has 2 lines"},
		{"extension", "o\n1\n" + root + "\next\n", 4, "extension lines"},
		{"empty origin", "\n1\n" + root + "\n", 1, "origin: empty"},
		{"origin with space", "a b\n1\n" + root + "\n", 1, "white space"},
		{"origin with plus", "a+b\n1\n" + root + "\n", 1, "contains '+'"},
		{"leading zero", "o\n01\n" + root + "\n", 2, "leading zero"},
		{"negative size", "o\n-1\n" + root + "\n", 2, "not a decimal"},
		{"plus size", "o\n+1\n" + root + "\n", 2, "not a decimal"},
		{"empty size", "o\n\n" + root + "\n", 2, "empty"},
		{"huge size", "o\n18446744073709551616\n" + root + "\n", 2, "64 bits"},
		{"short root", "o\n1\n" + root[:40] + "\n", 3, "32-byte hash"},
		{"non-canonical root", "o\n1\n" + root[:42] + "B=\n", 3, "32-byte hash"},
		{"hex root", "o\n1\n" + strings.Repeat("00", 32) + "\n", 3, "32-byte hash"},
		{"crlf", "o\r\n1\n" + root + "\n", 1, "white space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proof.ParseCheckpointBody([]byte(tc.body))
			var fe *proof.FormatError
			if !errors.As(err, &fe) || !errors.Is(err, proof.ErrMalformed) {
				t.Fatalf("err = %v, want *FormatError", err)
			}
			if fe.Format != "checkpoint body" || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("err = %+v (%q), want line %d containing %q", fe, err, tc.line, tc.msg)
			}
		})
	}
}

func TestSignOpenCheckpoint(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	c := proof.Checkpoint{Origin: proof.DefaultOrigin, Size: 7, Root: sha256.Sum256([]byte("r"))}
	signed, err := proof.SignCheckpoint(c, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	// Exact layout: body, blank line, "— <origin> <base64(keyid4 ‖ sig)>\n".
	body, sigs, ok := strings.Cut(string(signed), "\n\n")
	if !ok || body+"\n" != string(c.Marshal()) {
		t.Fatalf("signed note %q does not start with the body", signed)
	}
	prefix := "— " + proof.DefaultOrigin + " "
	if !strings.HasPrefix(sigs, prefix) || strings.Count(sigs, "\n") != 1 || !strings.HasSuffix(sigs, "\n") {
		t.Fatalf("signature block %q, want one line %q…", sigs, prefix)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(sigs, prefix), "\n"))
	if err != nil || len(raw) != 4+64 {
		t.Fatalf("signature is %d bytes (%v), want 68", len(raw), err)
	}
	got, err := proof.OpenCheckpoint(signed, k.verifier)
	if err != nil || got != c {
		t.Fatalf("OpenCheckpoint = %+v, %v; want %+v", got, err, c)
	}

	// Witness cosignatures, before or after the log's, are ignored.
	w := newTestKey(t, "witness", "witness.example/w1")
	n, err := note.Open(signed, note.VerifierList(k.verifier))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, w.signer)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(cosigned, []byte("\n— ")) != 2 {
		t.Fatalf("cosigned note %q should have two signature lines", cosigned)
	}
	if got, err := proof.OpenCheckpoint(cosigned, k.verifier); err != nil || got != c {
		t.Errorf("OpenCheckpoint(cosigned) = %+v, %v", got, err)
	}
	wFirst, err := note.Sign(&note.Note{Text: string(c.Marshal())}, w.signer, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := proof.OpenCheckpoint(wFirst, k.verifier); err != nil || got != c {
		t.Errorf("OpenCheckpoint(witness first) = %+v, %v", got, err)
	}

	// SignCheckpoint refuses an origin that is not the key name.
	_, err = proof.SignCheckpoint(proof.Checkpoint{Origin: "other.example/log"}, k.signer)
	var ome *proof.OriginMismatchError
	if !errors.As(err, &ome) || ome.Origin != "other.example/log" || ome.KeyName != proof.DefaultOrigin {
		t.Errorf("SignCheckpoint(other origin): err = %v, want OriginMismatchError", err)
	}
	if _, err := proof.SignCheckpoint(proof.Checkpoint{Origin: "a b"}, k.signer); !errors.Is(err, proof.ErrMalformed) {
		t.Errorf("SignCheckpoint(bad origin): err = %v, want ErrMalformed", err)
	}
}

// flipSignatureByte flips one bit of the Ed25519 signature (not the key hash) in the
// first signature line of a signed note.
func flipSignatureByte(t *testing.T, signed []byte, at int) []byte {
	t.Helper()
	i := bytes.LastIndex(signed, []byte("\n\n"))
	lines := strings.SplitN(string(signed[i+2:]), "\n", 2)
	sp := strings.LastIndexByte(lines[0], ' ')
	raw, err := base64.StdEncoding.DecodeString(lines[0][sp+1:])
	if err != nil {
		t.Fatal(err)
	}
	raw[4+at] ^= 0x01
	out := string(signed[:i+2]) + lines[0][:sp+1] + base64.StdEncoding.EncodeToString(raw) + "\n" + lines[1]
	return []byte(out)
}

func TestOpenCheckpointErrors(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	c := proof.Checkpoint{Origin: proof.DefaultOrigin, Size: 7, Root: sha256.Sum256([]byte("r"))}
	signed, err := proof.SignCheckpoint(c, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(text string, signers ...note.Signer) []byte {
		b, err := note.Sign(&note.Note{Text: text}, signers...)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	other := newTestKey(t, "impostor", proof.DefaultOrigin) // same name, different key
	stranger := newTestKey(t, "stranger", "stranger.example/log")

	edited := func(old, new string) []byte {
		if !bytes.Contains(signed, []byte(old)) {
			t.Fatalf("signed note has no %q", old)
		}
		return bytes.Replace(signed, []byte(old), []byte(new), 1)
	}
	rootB64 := base64.StdEncoding.EncodeToString(c.Root[:])
	otherRoot := sha256.Sum256([]byte("other root"))

	for _, tc := range []struct {
		name   string
		note   []byte
		target error
		text   string
	}{
		{"signature byte flipped", flipSignatureByte(t, signed, 10), proof.ErrBadSignature,
			"checkpoint signature: signature by log key climateledger.local/log+"},
		{"last signature byte flipped", flipSignatureByte(t, signed, 63), proof.ErrBadSignature, "does not verify"},
		{"size edited", edited("\n7\n", "\n8\n"), proof.ErrBadSignature, "does not verify"},
		{"root edited", edited(rootB64, base64.StdEncoding.EncodeToString(otherRoot[:])), proof.ErrBadSignature, "does not verify"},
		{"origin edited", edited("climateledger.local/log\n7", "climateledger.local/lag\n7"), proof.ErrBadSignature, "does not verify"},
		{"signed by another key with the same name", sign(string(c.Marshal()), other.signer), proof.ErrUnknownKey,
			"checkpoint signature: no signature by log key climateledger.local/log+"},
		{"signed by a stranger", sign(string(c.Marshal()), stranger.signer), proof.ErrUnknownKey,
			"(signed by stranger.example/log+"},
		{"origin is not the key name", sign("someone.else/log\n7\n"+rootB64+"\n", k.signer), proof.ErrOriginMismatch,
			`checkpoint origin "someone.else/log" does not match log key name "climateledger.local/log"`},
		{"signed body is not a checkpoint", sign("hello\n", k.signer), proof.ErrMalformed, "checkpoint body: line 1: has 1 lines"},
		{"signed body with extension line", sign(string(c.Marshal())+"ext\n", k.signer), proof.ErrMalformed,
			"checkpoint body: line 4: extension lines are not supported"},
		{"no signature block", c.Marshal(), proof.ErrMalformed, "checkpoint: malformed signed note"},
		{"trailing garbage", append(bytes.Clone(signed), "garbage\n"...), proof.ErrMalformed, "checkpoint: malformed signed note"},
		{"missing final newline", signed[:len(signed)-1], proof.ErrMalformed, "checkpoint: malformed signed note"},
		{"empty", nil, proof.ErrMalformed, "checkpoint: malformed signed note"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proof.OpenCheckpoint(tc.note, k.verifier)
			if !errors.Is(err, tc.target) {
				t.Fatalf("err = %v, want %v", err, tc.target)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %q, want it to contain %q", err, tc.text)
			}
			for _, other := range []error{proof.ErrMalformed, proof.ErrBadSignature, proof.ErrUnknownKey, proof.ErrOriginMismatch, proof.ErrInvalidProof} {
				if other != tc.target && errors.Is(err, other) {
					t.Errorf("err = %v also matches %v", err, other)
				}
			}
		})
	}

	// The error data.
	_, err = proof.OpenCheckpoint(sign(string(c.Marshal()), other.signer), k.verifier)
	var uke *proof.UnknownKeyError
	if !errors.As(err, &uke) || uke.Name != proof.DefaultOrigin || uke.KeyHash != k.verifier.KeyHash() ||
		len(uke.Found) != 1 || uke.Found[0] == "" {
		t.Errorf("UnknownKeyError = %+v", uke)
	}
	_, err = proof.OpenCheckpoint(flipSignatureByte(t, signed, 0), k.verifier)
	var se *proof.SignatureError
	if !errors.As(err, &se) || se.Name != proof.DefaultOrigin || se.KeyHash != k.verifier.KeyHash() {
		t.Errorf("SignatureError = %+v", se)
	}
}

func TestLogKeys(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	if !strings.HasPrefix(k.skey, "PRIVATE+KEY+climateledger.local/log+") {
		t.Errorf("signer key %q…: wrong prefix", k.skey[:30])
	}
	parts := strings.SplitN(k.vkey, "+", 3)
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if len(parts) != 3 || parts[0] != proof.DefaultOrigin || len(parts[1]) != 8 || err != nil || len(raw) != 33 || raw[0] != 1 {
		t.Errorf("verifier key %q: want <origin>+<hex keyid4>+<base64(0x01 ‖ pub)>", k.vkey)
	}
	if k.signer.Name() != proof.DefaultOrigin || k.verifier.Name() != proof.DefaultOrigin || k.signer.KeyHash() != k.verifier.KeyHash() {
		t.Errorf("signer %s+%08x, verifier %s+%08x", k.signer.Name(), k.signer.KeyHash(), k.verifier.Name(), k.verifier.KeyHash())
	}
	// Deterministic from the seed.
	if again := newTestKey(t, "log", proof.DefaultOrigin); again.skey != k.skey || again.vkey != k.vkey {
		t.Error("GenerateLogKey is not deterministic in its random input")
	}

	for _, origin := range []string{"", "a b", "a+b", "tab\there", "nl\n", "bad\xff"} {
		if _, _, err := proof.GenerateLogKey(bytes.NewReader(make([]byte, 32)), origin); !errors.Is(err, proof.ErrMalformed) {
			t.Errorf("GenerateLogKey(origin %q): err = %v, want ErrMalformed", origin, err)
		}
	}
	if _, _, err := proof.GenerateLogKey(bytes.NewReader(nil), proof.DefaultOrigin); err == nil {
		t.Error("GenerateLogKey with an empty random source succeeded")
	}

	secret := strings.SplitN(k.skey, "+", 5)[4]
	hash := parts[1]
	flipHash := "00000000"
	if hash == flipHash {
		flipHash = "11111111"
	}
	for _, tc := range []struct{ name, key, msg string }{
		{"empty", "", "want PRIVATE+KEY+"},
		{"verifier key", k.vkey, "want PRIVATE+KEY+"},
		{"two newlines", k.skey + "\n\n", "not canonical"},
		{"crlf", k.skey + "\r\n", "not canonical"},
		{"bad name", strings.Replace(k.skey, "climateledger.local/log", "climate ledger", 1), "key name"},
		{"upper-case hash", strings.Replace(k.skey, hash, strings.ToUpper(hash[:7])+"X", 1), "8 lower-case hex"},
		{"wrong hash", strings.Replace(k.skey, hash, flipHash, 1), "rejected by sumdb/note"},
		{"bad base64", k.skey[:len(k.skey)-2] + "!!", "not canonical"},
		{"not ed25519", strings.Replace(k.skey, secret, base64.StdEncoding.EncodeToString(append([]byte{2}, make([]byte, 32)...)), 1), "not an Ed25519 key"},
	} {
		t.Run("signer/"+tc.name, func(t *testing.T) {
			_, err := proof.ParseSignerKey(tc.key)
			var fe *proof.FormatError
			if !errors.As(err, &fe) || fe.Format != "log signer key" || !strings.Contains(fe.Msg, tc.msg) {
				t.Fatalf("err = %v, want log signer key error containing %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
				t.Errorf("error %q leaks the private key", err)
			}
		})
	}
	for _, tc := range []struct{ name, key, msg string }{
		{"empty", "", "want <origin>+"},
		{"signer key", k.skey, "private signer key"},
		{"wrong hash", strings.Replace(k.vkey, hash, flipHash, 1), "rejected by sumdb/note"},
		{"short key", parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(raw[:20]), "not an Ed25519 key"},
		{"trailing space", k.vkey + " ", "not canonical"},
	} {
		t.Run("verifier/"+tc.name, func(t *testing.T) {
			_, err := proof.ParseVerifierKey(tc.key)
			var fe *proof.FormatError
			if !errors.As(err, &fe) || fe.Format != "log verifier key" || !strings.Contains(fe.Msg, tc.msg) {
				t.Fatalf("err = %v, want log verifier key error containing %q", err, tc.msg)
			}
		})
	}
}
