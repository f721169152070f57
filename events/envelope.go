package events

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// PayloadType is the DSSE payloadType of every climateledger event.
const PayloadType = "application/vnd.climateledger.event.v1+json"

// MaxEntrySize is the largest stored entry, in bytes (the gate answers 413 above it).
const MaxEntrySize = 64 << 10

// PAE returns the DSSE v1 pre-authentication encoding that signatures cover:
// "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, 32+len(payloadType)+len(payload))
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// PayloadHash returns SHA-256 of the payload bytes: an event's hash everywhere.
func PayloadHash(payload []byte) Hash { return sha256.Sum256(payload) }

// Signature is one DSSE signature: the signer's key id and the 64-byte Ed25519 signature.
type Signature struct {
	KeyID string
	Sig   []byte
}

// Sign signs payload with every signer and returns the stored entry bytes.
func Sign(payload []byte, signers ...*Signer) []byte {
	pae := PAE(PayloadType, payload)
	sigs := make([]Signature, len(signers))
	for i, s := range signers {
		sigs[i] = Signature{KeyID: s.KeyID(), Sig: s.Sign(pae)}
	}
	return MarshalEnvelope(payload, sigs)
}

// MarshalEnvelope returns the stored form of an envelope: the DSSE JSON, compact, with
// fields in exactly this order and nothing else:
//
//	{"payloadType":"<PayloadType>","payload":"<base64>","signatures":[{"keyid":"<hex>","sig":"<base64>"},…]}
//
// Base64 is standard with padding. Key ids are written as given; ParseEntry accepts only
// 64 lower-case hex digits.
func MarshalEnvelope(payload []byte, sigs []Signature) []byte {
	enc := base64.StdEncoding
	n := 64 + len(PayloadType) + enc.EncodedLen(len(payload)) + len(sigs)*(100+enc.EncodedLen(ed25519.SignatureSize))
	b := make([]byte, 0, n)
	b = append(b, `{"payloadType":"`...)
	b = append(b, PayloadType...)
	b = append(b, `","payload":"`...)
	b = enc.AppendEncode(b, payload)
	b = append(b, `","signatures":[`...)
	for i, s := range sigs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"keyid":"`...)
		b = append(b, s.KeyID...)
		b = append(b, `","sig":"`...)
		b = enc.AppendEncode(b, s.Sig)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// Entry is a parsed log entry: the stored bytes, the envelope's parts, the decoded
// payload and body. An Entry returned by ParseEntry is well-formed; whether it is valid
// at its place in the log is for Registry.Check to say.
//
// An Entry caches signature verdicts; PreVerify and the Registry fill that cache. It is
// not safe for concurrent use.
type Entry struct {
	// Raw is the exact stored bytes (the Merkle leaf's input).
	Raw []byte
	// PayloadBytes is the decoded DSSE payload: the signed, hashed bytes.
	PayloadBytes []byte
	Signatures   []Signature
	// Hash is PayloadHash(PayloadBytes).
	Hash    Hash
	Payload *Payload
	// Time is Payload.Time parsed.
	Time time.Time
	Body Body

	verdicts []int8 // per signature: 0 not checked, 1 valid, -1 invalid
}

// ParseEntry parses stored entry bytes. It accepts exactly the form MarshalEnvelope
// writes, then decodes the payload and its body strictly. On failure it returns a
// *Finding whose code is the first that applies, in this order: CodeMalformedEnvelope,
// CodePayloadType, CodeNoSignatures, CodeMalformedPayload, CodeUnknownType,
// CodeInvalidBody.
func ParseEntry(raw []byte) (*Entry, error) {
	e := &Entry{Raw: raw}
	if len(raw) > MaxEntrySize {
		return nil, findingf(CodeMalformedEnvelope, "entry is %d bytes, over the %d-byte limit", len(raw), MaxEntrySize)
	}
	p := envParser{b: raw}
	p.lit(`{"payloadType":"`)
	typ := p.until('"') // aliases raw; compared below
	p.lit(`","payload":"`)
	payload := p.b64()
	p.lit(`","signatures":[`)
	if p.err == nil && p.peek() != ']' {
		for {
			p.lit(`{"keyid":"`)
			kid := string(p.until('"'))
			p.lit(`","sig":"`)
			sig := p.b64()
			p.lit(`"}`)
			if p.err != nil {
				break
			}
			if !validHexHash(kid) {
				p.fail("signature %d: keyid %s is not 64 lower-case hex digits", len(e.Signatures), quote(kid))
				break
			}
			if len(sig) != ed25519.SignatureSize {
				p.fail("signature %d: sig is %d bytes, want %d", len(e.Signatures), len(sig), ed25519.SignatureSize)
				break
			}
			for _, s := range e.Signatures {
				if s.KeyID == kid {
					p.fail("two signatures by key %s", kid)
				}
			}
			e.Signatures = append(e.Signatures, Signature{KeyID: kid, Sig: sig})
			if p.err != nil || p.peek() != ',' {
				break
			}
			p.lit(",")
		}
	}
	p.lit("]}")
	if p.err == nil && p.i != len(raw) {
		p.fail("trailing data")
	}
	if p.err != nil {
		return nil, &Finding{Code: CodeMalformedEnvelope, Reason: p.err.Error()}
	}
	if string(typ) != PayloadType {
		return nil, findingf(CodePayloadType, "payloadType is %s, want %q", quote(string(typ)), PayloadType)
	}
	if len(e.Signatures) == 0 {
		return nil, findingf(CodeNoSignatures, "the envelope has no signatures")
	}
	e.PayloadBytes = payload
	e.Hash = PayloadHash(payload)
	e.verdicts = make([]int8, len(e.Signatures))
	pl, t, err := parsePayload(payload, true) // payload is the Entry's own copy
	if err != nil {
		return nil, err
	}
	e.Payload, e.Time = pl, t
	if !KnownType(pl.Type) {
		return nil, findingf(CodeUnknownType, "unknown event type %s", quote(pl.Type))
	}
	body, err := decodeBody(pl.Type, pl.Body, true) // the payload check covered the body
	if err != nil {
		return nil, findingFromValidation(CodeInvalidBody, err)
	}
	e.Body = body
	return e, nil
}

// envParser reads the fixed layout of a stored envelope; the first error sticks.
type envParser struct {
	b   []byte
	i   int
	err error
}

func (p *envParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("stored envelope, byte %d: "+format, append([]any{p.i}, args...)...)
	}
}

