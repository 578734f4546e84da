// The OpenAPI document against the live edge, by schemathesis (PyPI, pinned in
// tests/schemathesis-requirements.txt, installed into .tools/venv by `./x setup`): it generates
// requests from edge/openapi.json — valid ones the edge must accept, invalid ones it must refuse,
// undeclared methods it must answer 405 with `Allow` — and checks every answer's status, headers
// and body against the document. The run must end with 0 failures and 0 errors. Per-operation
// allowances for refusals the schema cannot express (cross-field rules) are in
// tests/schemathesis.toml, each with its reason.
//
// The stack is seeded so operations reach their logic rather than 404: the demo site `crm-demo`
// with its policy, a receipt (so its id and subject exist) and a token; schemathesis draws path
// parameters and `Origin` from these (dictionaries appended to a copy of the config). Rate limits are raised so throttling never answers instead of
// the operation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { makeSubmission, visitorKey } from '../lib/receipt.mjs';

const ST = join(ROOT, '.tools/venv/bin/st');
const CONFIG = join(ROOT, 'tests/schemathesis.toml');
const SITE = 'crm-demo';
/** Fixed, so a failure reproduces with the same cases. */
const SEED = 20261202;
/** Cases per operation in the fuzzing phase; with the examples and coverage phases, about 1,000
 * requests in under a minute on CI's two cores. */
const MAX_EXAMPLES = 20;

let stack;
const seeded = {};

before(async () => {
  assert.ok(existsSync(ST), `${ST} missing: run ./x setup`);
  stack = await startStack({
    name: 'schemathesis',
    editConfig: (toml) => toml.replace(/limit = \d+/g, 'limit = 1000000'),
  });
  const served = await stack.api('GET', `/v1/sites/${SITE}/policy`);
  assert.equal(served.status, 200, served.text);
  const origin = stack.origins.crm[0];
  const submit = async () => {
    const res = await stack.api('POST', `/v1/sites/${SITE}/receipts`, {
      body: makeSubmission(served.json, { key: visitorKey(), action: 'accept_all' }), headers: { Origin: origin },
    });
    assert.equal(res.status, 201, res.text);
    return res.json.receipt.claims;
  };
  const kept = await submit();
  const token = await stack.admin('POST', `/v1/sites/${SITE}/tokens`, { body: { scopes: ['read'], label: 'schemathesis' } });
  assert.equal(token.status, 201, token.text);
  Object.assign(seeded, {
    origin, receipt: kept.id, subject: kept.subject, token: token.json.id,
  });
});
after(async () => { await stack?.stop(); });

/** A copy of tests/schemathesis.toml with the seeded values as the dictionaries it binds. */
async function configWithSeeds() {
  const dictionaries = { site: SITE, receipt: seeded.receipt, subject: seeded.subject, token: seeded.token, origin: seeded.origin };
  const tables = Object.entries(dictionaries).map(([name, value]) => `[dictionaries.${name}]\nvalues = [${JSON.stringify(value)}]\n`);
  const path = join(await mkdtemp(join(tmpdir(), 'kelisim-st-')), 'schemathesis.toml');
  await writeFile(path, `${await readFile(CONFIG, 'utf8')}\n${tables.join('\n')}`);
  return path;
}

/** Runs `st` to its end; resolves to { code, output }. */
function runSchemathesis(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

test('schemathesis finds no mismatch between edge/openapi.json and the edge', async () => {
  const started = Date.now();
  const { code, output } = await runSchemathesis([
    '--config-file', await configWithSeeds(),
    'run', `${stack.edgeUrl}/v1/openapi.json`,
    '--url', stack.edgeUrl,
    '--header', `Authorization: Bearer ${stack.adminToken}`,
    '--checks', 'all',
    '--phases', 'examples,coverage,fuzzing',
    '--max-examples', String(MAX_EXAMPLES),
    '--seed', String(SEED),
    '--no-color',
    // e.g. KELISIM_ST_ARGS="--include-name 'GET /v1/sites/{site}/stats'" to narrow a rerun.
    ...(process.env.KELISIM_ST_ARGS?.match(/'[^']*'|\S+/g) ?? []).map((a) => a.replace(/^'|'$/g, '')),
  ]);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = output.split('\n').filter((l) => /generated|passed|failed|error|Seed:/i.test(l)).slice(-6).join('\n');
  console.log(`schemathesis: exit ${code} in ${seconds} s\n${summary}`);
  assert.equal(code, 0, `schemathesis failed (exit ${code}):\n${output}`);
  const cases = output.match(/(\d+) generated, (\d+) passed/);
  assert.ok(cases && cases[1] === cases[2], `not every generated case passed:\n${output}`);
});
