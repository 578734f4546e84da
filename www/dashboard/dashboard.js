// Kelisim operator dashboard: sign-in, receipts with filters and pagination, receipt details with
// the edge's verification verdict, subject history, opt-in charts and exports. Plain ES modules,
// no framework; DOM built with createElement/textContent only (receipt fields are untrusted).
// Every word on the page comes from i18n.js, in the language the operator picks.
import { $, h, replace } from './dom.js';
import { SUBJECT_ID, client, describeError, siteProblem, tokenProblem } from './api.js';
import { chartModel, renderLegend, renderSvg, renderTable } from './chart.js';
import {
  LANGS, LANG_NAMES, fmtBytes, fmtTime, initialLang, lang, onLangChange, setLang, storedLang, t, tNodes, translateStatic,
} from './i18n.js';

const STORE = { token: 'kelisim.dashboard.token', site: 'kelisim.dashboard.site' };
const DAY_MS = 86_400_000;
const MAX_STATS_DAYS = 366;

const el = {
  session: $('#session'), sessionSite: $('#session-site'), signOut: $('#sign-out'),
  signinView: $('#signin-view'), signinForm: $('#signin-form'), token: $('#signin-token'), site: $('#signin-site'),
  signinError: $('#signin-error'), signinSubmit: $('#signin-submit'),
  app: $('#app-view'), appSite: $('#app-site'), main: $('#main'),
  appError: $('#app-error'), appErrorText: $('#app-error-text'), appErrorDismiss: $('#app-error-dismiss'),
  filters: $('#filters-form'), from: $('#filter-from'), to: $('#filter-to'), subject: $('#filter-subject'),
  category: $('#filter-category'), decision: $('#filter-decision'), limit: $('#filter-limit'),
  filtersError: $('#filters-error'), filtersReset: $('#filters-reset'),
  exportButtons: [$('#export-ndjson'), $('#export-csv')], exportStatus: $('#export-status'),
  chart: $('#chart'), chartStatus: $('#chart-status'), chartRange: $('#chart-range'), legend: $('#chart-legend'),
  chartTableWrap: $('#chart-table-wrap'), chartTableToggle: $('#chart-table-toggle'),
  table: $('#receipts-table'), rows: $('#receipts-body'), count: $('#receipts-count'), empty: $('#receipts-empty'),
  loadMore: $('#load-more'),
  detail: $('#detail'), detailTitle: $('#detail-title'), detailBody: $('#detail-body'), detailClose: $('#detail-close'),
  langSelect: $('#lang-select'),
};

let session = null; // { token, site }
let api = null;
let categories = new Map(); // id -> title, in the policy's order
let applied = {}; // the filters the table and chart show
let cursor = null;
let loaded = []; // the receipt summaries in the table, to redraw them in another language
let policyTitles = new Map(); // id -> {lang: title} of the current policy, as served
let detailShown = null; // { title: () => string, view, render } of the dialog's content
const inflight = { list: null, chart: null, detail: null };
let chart = null; // { model, width }
let returnFocus = null;

// ---------- formatting ----------

const ACTIONS = ['accept_all', 'reject_all', 'custom', 'withdraw', 'gpc_default'];
const actionLabel = (a) => (ACTIONS.includes(a) ? t(`action.${a}`) : String(a ?? '—'));
const categoryLabel = (id) => categories.get(id) ?? id;

/**
 * Texts that follow the language: `say(node, () => t(…))` shows the text now and again after
 * every language change; `say(node, null)` empties the node and forgets it.
 */
const spoken = new Map();
function say(node, text) {
  if (text) {
    spoken.set(node, text);
    node.textContent = text();
  } else {
    spoken.delete(node);
    node.textContent = '';
  }
}
let pageTitle = () => t('page.title');
function setTitle(text) {
  pageTitle = text;
  document.title = text();
}

/** A long id shortened to its ends; the full id goes in a title. */
function shorten(id, head = 8, tail = 4) {
  const text = String(id ?? '');
  return text.length > head + tail + 1 ? `${text.slice(0, head)}…${text.slice(-tail)}` : text;
}

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

// ---------- small UI pieces ----------

function chips(ids, kind) {
  const list = Array.isArray(ids) ? ids : [];
  if (!list.length) return h('span', { class: 'muted', text: '—' });
  return h('ul', { class: 'chips', 'aria-label': t(`chips.${kind}`, { list: list.map(categoryLabel).join(', ') }) },
    list.map((id) => h('li', { class: `chip chip-${kind}`, title: categoryLabel(id), text: String(id) })));
}

