// Package ledger runs climateledger's log: the submission gate, the applier that
// integrates entries into the RFC 6962 Merkle tree and the read models, signed
// checkpoints, and receipts with inclusion proofs.
//
// The log itself is the JetStream stream LEDGER (package natslog); everything kept in
// Pebble here — tree hashes, chain heads, the event index, the projections — is derived
// from it and can be rebuilt. One Node runs one applier; several Nodes may share one
// NATS cluster, each with its own Pebble, and they agree on every tree hash and digest.
//
// Durability: JetStream fsyncs every write before acknowledging it; the applier
// commits each group of entries in one synced Pebble batch (tree hashes, projection
// rows and the applied position together); a checkpoint is signed only over a tree that
// is durable; and a receipt is returned only after its entry is integrated.
//
// Subpackages: natslog (the stream), merkle (tree storage in Pebble), proof (pure
// checkpoint and proof formats), audit (independent verification).
package ledger
