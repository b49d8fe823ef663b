import { describe, it, expect } from 'vitest';
import { transitionMatrix, canConfirm, overrideProblem, countsByBatch, decideAll } from '../src/lib/batches.js';

describe('transition table after a re-run', () => {
  it('builds a matrix from a list of moves, in the plan order', () => {
    const m = transitionMatrix([
      { from: 'upgrade', to: 'revitalise', count: 3 },
      { from: 'consolidate', to: 'upgrade', count: 2 },
      { from: '巩固', to: '提升', count: 1 },
      { from: 'revitalise', to: 'revitalise', count: 10 },
    ]);
    expect(m.rows).toEqual(['consolidate', 'upgrade', 'revitalise']);
    expect(m.cols).toEqual(['upgrade', 'revitalise']);
    expect(m.cells.consolidate.upgrade).toBe(3);
    expect(m.moved).toBe(6);
    expect(m.total).toBe(16);
  });
  it('accepts a map and tuples, and first-time classifications', () => {
    const m = transitionMatrix({ '巩固->另起炉灶': 1, '→盘活': 4 });
    expect(m.cells.consolidate.terminate).toBe(1);
    expect(m.cells[''].revitalise).toBe(4);
    expect(m.rows).toEqual(['consolidate', '']);
    const t = transitionMatrix([['upgrade', 'consolidate', '7']]);
    expect(t.cells.upgrade.consolidate).toBe(7);
  });
  it('is empty for nothing', () => {
    expect(transitionMatrix(null)).toEqual({ rows: [], cols: [], cells: {}, moved: 0, total: 0 });
  });
});

describe('confirm and override', () => {
  it('confirms only undecided proposals', () => {
    expect(canConfirm({ proposed_batch: 'upgrade' })).toBe(true);
    expect(canConfirm({ proposed_batch: 'upgrade', confirmed_batch: 'upgrade' })).toBe(false);
    expect(canConfirm(null)).toBe(false);
  });
  it('needs another batch and a reason to override', () => {
    const row = { proposed_batch: '提升' };
    expect(overrideProblem(row, '', 'x')).toMatch(/选择/);
    expect(overrideProblem(row, 'upgrade', '理由充分的说明')).toMatch(/相同/);
    expect(overrideProblem(row, 'revitalise', '短')).toMatch(/原因/);
    expect(overrideProblem(row, 'revitalise', 'x'.repeat(501))).toMatch(/500/);
    expect(overrideProblem(row, 'revitalise', '村里已与企业签订租赁合同')).toBe('');
  });
});

describe('counts per batch', () => {
  it('reads groups or a map, in ids', () => {
    expect(countsByBatch([{ key: 'consolidate', count: 3 }, { batch: '提升', projects: 2 }, { key: '' }])).toEqual({ consolidate: 3, upgrade: 2 });
    expect(countsByBatch({ 盘活: 4, terminate: '1' })).toEqual({ revitalise: 4, terminate: 1 });
    expect(countsByBatch(null)).toEqual({});
  });
});

describe('deciding many proposals', () => {
  it('runs every row, at most a few at a time, and reports failures', async () => {
    let running = 0;
    let peak = 0;
    const rows = Array.from({ length: 10 }, (_, i) => ({ project_code: `P${i}` }));
    const r = await decideAll(rows, async (row) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((res) => setTimeout(res, 5));
      running--;
      if (row.project_code === 'P3') throw Object.assign(new Error('该记录已被他人修改'), { status: 409 });
    }, 3);
    expect(r.done).toBe(9);
    expect(r.failures).toEqual([{ row: rows[3], message: '该记录已被他人修改', status: 409 }]);
    expect(peak).toBeLessThanOrEqual(3);
  });
  it('does nothing for no rows', async () => {
    expect(await decideAll([], async () => {})).toEqual({ done: 0, failures: [] });
  });
  it('reads transitions with project counts', () => {
    const m = transitionMatrix([{ from: 'consolidate', to: 'upgrade', projects: 4 }]);
    expect(m.cells.consolidate.upgrade).toBe(4);
  });
});