func (p *envParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *envParser) lit(s string) {
	if p.err != nil {
		return
	}
	if !bytes.HasPrefix(p.b[p.i:], []byte(s)) {
		p.fail("want %q", s)
		return
	}
	p.i += len(s)
}

// until returns the bytes up to (not including) the next c, which must all be
// printable ASCII other than '\\' (so no escapes).
func (p *envParser) until(c byte) []byte {
	if p.err != nil {
		return nil
	}
	for j := p.i; j < len(p.b); j++ {
		switch b := p.b[j]; {
		case b == c:
			s := p.b[p.i:j]
			p.i = j
			return s
		case b < 0x20 || b > 0x7e || b == '\\':
			p.fail("string with an escape or a character outside printable ASCII")
			return nil
		}
	}
	p.fail("unterminated string")
	return nil
}

// b64 reads canonical standard base64 up to the next '"'. Strict decoding rejects
// missing or extra padding, bytes outside the alphabet (so every escape and every byte
// outside printable ASCII) and non-zero unused bits; its only other leniency, ignoring
// CR and LF, is ruled out here. So what decodes is canonical.
func (p *envParser) b64() []byte {
	if p.err != nil {
		return nil
	}
	j := bytes.IndexByte(p.b[p.i:], '"')
	if j < 0 {
		p.fail("unterminated string")
		return nil
	}
	s := p.b[p.i : p.i+j]
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Strict().Decode(out, s)
	if err != nil || bytes.IndexByte(s, '\n') >= 0 || bytes.IndexByte(s, '\r') >= 0 {
		p.fail("not canonical standard base64 with padding")
		return nil
	}
	p.i += j
	return out[:n]
}

// KeyLookup returns the public key with a given key id, if known. Implementations used
// from several goroutines must be safe for concurrent use.
type KeyLookup func(keyID string) (ed25519.PublicKey, bool)

// PreVerify checks, ahead of replay, every signature whose key lookup knows, and caches
// the verdicts that Registry.Check will use. Calling it is optional: Check verifies
// whatever is not cached. It lets an auditor spread the Ed25519 work over all cores.
func (e *Entry) PreVerify(lookup KeyLookup) {
	var pae []byte
	for i, s := range e.Signatures {
		if e.verdicts[i] != 0 {
			continue
		}
		pub, ok := lookup(s.KeyID)
		if !ok {
			continue
		}
		if pae == nil {
			pae = PAE(PayloadType, e.PayloadBytes)
		}
		e.verdicts[i] = verdict(pub, s, pae)
	}
}

