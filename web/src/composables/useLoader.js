// Loading state of one request: data, loading, error; `run` ignores answers
// that arrive after a newer request was started, so fast filter changes
// never show stale rows.

import { ref, shallowRef } from 'vue';

export function useLoader(fn, { initial = null } = {}) {
  const data = shallowRef(initial);
  const loading = ref(false);
  const error = shallowRef(null);
  let seq = 0;

  async function run(...args) {
    const my = ++seq;
    loading.value = true;
    error.value = null;
    try {
      const result = await fn(...args);
      if (my === seq) data.value = result;
      return result;
    } catch (e) {
      if (my === seq) error.value = e;
      return undefined;
    } finally {
      if (my === seq) loading.value = false;
    }
  }

  return { data, loading, error, run };
}
