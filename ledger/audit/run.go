package audit

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/proof"
)

// DefaultMaxFindings is how many findings a report lists unless Options.MaxFindings
// says otherwise; the rest are counted in Report.FindingsOmitted.
const DefaultMaxFindings = 100_000

// Observer is called by Run for every entry, sequentially and in log order, after the
// entry was applied: e is nil when the entry did not parse, f is nil when the entry is
// valid, and reg is the replay state after the entry. e and reg are valid only during
// the call and must not be modified. An error stops Run, which returns it wrapped in an
// *ObserverError.
type Observer func(index uint64, e *events.Entry, f *events.Finding, reg *events.Registry) error

// Options configures Run. The zero value audits with the genesis's log key (and says
// so), keeps no state, and uses every core.
type Options struct {
	// LogKey is the log's note verifier key string (keys/log.pub:
	// "<origin>+<hex key hash>+<base64>"). Empty: trust the key the genesis names.
	LogKey string
	// WitnessPolicy, when it has keys, makes the audit require witnesses: the
	// checkpoint must also carry valid cosignatures by at least its quorum of the
	// witness keys (docs/SPEC.md §10), else a checkpoint_witnesses finding; and a
	// WitnessedSource (NATS) is asked for its witnessed checkpoint. The zero value
	// requires none, and the report says so.
	WitnessPolicy WitnessPolicy
	// Checkpoint, when set, is the signed checkpoint to verify against instead of the
	// source's latest (one kept from a receipt, or for NATS without a node answering).
	Checkpoint []byte
	// State is a file remembering the last verified checkpoint (see docs/AUDIT.md). On
	// the next run the log must extend it. Empty: no state.
	State string
	// Observer, when set, sees every entry (for recomputing projections).
	Observer Observer
	// Workers is the number of goroutines parsing and verifying; default GOMAXPROCS.
	Workers int
	// MaxFindings bounds the findings listed; default DefaultMaxFindings, negative for
	// no limit. Findings beyond it are counted, and still make the audit fail.
	MaxFindings int
	// Progress, when set, is called about four times a second with the number of
	// entries applied so far, from Run's goroutine.
	Progress func(entries uint64)
}

// ObserverError is returned by Run when Options.Observer failed at Index.
type ObserverError struct {
	Index uint64
	Err   error
}

// Error returns "audit: observer at index N: cause".
func (e *ObserverError) Error() string {
	return fmt.Sprintf("audit: observer at index %d: %v", e.Index, e.Err)
}

// Unwrap returns the observer's error.
func (e *ObserverError) Unwrap() error { return e.Err }

