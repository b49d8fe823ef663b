// Routes of the UI. Each page is loaded on demand so that the dashboard
// arrives fast. The guard sends a visitor without a session to the login
// page (keeping where they wanted to go) and a user without the capability
// of a page to the dashboard. The side menu is built from MENU.

import { createRouter, createWebHistory } from 'vue-router';
import { session, loadSession, can, clearSession } from './lib/session.js';
import { setUnauthorizedHandler } from './api/client.js';
import AppLayout from './layouts/AppLayout.vue';

export const MENU = [
  { path: '/dashboard', title: '数据驾驶舱', icon: 'DataAnalysis', cap: 'summary' },
  { path: '/projects', title: '帮扶项目', icon: 'Files', cap: 'view_registries' },
  { path: '/assets', title: '项目资产', icon: 'OfficeBuilding', cap: 'view_registries' },
  { path: '/households', title: '脱贫户和监测户', icon: 'User', cap: 'households' },
  { path: '/batches', title: '四个一批', icon: 'Finished', cap: 'summary' },
  { path: '/warnings', title: '风险预警', icon: 'Warning', cap: 'summary' },
  { path: '/import', title: '数据导入', icon: 'Upload', cap: 'import' },
  { path: '/export', title: '数据导出', icon: 'Download', cap: 'export' },
  { path: '/rules', title: '规则与监测标准', icon: 'SetUp', cap: 'edit_rules' },
  { path: '/users', title: '用户管理', icon: 'UserFilled', cap: 'manage_users' },
  { path: '/audit', title: '审计日志', icon: 'Document', cap: 'audit' },
];

const capOf = (path) => (MENU.find((m) => m.path === path) || {}).cap;

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: AppLayout,
    children: [
      { path: '', redirect: '/dashboard' },
      { path: 'dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue'), meta: { title: '数据驾驶舱', cap: capOf('/dashboard') } },
      { path: 'projects', name: 'projects', component: () => import('./views/ProjectsView.vue'), meta: { title: '帮扶项目', cap: capOf('/projects') } },
      { path: 'projects/:code', name: 'project', component: () => import('./views/ProjectDetail.vue'), meta: { title: '项目详情', cap: capOf('/projects') } },
      { path: 'assets', name: 'assets', component: () => import('./views/AssetsView.vue'), meta: { title: '项目资产', cap: capOf('/assets') } },
      { path: 'assets/:code', name: 'asset', component: () => import('./views/AssetDetail.vue'), meta: { title: '资产详情', cap: capOf('/assets') } },
      { path: 'households', name: 'households', component: () => import('./views/HouseholdsView.vue'), meta: { title: '脱贫户和监测户', cap: capOf('/households') } },
      { path: 'households/:code', name: 'household', component: () => import('./views/HouseholdDetail.vue'), meta: { title: '农户详情', cap: capOf('/households') } },
      { path: 'batches', name: 'batches', component: () => import('./views/BatchesView.vue'), meta: { title: '四个一批', cap: capOf('/batches') } },
      { path: 'warnings', name: 'warnings', component: () => import('./views/WarningsView.vue'), meta: { title: '风险预警', cap: capOf('/warnings') } },
      { path: 'import', name: 'import', component: () => import('./views/ImportView.vue'), meta: { title: '数据导入', cap: capOf('/import') } },
      { path: 'export', name: 'export', component: () => import('./views/ExportView.vue'), meta: { title: '数据导出', cap: capOf('/export') } },
      { path: 'rules', name: 'rules', component: () => import('./views/RulesView.vue'), meta: { title: '规则与监测标准', cap: capOf('/rules') } },
      { path: 'users', name: 'users', component: () => import('./views/UsersView.vue'), meta: { title: '用户管理', cap: capOf('/users') } },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue'), meta: { title: '审计日志', cap: capOf('/audit') } },
      { path: 'password', name: 'password', component: () => import('./views/PasswordView.vue'), meta: { title: '修改密码' } },
      { path: ':rest(.*)*', name: 'notfound', component: () => import('./views/NotFoundView.vue'), meta: { title: '页面不存在' } },
    ],
  },
];

export const router = createRouter({
  history: createWebHistory(),
  routes,
  scrollBehavior: () => ({ top: 0 }),
});

router.beforeEach(async (to) => {
  if (!session.loaded) {
    try {
      await loadSession();
    } catch {
      // The server is unreachable or failing: the login page says so.
    }
  }
  if (to.meta.public) {
    if (to.name === 'login' && session.user) return { path: typeof to.query.redirect === 'string' ? to.query.redirect : '/dashboard' };
    return true;
  }
  if (!session.user) return { name: 'login', query: to.fullPath !== '/' && to.fullPath !== '/dashboard' ? { redirect: to.fullPath } : {} };
  // An account whose password must be changed may only change it.
  if (session.user.must_change_password && to.name !== 'password') return { name: 'password' };
  if (to.meta.cap && !can(to.meta.cap)) {
    // The first page the user may see (an evaluator has no dashboard).
    const home = MENU.find((m) => !m.cap || can(m.cap));
    if (home && home.path !== to.path) return { path: home.path };
    return to.name === 'password' ? true : { name: 'password' };
  }
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title ? to.meta.title + ' - ' : ''}帮扶产业信息平台`;
});

setUnauthorizedHandler(() => {
  clearSession();
  const cur = router.currentRoute.value;
  if (cur.name !== 'login') router.replace({ name: 'login', query: { redirect: cur.fullPath, expired: '1' } });
});
