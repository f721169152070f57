package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/climateledger/climateledger/ledger"
)

// batchState is the state file of a batch load (submit --batch): what was signed and
// what was recorded, line by line, so that a rerun after an interruption neither signs
// nor records anything twice.
//
// The file is JSON lines. The first is the header:
//
//	{"v":1,"file":"loads/2024.jsonl","sha256":"<hex SHA-256 of the batch file>","party":"us-ca","type":"inventory.reported"}
//
// then records, in the order they happened:
//
//	{"line":N,"envelope":"<the signed envelope, stored form, as a JSON string>"}   body line N was signed
//	{"line":N,"id":"01M…","seq":S,"hash":"<hex>","index":I}                        line N is in the log
//
// An envelope record is on disk (fsynced) before its envelope is submitted, so a line
// submitted once is always resubmitted with the same bytes, which the gate answers with
// the original receipt (docs/SPEC.md §7.4). A later envelope record of the same line
// replaces an earlier one: the gate refused the earlier one as not recorded
// (chain_conflict or clock_skew) and it was signed again with the same event id.
// Receipt records are written with the next fsync, at most a second later, and when
// the load ends; one lost in a crash costs only a resubmission. Writes from all chains
// share one fsync (group commit). Safe for concurrent use.
type batchState struct {
	path string
	f    *os.File

	mu   sync.Mutex
	cond *sync.Cond
	// buf holds records not yet written; they belong to flush number next.
	buf  []byte
	next uint64
	// synced is the number of the last flush written and fsynced.
	synced   uint64
	flushing bool
	// err is the first write or sync error; every later call returns it.
	err error

	stop chan struct{}
	done chan struct{}
}

