package ledger

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/internal/fsutil"
	"github.com/climateledger/climateledger/ledger/proof"
)

// Key file names under DATA/keys (docs/SPEC.md §1).
const (
	RegistrarKeyFile = "registrar.key"
	LogKeyFile       = "log.key"
	LogPubFile       = "log.pub"
)

// Keys are a node's signing keys.
type Keys struct {
	// Registrar signs the genesis and enrolments. It is nil when DATA/keys holds no
	// registrar.key: a node needs it only to write the genesis of a new log (the
	// registrar enrols parties offline, with the CLI).
	Registrar *events.Signer
	// LogSigner signs checkpoints; LogVerifierKey is its public verifier key string.
	LogSigner      note.Signer
	LogVerifier    note.Verifier
	LogVerifierKey string
}

// LoadOrCreateKeys reads the keys in dir, creating all three (0600, directory 0700)
// when create is true and none exist. log.key and log.pub are required;
// registrar.key is optional (Keys.Registrar is then nil).
func LoadOrCreateKeys(dir, origin string, create bool) (*Keys, error) {
	present := map[string]bool{}
	for _, name := range []string{RegistrarKeyFile, LogKeyFile, LogPubFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			present[name] = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("keys: %w", err)
		}
	}
	switch {
	case len(present) == 0 && !create:
		return nil, fmt.Errorf("keys: none in %s (they are created only for a new log): copy the log's %s and %s there", dir, LogKeyFile, LogPubFile)
	case len(present) == 0:
		if err := createKeys(dir, origin); err != nil {
			return nil, err
		}
	case !present[LogKeyFile] || !present[LogPubFile]:
		return nil, fmt.Errorf("keys: %s must hold both %s and %s; restore the missing one", dir, LogKeyFile, LogPubFile)
	}
	return loadKeys(dir)
}

func createKeys(dir, origin string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	reg, err := events.GenerateSigner(rand.Reader)
	if err != nil {
		return err
	}
	skey, vkey, err := proof.GenerateLogKey(rand.Reader, origin)
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	files := map[string][]byte{
		RegistrarKeyFile: events.MarshalKeyFile(reg),
		LogKeyFile:       []byte(skey + "\n"),
		LogPubFile:       []byte(vkey + "\n"),
	}
	for name, b := range files {
		if err := WriteKeyFile(filepath.Join(dir, name), b); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	}
	return nil
}

// WriteKeyFile writes a new key file with mode 0600 and syncs it. It never
// overwrites: an existing file is an error (fs.ErrExist), so a key is never lost.
func WriteKeyFile(path string, b []byte) error {
	return fsutil.WriteNewFile(path, b, 0o600)
}

func loadKeys(dir string) (*Keys, error) {
	read := func(name string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("keys: %w", err)
		}
		return b, nil
	}
	var reg *events.Signer
	switch rb, err := os.ReadFile(filepath.Join(dir, RegistrarKeyFile)); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("keys: %w", err)
	default:
		if reg, err = events.ParseKeyFile(rb); err != nil {
			return nil, fmt.Errorf("keys: %s: %w", RegistrarKeyFile, err)
		}
	}
	sb, err := read(LogKeyFile)
	if err != nil {
		return nil, err
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(sb)))
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %v", LogKeyFile, err)
	}
	vb, err := read(LogPubFile)
	if err != nil {
		return nil, err
	}
	vkey := strings.TrimSpace(string(vb))
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %v", LogPubFile, err)
	}
	if verifier.KeyHash() != signer.KeyHash() || verifier.Name() != signer.Name() {
		return nil, fmt.Errorf("keys: %s and %s are not a pair", LogKeyFile, LogPubFile)
	}
	return &Keys{Registrar: reg, LogSigner: signer, LogVerifier: verifier, LogVerifierKey: vkey}, nil
}
