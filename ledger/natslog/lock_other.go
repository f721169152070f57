//go:build !unix

package natslog

import "os"

// lockDir does nothing on systems without flock: do not point two embedded servers
// at one store directory there.
func lockDir(dir string) (*os.File, error) { return nil, nil }

// unlockDir releases a lock taken by lockDir.
func unlockDir(f *os.File) {}
