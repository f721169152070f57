//go:build unix

package natslog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the lock file inside StoreDir. nats-server does not lock its store
// directory, and two servers writing one store corrupt it.
const lockName = "climateledger.lock"

// lockDir takes an exclusive, non-blocking flock on dir/climateledger.lock. The lock
// dies with the process.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("natslog: lock store dir: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("natslog: store dir %s is in use by another embedded server: %w", dir, ErrUnavailable)
		}
		return nil, fmt.Errorf("natslog: lock store dir: %w", err)
	}
	return f, nil
}

// unlockDir releases a lock taken by lockDir.
func unlockDir(f *os.File) {
	if f != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}
