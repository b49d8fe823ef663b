import { describe, it, expect } from 'vitest';
import {
  fenToWan, formatWan, fenToYuan, formatYuan, parseYuan, formatInt, formatPercent, formatRatio,
  formatShare, formatDate, formatDateTime, shanghaiYear, toFen, fenToWanNumber, formatKw, EMPTY,
  moneyToFen, wan, wanUnit, yuan, wanNumber,
} from '../src/lib/format.js';

describe('money in 万元 from fen', () => {
  it('divides by a million fen and groups thousands', () => {
    expect(fenToWan(123456789012)).toBe('123,456.79');
    expect(formatWan(123456789012)).toBe('123,456.79 万元');
    expect(fenToWan(1000000)).toBe('1.00');
    expect(fenToWan(0)).toBe('0.00');
  });
  it('rounds half away from zero at the last decimal', () => {
    expect(fenToWan(5000)).toBe('0.01'); // 50 元 = 0.005 万元 -> 0.01
    expect(fenToWan(4999)).toBe('0.00');
    expect(fenToWan(-5000)).toBe('-0.01');
    expect(fenToWan(-4999)).toBe('0.00'); // no "-0.00"
  });
  it('keeps every fen of amounts beyond 2^53', () => {
    // 9,007,199,254,740,993 fen is not representable as a double
    expect(fenToYuan('9007199254740993')).toBe('90,071,992,547,409.93');
    expect(fenToWan('9007199254740993', 4)).toBe('9,007,199,254.7410');
  });
  it('accepts strings and BigInt, refuses fractions of a fen', () => {
    expect(fenToWan('2500000')).toBe('2.50');
    expect(fenToWan(2500000n)).toBe('2.50');
    expect(toFen(1.5)).toBe(null);
    expect(fenToWan(1.5)).toBe(EMPTY);
    expect(fenToWan('12a')).toBe(EMPTY);
  });
  it('shows a dash for missing values', () => {
    for (const v of [null, undefined, '', NaN]) {
      expect(fenToWan(v)).toBe(EMPTY);
      expect(formatWan(v)).toBe(EMPTY);
      expect(formatYuan(v)).toBe(EMPTY);
    }
  });
  it('gives chart numbers in 万元', () => {
    expect(fenToWanNumber(25000000)).toBe(25);
    expect(fenToWanNumber(null)).toBe(null);
  });
});

describe('money in 元', () => {
  it('formats fen as yuan with two decimals', () => {
    expect(formatYuan(123456)).toBe('1,234.56 元');
    expect(fenToYuan(-100)).toBe('-1.00');
    expect(fenToYuan(5)).toBe('0.05');
    expect(fenToYuan(123456, 0)).toBe('1,235');
  });
  it('parses what users type', () => {
    expect(parseYuan('1,234.5')).toEqual({ fen: 123450n });
    expect(parseYuan(' 7500 ')).toEqual({ fen: 750000n });
    expect(parseYuan('0.01')).toEqual({ fen: 1n });
    expect(parseYuan('-3')).toEqual({ fen: -300n });
    expect(parseYuan('1.234').error).toMatch(/两位小数/);
    expect(parseYuan('abc').error).toBeTruthy();
    expect(parseYuan('').error).toBe('请输入金额');
  });
});

describe('counts and percentages', () => {
  it('groups integers', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(-1234)).toBe('-1,234');
    expect(formatInt(0)).toBe('0');
    expect(formatInt('42')).toBe('42');
    expect(formatInt(12345678901234567890n)).toBe('12,345,678,901,234,567,890');
    expect(formatInt(null)).toBe(EMPTY);
  });
  it('formats percentages', () => {
    expect(formatPercent(4.56)).toBe('4.6%');
    expect(formatPercent(4.56, 2)).toBe('4.56%');
    expect(formatPercent(-0.01)).toBe('0.0%');
    expect(formatRatio(0.045)).toBe('4.5%');
    expect(formatShare(1, 3)).toBe('33.3%');
    expect(formatShare(1, 0)).toBe(EMPTY);
    expect(formatPercent(undefined)).toBe(EMPTY);
  });
  it('formats capacity in kW from watts', () => {
    expect(formatKw(100000)).toBe('100 kW');
    expect(formatKw(12345)).toBe('12.345 kW');
    expect(formatKw(1234500)).toBe('1,234.5 kW');
  });
});

describe('dates in Asia/Shanghai', () => {
  it('keeps calendar dates as they are', () => {
    expect(formatDate('2025-03-01')).toBe('2025-03-01');
    expect(formatDateTime('2025-03-01')).toBe('2025-03-01');
  });
  it('moves UTC timestamps to UTC+8', () => {
    // 2026-11-28 18:30 UTC is already the 29th in Shanghai
    expect(formatDate('2026-11-28T18:30:00Z')).toBe('2026-11-29');
    expect(formatDateTime('2026-11-28T18:30:00Z')).toBe('2026-11-29 02:30');
    expect(formatDate('2026-11-28T15:59:59Z')).toBe('2026-11-28');
  });
  it('accepts epoch seconds as number or string', () => {
    // 1764374400 = 2025-11-29T00:00:00Z
    expect(formatDateTime(1764374400)).toBe('2025-11-29 08:00');
    expect(formatDateTime('1764374400', true)).toBe('2025-11-29 08:00:00');
  });
  it('handles the year boundary', () => {
    expect(formatDate('2025-12-31T16:00:00Z')).toBe('2026-01-01');
    expect(shanghaiYear(new Date('2025-12-31T16:00:00Z'))).toBe(2026);
    expect(shanghaiYear(new Date('2025-12-31T15:59:59Z'))).toBe(2025);
  });
  it('shows a dash for nonsense', () => {
    expect(formatDate('not a date')).toBe(EMPTY);
    expect(formatDate(null)).toBe(EMPTY);
    expect(formatDateTime({})).toBe(EMPTY);
  });
});

describe('money as the API sends it (decimal strings in 元)', () => {
  it('reads yuan strings exactly', () => {
    expect(moneyToFen('1234.50')).toBe(123450n);
    expect(moneyToFen('-3.5')).toBe(-350n);
    expect(moneyToFen('12')).toBe(1200n);
    expect(moneyToFen(7)).toBe(700n);
    expect(moneyToFen('90071992547409.93')).toBe(9007199254740993n);
    expect(moneyToFen('1.234')).toBe(null);
    expect(moneyToFen('abc')).toBe(null);
    expect(moneyToFen(null)).toBe(null);
  });
  it('shows them in 万元 and 元', () => {
    expect(wan('746000.00')).toBe('74.60');
    expect(wanUnit('1805000.00')).toBe('180.50 万元');
    expect(wan('123456789.12')).toBe('12,345.68');
    expect(yuan('7500')).toBe('7,500.00');
    expect(yuan('-1234.5')).toBe('-1,234.50');
    expect(wan(undefined)).toBe(EMPTY);
    expect(wanNumber('250000.00')).toBe(25);
  });
});

describe('bigMoney', () => {
  it('keeps 万元 below 10亿元 and switches to 亿元 from there', async () => {
    const { bigMoney } = await import('../src/lib/format.js');
    expect(bigMoney('12345678.90')).toEqual({ value: '1,234.57', unit: '万元' });
    expect(bigMoney('999999999.99')).toEqual({ value: '100,000.00', unit: '万元' });
    expect(bigMoney('1000000000')).toEqual({ value: '10.00', unit: '亿元' });
    expect(bigMoney('91420010000.00')).toEqual({ value: '914.20', unit: '亿元' });
    expect(bigMoney(null)).toEqual({ value: '—', unit: '万元' });
  });
});
