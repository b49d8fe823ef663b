// Formatting the way Chinese officials read figures: money arrives from the
// API in integer fen and is shown in 万元 or 元 with thousands separators;
// dates are YYYY-MM-DD in Asia/Shanghai; percentages with a fixed number of
// decimals. Money is computed with BigInt so that no fen is lost to binary
// floating point. Every function returns '—' for a missing value, so tables
// never show "NaN" or "undefined".

export const EMPTY = '—';

// Asia/Shanghai has been UTC+8 without daylight saving since 1991, so a fixed
// offset gives the same answer as the IANA zone without depending on ICU data.
const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000;

function isMissing(v) {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

// Integer fen from a number, numeric string or BigInt; null when it is not an integer.
export function toFen(v) {
  if (isMissing(v)) return null;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : null;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return null;
}

// "1234567" -> "1,234,567" (digits only, no sign).
function groupDigits(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// Divide a fen amount by unit (in fen), round half away from zero to
// `decimals` places, and print it with separators.
function scaled(fen, unitFen, decimals) {
  const neg = fen < 0n;
  let abs = neg ? -fen : fen;
  const scale = 10n ** BigInt(decimals);
  // rounded = round(abs * scale / unit)
  const num = abs * scale;
  let q = num / unitFen;
  const r = num % unitFen;
  if (r * 2n >= unitFen) q += 1n;
  const intPart = q / scale;
  const frac = q % scale;
  let s = groupDigits(intPart.toString());
  if (decimals > 0) s += '.' + frac.toString().padStart(decimals, '0');
  const zero = q === 0n;
  return (neg && !zero ? '-' : '') + s;
}

// Money as the API sends it: a decimal string in 元 ("1234.50", "-3.5",
// "12"), or an integer number of 元. Returns fen as BigInt, or null.
export function moneyToFen(v) {
  if (isMissing(v)) return null;
  if (typeof v === 'bigint') return v * 100n;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) * 100n : BigInt(Math.round(v * 100));
  if (typeof v !== 'string') return null;
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v.trim());
  if (!m) return null;
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0'));
  return m[1] ? -fen : fen;
}

// API money (元) shown in 万元: "1234567.89" -> "123.46".
export function wan(v, decimals = 2) {
  const fen = moneyToFen(v);
  return fen === null ? EMPTY : fenToWan(fen, decimals);
}

// For headline cards: 万元 up to 10亿元, 亿元 beyond, so a province's total
// still fits a card at 1366 px: {value: "914.20", unit: "亿元"}.
export function bigMoney(v, decimals = 2) {
  const fen = moneyToFen(v);
  if (fen === null) return { value: EMPTY, unit: '万元' };
  const abs = fen < 0n ? -fen : fen;
  if (abs >= 100000000000n) return { value: scaled(fen, 10000000000n, decimals), unit: '亿元' };
  return { value: scaled(fen, 1000000n, decimals), unit: '万元' };
}

// The same with the unit: "123.46 万元".
export function wanUnit(v, decimals = 2) {
  const s = wan(v, decimals);
  return s === EMPTY ? s : s + ' 万元';
}

// API money (元) shown in 元 with separators: "1234.5" -> "1,234.50".
export function yuan(v, decimals = 2) {
  const fen = moneyToFen(v);
  return fen === null ? EMPTY : fenToYuan(fen, decimals);
}

// API money as a number of 万元 for charts.
export function wanNumber(v) {
  const fen = moneyToFen(v);
  return fen === null ? null : Number(fen) / 1e6;
}

// 万元 from fen: 123456789012 -> "123,456.79". decimals defaults to 2.
export function fenToWan(v, decimals = 2) {
  const fen = toFen(v);
  if (fen === null) return EMPTY;
  return scaled(fen, 1000000n, decimals);
}

// The same with the unit: "123,456.79 万元".
export function formatWan(v, decimals = 2) {
  const s = fenToWan(v, decimals);
  return s === EMPTY ? s : s + ' 万元';
}

// 元 from fen: 123456 -> "1,234.56".
export function fenToYuan(v, decimals = 2) {
  const fen = toFen(v);
  if (fen === null) return EMPTY;
  return scaled(fen, 100n, decimals);
}

export function formatYuan(v, decimals = 2) {
  const s = fenToYuan(v, decimals);
  return s === EMPTY ? s : s + ' 元';
}

// A number of 万元 as a plain JS number, for chart axes (precision is not
// needed there, readability is).
export function fenToWanNumber(v) {
  const fen = toFen(v);
  if (fen === null) return null;
  return Number(fen) / 1e6;
}

