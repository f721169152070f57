package projections

import "sync"

// docCache keeps encoded GET /v1/parties/{id} documents until the party's rows change.
//
// Every change to a party's rows comes with a change notice for that party, so the
// applier marks a party in flight when Apply notices it (before the batch commits) and
// done in Committed (after). While a party is in flight no document of it is served
// from or stored in the cache; Committed also moves its generation on, so a document
// computed from a snapshot taken before the commit is never stored afterwards. A read
// after a receipt therefore always sees the receipt's event: the receipt is sent after
// the commit, when the party is either still in flight or done with a new generation.
// A cached document says which index it was read at. Safe for concurrent use.
type docCache struct {
	max int

	mu       sync.Mutex // guards the fields below
	epoch    uint64     // moves on when the applier drops its state
	gen      map[string]uint64
	inflight map[string]bool
	docs     map[string]cachedDoc
	hits     uint64
}

type cachedDoc struct {
	year int // the year the commitments were evaluated for
	body []byte
}

// docToken is what a reader saw before computing a document.
type docToken struct {
	epoch, gen uint64
	inflight   bool
}

func newDocCache(max int) *docCache {
	return &docCache{max: max, gen: map[string]uint64{}, inflight: map[string]bool{}, docs: map[string]cachedDoc{}}
}

// get returns the cached document of party for year, or a token to store a fresh one.
func (c *docCache) get(party string, year int) ([]byte, docToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tok := docToken{epoch: c.epoch, gen: c.gen[party], inflight: c.inflight[party]}
	if d, ok := c.docs[party]; ok && !tok.inflight && d.year == year {
		c.hits++
		return d.body, tok, true
	}
	return nil, tok, false
}

// put stores a document computed after get returned tok, unless the party changed
// (or was in flight) since.
func (c *docCache) put(party string, year int, tok docToken, body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tok.inflight || c.inflight[party] || tok.epoch != c.epoch || tok.gen != c.gen[party] || c.max <= 0 {
		return
	}
	if _, ok := c.docs[party]; !ok && len(c.docs) >= c.max {
		return
	}
	c.docs[party] = cachedDoc{year: year, body: body}
}

// touch marks a party in flight: an entry in the batch being built changes its rows.
func (c *docCache) touch(party string) {
	c.mu.Lock()
	c.inflight[party] = true
	c.mu.Unlock()
}

// done marks parties whose changes are committed.
func (c *docCache) done(parties []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range parties {
		c.gen[p]++
		delete(c.inflight, p)
		delete(c.docs, p)
	}
}

// reset drops every document (the applier dropped its state: a batch may have been
// discarded).
func (c *docCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.docs)
	clear(c.inflight)
}
