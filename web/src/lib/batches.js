// State logic of the four-batches review: the transition table after a
// re-run (from batch x to batch, counts), and which rows may be confirmed.
import { BATCH_ORDER, batchId } from './labels.js';
import { num } from './shape.js';

// [{from, to, count}] or {"巩固->提升": 3} or [[from, to, count]] -> matrix
// { rows: [from...], cols: [to...], cells: {from: {to: n}}, moved, total }.
// A missing "from" (a project classified for the first time) is '' ("新增").
export function transitionMatrix(raw) {
  const cells = {};
  const add = (from, to, n) => {
    const f = from ? batchId(from) : '';
    const t = to ? batchId(to) : '';
    cells[f] = cells[f] || {};
    cells[f][t] = (cells[f][t] || 0) + num(n);
  };
  if (Array.isArray(raw)) {
    for (const r of raw) {
      if (Array.isArray(r)) add(r[0], r[1], r[2]);
      else if (r && typeof r === 'object') add(r.from ?? r.from_batch, r.to ?? r.to_batch, r.count ?? r.projects ?? r.n);
    }
  } else if (raw && typeof raw === 'object') {
    for (const [k, n] of Object.entries(raw)) {
      const m = /^(.*?)\s*(?:->|→|>)\s*(.*)$/.exec(k);
      if (m) add(m[1], m[2], n);
    }
  }
  const order = (keys) => [...BATCH_ORDER.filter((b) => keys.has(b)), ...[...keys].filter((b) => !BATCH_ORDER.includes(b))];
  const fromKeys = new Set(Object.keys(cells));
  const toKeys = new Set(Object.values(cells).flatMap((r) => Object.keys(r)));
  let moved = 0;
  let total = 0;
  for (const [f, row] of Object.entries(cells)) {
    for (const [t, n] of Object.entries(row)) {
      total += n;
      if (f !== t) moved += n;
    }
  }
  return { rows: order(fromKeys), cols: order(toKeys), cells, moved, total };
}

// A proposal may be confirmed while it has no decision; overriding needs a
// different batch and a reason of at least a few characters.
export function canConfirm(row) {
  return !!row && !row.confirmed_batch && !row.decided;
}

export function overrideProblem(row, batch, reason) {
  if (!batch) return '请选择调整后的批次';
  if (row && batchId(row.proposed_batch) === batchId(batch)) return '调整后的批次与建议批次相同，请直接确认';
  const r = (reason || '').trim();
  if (r.length < 4) return '请填写调整原因（至少 4 个字）';
  if (r.length > 500) return '调整原因不能超过 500 个字';
  return '';
}

// Counts per batch from a list answer: [{key|batch, count|projects}] or {batch: n}.
export function countsByBatch(v) {
  const out = {};
  if (Array.isArray(v)) {
    for (const g of v) {
      if (!g || typeof g !== 'object') continue;
      const k = batchId(String(g.key ?? g.batch ?? ''));
      if (!k) continue;
      out[k] = (out[k] || 0) + num(g.count ?? g.projects ?? 0);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, n] of Object.entries(v)) out[batchId(k)] = (out[batchId(k)] || 0) + num(n);
  }
  return out;
}

// Run one decision per row, a few at a time (the server is a 2-core machine
// shared by everyone), and say which failed and why. fn(row) -> Promise.
export async function decideAll(rows, fn, concurrency = 4) {
  const failures = [];
  let done = 0;
  let next = 0;
  async function worker() {
    while (next < rows.length) {
      const row = rows[next++];
      try {
        await fn(row);
        done++;
      } catch (e) {
        failures.push({ row, message: (e && e.message) || String(e), status: e && e.status });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  return { done, failures };
}
