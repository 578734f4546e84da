// Kelisim operator dashboard: sign-in, receipts with filters and pagination, receipt details with
// the edge's verification verdict, subject history, opt-in charts and exports. Plain ES modules,
// no framework; DOM built with createElement/textContent only (receipt fields are untrusted).
import { $, h, replace } from './dom.js';
import { SUBJECT_ID, client, describeError, siteProblem, tokenProblem } from './api.js';
import { chartModel, renderLegend, renderSvg, renderTable } from './chart.js';

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
};

let session = null; // { token, site }
let api = null;
let categories = new Map(); // id -> title, in the policy's order
let applied = {}; // the filters the table and chart show
let cursor = null;
const inflight = { list: null, chart: null, detail: null };
let chart = null; // { model, width }
let returnFocus = null;

// ---------- formatting ----------

const ACTIONS = { accept_all: 'Accept all', reject_all: 'Reject all', custom: 'Custom', withdraw: 'Withdraw', gpc_default: 'GPC default' };
const actionLabel = (a) => ACTIONS[a] ?? String(a ?? '—');
const categoryLabel = (id) => categories.get(id) ?? id;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** "2026-11-23 02:48:25" (UTC) for an RFC 3339 time; the input unchanged if it is not one. */
function fmtTime(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? String(iso ?? '—') : new Date(t).toISOString().replace('T', ' ').slice(0, 19);
}

/** A long id shortened to its ends; the full id goes in a title. */
function shorten(id, head = 8, tail = 4) {
  const text = String(id ?? '');
  return text.length > head + tail + 1 ? `${text.slice(0, head)}…${text.slice(-tail)}` : text;
}

