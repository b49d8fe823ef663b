// Tolerant readers of API answers: a list may come as an array or as
// { items | data | results, total }; numbers may come as strings. Pages use
// these so an extra wrapper never shows up as an empty table.

export function listOf(data) {
  if (Array.isArray(data)) return { items: data, total: data.length };
  if (!data || typeof data !== 'object') return { items: [], total: 0 };
  const items = data.items || data.data || data.results || data.rows || [];
  const total = Number(data.total ?? data.count ?? data.total_count ?? items.length);
  return { items: Array.isArray(items) ? items : [], total: Number.isFinite(total) ? total : items.length };
}

export function num(v, fallback = 0) {
  if (v === null || v === undefined || v === '') return fallback;
  const n = Number(v);
  return Number.isFinite(n) ? n : fallback;
}

// Paging: page (1-based) and size -> the API's page/page_size (max 500).
export function pageParams(page, size) {
  const p = Math.max(1, Number(page) || 1);
  const s = Math.max(1, Math.min(500, Number(size) || 20));
  return { page: p, page_size: s };
}

// The Chinese label of an enum field: the API sends `<field>_zh` next to
// each enumeration; the UI's own table is the fallback.
export function zhOf(row, field, table) {
  if (!row) return '—';
  const z = row[`${field}_zh`];
  if (z) return z;
  const v = row[field];
  if (v === null || v === undefined || v === '') return '—';
  return (table && table[v]) || String(v);
}
