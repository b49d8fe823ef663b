import { describe, it, expect } from 'vitest';
import { readSummary, readCounts, batchChartOption, sectorChartOption, trendChartOption } from '../src/lib/summary.js';
import { listOf, pageParams } from '../src/lib/shape.js';

describe('reading the summary', () => {
  const answer = {
    region: { code: '360700000000', name: '赣州市', level: 2 },
    year: 2025,
    totals: { projects: 120, operating_asset_value: '2500000000', households: 900, monitored_households: 80, open_warnings: 7 },
    by_batch: [{ batch: 'consolidate', count: 70 }, { batch: '提升', count: 30 }, { batch: 'revitalise', count: 15 }, { batch: 'terminate', count: 5 }],
    by_sector: { planting: 50, pv: 70 },
    children: [{ code: '360721000000', name: '赣县区', projects: 20, operating_asset_value: 1000000, households: 5, monitored_households: 1, open_warnings: 0 }],
    trend: [{ year: 2023, collective_income: 3000000, households_benefited: 10 }, { year: 2022, collective_income: 1000000, households_benefited: 4 }],
  };
  it('reads totals, batches, sectors, children and the trend', () => {
    const s = readSummary(answer);
    expect(s.region.name).toBe('赣州市');
    expect(s.totals).toEqual({ projects: 120, operating_assets: '2500000000', households: 900, monitored: 80, warnings: 7 });
    expect(s.byBatch).toEqual({ consolidate: 70, upgrade: 30, revitalise: 15, terminate: 5 });
    expect(s.bySector).toEqual({ planting: 50, pv: 70 });
    expect(s.children[0]).toMatchObject({ code: '360721000000', name: '赣县区', projects: 20, operating_assets: 1000000 });
    expect(s.trend.map((t) => t.year)).toEqual([2022, 2023]);
  });
  it('survives an empty answer', () => {
    const s = readSummary(null);
    expect(s.children).toEqual([]);
    expect(s.totals.projects).toBe(null);
    expect(readCounts('x', ['k'])).toEqual({});
  });
  it('draws the four batches in plan order with their colours', () => {
    const o = batchChartOption({ revitalise: 2, consolidate: 5 });
    expect(o.series[0].data.map((d) => d.name)).toEqual(['巩固', '提升', '盘活', '另起炉灶']);
    expect(o.series[0].data.map((d) => d.value)).toEqual([5, 0, 2, 0]);
  });
  it('sorts sectors by count and shows the trend in 万元', () => {
    const o = sectorChartOption({ planting: 5, pv: 9, mystery: 1 });
    expect(o.yAxis.data).toEqual(['光伏', '种植业', 'mystery']);
    const t = trendChartOption(readSummary(answer).trend);
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
  it('turns pages into offset and limit', () => {
    expect(pageParams(1, 20)).toEqual({ offset: 0, limit: 20 });
    expect(pageParams(3, 50)).toEqual({ offset: 100, limit: 50 });
    expect(pageParams(0, 9999)).toEqual({ offset: 0, limit: 500 });
  });
});
