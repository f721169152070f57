//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive, non-blocking flock on f, so that two batch loads never
// share a state file.
func lockFile(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
}

// unlockFile releases lockFile's lock.
func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
