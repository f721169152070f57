package natslog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// streamConfig is the configuration the log creates LEDGER with.
func streamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:              StreamName,
		Description:       "climateledger log: signed, hash-chained entries; append-only",
		Subjects:          []string{SubjectPrefix + "*"},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            0,
		MaxMsgsPerSubject: -1,
		// Unlimited, so nothing is discarded; should limits ever be added by hand,
		// DiscardNew refuses new entries instead of dropping old ones.
		Discard:     jetstream.DiscardNew,
		MaxMsgSize:  cfg.MaxMsgSize + headerAllowance,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
		Duplicates:  cfg.DuplicateWindow,
		DenyDelete:  true,
		DenyPurge:   true,
		AllowRollup: false,
		AllowDirect: true,
		Compression: jetstream.NoCompression,
		// Group commit (Log.Append) stores concurrent appends as atomic batches.
		AllowAtomicPublish: true,
	}
}

// atomicPublishAllowed makes sure the stream accepts atomic batches, which group
// commit needs: a stream created before group commit existed gets the setting (it
// changes nothing about what is stored or kept), except with Config.ExistingOnly,
// where the log never changes a stream. It reports whether batches can be used.
func atomicPublishAllowed(ctx context.Context, l *Log, st jetstream.Stream, cfg Config) bool {
	info := st.CachedInfo()
	if info.Config.AllowAtomicPublish {
		return true
	}
	if cfg.ExistingOnly {
		return false
	}
	c := info.Config
	c.AllowAtomicPublish = true
	if _, err := l.js.UpdateStream(ctx, c); err != nil {
		l.logger.Warn("could not allow atomic batches on the stream: appends are sent one by one (one fsync each)",
			"stream", StreamName, "err", err, "fix", "set allow_atomic: true in the stream configuration")
		return false
	}
	l.logger.Info("allowed atomic batches on the stream, for group commit", "stream", StreamName)
	return true
}

// ensureStream creates LEDGER when missing, then checks the stream's settings and
// state against cfg. It never updates an existing stream. servers is the size of the
// cluster (1 for a single server); with cfg.Replicas 0 a new stream gets
// autoReplicas(servers) replicas, and an existing one is accepted with any count (a
// single replica in a cluster is warned about).
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg Config, servers int) (jetstream.Stream, error) {
	auto := cfg.Replicas == 0
	st, err := js.Stream(ctx, StreamName)
	if errors.Is(err, jetstream.ErrStreamNotFound) && cfg.ExistingOnly {
		return nil, fmt.Errorf("natslog: stream %s does not exist here (wrong server or account?): %w", StreamName, ErrNotFound)
	}
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		create := cfg
		if auto {
			create.Replicas = autoReplicas(servers)
		}
		st, err = js.CreateStream(ctx, streamConfig(create))
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Created concurrently (by another node) with other settings: check it.
			st, err = js.Stream(ctx, StreamName)
		} else if err == nil {
			how := "as configured"
			if auto {
				how = fmt.Sprintf("min(3, %d servers in the cluster); set the replica count to choose another", servers)
			}
			cfg.Logger.Info("created stream", "stream", StreamName, "replicas", create.Replicas, "why", how)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("natslog: stream %s: %w", StreamName, unavailable(err))
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("natslog: stream %s: %w", StreamName, unavailable(err))
	}
	check := cfg
	if auto {
		check.Replicas = 1
	}
	if ms := checkStream(info, check); len(ms) > 0 {
		return nil, &StreamMismatchError{Stream: StreamName, Mismatches: ms}
	}
	if r := max(info.Config.Replicas, 1); r == 1 && servers > 1 {
		cfg.Logger.Warn("the stream has a single replica in a cluster: losing that server's disk loses the log",
			"stream", StreamName, "servers", servers,
			"fix", fmt.Sprintf("nats stream edit %s --replicas %d", StreamName, autoReplicas(servers)))
	}
	return st, nil
}

