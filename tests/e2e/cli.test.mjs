// The `kelisim` command line against the edge on real workerd + KV: tokens, publishing a policy
// from Markdown, listing, exports written whole to files, offline verification (good and
// tampered receipts, JWKS by URL and by file), erasure, one-line errors with exit code 2, and
// key rotation in a .dev.vars file that the edge then runs with.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devVarsText, freePort, generateSecrets, parseDevVars, ROOT, startStack } from '../lib/stack.mjs';
import { makeSubmission, sha256hex, visitorKey } from '../lib/receipt.mjs';
import { CLI_BIN as BIN, runCli } from '../lib/cli.mjs';

const SITE = 'crm-demo';
const CSV_HEADER = 'id,server_time,client_time,subject,action,policy_version,policy_sha256,language,gpc,granted,denied,visitor_signed,hash,prev,kid';

let stack;
let served;
let work;
const receipts = []; // signed receipts posted by the tests, oldest first

/** Runs the CLI; resolves to { code, stdout, stderr }. `env` adds to (or, with undefined, removes from) the defaults. */
function kelisim(args, { env = {}, input } = {}) {
  return runCli(args, { env: { ...process.env, KELISIM_EDGE: stack.edgeUrl, KELISIM_TOKEN: stack.adminToken, ...env }, input });
}

