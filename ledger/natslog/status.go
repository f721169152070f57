package natslog

import (
	"context"
	"fmt"
	"time"
)

// Status is the stream as its leader reports it, for readiness checks and metrics.
type Status struct {
	// LastSeq is the stream's last sequence (the number of entries).
	LastSeq uint64
	// Replicas is the stream's configured replica count.
	Replicas int
	// Leader is the server that leads the stream ("" when the stream has no leader:
	// an election is in progress). A single server leads its own streams.
	Leader string
	// Current is the number of replicas, the leader included, that are up to date.
	Current int
	// Lagging names the replicas that are offline or not current.
	Lagging []string
	// Fault is why the embedded store is refusing writes while the log repairs it
	// (see [Log.Fault]); "" when it is not.
	Fault string
}

// Status asks the stream leader for the stream's state. Errors wrap ErrUnavailable:
// the stream did not answer (no leader, no connection, JetStream down). Safe for
// concurrent use.
func (l *Log) Status(ctx context.Context) (Status, error) {
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	info, err := l.stream.Info(ctx)
	if err != nil {
		return Status{}, fmt.Errorf("natslog: stream info: %w", unavailable(err))
	}
	st := Status{LastSeq: info.State.LastSeq, Replicas: info.Config.Replicas, Current: 1, Fault: l.Fault()}
	if st.Replicas == 0 {
		st.Replicas = 1
	}
	if c := info.Cluster; c != nil {
		st.Leader = c.Leader
		if st.Leader == "" {
			st.Current = 0
		}
		for _, p := range c.Replicas {
			if p.Current && !p.Offline {
				st.Current++
			} else {
				st.Lagging = append(st.Lagging, p.Name)
			}
		}
	}
	if st.Leader == "" && info.Cluster == nil {
		st.Leader = l.cfg.ServerName
	}
	return st, nil
}

// EntryTime returns when the stream stored the entry at seq. Errors as for
// [Log.Entry]. Safe for concurrent use.
func (l *Log) EntryTime(ctx context.Context, seq uint64) (time.Time, error) {
	if seq == 0 {
		return time.Time{}, fmt.Errorf("natslog: entry 0: %w", ErrNotFound)
	}
	ctx, cancel := l.reqCtx(ctx)
	defer cancel()
	m, err := l.stream.GetMsg(ctx, seq)
	if err != nil {
		return time.Time{}, fmt.Errorf("natslog: entry %d: %w", seq, unavailable(err))
	}
	return m.Time, nil
}