const actionBadge = (action) => h('span', { class: `badge badge-action action-${String(action).replace(/[^a-z_]/g, '')}`, text: actionLabel(action) });

function checkBadge(check) {
  const status = ['valid', 'absent', 'invalid'].includes(check?.status) ? check.status : 'unknown';
  return h('span', { class: `badge badge-${status}`, text: t(`check.${status}`) });
}

const receiptHref = (id) => `#receipt/${encodeURIComponent(id)}`;
const subjectHref = (subject) => `#subject/${encodeURIComponent(subject)}`;

/** A definition list from [term, value] pairs (falsy pairs skipped). */
const defs = (pairs) => h('dl', { class: 'defs' }, pairs.filter(Boolean).map(([term, value]) => [h('dt', { text: term }), h('dd', {}, value)]));
const mono = (text, extra = '') => h('code', { class: `mono ${extra}`.trim(), text: String(text ?? '—') });

function download(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Shows `message()` (a function, so that it follows the language) above the page. */
function showAppError(message) {
  say(el.appErrorText, message);
  el.appError.hidden = false;
}
function clearAppError() {
  el.appError.hidden = true;
  say(el.appErrorText, null);
}

/** A fresh AbortController for `slot`, aborting the previous request there. */
function begin(slot) {
  inflight[slot]?.abort();
  inflight[slot] = new AbortController();
  return inflight[slot];
}
const isAbort = (err) => err?.name === 'AbortError';

// ---------- session ----------

function storedSession() {
  try {
    const token = sessionStorage.getItem(STORE.token);
    const site = sessionStorage.getItem(STORE.site);
    return token && site ? { token, site } : null;
  } catch {
    return null;
  }
}

function storeSession(s) {
  try {
    if (s) {
      sessionStorage.setItem(STORE.token, s.token);
      sessionStorage.setItem(STORE.site, s.site);
    } else {
      sessionStorage.removeItem(STORE.token);
      sessionStorage.removeItem(STORE.site);
    }
  } catch { /* storage disabled: the session lives in memory only */ }
}

function showSigninError(message, input) {
  say(el.signinError, message);
  el.signinError.hidden = false;
  for (const field of [el.token, el.site]) field.removeAttribute('aria-invalid');
  if (input) {
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
}

async function onSignin(event) {
  event.preventDefault();
  const token = el.token.value.trim();
  const site = el.site.value.trim();
  const tokenIssue = tokenProblem(token);
  if (tokenIssue) return showSigninError(() => t(tokenIssue), el.token);
  const siteIssue = siteProblem(site);
  if (siteIssue) return showSigninError(() => t(siteIssue), el.site);
  el.signinError.hidden = true;
  el.signinSubmit.disabled = true;
  say(el.signinSubmit, () => t('signin.busy'));
  el.signinForm.setAttribute('aria-busy', 'true');
  try {
    // One cheap read proves the token works for this site before anything is kept.
    await client({ token, site }).receipts({ limit: 1 });
  } catch (err) {
    showSigninError(() => describeError(err, site), err?.status === 404 ? el.site : el.token);
    return;
  } finally {
    el.signinSubmit.disabled = false;
    say(el.signinSubmit, () => t('signin.submit'));
    el.signinForm.removeAttribute('aria-busy');
  }
  el.token.value = '';
  for (const field of [el.token, el.site]) field.removeAttribute('aria-invalid');
  storeSession({ token, site });
  startSession({ token, site });
  el.main.focus();
}

function startSession(s) {
  session = s;
  api = client(s);
  categories = new Map();
  el.signinView.hidden = true;
  el.app.hidden = false;
  el.session.hidden = false;
  el.sessionSite.textContent = s.site;
  el.appSite.textContent = s.site;
  setTitle(() => t('page.titleSite', { site: s.site }));
  clearAppError();
  resetFilterForm();
  fillCategorySelect();
  applied = readFilters();
  loadPolicy();
  loadReceipts(true);
  loadChart();
  route();
}

function signOut() {
  for (const slot of Object.keys(inflight)) inflight[slot]?.abort();
  storeSession(null);
  session = null;
  api = null;
  chart = null;
  cursor = null;
  loaded = [];
  policyTitles = new Map();
  if (el.detail.open) el.detail.close();
  clearHash();
  el.rows.replaceChildren();
  el.chart.replaceChildren();
  el.legend.replaceChildren();
  el.chartTableWrap.replaceChildren();
  el.chartTableToggle.hidden = true;
  if (el.chartTableToggle.getAttribute('aria-expanded') === 'true') toggleChartTable();
  say(el.chartStatus, null);
  say(el.count, null);
  say(el.exportStatus, null);
  clearAppError();
  el.app.hidden = true;
  el.session.hidden = true;
  el.signinView.hidden = false;
  el.signinError.hidden = true;
  setTitle(() => t('page.title'));
  el.token.focus();
}

// ---------- categories (from the current policy; the stats add any others) ----------

/** A category's title in the dashboard's language where the policy has it, else in its first language. */
function pickTitle(titles, id) {
  const title = [lang(), 'ru', 'en'].map((code) => titles?.[code]).find((x) => typeof x === 'string')
    ?? Object.values(titles ?? {}).find((x) => typeof x === 'string');
  return title ?? id;
}

/**
 * The current policy's categories, titled in the dashboard's language (asked again when it
 * changes; `relabel` then redraws what shows the titles).
 */
async function loadPolicy(relabel = false) {
  const mine = session;
  const language = lang();
  try {
    const served = await api.policy(language);
    if (session !== mine) return;
    // Keep titles already known in other languages: a policy that lacks this language still has a title.
    for (const c of served?.policy?.categories ?? []) {
      if (typeof c?.id !== 'string') continue;
      policyTitles.set(c.id, { ...policyTitles.get(c.id), ...(c.title ?? {}) });
    }
    // The policy's order first; ids seen elsewhere (older versions) after them.
    const order = (served?.policy?.categories ?? []).map((c) => c?.id).filter((id) => typeof id === 'string');
    const known = new Map(order.map((id) => [id, pickTitle(policyTitles.get(id), id)]));
    for (const [id, title] of categories) if (!known.has(id)) known.set(id, title);
    categories = known;
  } catch (err) {
    // Without a published policy, category ids stand for themselves. An unknown site is worth
    // saying: the admin token reads any site id, so a typo shows an empty dashboard otherwise.
    if (session === mine && err?.status === 404 && err.code === 'unknown_site') {
      showAppError(() => t('app.unknownSite', { site: mine.site }));
    }
  }
  if (session !== mine || language !== lang()) return;
  fillCategorySelect();
  if (relabel) {
    redrawReceipts();
    redrawDetail();
  }
  if (chart) drawChart(true);
}

function fillCategorySelect(extra = []) {
  for (const id of extra) if (!categories.has(id)) categories.set(id, id);
  const selected = el.category.value;
  replace(el.category, h('option', { value: '', text: t('filters.anyCategory') }),
    [...categories].map(([id, title]) => h('option', { value: id, text: title === id ? id : `${title} (${id})` })));
  if (selected && !categories.has(selected)) el.category.append(h('option', { value: selected, text: selected }));
  el.category.value = selected;
}

// ---------- filters ----------

/** The filter form as API parameters; throws an Error whose `problems` are i18n keys. */
function readFilters() {
  const problems = [];
  const time = (input, problem) => {
    input.removeAttribute('aria-invalid');
    if (!input.value) return undefined;
    const ms = Date.parse(`${input.value}Z`); // datetime-local has no zone: the labels say UTC
    if (Number.isNaN(ms)) {
      input.setAttribute('aria-invalid', 'true');
      problems.push(problem);
      return undefined;
    }
    return new Date(ms).toISOString();
  };
  const from = time(el.from, 'filters.badFrom');
  const to = time(el.to, 'filters.badTo');
  if (from && to && from >= to) {
    el.to.setAttribute('aria-invalid', 'true');
    problems.push('filters.toBeforeFrom');
  }
  const subject = el.subject.value.trim();
  el.subject.removeAttribute('aria-invalid');
  if (subject && !SUBJECT_ID.test(subject)) {
    el.subject.setAttribute('aria-invalid', 'true');
    problems.push('filters.badSubject');
  }
  if (problems.length) throw Object.assign(new Error(problems.join(' ')), { problems });
  const category = el.category.value || undefined;
  return {
    from, to, subject: subject || undefined, category,
    decision: category ? el.decision.value : undefined,
    limit: Number(el.limit.value) || 50,
  };
}

function resetFilterForm() {
  el.filters.reset();
  el.decision.disabled = true;
  el.filtersError.hidden = true;
  for (const input of [el.from, el.to, el.subject]) input.removeAttribute('aria-invalid');
}

function applyFilters() {
  let next;
  try {
    next = readFilters();
  } catch (err) {
    say(el.filtersError, () => err.problems.map((key) => t(key)).join(' '));
    el.filtersError.hidden = false;
    return;
  }
  el.filtersError.hidden = true;
  clearAppError();
  const rangeChanged = next.from !== applied.from || next.to !== applied.to;
  applied = next;
  loadReceipts(true);
  if (rangeChanged || !chart) loadChart();
}

/** Shows only `subject`'s receipts (from the details dialog). */
function filterBySubject(subject) {
  el.subject.value = subject;
  if (el.detail.open) el.detail.close();
  applyFilters();
  el.subject.focus();
}

// ---------- receipts table ----------

function receiptRow(r) {
  const row = h('tr', { class: 'row', 'data-id': r.id, 'data-subject': r.subject },
    h('td', { class: 'nowrap' }, h('a', { href: receiptHref(r.id), class: 'row-link', title: t('receipts.rowTitle', { id: r.id, time: r.server_time }) },
      h('time', { datetime: r.server_time, text: fmtTime(r.server_time) }))),
    h('td', { class: 'mono subject', title: r.subject, 'data-label': t('col.subject'), text: shorten(r.subject) }),
    h('td', { class: 'action' }, actionBadge(r.action)),
    h('td', { class: 'num policy', 'data-label': t('col.policy'), text: t('policy.version', { version: String(r.policy_version) }) }),
    h('td', { class: 'granted', 'data-label': t('col.granted') }, chips(r.granted, 'granted')),
    h('td', { class: 'denied', 'data-label': t('col.denied') }, chips(r.denied, 'denied')));
  row.addEventListener('click', (event) => {
    if (event.target.closest('a, button') || window.getSelection()?.toString()) return;
    window.location.hash = receiptHref(r.id);
  });
  return row;
}

async function loadReceipts(reset) {
  const controller = begin('list');
  const mine = api;
  if (reset) {
    cursor = null;
    loaded = [];
    el.rows.replaceChildren();
    el.empty.hidden = true;
    el.loadMore.hidden = true;
  }
  el.table.dataset.state = 'loading';
  el.table.setAttribute('aria-busy', 'true');
  el.loadMore.disabled = true;
  say(el.count, () => t('receipts.loading'));
  let firstNew = null;
  try {
    const { receipts, cursor: next } = await mine.receipts({ ...applied, cursor: reset ? undefined : cursor }, { signal: controller.signal });
    if (controller.signal.aborted || api !== mine) return null;
    const rows = (receipts ?? []).map(receiptRow);
    firstNew = rows[0] ?? null;
    el.rows.append(...rows);
    loaded.push(...(receipts ?? []));
    cursor = next ?? null;
    const shown = el.rows.rows.length;
    const more = Boolean(cursor);
    const shownText = () => t('receipts.shown', { n: shown });
    say(el.count, shown ? () => (more ? t('receipts.more', { shown: shownText() }) : shownText()) : null);
    el.empty.hidden = shown > 0;
    el.loadMore.hidden = !cursor;
    el.table.dataset.state = 'ready';
  } catch (err) {
    if (isAbort(err) || api !== mine) return null;
    el.table.dataset.state = 'error';
    say(el.count, null);
    const site = session?.site;
    showAppError(() => t('receipts.error', { error: describeError(err, site) }));
  } finally {
    if (inflight.list === controller) {
      el.table.removeAttribute('aria-busy');
      el.loadMore.disabled = false;
    }
  }
  return firstNew;
}

/** The loaded rows again, in the current language (the table's data is kept, not refetched). */
function redrawReceipts() {
  el.rows.replaceChildren(...loaded.map(receiptRow));
}

async function onLoadMore() {
  const first = await loadReceipts(false);
  // Keep keyboard users in place: when the button goes away, move to the first new row.
  if (first && el.loadMore.hidden) first.querySelector('a')?.focus();
}

// ---------- chart ----------

/** The stats range (YYYY-MM-DD, inclusive) for the applied time range; {} = the server's last 30 days. */
function statsRange() {
  if (!applied.from && !applied.to) return { params: {} };
  const today = new Date().toISOString().slice(0, 10);
  const fromDay = applied.from?.slice(0, 10);
  let to = applied.to ? new Date(Date.parse(applied.to) - 1).toISOString().slice(0, 10) : (fromDay > today ? fromDay : today);
  let from = fromDay ?? addDays(to, -29);
  let clamped = false;
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_STATS_DAYS) {
    from = addDays(to, -(MAX_STATS_DAYS - 1));
    clamped = true;
  }
  if (from > to) to = from;
  return { params: { from, to }, clamped };
}

async function loadChart() {
  const controller = begin('chart');
  const mine = api;
  const { params, clamped } = statsRange();
  el.chart.dataset.state = 'loading';
  el.chart.setAttribute('aria-busy', 'true');
  say(el.chartStatus, () => t('chart.loading'));
  try {
    const stats = await mine.stats(params, { signal: controller.signal });
    if (controller.signal.aborted || api !== mine) return;
    const ids = new Set();
    for (const d of stats.days ?? []) for (const id of Object.keys(d.categories ?? {})) ids.add(id);
    if ([...ids].some((id) => !categories.has(id))) fillCategorySelect([...ids]);
    chart = { stats, width: 0 };
    const notes = [];
    if (clamped) notes.push(() => t('chart.clamped', { days: MAX_STATS_DAYS }));
    if (stats.truncated) notes.push(() => t('chart.truncated'));
    say(el.chartRange, () => t('chart.range', { from: String(stats.from), to: String(stats.to) }));
    say(el.chartStatus, notes.length ? () => notes.map((note) => note()).join(' ') : null);
    drawChart(true);
    el.chart.dataset.state = chart.model.series.length ? 'ready' : 'empty';
  } catch (err) {
    if (isAbort(err) || api !== mine) return;
    chart = null;
    el.chart.dataset.state = 'error';
    el.chart.replaceChildren();
    el.legend.replaceChildren();
    el.chartTableWrap.replaceChildren();
    el.chartTableToggle.hidden = true;
    const site = session?.site;
    say(el.chartStatus, err?.status === 404 && err.code === 'not_found'
      ? () => t('chart.unavailable')
      : () => t('chart.error', { error: describeError(err, site) }));
  } finally {
    if (inflight.chart === controller) el.chart.removeAttribute('aria-busy');
  }
}

/** (Re)draws the chart at the container's width; `full` also redoes legend and table. */
function drawChart(full) {
  if (!chart) return;
  const model = chartModel(chart.stats, [...categories.keys()]);
  chart.model = model;
  if (!model.series.length) {
    replace(el.chart, h('p', { class: 'empty', text: t('chart.empty', { from: String(chart.stats.from), to: String(chart.stats.to) }) }));
    el.legend.replaceChildren();
    el.chartTableWrap.replaceChildren();
    el.chartTableToggle.hidden = true;
    return;
  }
  chart.width = el.chart.clientWidth;
  renderSvg(el.chart, model, categoryLabel, chart.width);
  if (full) {
    renderLegend(el.legend, model, categoryLabel);
    renderTable(el.chartTableWrap, model, categoryLabel, chart.stats.days ?? []);
    el.chartTableToggle.hidden = false;
  }
}

function toggleChartTable() {
  const show = el.chartTableToggle.getAttribute('aria-expanded') !== 'true';
  el.chartTableToggle.setAttribute('aria-expanded', String(show));
  say(el.chartTableToggle, () => t(show ? 'chart.hideTable' : 'chart.showTable'));
  el.chartTableWrap.classList.toggle('visually-hidden', !show);
  el.chartTableWrap.classList.toggle('table-wrap', show);
}

// ---------- exports ----------

async function onExport(event) {
  const format = event.currentTarget.dataset.format;
  const mine = api;
  const site = session.site;
  const params = { format, from: applied.from, to: applied.to };
  const name = ['kelisim', site, 'receipts', applied.from && `from-${applied.from.slice(0, 10)}`, applied.to && `to-${applied.to.slice(0, 10)}`]
    .filter(Boolean).join('-') + (format === 'csv' ? '.csv' : '.ndjson');
  for (const b of el.exportButtons) b.disabled = true;
  const label = format.toUpperCase();
  say(el.exportStatus, () => t('exports.preparing', { format: label }));
  try {
    const blob = await mine.exportBlob(params, undefined, (chunks, bytes) => {
      if (api === mine && chunks > 1) say(el.exportStatus, () => t('exports.progress', { format: label, size: fmtBytes(bytes) }));
    });
    if (api !== mine) return;
    download(blob, name);
    say(el.exportStatus, () => t('exports.done', { name, size: fmtBytes(blob.size) }));
  } catch (err) {
    if (api !== mine) return;
    say(el.exportStatus, () => t('exports.failed'));
    showAppError(() => t('exports.error', { error: describeError(err, site) }));
  } finally {
    for (const b of el.exportButtons) b.disabled = false;
  }
}

// ---------- details dialog (routed by the URL fragment) ----------

function clearHash() {
  if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
}

function openDialog(title) {
  say(el.detailTitle, title);
  if (!el.detail.open) {
    returnFocus = document.activeElement;
    el.detail.showModal();
  }
}

function route() {
  if (!session) return;
  const match = window.location.hash.match(/^#(receipt|subject)\/(.+)$/);
  let value = null;
  try { value = match ? decodeURIComponent(match[2]) : null; } catch { value = null; }
  if (!value) {
    if (el.detail.open) el.detail.close();
    return;
  }
  if (match[1] === 'receipt') showReceipt(value);
  else showSubject(value);
}

/** Shows `body()` in the dialog, and again after a language change. */
function showDetailBody(body) {
  detailShown = body;
  replace(el.detailBody, body());
}

/** The dialog's content again, in the current language. */
function redrawDetail() {
  if (el.detail.open && detailShown) replace(el.detailBody, detailShown());
}

async function loadDetail(title, fetcher, render) {
  const controller = begin('detail');
  const mine = api;
  openDialog(title);
  el.detail.dataset.state = 'loading';
  showDetailBody(() => h('p', { class: 'muted', text: t('detail.loading') }));
  try {
    const view = await fetcher(controller.signal);
    if (controller.signal.aborted || api !== mine) return;
    showDetailBody(() => render(view));
    el.detail.dataset.state = 'ready';
  } catch (err) {
    if (isAbort(err) || api !== mine) return;
    const site = session?.site;
    showDetailBody(() => h('p', { class: 'alert alert-error', role: 'alert', text: describeError(err, site) }));
    el.detail.dataset.state = 'error';
  }
}

const showReceipt = (id) => loadDetail(() => t('detail.receipt', { id: shorten(id, 10, 4) }), (signal) => api.receipt(id, { signal }), receiptView);
const showSubject = (subject) => loadDetail(() => t('detail.subject'), (signal) => api.subject(subject, { signal }), subjectView);

const CHECKS = ['edge_signature', 'hash', 'visitor_signature'];
const checkName = (key) => t(`check.${key}`);

function verdictBlock(valid, verification) {
  const v = verification ?? {};
  const reasons = CHECKS.filter((key) => v[key]?.status === 'invalid')
    .map((key) => t('verdict.reason', { name: checkName(key), reason: v[key].reason || t('verdict.doesNotVerify') }));
  if (!valid && !reasons.length) reasons.push(t('verdict.notValid'));
  const visitor = v.visitor_signature?.status === 'valid' ? t('verdict.visitorValid') : t('verdict.visitorAbsent');
  return h('div', { class: ['verdict', valid ? 'verdict-valid' : 'verdict-invalid'], id: 'verdict', 'data-valid': String(valid) },
    h('span', { class: 'verdict-mark', 'aria-hidden': 'true', text: valid ? '✓' : '✕' }),
    h('div', {},
      h('p', { class: 'verdict-title', text: t(valid ? 'verdict.valid' : 'verdict.invalid') }),
      h('p', { class: 'verdict-text', text: valid ? `${t('verdict.validText')} ${visitor}` : t('verdict.invalidText') }),
      valid ? null : h('ul', { class: 'verdict-reasons' }, reasons.map((r) => h('li', { text: r })))));
}

function chainText(chain, prev) {
  if (!prev) return h('span', { text: t('chain.none') });
  if (chain?.prev_found === true) return h('span', {}, mono(prev, 'break'), h('span', { class: 'badge badge-valid', text: t('chain.held') }));
  if (chain?.prev_found === false) {
    return h('span', {}, mono(prev, 'break'), h('span', { class: 'badge badge-warning', text: t('chain.notHeld') }),
      h('span', { class: 'muted', text: ` ${t('chain.notStored')}` }));
  }
  return mono(prev, 'break');
}

function decisionsTable(decisions) {
  const order = [...categories.keys()];
  const rank = (id) => (order.includes(id) ? order.indexOf(id) : order.length);
  const entries = Object.entries(decisions ?? {}).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (!entries.length) return h('p', { class: 'muted', text: t('decisions.none') });
  return h('table', { class: 'data compact' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: t('decisions.category') }), h('th', { scope: 'col', text: t('decisions.decision') }))),
    h('tbody', {}, entries.map(([id, decision]) => h('tr', {},
      h('th', { scope: 'row' }, h('span', { text: categoryLabel(id) }), categoryLabel(id) !== id ? h('span', { class: 'muted mono small', text: ` ${id}` }) : null),
      h('td', {}, h('span', { class: `badge badge-${decision === 'granted' ? 'granted' : 'denied'}`,
        text: ['granted', 'denied'].includes(decision) ? t(`badge.${decision}`) : String(decision) }))))));
}

