// The local Kelisim stack, as the dev command and the end-to-end tests run it: the prebuilt edge
// on real workerd (wrangler dev) with KV persisted on disk, two demo sites seeded with their
// policies, and static servers for the demo pages. Nothing here builds; `./x build` does.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { serveDir } from './static.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const READY_TIMEOUT_MS = 90_000;
/** First starts of a stack whose wrangler exits at once (its port taken meanwhile) before giving up. */
const START_ATTEMPTS = 3;

/** The demo sites: id, folder under www/demo, policy file. */
export const DEMO_SITES = {
  crm: { site: 'crm-demo', dir: 'www/demo/crm', policy: 'www/demo/policies/crm-demo.json' },
  services: { site: 'services-demo', dir: 'www/demo/services', policy: 'www/demo/policies/services-demo.json' },
};

/** A free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer().once('error', rej).listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * New secrets: the one Ed25519 signing key (`kid:seed:not_before`, valid from now) and an admin
 * token. Retired keys, public only, go in EDGE_RETIRED_KEYS (see rotateSecrets).
 */
export function generateSecrets(kid = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`, notBefore = new Date()) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'jwk' }).d;
  return { EDGE_SIGNING_KEYS: `${kid}:${seed}:${notBefore.toISOString()}`, ADMIN_TOKEN: randomBytes(32).toString('base64url') };
}

/** The public `x` of a base64url Ed25519 seed (PKCS#8 is the seed behind a fixed prefix). */
function publicX(seed) {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.from(seed, 'base64url')]);
  return createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x;
}

/**
 * A rotation as `kelisim key rotate` makes it: a new signing key valid from `at`, and the
 * current one moved, public only, to the front of EDGE_RETIRED_KEYS with its period ending at `at`.
 */
export function rotateSecrets(secrets, kid, at = new Date()) {
  const [oldKid, seed] = secrets.EDGE_SIGNING_KEYS.split(':');
  const rest = secrets.EDGE_SIGNING_KEYS.split(':').slice(2).join(':');
  const notBefore = rest || new Date(0).toISOString();
  const retired = [`${oldKid}:${publicX(seed)}:${notBefore}/${at.toISOString()}`, secrets.EDGE_RETIRED_KEYS]
    .filter(Boolean).join(',');
  return { EDGE_SIGNING_KEYS: generateSecrets(kid, at).EDGE_SIGNING_KEYS, EDGE_RETIRED_KEYS: retired };
}

export function devVarsText(secrets) {
  return Object.entries(secrets).map(([k, v]) => `${k}="${v}"`).join('\n') + '\n';
}

/** Parses a .dev.vars file. */
export function parseDevVars(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?([^"]*)"?\s*$/);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** A wrangler config for `dir`: edge/wrangler.toml with absolute paths to the built edge and assets. */
async function writeConfig(dir, secrets, edit = (text) => text) {
  const base = await readFile(join(ROOT, 'edge/wrangler.toml'), 'utf8');
  const config = edit(base)
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, 'edge/build/index.js'))}`)
    .replace(/^directory = .*$/m, `directory = ${JSON.stringify(join(ROOT, 'www/dist'))}`);
  await writeFile(join(dir, 'wrangler.toml'), config);
  await writeFile(join(dir, '.dev.vars'), devVarsText(secrets));
  return join(dir, 'wrangler.toml');
}

