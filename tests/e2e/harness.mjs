// End-to-end harness: builds a county-scale demo database in a temporary
// folder, adds the test accounts, starts the real `bangfu serve` on a free
// loopback port with the built web UI, and drives Debian's Chromium through
// playwright-core. Everything it starts it stops; nothing listens beyond
// 127.0.0.1.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(join(ROOT, 'web/package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.BANGFU_CHROMIUM || '/usr/bin/chromium';
export const BIN = process.env.BANGFU_BIN || join(ROOT, 'build/bangfu');
export const WEB_DIST = join(ROOT, 'web/dist');
export const PASSWORD = 'Test-password-2026';

// The demo's county (广昌县, DEMO_DEFAULT_COUNTY in src/domain/demo.h), its
// city and a sibling county of the same city.
export const PROVINCE = '360000000000';
export const CITY = '361000000000';
export const COUNTY = '361030000000';
export const SIBLING = '361023000000'; // 南丰县

export const USERS = {
  padmin: { role: 'province_admin', region: PROVINCE },
  viewer: { role: 'province_viewer', region: PROVINCE },
  county: { role: 'county_operator', region: COUNTY },
  sibling: { role: 'county_operator', region: SIBLING },
  township: { role: 'township', region: null }, // region filled from the data
  auditor: { role: 'auditor', region: PROVINCE },
};

function run(args, { input, allowFail = false } = {}) {
  const r = spawnSync(BIN, args, { cwd: ROOT, input, encoding: 'utf8', timeout: 300000 });
  if (r.status !== 0 && !allowFail) {
    throw new Error(`bangfu ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  }
  return r;
}

export function prepareDatabase(dir) {
  const db = join(dir, 'demo.db');
  run(['demo', '--scale', 'county', '--db', db]);
  return db;
}

export function addUser(db, name, role, region) {
  run(['user', 'add', name, '--region', region, '--role', role, '--password-stdin', '--db', db], { input: `${PASSWORD}\n` });
}

export async function startServer(dir, db, config) {
  const ready = join(dir, 'ready');
  const log = [];
  const args = ['serve', '--db', db, '--listen', '127.0.0.1:0', '--web', WEB_DIST, '--ready-file', ready];
  if (config) args.push('--config', config);
  const child = spawn(BIN, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  let exited = null;
  child.on('exit', (code, sig) => (exited = { code, sig }));
  const deadline = Date.now() + 30000;
  while (!existsSync(ready)) {
    if (exited) throw new Error(`bangfu serve exited early (${JSON.stringify(exited)}):\n${log.join('')}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`bangfu serve did not become ready:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const port = Number(readFileSync(ready, 'utf8').trim());
  const base = `http://127.0.0.1:${port}`;
  // Wait for the health endpoint too.
  for (let i = 0; i < 50; i++) {
    try {
      const res = await fetch(`${base}/api/v1/health`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    log,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10000);
      await done;
      clearTimeout(t);
    },
  };
}

export async function startBrowser(dir) {
  const profile = join(dir, 'chromium-profile');
  mkdirSync(profile, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1366, height: 768 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return context;
}

// A plain API client for setting up and checking things behind the UI's back.
export async function apiLogin(base, username) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (!res.ok) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') || '').split(';')[0];
  const body = await res.json();
  const csrf = body.csrf_token;
  const call = async (method, path, data) => {
    const headers = { Cookie: cookie, Accept: 'application/json' };
    if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
    if (data !== undefined) headers['Content-Type'] = 'application/json';
    const r = await fetch(`${base}/api/v1${path}`, { method, headers, body: data === undefined ? undefined : JSON.stringify(data) });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: r.status, body: json };
  };
  return { user: body.user, get: (p) => call('GET', p), post: (p, d) => call('POST', p, d ?? {}) };
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'bangfu-e2e-'));
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

// The web UI must be built (vite) before the server can serve it.
export function ensureWebBuilt() {
  if (existsSync(join(WEB_DIST, 'index.html')) && !process.env.BANGFU_E2E_REBUILD) return;
  const r = spawnSync('npm', ['--prefix', join(ROOT, 'web'), 'run', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}