// Run audits src: it streams every entry through the parallel pipeline (see the
// package doc), applies the replay rules, recomputes the RFC 6962 root, verifies the
// checkpoint (Options.Checkpoint, else src.Checkpoint) with the log key, checks it
// against the recomputed root at its size, and, with Options.State, checks the log
// against the remembered checkpoint and remembers the new one when nothing is wrong
// with the log as a whole (rejected entries do not prevent that: they are findings
// about entries, and stay in the log forever).
//
// With Options.WitnessPolicy it also checks the checkpoint's witness cosignatures
// (witness.Policy.Check) once its log signature verified.
//
// Run returns a report whenever it could read the log, whatever it found: read
// Report.OK and Report.Findings. Errors: a bad Options.LogKey, a bad witness key or
// quorum in Options.WitnessPolicy, an unreadable or
// inconsistent state file, failing to write it, ctx.Err(), or an *ObserverError — with a
// nil report; and a *SourceError when the source failed part-way — with the report of
// what was read, which lists an entry_unreadable finding at that index.
//
// Run is safe to call concurrently on different sources; it uses Options.Workers + 2
// goroutines and memory bounded by a few batches of entries plus the replay state
// (the events.Registry: about 70 to 140 bytes per event, as its maps fill and grow).
func Run(ctx context.Context, src Source, opts Options) (*Report, error) {
	started := time.Now()
	a := &auditor{
		opts:    opts,
		reg:     events.NewRegistry(),
		parties: map[string]*Count{},
		types:   map[string]*Count{},
		rep:     &Report{Source: src.String(), Findings: []Finding{}, Parties: []Count{}, Types: []Count{}},
	}
	if a.opts.MaxFindings == 0 {
		a.opts.MaxFindings = DefaultMaxFindings
	}
	if opts.LogKey != "" {
		v, err := proof.ParseVerifierKey(opts.LogKey)
		if err != nil {
			return nil, fmt.Errorf("audit: log key: %w", err)
		}
		a.verifier = v
	}
	wr, err := opts.WitnessPolicy.report()
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	a.rep.Witnesses = wr
	var st *State
	if opts.State != "" {
		if st, err = LoadState(opts.State); err != nil {
			return nil, err
		}
		a.rep.State = &StateReport{File: opts.State}
		if st != nil {
			a.rep.State.Previous = &CheckpointReport{Origin: st.Origin, Size: st.Size, Root: b64(st.Root), Note: st.Note}
			a.stMark = mark{size: st.Size, on: true}
		}
	}

	cpNote, cpErr := opts.Checkpoint, error(nil)
	if ws, ok := src.(WitnessedSource); ok && cpNote == nil && a.rep.Witnesses != nil {
		cpNote, cpErr = ws.WitnessedCheckpoint(ctx)
	} else if cpNote == nil {
		cpNote, cpErr = src.Checkpoint(ctx)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var peeked *proof.Checkpoint
	if cpErr == nil {
		if c, err := proof.PeekCheckpoint(cpNote); err == nil {
			peeked = &c
			a.cpMark = mark{size: c.Size, on: true}
		}
	}

	a.stamp() // marks at size 0
	srcErr := a.stream(ctx, src)
	var se *SourceError
	switch {
	case srcErr == nil:
	case errors.As(srcErr, &se):
		a.logFinding(Finding{Index: ptr(se.Index), Code: CodeEntryUnreadable, Reason: se.Err.Error()})
	case ctx.Err() != nil:
		return nil, ctx.Err()
	default:
		return nil, srcErr
	}

	a.finishCounts()
	a.checkLogKey()
	verified := a.checkCheckpoint(cpNote, cpErr, peeked)
	if st != nil {
		a.checkState(ctx, src, st, verified)
	}
	a.rep.OK = len(a.rep.Findings) == 0 && a.rep.FindingsOmitted == 0
	if opts.State != "" && verified != nil && !a.logProblem && (st == nil || verified.Size >= st.Size) {
		ns := &State{Origin: verified.Origin, Size: verified.Size, Root: verified.Root, Note: string(cpNote)}
		if err := ns.Save(opts.State); err != nil {
			return nil, err
		}
		a.rep.State.Updated = true
	}
	a.rep.Seconds = time.Since(started).Seconds()
	if se != nil {
		return a.rep, srcErr
	}
	return a.rep, nil
}

// mark asks for the root at one tree size.
type mark struct {
	size uint64
	on   bool // the size is wanted
	set  bool // root holds the root at size
	root [32]byte
}

// auditor is the state of one Run. The pipeline's workers touch only batches and
// keys; everything else belongs to Run's goroutine.
type auditor struct {
	opts     Options
	reg      *events.Registry
	rb       proof.RootBuilder
	keys     sync.Map // key id → ed25519.PublicKey (self-certifying)
	verifier note.Verifier
	rep      *Report
	parties  map[string]*Count
	types    map[string]*Count
	cpMark   mark
	stMark   mark
	// logProblem is set by a finding about the log as a whole (not an entry's rules).
	logProblem bool
	lastProg   time.Time
}

// Batching: entries travel through the pipeline in batches, recycled through a free
// list, so that memory is bounded and the per-entry channel cost is amortised.
const (
	batchEntries = 128
	batchBytes   = 256 << 10
)

type batch struct {
	start uint64
	n     int
	slab  []byte // the entries' bytes, back to back
	ends  []int  // ends[i] is the end of entry i in slab
	res   [batchEntries]result
	done  chan struct{}
}

type result struct {
	entry   *events.Entry
	finding *events.Finding
	leaf    [32]byte
}

func (b *batch) raw(i int) []byte {
	from := 0
	if i > 0 {
		from = b.ends[i-1]
	}
	return b.slab[from:b.ends[i]:b.ends[i]]
}

// stream runs the pipeline: reader → workers → in-order apply.
func (a *auditor) stream(ctx context.Context, src Source) error {
	workers := a.opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	nb := 2*workers + 2
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	free := make(chan *batch, nb)
	for range nb {
		free <- &batch{slab: make([]byte, 0, batchBytes+64<<10), ends: make([]int, 0, batchEntries), done: make(chan struct{}, 1)}
	}
	work := make(chan *batch, nb)
	ordered := make(chan *batch, nb)

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				a.parse(b)
				b.done <- struct{}{}
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(ordered)
		defer close(work)
		var cur *batch
		err := src.Entries(ctx, 0, func(index uint64, entry []byte) error {
			if cur == nil {
				select {
				case cur = <-free:
				case <-ctx.Done():
					return ctx.Err()
				}
				cur.start, cur.n, cur.slab, cur.ends = index, 0, cur.slab[:0], cur.ends[:0]
			}
			if want := cur.start + uint64(cur.n); index != want {
				return &SourceError{Source: src.String(), Index: want, Err: fmt.Errorf("source delivered index %d, want %d", index, want)}
			}
			cur.slab = append(cur.slab, entry...)
			cur.ends = append(cur.ends, len(cur.slab))
			cur.n++
			if cur.n == batchEntries || len(cur.slab) >= batchBytes {
				work <- cur
				ordered <- cur
				cur = nil
			}
			return nil
		})
		if cur != nil {
			work <- cur
			ordered <- cur
		}
		readErr <- err
	}()

	var applyErr error
	for b := range ordered {
		<-b.done
		if applyErr == nil {
			if applyErr = a.apply(b); applyErr != nil {
				cancel()
			}
		}
		free <- b
	}
	wg.Wait()
	err := <-readErr
	if applyErr != nil {
		return applyErr
	}
	return err
}

