package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/ledger/proof"
)

// keyWitnessed holds the newest witnessed checkpoint: the log's signed note with the
// witnesses' cosignature lines (derived data: after a rebuild the witnesses cosign
// the current checkpoint again).
const keyWitnessed = "l/witnessed"

// NotWitnessedError says no witnessed checkpoint covers an entry yet. Index is the
// entry's index, or -1 when the request was for the witnessed checkpoint itself;
// Size is the newest witnessed size (0: none yet).
type NotWitnessedError struct {
	Index int64
	Size  uint64
}

func (e *NotWitnessedError) Error() string {
	if e.Index < 0 {
		return "no checkpoint has been cosigned by a quorum of witnesses yet; try again in a few seconds"
	}
	return fmt.Sprintf("entry %d is not yet covered by a witnessed checkpoint (the newest covers %d entries); try again in a few seconds", e.Index, e.Size)
}

// WaitCheckpoint waits until the latest signed checkpoint covers more than after
// entries and returns it with its size. It returns ctx's error when ctx ends first,
// and an ErrUnavailable error when the applier has stopped.
func (n *Node) WaitCheckpoint(ctx context.Context, after uint64) ([]byte, uint64, error) {
	if err := n.WaitApplied(ctx, after+1); err != nil {
		return nil, 0, err
	}
	cp, size := n.Checkpoint()
	return cp, size, nil
}

// SetWitnessed stores signed (the log's checkpoint of the given size with witness
// cosignature lines appended) as the newest witnessed checkpoint, synced. The caller
// (a witness.Collector) has checked the cosignatures. It checks that the log's own
// signature is on it and that it is of a tree this node holds; a size below the stored
// one is ignored.
func (n *Node) SetWitnessed(signed []byte, size uint64) error {
	c, err := proof.OpenCheckpoint(signed, n.keys.LogVerifier)
	if err != nil {
		return fmt.Errorf("witnessed checkpoint: %w", err)
	}
	if c.Size != size {
		return fmt.Errorf("witnessed checkpoint: size %d, want %d", c.Size, size)
	}
	root, err := n.tree.Root(size)
	if err != nil {
		return fmt.Errorf("witnessed checkpoint: root at %d: %w", size, err)
	}
	if root != c.Root {
		return fmt.Errorf("%w: witnessed checkpoint of size %d has a root this node's tree does not have", ErrCorrupt, size)
	}
	n.witnessMu.Lock()
	defer n.witnessMu.Unlock()
	if size < n.witnessedSize {
		return nil
	}
	if err := guard(func() error { return n.db.Set([]byte(keyWitnessed), signed, pebble.Sync) }); err != nil {
		return fmt.Errorf("store witnessed checkpoint: %w", err)
	}
	n.witnessed, n.witnessedSize = bytes.Clone(signed), size
	return nil
}

// Witnessed returns the newest witnessed checkpoint and its size (nil, 0 if none).
func (n *Node) Witnessed() ([]byte, uint64) {
	n.witnessMu.Lock()
	defer n.witnessMu.Unlock()
	return n.witnessed, n.witnessedSize
}

// loadWitnessed reads the stored witnessed checkpoint at Open.
func (n *Node) loadWitnessed() error {
	v, closer, err := n.db.Get([]byte(keyWitnessed))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read witnessed checkpoint: %w", err)
	}
	defer closer.Close()
	c, err := proof.OpenCheckpoint(v, n.keys.LogVerifier)
	if err != nil || c.Size > n.applied {
		n.lg.Warn("dropping a stored witnessed checkpoint that does not fit this log", "err", err)
		return nil
	}
	n.witnessed, n.witnessedSize = bytes.Clone(v), c.Size
	return nil
}

// WitnessedProof returns the tlog-proof of the valid event id against the newest
// witnessed checkpoint (with its cosignature lines), so a receipt holder can upgrade
// a receipt to a witnessed proof. ErrNotFound for an unknown event; a
// *NotWitnessedError while no witnessed checkpoint covers it.
func (n *Node) WitnessedProof(ctx context.Context, id string) ([]byte, error) {
	raw, rc, err := n.Event(ctx, id)
	if err != nil {
		return nil, err
	}
	cp, size := n.Witnessed()
	if rc.Index >= size {
		return nil, &NotWitnessedError{Index: int64(rc.Index), Size: size}
	}
	hashes, err := n.tree.InclusionProof(rc.Index, size)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof %d@%d: %w", rc.Index, size, err)
	}
	return (&proof.TLogProof{Extra: raw, Index: rc.Index, Hashes: hashes, Checkpoint: cp}).Marshal(), nil
}
