// Package pebblefs wraps the filesystem under a node's Pebble so that a full disk
// makes writes wait for space instead of failing.
//
// Pebble treats a failed WAL or MANIFEST write as fatal: the store cannot be written
// again until it is reopened. Out of space is the common cause and it clears by
// itself (an operator frees or adds space), so here a write, preallocation, create,
// link, rename or mkdir that fails with ENOSPC or EDQUOT is retried every PollInterval
// until it succeeds, with the bytes a partial write already wrote kept (the retry
// writes the rest at the same position). Pebble sees a slow disk, never an error;
// what was acknowledged stays acknowledged and nothing is half-written. Syncs are not
// retried (a failed fsync cannot be repeated safely) and other errors pass through.
//
// Stalled reports the wait, so the node can answer 503 and report itself not ready
// meanwhile; Abort ends the waiting (at shutdown): waiting operations then return
// their error.
package pebblefs

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// DefaultPollInterval is how often a write waiting for space is retried.
const DefaultPollInterval = 100 * time.Millisecond

// Config configures New.
type Config struct {
	// PollInterval is how often a stalled write is retried; default 100 ms.
	PollInterval time.Duration
	// OnStall is called when a write first finds the disk full (err is its error);
	// OnResume when no write waits any more, with how long the stall lasted. Either
	// may be nil. They must not block.
	OnStall  func(err error)
	OnResume func(waited time.Duration)
}

// FS is a vfs.FS whose writes wait for disk space. Safe for concurrent use.
type FS struct {
	vfs.FS
	cfg Config

	abort     chan struct{}
	abortOnce sync.Once

	mu      sync.Mutex // guards waiting, since and cause
	waiting int        // operations waiting for space
	since   time.Time  // when the current stall began
	cause   error
}

// New wraps inner.
func New(inner vfs.FS, cfg Config) *FS {
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	return &FS{FS: inner, cfg: cfg, abort: make(chan struct{})}
}

// Unwrap returns the wrapped filesystem.
func (fs *FS) Unwrap() vfs.FS { return fs.FS }

// Stalled reports whether writes are waiting for space, since when, and the error
// the first of them met.
func (fs *FS) Stalled() (since time.Time, cause error, stalled bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.since, fs.cause, fs.waiting > 0
}

// Abort stops the waiting for good: waiting and later writes that find the disk full
// return their error. Call it before closing the store when the disk may be full.
func (fs *FS) Abort() { fs.abortOnce.Do(func() { close(fs.abort) }) }

// IsNoSpace reports whether err means the filesystem or the quota is full.
func IsNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// retry repeats op, which has just failed with err, until it no longer fails for
// lack of space or the FS is aborted.
func (fs *FS) retry(err error, op func() error) error {
	fs.mu.Lock()
	fs.waiting++
	first := fs.waiting == 1
	if first {
		fs.since, fs.cause = time.Now(), err
	}
	fs.mu.Unlock()
	if first && fs.cfg.OnStall != nil {
		fs.cfg.OnStall(err)
	}
	defer func() {
		fs.mu.Lock()
		fs.waiting--
		last, since := fs.waiting == 0, fs.since
		if last {
			fs.since, fs.cause = time.Time{}, nil
		}
		fs.mu.Unlock()
		if last && fs.cfg.OnResume != nil {
			fs.cfg.OnResume(time.Since(since))
		}
	}()
	t := time.NewTicker(fs.cfg.PollInterval)
	defer t.Stop()
	for IsNoSpace(err) {
		select {
		case <-fs.abort:
			return err
		case <-t.C:
		}
		err = op()
	}
	return err
}

// do runs op, waiting for space while it fails for lack of it.
func (fs *FS) do(op func() error) error {
	err := op()
	if !IsNoSpace(err) {
		return err
	}
	select {
	case <-fs.abort:
		return err
	default:
	}
	return fs.retry(err, op)
}

func (fs *FS) wrap(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return &file{File: f, fs: fs}, nil
}

// Create creates name, waiting for space.
func (fs *FS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	var f vfs.File
	err := fs.do(func() (err error) {
		f, err = fs.FS.Create(name, category)
		return err
	})
	return fs.wrap(f, err)
}

// OpenReadWrite opens name for writing, waiting for space.
func (fs *FS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	var f vfs.File
	err := fs.do(func() (err error) {
		f, err = fs.FS.OpenReadWrite(name, category, opts...)
		return err
	})
	return fs.wrap(f, err)
}

// ReuseForWrite reuses oldname as newname, waiting for space.
func (fs *FS) ReuseForWrite(oldname, newname string, category vfs.DiskWriteCategory) (vfs.File, error) {
	var f vfs.File
	err := fs.do(func() (err error) {
		f, err = fs.FS.ReuseForWrite(oldname, newname, category)
		return err
	})
	return fs.wrap(f, err)
}

// Link links newname to oldname, waiting for space.
func (fs *FS) Link(oldname, newname string) error {
	return fs.do(func() error { return fs.FS.Link(oldname, newname) })
}

// Rename renames oldname, waiting for space.
func (fs *FS) Rename(oldname, newname string) error {
	return fs.do(func() error { return fs.FS.Rename(oldname, newname) })
}

// MkdirAll creates dir, waiting for space.
func (fs *FS) MkdirAll(dir string, perm os.FileMode) error {
	return fs.do(func() error { return fs.FS.MkdirAll(dir, perm) })
}

// file is a vfs.File whose writes wait for space.
type file struct {
	vfs.File
	fs *FS
}

// Write writes p, waiting for space; the bytes of a partial write are kept and the
// rest is written after them.
func (f *file) Write(p []byte) (int, error) {
	n, err := f.File.Write(p)
	if !IsNoSpace(err) {
		return n, err
	}
	err = f.fs.retry(err, func() error {
		m, err := f.File.Write(p[n:])
		n += m
		return err
	})
	return n, err
}

// WriteAt writes p at off, waiting for space.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	if !IsNoSpace(err) {
		return n, err
	}
	err = f.fs.retry(err, func() error {
		m, err := f.File.WriteAt(p[n:], off+int64(n))
		n += m
		return err
	})
	return n, err
}

// Preallocate reserves space, waiting for it.
func (f *file) Preallocate(offset, length int64) error {
	return f.fs.do(func() error { return f.File.Preallocate(offset, length) })
}
