package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// endorsementLine is body line i of the tests' batch files: an endorsement whose
// wording names i, so that every line's event can be found in the log.
func endorsementLine(i int) string {
	return fmt.Sprintf(`{"summit":"2016-beijing","date":"2016-06-07","target_wording":"batch %d"}`, i)
}

// endorsementLines returns body lines from…to-1 (endorsementLine).
func endorsementLines(from, to int) []string {
	var lines []string
	for i := from; i < to; i++ {
		lines = append(lines, endorsementLine(i))
	}
	return lines
}

// writeBatch writes lines as a batch file and returns its path.
func writeBatch(t *testing.T, lines []string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "load.jsonl")
	rewriteBatch(t, path, lines)
	return path
}

// rewriteBatch writes lines as the batch file at path, replacing it.
func rewriteBatch(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// batchFile is a file of n body lines of endorsements, with, when others > 0, the
// envelopes of others more parties interleaved (each: its enrolment and 5
// endorsements). It returns the lines and the envelopes.
func (r *readNode) batchFile(t *testing.T, n, others int) (lines []string, envelopes [][]byte) {
	t.Helper()
	for p := range others {
		id := fmt.Sprintf("cnb%02d", p)
		r.net.Enroll(id, id, "", "CN", "city")
		envelopes = append(envelopes, r.net.Entries[len(r.net.Entries)-1])
		for i := range 5 {
			envelopes = append(envelopes, r.net.Append(id, &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: fmt.Sprintf("%s %d", id, i)}))
		}
	}
	// An envelope every n/len(envelopes) body lines, in each chain's order.
	step := n + 1
	if len(envelopes) > 0 {
		step = max(n/len(envelopes), 1)
	}
	e := 0
	for i := range n {
		if i%step == 0 && e < len(envelopes) {
			lines = append(lines, string(envelopes[e]))
			e++
		}
		lines = append(lines, endorsementLine(i))
	}
	for ; e < len(envelopes); e++ {
		lines = append(lines, string(envelopes[e]))
	}
	return lines, envelopes
}

// batchArgs is the command line of submit --batch of file: body lines are us-ca's
// endorsements, signed with key.
func batchArgs(r *readNode, key, file string, extra ...string) []string {
	return append([]string{"submit", "--server", r.url, "--key", key, "--party", "us-ca", "--type", "endorsement.recorded", "--batch", file}, extra...)
}

// batchCLI runs submit --batch in process.
func batchCLI(t *testing.T, r *readNode, key, file string, extra ...string) (int, batchSummary, string) {
	t.Helper()
	code, out, errOut := runCLI(t, batchArgs(r, key, file, extra...)...)
	var s batchSummary
	if out != "" {
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("summary: %v\n%s\n%s", err, out, errOut)
		}
	}
	return code, s, errOut
}

// checkBatchLog checks that the log holds each of body lines 0…n-1 of us-ca exactly
// once and in order after its first events, each envelope exactly once, and that the
// chain heads say as much.
func checkBatchLog(t *testing.T, r *readNode, n int, envelopes [][]byte) {
	t.Helper()
	var wordings []string
	count := map[string]int{}
	for _, raw := range ledgertest.Entries(t, r.node) {
		count[string(raw)]++
		e, err := events.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		if b, ok := e.Body.(*events.EndorsementBody); ok && e.Payload.Party == "us-ca" {
			wordings = append(wordings, b.TargetWording)
		}
	}
	if len(wordings) != n {
		t.Errorf("us-ca has %d endorsements in the log, want %d", len(wordings), n)
	}
	for i, w := range wordings {
		if want := fmt.Sprintf("batch %d", i); w != want {
			t.Fatalf("us-ca endorsement %d is %q, want %q (each line once, in file order)", i, w, want)
		}
	}
	heads := map[string]uint64{"us-ca": uint64(n) + 1}
	for _, env := range envelopes {
		if count[string(env)] != 1 {
			t.Errorf("an envelope line is %d times in the log, want once", count[string(env)])
		}
		e, _ := events.ParseEntry(env)
		heads[e.Payload.Party] = max(heads[e.Payload.Party], e.Payload.Seq)
	}
	c, _ := client.New(r.url)
	for party, want := range heads {
		h, err := c.Head(t.Context(), party)
		if err != nil {
			t.Fatal(err)
		}
		if h.Seq != want {
			t.Errorf("%s head seq %d, want %d", party, h.Seq, want)
		}
	}
}

