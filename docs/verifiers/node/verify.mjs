#!/usr/bin/env node
// An independent climateledger verifier, written from docs/SPEC.md alone (no Go code
// consulted), to show that the specification is sufficient. It replays logs under the
// rules of SPEC §7 and runs the test vectors of testdata/vectors (SPEC §9).
//
// Usage:
//   node verify.mjs DIR            run every *.json vector in DIR; exit 1 on any disagreement
//   node verify.mjs --log FILE     replay a log.jsonl (SPEC §5.5) and print each outcome
//   node verify.mjs --cases FILE   FILE is {"prefixes": [[entry, …], …], "cases": [[prefix index, entry], …]}:
//                                  print, one per line, the outcome of each case's entry
//                                  checked after its prefix (used by a differential test)
//   node verify.mjs --checkpoint FILE --log-key KEY [--witness VKEY]... [--witness-quorum K]
//                                  check a signed checkpoint (SPEC §5.2) with the log key
//                                  and, with --witness, its witness cosignatures (SPEC §10):
//                                  at least K (default: all) of the witnesses must have
//                                  cosigned; KEY and VKEY are key strings or files holding
//                                  them. Prints "OK …" (exit 0) or "FAILED <code> …" (exit 1)
//   node verify.mjs --checkpoint-cases FILE
//                                  FILE is {"log_key", "witnesses": [vkey, …], "quorum",
//                                  "checkpoints": [base64 of a signed note, …]}: print the
//                                  verdict of each, one per line (a cross-language test)
//
// Node.js >= 20, standard library only (crypto for SHA-256 and Ed25519).

import { createHash, createPublicKey, verify as edVerify } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError, UsageError, checkCheckpoint, parsePolicy } from "./checkpoint.mjs";

// ---------------------------------------------------------------------------
// Helpers: hashes, base64, keys (SPEC §1, conventions)

const sha256 = (...parts) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};
const hex = (b) => Buffer.from(b).toString("hex");
const HEX64 = /^[0-9a-f]{64}$/;

// canonicalBase64 returns the decoded bytes of a canonical standard base64 string, or null.
function canonicalBase64(s) {
  if (typeof s !== "string") return null;
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return null;
  const b = Buffer.from(s, "base64");
  return b.toString("base64") === s ? b : null;
}

const keyID = (pub) => hex(sha256(pub));

// ed25519Verify verifies an Ed25519 signature (SPEC §3.1); any failure is false.
const keyObjects = new Map();
function ed25519Verify(pub, msg, sig) {
  try {
    if (pub.length !== 32 || sig.length !== 64) return false;
    const x = pub.toString("base64url");
    let key = keyObjects.get(x);
    if (!key) {
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
      keyObjects.set(x, key);
    }
    return edVerify(null, msg, key, sig);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Strict JSON (SPEC §2.1). Values: objects are Maps, arrays are arrays, strings are JS
// strings, numbers are JNum (the raw token), booleans are booleans.

class JNum {
  constructor(raw) { this.raw = raw; }
}
class JSONError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// parseStrict parses bytes under the strict profile. keyRule: apply rule 6's letter rule
// (false for submissions, SPEC §3.3, where keys are compared after unescaping).
function parseStrict(bytes, keyRule = true) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new JSONError("invalid UTF-8");
  }
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const fail = (m) => { throw new JSONError(`${m} at ${i}`); };
  const str = () => {
    i++; // opening quote
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i];
      const code = text.charCodeAt(i);
      if (c === '"') { i++; return out; }
      if (code < 0x20) fail("control character in string");
      if (c !== "\\") { out += c; i++; continue; }
      const e = text[i + 1];
      const simple = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
      if (e in simple) { out += simple[e]; i += 2; continue; }
      if (e !== "u") fail("invalid escape");
      const h = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("invalid \\u escape");
      let u = parseInt(h, 16);
      i += 6;
      if (u >= 0xd800 && u <= 0xdbff) {
        // A high surrogate pairs with an immediately following \u low surrogate.
        const m = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(text.slice(i, i + 6));
        if (m) {
          out += String.fromCharCode(u, parseInt(m[1], 16));
          i += 6;
          continue;
        }
        u = 0xfffd;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        u = 0xfffd;
      }
      out += String.fromCharCode(u);
    }
  };
  const value = (depth) => {
    if (depth > 32) fail("nesting deeper than 32");
    if (i >= text.length) fail("unexpected end");
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      const obj = new Map();
      if (text[i] === "}") { i++; return obj; }
      for (;;) {
        if (text[i] !== '"') fail("expected key");
        const rawStart = i + 1;
        const key = str();
        const raw = text.slice(rawStart, i - 1);
        if (keyRule && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(raw)) fail(`bad key ${JSON.stringify(raw)}`);
        if (obj.has(key)) fail(`duplicate key ${JSON.stringify(key)}`);
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        ws();
        obj.set(key, value(depth + 1));
        ws();
        if (text[i] === ",") { i++; ws(); continue; }
        if (text[i] === "}") { i++; return obj; }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      ws();
      const arr = [];
      if (text[i] === "]") { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ",") { i++; ws(); continue; }
        if (text[i] === "]") { i++; return arr; }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return str();
    if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i));
      if (!m) fail("invalid number");
      if (m[0].length > 40) fail("number longer than 40 characters");
      i += m[0].length;
      return new JNum(m[0]);
    }
    if (text.startsWith("true", i)) { i += 4; return true; }
    if (text.startsWith("false", i)) { i += 5; return false; }
    if (text.startsWith("null", i)) fail("null is not allowed");
    fail("unexpected character");
  };
  const v = value(0);
  if (i !== text.length) fail("trailing data");
  return v;
}

// ---------------------------------------------------------------------------
// Typed decoding (SPEC §2.1 end, §2.2) with a small schema language:
//   "string" | "int" | "uint" | "decimal" | "bool" | ["array", T] | ["map", T] | {field: T}
// decode throws JSONError on an unknown member or a type mismatch. Absent members are
// undefined; a present member keeps its value (the caller applies SPEC §6.0).

const INT64_MIN = -(2n ** 63n), INT64_MAX = 2n ** 63n - 1n, UINT64_MAX = 2n ** 64n - 1n;

function parseDecimal(raw) {
  const m = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,3}))?$/.exec(raw);
  if (!m || m[2].length > 15) return null;
  const v = BigInt(m[2]) * 1000n + BigInt((m[3] ?? "").padEnd(3, "0"));
  return m[1] ? -v : v;
}

