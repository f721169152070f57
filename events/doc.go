// Package events defines climateledger's signed event format and the rules every
// verifier applies to it: Ed25519 keys and key files, the v1 event payload, the DSSE
// envelope (secure-systems-lab/dsse v1) and its exact stored form, payload and Merkle
// leaf hashing (RFC 6962), strict body validation for every event type, and the replay
// state machine ([Registry]) that the submission gate, the projections and the auditor
// share.
//
// The package is pure: it performs no I/O, keeps no clock (callers pass times in) and
// imports nothing from NATS, Pebble or the network. The byte-level format is specified
// in docs/SPEC.md; testdata/vectors holds cases any implementation can run.
package events
