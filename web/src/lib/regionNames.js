// A small cache of region names seen in answers (region trees, summaries),
// so a breadcrumb can name every level; missing names are fetched once.
import { reactive } from 'vue';
import { getRegion } from '../api/endpoints.js';

export const regionNames = reactive({});
const pending = new Set();

export function rememberRegion(code, name) {
  if (code && name && regionNames[code] !== name) regionNames[code] = name;
}

// Remember every region of a tree answer { region, path, children }.
export function rememberTree(tree) {
  if (!tree) return;
  if (tree.region) rememberRegion(tree.region.code, tree.region.name);
  for (const r of tree.path || []) rememberRegion(r.code, r.name);
  for (const r of tree.children || []) rememberRegion(r.code, r.name);
}

export async function ensureRegionNames(codes) {
  const missing = codes.filter((c) => !regionNames[c] && !pending.has(c));
  // The deepest one's path names all the others.
  const deepest = missing[missing.length - 1];
  if (!deepest) return;
  missing.forEach((c) => pending.add(c));
  try {
    rememberTree(await getRegion(deepest));
  } catch {
    // Not visible to this user, or not there: the code is shown instead.
  } finally {
    missing.forEach((c) => pending.delete(c));
  }
}
