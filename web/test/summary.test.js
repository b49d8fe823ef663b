import { describe, it, expect } from 'vitest';
import { readSummary, readGroups, trendOf, batchChartOption, sectorChartOption, trendChartOption } from '../src/lib/summary.js';
import { listOf, pageParams, zhOf } from '../src/lib/shape.js';

const answer = (year, income, benefited) => ({
  region: { code: '361000000000', name: '抚州市', level: 2, level_zh: '设区市' },
  year,
  totals: { projects: 120, investment: '25000000.00', asset_value: '18000000.50', collective_income: income, households_benefited: benefited, households: 900, persons: 2700 },
  by_batch: [{ key: 'consolidate', zh: '巩固', projects: 70 }, { key: '提升', zh: '提升', projects: 30 }, { key: 'revitalise', zh: '盘活', projects: 15 }, { key: 'terminate', zh: '另起炉灶', projects: 5 }],
  by_sector: [{ key: 'planting', zh: '种植业', projects: 50 }, { key: 'pv', zh: '光伏', projects: 70 }],
  by_child: [{ key: '361030000000', zh: '广昌县', projects: 120, asset_value: '1000000.00', households: 900 }],
  by_household_kind: [{ key: 'alleviated', zh: '脱贫户', households: 700 }, { key: 'unstable', zh: '脱贫不稳定户', households: 20 }, { key: 'marginal', households: 30 }, { key: 'hardship', households: 5 }],
});

describe('reading the summary', () => {
  it('reads totals, monitored households, batches, sectors and children', () => {
    const s = readSummary(answer(2025, '3000000.00', 400));
    expect(s.region).toEqual({ code: '361000000000', name: '抚州市', level: 2, level_zh: '设区市' });
    expect(s.totals.projects).toBe(120);
    expect(s.totals.asset_value).toBe('18000000.50');
    expect(s.totals.monitored).toBe(55);
    expect(s.totals.open_warnings).toBe(null);
    expect(Object.keys(s.byBatch)).toEqual(['consolidate', 'upgrade', 'revitalise', 'terminate']);
    expect(s.byBatch.upgrade.projects).toBe(30);
    expect(s.bySector.pv.projects).toBe(70);
    expect(s.children[0]).toMatchObject({ code: '361030000000', name: '广昌县', projects: 120, asset_value: '1000000.00' });
  });
  it('survives an empty answer', () => {
    const s = readSummary(null);
    expect(s.children).toEqual([]);
    expect(s.totals.projects).toBe(null);
    expect(s.totals.monitored).toBe(null);
    expect(readGroups('x')).toEqual({});
    expect(readGroups([null, { zh: 'no key' }])).toEqual({});
  });
  it('builds the trend from several years and drops empty leading years', () => {
    const t = trendOf([answer(2024, '2000000.00', 300), answer(2021, '0.00', 0), answer(2025, '3000000.00', 400), answer(2022, '1000000.00', 0)].map(readSummary));
    expect(t.map((x) => x.year)).toEqual([2022, 2024, 2025]);
    expect(t[2].collective_income).toBe('3000000.00');
  });
  it('draws the four batches in plan order with their colours', () => {
    const o = batchChartOption(readSummary({ by_batch: [{ key: 'revitalise', projects: 2 }, { key: 'consolidate', projects: 5 }] }).byBatch);
    expect(o.series[0].data.map((d) => d.name)).toEqual(['巩固', '盘活']);
    expect(o.series[0].data.map((d) => d.value)).toEqual([5, 2]);
    expect(o.series[0].data[0].itemStyle.color).toBe('#3a8ee6');
    const u = batchChartOption(readSummary({ by_batch: [{ key: 'none', zh: '未分类', projects: 9 }] }).byBatch);
    expect(u.series[0].data).toEqual([{ name: '未分类', value: 9, itemStyle: { color: '#c0c4cc' } }]);
  });
  it('sorts sectors by count and shows the trend in 万元', () => {
    const o = sectorChartOption(readSummary({ by_sector: [{ key: 'planting', zh: '种植业', projects: 5 }, { key: 'pv', zh: '光伏', projects: 9 }, { key: 'mystery', projects: 1 }] }).bySector);
    expect(o.yAxis.data).toEqual(['光伏', '种植业', 'mystery']);
    expect(o.series[0].data).toEqual([9, 5, 1]);
    const t = trendChartOption(trendOf([answer(2022, '10000.00', 4), answer(2023, '30000.00', 10)].map(readSummary)));
    expect(t.xAxis.data).toEqual(['2022', '2023']);
    expect(t.series[0].data).toEqual([1, 3]);
    expect(t.series[1].data).toEqual([4, 10]);
  });
});

describe('list answers and paging', () => {
  it('reads arrays and wrapped lists', () => {
    expect(listOf([1, 2])).toEqual({ items: [1, 2], total: 2 });
    expect(listOf({ items: [1], total: 40 })).toEqual({ items: [1], total: 40 });
    expect(listOf({ data: [1, 2, 3] })).toEqual({ items: [1, 2, 3], total: 3 });
    expect(listOf(null)).toEqual({ items: [], total: 0 });
  });
  it('turns pages into page and page_size within the API limit', () => {
    expect(pageParams(1, 20)).toEqual({ page: 1, page_size: 20 });
    expect(pageParams(3, 50)).toEqual({ page: 3, page_size: 50 });
    expect(pageParams(0, 9999)).toEqual({ page: 1, page_size: 500 });
  });
  it('prefers the API label of an enumeration', () => {
    expect(zhOf({ sector: 'pv', sector_zh: '光伏' }, 'sector', {})).toBe('光伏');
    expect(zhOf({ sector: 'pv' }, 'sector', { pv: '光伏发电' })).toBe('光伏发电');
    expect(zhOf({ sector: 'x' }, 'sector', {})).toBe('x');
    expect(zhOf({}, 'sector', {})).toBe('—');
  });
});
