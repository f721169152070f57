package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

// A batch load (submit --batch FILE.jsonl) submits one event per non-blank line of a
// JSON-lines file. A line is either
//
//   - a signed DSSE envelope (a JSON object with payloadType, payload and signatures,
//     docs/SPEC.md §3.3), submitted as it is, or
//   - an event body (any other JSON object, docs/SPEC.md §6), signed with --key (and
//     every --cosign) as the next event of --party's chain, of type --type.
//
// The whole file is checked before anything is submitted: JSON, each body with the
// gate's body rules, each envelope's form and payload; the envelopes of one chain must
// follow each other (seq and prev) in file order, and envelopes of --party must come
// before its body lines (these are chained onto them).
//
// Chains are loaded concurrently (up to --concurrency at a time, so that the server's
// group commit shares fsyncs between them), each chain's lines one after the other in
// file order. No order is kept between chains: a line that needs another chain's event
// (a verification of it, a partnership) belongs in an earlier batch.
//
// Body lines are chained locally: the party's head is read once, then each line is
// signed as seq head+1, head+2, … with prev the payload hash of the one before and the
// current time. The state file (batchState) records each signed envelope before it is
// submitted and each receipt after, so a rerun of the same command skips recorded
// lines, resubmits signed ones with the same bytes (the gate answers an identical
// envelope with its original receipt) and continues each chain from its last signed
// event: nothing is signed or recorded twice.
//
// A line the server refuses (a 4xx finding) stops its chain: the later lines of that
// chain cannot be valid without it. A 429 waits as long as Retry-After says; a 5xx or
// a network error is retried with backoff up to --retries times with the same bytes.
// A body line refused with 409 chain_conflict (another writer extended the chain) or
// 422 clock_skew (signed too long ago, e.g. by an interrupted earlier run) was not
// recorded — the gate answers an identical recorded envelope with its receipt before
// either check — so it is signed again, at the new head or with the current time,
// keeping its event id (docs/SPEC.md §2.3): if the earlier envelope were in the log
// after all, the new one would be refused as a duplicate_id rather than recorded twice.

// batchLine is one non-blank line of a batch file.
type batchLine struct {
	// N is the line number in the file, from 1.
	N     int
	Party string
	// Body is the decoded event body of a body line; nil for an envelope line.
	Body events.Body
	// Envelope is the stored form of an envelope line, or a body line's signed
	// envelope once signed (possibly by an earlier run).
	Envelope []byte
	// Receipt is set once the line is known to be in the log.
	Receipt *receiptRecord
}

// batchInputError lists the bad lines of a batch file.
type batchInputError struct {
	Path     string
	Problems []string
}

// maxBatchProblems is how many bad lines an error lists.
const maxBatchProblems = 20

func (e *batchInputError) Error() string {
	var b strings.Builder
	n := len(e.Problems)
	fmt.Fprintf(&b, "%s: %d bad line%s, nothing submitted:", e.Path, n, plural(n))
	for i, p := range e.Problems {
		if i == maxBatchProblems {
			fmt.Fprintf(&b, "\n  … and %d more", n-i)
			break
		}
		b.WriteString("\n  " + p)
	}
	return b.String()
}

// plural is "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// isEnvelopeLine reports whether a line's object is an envelope: it has one of the
// DSSE members (no event body has them).
func isEnvelopeLine(obj map[string]json.RawMessage) bool {
	for _, k := range []string{"payloadType", "payload", "signatures"} {
		if _, ok := obj[k]; ok {
			return true
		}
	}
	return false
}