// waitStill waits until the node's log has not grown for 200 ms: a submission in
// flight when its client went away may still be recorded.
func (r *readNode) waitStill() {
	for last, still := r.node.Applied(), 0; still < 20; still++ {
		time.Sleep(10 * time.Millisecond)
		if now := r.node.Applied(); now != last {
			last, still = now, 0
		}
	}
}

// readState returns the line numbers with a receipt and those with a signed envelope
// but no receipt in a state file.
func readState(t *testing.T, path string) (receipts map[int]receiptRecord, unreceipted map[int][]byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	receipts, unreceipted = map[int]receiptRecord{}, map[int][]byte{}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n")[1:] {
		var r stateRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("state line %d: %v: %q", i+2, err, line)
		}
		if r.ID != "" {
			receipts[r.Line] = receiptRecord{Line: r.Line, ID: r.ID, Seq: r.Seq, Hash: r.Hash, Index: r.Index}
			delete(unreceipted, r.Line)
		} else {
			unreceipted[r.Line] = []byte(r.Envelope)
		}
	}
	return receipts, unreceipted
}

// TestSubmitBatch loads 200 body lines of us-ca with the envelopes of 3 more parties
// (18 lines) interleaved: every event is in the log once, each chain in file order;
// a rerun skips every line.
func TestSubmitBatch(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	lines, envelopes := r.batchFile(t, 200, 3)
	file := writeBatch(t, lines)

	code, s, errOut := batchCLI(t, r, key, file)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if want := (batchSummary{Lines: 218, Recorded: 218, State: file + ".state"}); s.Lines != want.Lines || s.Recorded != want.Recorded ||
		s.Already != 0 || s.Skipped != 0 || s.Failed != 0 || s.Pending != 0 || s.State != want.State || s.EventsPerS <= 0 {
		t.Errorf("summary %+v, want %+v", s, want)
	}
	if !strings.HasPrefix(errOut, "[##------------------]  22/218  ") || !strings.Contains(errOut, "\n[####################] 218/218  ") ||
		strings.Count(errOut, "\n") != 10 {
		t.Errorf("progress: want a line at each tenth:\n%s", errOut)
	}
	checkBatchLog(t, r, 200, envelopes)
	receipts, unreceipted := readState(t, file+".state")
	if len(receipts) != 218 || len(unreceipted) != 0 {
		t.Errorf("state: %d receipts, %d unreceipted envelopes; want 218, 0", len(receipts), len(unreceipted))
	}

	size := r.node.Applied()
	code, s, errOut = batchCLI(t, r, key, file)
	if code != 0 || s.Lines != 218 || s.Skipped != 218 || s.Recorded != 0 || s.Already != 0 || r.node.Applied() != size {
		t.Fatalf("rerun: exit %d, summary %+v, log %d → %d\n%s", code, s, size, r.node.Applied(), errOut)
	}
}

// TestSubmitBatchResume kills a batch load (the binary, SIGKILL) part-way and runs it
// again: every line's event is in the log exactly once; the lines with a receipt in
// the state are skipped, signed envelopes are resubmitted as they are (already), and
// a record torn by the crash is dropped.
func TestSubmitBatchResume(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	lines, envelopes := r.batchFile(t, 200, 3)
	file := writeBatch(t, lines)
	base := r.node.Applied()

	cmd := exec.Command(binary, batchArgs(r, key, file)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for r.node.Applied() < base+60 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	r.waitStill()
	loaded := int(r.node.Applied() - base)
	if loaded < 60 || loaded >= 218 {
		t.Fatalf("killed after %d of 218 events; want part-way\n%s", loaded, stderr.String())
	}
	receipts, unreceipted := readState(t, file+".state")
	// Lines without a receipt whose event is in the log all the same: a signed
	// envelope (or an envelope line) recorded before its receipt was written.
	inLog := map[string]bool{}
	for _, raw := range ledgertest.Entries(t, r.node) {
		inLog[string(raw)] = true
	}
	already := 0
	for i, l := range lines {
		if _, ok := receipts[i+1]; ok {
			continue
		}
		env := []byte(l)
		if u, ok := unreceipted[i+1]; ok {
			env = u
		} else if e, err := events.DecodeSubmission(env); err == nil {
			env = e
		}
		if inLog[string(env)] {
			already++
		}
	}
	if len(receipts)+already != loaded {
		t.Fatalf("state: %d receipts and %d recorded without one, log has %d new events", len(receipts), already, loaded)
	}
	// A crash in the middle of a write leaves a torn record.
	f, _ := os.OpenFile(file+".state", os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"line":7,"envel`)
	f.Close()

	code, s, errOut := batchCLI(t, r, key, file)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, errOut)
	}
	if s.Lines != 218 || s.Skipped != len(receipts) || s.Already != already || s.Recorded != 218-len(receipts)-already || s.Failed != 0 || s.Pending != 0 {
		t.Errorf("resume summary %+v; want skipped %d, already %d, recorded %d", s, len(receipts), already, 218-len(receipts)-already)
	}
	checkBatchLog(t, r, 200, envelopes)
	t.Logf("killed after %d events: %d receipts in the state, %d recorded without one", loaded, len(receipts), already)
}

