package proof_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
	tdformats "github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"
)

// signedCheckpoint signs the checkpoint of the first size leaves.
func signedCheckpoint(t testing.TB, k testKey, leaves [][32]byte, size int) []byte {
	t.Helper()
	c := proof.Checkpoint{Origin: k.signer.Name(), Size: uint64(size), Root: refRoot(leaves[:size])}
	b, err := proof.SignCheckpoint(c, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// makeProof builds the tlog-proof of entries[index] in the tree of the first size entries.
func makeProof(t testing.TB, k testKey, entries [][]byte, index, size int) *proof.TLogProof {
	t.Helper()
	leaves := refLeaves(entries)
	return &proof.TLogProof{
		Extra:      entries[index],
		Index:      uint64(index),
		Hashes:     refPath(index, leaves[:size]),
		Checkpoint: signedCheckpoint(t, k, leaves, size),
	}
}

func TestTLogProofLayout(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	entries := testEntries(7)
	p := makeProof(t, k, entries, 5, 7)
	var want bytes.Buffer
	want.WriteString("c2sp.org/tlog-proof@v1\n")
	want.WriteString("extra " + base64.StdEncoding.EncodeToString(entries[5]) + "\n")
	want.WriteString("index 5\n")
	for _, h := range p.Hashes {
		want.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	want.WriteString("\n")
	want.Write(p.Checkpoint)
	got := p.Marshal()
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("Marshal() =\n%s\nwant\n%s", got, want.Bytes())
	}

	// transparency-dev/formats reads and writes the same bytes.
	var td tdformats.TLogProof
	if err := td.Unmarshal(got); err != nil {
		t.Fatal(err)
	}
	if td.Index != p.Index || !bytes.Equal(td.ExtraData, p.Extra) || !bytes.Equal(td.Checkpoint, p.Checkpoint) ||
		!slices.Equal(td.Hashes, p.Hashes) {
		t.Errorf("transparency-dev/formats read %+v", td)
	}
	if !bytes.Equal(td.Marshal(), got) {
		t.Errorf("transparency-dev/formats Marshal() =\n%s\nwant\n%s", td.Marshal(), got)
	}
}

func TestTLogProofRoundTrip(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	entries := testEntries(33)
	for _, tc := range []struct {
		name string
		p    *proof.TLogProof
	}{
		{"with extra", makeProof(t, k, entries, 17, 33)},
		{"no hashes", makeProof(t, k, entries, 0, 1)},
		{"no extra", func() *proof.TLogProof { p := makeProof(t, k, entries, 3, 9); p.Extra = nil; return p }()},
		{"empty extra", func() *proof.TLogProof { p := makeProof(t, k, entries, 3, 9); p.Extra = []byte{}; return p }()},
		{"large index", &proof.TLogProof{Extra: []byte("x"), Index: 1<<64 - 2, Hashes: make([][32]byte, 64), Checkpoint: signedCheckpoint(t, k, refLeaves(entries), 2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.p.Marshal()
			got, err := proof.ParseTLogProof(b)
			if err != nil {
				t.Fatalf("ParseTLogProof: %v\n%s", err, b)
			}
			if got.Index != tc.p.Index || !bytes.Equal(got.Extra, tc.p.Extra) || (got.Extra == nil) != (tc.p.Extra == nil) ||
				!slices.Equal(got.Hashes, tc.p.Hashes) || !bytes.Equal(got.Checkpoint, tc.p.Checkpoint) {
				t.Errorf("ParseTLogProof(Marshal(p)) = %+v, want %+v", got, tc.p)
			}
			if again := got.Marshal(); !bytes.Equal(again, b) {
				t.Errorf("Marshal(Parse(b)) =\n%s\nwant\n%s", again, b)
			}
		})
	}
}

func TestParseTLogProofErrors(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	entries := testEntries(7)
	good := string(makeProof(t, k, entries, 5, 7).Marshal())
	lines := strings.SplitAfter(good, "\n")
	// lines: 0 header, 1 extra, 2 index, 3-5 hashes, 6 blank, 7.. checkpoint
	if len(lines) < 8 || lines[6] != "\n" {
		t.Fatalf("unexpected layout:\n%s", good)
	}
	join := func(ls ...string) string { return strings.Join(ls, "") }
	checkpoint := join(lines[7:]...)
	h := lines[3]
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string
	}{
		{"empty", "", 1, "missing c2sp.org/tlog-proof@v1 header"},
		{"missing header", join(lines[1:]...), 1, "missing c2sp.org/tlog-proof@v1 header"},
		{"other header", "c2sp.org/tlog-checkpoint\n" + join(lines[1:]...), 1, "missing c2sp.org/tlog-proof@v1 header"},
		{"unknown version", "c2sp.org/tlog-proof@v2\n" + join(lines[1:]...), 1, `unsupported version "c2sp.org/tlog-proof@v2"`},
		{"header with CR", "c2sp.org/tlog-proof@v1\r\n" + join(lines[1:]...), 1, "unsupported version"},
		{"header only", lines[0], 2, "missing index line"},
		{"extra then nothing", join(lines[:2]...), 3, "missing index line"},
		{"bad base64 extra", lines[0] + "extra !!!\n" + join(lines[2:]...), 2, "extra data is not canonical"},
		{"non-canonical extra", lines[0] + "extra YQ=\n" + join(lines[2:]...), 2, "extra data is not canonical"},
		{"extra after index", join(lines[0], lines[2], lines[1], lines[3]), 3, "want a base64 proof hash"},
		{"extra without space", lines[0] + "extra\n" + join(lines[2:]...), 2, `want "index <N>" line, got "extra"`},
		{"missing index", join(lines[0], lines[1], lines[3]), 3, `want "index <N>" line`},
		{"bad index", join(lines[:2]...) + "index five\n" + join(lines[3:]...), 3, "index: \"five\" is not a decimal"},
		{"negative index", join(lines[:2]...) + "index -5\n" + join(lines[3:]...), 3, "not a decimal"},
		{"leading zero index", join(lines[:2]...) + "index 05\n" + join(lines[3:]...), 3, "leading zero"},
		{"empty index", join(lines[:2]...) + "index \n" + join(lines[3:]...), 3, "index: empty"},
		{"index overflow", join(lines[:2]...) + "index 18446744073709551616\n" + join(lines[3:]...), 3, "64 bits"},
		{"index with two spaces", join(lines[:2]...) + "index  5\n" + join(lines[3:]...), 3, "not a decimal"},
		{"bad base64 hash", join(lines[:4]...) + "!!!!\n" + join(lines[5:]...), 5, "want a base64 proof hash"},
		{"short hash", join(lines[:4]...) + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n" + join(lines[5:]...), 5, "want a base64 proof hash"},
		{"long hash", join(lines[:4]...) + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n" + join(lines[5:]...), 5, "want a base64 proof hash"},
		{"hash with trailing space", join(lines[:4]...) + strings.TrimSuffix(h, "\n") + " \n" + join(lines[5:]...), 5, "want a base64 proof hash"},
		{"missing blank line", join(lines[:6]...) + checkpoint, 7, "want a base64 proof hash or the empty line before the checkpoint, got \"climateledger.local/log\""},
		{"no blank line, no checkpoint", join(lines[:6]...), 7, "missing the empty line before the checkpoint"},
		{"missing checkpoint", join(lines[:7]...), 8, "missing checkpoint"},
		{"two blank lines", join(lines[:7]...) + "\n" + checkpoint, 8, "checkpoint body: origin: empty"},
		{"trailing garbage", good + "garbage", 8, "checkpoint is not a well-formed signed note"},
		{"trailing line", good + "garbage\n", 8, "checkpoint is not a well-formed signed note"},
		{"trailing blank line", good + "\n", 8, "checkpoint is not a well-formed signed note"},
		{"checkpoint without signature", join(lines[:7]...) + join(lines[7:10]...), 8, "checkpoint is not a well-formed signed note"},
		{"checkpoint with extension line", join(lines[:10]...) + "ext\n" + join(lines[10:]...), 11, "checkpoint body: extension lines"},
		{"checkpoint with bad size", join(lines[:8]...) + "07\n" + join(lines[9:]...), 9, "checkpoint body: tree size: \"07\" has a leading zero"},
		{"too many hashes", join(lines[:3]...) + strings.Repeat(h, 65) + join(lines[6:]...), 68, "more than 64 proof hashes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := proof.ParseTLogProof([]byte(tc.in))
			var fe *proof.FormatError
			if !errors.As(err, &fe) || !errors.Is(err, proof.ErrMalformed) {
				t.Fatalf("err = %v, want *FormatError", err)
			}
			if fe.Format != "tlog-proof" || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.msg) {
				t.Errorf("err = %q, want line %d containing %q", err, tc.line, tc.msg)
			}
		})
	}
}

func TestVerifyTLogProof(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	entries := testEntries(40)
	leaves := refLeaves(entries)
	for size := 1; size <= len(entries); size++ {
		for i := 0; i < size; i++ {
			b := makeProof(t, k, entries, i, size).Marshal()
			claim, err := proof.VerifyTLogProof(b, k.verifier)
			if err != nil {
				t.Fatalf("VerifyTLogProof(index %d, size %d): %v", i, size, err)
			}
			want := proof.Checkpoint{Origin: proof.DefaultOrigin, Size: uint64(size), Root: refRoot(leaves[:size])}
			if claim.Index != uint64(i) || !bytes.Equal(claim.Entry, entries[i]) || claim.Checkpoint != want {
				t.Fatalf("claim = %+v", claim)
			}
		}
	}
}

// TestVerifyTLogProofTamper makes one mutation of a good proof per case and checks the
// exact failure.
func TestVerifyTLogProofTamper(t *testing.T) {
	k := newTestKey(t, "log", proof.DefaultOrigin)
	entries := testEntries(21)
	leaves := refLeaves(entries)
	good := makeProof(t, k, entries, 13, 21)
	if _, err := proof.VerifyTLogProof(good.Marshal(), k.verifier); err != nil {
		t.Fatal(err)
	}
	root := base64.StdEncoding.EncodeToString(func() []byte { r := refRoot(leaves); return r[:] }())
	mutate := func(f func(p *proof.TLogProof)) []byte {
		p := *good
		p.Extra = bytes.Clone(good.Extra)
		p.Hashes = slices.Clone(good.Hashes)
		p.Checkpoint = bytes.Clone(good.Checkpoint)
		f(&p)
		return p.Marshal()
	}
	editCheckpoint := func(old, new string) func(p *proof.TLogProof) {
		return func(p *proof.TLogProof) {
			if !bytes.Contains(p.Checkpoint, []byte(old)) {
				t.Fatalf("checkpoint has no %q", old)
			}
			p.Checkpoint = bytes.Replace(p.Checkpoint, []byte(old), []byte(new), 1)
		}
	}
	otherRoot := sha256.Sum256([]byte("not the root"))
	impostor := newTestKey(t, "impostor", proof.DefaultOrigin)
	witness := newTestKey(t, "witness", "witness.example/w")

	for _, tc := range []struct {
		name   string
		in     []byte
		target error
		text   string // the exact error, or a prefix ending in "…"
	}{
		{"entry byte changed", mutate(func(p *proof.TLogProof) { p.Extra[3] ^= 0x20 }), proof.ErrInvalidProof,
			"inclusion proof: computed root …"},
		{"entry extended", mutate(func(p *proof.TLogProof) { p.Extra = append(p.Extra, ' ') }), proof.ErrInvalidProof,
			"inclusion proof: computed root …"},
		{"proof hash changed", mutate(func(p *proof.TLogProof) { p.Hashes[2][0] ^= 1 }), proof.ErrInvalidProof,
			"inclusion proof: computed root …"},
		{"hashes swapped", mutate(func(p *proof.TLogProof) { p.Hashes[0], p.Hashes[1] = p.Hashes[1], p.Hashes[0] }), proof.ErrInvalidProof,
			"inclusion proof: computed root …"},
		{"wrong index, same path length", mutate(func(p *proof.TLogProof) { p.Index = 12 }), proof.ErrInvalidProof,
			"inclusion proof: computed root …"},
		{"wrong index, other path length", mutate(func(p *proof.TLogProof) { p.Index = 20 }), proof.ErrInvalidProof,
			fmt.Sprintf("inclusion proof: proof has %d hashes, want %d", len(good.Hashes), proof.InclusionProofLength(20, 21))},
		{"index beyond the tree", mutate(func(p *proof.TLogProof) { p.Index = 21 }), proof.ErrInvalidProof,
			"tlog-proof: index 21 is not below tree size 21"},
		{"truncated proof", mutate(func(p *proof.TLogProof) { p.Hashes = p.Hashes[:len(p.Hashes)-1] }), proof.ErrInvalidProof,
			fmt.Sprintf("inclusion proof: proof has %d hashes, want %d", len(good.Hashes)-1, len(good.Hashes))},
		{"extra hash", mutate(func(p *proof.TLogProof) { p.Hashes = append(p.Hashes, p.Hashes[0]) }), proof.ErrInvalidProof,
			fmt.Sprintf("inclusion proof: proof has %d hashes, want %d", len(good.Hashes)+1, len(good.Hashes))},
		{"checkpoint root changed", mutate(editCheckpoint(root, base64.StdEncoding.EncodeToString(otherRoot[:]))), proof.ErrBadSignature,
			"checkpoint signature: signature by log key climateledger.local/log+…"},
		{"checkpoint size changed", mutate(editCheckpoint("\n21\n", "\n22\n")), proof.ErrBadSignature,
			"checkpoint signature: signature by log key climateledger.local/log+…"},
		{"checkpoint signature byte flipped", mutate(func(p *proof.TLogProof) { p.Checkpoint = flipSignatureByte(t, p.Checkpoint, 31) }), proof.ErrBadSignature,
			fmt.Sprintf("checkpoint signature: signature by log key climateledger.local/log+%08x does not verify", k.verifier.KeyHash())},
		{"checkpoint signed by another key", mutate(func(p *proof.TLogProof) {
			p.Checkpoint = signedCheckpoint(t, impostor, leaves, 21)
		}), proof.ErrUnknownKey,
			fmt.Sprintf("checkpoint signature: no signature by log key climateledger.local/log+%08x (signed by climateledger.local/log+%08x)",
				k.verifier.KeyHash(), impostor.verifier.KeyHash())},
		{"checkpoint signed by a witness only", mutate(func(p *proof.TLogProof) {
			n := &note.Note{Text: string(proof.Checkpoint{Origin: proof.DefaultOrigin, Size: 21, Root: refRoot(leaves)}.Marshal())}
			b, err := note.Sign(n, witness.signer)
			if err != nil {
				t.Fatal(err)
			}
			p.Checkpoint = b
		}), proof.ErrUnknownKey, "checkpoint signature: no signature by log key …"},
		{"validly signed checkpoint with another root", mutate(func(p *proof.TLogProof) {
			b, err := proof.SignCheckpoint(proof.Checkpoint{Origin: proof.DefaultOrigin, Size: 21, Root: otherRoot}, k.signer)
			if err != nil {
				t.Fatal(err)
			}
			p.Checkpoint = b
		}), proof.ErrInvalidProof, "inclusion proof: computed root " + base64.StdEncoding.EncodeToString(
			func() []byte { r := refRoot(leaves); return r[:] }()) + " does not match checkpoint root " +
			base64.StdEncoding.EncodeToString(otherRoot[:])},
		{"checkpoint for a smaller tree", mutate(func(p *proof.TLogProof) { p.Checkpoint = signedCheckpoint(t, k, leaves, 13) }),
			proof.ErrInvalidProof, "tlog-proof: index 13 is not below tree size 13"},
		{"no extra", mutate(func(p *proof.TLogProof) { p.Extra = nil }), proof.ErrMalformed,
			"tlog-proof: line 2: no extra line: the entry bytes are needed to verify the claim"},
		{"not a proof", []byte("hello\n"), proof.ErrMalformed, "tlog-proof: line 1: missing c2sp.org/tlog-proof@v1 header, got \"hello\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claim, err := proof.VerifyTLogProof(tc.in, k.verifier)
			if err == nil {
				t.Fatalf("verified: %+v", claim)
			}
			if !errors.Is(err, tc.target) {
				t.Errorf("err = %v, want %v", err, tc.target)
			}
			if prefix, ok := strings.CutSuffix(tc.text, "…"); ok {
				if !strings.HasPrefix(err.Error(), prefix) {
					t.Errorf("err = %q, want prefix %q", err, prefix)
				}
			} else if err.Error() != tc.text {
				t.Errorf("err = %q\nwant  %q", err, tc.text)
			}
		})
	}

	// The data in a root mismatch.
	_, err := proof.VerifyTLogProof(mutate(func(p *proof.TLogProof) { p.Hashes[0][0] ^= 1 }), k.verifier)
	var rme *proof.RootMismatchError
	if !errors.As(err, &rme) || rme.Expected != refRoot(leaves) || rme.Role != "checkpoint root" {
		t.Errorf("RootMismatchError = %+v", rme)
	}

	// A witness cosignature does not get in the way.
	cosigned := mutate(func(p *proof.TLogProof) {
		n, err := note.Open(p.Checkpoint, note.VerifierList(k.verifier))
		if err != nil {
			t.Fatal(err)
		}
		if p.Checkpoint, err = note.Sign(n, witness.signer); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := proof.VerifyTLogProof(cosigned, k.verifier); err != nil {
		t.Errorf("cosigned proof: %v", err)
	}
}

func BenchmarkVerifyTLogProof(b *testing.B) {
	k := newTestKey(b, "log", proof.DefaultOrigin)
	entries := testEntries(1000)
	p := makeProof(b, k, entries, 517, 1000).Marshal()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proof.VerifyTLogProof(p, k.verifier); err != nil {
			b.Fatal(err)
		}
	}
}