function decode(v, schema, path = "") {
  const bad = (m) => { throw new JSONError(`${path || "value"}: ${m}`); };
  if (schema === "string") return typeof v === "string" ? v : bad("want a string");
  if (schema === "bool") return typeof v === "boolean" ? v : bad("want a boolean");
  if (schema === "int" || schema === "uint") {
    if (!(v instanceof JNum)) bad("want a number");
    if (!/^-?(0|[1-9][0-9]*)$/.test(v.raw)) bad("want an integer");
    const n = BigInt(v.raw);
    if (schema === "uint" ? (v.raw.startsWith("-") || n > UINT64_MAX) : (n < INT64_MIN || n > INT64_MAX)) bad("out of range");
    return n;
  }
  if (schema === "decimal") {
    if (!(v instanceof JNum)) bad("want a number");
    const d = parseDecimal(v.raw);
    return d === null ? bad("not a Decimal") : d;
  }
  if (Array.isArray(schema) && schema[0] === "array") {
    if (!Array.isArray(v)) bad("want an array");
    return v.map((x, k) => decode(x, schema[1], `${path}[${k}]`));
  }
  if (Array.isArray(schema) && schema[0] === "map") {
    if (!(v instanceof Map)) bad("want an object");
    const out = new Map();
    for (const [k, x] of v) out.set(k, decode(x, schema[1], `${path}.${k}`));
    return out;
  }
  if (!(v instanceof Map)) bad("want an object");
  const out = {};
  for (const [k, x] of v) {
    if (!Object.hasOwn(schema, k)) bad(`unknown member ${k}`);
    out[k] = decode(x, schema[k], `${path}.${k}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Shared formats

const PARTY = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const LOCAL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const TIME = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z$/;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

const leap = (y) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
const daysIn = (y, m) => [31, leap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
const realDate = (y, m, d) => m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);

// parseTime returns a comparable key for a payload time (SPEC §2.3), or null.
function parseTime(s) {
  const m = TIME.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number);
  if (!realDate(y, mo, d) || h > 23 || mi > 59 || se > 59) return null;
  return s.slice(0, 19) + "." + (m[7] ?? "").padEnd(9, "0"); // fixed width: compares as the instant
}

const chars = (s) => [...s].length;
const isBlank = (s) => /^\p{White_Space}*$/u.test(s);
const hasControl = (s, multiline) => [...s].some((c) => /\p{Cc}/u.test(c) && !(multiline && c === "\n"));
const hasSpace = (s) => /\p{White_Space}/u.test(s);

// ---------------------------------------------------------------------------
// Envelope (SPEC §3.2) and payload (SPEC §2.3)

const PAYLOAD_TYPE = "application/vnd.climateledger.event.v1+json";
const MAX_ENTRY = 65536;

class Finding extends Error {
  constructor(code, reason) { super(`${code}: ${reason}`); this.code = code; }
}

function pae(type, payload) {
  const t = Buffer.from(type, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${payload.length} `), payload]);
}

// parseEnvelope reads the stored form; it throws malformed_envelope.
function parseEnvelope(raw) {
  const bad = (m) => { throw new Finding("malformed_envelope", m); };
  if (raw.length > MAX_ENTRY) bad("over 65536 bytes");
  const s = raw.toString("latin1"); // the grammar is ASCII; other bytes fail below
  let i = 0;
  const lit = (l) => { if (!s.startsWith(l, i)) bad(`want ${l} at ${i}`); i += l.length; };
  const until = () => {
    const j = s.indexOf('"', i);
    if (j < 0) bad("unterminated string");
    const v = s.slice(i, j);
    if (!/^[\x20-\x7e]*$/.test(v) || v.includes("\\")) bad("escape or non-printable byte");
    i = j;
    return v;
  };
  const b64 = () => { const v = canonicalBase64(until()); return v ?? bad("not canonical base64"); };
  lit('{"payloadType":"');
  const type = until();
  lit('","payload":"');
  const payload = b64();
  lit('","signatures":[');
  const sigs = [];
  if (s[i] !== "]") {
    for (;;) {
      lit('{"keyid":"');
      const keyid = until();
      lit('","sig":"');
      const sig = b64();
      lit('"}');
      if (!HEX64.test(keyid)) bad("keyid is not 64 lower-case hex digits");
      if (sig.length !== 64) bad("signature is not 64 bytes");
      if (sigs.some((x) => x.keyid === keyid)) bad("two signatures by one key");
      sigs.push({ keyid, sig });
      if (s[i] !== ",") break;
      i++;
    }
  }
  lit("]}");
  if (i !== s.length) bad("trailing data");
  return { type, payload, sigs };
}

const PAYLOAD_SCHEMA = { v: "int", id: "string", party: "string", seq: "uint", prev: "string", type: "string", time: "string", body: "any" };

function parsePayload(bytes) {
  const bad = (m) => { throw new Finding("malformed_payload", m); };
  let doc;
  try {
    doc = parseStrict(bytes);
  } catch (e) {
    bad(e.message);
  }
  if (!(doc instanceof Map)) bad("not an object");
  const p = {};
  for (const [k, v] of doc) {
    if (!Object.hasOwn(PAYLOAD_SCHEMA, k)) bad(`unknown member ${k}`);
    if (k === "body") { p.body = v; continue; }
    try {
      p[k] = decode(v, PAYLOAD_SCHEMA[k], k);
    } catch (e) {
      bad(e.message);
    }
  }
  for (const k of Object.keys(PAYLOAD_SCHEMA)) if (p[k] === undefined) bad(`${k} required`);
  if (p.v !== 1n) bad("v must be 1");
  if (!ULID.test(p.id)) bad("id is not a canonical ULID");
  if (!PARTY.test(p.party)) bad("bad party");
  if (p.seq < 1n) bad("seq must be at least 1");
  if (p.seq === 1n ? p.prev !== "" : !HEX64.test(p.prev)) bad("bad prev");
  p.timeKey = parseTime(p.time);
  if (p.timeKey === null) bad("bad time");
  if (!(p.body instanceof Map)) bad("body must be an object");
  return p;
}

// ---------------------------------------------------------------------------
// Bodies (SPEC §6)