// parse is the parallel stage: leaf hash, parse, key directory, signature pre-check.
func (a *auditor) parse(b *batch) {
	for i := 0; i < b.n; i++ {
		raw := b.raw(i)
		r := &b.res[i]
		r.leaf = proof.LeafHash(raw)
		e, err := events.ParseEntry(raw)
		if err != nil {
			r.entry, r.finding = nil, asFinding(err)
			continue
		}
		for _, k := range e.IntroducedKeys() {
			if _, ok := a.keys.Load(k.KeyID); ok {
				continue
			}
			if pub, err := k.Decode(); err == nil {
				a.keys.Store(k.KeyID, pub)
			}
		}
		e.PreVerify(a.lookupKey)
		r.entry, r.finding = e, nil
	}
}

func (a *auditor) lookupKey(id string) (ed25519.PublicKey, bool) {
	v, ok := a.keys.Load(id)
	if !ok {
		return nil, false
	}
	return v.(ed25519.PublicKey), true
}

func asFinding(err error) *events.Finding {
	var f *events.Finding
	if errors.As(err, &f) {
		return f
	}
	return &events.Finding{Code: events.CodeMalformedEnvelope, Reason: err.Error()}
}

// apply is the sequential stage: replay rules, tree, counts, observer.
func (a *auditor) apply(b *batch) error {
	for i := 0; i < b.n; i++ {
		index := b.start + uint64(i)
		r := &b.res[i]
		e, f := r.entry, r.finding
		if e == nil {
			a.reg.Skip()
		} else {
			f = a.reg.Apply(e)
		}
		a.rb.Append(r.leaf)
		a.stamp()
		a.count(index, e, f)
		if a.opts.Observer != nil {
			if err := a.opts.Observer(index, e, f, a.reg); err != nil {
				return &ObserverError{Index: index, Err: err}
			}
		}
		r.entry, r.finding = nil, nil
	}
	if a.opts.Progress != nil {
		if now := time.Now(); now.Sub(a.lastProg) >= 250*time.Millisecond {
			a.lastProg = now
			a.opts.Progress(a.rep.Entries)
		}
	}
	return nil
}

// stamp records the root when the tree reaches a marked size.
func (a *auditor) stamp() {
	size := a.rb.Size()
	for _, m := range []*mark{&a.cpMark, &a.stMark} {
		if m.on && !m.set && m.size == size {
			m.root, m.set = a.rb.Root(), true
		}
	}
}

// maxNames bounds the distinct parties and types counted (a hostile log could carry
// millions of bogus party ids in rejected entries); the rest count under "(other)".
const maxNames = 100_000

func (a *auditor) count(index uint64, e *events.Entry, f *events.Finding) {
	a.rep.Entries++
	if f == nil {
		a.rep.Valid++
	} else {
		a.rep.Rejected++
	}
	if e == nil {
		a.rep.Unparsed++
		a.entryFinding(index, nil, f)
		return
	}
	for _, c := range []*Count{name(a.parties, e.Payload.Party), name(a.types, e.Payload.Type)} {
		c.Entries++
		if f == nil {
			c.Valid++
		} else {
			c.Rejected++
		}
	}
	if f != nil {
		a.entryFinding(index, e, f)
	}
}

