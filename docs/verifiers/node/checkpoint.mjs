// Signed checkpoints and witness cosignatures, written from docs/SPEC.md alone (§5.1,
// §5.2 and §10 "Witnesses"): the log's signed note, its Ed25519 signature by the log
// key, and cosignature/v1 lines by witness keys checked against a quorum. Imported by
// verify.mjs; usable on its own:
//
//   import { checkCheckpoint, parsePolicy } from "./checkpoint.mjs";
//   const p = parsePolicy(logKey, [witnessKey1, witnessKey2], "2");
//   checkCheckpoint(noteBytes, p.logKey, p.witnesses, p.quorum); // throws a CheckpointError
//
// Node.js >= 20, standard library only.

import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { readFileSync } from "node:fs";

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b) => Buffer.from(b).toString("hex");
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const hasSpace = (s) => /\p{White_Space}/u.test(s);
const hasControl = (s) => /\p{Cc}/u.test(s);

// canonicalBase64 returns the decoded bytes of a canonical standard base64 string, or null.
function canonicalBase64(s) {
  if (typeof s !== "string") return null;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : null;
}

// ed25519Verify verifies an Ed25519 signature (RFC 8032); any failure is false.
function ed25519Verify(pub, msg, sig) {
  try {
    if (pub.length !== 32 || sig.length !== 64) return false;
    const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: pub.toString("base64url") }, format: "jwk" });
    return edVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/** UsageError: a key or quorum given on the command line is not usable. */
export class UsageError extends Error {}

// ---------------------------------------------------------------------------
// The check
//
// A checkpoint is accepted under a policy — the log key, witness keys and a quorum K —
// when it carries a valid signature by the log key and valid cosignature/v1 lines by
// at least K distinct witness keys. Lines by other keys are ignored; a line by a key of
// the policy that does not verify fails the check. The verdicts are a closed set:
// "ok", "malformed", "log_unknown_key", "log_bad_signature", "origin_mismatch",
// "bad_cosignature", "quorum".

/** CheckpointError: the checkpoint fails the policy; code is the verdict. */
export class CheckpointError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const SIG_PREFIX = Buffer.from("\u2014 ", "utf8"); // em dash (E2 80 94) and a space
const LAX_B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// validName: a signature line's key name is non-empty, without white space or "+".
const validName = (n) => n.length > 0 && !hasSpace(n) && !n.includes("+");
// validOrigin: a key name or checkpoint origin (SPEC §5.1): also no control character.
const validOrigin = (n) => validName(n) && !hasControl(n);

// keyHash is the signed-note key hash: the first 4 bytes of SHA-256(name ‖ "\n" ‖ type
// ‖ public key), as 8 lower-case hex digits.
const keyHash = (name, type, pub) => hex(sha256(Buffer.from(name + "\n", "utf8"), Buffer.from([type]), pub).subarray(0, 4));

// parseVKey parses a verifier key "<name>+<hex key hash>+<base64(type ‖ 32-byte key)>"
// of the given type (0x01 log, 0x04 witness), or throws naming what is wrong.
function parseVKey(s, type, what) {
  const i = s.indexOf("+");
  const j = i < 0 ? -1 : s.indexOf("+", i + 1);
  if (j < 0) throw new UsageError(`${what}: want <name>+<hex key hash>+<base64 key>`);
  const [name, hash, key] = [s.slice(0, i), s.slice(i + 1, j), s.slice(j + 1)];
  if (!validOrigin(name)) throw new UsageError(`${what}: bad key name ${JSON.stringify(name)}`);
  if (!/^[0-9a-f]{8}$/.test(hash)) throw new UsageError(`${what}: key hash is not 8 lower-case hex digits`);
  const b = canonicalBase64(key);
  if (!b || b.length !== 33 || b[0] !== type) throw new UsageError(`${what}: not a 33-byte key of type 0x0${type} in canonical base64`);
  const pub = b.subarray(1);
  if (keyHash(name, type, pub) !== hash) throw new UsageError(`${what}: key hash ${hash} does not match the name and key`);
  return { name, hash, pub, id: `${name}+${hash}` };
}

// openNote reads a signed note (C2SP signed-note) as every conforming reader must:
// valid UTF-8 without control characters other than "\n", the text up to the last
// blank line, then 1 to 100 lines "— <name> <base64(key hash ‖ signature)>", read in
// order. Of the lines by one of keys (same name and key hash) the first per key is
// verified with verify(key, sig) — the first that does not verify throws code, even if
// a later line is malformed — and later ones are ignored; lines by other keys are
// ignored. It returns the text and, per key id, the verified signature.
function openNote(b, keys, verify, code) {
  let s;
  try {
    s = utf8.decode(b);
  } catch {
    throw new CheckpointError("malformed", "signed note is not valid UTF-8");
  }
  for (const c of s) if (c.codePointAt(0) < 0x20 && c !== "\n") throw new CheckpointError("malformed", "signed note has a control character");
  const split = b.lastIndexOf("\n\n");
  if (split < 0) throw new CheckpointError("malformed", "signed note has no blank line before its signatures");
  const text = b.subarray(0, split + 1);
  let sigs = b.subarray(split + 2);
  if (sigs.length === 0 || sigs[sigs.length - 1] !== 0x0a) throw new CheckpointError("malformed", "signed note has no signature, or its last line has no newline");
  const valid = new Map();
  for (let n = 1; sigs.length > 0; n++) {
    const i = sigs.indexOf(0x0a);
    const line = sigs.subarray(0, i);
    sigs = sigs.subarray(i + 1);
    if (!line.subarray(0, SIG_PREFIX.length).equals(SIG_PREFIX)) throw new CheckpointError("malformed", "a signature line does not start with an em dash and a space");
    const rest = line.subarray(SIG_PREFIX.length).toString("utf8");
    const sp = rest.indexOf(" ");
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? "" : rest.slice(sp + 1);
    if (!validName(name) || b64 === "" || !LAX_B64.test(b64)) throw new CheckpointError("malformed", `bad signature line for ${JSON.stringify(name)}`);
    const raw = Buffer.from(b64, "base64");
    if (raw.length < 5) throw new CheckpointError("malformed", "a signature is shorter than 5 bytes");
    if (n > 100) throw new CheckpointError("malformed", "more than 100 signatures");
    const hash = hex(raw.subarray(0, 4));
    const k = keys.find((k) => k.name === name && k.hash === hash);
    if (!k || valid.has(k.id)) continue;
    if (!verify(k, text, raw.subarray(4))) throw new CheckpointError(code, `the signature line by ${k.id} does not verify`);
    valid.set(k.id, raw.subarray(4));
  }
  return { text, valid };
}