// parseBatch reads and checks every line of a batch file. party and typ are --party
// and --type; firstBody is the number of the first body line (0: none), for the caller
// to refuse body lines without --key, --party and --type. Every bad line is reported
// at once in a *batchInputError, in line order.
func parseBatch(path string, data []byte, party, typ string) (lines []*batchLine, firstBody int, err error) {
	type problem struct {
		n   int
		msg string
	}
	var problems []problem
	bad := func(n int, format string, args ...any) {
		problems = append(problems, problem{n, fmt.Sprintf("line %d: ", n) + fmt.Sprintf(format, args...)})
	}
	type chainEnd struct {
		line int
		seq  uint64
		hash events.Hash
	}
	ends := map[string]chainEnd{} // party → its last envelope line
	ids := map[string]int{}       // event id → envelope line
	raw := bytes.Split(data, []byte("\n"))
	var bodies []*batchLine
	var bodyRaw [][]byte
	for i, rl := range raw {
		n := i + 1
		rl = bytes.TrimSpace(rl)
		if len(rl) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(rl, &obj); err != nil {
			if json.Valid(rl) {
				bad(n, "not a JSON object")
			} else {
				bad(n, "not JSON: %v", err)
			}
			continue
		}
		if !isEnvelopeLine(obj) {
			if firstBody == 0 {
				firstBody = n
			}
			l := &batchLine{N: n, Party: party}
			bodies, bodyRaw = append(bodies, l), append(bodyRaw, rl)
			lines = append(lines, l)
			continue
		}
		stored, err := events.DecodeSubmission(rl)
		if err != nil {
			bad(n, "not a valid envelope: %s", err)
			continue
		}
		e, err := events.ParseEntry(stored)
		if err != nil {
			bad(n, "not a valid envelope: %s", err)
			continue
		}
		p := e.Payload
		l := &batchLine{N: n, Party: p.Party, Envelope: stored}
		if first, dup := ids[p.ID]; dup {
			bad(n, "the same event (id %s) as line %d", p.ID, first)
			continue
		}
		ids[p.ID] = n
		if p.Party == party && firstBody != 0 {
			bad(n, "an envelope of %s after its body lines (the first is line %d): its seq and prev cannot follow events signed during the load; put the envelopes of --party before its body lines", party, firstBody)
			continue
		}
		if end, ok := ends[p.Party]; ok && (p.Seq != end.seq+1 || p.Prev != end.hash.String()) {
			bad(n, "%s seq %d does not follow line %d (seq %d): the envelopes of one chain must be in chain order, each one's prev the payload hash of the one before", p.Party, p.Seq, end.line, end.seq)
			continue
		}
		ends[p.Party] = chainEnd{line: n, seq: p.Seq, hash: e.Hash}
		lines = append(lines, l)
	}
	if len(bodies) > 0 && typ != "" && events.KnownType(typ) {
		for i, l := range bodies {
			body, err := events.DecodeBody(typ, bodyRaw[i])
			if err != nil {
				bad(l.N, "not a valid %s body: %s", typ, err)
				continue
			}
			l.Body = body
		}
	}
	if len(problems) > 0 {
		// Problems of envelopes and bodies were found in two passes: list them by line.
		slices.SortStableFunc(problems, func(a, b problem) int { return a.n - b.n })
		ie := &batchInputError{Path: path}
		for _, p := range problems {
			ie.Problems = append(ie.Problems, p.msg)
		}
		return nil, firstBody, ie
	}
	return lines, firstBody, nil
}

// batchOptions are the flags of a batch load.
type batchOptions struct {
	Path, State string
	Restart     bool
	Concurrency int
	Retries     int
	Party, Type string
	KeyFile     string
	Cosign      []string
	Server      string
	// progressTerminal forces the progress mode (tests); nil: a terminal when
	// standard error is one.
	progressTerminal *bool
}

// batchSummary is what a batch load prints on standard output when it ends.
type batchSummary struct {
	// Lines is the number of non-blank lines: Recorded + Already + Skipped + Failed + Pending.
	Lines int `json:"lines"`
	// Recorded: new in the log by this run.
	Recorded int `json:"recorded"`
	// Already: the server already had the event (an earlier run's envelope, or an
	// envelope line loaded before); the original receipt was kept.
	Already int `json:"already"`
	// Skipped: the state file already held the line's receipt; not submitted.
	Skipped int `json:"skipped"`
	// Failed: refused by the server, or given up on after --retries.
	Failed int `json:"failed"`
	// Pending: not submitted, or its outcome unknown: behind a failed line of its
	// chain, or left by an interruption. A rerun submits them.
	Pending     int     `json:"pending"`
	FailedLines []int   `json:"failed_lines,omitempty"`
	ElapsedS    float64 `json:"elapsed_s"`
	EventsPerS  float64 `json:"events_per_s"`
	State       string  `json:"state"`
}

// batchRun is one batch load in progress.
type batchRun struct {
	opt     batchOptions
	c       *client.Client
	signers []*events.Signer
	state   *batchState
	prog    *batchProgress

	mu  sync.Mutex // guards sum
	sum batchSummary
}

