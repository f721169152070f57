package pebblefs

import (
	"os"
	"sync/atomic"
	"syscall"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Fillable is a filesystem whose disk can be made full on demand, for tests: while
// full, a write stores half of its bytes and fails with ENOSPC (as a write that runs
// out of space part-way does), and creating files, preallocating, linking, renaming
// and making directories fail with ENOSPC. Safe for concurrent use.
type Fillable struct {
	vfs.FS
	full atomic.Bool
}

// NewFillable wraps inner; the disk starts with space.
func NewFillable(inner vfs.FS) *Fillable { return &Fillable{FS: inner} }

// SetFull makes the disk full (true) or gives it space again (false).
func (f *Fillable) SetFull(full bool) { f.full.Store(full) }

// Unwrap returns the wrapped filesystem.
func (f *Fillable) Unwrap() vfs.FS { return f.FS }

func (f *Fillable) noSpace(op, name string) error {
	if f.full.Load() {
		return &os.PathError{Op: op, Path: name, Err: syscall.ENOSPC}
	}
	return nil
}

func (f *Fillable) wrap(name string, file vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &fillableFile{File: file, fs: f, name: name}, nil
}

func (f *Fillable) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	if err := f.noSpace("open", name); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name, category)
	return f.wrap(name, file, err)
}

func (f *Fillable) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	file, err := f.FS.OpenReadWrite(name, category, opts...)
	return f.wrap(name, file, err)
}

func (f *Fillable) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	file, err := f.FS.ReuseForWrite(oldname, newname, category)
	return f.wrap(newname, file, err)
}

func (f *Fillable) Link(oldname, newname string) error {
	if err := f.noSpace("link", newname); err != nil {
		return err
	}
	return f.FS.Link(oldname, newname)
}

func (f *Fillable) Rename(oldname, newname string) error {
	if err := f.noSpace("rename", newname); err != nil {
		return err
	}
	return f.FS.Rename(oldname, newname)
}

func (f *Fillable) MkdirAll(dir string, perm os.FileMode) error {
	if err := f.noSpace("mkdir", dir); err != nil {
		return err
	}
	return f.FS.MkdirAll(dir, perm)
}

type fillableFile struct {
	vfs.File
	fs   *Fillable
	name string
}

func (f *fillableFile) Write(p []byte) (int, error) {
	if err := f.fs.noSpace("write", f.name); err != nil {
		n, _ := f.File.Write(p[:len(p)/2])
		return n, err
	}
	return f.File.Write(p)
}

func (f *fillableFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.noSpace("write", f.name); err != nil {
		n, _ := f.File.WriteAt(p[:len(p)/2], off)
		return n, err
	}
	return f.File.WriteAt(p, off)
}

func (f *fillableFile) Preallocate(offset, length int64) error {
	if err := f.fs.noSpace("fallocate", f.name); err != nil {
		return err
	}
	return f.File.Preallocate(offset, length)
}