// parseCheckpointText parses the note text: exactly origin, tree size, root (SPEC §5.2).
function parseCheckpointText(text) {
  const s = text.toString("utf8");
  const lines = s.slice(0, -1).split("\n");
  if (lines.length !== 3) throw new CheckpointError("malformed", `checkpoint body has ${lines.length} lines, want 3`);
  const [origin, size, root] = lines;
  if (!validOrigin(origin)) throw new CheckpointError("malformed", "checkpoint origin is not a valid key name");
  if (!/^(0|[1-9][0-9]*)$/.test(size) || BigInt(size) >= 2n ** 64n) throw new CheckpointError("malformed", "tree size is not a decimal without leading zeros");
  const r = canonicalBase64(root);
  if (!r || r.length !== 32) throw new CheckpointError("malformed", "root is not the canonical base64 of 32 bytes");
  return { origin, size: BigInt(size), root };
}

// checkCheckpoint verifies a signed checkpoint against the log key and the witness
// policy; it returns {checkpoint, cosigned: [{id, time}], missing: [id]} or throws a
// CheckpointError.
export function checkCheckpoint(b, logKey, witnesses, quorum) {
  const { text, valid: log } = openNote(b, [logKey], (k, text, sig) => ed25519Verify(k.pub, text, sig), "log_bad_signature");
  if (log.size === 0) throw new CheckpointError("log_unknown_key", `no signature by the log key ${logKey.id}`);
  const checkpoint = parseCheckpointText(text);
  if (checkpoint.origin !== logKey.name) throw new CheckpointError("origin_mismatch", `origin ${checkpoint.origin} is not the log key's name ${logKey.name}`);
  // cosignature/v1: the signature is timestamp (8 bytes, big-endian seconds) ‖ Ed25519
  // signature of "cosignature/v1\ntime <timestamp>\n" ‖ the note text.
  const cosig = (k, text, sig) => {
    if (sig.length !== 72) return false;
    const msg = Buffer.concat([Buffer.from(`cosignature/v1\ntime ${sig.readBigUInt64BE(0)}\n`, "utf8"), text]);
    return ed25519Verify(k.pub, msg, sig.subarray(8));
  };
  const { valid } = openNote(b, witnesses, cosig, "bad_cosignature");
  const cosigned = [];
  const missing = [];
  for (const w of witnesses) {
    const sig = valid.get(w.id);
    if (!sig) { missing.push(w.id); continue; }
    const t = sig.readBigUInt64BE(0);
    cosigned.push({ id: w.id, time: t < 8640000000000n ? new Date(Number(t) * 1000).toISOString().replace(".000Z", "Z") : `${t}` });
  }
  const who = cosigned.length ? cosigned.map((c) => `${c.id} at ${c.time}`).join(", ") : "no witness of the policy";
  const summary = `cosigned by ${who} (${cosigned.length} of ${quorum} required${missing.length ? `; missing ${missing.join(", ")}` : ""})`;
  if (cosigned.length < quorum) throw new CheckpointError("quorum", `${cosigned.length} of the ${quorum} required witness cosignatures: ${summary}`);
  return { checkpoint, cosigned, missing, summary };
}

// readKeyArg returns a key given on the command line: the string, or a file holding it.
function readKeyArg(s) {
  try {
    return readFileSync(s, "utf8").trim();
  } catch {
    return s;
  }
}

// parsePolicy reads --log-key, --witness (repeatable) and --witness-quorum: the
// quorum defaults to all witnesses given; 0 only without witnesses; above their number
// is a usage error.
export function parsePolicy(logKeyArg, witnessArgs, quorumArg) {
  const logKey = parseVKey(readKeyArg(logKeyArg), 0x01, "--log-key");
  const witnesses = witnessArgs.map((w) => parseVKey(readKeyArg(w), 0x04, `--witness ${w}`));
  const ids = new Set([logKey.id]);
  for (const w of witnesses) {
    if (ids.has(w.id)) throw new UsageError(`--witness: key ${w.id} is given twice (or is the log key)`);
    ids.add(w.id);
  }
  let quorum = witnesses.length;
  if (quorumArg !== undefined) {
    if (!/^(0|[1-9][0-9]*)$/.test(quorumArg)) throw new UsageError(`--witness-quorum ${quorumArg}: not a number`);
    quorum = Number(quorumArg);
    if (quorum > witnesses.length) throw new UsageError(`--witness-quorum ${quorum} is more than the ${witnesses.length} --witness keys given`);
    if (quorum === 0 && witnesses.length > 0) throw new UsageError(`--witness-quorum 0 with ${witnesses.length} --witness keys would require no cosignature`);
  }
  return { logKey, witnesses, quorum };
}

