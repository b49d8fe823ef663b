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
// A region in scope with its path and children: { region, path, children }.
export const getRegion = (code) => api.get(code ? `/regions/${enc(code)}` : '/regions');
export const getSummary = (params) => api.get('/summary', params);

// ---- registries --------------------------------------------------------------
export const listProjects = (params) => api.get('/projects', params);
// With its assets and yearly records.
export const getProject = (code) => api.get(`/projects/${enc(code)}`, null, { withMeta: true });
export const listBenefits = (params) => api.get('/benefits', params);
export const listProjectYears = (params) => api.get('/project-years', params);

export const listAssets = (params) => api.get('/assets', params);
export const getAsset = (code) => api.get(`/assets/${enc(code)}`, null, { withMeta: true });

export const listHouseholds = (params) => api.get('/households', params);
// With members and yearly incomes, ID numbers masked.
export const getHousehold = (code) => api.get(`/households/${enc(code)}`, null, { withMeta: true });
// Full ID numbers (permission reveal; audited by the server).
export const revealHousehold = (code) => api.post(`/households/${enc(code)}/reveal`, {});

// ---- four batches (classification) -------------------------------------------
// Results of a year (year required) with explanations.
export const listClassifications = (params) => api.get('/classification', params);
// Why a project is in its batch in a year: indicators, the rule, higher rules.
export const explainClassification = (code, year) => api.get(`/classification/${enc(code)}/${enc(year)}`);
// Classify the account's region for a year (also raises warnings).
export const runClassification = (year) => api.post('/classification/runs', { year });
// Confirm the proposal (no batch) or override it (batch + reason).
export const decideClassification = (code, year, decision = {}) =>
  api.post(`/classification/${enc(code)}/${enc(year)}/decision`, decision);

// ---- warnings ------------------------------------------------------------------
// params: region, year, status (open|acknowledged|resolved), subject (project|household), page, page_size
export const listWarnings = (params) => api.get('/warnings', params);
export const ackWarning = (id, note) => api.post(`/warnings/${enc(id)}/acknowledge`, { note });
export const resolveWarning = (id, note) => api.post(`/warnings/${enc(id)}/resolve`, { note });

// ---- import / export -------------------------------------------------------------
export const listTemplates = () => api.get('/meta/templates');
export const getTemplate = (name) => api.get(`/meta/templates/${enc(name)}`);
export const listRoles = () => api.get('/meta/roles');
// The empty template as a file the server makes (XLSX); see ImportView for
// the fallback when the server only describes the template.
export const downloadTemplateFile = (name, format = 'xlsx') =>
  download(`/meta/templates/${enc(name)}`, { format }, `${name}-模板.${format}`, { expect: format });
export const importFile = (name, file, { dryRun = true, onProgress } = {}) => {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return upload(`/imports/${enc(name)}`, fd, { params: { dry_run: dryRun ? 'true' : 'false' }, onProgress });
};
export const exportFile = (name, format, params = {}) =>
  download(`/exports/${enc(name)}`, { format, ...params }, `${name}.${format}`);

// ---- rules and thresholds ----------------------------------------------------------
export const getRuleSet = (year) => api.get('/rules', { year }, { withMeta: true });
export const saveRuleSet = (body, etag) => api.put('/rules', body, { ifMatch: etag });
export const listThresholds = () => api.get('/thresholds');
export const setThreshold = (year, yuanText) => api.put(`/thresholds/${enc(year)}`, { yuan: yuanText });

// ---- users ---------------------------------------------------------------------------
export const listUsers = (params) => api.get('/users', params);
// -> { user, password } (the generated password, shown once)
export const addUser = (body) => api.post('/users', body);
export const updateUser = (name, body) => api.patch(`/users/${enc(name)}`, body);
export const resetUserPassword = (name) => api.patch(`/users/${enc(name)}`, { reset_password: true });

// ---- audit ------------------------------------------------------------------------------
// Newest first; paging with before_seq.
export const listAudit = (params) => api.get('/audit', params);
export const exportAudit = () => download('/audit/export', null, 'audit.jsonl');
export const verifyAudit = () => api.get('/audit/verify');
