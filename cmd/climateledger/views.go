package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/projections"
)

// views wires the read models (package projections) into a node: the projector the
// applier feeds, and the read API, change notices and OpenAPI document on the mux.
type views struct {
	v *projections.Views
}

func newViews(lg *slog.Logger) (*views, error) {
	v, err := projections.New(projections.Config{Logger: lg})
	if err != nil {
		return nil, err
	}
	return &views{v: v}, nil
}

func (v *views) projectors() []ledger.Projector { return []ledger.Projector{v.v} }

// attach binds the views to the open node and registers their routes. SSE
// subscriptions end when ctx ends.
func (v *views) attach(ctx context.Context, node *ledger.Node, mux *http.ServeMux) error {
	if err := v.v.Attach(ctx, node); err != nil {
		return err
	}
	v.v.Routes(mux)
	return nil
}
