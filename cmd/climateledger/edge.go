package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

// edgeConfig is what serve's edge flags set: the gate's clock window, TLS and the
// per-client limits. It lives apart from serveConfig's core flags so that the edge can
// change without touching them.
type edgeConfig struct {
	clockSkew, futureSkew time.Duration
	tlsCert, tlsKey       string
	limits                httpapi.Limits

	// Set by validate.
	cert    *tls.Certificate
	limiter *httpapi.Limiter
}

// addEdgeFlags registers the edge flags of serve on fs.
func addEdgeFlags(fs *flag.FlagSet, c *edgeConfig) {
	fs.DurationVar(&c.clockSkew, "clock-skew", 10*time.Minute, "how far an event's time may be behind the server clock")
	fs.DurationVar(&c.futureSkew, "clock-skew-future", time.Minute, "how far an event's time may be ahead of the server clock (keep it small: a future-dated event holds its chain back until real time catches up)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM, with its chain); needs --tls-key; sends HSTS")
	fs.StringVar(&c.tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	d := httpapi.DefaultLimits()
	c.limits.MaxAddrs = d.MaxAddrs
	fs.Float64Var(&c.limits.RequestsPerAddr, "rate-requests", d.RequestsPerAddr, "requests per second from one client address, of any kind (0: no limit)")
	fs.IntVar(&c.limits.RequestsBurstPerAddr, "rate-requests-burst", d.RequestsBurstPerAddr, "burst of --rate-requests")
	fs.Float64Var(&c.limits.SubmitPerAddr, "rate-submit", d.SubmitPerAddr, "submissions (POST /v1/events) per second from one client address (0: no limit)")
	fs.IntVar(&c.limits.SubmitBurstPerAddr, "rate-submit-burst", d.SubmitBurstPerAddr, "burst of --rate-submit")
	fs.Float64Var(&c.limits.SubmitPerParty, "rate-party", d.SubmitPerParty, "events appended per second to one party's chain, from any address (0: no limit)")
	fs.IntVar(&c.limits.SubmitBurstPerParty, "rate-party-burst", d.SubmitBurstPerParty, "burst of --rate-party")
	fs.IntVar(&c.limits.SSEPerAddr, "sse-per-addr", d.SSEPerAddr, "open event streams (GET /v1/subscribe) per client address (0: no limit)")
	fs.IntVar(&c.limits.SSETotal, "sse-max", d.SSETotal, "open event streams in all (0: no limit)")
}

// validate reports every problem with the edge flags at once, loads the TLS key pair
// and makes the limiter.
func (c *edgeConfig) validate() error {
	var errs []error
	if c.clockSkew <= 0 {
		errs = append(errs, fmt.Errorf("--clock-skew %v: want a positive duration", c.clockSkew))
	}
	if c.futureSkew <= 0 {
		errs = append(errs, fmt.Errorf("--clock-skew-future %v: want a positive duration", c.futureSkew))
	}
	switch {
	case (c.tlsCert == "") != (c.tlsKey == ""):
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	case c.tlsCert != "":
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			errs = append(errs, fmt.Errorf("--tls-cert %s, --tls-key %s: %v", c.tlsCert, c.tlsKey, err))
		} else {
			c.cert = &cert
		}
	}
	lim, err := httpapi.NewLimiter(c.limits)
	if err != nil {
		errs = append(errs, err)
	}
	c.limiter = lim
	return errors.Join(errs...)
}

// applyLedger sets the node configuration the edge flags govern.
func (c *edgeConfig) applyLedger(cfg *ledger.Config) {
	cfg.ClockSkew, cfg.FutureSkew = c.clockSkew, c.futureSkew
}

// applyHandler gives the ledger's handler the per-party limit.
func (c *edgeConfig) applyHandler(h *httpapi.Handler) { h.Limiter = c.limiter }

// wrap puts the node's handler behind the edge: problem+json 404/405, the
// per-address limits, HSTS with TLS.
func (c *edgeConfig) wrap(h http.Handler) http.Handler {
	return httpapi.Edge(h, httpapi.EdgeConfig{Limiter: c.limiter, HSTS: c.cert != nil})
}

// scheme is "https" with TLS, else "http".
func (c *edgeConfig) scheme() string {
	if c.cert != nil {
		return "https"
	}
	return "http"
}

// serve serves srv on ln, with TLS when configured.
func (c *edgeConfig) serve(srv *http.Server, ln net.Listener) error {
	if c.cert == nil {
		return srv.Serve(ln)
	}
	srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{*c.cert}}
	return srv.ServeTLS(ln, "", "")
}
