import { describe, it, expect } from 'vitest';
import { can, normaliseUser } from '../src/lib/session.js';

describe('what the UI offers to whom', () => {
  it('follows the permissions the server sends', () => {
    const u = normaliseUser({ user: { username: 'gx', role: 'county_operator', role_zh: '县级业务人员', region_code: '360721000000', permissions: ['read', 'reveal', 'summary'] } });
    expect(u.role_name).toBe('县级业务人员');
    expect(can('reveal_id', u)).toBe(true);
    expect(can('import', u)).toBe(false);
    expect(can('summary', u)).toBe(true);
    expect(can('nonsense', u)).toBe(false);
  });
  it('falls back to the role table without a permission list', () => {
    const viewer = normaliseUser({ username: 'v', role: 'province_viewer', region_code: '360000000000' });
    expect(viewer.permissions).toBe(null);
    expect(can('reveal_id', viewer)).toBe(false);
    expect(can('households', viewer)).toBe(true);
    expect(can('reveal_id', normaliseUser({ role: 'county_operator' }))).toBe(true);
    expect(can('audit', normaliseUser({ role: 'auditor' }))).toBe(true);
    expect(can('audit', normaliseUser({ role: 'village' }))).toBe(false);
  });
  it('keeps rules for the province admin and nothing for nobody', () => {
    expect(can('edit_rules', normaliseUser({ role: 'province_admin', permissions: [] }))).toBe(true);
    expect(can('edit_rules', normaliseUser({ role: 'county_operator', permissions: ['read'] }))).toBe(false);
    expect(can('summary', null)).toBe(false);
    expect(normaliseUser(null)).toBe(null);
  });
});