function receiptView(view) {
  const signed = view?.signed ?? {};
  const receipt = signed.receipt ?? {};
  const c = receipt.claims ?? {};
  const v = view?.verification ?? {};
  const valid = view?.valid === true;
  const subject = typeof c.subject === 'string' ? c.subject : '';
  const json = JSON.stringify(signed, null, 2);

  return h('div', { class: 'detail-content' },
    verdictBlock(valid, v),
    h('section', { 'aria-labelledby': 'd-checks' },
      h('h3', { id: 'd-checks', text: t('receipt.verification') }),
      h('ul', { class: 'checks' }, CHECKS.map((key) => h('li', { 'data-check': key },
        h('span', { class: 'check-name', text: checkName(key) }), checkBadge(v[key]),
        v[key]?.reason ? h('span', { class: 'check-reason', text: String(v[key].reason) }) : null))),
      defs([
        [t('receipt.kid'), mono(v.kid ?? '—')],
        [t('receipt.prev'), chainText(view?.chain, c.prev)],
      ])),
    h('section', { 'aria-labelledby': 'd-claims' },
      h('h3', { id: 'd-claims', text: t('receipt.claims') }),
      defs([
        [t('receipt.id'), mono(c.id)],
        [t('receipt.site'), mono(c.site)],
        [t('receipt.subject'), h('span', { class: 'subject-cell' }, mono(subject, 'break'),
          subject ? h('a', { href: subjectHref(subject), class: 'subject-link', text: t('receipt.subjectHistory') }) : null)],
        [t('receipt.action'), actionBadge(c.action)],
        [t('receipt.policy'), h('span', {},
          `${t('receipt.policyValue', { version: String(c.policy?.version ?? '—'), language: String(c.policy?.language ?? '—') })} `,
          mono(c.policy?.sha256, 'break small'))],
        [t('receipt.gpc'), t(c.gpc ? 'receipt.gpcPresent' : 'receipt.gpcAbsent')],
        [t('receipt.serverTime'), h('time', { datetime: receipt.server_time ?? '', text: String(receipt.server_time ?? '—') })],
        [t('receipt.clientTime'), h('span', {}, String(c.client_time ?? '—'), h('span', { class: 'muted', text: ` ${t('receipt.clientTimeNote')}` }))],
        [t('receipt.widget'), String(c.widget_version ?? '—')],
        [t('receipt.hash'), mono(receipt.hash, 'break')],
      ])),
    h('section', { 'aria-labelledby': 'd-decisions' },
      h('h3', { id: 'd-decisions', text: t('receipt.decisions') }),
      decisionsTable(c.decisions)),
    h('section', { 'aria-labelledby': 'd-signatures' },
      h('h3', { id: 'd-signatures', text: t('receipt.signatures') }),
      defs([
        [t('receipt.edgeJws'), h('pre', { class: 'code', text: String(signed.jws ?? '—') })],
        [t('receipt.visitor'), receipt.visitor_signature
          ? h('pre', { class: 'code', text: String(receipt.visitor_signature) })
          : h('span', { class: 'muted', text: t('receipt.visitorNone') })],
        [t('receipt.visitorKey'), c.subject_key
          ? h('pre', { class: 'code', text: JSON.stringify(c.subject_key, null, 2) })
          : h('span', { class: 'muted', text: t('receipt.none') })],
      ])),
    h('details', { class: 'raw' },
      h('summary', { text: t('receipt.raw') }),
      h('pre', { class: 'code', text: json })),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', text: t('receipt.download'),
        onclick: () => download(new Blob([`${json}\n`], { type: 'application/json' }), `receipt-${String(c.id ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '')}.json`) }),
      subject ? h('button', { type: 'button', class: 'btn', 'data-action': 'only-subject', text: t('receipt.onlySubject'), onclick: () => filterBySubject(subject) }) : null));
}

