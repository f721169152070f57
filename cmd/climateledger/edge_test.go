package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestServePortTakenCreatesNothing: serve takes its HTTP port before it opens the
// node, so a taken port leaves a new data directory uncreated (it used to hold keys
// and a genesis of a log that never served).
func TestServePortTakenCreatesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	code, _, errOut := runCLI(t, "serve", "--data", dir, "--http", ln.Addr().String())
	if code != 1 || !strings.Contains(errOut, "climateledger serve: listen "+ln.Addr().String()+": ") {
		t.Fatalf("serve on a taken port: exit %d, stderr %q; want exit 1 naming the address", code, errOut)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("serve on a taken port left %s behind (stat: %v)", dir, err)
	}
}

// TestHelpAndVersion: help that is asked for is the output (stdout, exit 0); help
// after a mistake goes to stderr (exit 2); --version prints the version.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.Contains(out, "Usage: climateledger COMMAND") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want usage on stdout, exit 0", args, code, out, errOut)
		}
	}
	for _, cmd := range []string{"serve", "submit", "audit", "key"} {
		code, out, errOut := runCLI(t, cmd, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: climateledger "+cmd) || errOut != "" {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q; want its usage on stdout, exit 0", cmd, code, out, errOut)
		}
	}
	code, out, errOut := runCLI(t, "submit", "--no-such-flag")
	if code != 2 || out != "" || !strings.Contains(errOut, "flag provided but not defined: -no-such-flag") || !strings.Contains(errOut, "Usage: climateledger submit") {
		t.Errorf("submit --no-such-flag: exit %d, stdout %q, stderr %q; want usage on stderr, exit 2", code, out, errOut)
	}
	if code, _, errOut := runCLI(t); code != 2 || !strings.Contains(errOut, "Usage: climateledger COMMAND") {
		t.Errorf("no command: exit %d, stderr %q; want usage on stderr, exit 2", code, errOut)
	}
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "climateledger ") || !strings.Contains(out, " go1.") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestSubmitNamesFileAndTypes: submit names the body file and each problem's field
// path, and an unknown --type lists the valid ones — before contacting any server.
func TestSubmitNamesFileAndTypes(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.key")
	if code, _, errOut := runCLI(t, "keygen", "--out", key); code != 0 {
		t.Fatal(errOut)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	nowhere := "http://127.0.0.1:1"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown type", []string{"--type", "inventory", "--body", write("a.json", "{}")}, 2,
			`climateledger submit: usage: --type "inventory" is not an event type; valid types: ` + strings.Join(events.EventTypes(), ", ") + "\n"},
		{"syntax error", []string{"--type", "inventory.reported", "--body", write("cut.json", `{"year":2016,`)}, 1,
			"climateledger submit: body file " + filepath.Join(dir, "cut.json") + " is not a valid body:\n  body: byte 13: expected object key\n"},
		{"unknown field", []string{"--type", "key.revoked", "--body", write("evil.json", `{"keyid":"x","reason":"y","evil":1}`)}, 1,
			"climateledger submit: body file " + filepath.Join(dir, "evil.json") + " is not a valid body:\n  body.evil: unknown field\n"},
		{"invalid fields", []string{"--type", "key.revoked", "--body", write("empty.json", `{}`)}, 1,
			"climateledger submit: body file " + filepath.Join(dir, "empty.json") + " is not a valid body:\n  body.keyid: required\n  body.reason: required\n"},
		{"missing file", []string{"--type", "key.revoked", "--body", filepath.Join(dir, "none.json")}, 1,
			"climateledger submit: open " + filepath.Join(dir, "none.json") + ": no such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"submit", "--server", nowhere, "--key", key, "--party", "us-ca"}, tt.args...)
			code, _, errOut := runCLI(t, args...)
			if tt.code == 2 {
				// The usage comes first; the last line says what is wrong.
				errOut = errOut[strings.LastIndex(strings.TrimSuffix(errOut, "\n"), "\n")+1:]
			}
			if code != tt.code || errOut != tt.want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", code, errOut, tt.code, tt.want)
			}
		})
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns their paths
// and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "climateledger test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(priv)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with --tls-cert and --tls-key the node serves HTTPS only, says so,
// and sends HSTS; without TLS there is no HSTS. A half-given pair is a usage error.
func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	srv := startServer(t, t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(srv.url, "https://127.0.0.1:") {
		t.Fatalf("serving on %q, want https://", srv.url)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Get(srv.url + "/v1/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != httpapi.HSTSValue || resp.TLS == nil {
		t.Fatalf("GET /v1/checkpoint over TLS: %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	// Plain HTTP on the TLS port is refused.
	plain, err := http.Get("http://" + strings.TrimPrefix(srv.url, "https://") + "/v1/checkpoint")
	if err == nil {
		b, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the TLS port: %d %s", plain.StatusCode, b)
		}
	}
	srv.stop(t)

	plainSrv := startServer(t, t.TempDir())
	resp, err = http.Get(plainSrv.url + "/v1/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := resp.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS %q over plain HTTP", h)
	}
	plainSrv.stop(t)

	code, _, errOut := runCLI(t, "serve", "--data", t.TempDir(), "--tls-cert", certFile)
	if code != 2 || !strings.Contains(errOut, "--tls-cert and --tls-key go together") {
		t.Errorf("--tls-cert alone: exit %d, stderr %q", code, errOut)
	}
}

// TestServeEdgeFlags: serve's limit and clock flags reach the node: with
// --rate-submit 1 --rate-submit-burst 2 the third quick submission from one address
// is refused with 429 and Retry-After, and with --clock-skew-future 5m an event
// 3 minutes ahead is recorded (the default 1m refuses it).
func TestServeEdgeFlags(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir, "--rate-submit", "1", "--rate-submit-burst", "2", "--clock-skew-future", "5m")
	ctx := context.Background()
	c, _ := client.New(srv.url)
	n := adoptServer(t, "edge", dir, srv.url)
	n.Now = n.Now.Add(3 * time.Minute)
	n.Enroll("us-ca", "California", "", "US", "state")
	if _, _, err := c.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
		t.Fatalf("event 3 min ahead with --clock-skew-future 5m: %v", err)
	}
	n.Enroll("cnszx", "Shenzhen", "", "CN", "city")
	if _, _, err := c.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
		t.Fatalf("second submission: %v", err)
	}
	n.Enroll("uslax", "Los Angeles", "", "US", "city")
	_, _, err := c.Submit(ctx, n.Entries[len(n.Entries)-1])
	var pe *client.ProblemError
	if !errors.As(err, &pe) || pe.Status != 429 || pe.Code != httpapi.CodeRateLimited || pe.RetryAfter != time.Second || pe.Limit != httpapi.LimitSubmitAddr {
		t.Fatalf("third quick submission with --rate-submit-burst 2: %v, want 429 rate_limited, Retry-After 1", err)
	}
	srv.stop(t)

	srv = startServer(t, t.TempDir())
	var p httpapi.Problem
	resp, err := http.Post(srv.url+"/v1/events", "application/json", strings.NewReader(string(n.Entries[len(n.Entries)-1])))
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if resp.StatusCode != 422 || p.Code != "clock_skew" || !strings.Contains(p.Detail, "more than 1m0s ahead") {
		t.Fatalf("event 3 min ahead with the default window: %d %+v, want 422 clock_skew", resp.StatusCode, p)
	}
	srv.stop(t)
}

