import { describe, it, expect } from 'vitest';
import { readImportReport, errorsByRow, fileProblem, templateCsv } from '../src/lib/importReport.js';

describe('import report', () => {
  it('reads counts and errors of a dry run', () => {
    const r = readImportReport({
      rows: 5, good: 3, bad: 2, dry_run: true,
      errors: [
        { file: 'p.csv', row: 4, column: '总投资', value: 'abc', reason: '金额格式不正确' },
        { file: 'p.csv', row: 2, column: '所在地', value: '3607', reason: '区划代码不存在' },
        { file: 'p.csv', row: 4, column: '产业类别', value: '挖矿', reason: '不是可选值' },
      ],
    });
    expect(r).toMatchObject({ rows: 5, good: 3, bad: 2, errorCount: 3, dryRun: true, committed: false });
    const g = errorsByRow(r.errors);
    expect(g.map((x) => x.row)).toEqual([2, 4]);
    expect(g[1].errors.map((e) => e.column)).toEqual(['总投资', '产业类别']);
  });
  it('finds the report inside an error body and counts bad rows itself', () => {
    const r = readImportReport({ error: { code: 'invalid', message: '有 1 行数据错误', errors: [{ row: 3, column: 'x', value: '', reason: '必填' }] } });
    expect(r.bad).toBe(1);
    expect(r.errors[0].reason).toBe('必填');
  });
  it('reads a committed import', () => {
    const r = readImportReport({ report: { rows: 10, good: 10, bad: 0, inserted: 7, updated: 2, unchanged: 1, committed: true } });
    expect(r).toMatchObject({ committed: true, dryRun: false, inserted: 7, updated: 2, unchanged: 1 });
  });
  it('refuses files it should not send', () => {
    expect(fileProblem(null)).toMatch(/选择/);
    expect(fileProblem({ name: 'a.pdf', size: 10 })).toMatch(/CSV/);
    expect(fileProblem({ name: 'a.csv', size: 0 })).toMatch(/空/);
    expect(fileProblem({ name: 'a.XLSX', size: 60 * 1024 * 1024 })).toMatch(/50 MB/);
    expect(fileProblem({ name: 'a.xlsx', size: 100 })).toBe('');
  });
});

describe('empty CSV template', () => {
  it('writes the Chinese headers with a BOM for Excel', () => {
    const csv = templateCsv([{ header: '项目编号' }, { header: '项目名称' }, { header: '说明,含逗号' }, { field: 'x' }]);
    expect(csv).toBe('\ufeff项目编号,项目名称,"说明,含逗号",x\r\n');
  });
});