function subjectView(view) {
  const subject = String(view?.subject ?? '');
  const state = view?.state;
  const receipts = Array.isArray(view?.receipts) ? view.receipts : [];
  const forks = Array.isArray(view?.forks) ? view.forks : [];
  const forked = new Set(forks.flatMap((f) => (Array.isArray(f?.receipt_ids) ? f.receipt_ids : [])));
  return h('div', { class: 'detail-content', id: 'subject-view' },
    defs([[t('subject.subject'), mono(subject, 'break')]]),
    forks.length
      ? h('div', { class: 'notice notice-warn', id: 'subject-fork', role: 'note' },
        h('strong', { text: `${t('subject.forkTitle')} ` }),
        `${t('subject.forkCount', { n: forks.length })} `,
        t('subject.forkRest'))
      : null,
    h('section', { 'aria-labelledby': 's-state' },
      h('h3', { id: 's-state', text: t('subject.state') }),
      state
        ? [h('p', {}, tNodes('subject.stateLine', {
          time: h('time', { datetime: state.server_time, text: fmtTime(state.server_time) }),
          action: actionBadge(state.action),
          version: String(state.policy_version),
          receipt: h('a', { href: receiptHref(state.receipt_id), text: shorten(state.receipt_id, 10, 4), title: state.receipt_id }),
        })),
        decisionsTable(state.decisions)]
        : h('p', { class: 'muted', text: t('subject.noState') })),
    h('section', { 'aria-labelledby': 's-receipts' },
      h('h3', { id: 's-receipts', text: t('subject.receipts', { n: receipts.length }) }),
      receipts.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'subject-receipts' },
          h('thead', {}, h('tr', {}, ['col.time', 'col.action', 'col.policy', 'col.granted', 'col.denied'].map((key) => h('th', { scope: 'col', text: t(key) })))),
          h('tbody', {}, receipts.map((r) => h('tr', { 'data-id': r.id, ...(forked.has(r.id) ? { 'data-fork': 'true' } : {}) },
            h('td', { class: 'nowrap' }, h('a', { href: receiptHref(r.id), title: t('subject.receiptTitle', { id: r.id }) }, h('time', { datetime: r.server_time, text: fmtTime(r.server_time) })),
              forked.has(r.id) ? h('span', { class: 'badge badge-fork', title: t('subject.forkHint'), text: t('subject.fork') }) : null),
            h('td', {}, actionBadge(r.action)),
            h('td', { class: 'num', text: t('policy.version', { version: String(r.policy_version) }) }),
            h('td', {}, chips(r.granted, 'granted')),
            h('td', {}, chips(r.denied, 'denied')))))))
        : h('p', { class: 'muted', text: t('subject.noReceipts') })),
    subject ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', 'data-action': 'only-subject', text: t('receipt.onlySubject'), onclick: () => filterBySubject(subject) })) : null);
}

