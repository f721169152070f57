package ledger

import "errors"

// errNoSpace marks a write that failed for lack of disk space.
var errNoSpace = errors.New("no space left on device")

// guard runs a Pebble write.
func guard(fn func() error) error { return fn() }

// storeFault says why Pebble cannot take writes now, or "".
func (n *Node) storeFault() string { return "" }
