// `./x dev`: the local stack on fixed ports, KV persisted under .kelisim/, secrets in
// edge/.dev.vars (generated on first run, git-ignored). Runs until Ctrl-C.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, devVarsText, generateSecrets, parseDevVars, startStack } from '../tests/lib/stack.mjs';

const EDGE_PORT = Number(process.env.KELISIM_EDGE_PORT ?? 8787);
const varsPath = join(ROOT, 'edge/.dev.vars');
if (!existsSync(varsPath)) {
  await writeFile(varsPath, devVarsText(generateSecrets()), { mode: 0o600 });
  console.log('generated edge/.dev.vars (signing key with its start time, and admin token)');
}
const secrets = parseDevVars(await readFile(varsPath, 'utf8'));
if ((secrets.EDGE_SIGNING_KEYS ?? '').includes(',')) {
  // Older files kept every private key; the edge now holds one and publishes retired ones public only.
  console.error('edge/.dev.vars holds several private keys in EDGE_SIGNING_KEYS; run once:\n' +
    '  cargo run -q -p kelisim-cli -- key rotate --dev-vars edge/.dev.vars\n' +
    'which keeps one private key and moves the others, public only, to EDGE_RETIRED_KEYS.');
  process.exit(1);
}
const state = join(ROOT, '.kelisim');
await mkdir(state, { recursive: true });

const stack = await startStack({
  name: 'dev', workDir: state, persistDir: join(state, 'kv'), secrets,
  configPath: join(ROOT, 'edge/wrangler.toml'), edgePort: EDGE_PORT, crmPort: 8801, servicesPort: 8802,
});
console.log(`
Kelisim is running (KV on disk in .kelisim/kv):

  CRM demo site       ${stack.crmUrl}/
  Services demo site  ${stack.servicesUrl}/
  Edge                ${stack.edgeUrl}   (JWKS: ${stack.edgeUrl}/.well-known/jwks.json)
  Admin token         in edge/.dev.vars (ADMIN_TOKEN)

  Receipts:  curl -H "Authorization: Bearer $ADMIN_TOKEN" ${stack.edgeUrl}/v1/sites/crm-demo/receipts

Ctrl-C stops everything.`);
const shutdown = async () => { await stack.stop(); process.exit(0); };
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
setInterval(() => {}, 1 << 30);
