// Opt-in rate per category over time, as inline SVG (createElementNS only) with a legend and a
// data table that screen readers (and anyone who asks) can read instead.
import { h, replace, s } from './dom.js';
import { fmtDay as fmtDayIn, fmtNumber, fmtPercent, t } from './i18n.js';

const DAY_MS = 86_400_000;
const HEIGHT = 300;
const MARGIN = { top: 30, right: 18, bottom: 42, left: 52 };
const SERIES_CLASSES = 8;

// Days and percentages in the dashboard's language (Intl); the texts from i18n.js.
const fmtDay = (day) => fmtDayIn(day);
const fmtDayLong = (day) => fmtDayIn(day, true);
const pct = (rate) => fmtPercent(rate);
const num = (n) => fmtNumber(n);

/** Every day from `from` to `to` inclusive (YYYY-MM-DD, UTC). */
export function daysBetween(from, to) {
  const out = [];
  const end = Date.parse(`${to}T00:00:00Z`);
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= end && out.length <= 400; t += DAY_MS) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/**
 * The chart's data: one series per category, one point per day of the range; a point's rate is
 * granted / (granted + denied), or null when nobody granted or denied that day.
 * `order` lists category ids in the policy's order; others follow alphabetically.
 */
export function chartModel(stats, order = []) {
  const byDay = new Map((stats.days ?? []).map((d) => [d.day, d]));
  const seen = new Set();
  for (const d of stats.days ?? []) for (const id of Object.keys(d.categories ?? {})) seen.add(id);
  const ids = [...order.filter((id) => seen.has(id)), ...[...seen].filter((id) => !order.includes(id)).sort()];
  const days = stats.from && stats.to ? daysBetween(stats.from, stats.to) : [...byDay.keys()].sort();
  const series = ids.map((id) => {
    let granted = 0;
    let denied = 0;
    const points = days.map((day) => {
      const c = byDay.get(day)?.categories?.[id] ?? { granted: 0, denied: 0, no_choice: 0 };
      granted += c.granted;
      denied += c.denied;
      const decided = c.granted + c.denied;
      return { day, granted: c.granted, denied: c.denied, no_choice: c.no_choice ?? 0, rate: decided ? c.granted / decided : null };
    });
    return { id, points, granted, denied, rate: granted + denied ? granted / (granted + denied) : null };
  });
  const total = (stats.days ?? []).reduce((n, d) => n + (d.total ?? 0), 0);
  return { from: stats.from, to: stats.to, days, series, total, truncated: Boolean(stats.truncated),
    dataDays: (stats.days ?? []).map((d) => d.day).sort() };
}

/** A sentence describing the chart, for its aria-label. */
export function describe(model, label) {
  const range = model.days.length
    ? t('chart.days', { from: fmtDayLong(model.days[0]), to: fmtDayLong(model.days.at(-1)) })
    : t('chart.noDays');
  const parts = model.series.map((sr) => `${label(sr.id)} ${sr.rate === null ? t('chart.noChoices') : pct(sr.rate)}`);
  return t('chart.describe', { range, total: t('chart.receipts', { n: model.total }), parts: parts.join(', ') });
}

