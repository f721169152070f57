package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// fuzzEnvelope is a signed endorsement of party fuzz-party, for the seeds.
func fuzzEnvelope(seq uint64, prev events.Hash) []byte {
	d := &events.Draft{Party: "fuzz-party", Seq: seq, Prev: prev, Type: events.TypeEndorsement,
		Time: time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC), Body: &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: "fuzz"}}
	payload, err := d.Marshal()
	if err != nil {
		panic(err)
	}
	return events.Sign(payload, eventtest.Key("FuzzParseBatch", "party/fuzz-party"))
}

// FuzzParseBatch: a batch file of any bytes is either refused with a
// *batchInputError naming at least one line, or parsed into lines that are each a body
// or an envelope, numbered in file order within the file's line count.
func FuzzParseBatch(f *testing.F) {
	env := fuzzEnvelope(1, events.Hash{})
	f.Add([]byte(endorsementLine(1) + "\n" + endorsementLine(2) + "\n"))
	f.Add(append(append([]byte{}, env...), '\n'))
	f.Add([]byte("\n\n{}\n[1]\n{\"payload\":1}\n"))
	f.Add([]byte(endorsementLine(1) + "\n" + string(env) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, firstBody, err := parseBatch("fuzz.jsonl", data, "us-ca", events.TypeEndorsement)
		if err != nil {
			var ie *batchInputError
			if !errors.As(err, &ie) || len(ie.Problems) == 0 {
				t.Fatalf("error %v (%T) is not a batchInputError naming a line", err, err)
			}
			return
		}
		total := bytes.Count(data, []byte("\n")) + 1
		last := 0
		for _, l := range lines {
			if l.N <= last || l.N > total {
				t.Fatalf("line numbers out of order or range: %d after %d (file of %d lines)", l.N, last, total)
			}
			last = l.N
			if (l.Body == nil) == (l.Envelope == nil) {
				t.Fatalf("line %d is neither a body nor an envelope, or both", l.N)
			}
			if l.Body != nil && (firstBody == 0 || l.N < firstBody) {
				t.Fatalf("body line %d before the first body line %d", l.N, firstBody)
			}
		}
	})
}

// FuzzBatchState: a state file with a valid header and any records after it either
// is refused, or opens; once it has opened, opening it again reads the same lines (a
// torn record is dropped from the file, not read differently the second time).
func FuzzBatchState(f *testing.F) {
	f.Add([]byte(`{"line":1,"envelope":"{}"}` + "\n" + `{"line":1,"id":"01M","seq":1,"hash":"ab","index":3}` + "\n"))
	f.Add([]byte(`{"line":2,"envelope":"x"}` + "\n" + `{"line":3,"env`))
	f.Add([]byte(`{"line":2,"envelope":"x"}`))
	f.Add([]byte("not json\n"))
	f.Fuzz(func(t *testing.T, records []byte) {
		path := filepath.Join(t.TempDir(), "load.jsonl.state")
		want := newBatchHeader("load.jsonl", []byte("the batch file"))
		hdr := []byte(`{"v":1,"file":"load.jsonl","sha256":"` + want.SHA256 + `"}` + "\n")
		if err := os.WriteFile(path, append(hdr, records...), 0o644); err != nil {
			t.Fatal(err)
		}
		s, first, err := openBatchState(path, want, false)
		if err != nil {
			return
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for n, ls := range first {
			if n <= 0 || (ls.Envelope == nil && ls.Receipt == nil) {
				t.Fatalf("line %d read with nothing in it", n)
			}
		}
		s2, again, err := openBatchState(path, want, false)
		if err != nil {
			t.Fatalf("reopening a state file that opened: %v", err)
		}
		defer s2.Close()
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("reopened state differs:\nfirst %+v\nagain %+v", first, again)
		}
	})
}
