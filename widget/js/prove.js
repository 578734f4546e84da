// Kelisim: proves that a receipt this browser holds is in its site's log (docs/ledger.md).
// Loaded only when the page calls kelisim.prove(id), never on the banner's path. It trusts
// nothing the edge says without checking it: the checkpoint's signature against the edge's JWKS
// (the key that countersigned the receipt), the leaf rebuilt from the receipt's own JWS, and the
// RFC 9162 inclusion proof from that leaf to the checkpoint's root. Browser APIs only (WebCrypto).

const enc = new TextEncoder();

function b64decode(s) {
  const t = s.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(t + '='.repeat((4 - (t.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

const node = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

/** The exact entry bytes of a receipt leaf (ledger/src/leaf.rs): canonical JSON. */
export function receiptEntry(id, index, jws) {
  return enc.encode('{"id":' + JSON.stringify(id) + ',"index":' + index + ',"jws":' + JSON.stringify(jws) + ',"kind":"receipt"}');
}

/** RFC 9162 §2.1.3.2: the root an inclusion proof leads to from `leaf` at `index` of `size`. */
export async function rootFromInclusion(index, size, leaf, hashes) {
  if (!(index >= 0 && index < size)) throw new Error('index outside the tree');
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of hashes) {
    if (sn === 0) throw new Error('proof too long');
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error('proof too short');
  return r;
}

/** Parses a C2SP signed note holding a tlog-checkpoint; checks one signature by an edge key. */
export async function verifyCheckpoint(note, origin, jwks) {
  const split = note.indexOf('\n\n');
  if (split < 0) throw new Error('checkpoint is not a signed note');
  const text = note.slice(0, split + 1);
  const lines = text.split('\n');
  if (lines[0] !== origin) throw new Error('checkpoint names another log');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(lines[1])) throw new Error('checkpoint size malformed');
  const size = Number(lines[1]);
  const root = b64decode(lines[2]);
  if (root.length !== 32) throw new Error('checkpoint root malformed');
  const keys = (jwks && jwks.keys) || [];
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m || m[1] !== origin) continue;
    const sig = b64decode(m[2]);
    if (sig.length !== 68) continue;
    for (const jwk of keys) {
      if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') continue;
      const pub = b64decode(jwk.x);
      // signed-note key id: SHA-256(name || 0x0A || 0x01 || public key)[:4]
      const id = (await sha256(concat(enc.encode(origin), Uint8Array.of(10, 1), pub))).slice(0, 4);
      if (!equal(id, sig.slice(0, 4))) continue;
      const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig.slice(4), enc.encode(text))) {
        return { size, root, kid: jwk.kid };
      }
    }
  }
  throw new Error('no signature on the checkpoint verifies with the edge keys');
}

/**
 * Proves `kept` ({receipt, jws} as kelisim.receipts() returns it) is in the log of `site` on the
 * edge at `edge` (its origin). Resolves {verified: true, index, treeSize, root (base64)} or
 * {verified: false, reason}.
 */
export async function prove(edge, site, kept) {
  try {
    const log = kept && kept.receipt && kept.receipt.log;
    if (!log || typeof log.index !== 'number') return { verified: false, reason: 'the receipt has no log position' };
    const id = kept.receipt.claims.id;
    const get = (path) => fetch(edge + path, { credentials: 'omit', mode: 'cors' }).then((r) => {
      if (!r.ok) throw new Error(path.split('?')[0] + ' answered ' + r.status);
      return r;
    });
    const base = '/v1/sites/' + encodeURIComponent(site) + '/log/';
    const notYet = { verified: false, reason: 'not yet in a checkpoint', index: log.index };
    const [note, jwks] = await Promise.all([
      fetch(edge + base + 'checkpoint', { credentials: 'omit', mode: 'cors' }).then((r) => {
        if (r.status === 404) return null; // the log's first checkpoint is not issued yet
        if (!r.ok) throw new Error('checkpoint answered ' + r.status);
        return r.text();
      }),
      get('/.well-known/jwks.json').then((r) => r.json()),
    ]);
    if (note === null) return notYet;
    const checkpoint = await verifyCheckpoint(note, log.origin, jwks);
    if (checkpoint.size <= log.index) return { ...notYet, treeSize: checkpoint.size };
    const proof = await get(base + 'proof/inclusion?id=' + encodeURIComponent(id) + '&size=' + checkpoint.size).then((r) => r.json());
    if (proof.index !== log.index || proof.tree_size !== checkpoint.size) return { verified: false, reason: 'the proof is for another position' };
    const leaf = await sha256(concat(Uint8Array.of(0), receiptEntry(id, log.index, kept.jws)));
    const root = await rootFromInclusion(log.index, checkpoint.size, leaf, (proof.hashes || []).map(b64decode));
    if (!equal(root, checkpoint.root)) return { verified: false, reason: 'the proof does not lead to the checkpoint' };
    return { verified: true, index: log.index, treeSize: checkpoint.size, root: btoa(String.fromCharCode(...root)) };
  } catch (e) {
    return { verified: false, reason: String((e && e.message) || e) };
  }
}
