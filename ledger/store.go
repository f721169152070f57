package ledger

import (
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/ledger/internal/pebblefs"
	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"
)

// errNoSpace marks a write that failed for lack of disk space.
var errNoSpace = errors.New("no space left on device")

// guard runs a Pebble write, turning Pebble's fatal failure into an error.
func guard(fn func() error) error { return pebbleslog.Guard(fn) }

// pebbleFS wraps the filesystem under Pebble so that a full disk makes writes wait
// for space (see package pebblefs), logging when the wait begins and ends.
func (n *Node) pebbleFS(inner vfs.FS) *pebblefs.FS {
	return pebblefs.New(inner, pebblefs.Config{
		OnStall: func(err error) {
			n.lg.Warn("pebble: the disk is full; writes wait for space (submissions get 503 meanwhile)", "cause", err.Error())
		},
		OnResume: func(waited time.Duration) {
			n.lg.Info("pebble: disk space is back; writes resumed", "waited", waited.Round(time.Millisecond).String())
		},
	})
}

// pebbleFatal records a fatal Pebble failure: the store is not written again until
// the node restarts.
func (n *Node) pebbleFatal(msg string) {
	n.fatalMsg.CompareAndSwap(nil, &msg)
}

// storeFault says why Pebble cannot take writes now, or "".
func (n *Node) storeFault() string {
	if m := n.fatalMsg.Load(); m != nil {
		return fmt.Sprintf("pebble failed (%s); restart the node once the cause is fixed", *m)
	}
	if n.pfs != nil {
		if since, _, stalled := n.pfs.Stalled(); stalled {
			return fmt.Sprintf("no space left on device: Pebble's writes have waited %s for space", time.Since(since).Round(time.Millisecond))
		}
	}
	return ""
}
