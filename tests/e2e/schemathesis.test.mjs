// The OpenAPI document against the live edge, by schemathesis (PyPI, pinned in
// tests/schemathesis-requirements.txt, installed into .tools/venv by `./x setup`): it generates
// requests from edge/openapi.json — valid ones the edge must accept, invalid ones it must refuse,
// undeclared methods it must answer 405 with `Allow` — and checks every answer's status, headers
// and body against the document. The run must end with 0 failures and 0 errors. Per-operation
// allowances for refusals the schema cannot express (cross-field rules) are in
// tests/schemathesis.toml, each with its reason.
//
// The stack is seeded so operations reach their logic rather than 404: the demo site `crm-demo`
// with its policy, a receipt (so its id and subject exist), a token, and a second subject that
// the erasure operation may erase. Rate limits are raised so throttling never answers instead of
// the operation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  const erasable = await submit();
  const token = await stack.admin('POST', `/v1/sites/${SITE}/tokens`, { body: { scopes: ['read'], label: 'schemathesis' } });
  assert.equal(token.status, 201, token.text);
  Object.assign(seeded, {
    origin, receipt: kept.id, subject: kept.subject, erasable: erasable.subject, token: token.json.id,
    version: served.json.policy.version,
  });
});
after(async () => { await stack?.stop(); });

/** Runs `st` to its end; resolves to { code, output }. */
function runSchemathesis(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
    '--config-file', CONFIG,
    'run', `${stack.edgeUrl}/v1/openapi.json`,
    '--url', stack.edgeUrl,
    '--header', `Authorization: Bearer ${stack.adminToken}`,
    '--checks', 'all',
    '--phases', 'examples,coverage,fuzzing',
    '--max-examples', String(MAX_EXAMPLES),
    '--seed', String(SEED),
    '--no-color',
  ], {
    // What tests/schemathesis.toml fills path parameters and the preflight Origin with.
    KELISIM_ST_SITE: SITE,
    KELISIM_ST_ORIGIN: seeded.origin,
    KELISIM_ST_RECEIPT: seeded.receipt,
    KELISIM_ST_SUBJECT: seeded.subject,
    KELISIM_ST_ERASABLE: seeded.erasable,
    KELISIM_ST_TOKEN: seeded.token,
    KELISIM_ST_VERSION: String(seeded.version),
    NO_COLOR: '1',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const summary = output.split('\n').filter((l) => /generated|passed|failed|error|Seed:/i.test(l)).slice(-6).join('\n');
  console.log(`schemathesis: exit ${code} in ${seconds} s\n${summary}`);
  assert.equal(code, 0, `schemathesis failed (exit ${code}):\n${output}`);
  assert.match(output, /\b0 failures\b|No issues found/i, output);
});
