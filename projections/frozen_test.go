package projections

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/projections/projtest"
)

// frozenLogs are deterministic logs (every key, id and time derives from the seed)
// with the state digest the projections gave them when it was frozen: any change of
// a row's bytes, of the rows written or of their keys changes one of these. They
// were computed by the one-entry-at-a-time projector of commit 6b53510, before the
// projections were made faster; a faster projector must reproduce them byte for
// byte.
var frozenLogs = []struct {
	name    string
	build   func(n *eventtest.Network)
	entries int
	rows    int
	digest  string
	long    bool // skipped with -short
}{
	{"golden", func(n *eventtest.Network) { buildGolden(n) }, 25, 88, "5da4010b1667074a1f081281b33a989f1c930040e41e2624ac6f4ac3e0886984", false},
	{"golden+12", func(n *eventtest.Network) { testNetwork(n, 12) }, 219, 756, "ffc4e5f66b63012d61559596305a19a895a3397b8058a3f518c0561a7e48a7a0", false},
	{"golden+300x20", func(n *eventtest.Network) {
		buildGolden(n)
		projtest.Build(n, projtest.Options{Jurisdictions: 300, Years: 20, Lines: 6, Verifiers: 4})
	}, 9058, 29264, "bd5718240c7d02061d8026ba579a32890085c421749ca493da412a7fcfbfb8fc", true},
}

func frozenEntries(seed string, build func(*eventtest.Network)) [][]byte {
	n := eventtest.New(seed, "")
	n.Now, n.Step = netStart, time.Second
	build(n)
	return n.Entries
}

// TestFrozenDigests replays each frozen log with groups of 1 and of 512 entries and
// gets its frozen digest.
func TestFrozenDigests(t *testing.T) {
	for _, l := range frozenLogs {
		t.Run(l.name, func(t *testing.T) {
			if l.long && testing.Short() {
				t.Skip("long")
			}
			entries := frozenEntries("frozen", l.build)
			for _, group := range []int{1, 512} {
				h := openHarness(t, vfs.NewMem(), entries, true)
				for int(h.applied()) < len(entries) {
					h.step(group)
				}
				got := h.digest()
				h.db.Close()
				if got.Index != uint64(l.entries) || got.Rows != l.rows || hex.EncodeToString([]byte(got.Digest)) != l.digest {
					t.Errorf("groups of %d: index %d, %d rows, digest %x; want %d, %d, %s", group, got.Index, got.Rows, got.Digest, l.entries, l.rows, l.digest)
				}
			}
		})
	}
}
