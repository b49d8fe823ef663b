// The signed-in user, shared by every page: who they are, their region and
// role, and what the role may do. Capabilities come from the server's
// answer (`permissions`) when it sends them; otherwise from the role table
// below, which mirrors docs/roles.md. The server checks every request
// anyway: this only decides what the UI offers.

import { reactive } from 'vue';
import * as ep from '../api/endpoints.js';

// capability -> roles that have it
export const ROLE_CAPS = {
  view_registries: ['province_admin', 'province_viewer', 'city', 'county_operator', 'county_decision', 'sector_department', 'sector', 'county_finance', 'township', 'village', 'evaluator', 'auditor'],
  edit_registries: ['province_admin', 'county_operator', 'township', 'village'],
  reveal_id: ['province_admin', 'county_operator'],
  classify: ['province_admin', 'county_operator'],
  confirm_classification: ['county_operator', 'province_admin'],
  manage_warnings: ['province_admin', 'city', 'county_operator', 'township', 'village'],
  import: ['province_admin', 'county_operator', 'township', 'village'],
  export: ['province_admin', 'province_viewer', 'city', 'county_operator', 'county_decision', 'county_finance', 'township', 'village', 'auditor'],
  edit_rules: ['province_admin'],
  manage_users: ['province_admin'],
  audit: ['auditor', 'province_admin'],
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
    role_name: u.role_name || u.role_zh || '',
    region_code: u.region_code || region.code || '',
    region_name: u.region_name || region.name || '',
    permissions: Array.isArray(u.permissions) ? u.permissions : Array.isArray(data.permissions) ? data.permissions : null,
    must_change_password: !!u.must_change_password,
  };
}

export function can(cap, user = session.user) {
  if (!user) return false;
  if (user.permissions) return user.permissions.includes(cap);
  const roles = ROLE_CAPS[cap];
  return !!roles && roles.includes(user.role);
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
