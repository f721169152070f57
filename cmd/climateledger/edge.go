package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/climateledger/climateledger/ledger"
)

// edgeConfig is what serve's edge flags set: the gate's clock window, TLS and the
// per-client limits. It lives apart from serveConfig's core flags so that the edge can
// change without touching them.
type edgeConfig struct {
	clockSkew, futureSkew time.Duration
}

// addEdgeFlags registers the edge flags of serve on fs.
func addEdgeFlags(fs *flag.FlagSet, c *edgeConfig) {
	fs.DurationVar(&c.clockSkew, "clock-skew", 10*time.Minute, "how far an event's time may be behind the server clock")
	fs.DurationVar(&c.futureSkew, "clock-skew-future", time.Minute, "how far an event's time may be ahead of the server clock (keep it small: a future-dated event holds its chain back until real time catches up)")
}

// validate reports every problem with the edge flags at once.
func (c *edgeConfig) validate() error {
	var errs []error
	if c.clockSkew <= 0 {
		errs = append(errs, fmt.Errorf("--clock-skew %v: want a positive duration", c.clockSkew))
	}
	if c.futureSkew <= 0 {
		errs = append(errs, fmt.Errorf("--clock-skew-future %v: want a positive duration", c.futureSkew))
	}
	return errors.Join(errs...)
}

// applyLedger sets the node configuration the edge flags govern.
func (c *edgeConfig) applyLedger(cfg *ledger.Config) {
	cfg.ClockSkew, cfg.FutureSkew = c.clockSkew, c.futureSkew
}
