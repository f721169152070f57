package witness

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/climateledger/climateledger/ledger/proof"
)

// MaxRequestSize bounds an add-checkpoint request body (a checkpoint with its
// signatures and at most 63 proof hashes fit many times over).
const MaxRequestSize = 64 << 10

// maxProofLines is the most consistency proof lines a request may carry (C2SP
// tlog-witness: "MUST NOT send more than 63").
const maxProofLines = 63

// Request is an add-checkpoint request: the size the client believes the witness last
// cosigned, a consistency proof from that size to the checkpoint's, and the signed
// checkpoint.
type Request struct {
	OldSize    uint64
	Proof      [][32]byte
	Checkpoint []byte
}

// Marshal encodes the request body: "old N\n", one base64 hash per line, "\n", the
// checkpoint verbatim.
func (r *Request) Marshal() []byte {
	b := make([]byte, 0, 24+45*len(r.Proof)+len(r.Checkpoint))
	b = append(b, "old "...)
	b = strconv.AppendUint(b, r.OldSize, 10)
	b = append(b, '\n')
	for _, h := range r.Proof {
		b = base64.StdEncoding.AppendEncode(b, h[:])
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, r.Checkpoint...)
}

// ParseRequest parses an add-checkpoint request body strictly: "old <decimal, no
// leading zeroes>", at most 63 lines each the canonical base64 of a 32-byte hash, an
// empty line, and the rest, which must be a well-formed signed checkpoint (its
// signatures are not verified here). Errors are *proof.FormatError with Format
// "add-checkpoint request" and the line number.
func ParseRequest(b []byte) (*Request, error) {
	line := 0
	rest := b
	bad := func(format string, args ...any) (*Request, error) {
		return nil, &proof.FormatError{Format: "add-checkpoint request", Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	next := func() (string, bool) {
		line++
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return "", false
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		return l, true
	}
	if len(b) > MaxRequestSize {
		return bad("%d bytes, over the %d-byte limit", len(b), MaxRequestSize)
	}
	l, ok := next()
	if !ok {
		return bad("missing \"old <size>\" line")
	}
	old, isOld := bytes.CutPrefix([]byte(l), []byte("old "))
	if !isOld {
		return bad("want \"old <size>\", got %q", l)
	}
	r := &Request{}
	var err error
	if r.OldSize, err = parseSize(string(old)); err != nil {
		return bad("old size: %v", err)
	}
	for {
		l, ok := next()
		if !ok {
			return bad("missing the empty line before the checkpoint")
		}
		if l == "" {
			break
		}
		if len(r.Proof) == maxProofLines {
			return bad("more than %d consistency proof lines", maxProofLines)
		}
		h, ok := decodeHash(l)
		if !ok {
			return bad("want a base64 proof hash or the empty line before the checkpoint, got %q", l)
		}
		r.Proof = append(r.Proof, h)
	}
	if _, err := proof.PeekCheckpoint(rest); err != nil {
		// Report the request line: the checkpoint starts on the line after the empty
		// one, and a body error's line counts from there.
		line++
		var fe *proof.FormatError
		if errors.As(err, &fe) {
			if fe.Line > 0 {
				line += fe.Line - 1
			}
			return bad("%s: %s", fe.Format, fe.Msg)
		}
		return bad("checkpoint: %v", err)
	}
	r.Checkpoint = bytes.Clone(rest)
	return r, nil
}

// parseSize parses a decimal tree size with no sign and no leading zeroes.
func parseSize(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || strconv.FormatUint(n, 10) != s {
		return 0, fmt.Errorf("%q is not a decimal size without leading zeroes", s)
	}
	return n, nil
}

// decodeHash decodes the canonical standard base64 of a 32-byte hash.
func decodeHash(s string) ([32]byte, bool) {
	var h [32]byte
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != 32 || base64.StdEncoding.EncodeToString(b) != s {
		return h, false
	}
	copy(h[:], b)
	return h, true
}