// TestServeNATSAuditorUser: serve --nats-listen gives auditors a read-only NATS user
// that can audit the whole log over NATS (audit --nats) but whose publish to the log
// the server refuses: the log is unchanged and still audits clean.
func TestServeNATSAuditorUser(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsAddr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	srv := startServer(t, dir, "--nats-listen", natsAddr)
	key := filepath.Join(t.TempDir(), "ca.key")
	cli(t, "keygen", "--out", key)
	cli(t, "enroll", "--server", srv.url, "--registrar-key", filepath.Join(dir, "keys", "registrar.key"), "--party", "us-ca",
		"--name-en", "California", "--country", "US", "--level", "state", "--key", key)
	pw, err := os.ReadFile(filepath.Join(dir, "keys", "nats-auditor.password"))
	if err != nil {
		t.Fatal(err)
	}
	auditNATS := []string{"audit", "--nats", "nats://" + natsAddr, "--nats-user", "auditor", "--nats-password", strings.TrimSpace(string(pw)),
		"--log-key", filepath.Join(dir, "keys", "log.pub")}
	if out := string(cli(t, auditNATS...)); !strings.Contains(out, "entries: 2 read, 2 valid") || !strings.HasSuffix(out, "RESULT: OK\n") {
		t.Fatalf("audit --nats as the auditor:\n%s", out)
	}
	// The auditor's publish to the log is refused by the server.
	nc, err := nats.Connect("nats://"+natsAddr, nats.UserInfo("auditor", strings.TrimSpace(string(pw))), nats.MaxReconnects(0))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	pctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	forged := readLog(t, srv.url)[1]
	if ack, err := js.Publish(pctx, "ledger.events.us-ca", forged, jetstream.WithMsgID("forged")); err == nil {
		t.Fatalf("the auditor's publish was acknowledged at seq %d", ack.Sequence)
	}
	if got := len(readLog(t, srv.url)); got != 2 {
		t.Fatalf("the log has %d entries after the auditor's publish, want 2", got)
	}
	if out := string(cli(t, auditNATS...)); !strings.HasSuffix(out, "RESULT: OK\n") {
		t.Fatalf("audit after the refused publish:\n%s", out)
	}
	srv.stop(t)
}
