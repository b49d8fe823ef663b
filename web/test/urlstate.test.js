import { describe, it, expect } from 'vitest';
import {
  readQuery, writeQuery, sameQuery, applyFilter, sortToElement, elementToSort, toApiParams,
  regionLevel, regionAncestor, regionPath, regionWithin, breadcrumb, isRegionCode,
} from '../src/lib/urlstate.js';

const schema = {
  region: { type: 'region' },
  sector: { type: 'enum', values: ['planting', 'pv'] },
  year: { type: 'int', min: 2000, max: 2100, default: 2025 },
  q: { type: 'string' },
  sort: { type: 'sort', values: ['code', 'investment'], default: 'code' },
  page: { type: 'int', min: 1, default: 1 },
  mine: { type: 'bool' },
};

describe('reading the query string', () => {
  it('gives defaults for an empty query', () => {
    expect(readQuery({}, schema)).toEqual({
      region: '', sector: '', year: 2025, q: '', sort: 'code', page: 1, mine: false,
    });
  });
  it('types the values it accepts', () => {
    const s = readQuery({ region: '360721000000', sector: 'pv', year: '2024', q: '光伏', sort: '-investment', page: '3', mine: '1' }, schema);
    expect(s).toEqual({ region: '360721000000', sector: 'pv', year: 2024, q: '光伏', sort: '-investment', page: 3, mine: true });
  });
  it('falls back to defaults for values it refuses', () => {
    const s = readQuery({ region: '3607', sector: 'gold', year: '1999', sort: 'password', page: '0', mine: 'x' }, schema);
    expect(s.region).toBe('');
    expect(s.sector).toBe('');
    expect(s.year).toBe(2025);
    expect(s.sort).toBe('code');
    expect(s.page).toBe(1);
    expect(s.mine).toBe(false);
    expect(readQuery({ year: '20x5' }, schema).year).toBe(2025);
  });
  it('takes the first of repeated parameters and caps long text', () => {
    expect(readQuery({ sector: ['pv', 'planting'] }, schema).sector).toBe('pv');
    expect(readQuery({ q: 'a'.repeat(500) }, schema).q.length).toBe(200);
  });
});

describe('writing the query string', () => {
  it('omits defaults and empties', () => {
    expect(writeQuery({ region: '', sector: '', year: 2025, q: '', sort: 'code', page: 1, mine: false }, schema)).toEqual({});
  });
  it('round-trips a state through the URL', () => {
    const state = { region: '360721000000', sector: 'pv', year: 2023, q: '油茶', sort: '-investment', page: 2, mine: true };
    const q = writeQuery(state, schema);
    expect(q).toEqual({ region: '360721000000', sector: 'pv', year: '2023', q: '油茶', sort: '-investment', page: '2', mine: '1' });
    expect(readQuery(q, schema)).toEqual(state);
    expect(sameQuery(q, { ...q })).toBe(true);
    expect(sameQuery(q, { ...q, page: '3' })).toBe(false);
    expect(sameQuery({ a: '1', b: '' }, { a: '1' })).toBe(true);
  });
  it('returns to page 1 when a filter changes, not when the page changes', () => {
    const s = { sector: '', page: 4, sort: 'code' };
    expect(applyFilter(s, { sector: 'pv' }).page).toBe(1);
    expect(applyFilter(s, { page: 5 }).page).toBe(5);
    expect(applyFilter(s, { sort: '-code' }).page).toBe(4);
  });
  it('translates sort to and from Element Plus', () => {
    expect(sortToElement('-investment')).toEqual({ prop: 'investment', order: 'descending' });
    expect(sortToElement('code')).toEqual({ prop: 'code', order: 'ascending' });
    expect(sortToElement('')).toEqual({ prop: null, order: null });
    expect(elementToSort({ prop: 'investment', order: 'descending' })).toBe('-investment');
    expect(elementToSort({ prop: 'code', order: null })).toBe('');
  });
  it('builds API parameters without empties', () => {
    expect(toApiParams({ region: '', sector: 'pv', page: 2, size: 20 }, { rename: { size: 'limit' }, drop: ['page'] }))
      .toEqual({ sector: 'pv', limit: 20 });
  });
});

describe('region codes and the drill-down', () => {
  it('knows the five levels', () => {
    expect(regionLevel('360000000000')).toBe(1);
    expect(regionLevel('360700000000')).toBe(2);
    expect(regionLevel('360721000000')).toBe(3);
    expect(regionLevel('360721100000')).toBe(4);
    expect(regionLevel('360721100201')).toBe(5);
    expect(regionLevel('36072110020')).toBe(0);
    expect(regionLevel('36072110020x')).toBe(0);
    expect(isRegionCode(360000000000)).toBe(false);
  });
  it('finds ancestors and the path from the province', () => {
    expect(regionAncestor('360721100201', 3)).toBe('360721000000');
    expect(regionPath('360721100201')).toEqual(['360000000000', '360700000000', '360721000000', '360721100000', '360721100201']);
    expect(regionPath('360000000000')).toEqual(['360000000000']);
    expect(regionPath('bad')).toEqual([]);
  });
  it('tells whether a region is within a subtree', () => {
    expect(regionWithin('360721100201', '360721000000')).toBe(true);
    expect(regionWithin('360721000000', '360721000000')).toBe(true);
    expect(regionWithin('360722000000', '360721000000')).toBe(false);
    expect(regionWithin('360700000000', '360721000000')).toBe(false);
  });
  it('builds a breadcrumb that starts at the user region', () => {
    const names = { '360000000000': '江西省', '360700000000': '赣州市', '360721000000': '赣县区' };
    const province = breadcrumb('360721000000', '360000000000', names);
    expect(province.map((b) => b.name)).toEqual(['江西省', '赣州市', '赣县区']);
    expect(province[2].current).toBe(true);
    const county = breadcrumb('360721100201', '360721000000', names);
    expect(county.map((b) => b.code)).toEqual(['360721000000', '360721100000', '360721100201']);
    expect(county[1].name).toBe('360721100000');
  });
});
