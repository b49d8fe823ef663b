// A small cache of region names seen in answers (summaries, lists), so a
// breadcrumb can name every level; missing names are fetched once.
import { reactive } from 'vue';
import { getRegion } from '../api/endpoints.js';

export const regionNames = reactive({});
const pending = new Set();

export function rememberRegion(code, name) {
  if (code && name && regionNames[code] !== name) regionNames[code] = name;
}

export async function ensureRegionNames(codes) {
  const missing = codes.filter((c) => !regionNames[c] && !pending.has(c));
  await Promise.all(missing.map(async (c) => {
    pending.add(c);
    try {
      const r = await getRegion(c);
      const reg = (r && (r.region || r)) || {};
      if (reg.name) rememberRegion(c, reg.name);
    } catch {
      // Not visible to this user, or not there: the code is shown instead.
    } finally {
      pending.delete(c);
    }
  }));
}