// batchHeader is the first line of a state file.
type batchHeader struct {
	V      int    `json:"v"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
	Party  string `json:"party,omitempty"`
	Type   string `json:"type,omitempty"`
}

// stateRecord is a record of a state file as read: an envelope record or a receipt
// record (ID set).
type stateRecord struct {
	Line     int    `json:"line"`
	Envelope string `json:"envelope,omitempty"`
	ID       string `json:"id,omitempty"`
	Seq      uint64 `json:"seq,omitempty"`
	Hash     string `json:"hash,omitempty"`
	Index    uint64 `json:"index,omitempty"`
}

// receiptRecord is how a receipt record is written.
type receiptRecord struct {
	Line  int    `json:"line"`
	ID    string `json:"id"`
	Seq   uint64 `json:"seq"`
	Hash  string `json:"hash"`
	Index uint64 `json:"index"`
}

// lineState is what a state file holds about one line: its last signed envelope
// (body lines) and its receipt, either possibly absent.
type lineState struct {
	Envelope []byte
	Receipt  *receiptRecord
}

// openBatchState opens (creating it when absent) and locks the state file at path
// for the batch file described by want. An existing state is read and returned by
// line number; it must have been written for the same file (SHA-256), party and type,
// else the error says so — unless restart, which starts the state afresh. A torn last
// record (a crash during a write) is dropped. The returned state flushes buffered
// records every second until Close.
func openBatchState(path string, want batchHeader, restart bool) (*batchState, map[int]*lineState, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("state file: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("state file %s is in use by another batch load (%v): wait for it to end", path, err)
	}
	s := &batchState{path: path, f: f, next: 1, stop: make(chan struct{}), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	lines := map[int]*lineState{}
	fail := func(err error) (*batchState, map[int]*lineState, error) {
		unlockFile(f)
		f.Close()
		return nil, nil, err
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fail(fmt.Errorf("state file %s: %w", path, err))
	}
	if len(b) == 0 || restart {
		hb, _ := json.Marshal(want)
		if err := f.Truncate(0); err != nil {
			return fail(fmt.Errorf("state file %s: %w", path, err))
		}
		if _, err := f.WriteAt(append(hb, '\n'), 0); err != nil {
			return fail(fmt.Errorf("state file %s: %w", path, err))
		}
		if err := f.Sync(); err != nil {
			return fail(fmt.Errorf("state file %s: %w", path, err))
		}
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			return fail(err)
		}
		go s.flushLoop()
		return s, lines, nil
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	var h batchHeader
	if err := json.Unmarshal(first, &h); err != nil || h.V != 1 || h.SHA256 == "" {
		return fail(fmt.Errorf("%s is not a batch state file: remove it, choose another with --state, or pass --restart to overwrite it", path))
	}
	if h.SHA256 != want.SHA256 {
		return fail(fmt.Errorf("%s changed since %s was written (the state is of a file with SHA-256 %.16s…, the file now has %.16s…): "+
			"restore the file to continue the earlier load, or pass --restart to load the file as it is now (lines the earlier load recorded would be recorded again: remove them from the file first)",
			want.File, path, h.SHA256, want.SHA256))
	}
	if h.Party != want.Party || h.Type != want.Type {
		return fail(fmt.Errorf("%s was written for --party %q --type %q: give the same flags to continue the earlier load, or pass --restart", path, h.Party, h.Type))
	}
	good := len(first) + 1 // bytes up to the end of the last whole record
	newline := false       // the last whole record lacks its newline
	for n := 2; len(rest) > 0; n++ {
		line, tail, complete := bytes.Cut(rest, []byte("\n"))
		var r stateRecord
		err := json.Unmarshal(line, &r)
		if err != nil || r.Line <= 0 || (r.ID == "") == (r.Envelope == "") {
			if !complete {
				break // torn by a crash during the write: never acted on
			}
			return fail(fmt.Errorf("state file %s, line %d: not a state record: fix or remove the file (or pass --restart)", path, n))
		}
		ls := lines[r.Line]
		if ls == nil {
			ls = &lineState{}
			lines[r.Line] = ls
		}
		if r.Envelope != "" {
			ls.Envelope = []byte(r.Envelope)
		} else {
			ls.Receipt = &receiptRecord{Line: r.Line, ID: r.ID, Seq: r.Seq, Hash: r.Hash, Index: r.Index}
		}
		good += len(line)
		if complete {
			good++
		} else {
			newline = true
		}
		rest = tail
	}
	switch {
	case newline:
		if _, err := f.WriteAt([]byte("\n"), int64(good)); err != nil {
			return fail(fmt.Errorf("state file %s: %w", path, err))
		}
	case good < len(b):
		if err := f.Truncate(int64(good)); err != nil {
			return fail(fmt.Errorf("state file %s: drop a torn record: %w", path, err))
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return fail(err)
	}
	go s.flushLoop()
	return s, lines, nil
}

// logEnvelope records that body line was signed as env, and returns once the record
// is on disk: only then may env be submitted.
func (s *batchState) logEnvelope(line int, env []byte) error {
	rec, _ := json.Marshal(stateRecord{Line: line, Envelope: string(env)})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(append(s.buf, rec...), '\n')
	return s.syncLocked(s.next)
}

// logReceipt records line's receipt and returns the record. It does not wait for the
// disk: the record is written with the next flush.
func (s *batchState) logReceipt(line int, rc *ledger.Receipt) *receiptRecord {
	r := &receiptRecord{Line: line, ID: rc.ID, Seq: rc.Seq, Hash: rc.Hash.String(), Index: rc.Index}
	rec, _ := json.Marshal(r)
	s.mu.Lock()
	s.buf = append(append(s.buf, rec...), '\n')
	s.mu.Unlock()
	return r
}

// syncLocked waits until flush number n is written and fsynced, doing the flush
// itself when no other caller is: records added meanwhile by other chains go into the
// same write and fsync. s.mu is held.
func (s *batchState) syncLocked(n uint64) error {
	for s.synced < n && s.err == nil {
		if s.flushing {
			s.cond.Wait()
			continue
		}
		s.flushing = true
		buf, num := s.buf, s.next
		s.buf, s.next = nil, s.next+1
		s.mu.Unlock()
		var err error
		if len(buf) > 0 {
			if _, err = s.f.Write(buf); err == nil {
				err = s.f.Sync()
			}
		}
		s.mu.Lock()
		s.flushing = false
		if err != nil && s.err == nil {
			s.err = fmt.Errorf("state file %s: %w", s.path, err)
		}
		s.synced = num
		s.cond.Broadcast()
	}
	return s.err
}

// flush writes and fsyncs every record added so far.
func (s *batchState) flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 && !s.flushing {
		return s.err
	}
	return s.syncLocked(s.next)
}

// flushLoop flushes buffered receipt records every second until Close.
func (s *batchState) flushLoop() {
	every(time.Second, s.stop, s.done, func() { s.flush() })
}

// every calls f every d until stop is closed, then closes done.
func every(d time.Duration, stop <-chan struct{}, done chan<- struct{}, f func()) {
	defer close(done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			f()
		}
	}
}

// Close flushes what is buffered, unlocks and closes the file. It returns the first
// write error of the state's life.
func (s *batchState) Close() error {
	close(s.stop)
	<-s.done
	err := s.flush()
	unlockFile(s.f)
	if cerr := s.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("state file %s: %w", s.path, cerr)
	}
	return err
}
