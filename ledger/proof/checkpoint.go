package proof

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// DefaultOrigin is the checkpoint origin (and log key name) used when none is configured.
const DefaultOrigin = "climateledger.local/log"

// Checkpoint is the content of a C2SP tlog-checkpoint: the log's origin and the size
// and RFC 6962 root of its tree.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   [32]byte
}

// Marshal returns the checkpoint note text (the body that is signed):
// "<origin>\n<size>\n<base64 root>\n". It does not validate the origin; see
// [ValidateOrigin] and [SignCheckpoint].
func (c Checkpoint) Marshal() []byte {
	b := make([]byte, 0, len(c.Origin)+1+20+1+44+1)
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.Size, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Root[:])
	return append(b, '\n')
}

// ValidateOrigin reports whether origin can name a log: it must be non-empty valid
// UTF-8 with no white space, no control characters and no '+' (the signed-note key
// name rules). It returns a *FormatError (ErrMalformed) saying what is wrong.
func ValidateOrigin(origin string) error {
	bad := func(msg string) error { return &FormatError{Format: "origin", Msg: msg} }
	switch {
	case origin == "":
		return bad("empty")
	case !utf8.ValidString(origin):
		return bad(quote(origin) + " is not valid UTF-8")
	case strings.ContainsRune(origin, '+'):
		return bad(quote(origin) + " contains '+'")
	case strings.IndexFunc(origin, unicode.IsSpace) >= 0:
		return bad(quote(origin) + " contains white space")
	case strings.IndexFunc(origin, unicode.IsControl) >= 0:
		return bad(quote(origin) + " contains a control character")
	}
	return nil
}