const KEYREF = { keyid: "string", public: "string" };
const DOC = { url: "string", sha256: "string", title: "string", quote: "string" };
const SUMMIT_REF = { summit: "string", date: "string", source: DOC };
const SUMMITS = ["2015-los-angeles", "2016-beijing"];
const BOUNDARY_TYPES = ["community", "government_operations"];
const SCHEMAS = {
  "network.genesis": { origin: "string", name: "string", registrar_keys: ["array", KEYREF], log_key: "string" },
  "registrar.key_added": { key: KEYREF, reason: "string" },
  "registrar.key_revoked": { keyid: "string", reason: "string" },
  "party.enrolled": {
    kind: "string", names: ["map", "string"], country: "string", level: "string", parent: "string",
    codes: { iso3166_2: "string", unlocode: "string" }, keys: ["array", KEYREF],
    endorsements: ["array", SUMMIT_REF], participations: ["array", SUMMIT_REF],
  },
  "key.added": { key: KEYREF, reason: "string" },
  "key.revoked": { keyid: "string", reason: "string" },
  "endorsement.recorded": { summit: "string", date: "string", target_wording: "string", source: DOC },
  "target.set": {
    target_id: "string", type: "string", base_year: "int", base_emissions_tco2e: "decimal", target_year: "int",
    reduction_pct: "decimal", target_emissions_tco2e: "decimal", baseline_emissions_tco2e: "decimal", peak_year: "int",
    qualifier: "string", intensity_unit: "string", base_intensity: "decimal",
    milestones: ["array", { year: "int", target_emissions_tco2e: "decimal" }],
    coverage: { gases: ["array", "string"], sectors: ["array", "string"], scopes: ["array", "int"] }, boundary_type: "string",
    offsets: { allowed: "bool", max_pct: "decimal" }, legal_status: "string", year_set: "int", source: DOC, description: "string",
  },
  "target.withdrawn": { target_id: "string", reason: "string" },
  "inventory.reported": {
    year: "int", framework: "string", level: "string", gwp: "string",
    lines: ["array", { gpc_ref: "string", scope: "int", gas: "string", tco2e: "decimal", notation: "string", explanation: "string", quality: "string" }],
    total_tco2e: "decimal", restates: "string", source: DOC, boundary_type: "string", boundary: "string",
  },
  "plan.published": {
    plan_id: "string", version: "int", title: "string", adopted: "string", horizon_year: "int", document: DOC,
    actions: ["array", {
      action_id: "string", title: "string", sector: "string", kind: "string", status: "string",
      expected_reduction_tco2e_per_year: "decimal", hazards: ["array", "string"], cost: { amount: "decimal", currency: "string" },
    }],
  },
  "partnership.recorded": {
    partnership_id: "string", partners: ["array", "string"], instrument: "string", topics: ["array", "string"],
    signed: "string", description: "string", document: DOC,
  },
  "attestation.issued": {
    subject: { event_id: "string", hash: "string" }, standard: "string", assurance: "string",
    materiality_pct: "decimal", opinion: "string", summary: "string",
  },
  "event.retracted": { event_id: "string", reason: "string" },
};
const TYPES = Object.keys(SCHEMAS);

const GASES = ["CO2", "CH4", "N2O", "HFCs", "PFCs", "SF6", "NF3"];
const SECTORS = ["stationary_energy", "transportation", "waste", "ippu", "afolu", "other_scope3"];

// The GPC table of SPEC §6.8: ref → [scope, mark].
const GPC = new Map();
for (const sub of ["I.1", "I.2", "I.3", "I.4", "I.5", "I.6", "II.1", "II.2", "II.3", "II.4"]) {
  GPC.set(`${sub}.1`, [1, "B"]);
  GPC.set(`${sub}.2`, [2, "B"]);
  GPC.set(`${sub}.3`, [3, "B+"]);
}
GPC.set("I.4.4", [1, "T"]);
GPC.set("I.7.1", [1, "B"]);
GPC.set("I.8.1", [1, "B"]);
GPC.set("II.5.1", [1, "B"]);
GPC.set("II.5.2", [2, "B"]);
for (const n of [1, 2, 3, 4]) {
  GPC.set(`III.${n}.1`, [1, "B"]);
  GPC.set(`III.${n}.2`, [3, "B"]);
  GPC.set(`III.${n}.3`, [1, "T"]);
}
for (const r of ["IV.1", "IV.2", "V.1", "V.2", "V.3"]) GPC.set(r, [1, "B+"]);
GPC.set("VI.1", [3, "O"]);

