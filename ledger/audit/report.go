package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/climateledger/climateledger/events"
)

// The audit's own finding codes, for the log as a whole rather than one entry's replay
// rules. Like the events codes they are stable: never renamed (docs/AUDIT.md).
const (
	// CodeEntryUnreadable: the source failed to deliver the entry at Index (a sequence
	// missing from the stream, a truncated or over-long export line, a server error).
	// Nothing after it was audited.
	CodeEntryUnreadable events.Code = "entry_unreadable"
	// CodeCheckpointMissing: no checkpoint could be obtained, so the entries were not
	// compared with anything the operator signed.
	CodeCheckpointMissing events.Code = "checkpoint_missing"
	// CodeCheckpointMalformed: the checkpoint is not a C2SP signed checkpoint, or its
	// origin is not the log key's name.
	CodeCheckpointMalformed events.Code = "checkpoint_malformed"
	// CodeCheckpointSignature: the checkpoint carries a signature line for the log key
	// that does not verify (text or signature altered).
	CodeCheckpointSignature events.Code = "checkpoint_signature"
	// CodeCheckpointUnknownKey: the checkpoint is not signed by the log key (it may be
	// signed by another key, even one with the same name).
	CodeCheckpointUnknownKey events.Code = "checkpoint_unknown_key"
	// CodeCheckpointRootMismatch: the root recomputed from the first Size entries is not
	// the checkpoint's root: an entry was changed, removed, inserted or reordered.
	CodeCheckpointRootMismatch events.Code = "checkpoint_root_mismatch"
	// CodeCheckpointBeyondLog: the checkpoint covers more entries than the source
	// delivered: entries were dropped (or the log was truncated).
	CodeCheckpointBeyondLog events.Code = "checkpoint_beyond_log"
	// CodeLogKeyMissing: no log key was given and no valid genesis names one, so the
	// checkpoint could not be verified.
	CodeLogKeyMissing events.Code = "log_key_missing"
	// CodeLogKeyMismatch: the genesis names a different log key than the one given.
	CodeLogKeyMismatch events.Code = "log_key_mismatch"
	// CodeStateInconsistent: the log is not an extension of the remembered checkpoint
	// (Options.State): the first Size entries no longer hash to the remembered root,
	// the log is shorter, the server's consistency proof fails, or the remembered
	// checkpoint no longer verifies under the log key.
	CodeStateInconsistent events.Code = "state_inconsistent"
	// CodeSplitView: two checkpoints signed by the log key for the same tree size carry
	// different roots: the operator showed different logs to different viewers.
	CodeSplitView events.Code = "split_view"
	// CodeCheckpointWitnesses: the checkpoint, validly signed by the log key, does not
	// satisfy the witness policy (Options.WitnessPolicy): fewer than the quorum of the
	// given witnesses cosigned it validly, or a cosignature line by one of them does not
	// verify. The reason names who cosigned (and when) and who is missing.
	CodeCheckpointWitnesses events.Code = "checkpoint_witnesses"
	// CodeProjectionsMismatch: with --check-state, the server's state digest (GET
	// /v1/state) differs from the one recomputed from the audited entries at the same
	// index: its read models do not follow from its log.
	CodeProjectionsMismatch events.Code = "projections_mismatch"
	// CodeProjectionsNotCompared: with --check-state, the comparison could not be made:
	// the server's state is at another index than the audit reached (the log grew
	// meanwhile: audit again when it is quiet), or its state could not be fetched.
	CodeProjectionsNotCompared events.Code = "projections_not_compared"
)

// Codes lists the audit's own codes, in the order of docs/AUDIT.md. Entry findings use
// events.Codes.
var Codes = []events.Code{
	CodeEntryUnreadable, CodeCheckpointMissing, CodeCheckpointMalformed,
	CodeCheckpointSignature, CodeCheckpointUnknownKey, CodeCheckpointRootMismatch,
	CodeCheckpointBeyondLog, CodeLogKeyMissing, CodeLogKeyMismatch,
	CodeStateInconsistent, CodeSplitView, CodeCheckpointWitnesses,
	CodeProjectionsMismatch, CodeProjectionsNotCompared,
}

// Finding is one problem the audit found. Entry findings (an events code, or
// entry_unreadable) carry the entry's Index and, when the entry parsed, its party, seq,
// id and type; log findings (checkpoint, key, state) have a nil Index.
type Finding struct {
	// Index is the entry's position in the log; nil for a finding about the log.
	Index *uint64     `json:"index"`
	Party string      `json:"party,omitempty"`
	Seq   uint64      `json:"seq,omitempty"`
	ID    string      `json:"id,omitempty"`
	Type  string      `json:"type,omitempty"`
	Code  events.Code `json:"code"`
	// Reason says what is wrong, with the data (hashes, sizes, keys).
	Reason string `json:"reason"`
	// Fields lists field-level problems for invalid_body and malformed_payload.
	Fields []events.FieldError `json:"errors,omitempty"`
}

