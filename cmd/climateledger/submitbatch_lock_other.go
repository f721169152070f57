//go:build !unix

package main

import "os"

// lockFile does nothing on systems without flock: do not run two batch loads with
// one state file there.
func lockFile(*os.File) error { return nil }

// unlockFile does nothing (see lockFile).
func unlockFile(*os.File) {}