// validateBody returns a list of problems (empty when the body is valid).
function validateBody(type, b) {
  const errs = [];
  const err = (m) => errs.push(m);
  const str = (x) => (x === undefined || x === "" ? undefined : x); // "" is absent
  const int = (x) => (x === undefined || x === 0n ? undefined : x); // 0 is absent for plain integers
  const text = (name, x, required, max, multiline) => {
    x = str(x);
    if (x === undefined) { if (required) err(`${name} required`); return false; }
    if (isBlank(x)) { err(`${name} blank`); return false; }
    if (hasControl(x, multiline)) { err(`${name} control character`); return false; }
    if (chars(x) > max) { err(`${name} too long`); return false; }
    return true;
  };
  const oneOf = (name, x, required, list) => {
    x = str(x);
    if (x === undefined) { if (required) err(`${name} required`); return false; }
    if (!list.includes(x)) { err(`${name} not allowed: ${x}`); return false; }
    return true;
  };
  const re = (name, x, required, pattern) => {
    x = str(x);
    if (x === undefined) { if (required) err(`${name} required`); return false; }
    if (!pattern.test(x)) { err(`${name} malformed`); return false; }
    return true;
  };
  const year = (name, y) => { if (y < 1990n || y > 2100n) { err(`${name} out of range`); return false; } return true; };
  const date = (name, x, required) => {
    x = str(x);
    if (x === undefined) { if (required) err(`${name} required`); return 0; }
    const m = DATE.exec(x);
    if (!m || !realDate(+m[1], +m[2], +m[3])) { err(`${name} not a date`); return 0; }
    if (+m[1] < 1990 || +m[1] > 2100) { err(`${name} year out of range`); return 0; }
    return +m[1];
  };
  const keyRef = (name, k) => {
    if (k === undefined) { err(`${name} required`); return false; }
    const pub = canonicalBase64(str(k.public) ?? "");
    if (!pub || pub.length !== 32 || str(k.keyid) !== keyID(pub)) { err(`${name} invalid key reference`); return false; }
    return true;
  };
  const keyList = (name, ks) => {
    if (ks === undefined || ks.length === 0) return err(`${name} required`);
    if (ks.length > 16) err(`${name} over 16`);
    const seen = new Set();
    ks.forEach((k, i) => {
      if (!keyRef(`${name}[${i}]`, k)) return;
      if (seen.has(k.keyid)) err(`${name}[${i}] duplicate`);
      seen.add(k.keyid);
    });
  };
  const distinct = (name, list) => { if (new Set(list).size !== list.length) err(`${name} duplicates`); };
  const listOf = (name, list, allowed) => {
    if (list.length === 0) return err(`${name} empty`);
    list.forEach((x, i) => oneOf(`${name}[${i}]`, x, true, allowed));
    distinct(name, list);
  };
  const url = (name, x) => {
    x = str(x);
    if (x === undefined) return err(`${name} required`);
    if (chars(x) > 2048 || hasSpace(x) || hasControl(x, false)) return err(`${name} bad characters`);
    const m = /^https?:\/\/([^/?#]*)/.exec(x);
    if (!m) return err(`${name} not an http(s) URL`);
    const auth = m[1];
    if (auth.includes("@")) return err(`${name} user information`);
    if (!/^(?:[A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])+(?::[0-9]*)?$/u.test(auth)) return err(`${name} bad authority`);
    if (/%(?![0-9A-Fa-f]{2})/.test(x)) return err(`${name} bad percent escape`);
  };
  const documentRef = (name, d) => {
    if (d === undefined) return;
    url(`${name}.url`, d.url);
    re(`${name}.sha256`, d.sha256, false, HEX64);
    text(`${name}.title`, d.title, false, 300, false);
    text(`${name}.quote`, d.quote, false, 1000, true);
  };
  const optionalList = (name, list) => { if (list !== undefined && list.length === 0) err(`${name} empty`); };

  switch (type) {
    case "network.genesis": {
      const o = str(b.origin);
      let originOK = false;
      if (o === undefined) err("origin required");
      else if (hasSpace(o) || hasControl(o, false) || o.includes("+") || chars(o) > 200) err("origin malformed");
      else originOK = true;
      text("name", b.name, true, 300, false);
      keyList("registrar_keys", b.registrar_keys);
      const lk = str(b.log_key);
      if (lk === undefined) { err("log_key required"); break; }
      const p1 = lk.indexOf("+"), p2 = p1 < 0 ? -1 : lk.indexOf("+", p1 + 1);
      if (p2 < 0) { err("log_key malformed"); break; }
      const name = lk.slice(0, p1), h = lk.slice(p1 + 1, p2), key = canonicalBase64(lk.slice(p2 + 1));
      if (name === "" || hasSpace(name) || !/^[0-9a-f]{8}$/.test(h) || !key || key.length !== 33 || key[0] !== 1) { err("log_key malformed"); break; }
      if (hex(sha256(Buffer.from(name + "\n", "utf8"), key).subarray(0, 4)) !== h) { err("log_key hash"); break; }
      if (originOK && name !== o) err("log_key name is not origin");
      break;
    }
    case "registrar.key_added":
    case "key.added":
      keyRef("key", b.key);
      text("reason", b.reason, false, 1000, true);
      break;
    case "registrar.key_revoked":
    case "key.revoked":
      re("keyid", b.keyid, true, HEX64);
      text("reason", b.reason, true, 1000, true);
      break;
    case "party.enrolled": {
      const kindOK = oneOf("kind", b.kind, true, ["jurisdiction", "verifier"]);
      const juris = kindOK && b.kind === "jurisdiction", verifier = kindOK && b.kind === "verifier";
      if (b.names === undefined || b.names.size === 0) err("names required");
      else {
        if (!b.names.has("en")) err("names.en required");
        if (b.names.size > 32) err("names over 32");
        for (const [tag, v] of b.names) {
          if (!/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/.test(tag)) err(`names.${tag} not a language tag`);
          else text(`names.${tag}`, v, true, 300, false);
        }
      }
      let country = "";
      if (verifier) re("country", b.country, false, /^[A-Z]{2}$/);
      else if (oneOf("country", b.country, juris, ["US", "CN"])) country = b.country;
      if (verifier) {
        if (str(b.level) !== undefined) err("level not allowed");
        if (str(b.parent) !== undefined) err("parent not allowed");
      } else {
        if (oneOf("level", b.level, juris, ["city", "county", "state", "province", "region", "municipality"]) && b.level === "municipality" && country !== "CN") err("level municipality only with country CN");
        re("parent", b.parent, false, PARTY);
      }
      if (b.codes !== undefined) {
        const iso = str(b.codes.iso3166_2), un = str(b.codes.unlocode);
        if (iso === undefined && un === undefined) err("codes empty");
        if (iso !== undefined && (!/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(iso) || (country && iso.slice(0, 2) !== country))) err("codes.iso3166_2");
        if (un !== undefined && (!/^[A-Z]{2} ?[A-Z2-9]{3}$/.test(un) || (country && un.slice(0, 2) !== country))) err("codes.unlocode");
      }
      keyList("keys", b.keys);
      if (verifier) {
        if (b.endorsements !== undefined) err("endorsements not allowed");
        if (b.participations !== undefined) err("participations not allowed");
        break;
      }
      // Endorsements and participations: each summit at most once across both lists.
      const named = [];
      for (const list of ["endorsements", "participations"]) {
        if (b[list] === undefined) continue;
        if (b[list].length === 0) err(`${list} empty`);
        if (b[list].length > 2) err(`${list} over 2`);
        b[list].forEach((e, i) => {
          if (oneOf(`${list}[${i}].summit`, e.summit, true, SUMMITS)) named.push(e.summit);
          date(`${list}[${i}].date`, e.date, true);
          documentRef(`${list}[${i}].source`, e.source);
        });
      }
      distinct("endorsement and participation summits", named);
      break;
    }
    case "endorsement.recorded":
      oneOf("summit", b.summit, true, ["2015-los-angeles", "2016-beijing"]);
      date("date", b.date, true);
      text("target_wording", b.target_wording, false, 4000, true);
      documentRef("source", b.source);
      break;
    case "target.set":
      validateTarget(b, { err, re, oneOf, text, year, documentRef, listOf });
      break;
    case "target.withdrawn":
      re("target_id", b.target_id, true, LOCAL_ID);
      text("reason", b.reason, true, 1000, true);
      break;
    case "inventory.reported": {
      const y = int(b.year);
      if (y === undefined) err("year required");
      else year("year", y);
      const fwOK = oneOf("framework", b.framework, true, ["GPC", "IPCC2006", "national"]);
      let level = "";
      if (oneOf("level", b.level, true, ["BASIC", "BASIC+", "territorial"])) {
        const gpcLevel = b.level !== "territorial";
        if (fwOK && gpcLevel !== (b.framework === "GPC")) err("level does not fit the framework");
        else level = b.level;
      }
      oneOf("gwp", b.gwp, true, ["AR4", "AR5", "AR6"]);
      const lines = b.lines ?? [];
      if (lines.length === 0 && b.framework === "GPC") err("lines required");
      else optionalList("lines", b.lines);
      if (lines.length > 1000) err("lines over 1000");
      let sum = 0n;
      const seen = new Set(), aggregated = new Set(), perGas = new Set();
      lines.forEach((l, i) => {
        const p = `lines[${i}]`;
        const ref = str(l.gpc_ref), row = GPC.get(ref);
        if (ref === undefined) err(`${p}.gpc_ref required`);
        else if (!row) err(`${p}.gpc_ref unknown`);
        else if (level && !(level === "BASIC" ? row[1] === "B" : level === "BASIC+" ? row[1] === "B" || row[1] === "B+" : row[0] === 1)) err(`${p}.gpc_ref not in level`);
        const scope = int(l.scope);
        if (scope === undefined) err(`${p}.scope required`);
        else if (scope < 1n || scope > 3n || (row && scope !== BigInt(row[0]))) err(`${p}.scope`);
        const gasOK = oneOf(`${p}.gas`, l.gas, true, [...GASES, "CO2e"]);
        const notation = str(l.notation);
        if (l.tco2e === undefined && notation === undefined) err(`${p}.tco2e or notation required`);
        if (l.tco2e !== undefined && l.tco2e < 0n && ref !== "V.2") err(`${p}.tco2e negative`);
        if (l.tco2e !== undefined && notation !== undefined) err(`${p} both tco2e and notation`);
        if (notation !== undefined) oneOf(`${p}.notation`, notation, true, ["NO", "IE", "NE", "C"]);
        if (notation !== undefined) text(`${p}.explanation`, l.explanation, true, 1000, true);
        else if (str(l.explanation) !== undefined) err(`${p}.explanation only with a notation key`);
        oneOf(`${p}.quality`, l.quality, false, ["H", "M", "L"]);
        if (l.tco2e !== undefined) sum += l.tco2e;
        if (!row || !gasOK) return;
        const k = `${ref} ${l.gas}`;
        if (seen.has(k)) return err(`${p} duplicate gpc_ref and gas`);
        seen.add(k);
        if (l.gas === "CO2e") {
          if (perGas.has(ref)) return err(`${p} CO2e line after per-gas lines`);
          aggregated.add(ref);
        } else {
          if (aggregated.has(ref)) return err(`${p} per-gas line after a CO2e line`);
          perGas.add(ref);
        }
      });
      if (b.total_tco2e === undefined) err("total_tco2e required");
      else if (lines.length > 0) { if (sum !== b.total_tco2e) err("total_tco2e is not the sum of the lines"); }
      else if (b.total_tco2e < 0n) err("total_tco2e negative");
      re("restates", b.restates, false, ULID);
      documentRef("source", b.source);
      oneOf("boundary_type", b.boundary_type, false, BOUNDARY_TYPES);
      text("boundary", b.boundary, false, 4000, true);
      break;
    }
    case "plan.published": {
      re("plan_id", b.plan_id, true, LOCAL_ID);
      const v = int(b.version);
      if (v === undefined) err("version required");
      else if (v < 1n) err("version below 1");
      text("title", b.title, true, 300, false);
      const adopted = date("adopted", b.adopted, true);
      const hy = int(b.horizon_year);
      if (hy === undefined) err("horizon_year required");
      else if (year("horizon_year", hy) && adopted && hy < BigInt(adopted)) err("horizon_year before adopted");
      documentRef("document", b.document);
      optionalList("actions", b.actions);
      const actions = b.actions ?? [];
      if (actions.length > 500) err("actions over 500");
      distinct("action ids", actions.map((a) => a.action_id).filter((x) => str(x)));
      actions.forEach((a, i) => {
        const p = `actions[${i}]`;
        re(`${p}.action_id`, a.action_id, true, LOCAL_ID);
        text(`${p}.title`, a.title, true, 300, false);
        oneOf(`${p}.sector`, a.sector, true, ["stationary_energy", "transportation", "waste", "ippu", "afolu", "cross_cutting"]);
        oneOf(`${p}.kind`, a.kind, true, ["mitigation", "adaptation"]);
        oneOf(`${p}.status`, a.status, true, ["planned", "in_progress", "completed", "cancelled"]);
        const er = a.expected_reduction_tco2e_per_year;
        if (er !== undefined && (a.kind !== "mitigation" || er < 0n)) err(`${p}.expected_reduction_tco2e_per_year`);
        if (a.hazards !== undefined) {
          if (a.kind !== "adaptation") err(`${p}.hazards only for adaptation`);
          else listOf(`${p}.hazards`, a.hazards, ["extreme_heat", "drought", "flood", "sea_level_rise", "wildfire", "storm", "water_scarcity", "other"]);
        }
        if (a.cost !== undefined) {
          if (a.cost.amount === undefined) err(`${p}.cost.amount required`);
          else if (a.cost.amount < 0n) err(`${p}.cost.amount negative`);
          re(`${p}.cost.currency`, a.cost.currency, true, /^[A-Z]{3}$/);
        }
      });
      break;
    }
    case "partnership.recorded": {
      re("partnership_id", b.partnership_id, true, LOCAL_ID);
      const partners = b.partners ?? [];
      if (partners.length < 2 || partners.length > 16) err("partners: want 2 to 16");
      partners.forEach((p, i) => re(`partners[${i}]`, p, true, PARTY));
      distinct("partners", partners);
      oneOf("instrument", b.instrument, true, ["mou", "sister_city", "network", "workshop", "exchange", "joint_project"]);
      const topics = b.topics ?? [];
      if (topics.length < 1 || topics.length > 32) err("topics: want 1 to 32");
      topics.forEach((t, i) => text(`topics[${i}]`, t, true, 100, false));
      distinct("topics", topics);
      date("signed", b.signed, true);
      text("description", b.description, false, 4000, true);
      documentRef("document", b.document);
      break;
    }
    case "attestation.issued": {
      const s = b.subject ?? {};
      re("subject.event_id", s.event_id, true, ULID);
      re("subject.hash", s.hash, true, HEX64);
      text("standard", b.standard, true, 300, false);
      oneOf("assurance", b.assurance, true, ["limited", "reasonable"]);
      if (b.materiality_pct !== undefined && (b.materiality_pct <= 0n || b.materiality_pct > 100000n)) err("materiality_pct");
      oneOf("opinion", b.opinion, true, ["unmodified", "modified", "adverse", "disclaimer"]);
      text("summary", b.summary, false, 4000, true);
      break;
    }
    case "event.retracted":
      re("event_id", b.event_id, true, ULID);
      text("reason", b.reason, true, 1000, true);
      break;
  }
  return errs;
}

// boundaryOf is an inventory's boundary_type as it counts (absent: community).
const boundaryOf = (b) => (b.boundary_type === undefined || b.boundary_type === "" ? "community" : b.boundary_type);

// The table of SPEC §6.6: R required, O optional, - not used.
const TARGET_USES = {
  //                    base_year base_em target_year reduction target_em baseline peak qualifier unit base_int milestones
  base_year_absolute: "ROROO------",
  fixed_level: "OOR-R------",
  base_year_intensity: "R-RR----RO-",
  baseline_scenario: "--RR-O-----",
  trajectory: "OOO-------R",
  peak: "--O---RR---",
  net_zero: "OOR--------",
};
const TARGET_FIELDS = ["base_year", "base_emissions_tco2e", "target_year", "reduction_pct", "target_emissions_tco2e",
  "baseline_emissions_tco2e", "peak_year", "qualifier", "intensity_unit", "base_intensity", "milestones"];

function validateTarget(b, { err, re, oneOf, text, year, documentRef, listOf }) {
  re("target_id", b.target_id, true, LOCAL_ID);
  oneOf("legal_status", b.legal_status, true, ["pledge", "policy", "law"]);
  documentRef("source", b.source);
  text("description", b.description, false, 4000, true);
  oneOf("boundary_type", b.boundary_type, false, BOUNDARY_TYPES);
  const present = (f) => (typeof b[f] === "string" ? b[f] !== "" : b[f] !== undefined);
  if (b.coverage !== undefined) {
    const c = b.coverage;
    if (c.gases === undefined && c.sectors === undefined && c.scopes === undefined) err("coverage empty");
    if (c.gases !== undefined) listOf("coverage.gases", c.gases, GASES);
    if (c.sectors !== undefined) listOf("coverage.sectors", c.sectors, SECTORS);
    if (c.scopes !== undefined) {
      if (c.scopes.length === 0) err("coverage.scopes empty");
      if (c.scopes.some((s) => s < 1n || s > 3n)) err("coverage.scopes not a scope");
      if (new Set(c.scopes).size !== c.scopes.length) err("coverage.scopes duplicates");
    }
  }
  if (b.offsets?.max_pct !== undefined) {
    if (b.offsets.allowed !== true) err("offsets.max_pct only when allowed");
    else if (b.offsets.max_pct < 0n || b.offsets.max_pct > 100000n) err("offsets.max_pct");
  }
  if (!oneOf("type", b.type, true, Object.keys(TARGET_USES))) return;
  const use = TARGET_USES[b.type];
  TARGET_FIELDS.forEach((f, k) => {
    if (use[k] === "R" && !present(f)) err(`${f} required for ${b.type}`);
    if (use[k] === "-" && present(f)) err(`${f} not used by ${b.type}`);
  });
  for (const f of ["base_year", "target_year", "peak_year", "year_set"]) if (b[f] !== undefined) year(f, b[f]);
  for (const f of ["base_emissions_tco2e", "baseline_emissions_tco2e", "base_intensity"]) if (b[f] !== undefined && b[f] <= 0n) err(`${f} not > 0`);
  if (b.target_emissions_tco2e !== undefined && b.target_emissions_tco2e < 0n) err("target_emissions_tco2e negative");
  if (b.reduction_pct !== undefined && (b.reduction_pct < 0n || b.reduction_pct > 100000n)) err("reduction_pct");
  if (b.target_year !== undefined && b.base_year !== undefined && b.target_year <= b.base_year) err("target_year not after base_year");
  if (["fixed_level", "trajectory", "net_zero"].includes(b.type) && (b.base_year === undefined) !== (b.base_emissions_tco2e === undefined)) err("base_year and base_emissions_tco2e together");
  if (b.type === "base_year_absolute") {
    if ((b.reduction_pct === undefined) === (b.target_emissions_tco2e === undefined)) err("exactly one of reduction_pct and target_emissions_tco2e");
    if (b.target_emissions_tco2e !== undefined && b.base_emissions_tco2e !== undefined && b.target_emissions_tco2e > b.base_emissions_tco2e) err("target_emissions_tco2e above base");
  }
  if (b.type === "peak") {
    oneOf("qualifier", b.qualifier, true, ["by", "before", "around"]);
    if (b.target_year !== undefined && b.target_year !== b.peak_year) err("target_year is not peak_year");
  }
  if (b.type === "base_year_intensity") text("intensity_unit", b.intensity_unit, true, 100, false);
  let lastMilestone;
  if (b.type === "trajectory" && b.milestones !== undefined) {
    const ms = b.milestones;
    if (ms.length < 2 || ms.length > 100) err("milestones: want 2 to 100");
    let prev = b.base_year;
    for (const m of ms) {
      if (m.year === undefined || m.year === 0n) err("milestone year required");
      else if (year("milestone year", m.year) && prev !== undefined && m.year <= prev) err("milestone years must increase");
      prev = m.year;
      if (m.target_emissions_tco2e === undefined) err("milestone target_emissions_tco2e required");
      else if (m.target_emissions_tco2e < 0n) err("milestone target_emissions_tco2e negative");
    }
    lastMilestone = ms.at(-1)?.year;
    if (b.target_year !== undefined && b.target_year !== lastMilestone) err("target_year is not the last milestone year");
  }
  const end = b.target_year ?? (b.type === "peak" ? b.peak_year : b.type === "trajectory" ? lastMilestone : undefined);
  if (b.year_set !== undefined && end !== undefined && b.year_set > end) err("year_set after the end year");
}

// parseEntry is SPEC §7.1: it returns the parsed entry or throws a Finding.
function parseEntry(raw) {
  const env = parseEnvelope(raw);
  if (env.type !== PAYLOAD_TYPE) throw new Finding("wrong_payload_type", env.type);
  if (env.sigs.length === 0) throw new Finding("no_signatures", "no signatures");
  const p = parsePayload(env.payload);
  if (!TYPES.includes(p.type)) throw new Finding("unknown_type", p.type);
  let body;
  try {
    body = decode(p.body, SCHEMAS[p.type], "body");
  } catch (e) {
    throw new Finding("invalid_body", e.message);
  }
  const errs = validateBody(p.type, body);
  if (errs.length) throw new Finding("invalid_body", errs.join("; "));
  return { ...env, p, body, hash: hex(sha256(env.payload)), pae: pae(env.type, env.payload) };
}

// ---------------------------------------------------------------------------
// Replay (SPEC §7.2)

class Registry {
  constructor() {
    this.genesis = false;
    this.parties = new Map(); // id → {kind, seq, head, timeKey, keys: [], targets: Map, plans: Map}
    this.keys = new Map(); // keyid → {pub, owner, revoked}
    this.events = new Map(); // id → {hash, party, type, year, retracted}
  }

  // check returns null (valid) or a finding code.
  check(e) {
    const p = e.p, b = e.body, party = this.parties.get(p.party);
    if (!this.genesis && p.type !== "network.genesis") return "no_genesis";
    if (this.events.has(p.id)) return "duplicate_id";
    if (!party && p.type !== "network.genesis" && p.type !== "party.enrolled") return "not_enrolled";
    const headSeq = party ? party.seq : 0n;
    if (p.seq !== headSeq + 1n) return "chain_break";
    if (p.seq > 1n && p.prev !== party.head) return "chain_break";
    const perm = this.permission(e, party);
    if (perm) return perm;
    const sig = this.signatures(e);
    if (sig) return sig;
    if (p.seq > 1n && p.timeKey < party.timeKey) return "time_backwards";
    return this.references(e, b, party);
  }

  permission(e, party) {
    const p = e.p, onNetwork = p.party === "network";
    if (p.type === "network.genesis") return !onNetwork || party ? "not_permitted" : null;
    if (p.type === "registrar.key_added" || p.type === "registrar.key_revoked") return onNetwork ? null : "not_permitted";
    if (onNetwork) return "not_permitted";
    if (p.type === "party.enrolled") return party ? "not_permitted" : null;
    if (p.type === "attestation.issued" && party.kind !== "verifier") return "not_permitted";
    if (["endorsement.recorded", "target.set", "target.withdrawn", "inventory.reported", "plan.published", "partnership.recorded"].includes(p.type) && party.kind !== "jurisdiction") return "not_permitted";
    if (p.type === "partnership.recorded" && !e.body.partners.includes(p.party)) return "not_permitted";
    return null;
  }

  sigVerifies(e, keyid, pub) {
    const s = e.sigs.find((x) => x.keyid === keyid);
    return s !== undefined && ed25519Verify(pub, e.pae, s.sig);
  }

  authorise(e, owner) {
    let revoked = false;
    for (const s of e.sigs) {
      const k = this.keys.get(s.keyid);
      if (!k || k.owner !== owner) continue;
      if (k.revoked) { revoked = true; continue; }
      return ed25519Verify(k.pub, e.pae, s.sig) ? null : "bad_signature";
    }
    if (!this.parties.has(owner)) return "not_enrolled";
    return revoked ? "key_revoked" : "key_not_authorized";
  }

  require(e, ref) {
    const s = e.sigs.find((x) => x.keyid === ref.keyid);
    if (!s) return "missing_signature";
    return ed25519Verify(canonicalBase64(ref.public), e.pae, s.sig) ? null : "bad_signature";
  }

  signatures(e) {
    const p = e.p, b = e.body;
    switch (p.type) {
      case "network.genesis":
        for (const k of b.registrar_keys) { const f = this.require(e, k); if (f) return f; }
        return null;
      case "registrar.key_added":
      case "registrar.key_revoked":
        return this.authorise(e, "network");
      case "party.enrolled": {
        const f = this.authorise(e, "network");
        if (f) return f;
        for (const k of b.keys) { const g = this.require(e, k); if (g) return g; }
        return null;
      }
      case "key.added":
        return this.authorise(e, p.party) ?? this.require(e, b.key);
      case "key.revoked": {
        const f = this.authorise(e, p.party);
        if ((f === "key_not_authorized" || f === "key_revoked") && this.authorise(e, "network") === null) return null;
        return f;
      }
      case "partnership.recorded": {
        const f = this.authorise(e, p.party);
        if (f) return f;
        for (const partner of b.partners) {
          if (partner === p.party) continue;
          const pp = this.parties.get(partner);
          if (!pp || pp.kind !== "jurisdiction") return "not_enrolled";
          const g = this.authorise(e, partner);
          if (g === "key_not_authorized" || g === "key_revoked") return "missing_partner_signature";
          if (g) return g;
        }
        return null;
      }
      default:
        return this.authorise(e, p.party);
    }
  }

  revocation(keyid, owner) {
    const k = this.keys.get(keyid);
    if (!k || k.owner !== owner || k.revoked) return "bad_reference";
    const active = this.parties.get(owner).keys.filter((id) => !this.keys.get(id).revoked).length;
    return active === 1 ? "not_permitted" : null;
  }

  own(id, party) {
    const ev = this.events.get(id);
    if (!ev || ev.party !== party || ev.retracted) return null;
    return ev;
  }

  references(e, b, party) {
    const p = e.p;
    switch (p.type) {
      case "network.genesis":
        return b.registrar_keys.some((k) => this.keys.has(k.keyid)) ? "not_permitted" : null;
      case "registrar.key_added":
      case "key.added":
        return this.keys.has(b.key.keyid) ? "not_permitted" : null;
      case "party.enrolled":
        return b.keys.some((k) => this.keys.has(k.keyid)) ? "not_permitted" : null;
      case "registrar.key_revoked":
        return this.revocation(b.keyid, "network");
      case "key.revoked":
        return this.revocation(b.keyid, p.party);
      case "target.withdrawn":
        return party.targets.get(b.target_id) === true ? null : "bad_reference";
      case "plan.published":
        return b.version > (party.plans.get(b.plan_id) ?? 0n) ? null : "bad_reference";
      case "inventory.reported": {
        if (!b.restates) return null;
        const ev = this.own(b.restates, p.party);
        // A restatement recalculates an inventory of the same year and boundary.
        return ev && ev.type === "inventory.reported" && ev.year === b.year && ev.boundary === boundaryOf(b) ? null : "bad_reference";
      }
      case "event.retracted": {
        const ev = this.own(b.event_id, p.party);
        return ev && !["party.enrolled", "key.added", "key.revoked", "event.retracted"].includes(ev.type) ? null : "bad_reference";
      }
      case "attestation.issued": {
        const ev = this.events.get(b.subject.event_id);
        return ev && ev.hash === b.subject.hash && !ev.retracted ? null : "bad_reference";
      }
    }
    return null;
  }

  apply(e) {
    const f = this.check(e);
    if (f) return f;
    const p = e.p, b = e.body;
    let party = this.parties.get(p.party);
    if (!party) {
      party = { kind: "", seq: 0n, head: "", timeKey: "", keys: [], targets: new Map(), plans: new Map() };
      this.parties.set(p.party, party);
    }
    Object.assign(party, { seq: p.seq, head: e.hash, timeKey: p.timeKey });
    const register = (owner, ref) => {
      this.keys.set(ref.keyid, { pub: canonicalBase64(ref.public), owner, revoked: false });
      this.parties.get(owner).keys.push(ref.keyid);
    };
    switch (p.type) {
      case "network.genesis":
        this.genesis = true;
        party.kind = "network";
        b.registrar_keys.forEach((k) => register("network", k));
        break;
      case "party.enrolled":
        party.kind = b.kind;
        b.keys.forEach((k) => register(p.party, k));
        break;
      case "registrar.key_added":
      case "key.added":
        register(p.party, b.key);
        break;
      case "registrar.key_revoked":
      case "key.revoked":
        this.keys.get(b.keyid).revoked = true;
        break;
      case "target.set":
        party.targets.set(b.target_id, true);
        break;
      case "target.withdrawn":
        party.targets.set(b.target_id, false);
        break;
      case "plan.published":
        party.plans.set(b.plan_id, b.version);
        break;
      case "event.retracted":
        this.events.get(b.event_id).retracted = true;
        break;
    }
    this.events.set(p.id, { hash: e.hash, party: p.party, type: p.type, year: b.year, boundary: boundaryOf(b), retracted: false });
    return null;
  }
}

// replay returns the outcome of each entry ("valid" or a finding code) and its payload hash.
function replay(entries) {
  const reg = new Registry();
  return entries.map((raw) => {
    let e;
    try {
      e = parseEntry(raw);
    } catch (err) {
      if (!(err instanceof Finding)) throw err;
      let hash = "";
      if (err.code !== "malformed_envelope") hash = hex(sha256(parseEnvelope(raw).payload));
      return { outcome: err.code, hash, reason: err.message };
    }
    return { outcome: reg.apply(e) ?? "valid", hash: e.hash };
  });
}

// ---------------------------------------------------------------------------
// Checkpoints and witness cosignatures: see checkpoint.mjs (SPEC §5.2, §10)

// runCheckpoint checks one checkpoint file and prints the verdict.
function runCheckpoint(file, policy) {
  try {
    const r = checkCheckpoint(readFileSync(file), policy.logKey, policy.witnesses, policy.quorum);
    const c = r.checkpoint;
    console.log(`OK ${file}: ${c.origin} size ${c.size} root ${c.root.toString("base64")}, signed by the log key ${policy.logKey.id}`);
    console.log(policy.witnesses.length ? `witnesses: ${r.summary}` : "witnesses: none required (no --witness given)");
    return true;
  } catch (err) {
    if (!(err instanceof CheckpointError)) throw err;
    console.log(`FAILED ${err.code} ${file}: ${err.message}`);
    return false;
  }
}

// runCheckpointCases reads {"log_key", "witnesses": [...], "quorum", "checkpoints":
// [base64 of a signed note, …]} and prints one verdict per checkpoint (used by a
// cross-language test).
function runCheckpointCases(file) {
  const c = JSON.parse(readFileSync(file, "utf8"));
  const policy = parsePolicy(c.log_key, c.witnesses, String(c.quorum));
  const out = c.checkpoints.map((b64) => {
    try {
      checkCheckpoint(Buffer.from(b64, "base64"), policy.logKey, policy.witnesses, policy.quorum);
      return "ok";
    } catch (err) {
      if (err instanceof CheckpointError) return err.code;
      throw err;
    }
  });
  process.stdout.write(out.join("\n") + "\n");
  return true;
}

// ---------------------------------------------------------------------------
// Main

const CODES = ["malformed_envelope", "wrong_payload_type", "no_signatures", "malformed_payload", "unknown_type",
  "invalid_body", "no_genesis", "not_enrolled", "not_permitted", "chain_break", "duplicate_id", "time_backwards",
  "bad_signature", "key_not_authorized", "key_revoked", "missing_signature", "missing_partner_signature", "bad_reference"];

function runVectors(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  let failed = 0;
  const byOutcome = new Map();
  for (const f of files) {
    const problems = [];
    const v = JSON.parse(readFileSync(join(dir, f), "utf8"));
    if (v.expect !== "valid" && !CODES.includes(v.expect)) problems.push(`expect ${v.expect} is not in the closed set`);
    for (const k of v.keys) {
      const pub = canonicalBase64(k.public);
      if (!pub || pub.length !== 32 || keyID(pub) !== k.keyid) problems.push(`key ${k.keyid} does not match its public key`);
    }
    const got = replay(v.entries.map((s) => Buffer.from(s, "utf8")));
    got.forEach((g, i) => {
      const want = i === got.length - 1 ? v.expect : "valid";
      if (g.outcome !== want) problems.push(`entry ${i}: ${g.outcome} (${g.reason ?? ""}), want ${want}`);
      if (g.hash !== v.hashes[i]) problems.push(`entry ${i}: hash ${g.hash}, want ${v.hashes[i]}`);
    });
    byOutcome.set(v.expect, (byOutcome.get(v.expect) ?? 0) + 1);
    if (problems.length) {
      failed++;
      console.log(`FAIL ${f}\n  ${problems.join("\n  ")}`);
    }
  }
  console.log(`${files.length - failed}/${files.length} vectors agree (${[...byOutcome].map(([k, n]) => `${k} ${n}`).join(", ")})`);
  return failed === 0 && files.length > 0;
}

function runLog(file) {
  const lines = readFileSync(file);
  const entries = [];
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === 0x0a) { entries.push(lines.subarray(start, i)); start = i + 1; }
  }
  if (start !== lines.length) { console.log("log.jsonl does not end with a newline"); return false; }
  replay(entries).forEach((r, i) => console.log(`${i}\t${r.outcome}\t${r.hash}`));
  return true;
}