// String formats the finding on one line: "index 7 party us-ca seq 3 id … code: reason",
// or "log code: reason".
func (f Finding) String() string {
	var b strings.Builder
	if f.Index == nil {
		b.WriteString("log")
	} else {
		fmt.Fprintf(&b, "index %d", *f.Index)
		if f.Party != "" {
			fmt.Fprintf(&b, " party %s seq %d id %s type %s", f.Party, f.Seq, f.ID, f.Type)
		}
	}
	fmt.Fprintf(&b, " %s: %s", f.Code, f.Reason)
	return b.String()
}

// Count is the number of entries of one party or one type.
type Count struct {
	// Name is the party id or the event type.
	Name     string `json:"name"`
	Entries  uint64 `json:"entries"`
	Valid    uint64 `json:"valid"`
	Rejected uint64 `json:"rejected"`
}

// LogKeyReport says which log key the checkpoint was verified with and why it is
// trusted.
type LogKeyReport struct {
	// Key is the note verifier key string; "" when there was none.
	Key string `json:"key"`
	// From is "option" (given by the auditor), "genesis" (taken from the log's own
	// genesis entry) or "" (none).
	From string `json:"from"`
	// Statement is the trust statement printed in the report.
	Statement string `json:"statement"`
}

// CheckpointReport is the checkpoint the entries were compared with.
type CheckpointReport struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	// Root is the checkpoint's root, standard base64.
	Root string `json:"root"`
	// SignatureOK: the note verified under the log key.
	SignatureOK bool `json:"signature_ok"`
	// RootOK: the root recomputed from the first Size entries equals Root.
	RootOK bool `json:"root_ok"`
	// Note is the signed checkpoint, verbatim.
	Note string `json:"note"`
}

// StateReport describes the check against the remembered checkpoint (Options.State).
type StateReport struct {
	File string `json:"file"`
	// Previous is the remembered checkpoint, nil on the first run. Its SignatureOK says
	// it still verifies under the log key; its RootOK that the log's first Size entries
	// still hash to its root.
	Previous *CheckpointReport `json:"previous"`
	// Consistency is "verified" when the source's consistency proof from the remembered
	// checkpoint to the new one verified, "not served" when the source cannot serve
	// proofs, "failed", or "" when none was needed.
	Consistency string `json:"consistency"`
	// Updated: the file now remembers the new checkpoint.
	Updated bool `json:"updated"`
}

// ProjectionsReport compares a server's state digest (GET /v1/state) with the one
// recomputed from the audited entries (docs/PROJECTIONS.md §5).
type ProjectionsReport struct {
	// Server is the URL whose state was compared.
	Server string `json:"server"`
	// Index, Digest and Rows are recomputed from the audited entries.
	Index  uint64 `json:"index"`
	Digest string `json:"digest"`
	Rows   int    `json:"rows"`
	// ServerIndex and ServerDigest are the server's; empty when it could not be read.
	ServerIndex  uint64 `json:"server_index"`
	ServerDigest string `json:"server_digest"`
	// OK: the same digest at the same index.
	OK bool `json:"ok"`
	// Problem says what went wrong when not OK.
	Problem string `json:"problem,omitempty"`
}

// SetProjections records the --check-state comparison p; when it is not OK the
// report gets a log finding (projections_mismatch, or projections_not_compared when
// the two could not be compared) and is no longer OK.
func (r *Report) SetProjections(p *ProjectionsReport, compared bool) {
	r.Projections = p
	if p.OK {
		return
	}
	code := CodeProjectionsMismatch
	if !compared {
		code = CodeProjectionsNotCompared
	}
	r.Findings = append(r.Findings, Finding{Code: code, Reason: p.Problem})
	r.OK = false
}

// Report is the result of [Run]. Its JSON field names are stable (docs/AUDIT.md).
type Report struct {
	// Source describes what was audited ("export /srv/x", "server https://…", "nats …").
	Source string `json:"source"`
	// OK is true when there is no finding: every entry is valid and the checkpoint (and
	// the state, if any) verified.
	OK     bool         `json:"ok"`
	LogKey LogKeyReport `json:"log_key"`
	// Witnesses is the witness policy applied and who cosigned; nil when no witness was
	// required (Options.WitnessPolicy has no keys).
	Witnesses *WitnessesReport `json:"witnesses"`
	// Checkpoint is nil when none was obtained.
	Checkpoint *CheckpointReport `json:"checkpoint"`
	// Entries is the number of entries read; Valid + Rejected = Entries. Unparsed counts
	// the rejected entries that did not even parse (they have no party or type).
	Entries  uint64 `json:"entries"`
	Valid    uint64 `json:"valid"`
	Rejected uint64 `json:"rejected"`
	Unparsed uint64 `json:"unparsed"`
	// Root is the RFC 6962 root of all Entries entries, standard base64.
	Root string `json:"root"`
	// Parties and Types count the parsed entries, sorted by name.
	Parties []Count `json:"parties"`
	Types   []Count `json:"types"`
	// State is nil unless Options.State was set.
	State *StateReport `json:"state"`
	// Projections is the comparison of the server's read models with the log
	// (audit --check-state); nil when none was asked for. Set it with
	// SetProjections.
	Projections *ProjectionsReport `json:"projections,omitempty"`
	// Findings lists every problem: entries in log order, then log findings.
	Findings []Finding `json:"findings"`
	// FindingsOmitted counts findings beyond Options.MaxFindings, counted but not
	// listed.
	FindingsOmitted uint64 `json:"findings_omitted"`
	// Seconds is how long the audit took.
	Seconds float64 `json:"seconds"`
}

