// Onboarding a site from the owner's own policy document, on real workerd and real Chromium:
// `site create` → `policy import` (each fixture: .docx, Word's plain text, HTML) → `policy
// review` → `policy publish` → `site snippet`; a page carrying only the printed snippet shows the
// Russian banner and the imported policy (numbered headings and clauses, links) in the widget,
// screenshots in tests/artifacts/onboarding-*.png. Bad inputs save and publish nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startStack } from '../lib/stack.mjs';
import { launchBrowser } from '../lib/browser.mjs';
import { serveDir } from '../lib/static.mjs';
import { CLI_BIN as BIN, runCli } from '../lib/cli.mjs';

const FIXTURES = join(ROOT, 'tests/fixtures/onboarding');
const ARTIFACTS = join(ROOT, 'tests/artifacts');
const EXPECTED = JSON.parse(await readFile(join(FIXTURES, 'expected.json'), 'utf8'));

let stack;
let work;
let drafts;
let site; // the owner's pages: a directory served on its own origin
let browser;

function kelisim(args, { env = {} } = {}) {
  return runCli(args, { env: { ...process.env, KELISIM_EDGE: stack.edgeUrl, KELISIM_TOKEN: stack.adminToken, KELISIM_DRAFTS: drafts, ...env } });
}

function ok(res, what) {
  assert.equal(res.code, 0, `${what}: ${res.stderr}`);
  return res;
}

