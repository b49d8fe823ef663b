// The URL holds a page's state (filters, sort, page, the dashboard's region
// and year) so that a page can be shared and reloaded. A page declares a
// schema of its query parameters; readQuery turns a route query into typed
// state (invalid values fall back to the default), writeQuery turns state back
// into a query that omits defaults, so URLs stay short and canonical.
//
// Schema entry: name -> { type: 'string'|'int'|'enum'|'region'|'sort'|'bool',
//                         default, values (enum), min, max (int) }

const REGION_RE = /^\d{12}$/;
const SORT_RE = /^-?[a-z_][a-z0-9_]{0,40}$/;

function first(v) {
  return Array.isArray(v) ? v[0] : v;
}

function parseOne(spec, raw) {
  if (raw === undefined || raw === null || raw === '') return spec.default;
  const s = String(raw);
  switch (spec.type) {
    case 'string':
      return s.length > 200 ? s.slice(0, 200) : s;
    case 'int': {
      if (!/^-?\d{1,9}$/.test(s)) return spec.default;
      const n = Number(s);
      if (spec.min !== undefined && n < spec.min) return spec.default;
      if (spec.max !== undefined && n > spec.max) return spec.default;
      return n;
    }
    case 'enum':
      return spec.values.includes(s) ? s : spec.default;
    case 'region':
      return REGION_RE.test(s) ? s : spec.default;
    case 'sort':
      return SORT_RE.test(s) && (!spec.values || spec.values.includes(s.replace(/^-/, ''))) ? s : spec.default;
    case 'bool':
      return s === '1' || s === 'true' ? true : s === '0' || s === 'false' ? false : spec.default;
    default:
      return spec.default;
  }
}

function defaultOf(spec) {
  return spec.default === undefined ? (spec.type === 'int' ? null : spec.type === 'bool' ? false : '') : spec.default;
}

function normalise(schema) {
  const out = {};
  for (const [k, spec] of Object.entries(schema)) out[k] = { ...spec, default: defaultOf(spec) };
  return out;
}

// route.query -> state object with every schema key present.
export function readQuery(query, schema) {
  const s = normalise(schema);
  const state = {};
  for (const [k, spec] of Object.entries(s)) state[k] = parseOne(spec, first(query ? query[k] : undefined));
  return state;
}

// state -> query object (strings), without defaults and empties, keys in schema order.
export function writeQuery(state, schema) {
  const s = normalise(schema);
  const q = {};
  for (const [k, spec] of Object.entries(s)) {
    const v = state[k];
    if (v === undefined || v === null || v === '' || v === spec.default) continue;
    if (spec.type === 'bool') q[k] = v ? '1' : '0';
    else q[k] = String(v);
  }
  return q;
}

// True when two queries mean the same state (used to avoid pushing a
// history entry that changes nothing).
export function sameQuery(a, b) {
  const ka = Object.keys(a || {}).filter((k) => a[k] !== undefined && a[k] !== '');
  const kb = Object.keys(b || {}).filter((k) => b[k] !== undefined && b[k] !== '');
  if (ka.length !== kb.length) return false;
  return ka.every((k) => String(first(a[k])) === String(first(b[k])));
}

// When a filter changes the page must go back to 1; when only the page or
// sort changes it must not. Returns the new state.
export function applyFilter(state, changes) {
  const next = { ...state, ...changes };
  const onlyPaging = Object.keys(changes).every((k) => k === 'page' || k === 'size' || k === 'sort');
  if (!onlyPaging && 'page' in state) next.page = 1;
  return next;
}

// "-investment" <-> { prop: 'investment', order: 'descending' } (Element Plus).
export function sortToElement(sort) {
  if (!sort) return { prop: null, order: null };
  const desc = sort.startsWith('-');
  return { prop: desc ? sort.slice(1) : sort, order: desc ? 'descending' : 'ascending' };
}

export function elementToSort({ prop, order }) {
  if (!prop || !order) return '';
  return (order === 'descending' ? '-' : '') + prop;
}

// State -> API query parameters: drops empties; page/size -> offset/limit
// only when asked, since the API may use either.
export function toApiParams(state, { rename = {}, drop = [] } = {}) {
  const p = {};
  for (const [k, v] of Object.entries(state)) {
    if (drop.includes(k)) continue;
    if (v === undefined || v === null || v === '') continue;
    p[rename[k] || k] = v;
  }
  return p;
}

// ---- regions: 12-digit statistical codes, five levels --------------------
// province PP0000000000, city PPCC00000000, county PPCCDD000000,
// township PPCCDDTTT000, village PPCCDDTTTVVV.

const LEVEL_DIGITS = [2, 4, 6, 9, 12];

export function isRegionCode(code) {
  return typeof code === 'string' && REGION_RE.test(code);
}

// 1 province .. 5 village; 0 for an invalid code.
export function regionLevel(code) {
  if (!isRegionCode(code)) return 0;
  if (/^\d{2}0{10}$/.test(code)) return 1;
  if (/^\d{4}0{8}$/.test(code)) return 2;
  if (/^\d{6}0{6}$/.test(code)) return 3;
  if (/^\d{9}000$/.test(code)) return 4;
  return 5;
}

// The code of the region's ancestor at `level` (1..5).
export function regionAncestor(code, level) {
  const n = LEVEL_DIGITS[level - 1];
  return code.slice(0, n).padEnd(12, '0');
}

// Codes from the province down to the region itself.
export function regionPath(code) {
  const lv = regionLevel(code);
  const out = [];
  for (let l = 1; l <= lv; l++) {
    const a = regionAncestor(code, l);
    if (!out.includes(a)) out.push(a);
  }
  return out;
}

// Is `code` within the subtree of `root`?
export function regionWithin(code, root) {
  const lr = regionLevel(root);
  if (!lr || !regionLevel(code)) return false;
  return regionLevel(code) >= lr && regionAncestor(code, lr) === root;
}

// The breadcrumb of a drill-down: from the user's own region (the top they
// may see) down to the current one. Names come from `names` (code -> name)
// when known. Regions above the user's are not shown: the user may not go there.
export function breadcrumb(current, userRegion, names = {}) {
  const path = regionPath(current);
  const top = regionLevel(userRegion) || 1;
  return path
    .filter((c) => regionLevel(c) >= top)
    .map((c) => ({ code: c, name: names[c] || c, level: regionLevel(c), current: c === current }));
}
