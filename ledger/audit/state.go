package audit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/climateledger/climateledger/ledger/proof"
)

// State is what an auditor remembers between runs (Options.State): the last checkpoint
// that verified, and its signed note. The file is JSON:
//
//	{"origin":"climateledger.local/log","size":1234,"root":"<base64>","checkpoint":"<the signed note>"}
type State struct {
	Origin string
	Size   uint64
	Root   [32]byte
	// Note is the signed checkpoint, verbatim.
	Note string
}

type stateJSON struct {
	Origin     string `json:"origin"`
	Size       uint64 `json:"size"`
	Root       string `json:"root"`
	Checkpoint string `json:"checkpoint"`
}

// StateError reports a state file that cannot be used: unreadable, not the format
// above, or its fields disagree with its own signed note.
type StateError struct {
	File string
	Err  error
}

// Error returns "audit state FILE: cause".
func (e *StateError) Error() string { return fmt.Sprintf("audit state %s: %v", e.File, e.Err) }

// Unwrap returns the underlying error.
func (e *StateError) Unwrap() error { return e.Err }

// LoadState reads a state file. A missing file is the first run: nil, nil. Any other
// problem is a *StateError. The note's signature is not checked here (Run checks it
// with the log key).
func LoadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &StateError{File: path, Err: err}
	}
	var sj stateJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sj); err != nil {
		return nil, &StateError{File: path, Err: fmt.Errorf("not a state file: %w", err)}
	}
	c, err := proof.PeekCheckpoint([]byte(sj.Checkpoint))
	if err != nil {
		return nil, &StateError{File: path, Err: err}
	}
	if c.Origin != sj.Origin || c.Size != sj.Size || b64(c.Root) != sj.Root {
		return nil, &StateError{File: path, Err: fmt.Errorf("origin, size or root (%s %d %s) differ from its checkpoint (%s %d %s)",
			sj.Origin, sj.Size, sj.Root, c.Origin, c.Size, b64(c.Root))}
	}
	return &State{Origin: c.Origin, Size: c.Size, Root: c.Root, Note: sj.Checkpoint}, nil
}

// Save writes the state file atomically: a temporary file in the same directory,
// fsynced, renamed over path, and the directory fsynced. Errors are *StateError.
func (s *State) Save(path string) error {
	b, err := json.MarshalIndent(stateJSON{Origin: s.Origin, Size: s.Size, Root: base64.StdEncoding.EncodeToString(s.Root[:]), Checkpoint: s.Note}, "", "  ")
	if err != nil {
		return &StateError{File: path, Err: err}
	}
	if err := WriteFileAtomic(path, append(b, '\n'), 0o644); err != nil {
		return &StateError{File: path, Err: err}
	}
	return nil
}

// WriteFileAtomic replaces path with b: it writes a temporary file next to it, fsyncs
// it, renames it over path and fsyncs the directory, so that path holds either the old
// or the new bytes after a crash, never a mix.
func WriteFileAtomic(path string, b []byte, perm os.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(b); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that a rename in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
