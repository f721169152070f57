package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/proof"
)

// ExportOptions configures Export.
type ExportOptions struct {
	// LogKey is the log's note verifier key string. Empty: trust the key named by the
	// genesis entry (of the existing export, or of the log being exported) and say so.
	LogKey string
	// WitnessPolicy, when it has keys, makes Export require witnesses: the source's
	// checkpoint must carry valid cosignatures by at least its quorum of the witness
	// keys, else nothing is written (step "witnesses").
	WitnessPolicy WitnessPolicy
	// Progress, when set, is called now and then with the number of entries written.
	Progress func(entries uint64)
}

// ExportResult describes what Export did.
type ExportResult struct {
	Dir string
	// Checkpoint is the verified checkpoint the export now holds.
	Checkpoint proof.Checkpoint
	// Previous is the size of the export before (0 for a new one); Appended the number
	// of entries written now.
	Previous, Appended uint64
	// Consistency says how the old export was shown to be a prefix of the new log.
	Consistency string
	LogKey      LogKeyReport
	// Witnesses is who cosigned the checkpoint, when ExportOptions.WitnessPolicy
	// required witnesses; nil otherwise.
	Witnesses *WitnessesReport
}

// ExportError reports why Export refused or failed, with the step that failed. The
// export directory still holds the last complete export (or nothing claimed complete:
// no checkpoint file).
type ExportError struct {
	Dir  string
	Step string // "existing export", "checkpoint", "witnesses", "consistency", "entries", "write"
	Err  error
}

// Error returns "export DIR: STEP: cause".
func (e *ExportError) Error() string { return fmt.Sprintf("export %s: %s: %v", e.Dir, e.Step, e.Err) }

// Unwrap returns the underlying error.
func (e *ExportError) Unwrap() error { return e.Err }

// errStop ends an Entries call early.
var errStop = errors.New("stop")

