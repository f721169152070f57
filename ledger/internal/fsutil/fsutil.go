// Package fsutil holds the node's and the witness's one way of writing a file that
// must never be overwritten and must be on disk before it is used (keys).
package fsutil

import "os"

// WriteNewFile creates path with perm, writes b and fsyncs it. It never overwrites:
// an existing file is an error (fs.ErrExist), so a key is never lost.
func WriteNewFile(path string, b []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