function fmtBytes(n) {
  if (n < 1024) return plural(n, 'byte');
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

// ---------- small UI pieces ----------

function chips(ids, kind) {
  const list = Array.isArray(ids) ? ids : [];
  if (!list.length) return h('span', { class: 'muted', text: '—' });
  return h('ul', { class: 'chips', 'aria-label': `${kind}: ${list.map(categoryLabel).join(', ')}` },
    list.map((id) => h('li', { class: `chip chip-${kind}`, title: categoryLabel(id), text: String(id) })));
}

const actionBadge = (action) => h('span', { class: `badge badge-action action-${String(action).replace(/[^a-z_]/g, '')}`, text: actionLabel(action) });

function checkBadge(check) {
  const status = ['valid', 'absent', 'invalid'].includes(check?.status) ? check.status : 'unknown';
  return h('span', { class: `badge badge-${status}`, text: status });
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

function showAppError(message) {
  el.appErrorText.textContent = message;
  el.appError.hidden = false;
}
function clearAppError() {
  el.appError.hidden = true;
  el.appErrorText.textContent = '';
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
  el.signinError.textContent = message;
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
  if (tokenIssue) return showSigninError(tokenIssue, el.token);
  const siteIssue = siteProblem(site);
  if (siteIssue) return showSigninError(siteIssue, el.site);
  el.signinError.hidden = true;
  el.signinSubmit.disabled = true;
  el.signinSubmit.textContent = 'Signing in…';
  el.signinForm.setAttribute('aria-busy', 'true');
  try {
    // One cheap read proves the token works for this site before anything is kept.
    await client({ token, site }).receipts({ limit: 1 });
  } catch (err) {
    showSigninError(describeError(err, site), err?.status === 404 ? el.site : el.token);
    return;
  } finally {
    el.signinSubmit.disabled = false;
    el.signinSubmit.textContent = 'Sign in';
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
  document.title = `${s.site} · Kelisim dashboard`;
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
  if (el.detail.open) el.detail.close();
  clearHash();
  el.rows.replaceChildren();
  el.chart.replaceChildren();
  el.legend.replaceChildren();
  el.chartTableWrap.replaceChildren();
  el.chartTableToggle.hidden = true;
  if (el.chartTableToggle.getAttribute('aria-expanded') === 'true') toggleChartTable();
  el.chartStatus.textContent = '';
  el.count.textContent = '';
  el.exportStatus.textContent = '';
  clearAppError();
  el.app.hidden = true;
  el.session.hidden = true;
  el.signinView.hidden = false;
  el.signinError.hidden = true;
  document.title = 'Kelisim · Operator dashboard';
  el.token.focus();
}

// ---------- categories (from the current policy; the stats add any others) ----------

async function loadPolicy() {
  const mine = session;
  try {
    const served = await api.policy();
    if (session !== mine) return;
    // The policy's order and titles first; ids seen elsewhere (older versions) after them.
    const known = new Map();
    for (const c of served?.policy?.categories ?? []) {
      if (typeof c?.id !== 'string') continue;
      const title = c.title?.en ?? Object.values(c.title ?? {})[0];
      known.set(c.id, typeof title === 'string' ? title : c.id);
    }
    for (const [id, title] of categories) if (!known.has(id)) known.set(id, title);
    categories = known;
  } catch (err) {
    // Without a published policy, category ids stand for themselves. An unknown site is worth
    // saying: the admin token reads any site id, so a typo shows an empty dashboard otherwise.
    if (session === mine && err?.status === 404 && err.code === 'unknown_site') {
      showAppError(`Site “${mine.site}” is not configured on this edge: check the site id, or sign out and sign in again.`);
    }
  }
  if (session !== mine) return;
  fillCategorySelect();
  if (chart) drawChart(true);
}

function fillCategorySelect(extra = []) {
  for (const id of extra) if (!categories.has(id)) categories.set(id, id);
  const selected = el.category.value;
  replace(el.category, h('option', { value: '', text: 'Any category' }),
    [...categories].map(([id, title]) => h('option', { value: id, text: title === id ? id : `${title} (${id})` })));
  if (selected && !categories.has(selected)) el.category.append(h('option', { value: selected, text: selected }));
  el.category.value = selected;
}

// ---------- filters ----------

/** The filter form as API parameters; throws an Error with a readable message. */
function readFilters() {
  const problems = [];
  const time = (input, name) => {
    input.removeAttribute('aria-invalid');
    if (!input.value) return undefined;
    const t = Date.parse(`${input.value}Z`); // datetime-local has no zone: the labels say UTC
    if (Number.isNaN(t)) {
      input.setAttribute('aria-invalid', 'true');
      problems.push(`${name} is not a valid date and time.`);
      return undefined;
    }
    return new Date(t).toISOString();
  };
  const from = time(el.from, 'From');
  const to = time(el.to, 'To');
  if (from && to && from >= to) {
    el.to.setAttribute('aria-invalid', 'true');
    problems.push('“To” must be after “From”.');
  }
  const subject = el.subject.value.trim();
  el.subject.removeAttribute('aria-invalid');
  if (subject && !SUBJECT_ID.test(subject)) {
    el.subject.setAttribute('aria-invalid', 'true');
    problems.push('A subject id is 43 characters: letters, digits, “-” and “_”.');
  }
  if (problems.length) throw new Error(problems.join(' '));
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
    el.filtersError.textContent = err.message;
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
    h('td', { class: 'nowrap' }, h('a', { href: receiptHref(r.id), class: 'row-link', title: `Receipt ${r.id} at ${r.server_time}` },
      h('time', { datetime: r.server_time, text: fmtTime(r.server_time) }))),
    h('td', { class: 'mono subject', title: r.subject, 'data-label': 'Subject', text: shorten(r.subject) }),
    h('td', { class: 'action' }, actionBadge(r.action)),
    h('td', { class: 'num policy', 'data-label': 'Policy', text: `v${r.policy_version}` }),
    h('td', { class: 'granted', 'data-label': 'Granted' }, chips(r.granted, 'granted')),
    h('td', { class: 'denied', 'data-label': 'Denied' }, chips(r.denied, 'denied')));
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
    el.rows.replaceChildren();
    el.empty.hidden = true;
    el.loadMore.hidden = true;
  }
  el.table.dataset.state = 'loading';
  el.table.setAttribute('aria-busy', 'true');
  el.loadMore.disabled = true;
  el.count.textContent = 'Loading…';
  let firstNew = null;
  try {
    const { receipts, cursor: next } = await mine.receipts({ ...applied, cursor: reset ? undefined : cursor }, { signal: controller.signal });
    if (controller.signal.aborted || api !== mine) return null;
    const rows = (receipts ?? []).map(receiptRow);
    firstNew = rows[0] ?? null;
    el.rows.append(...rows);
    cursor = next ?? null;
    const shown = el.rows.rows.length;
    el.count.textContent = shown ? `${plural(shown, 'receipt')} shown${cursor ? ', more available' : ''}` : '';
    el.empty.hidden = shown > 0;
    el.loadMore.hidden = !cursor;
    el.table.dataset.state = 'ready';
  } catch (err) {
    if (isAbort(err) || api !== mine) return null;
    el.table.dataset.state = 'error';
    el.count.textContent = '';
    showAppError(`Receipts: ${describeError(err, session?.site)}`);
  } finally {
    if (inflight.list === controller) {
      el.table.removeAttribute('aria-busy');
      el.loadMore.disabled = false;
    }
  }
  return firstNew;
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
  el.chartStatus.textContent = 'Loading statistics…';
  try {
    const stats = await mine.stats(params, { signal: controller.signal });
    if (controller.signal.aborted || api !== mine) return;
    const ids = new Set();
    for (const d of stats.days ?? []) for (const id of Object.keys(d.categories ?? {})) ids.add(id);
    if ([...ids].some((id) => !categories.has(id))) fillCategorySelect([...ids]);
    chart = { stats, width: 0 };
    const range = `${stats.from} to ${stats.to} (UTC)`;
    const notes = [];
    if (clamped) notes.push(`The chart shows the last ${MAX_STATS_DAYS} days of the range.`);
    if (stats.truncated) notes.push('Counts are partial: the range holds more receipts than the edge counts in one answer.');
    el.chartRange.textContent = `Share of visitors who granted each category, among those who granted or denied it, per day: ${range}.`;
    el.chartStatus.textContent = notes.join(' ');
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
    el.chartStatus.textContent = err?.status === 404 && err.code === 'not_found'
      ? 'Statistics are not available on this edge.'
      : `Statistics: ${describeError(err, session?.site)}`;
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
    replace(el.chart, h('p', { class: 'empty', text: `No receipts between ${chart.stats.from} and ${chart.stats.to}.` }));
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
  el.chartTableToggle.textContent = show ? 'Hide table' : 'Show as table';
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
  el.exportStatus.textContent = `Preparing the ${format.toUpperCase()} export…`;
  try {
    const blob = await mine.exportBlob(params, undefined, (chunks, bytes) => {
      if (api === mine && chunks > 1) el.exportStatus.textContent = `Preparing the ${format.toUpperCase()} export… ${fmtBytes(bytes)} so far.`;
    });
    if (api !== mine) return;
    download(blob, name);
    el.exportStatus.textContent = `Downloaded ${name} (${fmtBytes(blob.size)}).`;
  } catch (err) {
    if (api !== mine) return;
    el.exportStatus.textContent = 'Export failed.';
    showAppError(`Export: ${describeError(err, site)}`);
  } finally {
    for (const b of el.exportButtons) b.disabled = false;
  }
}

// ---------- details dialog (routed by the URL fragment) ----------

function clearHash() {
  if (window.location.hash) history.replaceState(null, '', window.location.pathname + window.location.search);
}

function openDialog(title) {
  el.detailTitle.textContent = title;
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

async function loadDetail(title, fetcher, render) {
  const controller = begin('detail');
  const mine = api;
  openDialog(title);
  el.detail.dataset.state = 'loading';
  replace(el.detailBody, h('p', { class: 'muted', text: 'Loading…' }));
  try {
    const view = await fetcher(controller.signal);
    if (controller.signal.aborted || api !== mine) return;
    replace(el.detailBody, render(view));
    el.detail.dataset.state = 'ready';
  } catch (err) {
    if (isAbort(err) || api !== mine) return;
    replace(el.detailBody, h('p', { class: 'alert alert-error', role: 'alert', text: describeError(err, session?.site) }));
    el.detail.dataset.state = 'error';
  }
}

const showReceipt = (id) => loadDetail(`Receipt ${shorten(id, 10, 4)}`, (signal) => api.receipt(id, { signal }), receiptView);
const showSubject = (subject) => loadDetail('Subject history', (signal) => api.subject(subject, { signal }), subjectView);

const CHECKS = [['edge_signature', 'Edge signature'], ['hash', 'Receipt hash'], ['visitor_signature', 'Visitor signature']];

function verdictBlock(valid, verification) {
  const v = verification ?? {};
  const reasons = CHECKS.filter(([key]) => v[key]?.status === 'invalid')
    .map(([key, name]) => `${name}: ${v[key].reason || 'does not verify'}`);
  if (!valid && !reasons.length) reasons.push('The edge reports this receipt as not valid.');
  const visitor = v.visitor_signature?.status === 'valid'
    ? ' The visitor’s own signature verifies too.'
    : ' The browser had no key of its own, so there is no visitor signature.';
  return h('div', { class: ['verdict', valid ? 'verdict-valid' : 'verdict-invalid'], id: 'verdict', 'data-valid': String(valid) },
    h('span', { class: 'verdict-mark', 'aria-hidden': 'true', text: valid ? '✓' : '✕' }),
    h('div', {},
      h('p', { class: 'verdict-title', text: valid ? 'VALID' : 'INVALID' }),
      h('p', { class: 'verdict-text', text: valid
        ? `The edge’s signature and the receipt hash verify against the edge’s published keys.${visitor}`
        : 'This receipt is not genuine or was altered:' }),
      valid ? null : h('ul', { class: 'verdict-reasons' }, reasons.map((r) => h('li', { text: r })))));
}

function chainText(chain, prev) {
  if (!prev) return h('span', { text: 'None: the first receipt of this subject.' });
  if (chain?.prev_found === true) return h('span', {}, mono(prev, 'break'), h('span', { class: 'badge badge-valid', text: 'held' }));
  if (chain?.prev_found === false) {
    return h('span', {}, mono(prev, 'break'), h('span', { class: 'badge badge-warning', text: 'not held' }),
      h('span', { class: 'muted', text: ' The previous receipt is not stored (erased, or never received).' }));
  }
  return mono(prev, 'break');
}

function decisionsTable(decisions) {
  const order = [...categories.keys()];
  const rank = (id) => (order.includes(id) ? order.indexOf(id) : order.length);
  const entries = Object.entries(decisions ?? {}).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  if (!entries.length) return h('p', { class: 'muted', text: 'No decisions.' });
  return h('table', { class: 'data compact' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Category' }), h('th', { scope: 'col', text: 'Decision' }))),
    h('tbody', {}, entries.map(([id, decision]) => h('tr', {},
      h('th', { scope: 'row' }, h('span', { text: categoryLabel(id) }), categoryLabel(id) !== id ? h('span', { class: 'muted mono small', text: ` ${id}` }) : null),
      h('td', {}, h('span', { class: `badge badge-${decision === 'granted' ? 'granted' : 'denied'}`, text: String(decision) }))))));
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
      h('h3', { id: 'd-checks', text: 'Verification' }),
      h('ul', { class: 'checks' }, CHECKS.map(([key, name]) => h('li', { 'data-check': key },
        h('span', { class: 'check-name', text: name }), checkBadge(v[key]),
        v[key]?.reason ? h('span', { class: 'check-reason', text: String(v[key].reason) }) : null))),
      defs([
        ['Edge key id', mono(v.kid ?? '—')],
        ['Previous receipt', chainText(view?.chain, c.prev)],
      ])),
    h('section', { 'aria-labelledby': 'd-claims' },
      h('h3', { id: 'd-claims', text: 'Claims' }),
      defs([
        ['Receipt id', mono(c.id)],
        ['Site', mono(c.site)],
        ['Subject', h('span', { class: 'subject-cell' }, mono(subject, 'break'),
          subject ? h('a', { href: subjectHref(subject), class: 'subject-link', text: 'Subject history' }) : null)],
        ['Action', actionBadge(c.action)],
        ['Policy', h('span', {}, `version ${c.policy?.version ?? '—'}, shown in ${c.policy?.language ?? '—'} `, mono(c.policy?.sha256, 'break small'))],
        ['Global Privacy Control', c.gpc ? 'present' : 'not sent'],
        ['Server time', h('time', { datetime: receipt.server_time ?? '', text: String(receipt.server_time ?? '—') })],
        ['Client time', h('span', {}, String(c.client_time ?? '—'), h('span', { class: 'muted', text: ' (as the browser stated it)' }))],
        ['Widget version', String(c.widget_version ?? '—')],
        ['Hash (SHA-256 of the claims)', mono(receipt.hash, 'break')],
      ])),
    h('section', { 'aria-labelledby': 'd-decisions' },
      h('h3', { id: 'd-decisions', text: 'Decisions' }),
      decisionsTable(c.decisions)),
    h('section', { 'aria-labelledby': 'd-signatures' },
      h('h3', { id: 'd-signatures', text: 'Signatures' }),
      defs([
        ['Edge (JWS, EdDSA)', h('pre', { class: 'code', text: String(signed.jws ?? '—') })],
        ['Visitor', receipt.visitor_signature
          ? h('pre', { class: 'code', text: String(receipt.visitor_signature) })
          : h('span', { class: 'muted', text: 'None: the browser had no Ed25519 key.' })],
        ['Visitor key (JWK)', c.subject_key ? h('pre', { class: 'code', text: JSON.stringify(c.subject_key, null, 2) }) : h('span', { class: 'muted', text: 'None.' })],
      ])),
    h('details', { class: 'raw' },
      h('summary', { text: 'Signed receipt as JSON' }),
      h('pre', { class: 'code', text: json })),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', text: 'Download receipt (JSON)',
        onclick: () => download(new Blob([`${json}\n`], { type: 'application/json' }), `receipt-${String(c.id ?? 'unknown').replace(/[^A-Za-z0-9_-]/g, '')}.json`) }),
      subject ? h('button', { type: 'button', class: 'btn', text: 'Show only this subject’s receipts', onclick: () => filterBySubject(subject) }) : null));
}