function assertError(res, pattern) {
  assert.equal(res.code, 2, `exit code; stderr: ${res.stderr}`);
  const lines = res.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${res.stderr}`);
  assert.match(lines[0], /^kelisim: /);
  assert.match(lines[0], pattern);
}

before(async () => {
  if (!existsSync(BIN) || process.env.KELISIM_CLI_REBUILD !== '0') {
    const build = spawnSync('cargo', ['build', '-p', 'kelisim-cli', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(build.status, 0, 'cargo build -p kelisim-cli');
  }
  work = await mkdtemp(join(tmpdir(), 'kelisim-onboarding-'));
  drafts = join(work, 'drafts');
  await mkdir(join(work, 'www'));
  stack = await startStack({ name: 'onboarding' });
  site = await serveDir(join(work, 'www'), 0);
  browser = await launchBrowser();
  await mkdir(ARTIFACTS, { recursive: true });
});

after(async () => {
  const bounded = (p) => Promise.race([p, new Promise((r) => setTimeout(r, 10_000).unref())]);
  await stack?.stop();
  await bounded(site?.close());
  await bounded(browser?.close().catch(() => {}));
});

/** A page of the owner's site: some content and, at the end of the body, the snippet as printed. */
async function writePage(name, snippet) {
  const html = `<!doctype html>\n<html lang="ru"><head><meta charset="utf-8"><title>${name}</title></head>\n<body><main><h1>Магазин</h1><p>Страница владельца сайта.</p></main>\n${snippet}\n</body></html>\n`;
  await writeFile(join(work, 'www', `${name}.html`), html);
  return `${site.url}/${name}.html`;
}

const banner = (page) => page.locator('kelisim-consent section[role=region]');
const button = (page, action) => page.locator(`kelisim-consent [data-action=${action}]:visible`);

describe('five commands take a new site live from its own document', () => {
  for (const [policy, format] of [['crm', 'docx'], ['crm', 'txt'], ['crm', 'html'], ['services', 'docx'], ['services', 'txt'], ['services', 'html']]) {
    test(`${policy}.${format}: create, import, review, publish, snippet; the page shows the banner and the policy`, async () => {
      const id = `onb-${policy}-${format}`;
      const want = EXPECTED[policy];

      const created = ok(await kelisim(['site', 'create', id, '--origin', site.url]), 'site create');
      assert.match(created.stdout, new RegExp(`site ${id} accepts pages from ${site.url}`));

      const imported = ok(await kelisim(['policy', 'import', join(FIXTURES, `${policy}.${format}`), '--site', id, '--lang', 'ru']), 'import');
      const c = want.counts;
      assert.match(imported.stdout, new RegExp(`${c.headings} headings, ${c.clauses} clauses, ${c.lists} lists \\(${c.list_items} items\\), ${c.links} links`));
      assert.equal((await stack.api('GET', `/v1/sites/${id}/policy`)).status, 404, 'an import publishes nothing');

      const review = ok(await kelisim(['policy', 'review', id]), 'review').stdout;
      assert.ok(review.includes(want.identity.legal_name), review);
      assert.ok(review.includes(`${want.identity.bin_iin} (check digit valid)`), review);
      for (const [category, sections] of Object.entries(want.suggestions)) {
        assert.match(review, new RegExp(`${category} → ${sections.map((s) => `§${s.slice(1).replaceAll('-', '\\.')}`).join(', ')}`));
      }
      assert.match(review, /no Kazakh text: the widget shows Russian to visitors who ask for Kazakh/);
      assert.match(review, /Ready to publish: kelisim policy publish/);

      const published = ok(await kelisim(['policy', 'publish', id]), 'publish');
      assert.match(published.stdout, new RegExp(`published policy version 1 of site ${id} \\(sha256 [0-9a-f]{64}\\)`));
      const served = (await stack.api('GET', `/v1/sites/${id}/policy?lang=ru`)).json;
      assert.equal(served.policy.version, 1);
      assert.equal(served.policy.operator.legal_name, want.identity.legal_name);
      assert.equal(served.policy.operator.bin_iin, want.identity.bin_iin);
      assert.deepEqual(served.policy.categories.map((x) => x.id).sort(), ['necessary', ...Object.keys(want.suggestions)].sort());
      for (const [category, sections] of Object.entries(want.suggestions)) {
        assert.deepEqual(served.policy.categories.find((x) => x.id === category).sections, sections);
      }
      assert.deepEqual(served.policy.consent?.cross_border?.countries ?? [], want.consent.countries);
      assert.deepEqual(served.policy.text.ru.find((b) => b.anchor === 's1'), { type: 'heading', level: 2, text: '1. Общие положения', anchor: 's1' });
      const clause = served.policy.text.ru.find((b) => b.type === 'paragraph' && b.text.startsWith('2.1. '));
      assert.equal(clause?.anchor, 's2-1', 'clauses keep their numbers and are published with their anchors');

      const snippet = ok(await kelisim(['site', 'snippet', id]), 'snippet').stdout;
      assert.equal(snippet.match(/<script src=/g).length, 1, 'one tag to paste');
      assert.ok(snippet.includes(`<script src="${stack.edgeUrl}/v1/sites/${id}/kelisim.js" data-site="${id}" async></script>`), snippet);
      assert.match(snippet, /data-kelisim-open>Настройки конфиденциальности<\/a>/);

      const page = await browser.newPage();
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(await writePage(id, snippet));
      await banner(page).waitFor();
      const text = await banner(page).innerText();
      assert.match(text, /только с вашего согласия/, text);
      await page.screenshot({ path: join(ARTIFACTS, `onboarding-${policy}-${format}-banner.png`) });

      await button(page, 'settings').click();
      await page.locator('kelisim-consent [role=dialog]:visible [data-action=policy]').click();
      const view = page.locator('kelisim-consent [aria-labelledby=k-policy-title]');
      await view.waitFor();
      const shown = await view.innerText();
      for (const needle of ['1. Общие положения', '2.1. ', want.identity.legal_name]) assert.ok(shown.includes(needle), `${needle} in ${shown.slice(0, 400)}`);
      assert.ok(!shown.includes('[bookmark'), 'no export artefacts shown');
      const mail = await view.locator(`a[href="mailto:${want.identity.email}"]`).count();
      assert.ok(mail >= 1, 'the e-mail is a link');
      await page.screenshot({ path: join(ARTIFACTS, `onboarding-${policy}-${format}-policy.png`), fullPage: true });
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});

describe('bad input', () => {
  test('is refused with one clear line; nothing is saved and nothing is published', async () => {
    const id = 'onb-bad';
    ok(await kelisim(['site', 'create', id, '--origin', site.url]), 'site create');
    const bad = join(work, 'bad');
    await mkdir(bad);
    const files = {
      'empty.txt': ['', /empty: the file is empty/],
      'program.txt': [Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]), /binary/],
      'policy.docx': ['ПОЛИТИКА\n1. Общие положения\n', /not_docx: not a Word document/],
      'note.txt': ['Просто текст без пунктов.\nЕщё одна строка.\n', /no_clauses/],
      'unsafe.html': ['<h1>Политика</h1><p>1. Общие положения</p><p>1.1. Текст <a href="javascript:alert(1)">здесь</a>.</p>', /unsafe_link: unsafe link target "javascript:alert\(1\)"/],
      'huge.txt': [null, /too_large: the file is 52428800 bytes/],
    };
    for (const [name, [content, pattern]] of Object.entries(files)) {
      const path = join(bad, name);
      if (content === null) {
        await writeFile(path, '');
        await truncate(path, 50 * 1024 * 1024); // sparse: 50 MB without writing them
      } else {
        await writeFile(path, content);
      }
      const res = await kelisim(['policy', 'import', path, '--site', id, '--lang', 'ru']);
      assertError(res, pattern);
      assert.match(res.stderr, /nothing was saved/);
    }
    assert.ok(!existsSync(join(drafts, `${id}.json`)), 'no draft written');
    assertError(await kelisim(['policy', 'publish', id]), /site onb-bad has no draft/);
    assert.equal((await stack.api('GET', `/v1/sites/${id}/policy`)).json.error.code, 'policy_not_found');

    // A good draft is left exactly as it was by a bad import of the same site.
    ok(await kelisim(['policy', 'import', join(FIXTURES, 'services.txt'), '--site', id, '--lang', 'ru']), 'import');
    const before = await readFile(join(drafts, `${id}.json`), 'utf8');
    assertError(await kelisim(['policy', 'import', join(bad, 'unsafe.html'), '--site', id, '--lang', 'ru']), /unsafe_link/);
    assert.equal(await readFile(join(drafts, `${id}.json`), 'utf8'), before);
    assert.deepEqual((await readdir(drafts)).filter((n) => n.startsWith(id)), [`${id}.json`], 'no temporary file left');

    // An unknown site is told to run site create first.
    ok(await kelisim(['policy', 'import', join(FIXTURES, 'services.txt'), '--site', 'onb-unknown', '--lang', 'ru']), 'import');
    assertError(await kelisim(['policy', 'publish', 'onb-unknown']), /site onb-unknown is not configured on this edge: run `kelisim site create onb-unknown/);
  });
});
