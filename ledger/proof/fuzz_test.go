package proof_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/climateledger/climateledger/ledger/proof"
)

// FuzzParseTLogProof checks that ParseTLogProof never panics, that whatever it accepts
// is canonical (Marshal gives back the input byte for byte), and that parse → marshal
// → parse is stable. It also runs the whole verification on the input.
func FuzzParseTLogProof(f *testing.F) {
	k := newTestKey(f, "log", proof.DefaultOrigin)
	entries := testEntries(12)
	for _, ix := range [][2]int{{0, 1}, {5, 12}, {11, 12}, {3, 4}} {
		f.Add(makeProof(f, k, entries, ix[0], ix[1]).Marshal())
	}
	noExtra := makeProof(f, k, entries, 2, 3)
	noExtra.Extra = nil
	f.Add(noExtra.Marshal())
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\nx\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— x AAAA\n"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n"))
	f.Add([]byte(""))

	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := proof.ParseTLogProof(b)
		// Verification must not panic either, whatever the input.
		_, verr := proof.VerifyTLogProof(b, k.verifier)
		if err != nil {
			if verr == nil {
				t.Fatalf("VerifyTLogProof accepted what ParseTLogProof rejected (%v)", err)
			}
			return
		}
		m := p.Marshal()
		if !bytes.Equal(m, b) {
			t.Fatalf("Marshal(Parse(b)) != b:\n got %q\nwant %q", m, b)
		}
		q, err := proof.ParseTLogProof(m)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if q.Index != p.Index || !bytes.Equal(q.Extra, p.Extra) || (q.Extra == nil) != (p.Extra == nil) ||
			!slices.Equal(q.Hashes, p.Hashes) || !bytes.Equal(q.Checkpoint, p.Checkpoint) {
			t.Fatalf("parse → marshal → parse changed the proof: %+v then %+v", p, q)
		}
	})
}
