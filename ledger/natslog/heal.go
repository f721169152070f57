package natslog

import (
	"sync"
	"time"
)

// fault is why the log refuses writes while it repairs its store, and since when.
type fault struct {
	mu    sync.Mutex
	cause string
	since time.Time
}

func (f *fault) set(cause string, now time.Time) (first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	first = f.cause == ""
	if first {
		f.since = now
	}
	f.cause = cause
	return first
}

func (f *fault) clear() (cause string, since time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cause, since = f.cause, f.since
	f.cause, f.since = "", time.Time{}
	return cause, since
}

func (f *fault) get() (string, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cause, f.since
}

// Fault returns why the embedded store refuses writes while the log repairs it (for
// example "no space left on device"), or "" when it does not. Safe for concurrent use.
func (l *Log) Fault() string {
	c, _ := l.fault.get()
	return c
}