// ---------- language ----------

/** Everything on the page again in the current language, without a reload and without refetching data. */
function relocalize() {
  document.documentElement.lang = lang();
  el.langSelect.value = lang();
  translateStatic(document.body);
  for (const [node, text] of spoken) node.textContent = text();
  document.title = pageTitle();
  if (!session) return;
  fillCategorySelect();
  redrawReceipts();
  redrawDetail();
  if (chart) drawChart(true);
  loadPolicy(true); // the category titles in this language, where the policy has them
}

replace(el.langSelect, LANGS.map((code) => h('option', { value: code, lang: code, text: LANG_NAMES[code] })));
setLang(initialLang(storedLang(), navigator.languages));
say(el.chartRange, () => t('chart.rangeDefault'));
say(el.chartTableToggle, () => t('chart.showTable'));
relocalize();
onLangChange(relocalize);
el.langSelect.addEventListener('change', () => setLang(el.langSelect.value, { remember: true }));

// ---------- wiring ----------

el.signinForm.addEventListener('submit', onSignin);
el.signOut.addEventListener('click', signOut);
el.appErrorDismiss.addEventListener('click', clearAppError);
el.filters.addEventListener('submit', (event) => { event.preventDefault(); applyFilters(); });
el.filtersReset.addEventListener('click', () => { resetFilterForm(); applyFilters(); });
el.category.addEventListener('change', () => { el.decision.disabled = !el.category.value; });
el.loadMore.addEventListener('click', onLoadMore);
for (const b of el.exportButtons) b.addEventListener('click', onExport);
el.chartTableToggle.addEventListener('click', toggleChartTable);
el.detailClose.addEventListener('click', () => el.detail.close());
el.detail.addEventListener('click', (event) => { if (event.target === el.detail) el.detail.close(); }); // the backdrop
el.detail.addEventListener('close', () => {
  if (el.detail.open) return; // the event is queued: the dialog may have reopened since
  inflight.detail?.abort();
  el.detail.dataset.state = 'closed';
  clearHash();
  if (returnFocus?.isConnected) returnFocus.focus();
  returnFocus = null;
});
window.addEventListener('hashchange', route);
new ResizeObserver(() => {
  if (chart?.model?.series.length && Math.abs(el.chart.clientWidth - chart.width) > 1) drawChart(false);
}).observe(el.chart);

const saved = storedSession();
if (saved && !tokenProblem(saved.token) && !siteProblem(saved.site)) {
  startSession(saved);
} else {
  el.signinView.hidden = false;
  el.token.focus();
}
