// Package natslog is climateledger's log: the NATS JetStream stream LEDGER, and
// optionally the nats-server that holds it.
//
// The stream is the log (docs/SPEC.md §4–5). Every entry is the
// exact bytes given to [Log.Append], stored as one message on the subject
// ledger.events.<party> with the header Nats-Msg-Id set to the caller's message id
// (the event id). The log index of an entry is its stream sequence − 1. The package
// knows nothing about what an entry means: it moves opaque bytes, keeps one chain per
// party by optimistic concurrency on the subject's last sequence, and replays the
// stream in order.
//
// # Modes
//
// By default [Open] starts an embedded nats-server with JetStream on
// [Config.StoreDir], opens no network port, and connects to it in process. With
// [Config.ListenAddr] the embedded server also listens on that address and requires
// the user "climateledger" with a random password kept in KeysDir/nats.password.
// With [Config.URL] nothing is embedded: the log connects to an existing NATS
// JetStream deployment (a cluster, with [Config.Replicas] = 3).
//
// # Stream
//
// Open creates the stream LEDGER when it is missing, and when it exists checks it
// and refuses (with a [*StreamMismatchError] naming every difference) any setting
// that could lose, alter, or stop accepting entries; the one setting it changes on an
// existing stream is to allow atomic batches, which group commit needs (not with
// [Config.ExistingOnly]; there appends are sent one by one). The stream is created
// with: atomic publish allowed, subjects ["ledger.events.*"], file storage, limits
// retention with no message, byte, age or per-subject limits, DenyDelete,
// DenyPurge, no rollups, a duplicate window of [Config.DuplicateWindow],
// direct gets allowed, [Config.Replicas] replicas, and a maximum message size of
// [Config.MaxMsgSize] + 1024: JetStream counts the NATS headers against that limit,
// and an entry of exactly MaxMsgSize bytes must fit.
//
// # Durability
//
// The embedded server runs with SyncAlways: every message is written and fsynced
// before it is acknowledged (nats-server's default is to fsync every two minutes,
// which can lose acknowledged writes on a crash). When [Log.Append] returns a nil
// error, the entry has been stored, fsynced on the server, and assigned the
// returned sequence. On a replicated stream (URL mode) it has been stored by a
// quorum of the replicas, each of which persists it according to its own server's
// sync setting: run those servers with "sync_interval: always". An entry acknowledged this
// way is never removed or changed by this package or by the stream (deletes,
// purges, rollups and limits are all refused).
//
// When Append returns an error wrapping [ErrUnavailable], the entry was not
// appended — unless the error also wraps [ErrOutcomeUnknown] (a timeout, a lost
// connection, a cancelled context after the request was sent), in which case it
// may have been. Callers reconcile by retrying Append with the same message id and
// the same expectation: that is idempotent (see [Log.Append]).
//
// # Group commit
//
// Appends to different chains that wait at the same time are stored together as one
// JetStream atomic batch ([Config.MaxBatch], [Config.MinBatch]): one publish round
// trip and one fsync for all of them, all or nothing, each entry with its own message
// id and chain expectation, at consecutive sequences in the order of the batch. The
// promises above hold for each entry as if it had been appended alone: Append returns
// once its entry is durable, or with the errors above. A refused batch stored nothing
// (JetStream refuses a whole batch when one expectation fails or one message id is
// already stored); a batch whose acknowledgement was lost may or may not be stored.
// Either way each of its entries is then sent on its own with the same message id
// and expectation, which settles it exactly once: stored now, found where the batch
// put it (a duplicate), or refused as a conflict. A re-sent batch would not do: the
// server refuses it whole (error 10201) once one of its ids is stored. Stored
// messages of a batch carry nats-server's Nats-Batch-* headers; they are not part of
// the entry. [Log.GroupCommitStats] counts batches, their entries and fallbacks.
//
// # Concurrency
//
// A *Log is safe for concurrent use by multiple goroutines unless a method says
// otherwise. Keep one write in flight per party: concurrent appends to one party
// are safe (all but one fail with a [*ConflictError]) but waste work, and on
// replicated streams JetStream refuses a second in-flight write to one subject.
package natslog