function runCases(file) {
  const { prefixes, cases } = JSON.parse(readFileSync(file, "utf8"));
  const regs = prefixes.map((entries) => {
    const reg = new Registry();
    for (const raw of entries) {
      const f = reg.apply(parseEntry(Buffer.from(raw, "utf8")));
      if (f) throw new Error(`prefix entry: ${f}`);
    }
    return reg;
  });
  const out = cases.map(([i, raw]) => {
    try {
      return regs[i].check(parseEntry(Buffer.from(raw, "utf8"))) ?? "valid";
    } catch (err) {
      if (err instanceof Finding) return err.code;
      throw err;
    }
  });
  process.stdout.write(out.join("\n") + "\n");
  return true;
}

const USAGE = `usage: node verify.mjs DIR | --log FILE | --cases FILE
       node verify.mjs --checkpoint FILE --log-key KEY [--witness VKEY]... [--witness-quorum K]
       node verify.mjs --checkpoint-cases FILE`;

// parseCheckpointArgs reads the flags of --checkpoint; null on a usage error.
function parseCheckpointArgs(args) {
  const o = { witnesses: [] };
  for (let i = 0; i < args.length; i += 2) {
    const [k, v] = [args[i], args[i + 1]];
    if (v === undefined) return null;
    if (k === "--checkpoint" && o.file === undefined) o.file = v;
    else if (k === "--log-key" && o.logKey === undefined) o.logKey = v;
    else if (k === "--witness") o.witnesses.push(v);
    else if (k === "--witness-quorum" && o.quorum === undefined) o.quorum = v;
    else return null;
  }
  return o.file !== undefined && o.logKey !== undefined ? o : null;
}

const args = process.argv.slice(2);
let ok = null;
try {
  if (args[0] === "--log" && args.length === 2) ok = runLog(args[1]);
  else if (args[0] === "--cases" && args.length === 2) ok = runCases(args[1]);
  else if (args[0] === "--checkpoint-cases" && args.length === 2) ok = runCheckpointCases(args[1]);
  else if (args.includes("--checkpoint")) {
    const o = parseCheckpointArgs(args);
    if (o) ok = runCheckpoint(o.file, parsePolicy(o.logKey, o.witnesses, o.quorum));
    else console.error(USAGE);
  } else if (args.length === 1) ok = runVectors(args[0]);
  else console.error(USAGE);
} catch (err) {
  if (err instanceof UsageError) {
    console.error(`usage: ${err.message}`); // a bad key or quorum on the command line
    ok = null;
  } else {
    console.error(`error: ${err.message}`); // an unreadable file
    ok = false;
  }
}
// exitCode, not exit(): exit() could cut off output still queued for a pipe.
process.exitCode = ok === null ? 2 : ok ? 0 : 1;
