// Builds and checks receipts independently of the Rust code (node crypto + a JCS
// implementation), so the end-to-end tests check the edge against a second implementation.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';

/** RFC 8785 canonical JSON for the subset Kelisim uses (no floats). */
export function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
}

export const b64url = (buf) => Buffer.from(buf).toString('base64url');
export const sha256hex = (text) => createHash('sha256').update(text).digest('hex');

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID for `ms` with random low bits. */
export function ulid(ms = Date.now()) {
  let value = (BigInt(ms) << 80n) | BigInt(`0x${randomBytes(10).toString('hex')}`);
  let out = '';
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** A visitor key pair with its public JWK and RFC 7638 thumbprint. */
export function visitorKey() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' });
  const jwk = { kty: 'OKP', crv: 'Ed25519', x };
  const thumbprint = b64url(createHash('sha256').update(canonical({ crv: 'Ed25519', kty: 'OKP', x })).digest());
  return { privateKey, jwk, thumbprint };
}

/** Detached compact JWS (`HEADER..SIG`) over `payload` with `kid`. */
export function signDetached(privateKey, kid, payload, header = { alg: 'EdDSA', kid }) {
  const h = b64url(canonical(header));
  const sig = sign(null, Buffer.from(`${h}.${b64url(payload)}`), privateKey);
  return `${h}..${b64url(sig)}`;
}

/**
 * A receipt submission for the policy response `served` ({sha256, policy}).
 * `decisions` defaults to reject-all; `key` null makes an unsigned receipt.
 */
export function makeSubmission(served, { key = visitorKey(), action = 'reject_all', decisions, gpc = false,
  clientTime = new Date().toISOString(), prev = null, language, id = ulid(), mutate } = {}) {
  const policy = served.policy;
  const all = Object.fromEntries(policy.categories.map((c) => [c.id, c.id === 'necessary' || action === 'accept_all' ? 'granted' : 'denied']));
  const claims = {
    schema: 1, id, site: policy.site,
    subject: key ? key.thumbprint : b64url(randomBytes(32)).slice(0, 43),
    subject_key: key ? key.jwk : null,
    policy: { version: policy.version, sha256: served.sha256, language: language ?? policy.languages[0] },
    decisions: { ...all, ...(decisions ?? {}) }, action, gpc, client_time: clientTime, prev, widget_version: '0.1.0',
  };
  mutate?.(claims);
  const visitor_signature = key ? signDetached(key.privateKey, claims.subject, canonical(claims)) : null;
  return { claims, visitor_signature };
}

/** Verifies an edge JWS against a JWKS; returns the decoded payload text, or throws. */
export function verifyEdgeJws(jws, jwks) {
  const [h, p, s] = jws.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  if (header.alg !== 'EdDSA') throw new Error(`alg ${header.alg}`);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`unknown kid ${header.kid}`);
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
  if (!verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url'))) throw new Error('bad signature');
  return Buffer.from(p, 'base64url').toString();
}
