package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/climateledger/climateledger/events"
)

// keyOf reads a key file's key id.
func keyOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := events.ParseKeyFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return s.KeyID()
}

// cliFails runs the binary, expects a non-zero exit and returns stderr.
func cliFails(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatalf("climateledger %s succeeded; want a failure", strings.Join(args, " "))
	}
	return stderr.String()
}

// TestKeyRotateAndRevoke runs key rotate and key revoke against a real node, for a
// party's keys and for the registrar's, and checks what each printed, what the node
// then accepts and refuses, and that the log audits clean.
func TestKeyRotateAndRevoke(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	keys := t.TempDir()
	k := func(name string) string { return filepath.Join(keys, name+".key") }
	reg := filepath.Join(dir, "keys", "registrar.key")
	cli(t, "keygen", "--out", k("ca1"))
	cli(t, "enroll", "--server", srv.url, "--registrar-key", reg, "--party", "us-ca", "--name-en", "California",
		"--country", "US", "--level", "state", "--key", k("ca1"))
	body := filepath.Join(keys, "endorse.json")
	os.WriteFile(body, []byte(`{"summit":"2015-los-angeles","date":"2015-09-15"}`), 0o644)
	submit := func(key string) []string {
		return []string{"submit", "--server", srv.url, "--key", key, "--party", "us-ca", "--type", "endorsement.recorded", "--body", body}
	}
	var rep keyReport
	decode := func(out []byte) keyReport {
		t.Helper()
		var r keyReport
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("key output: %v: %s", err, out)
		}
		return r
	}

	// 1. A party rotates its key: ca2 is created, added (signed by ca1 and ca2), and
	// ca1 is revoked (signed by ca2).
	rep = decode(cli(t, "key", "rotate", "--server", srv.url, "--party", "us-ca", "--key", k("ca1"), "--new-key", k("ca2")))
	ca1, ca2 := keyOf(t, k("ca1")), keyOf(t, k("ca2"))
	if fi, err := os.Stat(k("ca2")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", fi, err)
	}
	if !rep.Created || len(rep.Changes) != 2 ||
		rep.Changes[0].Event != "key.added" || rep.Changes[0].KeyID != ca2 || strings.Join(rep.Changes[0].SignedBy, ",") != ca1+","+ca2 || rep.Changes[0].Seq != 2 ||
		rep.Changes[1].Event != "key.revoked" || rep.Changes[1].KeyID != ca1 || strings.Join(rep.Changes[1].SignedBy, ",") != ca2 || rep.Changes[1].Seq != 3 {
		t.Fatalf("key rotate printed %+v", rep)
	}
	if errOut := cliFails(t, submit(k("ca1"))...); !strings.Contains(errOut, "403 key_revoked") {
		t.Fatalf("submit with the rotated-out key: %s; want 403 key_revoked", errOut)
	}
	cli(t, submit(k("ca2"))...)

	// 2. Keep a spare: add ca3 without revoking ca2; then the party revokes ca3 (say it
	// was lost) with ca2.
	rep = decode(cli(t, "key", "rotate", "--server", srv.url, "--party", "us-ca", "--key", k("ca2"), "--new-key", k("ca3"), "--keep-old", "--reason", "spare"))
	ca3 := keyOf(t, k("ca3"))
	if len(rep.Changes) != 1 || rep.Changes[0].Event != "key.added" || rep.Changes[0].KeyID != ca3 {
		t.Fatalf("key rotate --keep-old printed %+v", rep)
	}
	cli(t, submit(k("ca3"))...)
	rep = decode(cli(t, "key", "revoke", "--server", srv.url, "--party", "us-ca", "--key", k("ca2"), "--keyid", ca3, "--reason", "lost"))
	if len(rep.Changes) != 1 || rep.Changes[0].Event != "key.revoked" || rep.Changes[0].KeyID != ca3 || rep.Changes[0].SignedBy[0] != ca2 {
		t.Fatalf("key revoke printed %+v", rep)
	}
	if errOut := cliFails(t, submit(k("ca3"))...); !strings.Contains(errOut, "403 key_revoked") {
		t.Fatalf("submit with the revoked key: %s", errOut)
	}
	// The last key cannot be revoked.
	if errOut := cliFails(t, "key", "revoke", "--server", srv.url, "--party", "us-ca", "--key", k("ca2"), "--keyid", ca2, "--reason", "x"); !strings.Contains(errOut, "422 not_permitted") {
		t.Fatalf("revoking the last key: %s; want 422 not_permitted", errOut)
	}

	// 3. The registrar revokes a compromised party key (the party still holds another).
	decode(cli(t, "key", "rotate", "--server", srv.url, "--party", "us-ca", "--key", k("ca2"), "--new-key", k("ca4"), "--keep-old"))
	ca4 := keyOf(t, k("ca4"))
	rep = decode(cli(t, "key", "revoke", "--server", srv.url, "--registrar", "--key", reg, "--party", "us-ca", "--keyid", ca4, "--reason", "compromised"))
	if len(rep.Changes) != 1 || rep.Changes[0].Event != "key.revoked" || rep.Changes[0].Party != "us-ca" || rep.Changes[0].SignedBy[0] != keyOf(t, reg) {
		t.Fatalf("registrar key revoke printed %+v", rep)
	}
	if errOut := cliFails(t, submit(k("ca4"))...); !strings.Contains(errOut, "403 key_revoked") {
		t.Fatalf("submit with the key the registrar revoked: %s", errOut)
	}
	cli(t, submit(k("ca2"))...)

	// 4. The registrar rotates its own key: the old one enrols nothing any more, the
	// new one does.
	rep = decode(cli(t, "key", "rotate", "--server", srv.url, "--registrar", "--key", reg, "--new-key", k("reg2")))
	reg1, reg2 := keyOf(t, reg), keyOf(t, k("reg2"))
	if len(rep.Changes) != 2 || rep.Changes[0].Event != "registrar.key_added" || rep.Changes[0].Party != "network" || rep.Changes[0].KeyID != reg2 ||
		rep.Changes[1].Event != "registrar.key_revoked" || rep.Changes[1].KeyID != reg1 || rep.Changes[1].SignedBy[0] != reg2 || !strings.Contains(rep.Note, "registrar.key") {
		t.Fatalf("registrar key rotate printed %+v", rep)
	}
	cli(t, "keygen", "--out", k("lax"))
	enrollLax := func(regKey string) []string {
		return []string{"enroll", "--server", srv.url, "--registrar-key", regKey, "--party", "uslax", "--name-en", "Los Angeles",
			"--country", "US", "--level", "city", "--key", k("lax")}
	}
	if errOut := cliFails(t, enrollLax(reg)...); !strings.Contains(errOut, "403 key_revoked") {
		t.Fatalf("enrol with the revoked registrar key: %s", errOut)
	}
	cli(t, enrollLax(k("reg2"))...)
	// And revokes a registrar key by id: add reg3, revoke it with reg2.
	decode(cli(t, "key", "rotate", "--server", srv.url, "--registrar", "--key", k("reg2"), "--new-key", k("reg3"), "--keep-old"))
	rep = decode(cli(t, "key", "revoke", "--server", srv.url, "--registrar", "--key", k("reg2"), "--keyid", keyOf(t, k("reg3")), "--reason", "test"))
	if len(rep.Changes) != 1 || rep.Changes[0].Event != "registrar.key_revoked" {
		t.Fatalf("registrar key revoke printed %+v", rep)
	}

	// Usage errors.
	if errOut := cliFails(t, "key", "rotate", "--server", srv.url, "--key", k("ca2"), "--new-key", k("x")); !strings.Contains(errOut, "give exactly one of --party ID and --registrar") {
		t.Errorf("rotate without --party or --registrar: %s", errOut)
	}
	if errOut := cliFails(t, "key", "frobnicate"); !strings.Contains(errOut, `unknown subcommand "frobnicate"`) {
		t.Errorf("unknown subcommand: %s", errOut)
	}

	// The whole log audits clean.
	if out := cli(t, "audit", "--server", srv.url, "--log-key", filepath.Join(dir, "keys", "log.pub")); !strings.Contains(string(out), "RESULT: OK") {
		t.Fatalf("audit after the key changes:\n%s", out)
	}
	srv.stop(t)
}
