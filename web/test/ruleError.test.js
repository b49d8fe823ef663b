import { describe, it, expect } from 'vitest';
import { ruleIndexFromField, byteToCharOffset, errorPosition, markAt } from '../src/lib/ruleError.js';

describe('rule parser errors at their position', () => {
  it('finds the rule from the error field', () => {
    expect(ruleIndexFromField('rules[2].condition')).toBe(2);
    expect(ruleIndexFromField('rules.3.condition')).toBe(3);
    expect(ruleIndexFromField('condition')).toBe(null);
    expect(ruleIndexFromField('')).toBe(null);
  });
  it('converts UTF-8 byte offsets to characters', () => {
    const t = "sector = '光伏' and x";
    // "sector = '" is 10 bytes, each of 光伏 is 3 bytes
    expect(byteToCharOffset(t, 10)).toBe(10);
    expect(byteToCharOffset(t, 16)).toBe(12);
    expect(byteToCharOffset(t, 999)).toBe(t.length);
  });
  it('reads the position from any of the usual fields or the message', () => {
    const t = 'months_idle >= 6 andd x';
    expect(errorPosition({ position: 17 }, t)).toBe(17);
    expect(errorPosition({ column: 18 }, t)).toBe(17);
    expect(errorPosition({ byte_offset: 17 }, t)).toBe(17);
    expect(errorPosition({ message: '第 18 个字符：未知的指标 andd' }, t)).toBe(17);
    expect(errorPosition({ position: 999 }, t)).toBe(t.length);
    expect(errorPosition({ message: '无法解析' }, t)).toBe(null);
  });
  it('marks the character at the position', () => {
    expect(markAt('a >= 6 andd', 7)).toEqual({ before: 'a >= 6 ', at: 'a', after: 'ndd', column: 8 });
    expect(markAt('abc', 3)).toEqual({ before: 'abc', at: ' ', after: '', column: 4 });
    expect(markAt("x = '光伏'", 6)).toMatchObject({ before: "x = '光", at: '伏' });
    expect(markAt('😀x', 2)).toMatchObject({ before: '😀', at: 'x', column: 2 });
  });
});