// checkStream lists every way info's stream is weaker than, or different from, what
// the log requires: anything that could lose, alter, reorder or refuse entries.
func checkStream(info *jetstream.StreamInfo, cfg Config) []Mismatch {
	c := info.Config
	want := streamConfig(cfg)
	var ms []Mismatch
	add := func(field, want, got string) { ms = append(ms, Mismatch{Field: field, Want: want, Got: got}) }
	unlimited := func(field string, got int64) {
		if got > 0 {
			add(field, "unlimited (-1)", strconv.FormatInt(got, 10))
		}
	}
	flag := func(field string, want, got bool) {
		if want != got {
			add(field, strconv.FormatBool(want), strconv.FormatBool(got))
		}
	}

	if !slices.Equal(c.Subjects, want.Subjects) {
		add("Subjects", fmt.Sprint(want.Subjects), fmt.Sprint(c.Subjects))
	}
	if c.Storage != jetstream.FileStorage {
		add("Storage", jetstream.FileStorage.String(), c.Storage.String())
	}
	if c.Retention != jetstream.LimitsPolicy {
		add("Retention", jetstream.LimitsPolicy.String(), c.Retention.String())
	}
	unlimited("MaxMsgs", c.MaxMsgs)
	unlimited("MaxBytes", c.MaxBytes)
	unlimited("MaxMsgsPerSubject", c.MaxMsgsPerSubject)
	if c.MaxAge > 0 {
		add("MaxAge", "unlimited (0)", c.MaxAge.String())
	}
	if c.MaxMsgSize > 0 && c.MaxMsgSize < want.MaxMsgSize {
		add("MaxMsgSize", ">= "+strconv.Itoa(int(want.MaxMsgSize)), strconv.Itoa(int(c.MaxMsgSize)))
	}
	if c.Replicas < cfg.Replicas {
		ms = append(ms, Mismatch{Field: "Replicas", Want: ">= " + strconv.Itoa(cfg.Replicas), Got: strconv.Itoa(c.Replicas),
			Fix: fmt.Sprintf("raise the stream's replicas (nats stream edit %s --replicas %d) or start the node with --replicas %d", StreamName, cfg.Replicas, c.Replicas)})
	}
	if c.Duplicates < cfg.DuplicateWindow {
		add("Duplicates", ">= "+cfg.DuplicateWindow.String(), c.Duplicates.String())
	}
	flag("DenyDelete", true, c.DenyDelete)
	flag("DenyPurge", true, c.DenyPurge)
	flag("AllowRollup", false, c.AllowRollup)
	flag("AllowDirect", true, c.AllowDirect)
	flag("NoAck", false, c.NoAck)
	flag("Sealed", false, c.Sealed)
	flag("AllowMsgTTL", false, c.AllowMsgTTL)
	flag("AllowMsgCounter", false, c.AllowMsgCounter)
	flag("AllowMsgSchedules", false, c.AllowMsgSchedules)
	if c.SubjectDeleteMarkerTTL != 0 {
		add("SubjectDeleteMarkerTTL", "0", c.SubjectDeleteMarkerTTL.String())
	}
	if c.PersistMode != jetstream.DefaultPersistMode {
		add("PersistMode", jetstream.DefaultPersistMode.String(), c.PersistMode.String())
	}
	if c.Mirror != nil {
		add("Mirror", "none", c.Mirror.Name)
	}
	if len(c.Sources) > 0 {
		names := make([]string, len(c.Sources))
		for i, s := range c.Sources {
			names[i] = s.Name
		}
		add("Sources", "none", fmt.Sprint(names))
	}
	if c.SubjectTransform != nil {
		add("SubjectTransform", "none", c.SubjectTransform.Source+" > "+c.SubjectTransform.Destination)
	}
	if c.FirstSeq > 1 {
		add("FirstSeq", "0 or 1 (log index = sequence - 1)", strconv.FormatUint(c.FirstSeq, 10))
	}
	// A stream that already lost entries (a delete or a limit before it was
	// locked down) has a hole where the log may have none.
	if s := info.State; s.Msgs > 0 {
		if s.FirstSeq != 1 {
			add("State.FirstSeq", "1", strconv.FormatUint(s.FirstSeq, 10))
		}
		if s.NumDeleted > 0 {
			add("State.NumDeleted", "0", strconv.Itoa(s.NumDeleted))
		}
	}
	return ms
}
