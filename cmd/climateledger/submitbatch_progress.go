package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// batchProgress reports a batch load's progress on standard error: on a terminal a
// bar rewritten in place at most every interval (10 times a second), otherwise a line
// at each tenth of the way.
type batchProgress struct {
	w        io.Writer
	tty      bool
	total    int
	start    time.Time
	interval time.Duration

	mu     sync.Mutex // guards what follows and writes to w
	done   int
	events int
	tenth  int  // line mode: tenths already reported
	drawn  bool // terminal mode: a bar is on the current line
	stop   chan struct{}
	closed chan struct{}
}

// newBatchProgress starts reporting the progress of total lines on w; terminal
// forces the mode (nil: a terminal when w is a character device).
func newBatchProgress(w io.Writer, total int, terminal *bool, interval time.Duration) *batchProgress {
	p := &batchProgress{w: w, total: total, start: time.Now(), interval: interval, stop: make(chan struct{}), closed: make(chan struct{})}
	if terminal != nil {
		p.tty = *terminal
	} else {
		p.tty = isTerminal(w)
	}
	if p.interval <= 0 {
		p.interval = 100 * time.Millisecond
	}
	if !p.tty {
		close(p.closed)
		return p
	}
	go every(p.interval, p.stop, p.closed, func() {
		p.mu.Lock()
		p.drawLocked()
		p.mu.Unlock()
	})
	return p
}

// lineLocked is the progress line: "[#####---------------]  50/200  412 events/s".
func (p *batchProgress) lineLocked() string {
	rate := 0.0
	if el := time.Since(p.start).Seconds(); el > 0 {
		rate = float64(p.events) / el
	}
	return fmt.Sprintf("%s  %.0f events/s", progressBar(p.done, p.total), rate)
}

// drawLocked rewrites the bar on a terminal.
func (p *batchProgress) drawLocked() {
	fmt.Fprintf(p.w, "\r%s\x1b[K", p.lineLocked())
	p.drawn = true
}

// add counts done more lines finished, events of them now in the log; in line mode
// it prints a line at each tenth of the way.
func (p *batchProgress) add(done, events int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += done
	p.events += events
	if p.tty || p.total == 0 {
		return
	}
	if t := p.done * 10 / p.total; t > p.tenth {
		p.tenth = t
		fmt.Fprintln(p.w, p.lineLocked())
	}
}

// printf writes a message (a failed line) on a line of its own.
func (p *batchProgress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintf(p.w, format, args...)
}

// finish draws the final bar (terminal mode) and stops.
func (p *batchProgress) finish() {
	if p.tty {
		close(p.stop)
	}
	<-p.closed
	if p.tty {
		p.mu.Lock()
		p.drawLocked()
		fmt.Fprintln(p.w)
		p.mu.Unlock()
	}
}