/** Renders the SVG at `width` pixels into `container`. */
export function renderSvg(container, model, label, width) {
  const w = Math.max(280, Math.floor(width));
  const plotW = w - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const n = model.days.length;
  const x = (i) => MARGIN.left + (n === 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (rate) => MARGIN.top + (1 - rate) * plotH;
  const r2 = (v) => Math.round(v * 100) / 100;

  const svg = s('svg', {
    class: 'chart-svg', width: w, height: HEIGHT, viewBox: `0 0 ${w} ${HEIGHT}`, role: 'img',
    'aria-label': describe(model, label), focusable: 'false',
  }, s('title', { text: t('chart.title') }));

  // Y axis: grid lines and percentages.
  const yAxis = s('g', { class: 'axis axis-y', 'aria-hidden': 'true' });
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    yAxis.append(
      s('line', { class: 'grid', x1: MARGIN.left, x2: w - MARGIN.right, y1: r2(y(tick)), y2: r2(y(tick)) }),
      s('text', { x: MARGIN.left - 8, y: r2(y(tick)), dy: '0.32em', 'text-anchor': 'end', text: pct(tick) }),
    );
  }
  yAxis.append(s('text', { class: 'axis-title', x: MARGIN.left - 8, y: 12, 'text-anchor': 'end', text: t('chart.axisY') }));
  svg.append(yAxis);

  // X axis: a label every `step` days so they never overlap.
  const xAxis = s('g', { class: 'axis axis-x', 'aria-hidden': 'true' });
  const base = MARGIN.top + plotH;
  xAxis.append(s('line', { class: 'baseline', x1: MARGIN.left, x2: w - MARGIN.right, y1: base, y2: base }));
  const step = Math.max(1, Math.ceil(n / Math.max(1, Math.floor(plotW / 64))));
  const pxPerDay = n > 1 ? plotW / (n - 1) : plotW;
  model.days.forEach((day, i) => {
    // Every `step`-th day, and the last one when it is far enough from the previous label.
    const last = i === n - 1 && ((n - 1) % step) * pxPerDay >= 56;
    if (i % step !== 0 && !last) return;
    xAxis.append(
      s('line', { class: 'tick', x1: r2(x(i)), x2: r2(x(i)), y1: base, y2: base + 5 }),
      s('text', { x: r2(x(i)), y: base + 18, 'text-anchor': 'middle', text: fmtDay(day) }),
    );
  });
  xAxis.append(s('text', { class: 'axis-title', x: MARGIN.left + plotW / 2, y: HEIGHT - 4, 'text-anchor': 'middle', text: t('chart.axisX') }));
  svg.append(xAxis);

  // One line per category, broken where a day has no choices, and a dot per known point.
  model.series.forEach((sr, k) => {
    const cls = `series series-${k % SERIES_CLASSES}`;
    let d = '';
    let pen = false;
    sr.points.forEach((p, i) => {
      if (p.rate === null) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${r2(x(i))},${r2(y(p.rate))}`;
      pen = true;
    });
    const group = s('g', { class: cls, 'data-category': sr.id });
    group.append(s('path', { class: 'line', d: d || undefined, fill: 'none' }));
    sr.points.forEach((p, i) => {
      if (p.rate === null) return;
      const alone = sr.points[i - 1]?.rate == null && sr.points[i + 1]?.rate == null; // no line through it
      group.append(s('circle', { class: alone ? 'dot dot-alone' : 'dot', cx: r2(x(i)), cy: r2(y(p.rate)), r: alone ? 5 : 3.5 },
        s('title', { text: t('chart.dot', {
          category: label(sr.id), day: fmtDayLong(p.day), rate: pct(p.rate), granted: p.granted, denied: p.denied, none: p.no_choice,
        }) })));
    });
    svg.append(group);
  });

  replace(container, svg);
  return svg;
}

/** The legend: a swatch, the category and its overall rate. */
export function renderLegend(list, model, label) {
  replace(list, model.series.map((sr, k) => h('li', { 'data-category': sr.id },
    h('span', { class: `swatch series-${k % SERIES_CLASSES}`, 'aria-hidden': 'true' }),
    h('span', { class: 'legend-name', text: label(sr.id) }),
    h('span', { class: 'legend-rate muted', text: sr.rate === null
      ? t('chart.noChoices')
      : t('chart.legendRate', { rate: pct(sr.rate), granted: sr.granted, decided: sr.granted + sr.denied }) }))));
}

/** The same numbers as a table, one row per day with receipts. */
export function renderTable(wrap, model, label, totals) {
  const byDay = new Map(totals.map((d) => [d.day, d]));
  const table = h('table', { class: 'data compact', id: 'chart-table' },
    h('caption', { text: t('chart.caption', { from: model.from ?? '', to: model.to ?? '' }) }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('chart.colDay') }),
      h('th', { scope: 'col', text: t('chart.colReceipts') }),
      model.series.map((sr) => h('th', { scope: 'col', text: t('chart.colCategory', { category: label(sr.id) }) })))),
    h('tbody', {}, model.dataDays.map((day) => {
      const i = model.days.indexOf(day);
      return h('tr', {},
        h('th', { scope: 'row' }, h('time', { datetime: day, text: fmtDayLong(day) })),
        h('td', { class: 'num', text: num(byDay.get(day)?.total ?? 0) }),
        model.series.map((sr) => {
          const p = i >= 0 ? sr.points[i] : null;
          return h('td', { class: 'num', text: !p || p.rate === null ? '—' : `${pct(p.rate)} (${num(p.granted)}/${num(p.granted + p.denied)})` });
        }));
    })));
  replace(wrap, table);
  return table;
}