/** Asserts a failure: exit 2 and a single `kelisim: …` line on stderr matching `pattern`. */
function assertError(res, pattern) {
  assert.equal(res.code, 2, `exit code; stderr: ${res.stderr}`);
  const lines = res.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${res.stderr}`);
  assert.match(lines[0], /^kelisim: /);
  assert.match(lines[0], pattern);
}

async function postReceipt(options = {}) {
  const res = await stack.api('POST', `/v1/sites/${SITE}/receipts`, { body: makeSubmission(served, options) });
  assert.equal(res.status, 201, res.text);
  receipts.push(res.json);
  return res.json;
}

before(async () => {
  if (!existsSync(BIN) || process.env.KELISIM_CLI_REBUILD !== '0') {
    const build = spawnSync('cargo', ['build', '-p', 'kelisim-cli', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(build.status, 0, 'cargo build -p kelisim-cli');
  }
  work = await mkdtemp(join(tmpdir(), 'kelisim-cli-test-'));
  stack = await startStack({ name: 'cli' });
  served = (await stack.api('GET', `/v1/sites/${SITE}/policy`)).json;
  const key = visitorKey();
  await postReceipt({ key, action: 'reject_all' });
  await postReceipt({ key, action: 'accept_all', prev: receipts[0].receipt.hash });
  await postReceipt({ key: null, action: 'accept_all' });
});
after(async () => { await stack?.stop(); });

describe('tokens', () => {
  test('the admin creates a site token, printed alone on stdout, listed by label, and revokes it', async () => {
    const created = await kelisim(['token', 'create', '--site', SITE, '--scopes', 'read,export', '--label', 'cli auditor']);
    assert.equal(created.code, 0, created.stderr);
    const token = created.stdout.trim();
    assert.equal(created.stdout, `${token}\n`, 'only the token on stdout');
    assert.match(created.stderr, /shown only now/);

    const listed = await kelisim(['receipts', 'list', '--site', SITE], { env: { KELISIM_TOKEN: token } });
    assert.equal(listed.code, 0, listed.stderr);

    const forbidden = await kelisim(['subject', 'erase', '--site', SITE, receipts[2].receipt.claims.subject], { env: { KELISIM_TOKEN: token } });
    assertError(forbidden, /403 forbidden: .*needs the erase scope/);

    const list = await kelisim(['token', 'list', '--site', SITE]);
    assert.equal(list.code, 0, list.stderr);
    const row = list.stdout.split('\n').find((l) => l.includes('cli auditor'));
    assert.ok(row, list.stdout);
    assert.ok(!list.stdout.includes(token), 'the token itself is never listed');
    const id = row.split(/\s+/)[0];
    assert.match(id, /^[0-9a-f]{24}$/);
    assert.match(row, /read,export/);

    const revoked = await kelisim(['token', 'revoke', '--site', SITE, id]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await kelisim(['receipts', 'list', '--site', SITE], { env: { KELISIM_TOKEN: token } });
    assertError(after, /401 unauthorized/);
  });
});

describe('policy', () => {
  const md = {
    ru: '# Политика {#policy}\n\nСервис **обрабатывает** данные.\nВторая строка абзаца.\n\n## Данные {#data}\n- имя\n- телефон\n\n## Цели {#purposes}\nОказание услуг.\n\n## Основания {#legal-bases}\nДоговор.\n\n## Автоматически {#auto-data}\nCookie.\n\n## Трансграничная передача {#cross-border}\nСерверы вне РК.\n\n## Маркетинг {#marketing}\nРассылки.\n\n[Написать нам](mailto:dpo@example.kz)\n',
    kk: '# Саясат\n\n## Деректер {#data}\nМәтін.\n\n## Мақсаттар {#purposes}\nМәтін.\n\n## Негіздер {#legal-bases}\nМәтін.\n\n## Автоматты {#auto-data}\nМәтін.\n\n## Шекара {#cross-border}\nМәтін.\n\n## Маркетинг {#marketing}\nМәтін.\n',
    en: '# Policy\n\n## Data {#data}\nText <b>stays</b> text.\n\n## Purposes {#purposes}\nText.\n\n## Legal bases {#legal-bases}\nText.\n\n## Automatic {#auto-data}\nText.\n\n## Cross-border {#cross-border}\nText.\n\n## Marketing {#marketing}\nText.\n',
  };

  test('Markdown texts become the next version with everything else kept from the current one', async () => {
    const site = 'services-demo';
    const before = (await stack.api('GET', `/v1/sites/${site}/policy?lang=en`)).json;
    const args = ['policy', 'publish', '--site', site, '--material', '--effective-date', '2026-12-01'];
    for (const [lang, text] of Object.entries(md)) {
      const path = join(work, `policy.${lang}.md`);
      await writeFile(path, text);
      args.push('--text', `${lang}=${path}`);
    }
    const dry = await kelisim([...args, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(JSON.parse(dry.stdout).version, before.policy.version + 1);
    assert.equal((await stack.api('GET', `/v1/sites/${site}/policy`)).json.policy.version, before.policy.version, 'a dry run publishes nothing');

    const res = await kelisim(args);
    assert.equal(res.code, 0, res.stderr);
    const next = before.policy.version + 1;
    assert.match(res.stdout, new RegExp(`published policy version ${next} of site ${site}`));
    const ru = (await stack.api('GET', `/v1/sites/${site}/policy?lang=ru`)).json;
    assert.equal(ru.policy.version, next);
    assert.equal(ru.policy.material, true);
    assert.equal(ru.policy.effective_date, '2026-12-01');
    assert.equal(ru.last_material_version, next);
    assert.deepEqual(ru.policy.text.ru.slice(0, 4), [
      { type: 'heading', level: 1, text: 'Политика', anchor: 'policy' },
      { type: 'paragraph', text: 'Сервис обрабатывает данные. Вторая строка абзаца.' }, // Markdown emphasis is read, not shown as asterisks
      { type: 'heading', level: 2, text: 'Данные', anchor: 'data' },
      { type: 'list', items: ['имя', 'телефон'] },
    ]);
    assert.deepEqual(ru.policy.text.ru.at(-1), { type: 'link', text: 'Написать нам', href: 'mailto:dpo@example.kz' });
    const en = (await stack.api('GET', `/v1/sites/${site}/policy?lang=en`)).json;
    assert.deepEqual(en.policy.operator, before.policy.operator, 'the operator is kept');
    assert.deepEqual(en.policy.summary, before.policy.summary, 'the summary is kept');
    assert.deepEqual(en.policy.categories, before.policy.categories, 'the categories are kept');
    assert.ok(en.policy.text.en.some((b) => b.text === 'Text <b>stays</b> text.'));
  });

  test('policy list shows the versions; a Markdown text missing a section is refused before sending', async () => {
    const list = await kelisim(['policy', 'list', '--site', 'services-demo']);
    assert.equal(list.code, 0, list.stderr);
    const versions = list.stdout.trim().split('\n').slice(1).map((l) => Number(l.split(/\s+/)[0]));
    assert.ok(versions.length >= 2 && versions[0] > versions[1], list.stdout);
    assert.match(list.stdout, /material/);

    const path = join(work, 'short.ru.md');
    await writeFile(path, '# Только заголовок\n');
    const res = await kelisim(['policy', 'publish', '--site', 'services-demo', '--text', `ru=${path}`]);
    assertError(res, /the policy is not valid: section data referenced by a category does not exist/);

    const bad = join(work, 'bad.md');
    await writeFile(bad, 'ok\n\n##### too deep\n');
    assertError(await kelisim(['policy', 'publish', '--site', 'services-demo', '--text', `ru=${bad}`]), /bad\.md: line 3: heading level 5/);
  });
});

describe('receipts', () => {
  test('list prints a table; --json and --all with small pages give every receipt; filters narrow', async () => {
    const table = await kelisim(['receipts', 'list', '--site', SITE]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout.split('\n')[0], /^ID\s+SERVER TIME\s+SUBJECT\s+ACTION\s+POLICY\s+GRANTED\s+DENIED$/);
    for (const r of receipts) assert.ok(table.stdout.includes(r.receipt.claims.id), r.receipt.claims.id);

    const all = await kelisim(['receipts', 'list', '--site', SITE, '--limit', '1', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const listed = JSON.parse(all.stdout);
    assert.equal(listed.cursor, null);
    const ids = listed.receipts.map((r) => r.id);
    for (const r of receipts) assert.ok(ids.includes(r.receipt.claims.id));

    const page = await kelisim(['receipts', 'list', '--site', SITE, '--limit', '1']);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stderr, /--cursor \S+/);

    const subject = receipts[0].receipt.claims.subject;
    const bySubject = JSON.parse((await kelisim(['receipts', 'list', '--site', SITE, '--subject', subject, '--json'])).stdout);
    assert.deepEqual(bySubject.receipts.map((r) => r.id).sort(), [receipts[0], receipts[1]].map((r) => r.receipt.claims.id).sort());
    const denied = JSON.parse((await kelisim(['receipts', 'list', '--site', SITE, '--category', 'analytics', '--decision', 'denied', '--json'])).stdout);
    assert.ok(denied.receipts.every((r) => r.denied.includes('analytics')));
    assert.ok(denied.receipts.some((r) => r.id === receipts[0].receipt.claims.id));
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--from', 'yesterday']), /--from "yesterday": expected YYYY-MM-DD/);
  });

  test('get prints the JSON answer and a verdict checked locally', async () => {
    const id = receipts[1].receipt.claims.id;
    const res = await kelisim(['receipts', 'get', '--site', SITE, id]);
    assert.equal(res.code, 0, res.stderr);
    const answer = JSON.parse(res.stdout);
    assert.deepEqual(answer.signed, receipts[1]);
    assert.match(res.stderr, new RegExp(`^VALID ${id} \\S+$`, 'm'));
    assert.match(res.stderr, /chain: previous receipt [0-9a-f]{64} is held/);
  });

  test('exports are written whole to the file, NDJSON and CSV, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(work, 'export-'));
    const nd = join(dir, 'receipts.ndjson');
    const res = await kelisim(['receipts', 'export', '--site', SITE, '-o', nd, '--progress']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /\d+ records, \d+ bytes/);
    const lines = (await readFile(nd, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    for (const r of receipts) assert.deepEqual(lines.find((l) => l.receipt.claims.id === r.receipt.claims.id), r);

    const csv = join(dir, 'receipts.csv');
    const c = await kelisim(['receipts', 'export', '--site', SITE, '--format', 'csv', '--output', csv]);
    assert.equal(c.code, 0, c.stderr);
    const rows = (await readFile(csv, 'utf8')).trimEnd().split('\n');
    assert.equal(rows[0], CSV_HEADER);
    for (const r of receipts) {
      const row = rows.find((l) => l.startsWith(`${r.receipt.claims.id},`));
      assert.ok(row, r.receipt.claims.id);
      assert.equal(row.split(',').length, CSV_HEADER.split(',').length);
    }
    assert.deepEqual((await readdir(dir)).sort(), ['receipts.csv', 'receipts.ndjson']);

    // A refused export leaves neither the file nor a temporary one.
    const refused = await kelisim(['receipts', 'export', '--site', SITE, '-o', join(dir, 'no.ndjson')], { env: { KELISIM_TOKEN: 'wrong-token' } });
    assertError(refused, /401 unauthorized/);
    assert.deepEqual((await readdir(dir)).sort(), ['receipts.csv', 'receipts.ndjson']);
  });
});

describe('verify', () => {
  const jwksUrl = () => `${stack.edgeUrl}/.well-known/jwks.json`;

  test('an NDJSON export verifies against the JWKS URL; a receipts-get answer against a JWKS file', async () => {
    const nd = join(work, 'all.ndjson');
    assert.equal((await kelisim(['receipts', 'export', '--site', SITE, '-o', nd])).code, 0);
    const res = await kelisim(['verify', nd, '--jwks', jwksUrl()]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const lines = res.stdout.trimEnd().split('\n');
    assert.ok(lines.length >= receipts.length);
    assert.ok(lines.every((l) => /^VALID [0-9A-Z]{26} \S+$/.test(l)), res.stdout);
    assert.match(res.stderr, /\d+ valid, 0 invalid/);

    const jwksFile = join(work, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify((await stack.api('GET', '/.well-known/jwks.json')).json));
    const id = receipts[0].receipt.claims.id;
    const got = await kelisim(['receipts', 'get', '--site', SITE, id]);
    const gotFile = join(work, 'got.json');
    await writeFile(gotFile, got.stdout);
    const one = await kelisim(['verify', gotFile, '--jwks', jwksFile]);
    assert.equal(one.code, 0, one.stderr);
    const kid = (await stack.api('GET', '/.well-known/jwks.json')).json.keys[0].kid;
    assert.equal(one.stdout, `VALID ${id} ${kid}\n`);

    const stdin = await kelisim(['verify', '-', '--jwks', jwksFile], { input: JSON.stringify(receipts[2]) });
    assert.equal(stdin.code, 0, stdin.stderr);
  });

  test('a tampered receipt is INVALID with a reason and exit 1', async () => {
    const tampered = structuredClone(receipts[0]);
    tampered.receipt.claims.decisions.analytics = 'granted';
    const input = `${JSON.stringify(receipts[1])}\n${JSON.stringify(tampered)}\n`;
    const res = await kelisim(['verify', '--jwks', `${stack.edgeUrl}/.well-known/jwks.json`], { input });
    assert.equal(res.code, 1, res.stderr);
    const [good, bad] = res.stdout.trimEnd().split('\n');
    assert.match(good, /^VALID /);
    assert.match(bad, new RegExp(`^INVALID ${tampered.receipt.claims.id}: edge signature: payload does not match`));
  });
});

describe('subjects', () => {
  test('erase removes a subject; show then finds nothing; the erasure record is kept and signed', async () => {
    const subject = receipts[0].receipt.claims.subject;
    const shown = await kelisim(['subject', 'show', '--site', SITE, subject]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /current: accept_all under policy v\d+/);
    assert.ok(shown.stdout.includes(receipts[0].receipt.claims.id));

    const erased = await kelisim(['subject', 'erase', '--site', SITE, subject]);
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, new RegExp(`erased 2 receipts of subject ${subject}`));
    assert.match(erased.stderr, /erasure record signed by edge key \S+/);

    const after = await kelisim(['subject', 'show', '--site', SITE, subject]);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /no receipts held/);
    const json = JSON.parse((await kelisim(['subject', 'show', '--site', SITE, subject, '--json'])).stdout);
    assert.equal(json.state, null);
    assert.deepEqual(json.receipts, []);

    const erasures = await stack.admin('GET', `/v1/sites/${SITE}/erasures`);
    assert.equal(erasures.status, 200, erasures.text);
    const record = erasures.json.erasures.find((e) => e.erasure.subject_sha256 === sha256hex(subject));
    assert.ok(record, erasures.text);
    assert.deepEqual([...record.erasure.receipt_ids].sort(), [receipts[0], receipts[1]].map((r) => r.receipt.claims.id).sort());
    assert.ok(!JSON.stringify(erasures.json).includes(subject), 'the subject id itself is not kept');

    // Erasing again (say the first answer was lost) gives the same record; nothing new is written.
    const again = await kelisim(['subject', 'erase', '--site', SITE, subject, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).erasure.id, record.erasure.id);
    const listed = await stack.admin('GET', `/v1/sites/${SITE}/erasures`);
    assert.equal(listed.json.erasures.filter((e) => e.erasure.subject_sha256 === sha256hex(subject)).length, 1);
    assertError(await kelisim(['subject', 'erase', '--site', SITE, 'n'.repeat(43)]), /404 subject_not_found/);
  });
});

describe('errors', () => {
  test('an unreachable edge, a server that is not the edge, and a bad --edge are exit 2 with one line', async () => {
    const port = await freePort();
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--edge', `http://127.0.0.1:${port}`]), /cannot reach the edge at http:\/\/127\.0\.0\.1:\d+/);
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--edge', stack.crmUrl]), /is --edge the Kelisim edge\?/);
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--edge', 'localhost:8787']), /--edge: expected http/);
  });

  test('no token, a wrong token, and a token for another site are told apart', async () => {
    assertError(await kelisim(['receipts', 'list', '--site', SITE], { env: { KELISIM_TOKEN: undefined } }), /needs an operator token: pass --token or set KELISIM_TOKEN/);
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--token', 'not-a-token']), /^kelisim: 401 unauthorized: .*check --token or KELISIM_TOKEN/);
    const other = await stack.admin('POST', '/v1/sites/services-demo/tokens', { body: { scopes: ['read'] } });
    assertError(await kelisim(['receipts', 'list', '--site', SITE, '--token', other.json.token]), /^kelisim: 403 forbidden: this token may not list receipts of site crm-demo/);
    assertError(await kelisim(['token', 'list', '--site', SITE, '--token', other.json.token]), /401 unauthorized|403 forbidden: only the admin token/);
  });

  test('missing and malformed inputs are exit 2 with one line', async () => {
    const jwks = `${stack.edgeUrl}/.well-known/jwks.json`;
    assertError(await kelisim(['verify', join(work, 'nope.json'), '--jwks', jwks]), /cannot read .*nope\.json: No such file/);
    assertError(await kelisim(['verify', '-', '--jwks', join(work, 'nope-jwks.json')], { input: '{}' }), /cannot read .*nope-jwks\.json/);
    assertError(await kelisim(['verify', '-', '--jwks', jwks], { input: '{"receipt": ' }), /standard input: invalid JSON/);
    assertError(await kelisim(['verify', '-', '--jwks', jwks], { input: 'id,server_time\n' }), /CSV exports cannot be verified/);
    assertError(await kelisim(['verify', '-', '--jwks', jwks], { input: '' }), /no receipt found/);
    const notPolicy = join(work, 'not-policy.json');
    await writeFile(notPolicy, '{"schema": 1');
    assertError(await kelisim(['policy', 'publish', '--site', SITE, notPolicy]), /not-policy\.json: not a policy document/);
    assertError(await kelisim(['policy', 'publish', '--site', SITE, '--text', `ru=${join(work, 'missing.md')}`]), /cannot read .*missing\.md/);
    assertError(await kelisim(['receipts', 'get', '--site', SITE, 'not-a-ulid']), /expected a ULID/);
    assertError(await kelisim(['subject', 'show', '--site', '../etc', 'x']), /--site/);
    const usage = await kelisim(['receipts', 'list']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--site <SITE>/);
  });
});