// runBatch is submit --batch: it checks the file, opens the state, loads the chains
// and prints the summary. The error names the failed lines, or says the load was
// interrupted; either way a rerun continues.
func runBatch(ctx context.Context, e *env, opt batchOptions) error {
	data, err := os.ReadFile(opt.Path)
	if err != nil {
		return err
	}
	lines, firstBody, err := parseBatch(opt.Path, data, opt.Party, opt.Type)
	if firstBody != 0 {
		var missing []string
		for _, f := range []struct{ name, v string }{{"key", opt.KeyFile}, {"party", opt.Party}, {"type", opt.Type}} {
			if f.v == "" {
				missing = append(missing, "--"+f.name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("%w: %s line %d is an event body, not an envelope: body lines need --key, --party and --type (missing %s)",
				errUsage, opt.Path, firstBody, strings.Join(missing, ", "))
		}
	}
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s: no lines to submit", opt.Path)
	}
	b := &batchRun{opt: opt}
	if firstBody != 0 {
		if b.signers, err = readSigners(append([]string{opt.KeyFile}, opt.Cosign...)); err != nil {
			return err
		}
	}
	if b.c, err = client.New(opt.Server); err != nil {
		return err
	}
	hdr := newBatchHeader(opt.Path, data)
	if firstBody != 0 {
		hdr.Party, hdr.Type = opt.Party, opt.Type
	}
	st, saved, err := openBatchState(opt.State, hdr, opt.Restart)
	if err != nil {
		return err
	}
	b.state = st
	err = b.applyState(lines, saved)
	if err == nil {
		err = b.checkKey(ctx, lines)
	}
	if err == nil {
		err = b.load(ctx, e, lines)
	}
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// newBatchHeader is the state header of the batch file at path with contents data
// (without party and type).
func newBatchHeader(path string, data []byte) batchHeader {
	sum := sha256.Sum256(data)
	return batchHeader{V: 1, File: path, SHA256: hex.EncodeToString(sum[:])}
}

// applyState attaches what the state file says to the lines: receipts, and the
// signed envelopes of body lines (checked to be of --party's chain).
func (b *batchRun) applyState(lines []*batchLine, saved map[int]*lineState) error {
	byN := make(map[int]*batchLine, len(lines))
	for _, l := range lines {
		byN[l.N] = l
	}
	for n, s := range saved {
		l := byN[n]
		if l == nil || (s.Envelope != nil && l.Body == nil) {
			return fmt.Errorf("state file %s does not match %s (a record of line %d): pass --restart to start afresh", b.opt.State, b.opt.Path, n)
		}
		if s.Envelope != nil {
			e, err := events.ParseEntry(s.Envelope)
			if err != nil || e.Payload.Party != b.opt.Party || e.Payload.Type != b.opt.Type {
				return fmt.Errorf("state file %s: the envelope of line %d is not a %s event of %s: pass --restart to start afresh", b.opt.State, n, b.opt.Type, b.opt.Party)
			}
			l.Envelope = s.Envelope
		}
		l.Receipt = s.Receipt
	}
	return nil
}

// checkKey checks, before anything is submitted, that --key is an active key of
// --party when body lines remain to be signed and the file does not enrol the party.
func (b *batchRun) checkKey(ctx context.Context, lines []*batchLine) error {
	need := false
	for _, l := range lines {
		if l.Party == b.opt.Party && l.Body == nil {
			return nil // the file holds the party's own envelopes (its enrolment, say)
		}
		if l.Body != nil && l.Envelope == nil {
			need = true
		}
	}
	if !need {
		return nil
	}
	return checkPartyKey(ctx, b.c, b.opt.Party, b.signers[0])
}

// load submits every line without a receipt, chains concurrently, and prints the
// summary.
func (b *batchRun) load(ctx context.Context, e *env, lines []*batchLine) error {
	var order []string
	chains := map[string][]*batchLine{}
	todo := map[string]bool{}
	skipped := 0
	for _, l := range lines {
		if _, ok := chains[l.Party]; !ok {
			order = append(order, l.Party)
		}
		chains[l.Party] = append(chains[l.Party], l)
		if l.Receipt != nil {
			skipped++
		} else {
			todo[l.Party] = true
		}
	}
	b.sum = batchSummary{Lines: len(lines), Skipped: skipped, State: b.opt.State}
	b.prog = newBatchProgress(e.stderr, len(lines), b.opt.progressTerminal, 100*time.Millisecond)
	b.prog.add(skipped, 0)

	work := make(chan []*batchLine)
	var wg sync.WaitGroup
	for range min(max(b.opt.Concurrency, 1), len(todo)) {
		wg.Go(func() {
			for chain := range work {
				b.runChain(ctx, chain)
			}
		})
	}
	for _, p := range order {
		if todo[p] {
			work <- chains[p]
		}
	}
	close(work)
	wg.Wait()
	b.prog.finish()

	s := b.sum
	elapsed := time.Since(b.prog.start).Seconds()
	s.ElapsedS = math.Round(elapsed*1000) / 1000
	if elapsed > 0 {
		s.EventsPerS = math.Round(float64(s.Recorded+s.Already)/elapsed*10) / 10
	}
	if err := printJSON(e, s); err != nil {
		return err
	}
	switch {
	case s.Failed > 0:
		return fmt.Errorf("%d line%s failed (%s), %d pending; the receipts so far are in %s: fix the cause and run the same command again to continue",
			s.Failed, plural(s.Failed), lineList(s.FailedLines), s.Pending, b.opt.State)
	case ctx.Err() != nil && s.Pending > 0:
		return fmt.Errorf("interrupted with %d line%s pending; the receipts so far are in %s: run the same command again to continue", s.Pending, plural(s.Pending), b.opt.State)
	}
	return nil
}

// lineList is "line 5" or "lines 5, 9, 12" (at most 10 named).
func lineList(ns []int) string {
	var parts []string
	for i, n := range ns {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("… %d more", len(ns)-i))
			break
		}
		parts = append(parts, strconv.Itoa(n))
	}
	if len(ns) == 1 {
		return "line " + parts[0]
	}
	return "lines " + strings.Join(parts, ", ")
}

