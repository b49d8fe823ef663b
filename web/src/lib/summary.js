// Reading the summary endpoint's answer (GET /summary, what the dashboard
// draws) into one fixed shape, and building the ECharts options, so the
// drawing logic is unit-tested without a browser. Money fields are decimal
// strings in 元 (see docs/api/openapi.yaml); counts are integers.

import { BATCHES, BATCH_ORDER, BATCH_COLORS, SECTORS, MONITORED_KINDS, batchId } from './labels.js';
import { wanNumber, formatInt } from './format.js';
import { num } from './shape.js';

const MONEY = ['investment', 'linkage_funds', 'revenue', 'profit', 'collective_income', 'asset_value'];
const COUNTS = ['projects', 'households_benefited', 'poor_households_benefited', 'jobs', 'assets', 'households', 'persons'];

// Figures -> the same keys, money kept as strings, counts as numbers (null if absent).
export function readFigures(f) {
  const out = {};
  const src = f || {};
  for (const k of MONEY) out[k] = src[k] ?? null;
  for (const k of COUNTS) out[k] = src[k] === undefined || src[k] === null ? null : num(src[k]);
  out.open_warnings = src.open_warnings ?? src.warnings_open ?? null;
  if (out.open_warnings !== null) out.open_warnings = num(out.open_warnings);
  return out;
}

// [{key, zh, projects, ...}] -> { key: figures+zh } in answer order.
export function readGroups(list, normaliseKey = (k) => k) {
  const out = {};
  if (!Array.isArray(list)) return out;
  for (const g of list) {
    if (!g || typeof g !== 'object' || g.key === undefined || g.key === null) continue;
    const k = normaliseKey(String(g.key));
    out[k] = { key: k, zh: g.zh || '', ...readFigures(g) };
  }
  return out;
}

export function readSummary(data) {
  const d = data || {};
  const region = d.region || {};
  const byKind = readGroups(d.by_household_kind);
  const monitoredKinds = MONITORED_KINDS.filter((k) => byKind[k]);
  const totals = readFigures(d.totals);
  totals.monitored = monitoredKinds.length ? monitoredKinds.reduce((a, k) => a + (byKind[k].households || 0), 0) : null;
  const children = Object.values(readGroups(d.by_child)).map((g) => ({ ...g, code: g.key, name: g.zh || g.key }));
  return {
    region: { code: region.code || '', name: region.name || '', level: region.level ?? null, level_zh: region.level_zh || '' },
    year: d.year ?? null,
    totals,
    byBatch: readGroups(d.by_batch, batchId),
    bySector: readGroups(d.by_sector),
    byStatus: readGroups(d.by_status),
    byKind,
    children,
    builtAt: d.built_at || null,
  };
}

// Trend over years from several summaries: [{year, collective_income, households_benefited}],
// sorted, with leading years that have no records at all dropped.
export function trendOf(summaries) {
  const rows = summaries
    .filter((s) => s && s.year !== null && s.year !== undefined)
    .map((s) => ({
      year: num(s.year),
      collective_income: s.totals.collective_income,
      households_benefited: s.totals.households_benefited,
    }))
    .sort((a, b) => a.year - b.year);
  const empty = (r) => !num(r.households_benefited) && !wanNumber(r.collective_income);
  while (rows.length && empty(rows[0])) rows.shift();
  return rows;
}

export function batchChartOption(byBatch) {
  const keys = [...BATCH_ORDER, ...Object.keys(byBatch).filter((k) => !BATCH_ORDER.includes(k))];
  return {
    tooltip: { trigger: 'item', formatter: (p) => `${p.name}：${formatInt(p.value)} 个（${p.percent}%）` },
    legend: { bottom: 0 },
    series: [{
      type: 'pie',
      radius: ['40%', '68%'],
      center: ['50%', '45%'],
      label: { formatter: '{b}\n{c}' },
      // Empty batches are left out of the ring (their zero labels only clutter it).
      data: keys
        .map((k) => ({
          name: BATCHES[k] || (byBatch[k] && byBatch[k].zh) || k || '未分类',
          value: byBatch[k] ? byBatch[k].projects || 0 : 0,
          itemStyle: { color: BATCH_COLORS[k] || '#c0c4cc' },
        }))
        .filter((d) => d.value > 0),
    }],
  };
}

export function sectorChartOption(bySector) {
  const rows = Object.values(bySector).sort((a, b) => (b.projects || 0) - (a.projects || 0));
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 80, right: 24, top: 10, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((g) => g.zh || SECTORS[g.key] || g.key) },
    series: [{ type: 'bar', name: '项目数', data: rows.map((g) => g.projects || 0), itemStyle: { color: '#409eff' }, barMaxWidth: 18 }],
  };
}

export function trendChartOption(trend) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0 },
    grid: { left: 64, right: 64, top: 30, bottom: 40 },
    xAxis: { type: 'category', data: trend.map((t) => String(t.year)) },
    yAxis: [
      { type: 'value', name: '万元', axisLabel: { formatter: (v) => formatInt(v) } },
      { type: 'value', name: '户', minInterval: 1, axisLabel: { formatter: (v) => formatInt(v) } },
    ],
    series: [
      { type: 'bar', name: '村集体收益（万元）', data: trend.map((t) => wanNumber(t.collective_income)), itemStyle: { color: '#67c23a' }, barMaxWidth: 28 },
      { type: 'line', name: '带动户数', yAxisIndex: 1, data: trend.map((t) => (t.households_benefited === null ? null : num(t.households_benefited))), itemStyle: { color: '#e6a23c' } },
    ],
  };
}