func name(m map[string]*Count, n string) *Count {
	c := m[n]
	if c == nil {
		if len(m) >= maxNames {
			n = "(other)"
			if c = m[n]; c != nil {
				return c
			}
		}
		c = &Count{Name: n}
		m[n] = c
	}
	return c
}

func (a *auditor) entryFinding(index uint64, e *events.Entry, f *events.Finding) {
	fd := Finding{Index: ptr(index), Code: f.Code, Reason: f.Reason, Fields: f.Fields}
	if e != nil {
		p := e.Payload
		fd.Party, fd.Seq, fd.ID, fd.Type = p.Party, p.Seq, p.ID, p.Type
	}
	a.add(fd)
}

// logFinding records a finding about the log as a whole.
func (a *auditor) logFinding(f Finding) {
	a.logProblem = true
	a.add(f)
}

func (a *auditor) add(f Finding) {
	if a.opts.MaxFindings > 0 && len(a.rep.Findings) >= a.opts.MaxFindings {
		a.rep.FindingsOmitted++
		return
	}
	a.rep.Findings = append(a.rep.Findings, f)
}

func (a *auditor) finishCounts() {
	for _, m := range []struct {
		src map[string]*Count
		dst *[]Count
	}{{a.parties, &a.rep.Parties}, {a.types, &a.rep.Types}} {
		for _, c := range m.src {
			*m.dst = append(*m.dst, *c)
		}
		slices.SortFunc(*m.dst, func(x, y Count) int { return strings.Compare(x.Name, y.Name) })
	}
	a.rep.Root = b64(a.rb.Root())
}

// Trust statements of the report.
const (
	trustOption  = "given by the auditor: the checkpoint is verified against this key"
	trustGenesis = "NOT given (--log-key): taken from the log's own genesis entry (index 0). " +
		"This shows the log is consistent with itself, not that it is the log its operator published: " +
		"get the operator's key (keys/log.pub) out of band and pass it"
	trustNone = "none: no key was given and the log has no valid genesis naming one, so the checkpoint could not be verified"
)

// checkLogKey settles which key verifies the checkpoint.
func (a *auditor) checkLogKey() {
	g := a.reg.Genesis()
	lk := &a.rep.LogKey
	if a.verifier != nil {
		lk.Key, lk.From, lk.Statement = a.opts.LogKey, "option", trustOption
		if g != nil && strings.TrimSpace(g.LogKey) != strings.TrimSpace(a.opts.LogKey) {
			a.logFinding(Finding{Code: CodeLogKeyMismatch, Reason: fmt.Sprintf("the genesis names log key %s, not the given %s", g.LogKey, strings.TrimSpace(a.opts.LogKey))})
		}
		return
	}
	if g == nil {
		lk.Statement = trustNone
		a.logFinding(Finding{Code: CodeLogKeyMissing, Reason: "no log key was given and the log has no valid genesis entry to take it from"})
		return
	}
	v, err := proof.ParseVerifierKey(g.LogKey)
	if err != nil {
		lk.Statement = trustNone
		a.logFinding(Finding{Code: CodeLogKeyMissing, Reason: fmt.Sprintf("no log key was given and the genesis's log_key does not parse: %v", err)})
		return
	}
	a.verifier = v
	lk.Key, lk.From, lk.Statement = g.LogKey, "genesis", trustGenesis
}