// chainPos is the position a chain's next event follows: the seq and payload hash of
// its last event.
type chainPos struct {
	known bool
	seq   uint64
	hash  events.Hash
}

// runChain submits one chain's lines in order until they are all in the log, one
// fails (the rest of the chain then stays pending) or ctx ends.
func (b *batchRun) runChain(ctx context.Context, chain []*batchLine) {
	var pos chainPos
	for i, l := range chain {
		if l.Receipt != nil {
			h, _ := events.ParseHash(l.Receipt.Hash)
			pos = chainPos{known: true, seq: l.Receipt.Seq, hash: h}
			continue
		}
		if ctx.Err() != nil {
			b.count(func(s *batchSummary) { s.Pending += 1 + unreceipted(chain[i+1:]) })
			return
		}
		rc, already, err := b.submitLine(ctx, l, &pos)
		if err != nil {
			rest := unreceipted(chain[i+1:])
			if ctx.Err() != nil {
				b.count(func(s *batchSummary) { s.Pending += rest + 1 })
				return
			}
			msg := fmt.Sprintf("line %d (%s): %v", l.N, l.Party, err)
			if rest > 0 {
				msg += fmt.Sprintf("\n  the %d later line%s of %s not submitted", rest, plural(rest), l.Party)
			}
			b.prog.printf("%s\n", msg)
			b.count(func(s *batchSummary) {
				s.Failed++
				s.Pending += rest
				s.FailedLines = insertSorted(s.FailedLines, l.N)
			})
			b.prog.add(1+rest, 0)
			return
		}
		l.Receipt = b.state.logReceipt(l.N, rc)
		pos = chainPos{known: true, seq: rc.Seq, hash: rc.Hash}
		b.count(func(s *batchSummary) {
			if already {
				s.Already++
			} else {
				s.Recorded++
			}
		})
		b.prog.add(1, 1)
	}
}

// unreceipted is the number of lines without a receipt: the lines left pending when
// their chain stops before them. It is counted only then, not before each line (a
// chain of n lines would cost n²).
func unreceipted(lines []*batchLine) int {
	n := 0
	for _, l := range lines {
		if l.Receipt == nil {
			n++
		}
	}
	return n
}

// insertSorted inserts n into the sorted list ns.
func insertSorted(ns []int, n int) []int {
	i := len(ns)
	for i > 0 && ns[i-1] > n {
		i--
	}
	return append(ns[:i], append([]int{n}, ns[i:]...)...)
}

// count updates the summary.
func (b *batchRun) count(f func(*batchSummary)) {
	b.mu.Lock()
	f(&b.sum)
	b.mu.Unlock()
}

