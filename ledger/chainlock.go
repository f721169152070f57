package ledger

import "sync"

// chainLocks serialises writes per chain: one write in flight per party, and none
// waits for another party's. (A fixed table of mutexes indexed by a hash of the party
// made parties that share a slot wait for each other's whole append and receipt: with
// 256 slots and 64 concurrent chains about one chain in nine waited behind another.)
type chainLocks struct {
	mu sync.Mutex
	m  map[string]*chainLock
}

// chainLock is one party's lock and the number of writers holding or waiting for it.
type chainLock struct {
	sync.Mutex
	refs int
}

// lock takes party's lock and returns the function that releases it. The entry for
// the party is dropped when nobody holds or waits for it, so the table holds only the
// chains being written.
func (c *chainLocks) lock(party string) (unlock func()) {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*chainLock{}
	}
	l := c.m[party]
	if l == nil {
		l = &chainLock{}
		c.m[party] = l
	}
	l.refs++
	c.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		c.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(c.m, party)
		}
		c.mu.Unlock()
	}
}