// ParseCheckpointBody parses a checkpoint note text strictly: exactly three lines, each
// ended by '\n' — a valid origin (see [ValidateOrigin]), the tree size in decimal with
// no leading zeroes, and the canonical standard base64 of a 32-byte root. Extension
// lines are rejected. Errors are *FormatError (ErrMalformed) with Format
// "checkpoint body" and the line number.
func ParseCheckpointBody(text []byte) (Checkpoint, error) {
	bad := func(line int, format string, args ...any) (Checkpoint, error) {
		return Checkpoint{}, &FormatError{Format: "checkpoint body", Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	if len(text) == 0 || text[len(text)-1] != '\n' {
		return bad(0, "does not end with a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if err := ValidateOrigin(lines[0]); err != nil {
		return bad(1, "origin: %s", err.(*FormatError).Msg)
	}
	if len(lines) < 3 {
		return bad(len(lines), "has %d lines, want 3 (origin, tree size, root)", len(lines))
	}
	if len(lines) > 3 {
		return bad(4, "extension lines are not supported")
	}
	var c Checkpoint
	c.Origin = lines[0]
	size, err := parseDecimal(lines[1])
	if err != nil {
		return bad(2, "tree size: %v", err)
	}
	c.Size = size
	root, err := parseHash(lines[2])
	if err != nil {
		return bad(3, "root hash: %v", err)
	}
	c.Root = root
	return c, nil
}

// SignCheckpoint signs c with the log's signer and returns the signed note. The signer's
// name must equal c.Origin (*OriginMismatchError otherwise) and the origin must be valid
// (*FormatError); errors from the signer are returned wrapped.
func SignCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	if err := ValidateOrigin(c.Origin); err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	if signer.Name() != c.Origin {
		return nil, fmt.Errorf("sign checkpoint: %w", &OriginMismatchError{Origin: c.Origin, KeyName: signer.Name()})
	}
	msg, err := note.Sign(&note.Note{Text: string(c.Marshal())}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint verifies a signed checkpoint against the log's verifier key and returns
// its content. Signature lines by other keys (witness cosignatures) are ignored. The
// error names the step that failed:
//
//   - "checkpoint: malformed signed note" — not a signed note (*FormatError, ErrMalformed);
//   - "checkpoint signature: no signature by log key …" — not signed by v (*UnknownKeyError, ErrUnknownKey);
//   - "checkpoint signature: signature by log key … does not verify" (*SignatureError, ErrBadSignature);
//   - "checkpoint body: line N: …" — signed, but not a checkpoint (*FormatError, ErrMalformed);
//   - "checkpoint origin … does not match log key name …" (*OriginMismatchError, ErrOriginMismatch).
func OpenCheckpoint(signedNote []byte, v note.Verifier) (Checkpoint, error) {
	if v == nil {
		return Checkpoint{}, errors.New("open checkpoint: nil verifier")
	}
	n, err := note.Open(signedNote, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, noteError(err, v)
	}
	c, err := ParseCheckpointBody([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, &OriginMismatchError{Origin: c.Origin, KeyName: v.Name()}
	}
	return c, nil
}

// noteError translates an error from note.Open into this package's errors.
func noteError(err error, v note.Verifier) error {
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		e := &UnknownKeyError{Name: v.Name(), KeyHash: v.KeyHash()}
		for _, s := range unverified.Note.UnverifiedSigs {
			e.Found = append(e.Found, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
		}
		return fmt.Errorf("checkpoint signature: %w", e)
	case errors.As(err, &invalid):
		return fmt.Errorf("checkpoint signature: %w", &SignatureError{Name: invalid.Name, KeyHash: invalid.Hash})
	default:
		// note.Open's other errors are unexported "malformed note" values.
		return &FormatError{Format: "checkpoint", Msg: "malformed signed note (" + err.Error() + ")"}
	}
}

// PeekCheckpoint parses a signed checkpoint without verifying any signature: it checks
// that b is a well-formed signed note whose text is a checkpoint body, and returns the
// body. Errors are *FormatError (ErrMalformed). Only a verified checkpoint
// ([OpenCheckpoint]) says anything about the log; this is for reading sizes and
// reporting.
func PeekCheckpoint(b []byte) (Checkpoint, error) {
	text, err := checkNoteSyntax(b)
	if err != nil {
		return Checkpoint{}, &FormatError{Format: "checkpoint", Msg: fmt.Sprintf("malformed signed note (%v)", err)}
	}
	return ParseCheckpointBody([]byte(text))
}

// checkNoteSyntax checks that b is a well-formed signed note (text, blank line, one or
// more signature lines), without verifying any signature, and returns its text.
func checkNoteSyntax(b []byte) (string, error) {
	_, err := note.Open(b, nil)
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		return unverified.Note.Text, nil
	}
	if err == nil { // cannot happen with no verifiers
		return "", errors.New("signed note verified with no keys")
	}
	return "", err
}

// GenerateLogKey generates a new Ed25519 log key named by origin, reading the seed from
// rand (crypto/rand.Reader in production). skey is the signer key
// (PRIVATE+KEY+<origin>+<hash>+<base64>), vkey the verifier key
// (<origin>+<hash>+<base64>); the key files hold each followed by "\n". It fails if the
// origin is invalid (*FormatError) or rand fails.
func GenerateLogKey(rand io.Reader, origin string) (skey, vkey string, err error) {
	if err := ValidateOrigin(origin); err != nil {
		return "", "", fmt.Errorf("generate log key: %w", err)
	}
	skey, vkey, err = note.GenerateKey(rand, origin)
	if err != nil {
		return "", "", fmt.Errorf("generate log key: %w", err)
	}
	return skey, vkey, nil
}

// ParseSignerKey parses a log signer key string, as read from keys/log.key (one trailing
// "\n" is allowed), into a note.Signer whose Name is the origin. Errors are *FormatError
// (ErrMalformed) with Format "log signer key"; they never contain key material.
func ParseSignerKey(skey string) (note.Signer, error) {
	bad := func(format string, args ...any) (note.Signer, error) {
		return nil, &FormatError{Format: "log signer key", Msg: fmt.Sprintf(format, args...)}
	}
	s := strings.TrimSuffix(skey, "\n")
	parts := strings.SplitN(s, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return bad("want PRIVATE+KEY+<origin>+<hex key hash>+<base64 key>")
	}
	if err := checkKeyParts(parts[2], parts[3], parts[4]); err != "" {
		return bad("%s", err)
	}
	signer, err := note.NewSigner(s)
	if err != nil {
		return bad("rejected by sumdb/note: %v", err)
	}
	return signer, nil
}

// ParseVerifierKey parses a log verifier key string, as read from keys/log.pub or given
// with --log-key (one trailing "\n" is allowed), into a note.Verifier whose Name is the
// origin. Only Ed25519 keys are accepted. Errors are *FormatError (ErrMalformed) with
// Format "log verifier key".
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	bad := func(format string, args ...any) (note.Verifier, error) {
		return nil, &FormatError{Format: "log verifier key", Msg: fmt.Sprintf(format, args...)}
	}
	s := strings.TrimSuffix(vkey, "\n")
	if strings.HasPrefix(s, "PRIVATE+KEY+") {
		return bad("this is a private signer key (keys/log.key), want the verifier key (keys/log.pub)")
	}
	parts := strings.SplitN(s, "+", 3)
	if len(parts) != 3 {
		return bad("want <origin>+<hex key hash>+<base64 key>")
	}
	if err := checkKeyParts(parts[0], parts[1], parts[2]); err != "" {
		return bad("%s", err)
	}
	v, err := note.NewVerifier(s)
	if err != nil {
		return bad("rejected by sumdb/note: %v", err)
	}
	return v, nil
}

// checkKeyParts checks the name, hash and key fields common to signer and verifier key
// strings and returns a description of the first problem, or "".
func checkKeyParts(name, hash, key64 string) string {
	if err := ValidateOrigin(name); err != nil {
		return "key name: " + err.(*FormatError).Msg
	}
	if len(hash) != 8 || strings.Trim(hash, "0123456789abcdef") != "" {
		return "key hash is not 8 lower-case hex digits"
	}
	key, err := base64.StdEncoding.Strict().DecodeString(key64)
	if err != nil || base64.StdEncoding.EncodeToString(key) != key64 {
		return "key is not canonical standard base64"
	}
	if len(key) != 33 || key[0] != 0x01 {
		return fmt.Sprintf("key is not an Ed25519 key (want 33 bytes starting 0x01, got %d bytes)", len(key))
	}
	return ""
}

// parseDecimal parses an ASCII decimal uint64 with no sign and no leading zeroes.
func parseDecimal(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%s is not a decimal number", quote(s))
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("%s has a leading zero", quote(s))
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s does not fit in 64 bits", quote(s))
	}
	return n, nil
}

// parseHash parses the canonical standard base64 encoding of a 32-byte hash.
func parseHash(s string) ([32]byte, error) {
	var buf [33]byte // base64.StdEncoding.DecodedLen(44)
	if len(s) != base64.StdEncoding.EncodedLen(HashSize) {
		return [32]byte{}, fmt.Errorf("%s is not the base64 of a 32-byte hash", quote(s))
	}
	n, err := base64.StdEncoding.Strict().Decode(buf[:], []byte(s))
	if err != nil || n != HashSize || base64.StdEncoding.EncodeToString(buf[:HashSize]) != s {
		return [32]byte{}, fmt.Errorf("%s is not the base64 of a 32-byte hash", quote(s))
	}
	return [32]byte(buf[:HashSize]), nil
}

// decodeCanonical decodes standard base64 and rejects any non-canonical encoding
// (bad padding, non-zero trailing bits, embedded newlines).
func decodeCanonical(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	if b == nil {
		b = []byte{}
	}
	return b, true
}
