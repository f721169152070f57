package witness_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
	"github.com/climateledger/climateledger/ledger/witness"
)

func TestRequestRoundTrip(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	cp := log.checkpoint(t, 11)
	p := log.proof(t, 4, 11)
	r := &witness.Request{OldSize: 4, Proof: p, Checkpoint: cp}
	want := "old 4\n"
	for _, h := range p {
		want += base64.StdEncoding.EncodeToString(h[:]) + "\n"
	}
	want += "\n" + string(cp)
	if got := string(r.Marshal()); got != want {
		t.Fatalf("Marshal() =\n%s\nwant\n%s", got, want)
	}
	got, err := witness.ParseRequest(r.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("ParseRequest(Marshal()) = %+v, want %+v", got, r)
	}

	// No proof, old 0; and the most proof lines allowed (63).
	for _, r := range []*witness.Request{
		{OldSize: 0, Checkpoint: cp},
		{OldSize: 18446744073709551615, Proof: make([][32]byte, 63), Checkpoint: cp},
	} {
		got, err := witness.ParseRequest(r.Marshal())
		if err != nil {
			t.Fatalf("%d proof lines: %v", len(r.Proof), err)
		}
		if got.OldSize != r.OldSize || len(got.Proof) != len(r.Proof) || !bytes.Equal(got.Checkpoint, cp) {
			t.Errorf("round trip of old %d with %d proof lines: got old %d, %d lines", r.OldSize, len(r.Proof), got.OldSize, len(got.Proof))
		}
	}
	// A checkpoint carrying cosignatures already is still one checkpoint.
	cosigned := append(bytes.Clone(cp), "— w1.example.org AAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"...)
	if got, err := witness.ParseRequest(append([]byte("old 0\n\n"), cosigned...)); err != nil || !bytes.Equal(got.Checkpoint, cosigned) {
		t.Errorf("checkpoint with two signature lines: %v", err)
	}
}

func TestParseRequestErrors(t *testing.T) {
	log := newTestLog(t, "example.com/log")
	cp := string(log.checkpoint(t, 5))
	h := sha256.Sum256([]byte("h"))
	hash := base64.StdEncoding.EncodeToString(h[:]) + "\n"
	text := log.text(t, 5)
	sigs := cp[len(text)+1:]
	for _, tc := range []struct {
		name, body string
		line       int
		want       string
	}{
		{"empty", "", 1, `missing "old <size>" line`},
		{"no old line", "\n" + cp, 1, `want "old <size>", got ""`},
		{"checkpoint only", cp, 1, `want "old <size>", got "example.com/log"`},
		{"old without newline", "old 5", 1, `missing "old <size>" line`},
		{"OLD", "OLD 5\n\n" + cp, 1, `want "old <size>"`},
		{"two spaces", "old  5\n\n" + cp, 1, "is not a decimal size"},
		{"leading zero", "old 05\n\n" + cp, 1, `"05" is not a decimal size without leading zeroes`},
		{"plus sign", "old +5\n\n" + cp, 1, "is not a decimal size"},
		{"negative", "old -1\n\n" + cp, 1, "is not a decimal size"},
		{"overflow", "old 18446744073709551616\n\n" + cp, 1, "is not a decimal size"},
		{"CRLF", "old 5\r\n\r\n" + cp, 1, "is not a decimal size"},
		{"64 proof lines", "old 5\n" + strings.Repeat(hash, 64) + "\n" + cp, 65, "more than 63 consistency proof lines"},
		{"missing blank line", "old 5\n" + hash + cp, 3, "want a base64 proof hash or the empty line before the checkpoint"},
		{"missing blank line, no proof", "old 0\n" + cp, 2, `got "example.com/log"`},
		{"end after proof", "old 5\n" + hash, 3, "missing the empty line before the checkpoint"},
		{"short hash", "old 5\n" + base64.StdEncoding.EncodeToString(h[:31]) + "\n\n" + cp, 2, "want a base64 proof hash"},
		{"hex hash", "old 5\n" + strings.Repeat("ab", 32) + "\n\n" + cp, 2, "want a base64 proof hash"},
		{"garbage checkpoint", "old 0\n\ngarbage\n", 3, "checkpoint: "},
		{"no checkpoint", "old 0\n\n", 3, "checkpoint: "},
		{"unsigned checkpoint", "old 0\n\n" + text, 3, "checkpoint: "},
		{"bad tree size", "old 0\n\n" + strings.Replace(text, "\n5\n", "\n05\n", 1) + "\n" + sigs, 4, "tree size"},
		{"extension line", "old 0\n\n" + text + "ext\n\n" + sigs, 6, "extension lines are not supported"},
		{"over 64 KiB", "old 0\n\n" + cp + strings.Repeat("x", 64<<10), 0, "over the 65536-byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := witness.ParseRequest([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseRequest accepted it: %+v", r)
			}
			var fe *proof.FormatError
			if !errors.As(err, &fe) || fe.Format != "add-checkpoint request" || !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v (%T), want a *proof.FormatError with Format \"add-checkpoint request\"", err, err)
			}
			if fe.Line != tc.line {
				t.Errorf("error %q is on line %d, want line %d", err, fe.Line, tc.line)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if witness.HTTPStatus(err) != 400 {
				t.Errorf("HTTPStatus = %d, want 400", witness.HTTPStatus(err))
			}
		})
	}
}

func FuzzParseRequest(f *testing.F) {
	log := newTestLog(f, "example.com/log")
	f.Add(log.request(f, 3, 9).Marshal())
	f.Add(log.request(f, 0, 1).Marshal())
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := witness.ParseRequest(b)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		if !bytes.Equal(r.Marshal(), b) {
			t.Fatalf("Marshal(ParseRequest(b)) != b:\n%q\n%q", r.Marshal(), b)
		}
	})
}
