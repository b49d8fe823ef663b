import { describe, it, expect } from 'vitest';
import { describeError, buildUrl, dispositionName, waitText, ApiError, networkError } from '../src/api/client.js';

describe('error messages', () => {
  it('uses the server message when there is one', () => {
    const d = describeError(422, { error: { code: 'invalid', message: '身份证号校验位错误', field: 'id_number' } });
    expect(d.message).toBe('身份证号校验位错误');
    expect(d.field).toBe('id_number');
    expect(d.code).toBe('invalid');
  });
  it('explains a status without a body in Chinese', () => {
    expect(describeError(404, null).message).toMatch(/不存在/);
    expect(describeError(403, 'oops').message).toMatch(/权限/);
    expect(describeError(500, { error: {} }).message).toMatch(/服务器/);
    expect(describeError(599, null).message).toMatch(/服务器/);
    expect(describeError(418, null).message).toBe('请求失败（418）。');
  });
  it('explains a 409 conflict even when the server message is short', () => {
    expect(describeError(409, null).message).toMatch(/他人修改/);
    expect(describeError(409, { error: { code: 'conflict', message: '版本冲突' } }).message).toMatch(/^版本冲突.*刷新/);
  });
  it('says how long to wait after too many attempts', () => {
    expect(describeError(429, null, '120').message).toMatch(/2 分钟/);
    expect(describeError(429, { error: { message: '登录失败次数过多，账号已锁定' } }, '30').message)
      .toBe('登录失败次数过多，账号已锁定。请 30 秒后再试。');
    expect(describeError(429, null, '30').message).toBe('操作过于频繁，请 30 秒后再试。');
    expect(waitText('3600')).toBe('1 小时');
    expect(waitText('x')).toBe('');
  });
  it('has an error type that carries the status', () => {
    const e = new ApiError(describeError(409, null));
    expect(e).toBeInstanceOf(Error);
    expect(e.status).toBe(409);
    expect(networkError('x').message).toMatch(/无法连接/);
  });
});

describe('URLs', () => {
  it('prefixes the API base and drops empty parameters', () => {
    expect(buildUrl('/projects', { region: '360721000000', sector: '', year: 2025, q: null })).toBe('/api/v1/projects?region=360721000000&year=2025');
    expect(buildUrl('/api/v1/me')).toBe('/api/v1/me');
    expect(buildUrl('/projects', { id: [1, 2] })).toBe('/api/v1/projects?id=1&id=2');
    expect(buildUrl('/projects', { q: '光伏 电站' })).toBe('/api/v1/projects?q=%E5%85%89%E4%BC%8F+%E7%94%B5%E7%AB%99');
  });
  it('reads file names from Content-Disposition', () => {
    expect(dispositionName("attachment; filename=\"x.csv\"; filename*=UTF-8''%E9%A1%B9%E7%9B%AE.csv", 'f')).toBe('项目.csv');
    expect(dispositionName('attachment; filename="projects.xlsx"', 'f')).toBe('projects.xlsx');
    expect(dispositionName(null, 'fallback.csv')).toBe('fallback.csv');
  });
});
