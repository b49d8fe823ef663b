// The signed-in user, shared by every page: who they are, their region and
// role, and what the role may do. Capabilities come from the server's
// answer (`permissions`) when it sends them; otherwise from the role table
// below, which mirrors docs/roles.md. The server checks every request
// anyway: this only decides what the UI offers.

import { reactive } from 'vue';
import * as ep from '../api/endpoints.js';

// UI capability -> the server permission it needs (the names of
// src/domain/roles.c, sent by /auth/me as `permissions`), or a role list
// where the issue names the role rather than a permission.
export const CAP_PERMS = {
  summary: 'summary',
  view_registries: 'read',
  households: 'households',
  edit_registries: 'write',
  reveal_id: 'reveal',
  classify: 'classify',
  confirm_classification: 'classify',
  manage_warnings: 'warnings',
  import: 'import',
  export: 'export',
  manage_users: 'users',
  audit: 'audit',
  edit_rules: { roles: ['province_admin'] },
};

// Fallback when the server sends no permission list: the role table of
// src/domain/roles.c, by role.
export const ROLE_PERMS = {
  province_admin: ['read', 'write', 'households', 'reveal', 'import', 'export', 'classify', 'warnings', 'summary', 'audit', 'users', 'assign', 'regions'],
  province_viewer: ['read', 'households', 'summary', 'export'],
  city: ['read', 'households', 'summary', 'export'],
  county_operator: ['read', 'write', 'households', 'reveal', 'import', 'export', 'classify', 'warnings', 'summary', 'assign'],
  county_decision: ['read', 'summary', 'export'],
  sector_department: ['read', 'summary'],
  county_finance: ['read', 'summary', 'export'],
  township: ['read', 'households', 'summary', 'export', 'warnings'],
  village: ['read', 'write', 'households', 'reveal', 'summary', 'export'],
  evaluator: ['read'],
  auditor: ['read', 'households', 'summary', 'export', 'audit'],
};

export const session = reactive({
  loaded: false,
  user: null, // { username, name, role, region_code, region_name, permissions? }
});

function normaliseUser(data) {
  if (!data) return null;
  const u = data.user || data;
  if (!u || typeof u !== 'object') return null;
  const region = u.region && typeof u.region === 'object' ? u.region : {};
  return {
    username: u.username || u.name || '',
    name: u.display_name || u.full_name || u.username || u.name || '',
    role: u.role || '',
    role_name: u.role_zh || u.role_name || '',
    region_code: u.region_code || region.code || '',
    region_name: u.region_name || region.name || '',
    permissions: Array.isArray(u.permissions) ? u.permissions : Array.isArray(data.permissions) ? data.permissions : null,
    must_change_password: !!u.must_change_password,
  };
}

export function can(cap, user = session.user) {
  if (!user) return false;
  const need = CAP_PERMS[cap];
  if (!need) return false;
  if (typeof need === 'object') return need.roles.includes(user.role);
  const perms = user.permissions || ROLE_PERMS[user.role] || [];
  return perms.includes(need);
}

export async function loadSession() {
  try {
    session.user = normaliseUser(await ep.me());
  } catch (e) {
    session.user = null;
    if (e && e.status && e.status !== 401) throw e;
  } finally {
    session.loaded = true;
  }
  return session.user;
}

export async function signIn(username, password) {
  const data = await ep.login(username, password);
  session.user = normaliseUser(data);
  if (!session.user || !session.user.role) await loadSession();
  session.loaded = true;
  return session.user;
}

export async function signOut() {
  try {
    await ep.logout();
  } finally {
    session.user = null;
  }
}

export function clearSession() {
  session.user = null;
}

export { normaliseUser };