// submitLine brings one line into the log and returns its receipt; already says the
// server had the event before this run submitted it. A body line without an envelope
// is signed at pos (read from the server's head when not known yet), recorded in the
// state, then submitted.
func (b *batchRun) submitLine(ctx context.Context, l *batchLine, pos *chainPos) (*ledger.Receipt, bool, error) {
	fresh := false // signed by this run: the server cannot have had it before
	if l.Envelope == nil {
		if !pos.known {
			p, err := b.headPos(ctx, l.Party, nil)
			if err != nil {
				return nil, false, err
			}
			*pos = p
		}
		if err := b.sign(l, "", pos.seq+1, pos.hash); err != nil {
			return nil, false, err
		}
		fresh = true
	}
	attempts := 0
	for {
		rc, recorded, err := b.c.Submit(ctx, l.Envelope)
		if err == nil {
			return rc, !recorded && !fresh, nil
		}
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		var pe *client.ProblemError
		if errors.As(err, &pe) && l.Body != nil && attempts < b.opt.Retries &&
			(pe.Code == httpapi.CodeConflict || pe.Code == string(ledger.CodeClockSkew)) {
			// Not recorded (the gate answers an identical recorded envelope with its
			// receipt first): sign again, keeping the event id.
			attempts++
			if err := b.resign(ctx, l, pe); err != nil {
				return nil, false, err
			}
			continue
		}
		if !b.backoff(ctx, &attempts, err) {
			return nil, false, err
		}
	}
}

// sign signs body line l as the event seq of its chain after prev, with the current
// time and event id id (a new one when ""), and records the envelope in the state
// before it may be submitted.
func (b *batchRun) sign(l *batchLine, id string, seq uint64, prev events.Hash) error {
	d := &events.Draft{ID: id, Party: l.Party, Seq: seq, Prev: prev, Type: b.opt.Type, Time: time.Now().UTC().Truncate(time.Second), Body: l.Body}
	payload, err := d.Marshal()
	if err != nil {
		return err
	}
	env := events.Sign(payload, b.signers...)
	if err := b.state.logEnvelope(l.N, env); err != nil {
		return err
	}
	l.Envelope = env
	return nil
}

// resign signs body line l again after the gate refused its envelope as not
// recorded: after a chain_conflict at the head the problem names (or the server's),
// after a clock_skew at the same place with the current time. The event id is kept.
func (b *batchRun) resign(ctx context.Context, l *batchLine, pe *client.ProblemError) error {
	e, err := events.ParseEntry(l.Envelope)
	if err != nil {
		return err
	}
	seq, prev := e.Payload.Seq, events.Hash{}
	if e.Payload.Prev != "" {
		prev, _ = events.ParseHash(e.Payload.Prev)
	}
	if pe.Code == httpapi.CodeConflict {
		pos, err := b.headPos(ctx, l.Party, pe.Head)
		if err != nil {
			return err
		}
		seq, prev = pos.seq+1, pos.hash
	}
	return b.sign(l, e.Payload.ID, seq, prev)
}

// headPos is the position after head, or when head is nil after party's head as the
// server says now.
func (b *batchRun) headPos(ctx context.Context, party string, head *ledger.Head) (chainPos, error) {
	if head == nil {
		var h ledger.Head
		if err := b.retry(ctx, func() (err error) { h, err = b.c.Head(ctx, party); return err }); err != nil {
			return chainPos{}, fmt.Errorf("read the chain head: %w", err)
		}
		head = &h
	}
	return afterHead(*head)
}

// afterHead is the position a chain's next event follows, given its head.
func afterHead(head ledger.Head) (chainPos, error) {
	pos := chainPos{known: true, seq: head.Seq}
	if head.Seq > 0 {
		var err error
		if pos.hash, err = events.ParseHash(head.Hash); err != nil {
			return chainPos{}, fmt.Errorf("server head: %w", err)
		}
	}
	return pos, nil
}

// retry runs op until it succeeds, fails for good (backoff) or ctx ends.
func (b *batchRun) retry(ctx context.Context, op func() error) error {
	attempts := 0
	for {
		err := op()
		if err == nil || ctx.Err() != nil || !b.backoff(ctx, &attempts, err) {
			return err
		}
	}
}

// backoff decides whether a failed request is worth another try and waits before it.
// A 429 waits its Retry-After (1 s when absent) and is not counted; a 5xx or a
// transport error waits 100 ms, 200 ms, 400 ms … (at most 5 s, or the Retry-After)
// and counts against --retries. Anything else — a finding, a 4xx — is final.
func (b *batchRun) backoff(ctx context.Context, attempts *int, err error) bool {
	var pe *client.ProblemError
	wait := time.Duration(0)
	switch {
	case errors.As(err, &pe) && pe.Status == http.StatusTooManyRequests:
		wait = max(pe.RetryAfter, time.Second)
	case errors.As(err, &pe) && pe.Status < 500:
		return false
	default: // a 5xx, or no answer
		if *attempts >= b.opt.Retries {
			return false
		}
		wait = min(100*time.Millisecond<<*attempts, 5*time.Second)
		if pe != nil && pe.RetryAfter > 0 {
			wait = pe.RetryAfter
		}
		*attempts++
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(wait):
		return true
	}
}
