// The one way the UI talks to the server: fetch with the session cookie, the
// CSRF token (from the login answer) on every state-changing request, JSON in
// and out, and errors turned into ApiError with a Chinese message a user can
// act on. The server's error body is {"error": {"code", "message", "field"}};
// its message is Chinese already and wins; otherwise the status explains.
// A 401 calls the handler set by the app (which goes to the login page).

export const API_BASE = '/api/v1';
const CSRF_KEY = 'bangfu.csrf';
const CSRF_HEADER = 'X-CSRF-Token';

const STATUS_TEXT = {
  400: '请求内容有误，请检查后重试。',
  401: '登录已失效，请重新登录。',
  403: '您没有执行此操作的权限。',
  404: '记录不存在，或不在您的管辖范围内。',
  405: '不支持此操作。',
  408: '请求超时，请稍后重试。',
  409: '该记录已被他人修改，您看到的是旧版本。请刷新页面查看最新内容后再修改。',
  413: '文件或请求内容过大，超过了服务器允许的上限。',
  415: '不支持的文件类型，请上传 CSV 或 XLSX 文件。',
  422: '数据未通过校验，请按提示修改。',
  429: '操作过于频繁，请稍后再试。',
  500: '服务器内部错误，请稍后重试；如果问题持续，请联系管理员。',
  502: '服务器暂时无法访问，请稍后重试。',
  503: '服务器繁忙或正在维护，请稍后重试。',
  504: '服务器响应超时，请稍后重试。',
};

export class ApiError extends Error {
  constructor({ status = 0, code = '', message = '', field = '', retryAfter = null, details = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
    this.details = details;
  }
}

// "Retry-After: 120" -> "2 分钟", "30" -> "30 秒".
export function waitText(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s) || s <= 0) return '';
  if (s < 60) return `${Math.ceil(s)} 秒`;
  if (s < 3600) return `${Math.ceil(s / 60)} 分钟`;
  return `${Math.ceil(s / 3600)} 小时`;
}

// The message shown to the user for a status and an optional error body.
export function describeError(status, body, retryAfter = null) {
  const e = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  let message = e && typeof e.message === 'string' && e.message.trim() ? e.message.trim() : '';
  if (!message) message = STATUS_TEXT[status] || (status >= 500 ? STATUS_TEXT[500] : `请求失败（${status}）。`);
  if (status === 409 && e && e.message && !/刷新/.test(message)) {
    message = message.replace(/[。.]$/, '') + '（数据已被他人修改或与现有记录冲突，请刷新后重试。）';
  }
  if (status === 429 && retryAfter) {
    const w = waitText(retryAfter);
    if (w && message === STATUS_TEXT[429]) message = `操作过于频繁，请 ${w}后再试。`;
    else if (w && !message.includes(w)) message += `${/[。！？.!?]$/.test(message) ? '' : '。'}请 ${w}后再试。`;
  }
  return {
    status,
    code: (e && e.code) || '',
    field: (e && e.field) || '',
    message,
    retryAfter,
    details: e || null,
  };
}

export function networkError(cause) {
  return new ApiError({
    status: 0,
    code: 'network',
    message: '无法连接服务器，请检查网络后重试。',
    details: cause ? String(cause) : null,
  });
}

// Build "/api/v1/projects?region=...&year=2025" from a path and params
// (empty values dropped; arrays repeated).
export function buildUrl(path, params) {
  const url = path.startsWith('/') && !path.startsWith(API_BASE) ? API_BASE + path : path;
  if (!params) return url;
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, String(x)));
    else sp.append(k, String(v));
  }
  const qs = sp.toString();
  return qs ? `${url}${url.includes('?') ? '&' : '?'}${qs}` : url;
}

// ---- state shared with the app -------------------------------------------

let csrfToken = null;
let onUnauthorized = null;