// Export writes the log of src into the export directory dir (docs/AUDIT.md): LogFile,
// line i the exact bytes of entry i, and CheckpointFile, the signed checkpoint covering
// every line. The checkpoint file is the source's checkpoint verbatim (with the
// witnesses' cosignature lines when the source serves a witnessed one), so that an
// offline audit can apply a witness policy to it. It verifies while writing: the
// checkpoint's signature under the log key, with ExportOptions.WitnessPolicy its
// witness cosignatures, and that the root recomputed from log.jsonl equals the
// checkpoint's root.
//
// On an existing export it first verifies that export (its checkpoint's signature, and
// its lines against its root), then gets src's consistency proof from the old size to
// the new (src must be a ConsistencyProver) and verifies it, then appends only the new
// lines, and finally replaces the checkpoint atomically (temporary file, fsync,
// rename). The checkpoint file is written last: whatever happens, a directory with a
// checkpoint file holds a complete, verified export of that checkpoint (lines beyond it,
// left by an interrupted run, are cut off on the next one). On failure the new lines are
// cut off again.
//
// An entry containing a newline cannot be exported as a line; Export refuses such a log
// (audit it over the server or NATS instead). Errors are *ExportError. Not safe for
// concurrent use on one directory.
func Export(ctx context.Context, src Source, dir string, opts ExportOptions) (res *ExportResult, err error) {
	res = &ExportResult{Dir: dir}
	fail := func(step string, err error) (*ExportResult, error) {
		return nil, &ExportError{Dir: dir, Step: step, Err: err}
	}
	var v note.Verifier
	if opts.LogKey != "" {
		if v, err = proof.ParseVerifierKey(opts.LogKey); err != nil {
			return fail("log key", err)
		}
		res.LogKey = LogKeyReport{Key: opts.LogKey, From: "option", Statement: trustOption}
	}
	wp := opts.WitnessPolicy
	if res.Witnesses, err = wp.report(); err != nil {
		return fail("witnesses", err)
	}
	newNote, err := src.Checkpoint(ctx)
	if err != nil {
		return fail("checkpoint", err)
	}
	// checkNew verifies the source's checkpoint under the log key and the witness policy.
	checkNew := func(v note.Verifier) (string, error) {
		if _, err := proof.OpenCheckpoint(newNote, v); err != nil {
			return "checkpoint", err
		}
		if res.Witnesses == nil {
			return "", nil
		}
		policy, err := wp.Policy(v)
		if err != nil {
			return "witnesses", err
		}
		r, err := policy.Check(newNote)
		if err != nil {
			return "witnesses", errors.New(WitnessFailure(r, err))
		}
		res.Witnesses.Cosigned, res.Witnesses.Missing, res.Witnesses.OK = Cosignatures(r.Cosigned), r.Missing, true
		return "", nil
	}
	newCP, err := proof.PeekCheckpoint(newNote)
	if err != nil {
		return fail("checkpoint", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail("write", err)
	}
	logPath, cpPath := filepath.Join(dir, LogFile), filepath.Join(dir, CheckpointFile)

	// The existing export, if any: verify it and find where its claimed lines end.
	var rb proof.RootBuilder
	var offset int64 // bytes of log.jsonl claimed by the old checkpoint
	var oldCP *proof.Checkpoint
	var genesis []byte
	oldNote, err := os.ReadFile(cpPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fail("existing export", err)
	default:
		c, err := proof.PeekCheckpoint(oldNote)
		if err != nil {
			return fail("existing export", fmt.Errorf("%s: %w", CheckpointFile, err))
		}
		oldCP = &c
		if offset, genesis, err = hashLines(ctx, logPath, c.Size, &rb); err != nil {
			return fail("existing export", err)
		}
		if v == nil {
			if v, err = genesisKey(genesis, &res.LogKey); err != nil {
				return fail("existing export", err)
			}
		}
		if _, err := proof.OpenCheckpoint(oldNote, v); err != nil {
			return fail("existing export", fmt.Errorf("%s: %w", CheckpointFile, err))
		}
		if got := rb.Root(); got != c.Root {
			return fail("existing export", fmt.Errorf("the %d lines of %s hash to root %s, its checkpoint says %s", c.Size, LogFile, b64(got), b64(c.Root)))
		}
		res.Previous = c.Size
	}

	if v != nil {
		if step, err := checkNew(v); err != nil {
			return fail(step, err)
		}
	}
	if oldCP != nil {
		switch {
		case newCP.Size < oldCP.Size:
			return fail("consistency", fmt.Errorf("the source's checkpoint (size %d) is older than the export's (size %d)", newCP.Size, oldCP.Size))
		case newCP.Size == oldCP.Size && newCP.Root != oldCP.Root:
			return fail("consistency", fmt.Errorf("split view: two checkpoints of size %d with roots %s (export) and %s (source)", newCP.Size, b64(oldCP.Root), b64(newCP.Root)))
		case newCP.Size > oldCP.Size && oldCP.Size > 0:
			prover, ok := src.(ConsistencyProver)
			if !ok {
				return fail("consistency", fmt.Errorf("%s cannot serve consistency proofs", src))
			}
			hashes, err := prover.ConsistencyProof(ctx, oldCP.Size, newCP.Size)
			if err != nil {
				return fail("consistency", err)
			}
			if err := proof.VerifyConsistency(oldCP.Size, newCP.Size, oldCP.Root, newCP.Root, hashes); err != nil {
				return fail("consistency", fmt.Errorf("proof from size %d to %d: %w", oldCP.Size, newCP.Size, err))
			}
			res.Consistency = fmt.Sprintf("consistency proof from size %d to %d verified", oldCP.Size, newCP.Size)
		}
	}

	// Append the new lines after the claimed ones.
	f, err := os.OpenFile(logPath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fail("write", err)
	}
	defer func() {
		if err != nil {
			// Cut the unclaimed lines off again: the old checkpoint (if any) stays true.
			f.Truncate(offset)
			f.Sync()
		}
		f.Close()
	}()
	if err := f.Truncate(offset); err != nil {
		return fail("write", err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fail("write", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	next := rb.Size()
	if next < newCP.Size {
		err = src.Entries(ctx, next, func(index uint64, entry []byte) error {
			if bytes.IndexByte(entry, '\n') >= 0 {
				return fmt.Errorf("entry %d contains a newline: it cannot be a line of %s", index, LogFile)
			}
			if index == 0 {
				genesis = bytes.Clone(entry)
			}
			w.Write(entry)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
			rb.Append(proof.LeafHash(entry))
			next = index + 1
			if opts.Progress != nil && next%65536 == 0 {
				opts.Progress(next)
			}
			if next == newCP.Size {
				return errStop
			}
			return nil
		})
		if errors.Is(err, errStop) {
			err = nil
		}
		if err != nil {
			return fail("entries", err)
		}
	}
	if next < newCP.Size {
		err = fmt.Errorf("the source delivered %d entries, its checkpoint covers %d", next, newCP.Size)
		return fail("entries", err)
	}
	if err = w.Flush(); err != nil {
		return fail("write", err)
	}
	if err = f.Sync(); err != nil {
		return fail("write", err)
	}
	if v == nil {
		if v, err = genesisKey(genesis, &res.LogKey); err != nil {
			return fail("checkpoint", err)
		}
		var step string
		if step, err = checkNew(v); err != nil {
			return fail(step, err)
		}
	}
	if got := rb.Root(); got != newCP.Root {
		err = fmt.Errorf("the %d lines of %s hash to root %s, the checkpoint says %s", newCP.Size, LogFile, b64(got), b64(newCP.Root))
		return fail("checkpoint", err)
	}
	if err = WriteFileAtomic(cpPath, newNote, 0o644); err != nil {
		return fail("write", err)
	}
	res.Checkpoint, res.Appended = newCP, newCP.Size-res.Previous
	return res, nil
}

// hashLines reads the first n lines of the file at path into rb and returns the byte
// offset after them and a copy of line 0. Fewer than n lines is an error.
func hashLines(ctx context.Context, path string, n uint64, rb *proof.RootBuilder) (offset int64, first []byte, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	if n == 0 {
		return 0, nil, nil
	}
	err = readLines(ctx, f, LogFile, 0, func(index uint64, line []byte) error {
		if index == 0 {
			first = bytes.Clone(line)
		}
		rb.Append(proof.LeafHash(line))
		offset += int64(len(line)) + 1
		if index+1 == n {
			return errStop
		}
		return nil
	})
	switch {
	case errors.Is(err, errStop):
		return offset, first, nil
	case err != nil:
		return 0, nil, err
	}
	return 0, nil, fmt.Errorf("%s has %d lines, its checkpoint covers %d", LogFile, rb.Size(), n)
}

// genesisKey returns the verifier for the log key named by the genesis entry bytes, and
// fills lk with the trust statement.
func genesisKey(genesis []byte, lk *LogKeyReport) (note.Verifier, error) {
	if genesis == nil {
		return nil, errors.New("no log key given and no genesis entry to take it from")
	}
	e, err := events.ParseEntry(genesis)
	if err != nil {
		return nil, fmt.Errorf("no log key given, and entry 0 is not a valid genesis: %w", err)
	}
	g, ok := e.Body.(*events.GenesisBody)
	if !ok {
		return nil, fmt.Errorf("no log key given, and entry 0 is a %s, not a genesis", e.Payload.Type)
	}
	v, err := proof.ParseVerifierKey(g.LogKey)
	if err != nil {
		return nil, fmt.Errorf("the genesis's log_key: %w", err)
	}
	*lk = LogKeyReport{Key: g.LogKey, From: "genesis", Statement: trustGenesis}
	return v, nil
}
