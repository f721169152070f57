package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/climateledger/climateledger/ledger"
)

// views wires the read models (projections) into a node. Placeholder until the
// projections package lands.
type views struct{}

func newViews(lg *slog.Logger) (*views, error) { return &views{}, nil }

func (v *views) projectors() []ledger.Projector { return nil }

func (v *views) attach(ctx context.Context, node *ledger.Node, mux *http.ServeMux) error { return nil }
