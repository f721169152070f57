// Package pebbleslog adapts Pebble's logger interface to log/slog, for every Pebble
// store of the node and the witness: Pebble's chatty info lines go to debug.
//
// Pebble calls Fatalf when it cannot go on (a failed WAL or MANIFEST write, a
// detected corruption) and expects it not to return. Fatalf here never exits the
// process: inside Guard it panics with a *FatalError that Guard turns into an error
// (the caller answers 503 and the store is reported failed); on any other goroutine
// (Pebble's own flushes and compactions) it reports the failure and parks that
// goroutine for good, so the node stays up, reports itself not ready and answers
// 503 until it is restarted.
package pebbleslog

import (
	"fmt"
	"log/slog"
	"runtime"
	"strings"
)

// Logger is a pebble.Logger writing to an slog.Logger.
type Logger struct {
	L *slog.Logger
	// OnFatal, when set, is told of each fatal error before Fatalf panics or parks.
	OnFatal func(msg string)
}

// Infof logs at debug level.
func (p Logger) Infof(format string, args ...any) {
	p.L.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

// Errorf logs at error level.
func (p Logger) Errorf(format string, args ...any) {
	p.L.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf logs at error level with fatal=true and tells OnFatal; then it panics with
// a *FatalError when called under Guard, and otherwise parks the calling goroutine
// for good. It never exits the process and never returns.
func (p Logger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.L.Error(msg, "component", "pebble", "fatal", true)
	if p.OnFatal != nil {
		p.OnFatal(msg)
	}
	if guarded() {
		panic(&FatalError{Msg: msg})
	}
	select {} // a Pebble goroutine: it must not continue, and must not crash the node
}

// FatalError is a fatal Pebble failure caught by Guard. The store it came from must
// not be written again.
type FatalError struct{ Msg string }

func (e *FatalError) Error() string { return "pebble: fatal: " + e.Msg }

// Cause names the failure for an operator.
func (e *FatalError) Cause() string { return "pebble failed: " + e.Msg }

// Guard runs fn, a call into Pebble, and returns a *FatalError when Pebble called
// Fatalf during it. Other panics propagate.
func Guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(*FatalError)
			if !ok {
				panic(r)
			}
			err = fe
		}
	}()
	return fn()
}

// guardName is the symbol of Guard as runtime.Callers reports it.
var guardName = func() string {
	pc, _, _, _ := runtime.Caller(0)
	name := runtime.FuncForPC(pc).Name() // …/pebbleslog.init.func…
	return name[:strings.LastIndex(name, ".init")] + ".Guard"
}()

// guarded reports whether Guard is on the calling goroutine's stack.
func guarded() bool {
	pcs := make([]uintptr, 256)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if f.Function == guardName {
			return true
		}
		if !more {
			return false
		}
	}
}
