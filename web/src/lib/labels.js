// Chinese labels of the enumerations the API returns as English identifiers
// (the same tables as src/domain/template.c), plus the four batches, roles,
// warning states and region levels. `label(table, id)` falls back to the id,
// so a value the UI does not know yet is still shown, never hidden.

export const SECTORS = {
  planting: '种植业',
  breeding: '养殖业',
  processing: '加工业',
  pv: '光伏',
  tourism: '乡村旅游',
  ecommerce: '电商',
  courtyard: '庭院经济',
  understory: '林下经济',
  services: '服务业',
  other: '其他',
};

export const OPERATION_MODES = {
  collective: '村集体自营',
  cooperative: '合作社经营',
  equity: '村企合作',
  lease: '租赁经营',
  household: '农户自营',
};

export const PROJECT_STATUSES = {
  building: '在建',
  operating: '正常运营',
  idle: '闲置',
  stopped: '停产',
  disposed: '已处置',
};

export const ASSET_TYPES = {
  factory: '厂房',
  workshop: '车间',
  greenhouse: '大棚',
  cold_store: '冷库',
  equipment: '设备',
  pv_station: '光伏电站',
  farm: '养殖场',
  land_right: '土地经营权',
  forest_right: '林权',
  equity: '股权',
  other: '其他',
};

export const ASSET_NATURES = { operating: '经营性', public: '公益性', household: '到户类' };

export const ASSET_STATES = {
  in_use: '在用',
  idle: '闲置',
  leased: '出租',
  invested: '入股',
  disposing: '处置中',
  disposed: '已处置',
};

export const HOUSEHOLD_KINDS = {
  alleviated: '脱贫户',
  unstable: '脱贫不稳定户',
  marginal: '边缘易致贫户',
  hardship: '突发严重困难户',
  general: '一般户',
};

// Monitored households (监测对象) are these kinds.
export const MONITORED_KINDS = ['unstable', 'marginal', 'hardship'];

export const RISK_STATUSES = { none: '无', at_risk: '风险未消除', cleared: '风险已消除' };

export const BENEFIT_KINDS = {
  jobs: '务工',
  dividend: '分红',
  orders: '订单收购',
  land: '土地流转',
  custody: '托管',
};

// The four batches, in the plan's order. Identifiers as the classification
// engine stores them; the API may also send the Chinese word itself.
export const BATCHES = {
  consolidate: '巩固',
  upgrade: '提升',
  revitalise: '盘活',
  terminate: '另起炉灶',
};
export const BATCH_ORDER = ['consolidate', 'upgrade', 'revitalise', 'terminate'];
export const BATCH_COLORS = {
  consolidate: '#3a8ee6',
  upgrade: '#67c23a',
  revitalise: '#e6a23c',
  terminate: '#f56c6c',
};

// Normalise a batch given as id or Chinese word to its id.
export function batchId(v) {
  if (!v) return '';
  if (BATCHES[v]) return v;
  for (const [id, zh] of Object.entries(BATCHES)) if (zh === v) return id;
  return v;
}

export const WARNING_STATUSES = { open: '待处理', acknowledged: '已知悉', resolved: '已解决' };
export const WARNING_STATUS_TAGS = { open: 'danger', acknowledged: 'warning', resolved: 'success' };
export const SUBJECT_KINDS = { project: '项目', household: '农户' };

// As src/domain/roles.c names them (the server also sends role_zh).
export const ROLES = {
  province_admin: '省级管理员',
  province_viewer: '省级查看',
  city: '市级',
  county_operator: '县级业务人员',
  county_decision: '县级集体决策',
  sector_department: '行业主管部门',
  county_finance: '县财政局',
  township: '乡镇干部',
  village: '村干部',
  evaluator: '第三方评估机构',
  auditor: '审计',
};

export const REGION_LEVELS = { 1: '省', 2: '设区市', 3: '县（市、区）', 4: '乡镇（街道）', 5: '村（社区）' };
export const REGION_FLAGS = { 1: '脱贫县', 2: '重点帮扶县', 4: '脱贫村' };

export const TEMPLATES = {
  regions: '行政区划',
  projects: '帮扶项目',
  assets: '项目资产',
  project_years: '项目年度经营',
  households: '农户',
  members: '家庭成员',
  household_years: '农户年度收入',
  benefits: '联农带农',
};

export function label(table, id) {
  if (id === null || id === undefined || id === '') return '—';
  const v = table[id];
  return v === undefined ? String(id) : v;
}

// Region flags bitmask -> ["脱贫县", ...]
export function flagLabels(flags) {
  const n = Number(flags) || 0;
  return Object.entries(REGION_FLAGS)
    .filter(([bit]) => (n & Number(bit)) !== 0)
    .map(([, zh]) => zh);
}

// Options for <el-select>: [{ value, label }]
export function options(table) {
  return Object.entries(table).map(([value, text]) => ({ value, label: text }));
}