// checkCheckpoint verifies the checkpoint and compares it with the entries. It returns
// the checkpoint when its signature verified.
func (a *auditor) checkCheckpoint(cpNote []byte, cpErr error, peeked *proof.Checkpoint) *proof.Checkpoint {
	if cpErr != nil {
		a.logFinding(Finding{Code: CodeCheckpointMissing, Reason: cpErr.Error()})
		return nil
	}
	cr := &CheckpointReport{Note: string(cpNote)}
	a.rep.Checkpoint = cr
	var verified *proof.Checkpoint
	if a.verifier != nil {
		c, err := proof.OpenCheckpoint(cpNote, a.verifier)
		switch {
		case err == nil:
			verified, cr.SignatureOK = &c, true
			a.checkWitnesses(cpNote)
		case errors.Is(err, proof.ErrUnknownKey):
			a.logFinding(Finding{Code: CodeCheckpointUnknownKey, Reason: err.Error()})
		case errors.Is(err, proof.ErrBadSignature):
			a.logFinding(Finding{Code: CodeCheckpointSignature, Reason: err.Error()})
		default:
			a.logFinding(Finding{Code: CodeCheckpointMalformed, Reason: err.Error()})
		}
	}
	c := peeked
	if c == nil {
		// Not even a well-formed checkpoint. With a key, OpenCheckpoint said so.
		if a.verifier == nil {
			_, err := proof.PeekCheckpoint(cpNote)
			a.logFinding(Finding{Code: CodeCheckpointMalformed, Reason: err.Error()})
		}
		return nil
	}
	cr.Origin, cr.Size, cr.Root = c.Origin, c.Size, b64(c.Root)
	switch {
	case c.Size > a.rep.Entries:
		a.logFinding(Finding{Code: CodeCheckpointBeyondLog, Reason: fmt.Sprintf(
			"the checkpoint covers %d entries but the source delivered %d: entries %d to %d are missing",
			c.Size, a.rep.Entries, a.rep.Entries, c.Size-1)})
	case !a.cpMark.set:
		// Unreachable: the mark is set whenever the size was reached.
		a.logFinding(Finding{Code: CodeCheckpointRootMismatch, Reason: "internal: no root recorded at the checkpoint's size"})
	case a.cpMark.root != c.Root:
		a.logFinding(Finding{Code: CodeCheckpointRootMismatch, Reason: fmt.Sprintf(
			"the first %d entries hash to root %s, the checkpoint says %s: an entry was changed, removed, inserted or reordered",
			c.Size, b64(a.cpMark.root), b64(c.Root))})
	default:
		cr.RootOK = true
	}
	return verified
}

// checkState checks the log against the remembered checkpoint st and the new verified
// checkpoint cp (nil if it did not verify).
func (a *auditor) checkState(ctx context.Context, src Source, st *State, cp *proof.Checkpoint) {
	sr := a.rep.State
	if a.verifier != nil {
		if _, err := proof.OpenCheckpoint([]byte(st.Note), a.verifier); err != nil {
			a.logFinding(Finding{Code: CodeStateInconsistent, Reason: fmt.Sprintf("the remembered checkpoint (size %d) does not verify under the log key: %v", st.Size, err)})
		} else {
			sr.Previous.SignatureOK = true
		}
	}
	switch {
	case a.rep.Entries < st.Size:
		a.logFinding(Finding{Code: CodeStateInconsistent, Reason: fmt.Sprintf(
			"the log has %d entries, fewer than the %d of the remembered checkpoint: history was truncated", a.rep.Entries, st.Size)})
	case a.stMark.set && a.stMark.root != st.Root:
		a.logFinding(Finding{Code: CodeStateInconsistent, Reason: fmt.Sprintf(
			"the first %d entries now hash to root %s, the remembered checkpoint says %s: history was rewritten or forked",
			st.Size, b64(a.stMark.root), b64(st.Root))})
	default:
		sr.Previous.RootOK = true
	}
	if cp == nil {
		return
	}
	if cp.Size == st.Size && cp.Root != st.Root {
		a.logFinding(Finding{Code: CodeSplitView, Reason: fmt.Sprintf(
			"two checkpoints signed by the log key for size %d: root %s (remembered) and %s (now)", cp.Size, b64(st.Root), b64(cp.Root))})
		return
	}
	prover, ok := src.(ConsistencyProver)
	if !ok || cp.Size == st.Size || st.Size == 0 {
		if !ok && cp.Size != st.Size {
			sr.Consistency = "not served by this source (the recomputed roots were compared instead)"
		}
		return
	}
	from, to, fromRoot, toRoot := st.Size, cp.Size, st.Root, cp.Root
	if cp.Size < st.Size {
		from, to, fromRoot, toRoot = cp.Size, st.Size, cp.Root, st.Root
	}
	hashes, err := prover.ConsistencyProof(ctx, from, to)
	if err == nil {
		err = proof.VerifyConsistency(from, to, fromRoot, toRoot, hashes)
	}
	if err != nil {
		sr.Consistency = "failed"
		a.logFinding(Finding{Code: CodeStateInconsistent, Reason: fmt.Sprintf(
			"consistency proof from size %d to %d: %v", from, to, err)})
		return
	}
	sr.Consistency = fmt.Sprintf("verified from size %d to %d", from, to)
}

func b64(h [32]byte) string { return base64.StdEncoding.EncodeToString(h[:]) }

func ptr[T any](v T) *T { return &v }