// TestSubmitBatchRecordedEnvelope: the state holds a signed envelope without its
// receipt, and that envelope is in fact in the log (the crash came between the
// server's answer and the receipt's record). The rerun resubmits the same bytes,
// gets the original receipt and records nothing twice.
func TestSubmitBatchRecordedEnvelope(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	file := writeBatch(t, endorsementLines(0, 20))
	// Line 1 signed and recorded in the state as the load does, then submitted.
	rc0 := mustSubmit(t, r.node, signFirstLine(t, r, key, file, time.Time{}))

	code, s, errOut := batchCLI(t, r, key, file)
	if code != 0 || s.Lines != 20 || s.Already != 1 || s.Recorded != 19 || s.Skipped != 0 {
		t.Fatalf("exit %d, summary %+v; want already 1, recorded 19\n%s", code, s, errOut)
	}
	receipts, _ := readState(t, file+".state")
	if got := receipts[1]; got.ID != rc0.ID || got.Index != rc0.Index || got.Seq != 2 {
		t.Errorf("line 1's receipt %+v, want the original: id %s index %d seq 2", got, rc0.ID, rc0.Index)
	}
	checkBatchLog(t, r, 20, nil)
}

// signFirstLine writes the state of file as a load that signed line 1 at the head of
// us-ca with time at (the current time when zero) and stopped before submitting it;
// it returns that envelope.
func signFirstLine(t *testing.T, r *readNode, key, file string, at time.Time) []byte {
	t.Helper()
	data, _ := os.ReadFile(file)
	parsed, _, err := parseBatch(file, data, "us-ca", "endorsement.recorded")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := readSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	hdr := newBatchHeader(file, data)
	hdr.Party, hdr.Type = "us-ca", "endorsement.recorded"
	st, _, err := openBatchState(file+".state", hdr, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, _ := client.New(r.url)
	head, err := c.Head(t.Context(), "us-ca")
	if err != nil {
		t.Fatal(err)
	}
	prev, _ := events.ParseHash(head.Hash)
	if at.IsZero() {
		b := &batchRun{opt: batchOptions{Type: "endorsement.recorded"}, signers: []*events.Signer{signer}, state: st}
		if err := b.sign(parsed[0], "", head.Seq+1, prev); err != nil {
			t.Fatal(err)
		}
		return parsed[0].Envelope
	}
	d := &events.Draft{Party: "us-ca", Seq: head.Seq + 1, Prev: prev, Type: "endorsement.recorded", Time: at, Body: parsed[0].Body}
	payload, err := d.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	env := events.Sign(payload, signer)
	if err := st.logEnvelope(1, env); err != nil {
		t.Fatal(err)
	}
	return env
}

// TestSubmitBatchBadLines: a malformed line, an invalid body and a broken envelope are
// named with their line numbers before anything is submitted; body lines without
// --type are refused naming the first.
func TestSubmitBatchBadLines(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	r.net.Enroll("cnszx", "Shenzhen", "", "CN", "city")
	enrol := string(r.net.Entries[len(r.net.Entries)-1])
	file := writeBatch(t, []string{
		endorsementLine(0),
		`{"summit":"2016-beijing",`,
		"",
		endorsementLine(1),
		`{"summit":"2015-paris","date":"2016-06-07"}`,
		`[1, 2]`,
		strings.Replace(enrol, `"payloadType"`, `"payloadtype"`, 1),
		enrol,
	})
	size := r.node.Applied()
	code, _, errOut := batchCLI(t, r, key, file)
	want := "climateledger submit: " + file + ": 4 bad lines, nothing submitted:\n" +
		"  line 2: not JSON: unexpected end of JSON input\n" +
		`  line 5: not a valid endorsement.recorded body: body.summit: "2015-paris" is not one of 2015-los-angeles, 2016-beijing` + "\n" +
		"  line 6: not a JSON object\n" +
		"  line 7: not a valid envelope: malformed_envelope: payloadtype: unknown field; payloadType: required\n"
	if code != 1 || errOut != want {
		t.Errorf("exit %d, stderr\n%s\nwant\n%s", code, errOut, want)
	}
	if r.node.Applied() != size {
		t.Errorf("log %d → %d: something was submitted", size, r.node.Applied())
	}
	if _, err := os.Stat(file + ".state"); !os.IsNotExist(err) {
		t.Errorf("a state file was written for a bad file: %v", err)
	}

	code, out, errOut := runCLI(t, "submit", "--server", r.url, "--batch", writeBatch(t, []string{enrol, endorsementLine(0)}))
	if code != 2 || out != "" || !strings.Contains(errOut, "line 2 is an event body, not an envelope: body lines need --key, --party and --type (missing --key, --party, --type)") {
		t.Errorf("body lines without flags: exit %d\n%s%s", code, out, errOut)
	}
}

// TestSubmitBatchChangedFile: after an interrupted load, a changed file is refused
// (nothing submitted) until it is restored; --restart loads another file under the
// same name from the start.
func TestSubmitBatchChangedFile(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	lines := endorsementLines(0, 100)
	file := writeBatch(t, lines)
	base := r.node.Applied()
	args := batchArgs(r, key, file)

	// Interrupted after 10 events.
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() { done <- run(ctx, args, &stdout, &stderr) }()
	for deadline := time.Now().Add(30 * time.Second); r.node.Applied() < base+10 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if code := <-done; code != 1 || !strings.Contains(stderr.String(), "interrupted with ") || !strings.Contains(stderr.String(), "run the same command again to continue") {
		t.Fatalf("interrupted: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	var s batchSummary
	json.Unmarshal(stdout.Bytes(), &s)
	if s.Pending == 0 || s.Recorded+s.Pending != 100 {
		t.Fatalf("interrupted: summary %+v", s)
	}

	r.waitStill()

	// One line changed: refused, nothing submitted.
	lines[50] = endorsementLine(1050)
	rewriteBatch(t, file, lines)
	size := r.node.Applied()
	code, _, errOut := batchCLI(t, r, key, file)
	if code != 1 || !strings.Contains(errOut, file+" changed since "+file+".state was written") || !strings.Contains(errOut, "pass --restart") || r.node.Applied() != size {
		t.Fatalf("changed file: exit %d, log %d → %d\n%s", code, size, r.node.Applied(), errOut)
	}
	// Restored: the load finishes without a duplicate.
	lines[50] = endorsementLine(50)
	rewriteBatch(t, file, lines)
	code, s, errOut = batchCLI(t, r, key, file)
	if code != 0 || s.Skipped+s.Already != int(size-base) || s.Recorded != 100-int(size-base) {
		t.Fatalf("restored: exit %d, summary %+v after %d events\n%s", code, s, size-base, errOut)
	}
	checkBatchLog(t, r, 100, nil)

	// Another file under the same name: --restart loads it from the start.
	rewriteBatch(t, file, endorsementLines(100, 110))
	if code, _, errOut := batchCLI(t, r, key, file); code != 1 || !strings.Contains(errOut, "changed since") {
		t.Fatalf("new file: exit %d\n%s", code, errOut)
	}
	code, s, errOut = batchCLI(t, r, key, file, "--restart")
	if code != 0 || s.Lines != 10 || s.Recorded != 10 || s.Skipped != 0 {
		t.Fatalf("--restart: exit %d, summary %+v\n%s", code, s, errOut)
	}
	checkBatchLog(t, r, 110, nil)
}

// TestSubmitBatchResignsAfterConflict: the state holds a signed envelope that was never
// submitted, and meanwhile another writer extended the chain. The gate answers
// chain_conflict; the line is signed again at the new head with the same event id,
// and the rest of the chain follows it.
func TestSubmitBatchResignsAfterConflict(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	file := writeBatch(t, endorsementLines(0, 5))
	first, _ := events.ParseEntry(signFirstLine(t, r, key, file, time.Time{}))
	// Another writer takes seq 2.
	other := r.net.Append("us-ca", &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15"})
	mustSubmit(t, r.node, other)

	code, s, errOut := batchCLI(t, r, key, file)
	if code != 0 || s.Recorded != 5 || s.Already != 0 || s.Failed != 0 {
		t.Fatalf("exit %d, summary %+v\n%s", code, s, errOut)
	}
	receipts, _ := readState(t, file+".state")
	if got := receipts[1]; got.ID != first.Payload.ID || got.Seq != 3 {
		t.Errorf("line 1: receipt %+v, want id %s (kept) at seq 3", got, first.Payload.ID)
	}
	c, _ := client.New(r.url)
	if h, _ := c.Head(t.Context(), "us-ca"); h.Seq != 7 {
		t.Errorf("us-ca head seq %d, want 7 (enrolment, the other writer's event, 5 lines)", h.Seq)
	}
}

// TestSubmitBatchResignsAfterClockSkew: the state holds a signed envelope of an
// interrupted load that is older than the gate's clock window. The gate answers
// clock_skew (it is not recorded); the line is signed again with the current time and
// the same event id.
func TestSubmitBatchResignsAfterClockSkew(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	file := writeBatch(t, endorsementLines(0, 5))
	first, _ := events.ParseEntry(signFirstLine(t, r, key, file, time.Now().UTC().Add(-time.Hour).Truncate(time.Second)))

	code, s, errOut := batchCLI(t, r, key, file)
	if code != 0 || s.Recorded != 5 || s.Already != 0 || s.Failed != 0 {
		t.Fatalf("exit %d, summary %+v\n%s", code, s, errOut)
	}
	receipts, _ := readState(t, file+".state")
	if got := receipts[1]; got.ID != first.Payload.ID || got.Seq != 2 {
		t.Errorf("line 1: receipt %+v, want id %s (kept) at seq 2", got, first.Payload.ID)
	}
	checkBatchLog(t, r, 5, nil)
}

// TestSubmitBatchRefusedLine: a line the server refuses (its party is not enrolled)
// stops its own chain only; the command names it and exits non-zero, and the other
// chains are loaded.
func TestSubmitBatchRefusedLine(t *testing.T) {
	r := startReadNode(t)
	key := r.enrol(t, "us-ca", "California", "US", "state")
	r.net.Enroll("cnghost", "Ghost", "", "CN", "city") // never submitted
	lines := endorsementLines(0, 10)
	for i := range 3 {
		lines = append(lines, string(r.net.Append("cnghost", &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: fmt.Sprint(i)})))
	}
	file := writeBatch(t, lines)
	code, s, errOut := batchCLI(t, r, key, file)
	if code != 1 || s.Lines != 13 || s.Recorded != 10 || s.Failed != 1 || s.Pending != 2 || len(s.FailedLines) != 1 || s.FailedLines[0] != 11 {
		t.Fatalf("exit %d, summary %+v\n%s", code, s, errOut)
	}
	for _, want := range []string{"line 11 (cnghost): server: 403 not_enrolled: ", "the 2 later lines of cnghost not submitted",
		"climateledger submit: 1 line failed (line 11), 2 pending; the receipts so far are in " + file + ".state"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("want %q in\n%s", want, errOut)
		}
	}
	checkBatchLog(t, r, 10, nil)
}

// TestBatchProgressTerminal: on a terminal the bar is rewritten in place, a message
// clears it first, and the last bar ends the line.
func TestBatchProgressTerminal(t *testing.T) {
	var w bytes.Buffer
	tty := true
	p := newBatchProgress(&w, 4, &tty, time.Millisecond)
	p.add(2, 2)
	time.Sleep(20 * time.Millisecond)
	p.printf("line %d: refused\n", 3)
	p.add(2, 1)
	p.finish()
	out := w.String()
	if !strings.Contains(out, "\r[##########----------] 2/4  ") || !strings.Contains(out, "\r\x1b[Kline 3: refused\n") ||
		!strings.HasSuffix(out, "\x1b[K\n") || !strings.Contains(out, "\r[####################] 4/4  ") {
		t.Errorf("terminal progress: %q", out)
	}
}
