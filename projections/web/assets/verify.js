// climateledger dashboard: verification in the reader's browser, with WebCrypto only
// (SHA-256 and Ed25519; no library). It follows docs/SPEC.md: the DSSE envelope and
// its PAE (§3), the leaf hash and RFC 6962 inclusion and consistency proofs (§4),
// signed-note checkpoints and the log key (§5.1–5.3), and witness cosignatures
// (cosignature/v1) with a quorum (§10); docs/verifiers/node/checkpoint.mjs is the
// reference it was adapted from. Nothing here touches the page: CL.verify is a set of
// functions, and verifyEvent runs the checks in order and says which one failed.
(function (CL) {
  'use strict';

  const enc = new TextEncoder();
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const PAYLOAD_TYPE = 'application/vnd.climateledger.event.v1+json';

  // VerifyError is a failed check: step names it ("signatures", "leaf", "inclusion",
  // "checkpoint", "witnesses", "consistency"), code says how.
  class VerifyError extends Error {
    constructor(step, code, message) {
      super(message);
      this.step = step;
      this.code = code;
    }
  }

  // ---- bytes ----

  function concat() {
    let n = 0;
    for (const a of arguments) n += a.length;
    const out = new Uint8Array(n);
    let i = 0;
    for (const a of arguments) { out.set(a, i); i += a.length; }
    return out;
  }
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
  // b64 returns the bytes of canonical standard base64 (SPEC conventions), or null.
  function b64(s) {
    if (typeof s !== 'string' || !B64.test(s)) return null;
    const bin = atob(s);
    const b = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return toB64(b) === s ? b : null;
  }
  // laxB64 accepts any well-padded base64 (signature lines of a signed note).
  function laxB64(s) {
    if (typeof s !== 'string' || !B64.test(s)) return null;
    const bin = atob(s);
    const b = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
    return b;
  }
  function toB64(b) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return btoa(s);
  }
  // u64 reads 8 bytes big-endian as a BigInt.
  function u64(b, off) {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(b[off + i]);
    return v;
  }

  // ---- hashes and signatures ----

  const subtle = () => {
    if (!window.crypto || !window.crypto.subtle) throw new VerifyError('setup', 'unsupported', 'WebCrypto is not available here (it needs a secure context: HTTPS or localhost)');
    return window.crypto.subtle;
  };
  async function sha256(bytes) { return new Uint8Array(await subtle().digest('SHA-256', bytes)); }
  const leafHash = (entry) => sha256(concat(Uint8Array.of(0), entry));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // ed25519 verifies an Ed25519 signature (RFC 8032, as WebCrypto does it: S below the
  // group order, the cofactorless check). A key that is not a point is false; a
  // browser without Ed25519 throws VerifyError "unsupported".
  async function ed25519(pub, msg, sig) {
    if (pub.length !== 32 || sig.length !== 64) return false;
    let key;
    try {
      key = await subtle().importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      if (e && e.name === 'NotSupportedError') throw new VerifyError('setup', 'unsupported', 'this browser cannot check Ed25519 signatures');
      return false;
    }
    try {
      return await subtle().verify({ name: 'Ed25519' }, key, sig, msg);
    } catch (e) {
      return false;
    }
  }

  // pae is the DSSE pre-authentication encoding (SPEC §3.1).
  function pae(type, payload) {
    const t = enc.encode(type);
    return concat(enc.encode('DSSEv1 ' + t.length + ' '), t, enc.encode(' ' + payload.length + ' '), payload);
  }

  // ---- keys ----

  const hasSpace = (s) => /\p{White_Space}/u.test(s);
  const hasControl = (s) => /\p{Cc}/u.test(s);
  const validName = (n) => n.length > 0 && !hasSpace(n) && !n.includes('+');
  const validOrigin = (n) => validName(n) && !hasControl(n);
  async function keyHash(name, type, pub) {
    return hex((await sha256(concat(enc.encode(name + '\n'), Uint8Array.of(type), pub))).subarray(0, 4));
  }
  // parseVKey parses a signed-note verifier key "<name>+<key hash>+<base64(type ‖ key)>"
  // of type 0x01 (log) or 0x04 (witness); it throws a VerifyError (step) naming what is
  // wrong.
  async function parseVKey(s, type, step) {
    s = String(s || '').trim();
    const i = s.indexOf('+');
    const j = i < 0 ? -1 : s.indexOf('+', i + 1);
    if (j < 0) throw new VerifyError(step, 'bad_key', 'not a key <name>+<hash>+<base64>: ' + s);
    const name = s.slice(0, i), hash = s.slice(i + 1, j), b = b64(s.slice(j + 1));
    if (!validOrigin(name) || !/^[0-9a-f]{8}$/.test(hash) || !b || b.length !== 33 || b[0] !== type) {
      throw new VerifyError(step, 'bad_key', 'not a well-formed key of type 0x0' + type + ': ' + s);
    }
    const pub = b.subarray(1);
    if (await keyHash(name, type, pub) !== hash) throw new VerifyError(step, 'bad_key', 'the key hash does not match the name and key: ' + s);
    return { name: name, hash: hash, pub: pub, id: name + '+' + hash, vkey: s };
  }
  // fingerprint is SHA-256 of a 32-byte public key, in groups of four hex digits.
  async function fingerprint(pub) {
    return hex(await sha256(pub)).match(/.{4}/g).join(' ');
  }

  // ---- the tlog-proof and the signed note ----

  // parseProof reads a tlog-proof (SPEC §5.3): the entry, its index, the inclusion
  // path and the signed checkpoint's bytes.
  function parseProof(bytes) {
    const bad = (why) => new VerifyError('leaf', 'malformed_proof', 'the proof is not a tlog-proof: ' + why);
    let text;
    try { text = utf8.decode(bytes); } catch (e) { throw bad('not UTF-8'); }
    const lines = text.split('\n');
    if (lines[0] !== 'c2sp.org/tlog-proof@v1') throw bad('first line');
    const m = /^extra (.*)$/.exec(lines[1] || '');
    const entry = m && b64(m[1]);
    if (!entry) throw bad('extra line');
    const im = /^index (0|[1-9][0-9]*)$/.exec(lines[2] || '');
    if (!im) throw bad('index line');
    const path = [];
    let i = 3;
    for (; i < lines.length && lines[i] !== ''; i++) {
      const h = b64(lines[i]);
      if (!h || h.length !== 32) throw bad('path hash ' + (i - 2));
      path.push(h);
    }
    if (i >= lines.length || path.length > 64) throw bad('no blank line before the checkpoint');
    // The checkpoint is every byte after the blank line.
    let off = 0;
    for (let k = 0; k <= i; k++) off += enc.encode(lines[k]).length + 1;
    return { entry: entry, index: Number(im[1]), path: path, checkpoint: bytes.subarray(off) };
  }

  const SIG_PREFIX = enc.encode('\u2014 ');
  // openNote splits a signed note (C2SP signed-note, SPEC §5.2 and §10.3): valid UTF-8
  // without control characters but newline, the text up to the last blank line, then
  // 1 to 100 lines "— <name> <base64>" of at least 5 bytes.
  function openNote(b, step) {
    const bad = (why) => new VerifyError(step, 'malformed', 'the checkpoint is not a signed note: ' + why);
    let s;
    try { s = utf8.decode(b); } catch (e) { throw bad('not UTF-8'); }
    for (const c of s) if (c.codePointAt(0) < 0x20 && c !== '\n') throw bad('a control character');
    const split = s.lastIndexOf('\n\n');
    if (split < 0) throw bad('no blank line');
    const textStr = s.slice(0, split + 1);
    const sigs = s.slice(split + 2);
    if (!sigs.endsWith('\n')) throw bad('no signature');
    const lines = [];
    for (const line of sigs.slice(0, -1).split('\n')) {
      const lb = enc.encode(line);
      if (!equal(lb.subarray(0, SIG_PREFIX.length), SIG_PREFIX)) throw bad('a signature line does not start with an em dash');
      const rest = line.slice(2);
      const sp = rest.indexOf(' ');
      const name = sp < 0 ? rest : rest.slice(0, sp);
      const raw = sp < 0 ? null : laxB64(rest.slice(sp + 1));
      if (!validName(name) || !raw) throw bad('bad signature line for ' + name);
      if (raw.length < 5) throw bad('a signature shorter than 5 bytes');
      lines.push({ name: name, hash: hex(raw.subarray(0, 4)), sig: raw.subarray(4) });
    }
    if (lines.length > 100) throw bad('more than 100 signatures');
    return { text: enc.encode(textStr), lines: lines };
  }
  // parseCheckpoint reads the note text: origin, tree size, root (SPEC §5.2).
  function parseCheckpoint(text) {
    const bad = (why) => new VerifyError('checkpoint', 'malformed', 'the checkpoint text is malformed: ' + why);
    const s = utf8.decode(text);
    const lines = s.slice(0, -1).split('\n');
    if (lines.length !== 3) throw bad(lines.length + ' lines, want 3');
    const root = b64(lines[2]);
    if (!validOrigin(lines[0])) throw bad('origin');
    if (!/^(0|[1-9][0-9]*)$/.test(lines[1]) || lines[1].length > 16) throw bad('tree size');
    if (!root || root.length !== 32) throw bad('root');
    return { origin: lines[0], size: Number(lines[1]), root: root, rootB64: lines[2] };
  }
  // checkLogSignature: the first line by the log key must verify (SPEC §10.3 step 1).
  async function checkLogSignature(note, logKey, cp) {
    const line = note.lines.find((l) => l.name === logKey.name && l.hash === logKey.hash);
    if (!line) throw new VerifyError('checkpoint', 'log_unknown_key', 'no signature by the log key ' + logKey.id);
    if (!(await ed25519(logKey.pub, note.text, line.sig))) throw new VerifyError('checkpoint', 'log_bad_signature', 'the signature by the log key ' + logKey.id + ' does not verify');
    if (cp.origin !== logKey.name) throw new VerifyError('checkpoint', 'origin_mismatch', 'origin ' + cp.origin + ' is not the log key\u2019s name ' + logKey.name);
  }
  // checkCosignatures applies a witness policy (SPEC §10.3 steps 2 and 3): the first
  // line per policy witness must verify as cosignature/v1; at least quorum distinct
  // witnesses. It returns {cosigned: [{key, time}], missing: [key]}.
  async function checkCosignatures(note, witnesses, quorum) {
    const cosigned = [];
    const seen = new Set();
    for (const line of note.lines) {
      const w = witnesses.find((k) => k.name === line.name && k.hash === line.hash);
      if (!w || seen.has(w.id)) continue;
      seen.add(w.id);
      let ok = line.sig.length === 72;
      if (ok) {
        const ts = u64(line.sig, 0);
        const msg = concat(enc.encode('cosignature/v1\ntime ' + ts.toString() + '\n'), note.text);
        ok = await ed25519(w.pub, msg, line.sig.subarray(8));
        if (ok) cosigned.push({ key: w, time: ts < 8640000000000n ? new Date(Number(ts) * 1000) : null });
      }
      if (!ok) throw new VerifyError('witnesses', 'bad_cosignature', 'the cosignature by ' + w.id + ' does not verify');
    }
    const missing = witnesses.filter((w) => !cosigned.some((c) => c.key.id === w.id));
    if (cosigned.length < quorum) {
      const err = new VerifyError('witnesses', 'quorum', cosigned.length + ' of the ' + quorum + ' required witness cosignatures');
      err.cosigned = cosigned;
      err.missing = missing;
      throw err;
    }
    return { cosigned: cosigned, missing: missing };
  }

  // ---- RFC 6962 proofs (RFC 9162 §2.1.3.2 and §2.1.4.2) ----

  async function verifyInclusion(leaf, index, size, path, root) {
    if (index >= size) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(r, root);
  }

  async function verifyConsistency(size1, size2, proof, root1, root2) {
    if (size1 > size2) return false;
    if (size1 === size2) return proof.length === 0 && equal(root1, root2);
    if (size1 === 0) return proof.length === 0;
    if (!proof.length) return false;
    const pow2 = Number.isInteger(Math.log2(size1));
    const path = pow2 ? [root1].concat(proof) : proof.slice();
    let fn = size1 - 1, sn = size2 - 1;
    while (fn % 2 === 1) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(fr, root1) && equal(sr, root2);
  }

  // ---- the envelope ----

  // parseEntry reads the stored envelope (SPEC §3.2) as JSON: payload type, payload
  // bytes and signatures.
  function parseEntry(entry) {
    let env;
    try { env = JSON.parse(utf8.decode(entry)); } catch (e) { throw new VerifyError('signatures', 'malformed_envelope', 'the entry is not a DSSE envelope'); }
    const payload = env && b64(env.payload);
    if (!payload || !Array.isArray(env.signatures)) throw new VerifyError('signatures', 'malformed_envelope', 'the entry is not a DSSE envelope');
    if (env.payloadType !== PAYLOAD_TYPE) throw new VerifyError('signatures', 'wrong_payload_type', 'the payload type is ' + env.payloadType);
    const sigs = env.signatures.map((x) => ({ keyid: x.keyid, sig: b64(x.sig) }));
    return { payload: payload, signatures: sigs };
  }

  // verifySignatures checks each signature of the envelope whose key is known (keys:
  // Map keyid → {public (base64), party}) over the PAE: every one must verify, the key
  // id must be SHA-256 of the key, and each party of required must have signed. It
  // returns [{keyid, party, ok}] with unknown keys marked ok: null.
  async function verifySignatures(env, keys, required) {
    const msg = pae(PAYLOAD_TYPE, env.payload);
    const out = [];
    for (const x of env.signatures) {
      const k = keys.get(x.keyid);
      if (!k) { out.push({ keyid: x.keyid, party: '', ok: null }); continue; }
      const pub = b64(k.public);
      const ok = !!pub && !!x.sig && hex(await sha256(pub)) === x.keyid && await ed25519(pub, msg, x.sig);
      out.push({ keyid: x.keyid, party: k.party, ok: ok });
      if (!ok) throw Object.assign(new VerifyError('signatures', 'bad_signature', 'the signature by key ' + x.keyid.slice(0, 16) + '… (' + k.party + ') does not verify'), { signers: out });
    }
    for (const p of required || []) {
      if (!out.some((x) => x.ok && x.party === p)) throw Object.assign(new VerifyError('signatures', 'missing_signature', 'no valid signature by a key of ' + p), { signers: out });
    }
    if (!out.some((x) => x.ok)) throw Object.assign(new VerifyError('signatures', 'no_signature', 'no signature by a known key'), { signers: out });
    return out;
  }

  // verifyEvent runs the checks of one event's proof, in order, and returns
  // {ok, steps: [{step, ok, detail}], error, ...}: the first failed check ends it.
  //   o.proof      the tlog-proof's bytes (witnessed, when o.witnesses is set)
  //   o.event      {id, party, seq, hash}: what the page shows
  //   o.keys       Map keyid → {public, party}: the keys the page names
  //   o.required   parties that must have signed
  //   o.logKey     the log's verifier key string
  //   o.witnesses  witness verifier key strings, o.quorum (omit for none)
  async function verifyEvent(o) {
    const res = { ok: false, steps: [], signers: [], cosigned: [], missing: [] };
    const pass = (step, detail) => res.steps.push({ step: step, ok: true, detail: detail || {} });
    try {
      const pr = parseProof(o.proof);
      const env = parseEntry(pr.entry);
      let payload;
      try { payload = JSON.parse(utf8.decode(env.payload)); } catch (e) { throw new VerifyError('signatures', 'malformed_payload', 'the payload is not JSON'); }
      if (!payload || payload.id !== o.event.id || payload.party !== o.event.party || payload.seq !== o.event.seq) {
        throw new VerifyError('signatures', 'other_event', 'the proof is of another event (' + (payload && payload.id) + ')');
      }
      res.signers = await verifySignatures(env, o.keys, o.required);
      const phash = hex(await sha256(env.payload));
      if (o.event.hash && phash !== o.event.hash) throw new VerifyError('signatures', 'hash_mismatch', 'the payload hash ' + phash + ' is not the event\u2019s ' + o.event.hash);
      pass('signatures', { signers: res.signers, payloadHash: phash });

      const leaf = await leafHash(pr.entry);
      res.leaf = hex(leaf);
      res.index = pr.index;
      pass('leaf', { leaf: res.leaf, index: pr.index });

      const note = openNote(pr.checkpoint, 'checkpoint');
      const cp = parseCheckpoint(note.text);
      res.checkpoint = cp;
      res.checkpointBytes = pr.checkpoint;
      if (!(await verifyInclusion(leaf, pr.index, cp.size, pr.path, cp.root))) {
        throw new VerifyError('inclusion', 'bad_inclusion', 'the inclusion path does not lead from the leaf at index ' + pr.index + ' to the root of the checkpoint of size ' + cp.size);
      }
      pass('inclusion', { size: cp.size, root: cp.rootB64, pathLength: pr.path.length });

      const logKey = await parseVKey(o.logKey, 0x01, 'checkpoint');
      res.logKey = logKey;
      await checkLogSignature(note, logKey, cp);
      pass('checkpoint', { key: logKey.vkey });

      if (o.witnesses && o.witnesses.length) {
        const ws = [];
        for (const w of o.witnesses) ws.push(await parseVKey(w, 0x04, 'witnesses'));
        try {
          const c = await checkCosignatures(note, ws, o.quorum);
          res.cosigned = c.cosigned;
          res.missing = c.missing;
        } catch (e) {
          if (e.cosigned) { res.cosigned = e.cosigned; res.missing = e.missing; }
          throw e;
        }
        pass('witnesses', { quorum: o.quorum, n: ws.length });
      }
      res.ok = true;
    } catch (e) {
      if (!(e instanceof VerifyError)) e = new VerifyError('setup', 'error', String(e && e.message ? e.message : e));
      if (e.signers) res.signers = e.signers;
      res.error = e;
      res.steps.push({ step: e.step, ok: false, code: e.code, detail: { message: e.message } });
    }
    return res;
  }

  // checkConsistency compares a verified checkpoint {origin, size, root} with one seen
  // before (seen: {origin, size, root: base64}): fetchProof(from, to) returns the
  // consistency proof's hashes (Uint8Arrays). It returns {status: "first" | "same" |
  // "consistent" | "fork", detail}.
  async function checkConsistency(cp, seen, fetchProof) {
    if (!seen || seen.origin !== cp.origin) return { status: 'first' };
    const old = b64(seen.root);
    if (!old || old.length !== 32) return { status: 'first' };
    if (seen.size === cp.size) return equal(old, cp.root) ? { status: 'same' } : { status: 'fork', detail: 'same size ' + cp.size + ', another root' };
    const [a, aRoot, b, bRoot] = seen.size < cp.size ? [seen.size, old, cp.size, cp.root] : [cp.size, cp.root, seen.size, old];
    let proof;
    try {
      proof = await fetchProof(a, b);
    } catch (e) {
      return { status: 'unknown', detail: e.message };
    }
    return (await verifyConsistency(a, b, proof, aRoot, bRoot)) ? { status: 'consistent', from: a, to: b } : { status: 'fork', detail: 'no consistency from ' + a + ' to ' + b };
  }

  CL.verify = {
    VerifyError: VerifyError, b64: b64, toB64: toB64, hex: hex, sha256: sha256, leafHash: leafHash, nodeHash: nodeHash,
    ed25519: ed25519, pae: pae, keyHash: keyHash, parseVKey: parseVKey, fingerprint: fingerprint,
    parseProof: parseProof, openNote: openNote, parseCheckpoint: parseCheckpoint, checkLogSignature: checkLogSignature,
    checkCosignatures: checkCosignatures, verifyInclusion: verifyInclusion, verifyConsistency: verifyConsistency,
    parseEntry: parseEntry, verifySignatures: verifySignatures, verifyEvent: verifyEvent, checkConsistency: checkConsistency,
    PAYLOAD_TYPE: PAYLOAD_TYPE
  };
})(window.CL);