function storage() {
  try {
    return typeof sessionStorage !== 'undefined' ? sessionStorage : null;
  } catch {
    return null;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
  const s = storage();
  if (s) {
    if (csrfToken) s.setItem(CSRF_KEY, csrfToken);
    else s.removeItem(CSRF_KEY);
  }
}

export function getCsrfToken() {
  if (csrfToken) return csrfToken;
  const s = storage();
  csrfToken = s ? s.getItem(CSRF_KEY) : null;
  return csrfToken;
}

export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

async function readBody(res) {
  const type = res.headers.get('content-type') || '';
  if (res.status === 204) return null;
  if (type.includes('application/json')) {
    try {
      return await res.json();
    } catch {
      return null;
    }
  }
  return null;
}

// The core request. options: { method, params, body (object -> JSON, FormData
// as is), headers, ifMatch, raw (return the Response), quiet401 }.
export async function request(path, options = {}) {
  const method = (options.method || 'GET').toUpperCase();
  const headers = { Accept: 'application/json', ...(options.headers || {}) };
  let body = options.body;
  if (body !== undefined && body !== null && !(typeof FormData !== 'undefined' && body instanceof FormData) &&
      !(typeof Blob !== 'undefined' && body instanceof Blob) && typeof body !== 'string') {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  }
  if (UNSAFE.has(method)) {
    const t = getCsrfToken();
    if (t) headers[CSRF_HEADER] = t;
  }
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;
  let res;
  try {
    res = await fetch(buildUrl(path, options.params), {
      method,
      headers,
      body: body === undefined ? undefined : body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw networkError(e);
  }
  if (res.ok) {
    if (options.raw) return res;
    const data = await readBody(res);
    if (options.withMeta) return { data, etag: res.headers.get('ETag'), headers: res.headers };
    return data;
  }
  const errBody = await readBody(res);
  const info = describeError(res.status, errBody, res.headers.get('Retry-After'));
  const err = new ApiError(info);
  if (res.status === 401 && onUnauthorized && !options.quiet401) onUnauthorized(err);
  throw err;
}

export const api = {
  get: (path, params, opts = {}) => request(path, { ...opts, method: 'GET', params }),
  post: (path, body, opts = {}) => request(path, { ...opts, method: 'POST', body }),
  put: (path, body, opts = {}) => request(path, { ...opts, method: 'PUT', body }),
  patch: (path, body, opts = {}) => request(path, { ...opts, method: 'PATCH', body }),
  del: (path, opts = {}) => request(path, { ...opts, method: 'DELETE' }),
};

// Upload with progress (fetch has no upload progress): XMLHttpRequest with
// the same CSRF header and error handling. onProgress(fraction 0..1).
export function upload(path, formData, { params, onProgress, method = 'POST' } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, buildUrl(path, params));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    const t = getCsrfToken();
    if (t) xhr.setRequestHeader(CSRF_HEADER, t);
    if (onProgress && xhr.upload) {
      xhr.upload.onprogress = (ev) => {
        if (ev.lengthComputable) onProgress(ev.loaded / ev.total);
      };
    }
    xhr.onerror = () => reject(networkError('upload'));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(data);
        return;
      }
      const info = describeError(xhr.status, data, xhr.getResponseHeader('Retry-After'));
      // Import answers 422 with the report of bad rows: keep it.
      const err = new ApiError({ ...info, details: data });
      if (xhr.status === 401 && onUnauthorized) onUnauthorized(err);
      reject(err);
    };
    xhr.send(formData);
  });
}

// File name from Content-Disposition (RFC 5987 filename* first).
export function dispositionName(header, fallback) {
  if (!header) return fallback;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ''));
    } catch {
      /* fall through */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header);
  return plain ? plain[1].trim() : fallback;
}

// Download a file the server generates (export, template, audit export):
// fetched, so errors are shown in words instead of a JSON page, then saved.
export async function download(path, params, fallbackName, opts = {}) {
  const res = await request(path, { method: opts.method || 'GET', params, body: opts.body, raw: true });
  const type = res.headers.get('content-type') || '';
  if (opts.expect && type.includes('application/json')) {
    // The server answered with a description instead of a file.
    throw new ApiError({ status: res.status, code: 'not_a_file', message: '服务器没有返回文件。' });
  }
  const blob = await res.blob();
  const name = dispositionName(res.headers.get('Content-Disposition'), fallbackName);
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return { name, size: blob.size };
}