function subjectView(view) {
  const subject = String(view?.subject ?? '');
  const state = view?.state;
  const receipts = Array.isArray(view?.receipts) ? view.receipts : [];
  const forks = Array.isArray(view?.forks) ? view.forks : [];
  const forked = new Set(forks.flatMap((f) => (Array.isArray(f?.receipt_ids) ? f.receipt_ids : [])));
  return h('div', { class: 'detail-content', id: 'subject-view' },
    defs([['Subject', mono(subject, 'break')]]),
    forks.length
      ? h('div', { class: 'notice notice-warn', id: 'subject-fork', role: 'note' },
        h('strong', { text: 'Fork in this subject’s chain. ' }),
        `${plural(forks.length, 'receipt')} ${forks.length === 1 ? 'is' : 'are'} followed by more than one receipt (for example two tabs answering at once). `,
        'All are kept; of the branches, the one the edge received last is shown as the current choice. Forked receipts are marked below.')
      : null,
    h('section', { 'aria-labelledby': 's-state' },
      h('h3', { id: 's-state', text: 'Current choice' }),
      state
        ? [h('p', {}, `As of `, h('time', { datetime: state.server_time, text: fmtTime(state.server_time) }), ` UTC: `,
          actionBadge(state.action), ` under policy v${state.policy_version}, receipt `,
          h('a', { href: receiptHref(state.receipt_id), text: shorten(state.receipt_id, 10, 4), title: state.receipt_id }), '.'),
        decisionsTable(state.decisions)]
        : h('p', { class: 'muted', text: 'No choice is held for this subject.' })),
    h('section', { 'aria-labelledby': 's-receipts' },
      h('h3', { id: 's-receipts', text: `Receipts (${receipts.length})` }),
      receipts.length
        ? h('div', { class: 'table-wrap' }, h('table', { class: 'data compact', id: 'subject-receipts' },
          h('thead', {}, h('tr', {}, ['Time (UTC)', 'Action', 'Policy', 'Granted', 'Denied'].map((t) => h('th', { scope: 'col', text: t })))),
          h('tbody', {}, receipts.map((r) => h('tr', { 'data-id': r.id, ...(forked.has(r.id) ? { 'data-fork': 'true' } : {}) },
            h('td', { class: 'nowrap' }, h('a', { href: receiptHref(r.id), title: `Receipt ${r.id}` }, h('time', { datetime: r.server_time, text: fmtTime(r.server_time) })),
              forked.has(r.id) ? h('span', { class: 'badge badge-fork', title: 'Another receipt names the same previous receipt', text: 'fork' }) : null),
            h('td', {}, actionBadge(r.action)),
            h('td', { class: 'num', text: `v${r.policy_version}` }),
            h('td', {}, chips(r.granted, 'granted')),
            h('td', {}, chips(r.denied, 'denied')))))))
        : h('p', { class: 'muted', text: 'No receipts are held for this subject.' })),
    subject ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', text: 'Show only this subject’s receipts', onclick: () => filterBySubject(subject) })) : null);
}

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