describe('key rotation', () => {
  test('rotate puts a new key in .dev.vars and retires the old one public only; the edge then signs with it and old receipts still verify', async () => {
    const file = join(work, '.dev.vars');
    const secrets = generateSecrets('kold');
    await writeFile(file, `# local\n${devVarsText(secrets)}`);
    const res = await kelisim(['key', 'rotate', '--dev-vars', file, '--kid', 'knew']);
    assert.equal(res.code, 0, res.stderr);
    const text = await readFile(file, 'utf8');
    const vars = parseDevVars(text);
    assert.match(vars.EDGE_SIGNING_KEYS, /^knew:[A-Za-z0-9_-]{43}:\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    const [, oldSeed, oldNotBefore] = secrets.EDGE_SIGNING_KEYS.match(/^kold:([^:]+):(.+)$/);
    assert.match(vars.EDGE_RETIRED_KEYS, new RegExp(`^kold:[A-Za-z0-9_-]{43}:${oldNotBefore.replaceAll('.', '\\.')}/\\S+Z$`));
    assert.ok(!text.includes(oldSeed), 'the old private key is gone from the file');
    assert.equal(vars.ADMIN_TOKEN, secrets.ADMIN_TOKEN);
    assert.ok(text.startsWith('# local\n'));
    assert.match(res.stdout, /new signing key knew/);
    assert.match(res.stdout, /npx wrangler secret put EDGE_SIGNING_KEYS/);
    assert.ok(!res.stdout.includes(vars.EDGE_SIGNING_KEYS.split(',')[0].split(':')[1]), 'no secret without --print-secret');
    assert.deepEqual((await readdir(work)).filter((n) => n.startsWith('.dev.vars.')), [], 'no temporary file left');

    const again = await kelisim(['key', 'rotate', '--dev-vars', file, '--print-secret']);
    assert.equal(again.code, 0, again.stderr);
    const after = parseDevVars(await readFile(file, 'utf8'));
    assert.ok(again.stdout.includes(`EDGE_SIGNING_KEYS=${after.EDGE_SIGNING_KEYS}`));
    assert.equal(after.EDGE_SIGNING_KEYS.split(',').length, 1);
    assert.deepEqual(after.EDGE_RETIRED_KEYS.split(',').map((e) => e.split(':')[0]), ['knew', 'kold']);
    assertError(await kelisim(['key', 'rotate', '--dev-vars', join(work, 'missing.vars')]), /cannot read .*missing\.vars/);

    // The stack's own key ring, rotated by the CLI, is what the edge runs with next.
    const stackVars = join(work, 'stack.dev.vars');
    await writeFile(stackVars, devVarsText(stack.secrets));
    assert.equal((await kelisim(['key', 'rotate', '--dev-vars', stackVars, '--kid', 'krotated'])).code, 0);
    const rotated = parseDevVars(await readFile(stackVars, 'utf8'));
    await stack.setSecrets({ EDGE_SIGNING_KEYS: rotated.EDGE_SIGNING_KEYS, EDGE_RETIRED_KEYS: rotated.EDGE_RETIRED_KEYS });
    const fresh = await postReceipt({ action: 'reject_all' });
    const nd = join(work, 'rotated.ndjson');
    assert.equal((await kelisim(['receipts', 'export', '--site', SITE, '-o', nd])).code, 0);
    const verified = await kelisim(['verify', nd, '--jwks', `${stack.edgeUrl}/.well-known/jwks.json`]);
    assert.equal(verified.code, 0, verified.stdout);
    assert.match(verified.stdout, new RegExp(`^VALID ${fresh.receipt.claims.id} krotated$`, 'm'));
    assert.match(verified.stdout, new RegExp(`^VALID ${receipts[2].receipt.claims.id} (?!krotated)\\S+$`, 'm'));
  });
});
