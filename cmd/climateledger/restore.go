package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/natslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

func init() {
	register("restore", "rebuild an empty stream from an audited export: every entry in order, original bytes, root checked", cmdRestore)
}

// unparsedSubject is the chain subject a restore gives an entry whose payload does
// not parse (its party cannot be read); such entries are rejected by every replay
// wherever they are, and the subject only matters to the gate's expectations.
const unparsedSubject = "unparsed"

// cmdRestore audits an export, republishes its entries in order with their exact
// bytes to an empty stream (or completes an interrupted restore of the same export),
// and checks that the stream's RFC 6962 root equals the export's signed checkpoint.
func cmdRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "--from EXPORT_DIR (--data DIR | --nats URL) [--log-key KEY]")
	var (
		from, data, logKeyArg, logLevel string
		nc                              natslog.Config
	)
	fs.StringVar(&from, "from", "", "the export directory (log.jsonl and checkpoint, as climateledger export writes)")
	fs.StringVar(&data, "data", "./data", "data directory whose embedded stream (DIR/nats) is rebuilt; it must be empty or hold a prefix of the export")
	fs.StringVar(&logKeyArg, "log-key", "", "the log's verifier key or a file holding it (default: DIR/keys/log.pub when present)")
	fs.StringVar(&logLevel, "log-level", "warn", "debug, info, warn or error")
	fs.StringVar(&nc.URL, "nats", "", "rebuild the stream on this NATS JetStream instead of DIR/nats")
	fs.StringVar(&nc.CredsFile, "nats-creds", "", "NATS credentials file (with --nats)")
	fs.StringVar(&nc.User, "nats-user", "", "NATS user (with --nats)")
	fs.StringVar(&nc.Password, "nats-password", "", "NATS password (with --nats)")
	fs.IntVar(&nc.Replicas, "replicas", 0, "replicas of the new stream (with --nats; default min(3, servers))")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := required(fs, "from"); err != nil {
		return err
	}
	lg, err := newLogger(e, logLevel)
	if err != nil {
		return err
	}
	logKey, err := readLogKey(logKeyArg)
	if err != nil {
		return err
	}
	if logKey == "" {
		if b, err := os.ReadFile(filepath.Join(data, "keys", ledger.LogPubFile)); err == nil {
			logKey = string(bytes.TrimSpace(b))
		}
	}

	// 1. Audit the export.
	src, err := audit.OpenDir(from)
	if err != nil {
		return err
	}
	rep, err := audit.Run(ctx, src, audit.Options{LogKey: logKey})
	if err != nil {
		return fmt.Errorf("audit %s: %w", from, err)
	}
	fmt.Fprintf(e.stdout, "audit of %s: %d entries (%d valid, %d rejected); %s\n", from, rep.Entries, rep.Valid, rep.Rejected, rep.LogKey.Statement)
	var fatal []string
	for _, f := range rep.Findings {
		if slices.Contains(audit.Codes, f.Code) {
			fatal = append(fatal, f.String())
		}
	}
	cp := rep.Checkpoint
	switch {
	case len(fatal) > 0:
		return fmt.Errorf("the export does not audit clean, nothing restored: %v", fatal)
	case cp == nil || !cp.SignatureOK || !cp.RootOK:
		return errors.New("the export's checkpoint does not verify, nothing restored")
	case cp.Size != rep.Entries:
		return fmt.Errorf("the export's checkpoint covers %d of its %d entries, nothing restored", cp.Size, rep.Entries)
	}
	if rep.Rejected > 0 {
		fmt.Fprintf(e.stdout, "%d entries break a replay rule: they are restored as they were (they stay in the log for good)\n", rep.Rejected)
	}

	// 2. Open the target stream: empty, or holding a prefix of the export.
	if nc.URL == "" {
		nc.StoreDir = filepath.Join(data, "nats")
		nc.KeysDir = filepath.Join(data, "keys")
	}
	nc.Logger = lg
	l, err := natslog.Open(ctx, nc)
	if err != nil {
		return err
	}
	defer l.Close()
	have, err := l.LastSeq(ctx)
	if err != nil {
		return err
	}
	if have > rep.Entries {
		return fmt.Errorf("the stream already holds %d entries, more than the export's %d: restore only into an empty stream", have, rep.Entries)
	}

	// 3. Republish every entry in order, with its original bytes.
	start := time.Now()
	chainSeq := map[string]uint64{} // the stream sequence of each subject's last entry
	ids := map[string]bool{}        // message ids used (an event id may repeat in a log)
	var rb proof.RootBuilder
	err = src.Entries(ctx, 0, func(index uint64, raw []byte) error {
		party, id := subjectOf(raw, index)
		msgID := id
		if ids[msgID] {
			msgID = fmt.Sprintf("%s.%d", id, index) // a repeated id: not deduplicated away
		}
		ids[msgID] = true
		seq := index + 1
		if seq <= have {
			got, err := l.Entry(ctx, seq)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, raw) {
				return fmt.Errorf("the stream's entry %d differs from the export's: restore only into an empty stream or one holding a prefix of this export", index)
			}
		} else {
			app, err := l.Append(ctx, party, msgID, raw, chainSeq[party])
			if err != nil {
				return fmt.Errorf("append entry %d: %w (run restore again to continue)", index, err)
			}
			if app.Seq != seq {
				return fmt.Errorf("entry %d was stored at sequence %d, want %d: another writer uses the stream; stop it and restore into an empty stream", index, app.Seq, seq)
			}
		}
		chainSeq[party] = seq
		rb.Append(proof.LeafHash(raw))
		return nil
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)

	// 4. The stream's root, read back, must be the signed checkpoint's.
	var back proof.RootBuilder
	if err := l.Read(ctx, 1, func(_ uint64, raw []byte) error { back.Append(proof.LeafHash(raw)); return nil }); err != nil {
		return fmt.Errorf("read the restored stream back: %w", err)
	}
	root := back.Root()
	if back.Size() != cp.Size || base64.StdEncoding.EncodeToString(root[:]) != cp.Root || rb.Root() != root {
		return fmt.Errorf("the restored stream (%d entries, root %s) does not match the export's checkpoint (%d entries, root %s)",
			back.Size(), base64.StdEncoding.EncodeToString(root[:]), cp.Size, cp.Root)
	}
	fmt.Fprintf(e.stdout, "restored %d entries (%d were already there) in %s; the stream's root %s equals the export's signed checkpoint of size %d\n",
		cp.Size-have, have, elapsed.Round(time.Millisecond), cp.Root, cp.Size)
	if nc.URL == "" {
		fmt.Fprintf(e.stdout, "start the node with --data %s (it needs the log's keys in %s; delete %s if it was built from another stream)\n",
			data, filepath.Join(data, "keys"), filepath.Join(data, "pebble"))
	}
	return nil
}

// subjectOf returns the chain (subject) and message id to republish an entry under:
// its payload's party and event id, read leniently so that an entry that breaks a
// rule keeps its chain; for one whose party cannot be read, the unparsed subject and
// an id made of its index.
func subjectOf(raw []byte, index uint64) (party, id string) {
	if e, err := events.ParseEntry(raw); err == nil {
		return e.Payload.Party, e.Payload.ID
	}
	var env struct {
		Payload string `json:"payload"`
	}
	var pl struct {
		Party string `json:"party"`
		ID    string `json:"id"`
	}
	if json.Unmarshal(raw, &env) == nil {
		if b, err := base64.StdEncoding.DecodeString(env.Payload); err == nil && json.Unmarshal(b, &pl) == nil &&
			events.ValidPartyID(pl.Party) && events.ValidEventID(pl.ID) {
			return pl.Party, pl.ID
		}
	}
	return unparsedSubject, fmt.Sprintf("unparsed.%d", index)
}
