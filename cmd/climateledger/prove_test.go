package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events/eventtest"
)

func TestProveAndVerifyProof(t *testing.T) {
	node, n, url, logPub := auditNode(t)
	rc := mustSubmit(t, node, n.Append("us-ca", auditInventory(2016)))
	file := filepath.Join(t.TempDir(), "claim.tlog-proof")

	code, out, errOut := runCLI(t, "prove", "--server", url, rc.ID, "--out", file, "--log-key", logPub)
	if code != 0 || !strings.Contains(out, "proof of event "+rc.ID+" at index 6, tree size 7 (verified with the log key)") {
		t.Fatalf("prove: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "verify-proof", file, "--log-key", logPub)
	for _, want := range []string{file + ": OK\n", "index         6\n", "tree size     7\n", "event id      " + rc.ID + "\n",
		"party         us-ca\n", "seq           3\n", "type          inventory.reported\n", "payload hash  " + rc.Hash.String() + "\n",
		`"year": 2016`, `"total_tco2e": 1521`} {
		if !strings.Contains(out, want) {
			t.Errorf("verify-proof output lacks %q", want)
		}
	}
	if code != 0 {
		t.Fatalf("verify-proof: exit %d\n%s%s", code, out, errOut)
	}

	good, _ := os.ReadFile(file)
	write := func(b []byte) string {
		p := filepath.Join(t.TempDir(), "p")
		os.WriteFile(p, b, 0o644)
		return p
	}
	otherKey := filepath.Join(t.TempDir(), "other.pub")
	os.WriteFile(otherKey, []byte(eventtest.TestLogVerifierKey), 0o644)
	tests := []struct {
		name, file, key, stderr string
	}{
		{"another log's key", file, otherKey, "FAILED at step 2 of 5, check the checkpoint's signature with the log key: checkpoint signature: no signature by log key"},
		{"index changed", write(bytes.Replace(good, []byte("\nindex 6\n"), []byte("\nindex 5\n"), 1)), logPub, "FAILED at step 4 of 5, check the inclusion proof"},
		{"entry changed", write(bytes.Replace(good, []byte("extra eyJw"), []byte("extra eyJQ"), 1)), logPub, "FAILED at step 4 of 5"},
		{"not a proof", write([]byte("hello\n")), logPub, "FAILED at step 1 of 5, read the tlog-proof: tlog-proof: line 1: missing c2sp.org/tlog-proof@v1 header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "verify-proof", tt.file, "--log-key", tt.key)
			if code != 1 || !strings.Contains(errOut, tt.stderr) || out != "" {
				t.Fatalf("exit %d, want 1 with %q\nstdout:\n%s\nstderr:\n%s", code, tt.stderr, out, errOut)
			}
		})
	}
	if code, _, errOut := runCLI(t, "verify-proof", file); code != 2 || !strings.Contains(errOut, "missing [--log-key]") {
		t.Fatalf("verify-proof without --log-key: exit %d\n%s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "prove", "--server", url, "../etc/passwd"); code != 1 || !strings.Contains(errOut, "is not a canonical ULID") {
		t.Fatalf("prove with a bad id: exit %d\n%s", code, errOut)
	}

	// Without --out the file is EVENT_ID.tlog-proof in the working directory.
	t.Chdir(t.TempDir())
	if code, out, errOut := runCLI(t, "prove", "--server", url, rc.ID); code != 0 || !strings.Contains(out, "not verified (no --log-key)") {
		t.Fatalf("prove: exit %d\n%s%s", code, out, errOut)
	}
	if b, err := os.ReadFile(rc.ID + ".tlog-proof"); err != nil || !bytes.Equal(b, good) {
		t.Fatalf("%s.tlog-proof: %v (same as the verified proof: %v)", rc.ID, err, bytes.Equal(b, good))
	}
}
