// Binds a page's state to the URL query (see lib/urlstate.js): `state` is
// always what the URL says; `update(changes)` writes a new URL (which then
// updates state), so reload and back/forward give the same page.

import { computed } from 'vue';
import { useRoute, useRouter } from 'vue-router';
import { readQuery, writeQuery, applyFilter, sameQuery } from '../lib/urlstate.js';

export function useQueryState(schema, { push = true } = {}) {
  const route = useRoute();
  const router = useRouter();
  const state = computed(() => readQuery(route.query, schema));

  function update(changes) {
    const next = applyFilter(state.value, changes);
    const query = writeQuery(next, schema);
    if (sameQuery(query, route.query)) return Promise.resolve();
    return push ? router.push({ query }) : router.replace({ query });
  }

  function reset() {
    return router.push({ query: {} });
  }

  return { state, update, reset };
}