// verifyBy reports whether the signature by keyID verifies under pub, and whether the
// entry carries a signature by keyID at all.
func (e *Entry) verifyBy(keyID string, pub ed25519.PublicKey) (present, valid bool) {
	for i, s := range e.Signatures {
		if s.KeyID != keyID {
			continue
		}
		if e.verdicts[i] == 0 {
			e.verdicts[i] = verdict(pub, s, PAE(PayloadType, e.PayloadBytes))
		}
		return true, e.verdicts[i] > 0
	}
	return false, false
}

func verdict(pub ed25519.PublicKey, s Signature, pae []byte) int8 {
	if KeyID(pub) != s.KeyID || !ed25519.Verify(pub, pae, s.Sig) {
		return -1
	}
	return 1
}

// IntroducedKeys returns the public keys the entry's body lists (genesis registrar
// keys, an enrolment's keys, an added key). Key ids are self-certifying, so these are
// safe to use for PreVerify of any entry, whatever this entry's own validity.
func (e *Entry) IntroducedKeys() []PublicKeyRef {
	switch b := e.Body.(type) {
	case *GenesisBody:
		return b.RegistrarKeys
	case *EnrolledBody:
		return b.Keys
	case *KeyAddedBody:
		return []PublicKeyRef{b.Key}
	case *RegistrarKeyAddedBody:
		return []PublicKeyRef{b.Key}
	}
	return nil
}

// DecodeSubmission reads a DSSE envelope as a client submits it — any JSON layout,
// fields in any order — and returns its stored form (MarshalEnvelope). It is strict:
// duplicate or unknown fields, a field in another letter case, non-canonical base64,
// and trailing data are rejected with CodeMalformedEnvelope. The result still has to
// pass ParseEntry.
func DecodeSubmission(b []byte) ([]byte, error) {
	if len(b) > 2*MaxEntrySize {
		return nil, findingf(CodeMalformedEnvelope, "submission is %d bytes, over the limit", len(b))
	}
	if err := checkJSON(b, false); err != nil {
		return nil, findingf(CodeMalformedEnvelope, "envelope: %v", err)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, findingf(CodeMalformedEnvelope, "envelope: must be a JSON object")
	}
	var fe fieldErrors
	for k := range env {
		if k != "payloadType" && k != "payload" && k != "signatures" {
			fe.add(k, "unknown field")
		}
	}
	var typ, payloadB64 string
	var rawSigs []map[string]json.RawMessage
	if err := unmarshalField(env, "payloadType", &typ); err != nil {
		fe.add("payloadType", "%v", err)
	}
	if err := unmarshalField(env, "payload", &payloadB64); err != nil {
		fe.add("payload", "%v", err)
	}
	if err := unmarshalField(env, "signatures", &rawSigs); err != nil {
		fe.add("signatures", "%v", err)
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(payloadB64)
	if err != nil || base64.StdEncoding.EncodeToString(payload) != payloadB64 {
		fe.add("payload", "not canonical standard base64 with padding")
	}
	sigs := make([]Signature, 0, len(rawSigs))
	for i, rs := range rawSigs {
		path := fmt.Sprintf("signatures[%d]", i)
		for k := range rs {
			if k != "keyid" && k != "sig" {
				fe.add(path+"."+k, "unknown field")
			}
		}
		var s Signature
		var sigB64 string
		if err := unmarshalField(rs, "keyid", &s.KeyID); err != nil {
			fe.add(path+".keyid", "%v", err)
		}
		if err := unmarshalField(rs, "sig", &sigB64); err != nil {
			fe.add(path+".sig", "%v", err)
		}
		if s.Sig, err = base64.StdEncoding.Strict().DecodeString(sigB64); err != nil || base64.StdEncoding.EncodeToString(s.Sig) != sigB64 {
			fe.add(path+".sig", "not canonical standard base64 with padding")
		}
		sigs = append(sigs, s)
	}
	if err := fe.err(); err != nil {
		return nil, findingFromValidation(CodeMalformedEnvelope, err)
	}
	if typ != PayloadType {
		return nil, findingf(CodePayloadType, "payloadType is %s, want %q", quote(typ), PayloadType)
	}
	return MarshalEnvelope(payload, sigs), nil
}

func unmarshalField(m map[string]json.RawMessage, k string, v any) error {
	raw, ok := m[k]
	if !ok {
		return fmt.Errorf("required")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return cleanJSONError(err)
	}
	return nil
}