// Parse what a user types as 元 ("1,234.5", "１２３" is not accepted) into fen.
// Returns { fen } or { error } with a Chinese message.
export function parseYuan(text) {
  if (isMissing(text)) return { error: '请输入金额' };
  const s = String(text).trim().replace(/[,，\s]/g, '');
  const m = /^(-?)(\d{1,13})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return { error: '金额格式不正确，应为数字，最多两位小数' };
  const fen = BigInt(m[2]) * 100n + BigInt((m[3] || '').padEnd(2, '0'));
  return { fen: m[1] ? -fen : fen };
}

// Integer with separators: 1234567 -> "1,234,567".
export function formatInt(v) {
  if (isMissing(v)) return EMPTY;
  if (typeof v === 'bigint') return (v < 0n ? '-' : '') + groupDigits((v < 0n ? -v : v).toString());
  const n = Number(v);
  if (!Number.isFinite(n)) return EMPTY;
  const r = Math.round(n);
  return (r < 0 ? '-' : '') + groupDigits(String(Math.abs(r)));
}

// A value already in percent (return_pct = 4.5) -> "4.5%".
export function formatPercent(v, decimals = 1) {
  if (isMissing(v)) return EMPTY;
  const n = Number(v);
  if (!Number.isFinite(n)) return EMPTY;
  const f = n.toFixed(decimals);
  return (Number(f) === 0 ? (0).toFixed(decimals) : f) + '%';
}

// A ratio (0.045) -> "4.5%".
export function formatRatio(v, decimals = 1) {
  if (isMissing(v)) return EMPTY;
  const n = Number(v);
  if (!Number.isFinite(n)) return EMPTY;
  return formatPercent(n * 100, decimals);
}

// part / whole as a percentage string; '—' when whole is 0.
export function formatShare(part, whole, decimals = 1) {
  const p = Number(part);
  const w = Number(whole);
  if (!Number.isFinite(p) || !Number.isFinite(w) || w === 0) return EMPTY;
  return formatPercent((p / w) * 100, decimals);
}

function pad2(n) {
  return String(n).padStart(2, '0');
}

// Accepts a 'YYYY-MM-DD' date (returned unchanged, it is a calendar date),
// epoch seconds (number), an ISO timestamp, or a Date. Timestamps are shown
// in Asia/Shanghai.
function toShanghaiParts(v) {
  if (isMissing(v)) return null;
  let ms;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'number') ms = v * 1000;
  else if (typeof v === 'string') {
    const s = v.trim();
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
      const [y, m, d] = s.split('-').map(Number);
      return { date: true, y, m, d, hh: 0, mm: 0, ss: 0 };
    }
    if (/^\d+$/.test(s)) ms = Number(s) * 1000;
    else ms = Date.parse(s);
  } else return null;
  if (!Number.isFinite(ms)) return null;
  const t = new Date(ms + SHANGHAI_OFFSET_MS);
  return {
    date: false,
    y: t.getUTCFullYear(),
    m: t.getUTCMonth() + 1,
    d: t.getUTCDate(),
    hh: t.getUTCHours(),
    mm: t.getUTCMinutes(),
    ss: t.getUTCSeconds(),
  };
}

// -> "2026-11-29"
export function formatDate(v) {
  const p = toShanghaiParts(v);
  if (!p) return EMPTY;
  return `${p.y}-${pad2(p.m)}-${pad2(p.d)}`;
}

// -> "2026-11-29 10:30" (a bare date stays a date)
export function formatDateTime(v, withSeconds = false) {
  const p = toShanghaiParts(v);
  if (!p) return EMPTY;
  const date = `${p.y}-${pad2(p.m)}-${pad2(p.d)}`;
  if (p.date) return date;
  return `${date} ${pad2(p.hh)}:${pad2(p.mm)}${withSeconds ? ':' + pad2(p.ss) : ''}`;
}

// Today's year in Shanghai (the default year of the dashboard).
export function shanghaiYear(now = new Date()) {
  return new Date(now.getTime() + SHANGHAI_OFFSET_MS).getUTCFullYear();
}

// kW from watts (asset capacity): 12345 -> "12.345 kW".
export function formatKw(watts) {
  if (isMissing(watts)) return EMPTY;
  const n = Number(watts);
  if (!Number.isFinite(n)) return EMPTY;
  return `${groupDigits(String(Math.trunc(Math.abs(n) / 1000)))}${(Math.abs(n) % 1000 ? '.' + String(Math.abs(n) % 1000).padStart(3, '0').replace(/0+$/, '') : '')} kW`;
}

// File sizes in the import page.
export function formatBytes(n) {
  if (isMissing(n)) return EMPTY;
  const b = Number(n);
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KB`;
  return `${(b / 1024 / 1024).toFixed(1)} MB`;
}