/** Calls the edge's API; returns { status, headers, json, text }. */
export async function api(base, method, path, { token, body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

/** Configures the demo sites (origins) and publishes their policies when not yet published. */
export async function seedDemo(edgeUrl, adminToken, origins) {
  for (const [key, demo] of Object.entries(DEMO_SITES)) {
    const put = await api(edgeUrl, 'PUT', `/v1/sites/${demo.site}`, { token: adminToken, body: { origins: origins[key] } });
    if (put.status >= 300) throw new Error(`configuring ${demo.site}: ${put.status} ${put.text}`);
    const current = await api(edgeUrl, 'GET', `/v1/sites/${demo.site}/policy`);
    if (current.status === 200) continue;
    const policy = JSON.parse(await readFile(join(ROOT, demo.policy), 'utf8'));
    const pub = await api(edgeUrl, 'PUT', `/v1/sites/${demo.site}/policy`, { token: adminToken, body: policy });
    if (pub.status !== 201) throw new Error(`publishing ${demo.site}: ${pub.status} ${pub.text}`);
  }
}

/**
 * Starts the stack. Options: name (for logs), ports (0 = free), persistDir (default: a new temp
 * dir), secrets (default: generated), configDir (default: a new temp dir), seed (default true).
 */
export async function startStack(options = {}) {
  const name = options.name ?? 'stack';
  const work = options.workDir ?? (await mkdtemp(join(tmpdir(), `kelisim-${name}-`)));
  const persistDir = options.persistDir ?? join(work, 'kv');
  const logDir = join(ROOT, 'tests/artifacts/logs');
  await mkdir(logDir, { recursive: true });
  await mkdir(persistDir, { recursive: true });
  const secrets = options.secrets ?? generateSecrets();
  // options.editConfig(text) may change the generated wrangler.toml (e.g. lower rate limits).
  const configPath = options.configPath ?? (await writeConfig(work, secrets, options.editConfig));
  let edgePort = options.edgePort || (await freePort());
  let edgeUrl = `http://127.0.0.1:${edgePort}`;

  let child = null;
  let exited = null;
  async function startEdge() {
    if (child && exited === null) return; // already running
    const inspectorPort = await freePort();
    const log = createWriteStream(join(logDir, `${name}-wrangler.log`), { flags: 'a' });
    exited = null;
    child = spawn(WRANGLER, ['dev', '--config', configPath, '--ip', '127.0.0.1', '--port', String(edgePort),
      '--inspector-port', String(inspectorPort), '--persist-to', persistDir,
      '--show-interactive-dev-session=false', '--log-level', process.env.KELISIM_WRANGLER_LOG ?? 'warn'], {
      cwd: dirname(configPath),
      env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    const proc = child;
    proc.once('exit', (code) => { exited = code ?? 'signal'; });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error(`wrangler exited (${exited}); see tests/artifacts/logs/${name}-wrangler.log`);
      try {
        const res = await fetch(`${edgeUrl}/.well-known/jwks.json`);
        if (res.status === 200) return;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`edge not ready after ${READY_TIMEOUT_MS} ms`);
  }

  async function stopEdge() {
    if (!child || exited !== null) return;
    const proc = child;
    const done = new Promise((r) => proc.once('exit', r));
    try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* already gone */ }
    const timer = setTimeout(() => { try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
    await done;
    clearTimeout(timer);
    // The port is free once nothing answers on it.
    for (;;) {
      try { await fetch(`${edgeUrl}/.well-known/jwks.json`); } catch { break; }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // A port freePort found free can be taken before wrangler binds it (another process's
  // ephemeral port: workerd binds its own at random). The first start takes a new port then;
  // a restart keeps the edge's URL, so it keeps its port.
  for (let attempt = 1; ; attempt++) {
    try {
      await startEdge();
      break;
    } catch (e) {
      if (options.edgePort || attempt >= START_ATTEMPTS || !/wrangler exited/.test(e.message)) throw e;
      edgePort = await freePort();
      edgeUrl = `http://127.0.0.1:${edgePort}`;
    }
  }
  const servers = {};
  for (const [key, demo] of Object.entries(DEMO_SITES)) {
    servers[key] = await serveDir(join(ROOT, demo.dir), options[`${key}Port`] ?? 0, { edge: edgeUrl });
  }
  const origins = Object.fromEntries(Object.entries(servers).map(([k, s]) =>
    [k, [s.url, s.url.replace('127.0.0.1', 'localhost')]]));
  if (options.seed !== false) await seedDemo(edgeUrl, secrets.ADMIN_TOKEN, origins);

  return {
    name, edgeUrl, persistDir, secrets, adminToken: secrets.ADMIN_TOKEN,
    crmUrl: servers.crm.url, servicesUrl: servers.services.url, origins,
    pageUrl: (key, path = '/') => servers[key].url + path,
    api: (method, path, opts) => api(edgeUrl, method, path, opts),
    admin: (method, path, opts = {}) => api(edgeUrl, method, path, { token: secrets.ADMIN_TOKEN, ...opts }),
    startEdge, stopEdge,
    /** The process group of the running wrangler (workerd runs in it). */
    edgeProcessGroup: () => child?.pid,
    /** Kills the runtime at once (SIGKILL), as a crash would. */
    killEdge: async () => {
      if (!child || exited !== null) return;
      const proc = child;
      const done = new Promise((r) => proc.once('exit', r));
      try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
      await done;
    },
    /** Replaces the edge's secrets (e.g. a rotated key ring) and restarts it. */
    setSecrets: async (next) => {
      Object.assign(secrets, next);
      await writeFile(join(dirname(configPath), '.dev.vars'), devVarsText(secrets));
      await stopEdge();
      await startEdge();
    },
    restartEdge: async () => { await stopEdge(); await startEdge(); },
    stop: async () => { await stopEdge(); await Promise.all(Object.values(servers).map((s) => s.close())); },
  };
}
