package ledger

import (
	"sync"

	"github.com/climateledger/climateledger/events"
)

// gateVerified hands the gate's parsed entries to the applier of the same node, so
// that bytes the gate has just parsed and whose signatures it has just verified are
// not parsed and verified a second time when they come back from the stream.
//
// It is a memo, not a shortcut: an entry is found only by its exact stored bytes;
// parsing is a function of the bytes, and a signature verdict is a function of the
// bytes and the key, which its key id names (key ids are self-certifying, docs/SPEC.md
// §1). The applier still applies every replay rule to the entry against its own
// state. An entry is kept from just before its append until its submission returns,
// so the map holds at most the submissions in flight.
type gateVerified struct {
	mu sync.Mutex
	m  map[string]*events.Entry
}

// put keeps e under its stored bytes and returns the function that drops it.
func (g *gateVerified) put(e *events.Entry) (drop func()) {
	key := string(e.Raw)
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*events.Entry{}
	}
	g.m[key] = e
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		if g.m[key] == e {
			delete(g.m, key)
		}
		g.mu.Unlock()
	}
}

// get returns the gate's parsed entry for exactly these stored bytes, if one is kept.
func (g *gateVerified) get(raw []byte) (*events.Entry, bool) {
	g.mu.Lock()
	e, ok := g.m[string(raw)]
	g.mu.Unlock()
	return e, ok
}
