package proof

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// TLogProofHeader is the first line of a C2SP tlog-proof.
const TLogProofHeader = "c2sp.org/tlog-proof@v1"

// maxProofHashes bounds the inclusion path: in a tree of at most 2⁶⁴−1 leaves a path
// has at most 64 hashes.
const maxProofHashes = 64

// TLogProof is a C2SP tlog-proof (https://c2sp.org/tlog-proof): a signed checkpoint,
// the index of an entry, its inclusion proof in the checkpointed tree and optional
// extra data. climateledger always puts the entry's exact bytes in Extra, which makes
// the proof a self-contained, offline-verifiable claim (see [VerifyTLogProof]).
type TLogProof struct {
	// Extra is the opaque extra data; nil means no "extra" line. (A non-nil empty
	// slice is an "extra" line with empty data.)
	Extra []byte
	// Index is the zero-based index of the entry in the log.
	Index uint64
	// Hashes is the RFC 6962 inclusion path, from the leaf's sibling up to a child of
	// the root.
	Hashes [][32]byte
	// Checkpoint is the signed checkpoint (a signed note), verbatim.
	Checkpoint []byte
}

// Marshal encodes p as a tlog-proof:
//
//	c2sp.org/tlog-proof@v1
//	extra <base64(Extra)>      (only if Extra is not nil)
//	index <Index>
//	<base64 hash>              (one line per element of Hashes)
//	<empty line>
//	<Checkpoint verbatim>
//
// The result parses with [ParseTLogProof] if Checkpoint is a well-formed signed
// checkpoint and Hashes has at most 64 elements.
func (p *TLogProof) Marshal() []byte {
	n := len(TLogProofHeader) + 1 + 28 + len(p.Hashes)*45 + 1 + len(p.Checkpoint)
	if p.Extra != nil {
		n += 7 + base64.StdEncoding.EncodedLen(len(p.Extra))
	}
	b := make([]byte, 0, n)
	b = append(b, TLogProofHeader+"\n"...)
	if p.Extra != nil {
		b = append(b, "extra "...)
		b = base64.StdEncoding.AppendEncode(b, p.Extra)
		b = append(b, '\n')
	}
	b = append(b, "index "...)
	b = strconv.AppendUint(b, p.Index, 10)
	b = append(b, '\n')
	for _, h := range p.Hashes {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, p.Checkpoint...)
}

// ParseTLogProof parses a tlog-proof strictly: the header line exactly
// "c2sp.org/tlog-proof@v1"; an optional "extra <base64>" line; "index <decimal>" with no
// leading zeroes; at most 64 proof hashes, one canonical base64 SHA-256 hash per line;
// an empty line; then a checkpoint that is a well-formed signed note whose text is a
// checkpoint body (signatures are not verified here: see [VerifyTLogProof]). Every
// base64 must be canonical, so p.Marshal() reproduces b exactly. Errors are
// *FormatError (ErrMalformed) with Format "tlog-proof" and the line number.
func ParseTLogProof(b []byte) (*TLogProof, error) {
	line := 0
	rest := b
	next := func() (string, bool) {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		line++
		return l, true
	}
	bad := func(format string, args ...any) (*TLogProof, error) {
		return nil, &FormatError{Format: "tlog-proof", Line: line, Msg: fmt.Sprintf(format, args...)}
	}

	l, ok := next()
	switch {
	case !ok:
		line = 1
		return bad("missing %s header", TLogProofHeader)
	case l == TLogProofHeader:
	case strings.HasPrefix(l, "c2sp.org/tlog-proof@"):
		return bad("unsupported version %s, want %s", quote(l), TLogProofHeader)
	default:
		return bad("missing %s header, got %s", TLogProofHeader, quote(l))
	}

	p := new(TLogProof)
	if l, ok = next(); !ok {
		line++
		return bad("missing index line")
	}
	if e, isExtra := strings.CutPrefix(l, "extra "); isExtra {
		extra, ok := decodeCanonical(e)
		if !ok {
			return bad("extra data is not canonical standard base64")
		}
		p.Extra = extra
		if l, ok = next(); !ok {
			line++
			return bad("missing index line")
		}
	}

	idx, isIndex := strings.CutPrefix(l, "index ")
	if !isIndex {
		return bad("want \"index <N>\" line, got %s", quote(l))
	}
	index, err := parseDecimal(idx)
	if err != nil {
		return bad("index: %v", err)
	}
	p.Index = index

	for {
		l, ok := next()
		if !ok {
			line++
			return bad("missing the empty line before the checkpoint")
		}
		if l == "" {
			break
		}
		h, err := parseHash(l)
		if err != nil {
			return bad("want a base64 proof hash or the empty line before the checkpoint, got %s", quote(l))
		}
		if len(p.Hashes) == maxProofHashes {
			return bad("more than %d proof hashes", maxProofHashes)
		}
		p.Hashes = append(p.Hashes, h)
	}

	line++ // the checkpoint's first line
	if len(rest) == 0 {
		return bad("missing checkpoint after the empty line")
	}
	text, err := checkNoteSyntax(rest)
	if err != nil {
		return bad("checkpoint is not a well-formed signed note (%v)", err)
	}
	if _, err := ParseCheckpointBody([]byte(text)); err != nil {
		var fe *FormatError
		if errors.As(err, &fe) && fe.Line > 0 {
			line += fe.Line - 1
			return bad("checkpoint body: %s", fe.Msg)
		}
		return bad("checkpoint body: %v", err)
	}
	p.Checkpoint = bytes.Clone(rest)
	return p, nil
}

