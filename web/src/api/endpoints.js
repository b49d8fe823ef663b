// Every server endpoint the UI uses, in one place, named after what it does.
// Paths and shapes follow docs/api/openapi.yaml; the pages call these
// functions and never build API paths themselves.

import { api, upload, download, setCsrfToken } from './client.js';

const enc = encodeURIComponent;

// ---- session ---------------------------------------------------------------
export async function login(username, password) {
  const data = await api.post('/auth/login', { username, password }, { quiet401: true });
  setCsrfToken(data && (data.csrf_token || data.csrf));
  return data;
}

export async function logout() {
  try {
    await api.post('/auth/logout', {}, { quiet401: true });
  } finally {
    setCsrfToken(null);
  }
}

export async function me() {
  const data = await api.get('/auth/me', null, { quiet401: true });
  if (data && (data.csrf_token || data.csrf)) setCsrfToken(data.csrf_token || data.csrf);
  return data;
}

export const changePassword = (oldPassword, newPassword) =>
  api.post('/auth/password', { old_password: oldPassword, new_password: newPassword });

// ---- regions and summary ---------------------------------------------------
export const getRegion = (code) => api.get(`/regions/${enc(code)}`);
export const listRegions = (params) => api.get('/regions', params);
export const getSummary = (params) => api.get('/summary', params);
export const getTrend = (params) => api.get('/summary/trend', params);

// ---- registries --------------------------------------------------------------
export const listProjects = (params) => api.get('/projects', params);
export const getProject = (code) => api.get(`/projects/${enc(code)}`, null, { withMeta: true });
export const listProjectYears = (code) => api.get(`/projects/${enc(code)}/years`);
export const listProjectHouseholds = (code, params) => api.get(`/projects/${enc(code)}/households`, params);
export const listProjectClassifications = (code) => api.get(`/projects/${enc(code)}/classifications`);

export const listAssets = (params) => api.get('/assets', params);
export const getAsset = (code) => api.get(`/assets/${enc(code)}`, null, { withMeta: true });

export const listHouseholds = (params) => api.get('/households', params);
export const getHousehold = (code) => api.get(`/households/${enc(code)}`, null, { withMeta: true });
export const revealHousehold = (code) => api.post(`/households/${enc(code)}/reveal`, {});

// ---- four batches ------------------------------------------------------------
export const listClassifications = (params) => api.get('/classifications', params);
export const runClassification = (body) => api.post('/classifications/run', body);
export const confirmClassifications = (body) => api.post('/classifications/confirm', body);
export const overrideClassification = (body) => api.post('/classifications/override', body);

// ---- warnings ------------------------------------------------------------------
export const listWarnings = (params) => api.get('/warnings', params);
export const ackWarning = (id, note) => api.post(`/warnings/${enc(id)}/acknowledge`, { note });
export const resolveWarning = (id, note) => api.post(`/warnings/${enc(id)}/resolve`, { note });

// ---- import / export -------------------------------------------------------------
export const listTemplates = () => api.get('/meta/templates');
export const listRoles = () => api.get('/meta/roles');
export const downloadTemplate = (name, format = 'xlsx') =>
  download(`/templates/${enc(name)}`, { format }, `${name}-template.${format}`);
export const importFile = (name, file, { dryRun = true, onProgress } = {}) => {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return upload(`/import/${enc(name)}`, fd, { params: { dry_run: dryRun ? 1 : 0 }, onProgress });
};
export const exportFile = (name, format, params = {}) =>
  download(`/export/${enc(name)}`, { format, ...params }, `${name}.${format}`);

// ---- rules and thresholds ----------------------------------------------------------
export const listRuleSets = (params) => api.get('/rules', params);
export const getRuleSet = (year) => api.get(`/rules/${enc(year)}`, null, { withMeta: true });
export const saveRuleSet = (year, body, etag) => api.put(`/rules/${enc(year)}`, body, { ifMatch: etag });
export const checkRule = (body) => api.post('/rules/check', body);
export const listThresholds = () => api.get('/thresholds');
export const setThreshold = (year, fen) => api.put(`/thresholds/${enc(year)}`, { yuan_fen: fen });

// ---- users ---------------------------------------------------------------------------
export const listUsers = (params) => api.get('/users', params);
export const addUser = (body) => api.post('/users', body);
export const updateUser = (name, body) => api.patch(`/users/${enc(name)}`, body);
export const resetUserPassword = (name) => api.post(`/users/${enc(name)}/password`, {});

// ---- audit ------------------------------------------------------------------------------
export const listAudit = (params) => api.get('/audit', params);
export const exportAudit = (params) => download('/audit/export', params, 'audit.csv');
export const verifyAudit = () => api.post('/audit/verify', {});
