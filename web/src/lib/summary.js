// Reading the summary endpoint's answer (what the dashboard draws) into one
// fixed shape, whatever small variations the server uses: totals, counts by
// batch and by sector (array of {key, count} or a map), child regions and
// the trend over years. Also builds the ECharts options, so the drawing
// logic is unit-tested without a browser.

import { BATCHES, BATCH_ORDER, BATCH_COLORS, SECTORS, batchId, label } from './labels.js';
import { fenToWanNumber, formatInt } from './format.js';
import { num } from './shape.js';

const TOTAL_KEYS = {
  projects: ['projects', 'project_count', 'projects_count'],
  operating_assets: ['operating_assets', 'operating_asset_value', 'operating_assets_value', 'operating_assets_fen', 'asset_value'],
  households: ['households', 'household_count', 'households_count'],
  monitored: ['monitored_households', 'monitored', 'monitored_count'],
  warnings: ['open_warnings', 'warnings_open', 'warnings'],
};

function pick(obj, keys) {
  if (!obj) return null;
  for (const k of keys) if (obj[k] !== undefined && obj[k] !== null) return obj[k];
  return null;
}

export function readTotals(obj) {
  const out = {};
  for (const [k, keys] of Object.entries(TOTAL_KEYS)) {
    const v = pick(obj, keys);
    out[k] = k === 'operating_assets' ? v : v === null ? null : num(v);
  }
  return out;
}

// [{batch: 'consolidate', count: 3}] or {consolidate: 3} or {巩固: 3} -> {consolidate: 3, ...}
export function readCounts(v, keyNames, normaliseKey = (k) => k) {
  const out = {};
  if (Array.isArray(v)) {
    for (const row of v) {
      if (!row || typeof row !== 'object') continue;
      let key = null;
      for (const n of keyNames) if (row[n] !== undefined) { key = row[n]; break; }
      if (key === null) continue;
      const count = num(row.count ?? row.projects ?? row.n ?? row.value);
      const k = normaliseKey(String(key));
      out[k] = (out[k] || 0) + count;
    }
  } else if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) {
      const nk = normaliseKey(k);
      out[nk] = (out[nk] || 0) + num(typeof c === 'object' && c ? c.count ?? c.projects : c);
    }
  }
  return out;
}

export function readSummary(data) {
  const d = data || {};
  const region = d.region || {};
  const totals = readTotals(d.totals || d);
  const byBatch = readCounts(d.by_batch || d.batches, ['batch', 'key', 'id', 'name'], batchId);
  const bySector = readCounts(d.by_sector || d.sectors, ['sector', 'key', 'id', 'name']);
  const children = (d.children || d.child_regions || []).map((c) => ({
    code: c.code || c.region_code,
    name: c.name || c.region_name || c.code,
    level: c.level,
    ...readTotals(c.totals || c),
  }));
  const trendRaw = d.trend || d.trends || d.years || [];
  const trend = (Array.isArray(trendRaw) ? trendRaw : [])
    .filter((t) => t && typeof t === 'object' && t.year !== undefined)
    .map((t) => ({
      year: num(t.year),
      collective_income: t.collective_income ?? t.collective_income_fen ?? null,
      households_benefited: t.households_benefited ?? null,
    }))
    .sort((a, b) => a.year - b.year);
  const ancestors = (d.path || d.ancestors || region.path || []).map((r) => ({ code: r.code, name: r.name }));
  return {
    region: { code: region.code || d.region_code || '', name: region.name || d.region_name || '', level: region.level ?? null },
    year: d.year ?? null,
    years: Array.isArray(d.years_available) ? d.years_available.map(Number) : Array.isArray(d.available_years) ? d.available_years.map(Number) : null,
    totals,
    byBatch,
    bySector,
    children,
    trend,
    ancestors,
  };
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
      data: keys.map((k) => ({ name: label(BATCHES, k), value: byBatch[k] || 0, itemStyle: BATCH_COLORS[k] ? { color: BATCH_COLORS[k] } : undefined })),
    }],
  };
}

export function sectorChartOption(bySector) {
  const rows = Object.entries(bySector).sort((a, b) => b[1] - a[1]);
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    grid: { left: 80, right: 24, top: 10, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map(([k]) => label(SECTORS, k)) },
    series: [{ type: 'bar', name: '项目数', data: rows.map(([, v]) => v), itemStyle: { color: '#409eff' }, barMaxWidth: 18 }],
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
      { type: 'bar', name: '村集体收益（万元）', data: trend.map((t) => fenToWanNumber(t.collective_income)), itemStyle: { color: '#67c23a' }, barMaxWidth: 28 },
      { type: 'line', name: '带动户数', yAxisIndex: 1, data: trend.map((t) => (t.households_benefited === null ? null : num(t.households_benefited))), itemStyle: { color: '#e6a23c' } },
    ],
  };
}
