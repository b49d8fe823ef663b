// Reading an import answer (dry run or commit) into one shape: counts and the
// per-row errors (row, column, value, reason) the page lists. The server may
// answer 200 with a report, or 4xx with the report inside the error body.
import { num } from './shape.js';

export function readImportReport(data) {
  const d = (data && (data.report || data.result || data)) || {};
  const errs = d.errors || (data && data.error && data.error.errors) || (data && data.errors) || [];
  const errors = (Array.isArray(errs) ? errs : []).map((e) => ({
    row: num(e.row, 0),
    column: e.column || e.header || '',
    value: e.value ?? '',
    reason: e.reason || e.message || '',
  }));
  const rows = num(d.rows, 0);
  const bad = d.bad !== undefined ? num(d.bad) : new Set(errors.filter((e) => e.row > 0).map((e) => e.row)).size;
  return {
    rows,
    good: d.good !== undefined ? num(d.good) : Math.max(0, rows - bad),
    bad,
    errorCount: d.errors_total !== undefined ? num(d.errors_total) : typeof d.errors === 'number' ? d.errors : errors.length,
    errors,
    inserted: num(d.inserted, 0),
    updated: num(d.updated, 0),
    unchanged: num(d.unchanged, 0),
    committed: !!d.committed,
    dryRun: d.dry_run !== undefined ? !!d.dry_run : !d.committed,
  };
}

// Errors grouped by row, for a table that shows each bad row once with
// every problem it has.
export function errorsByRow(errors) {
  const map = new Map();
  for (const e of errors) {
    if (!map.has(e.row)) map.set(e.row, []);
    map.get(e.row).push(e);
  }
  return [...map.entries()].sort((a, b) => a[0] - b[0]).map(([row, list]) => ({ row, errors: list }));
}

const ALLOWED = /\.(csv|xlsx)$/i;
// A file the page should not even send: wrong type, empty, over the limit.
export function fileProblem(file, maxBytes = 50 * 1024 * 1024) {
  if (!file) return '请选择要导入的文件';
  if (!ALLOWED.test(file.name || '')) return '只支持 CSV 或 XLSX 文件';
  if (!file.size) return '文件是空的';
  if (file.size > maxBytes) return `文件超过 ${Math.round(maxBytes / 1024 / 1024)} MB 上限，请拆分后导入`;
  return '';
}

// An empty CSV template from the template's columns: UTF-8 with a BOM (so
// Excel reads the Chinese headers), CRLF, headers quoted when needed.
export function templateCsv(columns) {
  const cell = (v) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return '\ufeff' + columns.map((c) => cell(String(c.header || c.field || ''))).join(',') + '\r\n';
}
