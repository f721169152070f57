//go:build !unix

package natslog

import "errors"

var errNoStatfs = errors.New("natslog: free space is not known on this platform")

// freeBytes is not known here: a failed store is repaired without waiting for space.
func freeBytes(string) (uint64, error) { return RepairMinFree, nil }

// totalBytes is not known here.
func totalBytes(string) (int64, error) { return 0, errNoStatfs }