// Has reports whether the report holds a finding with code c.
func (r *Report) Has(c events.Code) bool {
	for _, f := range r.Findings {
		if f.Code == c {
			return true
		}
	}
	return false
}

// WriteJSON writes the report as one indented JSON document and a newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for people: source, what is trusted (the log key and the
// witness keys), checkpoint and its cosignatures, counts
// per party and per type, every finding, and the result line ("RESULT: OK" or
// "RESULT: FAILED (n findings)").
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("audit of %s\n", r.Source)
	ew.printf("log key: %s\n  %s\n", orNone(r.LogKey.Key), r.LogKey.Statement)
	if w := r.Witnesses; w != nil {
		ew.printf("witnesses: %d of %d required\n", w.Quorum, len(w.Keys))
		for _, k := range w.Keys {
			ew.printf("  %s\n", k)
		}
		ew.printf("  %s\n", w.Statement)
	} else {
		ew.printf("witnesses: none required (no --witness given): the checkpoint is trusted on the log key alone, " +
			"so a log that shows you another view than everyone else (a split view) is not detected by this run\n")
	}
	if c := r.Checkpoint; c != nil {
		ew.printf("checkpoint: %s, size %d, root %s\n  signature %s, root %s\n", c.Origin, c.Size, c.Root,
			okWord(c.SignatureOK, "verified", "NOT verified"), okWord(c.RootOK, "matches the entries", "NOT matched"))
		if w := r.Witnesses; w != nil {
			switch {
			case !c.SignatureOK:
				ew.printf("  witnesses NOT checked: the log signature did not verify\n")
			case w.OK:
				ew.printf("  witnesses verified: %s\n", CosignedSummary(w.Cosigned, w.Missing, w.Quorum))
			default:
				ew.printf("  witnesses NOT satisfied: %s\n", w.Problem)
			}
		}
	} else {
		ew.printf("checkpoint: none\n")
	}
	if s := r.State; s != nil {
		ew.printf("state: %s\n", s.File)
		if p := s.Previous; p != nil {
			ew.printf("  remembered checkpoint: size %d, root %s\n", p.Size, p.Root)
		} else {
			ew.printf("  no remembered checkpoint (first run)\n")
		}
		if s.Consistency != "" {
			ew.printf("  consistency proof: %s\n", s.Consistency)
		}
		ew.printf("  %s\n", okWord(s.Updated, "updated to the new checkpoint", "not updated"))
	}
	if p := r.Projections; p != nil {
		ew.printf("projections: recomputed from the entries, index %d, state digest %s (%d rows)\n", p.Index, p.Digest, p.Rows)
		if p.OK {
			ew.printf("  the same as %s/v1/state\n", p.Server)
		} else {
			ew.printf("  NOT the same as %s/v1/state: %s\n", p.Server, p.Problem)
		}
	}
	ew.printf("entries: %d read, %d valid, %d rejected (%d unparsed); root %s\n", r.Entries, r.Valid, r.Rejected, r.Unparsed, r.Root)
	for _, t := range []struct {
		title string
		list  []Count
	}{{"party", r.Parties}, {"type", r.Types}} {
		if len(t.list) == 0 {
			continue
		}
		ew.printf("\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\tentries\tvalid\trejected\t\n", t.title)
		for _, c := range t.list {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", c.Name, c.Entries, c.Valid, c.Rejected)
		}
		tw.Flush()
	}
	if n := uint64(len(r.Findings)) + r.FindingsOmitted; n > 0 {
		ew.printf("\nfindings (%d):\n", n)
		for _, f := range r.Findings {
			ew.printf("  %s\n", f)
			for _, fe := range f.Fields {
				ew.printf("      %s: %s\n", fe.Path, fe.Message)
			}
		}
		if r.FindingsOmitted > 0 {
			ew.printf("  … and %d more (raise the limit to list them)\n", r.FindingsOmitted)
		}
	}
	if r.OK {
		ew.printf("\nRESULT: OK\n")
	} else {
		ew.printf("\nRESULT: FAILED (%d findings)\n", uint64(len(r.Findings))+r.FindingsOmitted)
	}
	return ew.err
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func okWord(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// errWriter remembers the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