// Claim is what a verified tlog-proof establishes: the log, as of the signed
// checkpoint, holds Entry at Index.
type Claim struct {
	Entry      []byte     // the exact entry bytes (the proof's extra data)
	Index      uint64     // the entry's index in the log
	Checkpoint Checkpoint // the verified checkpoint the inclusion was proved against
}

// VerifyTLogProof verifies a tlog-proof offline against the log's verifier key: it
// parses b ([ParseTLogProof]), requires the extra line (the entry bytes), opens the
// checkpoint ([OpenCheckpoint]: signature by v, origin = key name), checks index <
// tree size, and checks the inclusion proof of LeafHash(extra) against the checkpoint
// root. Each failure is a distinct error naming its step:
//
//   - "tlog-proof: line N: …" (*FormatError, ErrMalformed), including a missing extra line;
//   - the errors of [OpenCheckpoint] ("checkpoint signature: …", "checkpoint body: …", …);
//   - "tlog-proof: index 7 is not below tree size 5" (*IndexRangeError, ErrInvalidProof);
//   - "inclusion proof: proof has 3 hashes, want 4" (*ProofLengthError, ErrInvalidProof);
//   - "inclusion proof: computed root X does not match checkpoint root Y"
//     (*RootMismatchError with Role "checkpoint root", ErrInvalidProof).
func VerifyTLogProof(b []byte, v note.Verifier) (*Claim, error) {
	p, err := ParseTLogProof(b)
	if err != nil {
		return nil, err
	}
	if p.Extra == nil {
		return nil, &FormatError{Format: "tlog-proof", Line: 2, Msg: "no extra line: the entry bytes are needed to verify the claim"}
	}
	c, err := OpenCheckpoint(p.Checkpoint, v)
	if err != nil {
		return nil, err
	}
	if p.Index >= c.Size {
		return nil, fmt.Errorf("tlog-proof: %w", &IndexRangeError{Index: p.Index, Size: c.Size})
	}
	if err := VerifyInclusion(p.Index, c.Size, LeafHash(p.Extra), p.Hashes, c.Root); err != nil {
		var mismatch *RootMismatchError
		if errors.As(err, &mismatch) {
			mismatch.Role = "checkpoint root"
		}
		return nil, fmt.Errorf("inclusion proof: %w", err)
	}
	return &Claim{Entry: p.Extra, Index: p.Index, Checkpoint: c}, nil
}
