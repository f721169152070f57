// climateledger dashboard. Plain JavaScript, no dependencies, no build step.
// It reads the node's public API only: /v1/parties, /v1/parties/{id}, /v1/state,
// /v1/subscribe (server-sent events), /v1/witnesses (witness.js) and links to
// /v1/events/{id} and its proofs.
(function () {
  'use strict';

  // ---- interface text, English and Chinese ----

  const TEXT = {
    en: {
      'skip': 'Skip to content',
      'app.title': 'Climate Leaders Ledger',
      'app.tagline': 'Signed, hash-chained commitments of the U.S.-China Climate Leaders Declaration',
      'loading': 'Loading…',
      'error': 'Could not load the data: {msg}',
      'retry': 'Try again',
      'live.connecting': 'Connecting…',
      'live.live': 'Live',
      'live.polling': 'Live (polling)',
      'live.offline': 'Offline, retrying',
      'lang.button': 'English',
      'lang.label': 'Switch to English (切换到英文)',
      'net.title': 'The network',
      'net.lead': 'Cities, states and provinces that endorsed the U.S.-China Climate Leaders Declaration (Los Angeles 2015, Beijing 2016) and the evidence of its four commitments: targets, inventories, a climate action plan and partnerships. Every figure is a signed event in a public, hash-chained log that anyone can audit.',
      'stat.jurisdictions': 'jurisdictions',
      'stat.us': 'in the United States',
      'stat.cn': 'in China',
      'stat.targets': 'with a target',
      'stat.inventories': 'with an inventory for {from} or later',
      'stat.plans': 'with a plan',
      'stat.partnerships': 'with a partnership',
      'filters': 'Filters',
      'f.search': 'Search by name (English or 中文)',
      'f.country': 'Country',
      'f.level': 'Level',
      'f.status': 'Main target status',
      'f.all': 'All',
      'f.clear': 'Clear filters',
      'count': 'Showing {n} of {total} jurisdictions',
      'noresults': 'No jurisdiction matches these filters.',
      'col.name': 'Jurisdiction',
      'col.country': 'Country',
      'col.level': 'Level',
      'col.targets': 'Targets',
      'col.inventory': 'Inventory',
      'col.plan': 'Plan',
      'col.partnership': 'Partnership',
      'col.progress': 'Main target',
      'mark.none': 'None',
      'mark.targets': '{n} target|{n} targets',
      'mark.inventory': 'Latest {year}',
      'mark.invStale': 'Latest {year} (older than {from})',
      'c.four': 'The four commitments',
      'mark.plans': '{n} plan|{n} plans',
      'mark.partnerships': '{n} partnership|{n} partnerships',
      'mark.yes': 'yes',
      'mark.no': 'no',
      'verifiers': 'Verifiers',
      'verifiers.lead': 'Parties that attest to other parties\u2019 events.',
      'country.US': 'United States',
      'country.CN': 'China',
      'country.short.US': 'U.S.',
      'country.short.CN': 'China',
      'level.city': 'City',
      'level.county': 'County',
      'level.state': 'State',
      'level.province': 'Province',
      'level.region': 'Region',
      'status.achieved': 'Achieved',
      'status.on_track': 'On track',
      'status.off_track': 'Off track',
      'status.expired_missed': 'Missed',
      'status.not_assessable': 'Not assessable',
      'status.pending': 'Pending',
      'status.peak_achieved': 'Peak achieved',
      'status.peak_missed': 'Peak missed',
      'status.peak_unconfirmed': 'Peak unconfirmed',
      'status.none': 'No target',
      'back': 'All jurisdictions',
      'p.country': 'Country',
      'p.level': 'Level',
      'p.parent': 'Part of',
      'p.codes': 'Codes',
      'p.endorsed': 'Endorsed the Declaration',
      'p.notEndorsed': 'No endorsement recorded',
      'p.enrolled': 'Enrolled',
      'p.kind.verifier': 'Verifier',
      'summit.2015-los-angeles': 'Los Angeles summit',
      'summit.2016-beijing': 'Beijing summit',
      'c.targets': 'Targets',
      'c.inventories': 'Inventories',
      'c.plan': 'Climate action plan',
      'c.partnership': 'Partnership',
      'sec.chart': 'Emissions and target',
      'sec.progress': 'Progress',
      'sec.sectors': 'Sector breakdown',
      'sec.targets': 'Targets',
      'sec.inventories': 'Inventories',
      'sec.plans': 'Climate action plans',
      'sec.partnerships': 'Partnerships',
      'sec.attestations': 'Attestations',
      'sec.issued': 'Attestations issued',
      'chart.caption': 'Emissions of {name} in MtCO\u2082e: reported inventories and the path to the target shown.',
      'chart.target': 'Target shown',
      'chart.nodata': 'No inventory or absolute target to draw yet.',
      'chart.inv': 'Inventory (each point links to its event)',
      'chart.superseded': 'Inventory superseded for its year',
      'chart.pathBase': 'Target path from the base year',
      'chart.pathSet': 'Target path from the year the target was set',
      'chart.anchorBase': 'Base year',
      'chart.anchorSet': 'Year set',
      'chart.targetMark': 'Target',
      'chart.peak': 'Peak year',
      'chart.table': 'Chart data as a table',
      'chart.point': '{year} inventory: {value}. Open the signed event.',
      'chart.kind': 'What',
      'unit.mt': 'MtCO\u2082e',
      'unit.t': 'tCO\u2082e',
      'progress.achieved': 'Achieved so far',
      'progress.base': 'Base (E_b)',
      'progress.targetLevel': 'Target (E_t)',
      'progress.latest': 'Latest (E_y)',
      'progress.path': 'Path value',
      'progress.none': 'No target to assess.',
      'sectors.none': 'The {year} inventory reports a total only, without GPC sector lines.',
      'sectors.noinv': 'No inventory reported yet.',
      'sectors.of': 'of the {year} inventory, {n} lines',
      'sector.stationary_energy': 'Stationary energy',
      'sector.transportation': 'Transportation',
      'sector.waste': 'Waste',
      'sector.ippu': 'Industrial processes and product use',
      'sector.afolu': 'Agriculture, forestry and other land use',
      'sector.other_scope3': 'Other scope 3',
      'sector.cross_cutting': 'Cross-cutting',
      'none.targets': 'No target recorded.',
      'none.inventories': 'No inventory recorded.',
      'none.plans': 'No climate action plan recorded.',
      'none.partnerships': 'No partnership recorded.',
      'none.attestations': 'No attestation about this party\u2019s events.',
      'link.event': 'event',
      'link.eventTitle': 'Open the signed event (JSON with its receipt)',
      'link.verify': 'verify',
      'link.verifyLabel': 'Verify {what}: download its inclusion proof (.tlog-proof)',
      'link.source': 'source',
      'link.document': 'document',
      'f.type': 'Type',
      'f.base': 'Base',
      'f.targetYear': 'Target year',
      'f.reduction': 'Reduction',
      'f.targetLevel': 'Target level',
      'f.peak': 'Peak',
      'f.intensity': 'Intensity unit',
      'f.coverage': 'Coverage',
      'f.offsets': 'Offsets',
      'f.offsets.no': 'not allowed',
      'f.offsets.yes': 'allowed',
      'f.legal': 'Legal status',
      'f.yearSet': 'Year set',
      'legal.pledge': 'Pledge',
      'legal.policy': 'Policy',
      'legal.law': 'Law',
      'type.base_year_absolute': 'Absolute reduction from a base year',
      'type.fixed_level': 'Fixed emission level',
      'type.base_year_intensity': 'Intensity reduction from a base year',
      'type.baseline_scenario': 'Reduction from a baseline scenario',
      'type.trajectory': 'Trajectory',
      'type.peak': 'Emissions peak',
      'type.net_zero': 'Net zero',
      'qual.by': 'by {year}',
      'qual.before': 'before {year}',
      'qual.around': 'around {year}',
      'rev': 'Revision {n}',
      'rev.set': 'set',
      'rev.withdrawn': 'withdrawn',
      'rev.history': 'Revision history',
      'retracted': 'retracted',
      'current': 'current',
      'inv.year': 'Year',
      'inv.total': 'Total',
      'inv.method': 'Framework, level, GWP',
      'inv.boundary': 'Boundary',
      'inv.attested': 'Attested',
      'inv.proof': 'Proof',
      'inv.superseded': 'superseded',
      'plan.version': 'Version {v}',
      'plan.adopted': 'Adopted',
      'plan.horizon': 'Horizon',
      'plan.actions': 'Actions',
      'plan.noactions': 'No actions listed in this version.',
      'plan.versions': 'Versions',
      'action.title': 'Action',
      'action.sector': 'Sector',
      'action.kind': 'Kind',
      'action.status': 'Status',
      'action.reduction': 'Expected reduction per year',
      'ps.partners': 'Partners',
      'ps.instrument': 'Instrument',
      'ps.topics': 'Topics',
      'ps.signed': 'Signed',
      'ps.submitter': 'Recorded by',
      'ps.signatures': 'Signatures',
      'ps.cosigned': 'every partner\u2019s key ({n}), checked at the gate and by every audit',
      'instrument.mou': 'Memorandum of understanding',
      'instrument.sister_city': 'Sister cities',
      'instrument.network': 'Network',
      'instrument.workshop': 'Workshop',
      'instrument.exchange': 'Exchange',
      'instrument.joint_project': 'Joint project',
      'att.verifier': 'Verifier',
      'att.standard': 'Standard',
      'att.assurance': 'Assurance',
      'att.opinion': 'Opinion',
      'att.subject': 'About',
      'assurance.limited': 'Limited',
      'assurance.reasonable': 'Reasonable',
      'opinion.unmodified': 'Unmodified',
      'opinion.modified': 'Modified',
      'opinion.adverse': 'Adverse',
      'opinion.disclaimer': 'Disclaimer of opinion',
      'updated': 'Updated: {what}',
      'updated.events': '{n} new event|{n} new events',
      'updated.party': '{name} changed',
      'foot.log': 'Log: {n} entries',
      'foot.digest': 'state digest {d}',
      'foot.check': 'Check it yourself:',
      'foot.checkpoint': 'signed checkpoint',
      'foot.api': 'API',
      'wit.cosigned': 'Checkpoint {size} cosigned by {who} witnesses, {k} of {n}',
      'wit.lag': 'latest {latest}, witnessed {size}',
      'wit.awaiting': 'Awaiting witnesses: no checkpoint cosigned by {q} of {n} yet',
      'wit.failing': '{who} witness failing: {err}',
      'wit.none': 'Checkpoints are signed by the log alone (no witnesses).',
      'wit.proof': 'witnessed proof',
      'wit.proofTitle': 'cosigned by {who} witnesses, {k} of {n}, at {time}',
      'wit.proofLabel': 'Witnessed proof of {what}: download its inclusion proof, cosigned by {who} witnesses, {k} of {n}, at {time} (.tlog-proof)',
      'wit.wait': 'awaiting witnesses',
      'wit.waitTitle': 'Not yet in a checkpoint that the witnesses cosigned',
      'notfound': 'No party {id} in this ledger.'
    },
    zh: {
      'skip': '跳到正文',
      'app.title': '气候领导者账本',
      'app.tagline': '《中美气候领导宣言》承诺的签名、哈希链式记录',
      'loading': '正在加载…',
      'error': '无法加载数据：{msg}',
      'retry': '重试',
      'live.connecting': '正在连接…',
      'live.live': '实时',
      'live.polling': '实时（轮询）',
      'live.offline': '离线，正在重试',
      'lang.button': '中文',
      'lang.label': '切换到中文 (Switch to Chinese)',
      'net.title': '网络概览',
      'net.lead': '签署《中美气候领导宣言》（2015年洛杉矶、2016年北京）的城市、州和省份，以及其四项承诺的证据：减排目标、温室气体清单、气候行动计划和合作伙伴关系。每个数字都是公开的哈希链式日志中的一条签名事件，任何人都可以审计。',
      'stat.jurisdictions': '个地方政府',
      'stat.us': '位于美国',
      'stat.cn': '位于中国',
      'stat.targets': '已设定目标',
      'stat.inventories': '有 {from} 年及以后的清单',
      'stat.plans': '已发布计划',
      'stat.partnerships': '已建立合作',
      'filters': '筛选',
      'f.search': '按名称搜索（中文或 English）',
      'f.country': '国家',
      'f.level': '级别',
      'f.status': '主要目标状态',
      'f.all': '全部',
      'f.clear': '清除筛选',
      'count': '显示 {n} / {total} 个地方政府',
      'noresults': '没有符合筛选条件的地方政府。',
      'col.name': '地方政府',
      'col.country': '国家',
      'col.level': '级别',
      'col.targets': '目标',
      'col.inventory': '清单',
      'col.plan': '计划',
      'col.partnership': '合作',
      'col.progress': '主要目标',
      'mark.none': '无',
      'mark.targets': '{n} 个目标',
      'mark.inventory': '最新 {year} 年',
      'mark.invStale': '最新 {year} 年（早于 {from} 年）',
      'c.four': '四项承诺',
      'mark.plans': '{n} 项计划',
      'mark.partnerships': '{n} 项合作',
      'mark.yes': '有',
      'mark.no': '无',
      'verifiers': '核查机构',
      'verifiers.lead': '为其他参与方的事件出具核查声明的参与方。',
      'country.US': '美国',
      'country.CN': '中国',
      'country.short.US': '美国',
      'country.short.CN': '中国',
      'level.city': '城市',
      'level.county': '县',
      'level.state': '州',
      'level.province': '省级',
      'level.region': '地区',
      'status.achieved': '已实现',
      'status.on_track': '进展符合预期',
      'status.off_track': '进展落后',
      'status.expired_missed': '未达成',
      'status.not_assessable': '无法评估',
      'status.pending': '待评估',
      'status.peak_achieved': '已达峰',
      'status.peak_missed': '未按期达峰',
      'status.peak_unconfirmed': '达峰待确认',
      'status.none': '无目标',
      'back': '全部地方政府',
      'p.country': '国家',
      'p.level': '级别',
      'p.parent': '隶属',
      'p.codes': '代码',
      'p.endorsed': '签署宣言',
      'p.notEndorsed': '无签署记录',
      'p.enrolled': '登记',
      'p.kind.verifier': '核查机构',
      'summit.2015-los-angeles': '洛杉矶峰会',
      'summit.2016-beijing': '北京峰会',
      'c.targets': '目标',
      'c.inventories': '清单',
      'c.plan': '气候行动计划',
      'c.partnership': '合作',
      'sec.chart': '排放与目标',
      'sec.progress': '进展',
      'sec.sectors': '分部门排放',
      'sec.targets': '减排目标',
      'sec.inventories': '温室气体清单',
      'sec.plans': '气候行动计划',
      'sec.partnerships': '合作伙伴关系',
      'sec.attestations': '核查声明',
      'sec.issued': '已出具的核查声明',
      'chart.caption': '{name}的排放（百万吨二氧化碳当量）：已报告的清单及所示目标的路径。',
      'chart.target': '显示的目标',
      'chart.nodata': '尚无可绘制的清单或绝对量目标。',
      'chart.inv': '清单（每个点链接到其事件）',
      'chart.superseded': '该年份已被取代的清单',
      'chart.pathBase': '自基准年起的目标路径',
      'chart.pathSet': '自目标设定年起的目标路径',
      'chart.anchorBase': '基准年',
      'chart.anchorSet': '设定年',
      'chart.targetMark': '目标',
      'chart.peak': '峰值年',
      'chart.table': '以表格查看图表数据',
      'chart.point': '{year} 年清单：{value}。打开签名事件。',
      'chart.kind': '类别',
      'unit.mt': '百万吨CO\u2082e',
      'unit.t': '吨CO\u2082e',
      'progress.achieved': '目标完成度',
      'progress.base': '基准（E_b）',
      'progress.targetLevel': '目标（E_t）',
      'progress.latest': '最新（E_y）',
      'progress.path': '路径值',
      'progress.none': '没有可评估的目标。',
      'sectors.none': '{year} 年清单只报告了总量，没有 GPC 分部门数据。',
      'sectors.noinv': '尚未报告清单。',
      'sectors.of': '{year} 年清单，{n} 条数据',
      'sector.stationary_energy': '固定能源',
      'sector.transportation': '交通',
      'sector.waste': '废弃物',
      'sector.ippu': '工业过程和产品使用',
      'sector.afolu': '农业、林业和其他土地利用',
      'sector.other_scope3': '其他范围三',
      'sector.cross_cutting': '跨部门',
      'none.targets': '尚无目标记录。',
      'none.inventories': '尚无清单记录。',
      'none.plans': '尚无气候行动计划记录。',
      'none.partnerships': '尚无合作记录。',
      'none.attestations': '尚无针对该参与方事件的核查声明。',
      'link.event': '事件',
      'link.eventTitle': '打开签名事件（含收据的 JSON）',
      'link.verify': '验证',
      'link.verifyLabel': '验证{what}：下载其包含证明（.tlog-proof）',
      'link.source': '来源',
      'link.document': '文件',
      'f.type': '类型',
      'f.base': '基准',
      'f.targetYear': '目标年',
      'f.reduction': '减排幅度',
      'f.targetLevel': '目标排放量',
      'f.peak': '达峰',
      'f.intensity': '强度单位',
      'f.coverage': '覆盖范围',
      'f.offsets': '抵消',
      'f.offsets.no': '不允许',
      'f.offsets.yes': '允许',
      'f.legal': '法律地位',
      'f.yearSet': '设定年',
      'legal.pledge': '承诺',
      'legal.policy': '政策',
      'legal.law': '法律',
      'type.base_year_absolute': '相对基准年的绝对量减排',
      'type.fixed_level': '固定排放水平',
      'type.base_year_intensity': '相对基准年的强度下降',
      'type.baseline_scenario': '相对基线情景的减排',
      'type.trajectory': '排放轨迹',
      'type.peak': '排放达峰',
      'type.net_zero': '净零排放',
      'qual.by': '{year} 年前',
      'qual.before': '{year} 年之前',
      'qual.around': '{year} 年左右',
      'rev': '第 {n} 版',
      'rev.set': '设定',
      'rev.withdrawn': '撤回',
      'rev.history': '修订历史',
      'retracted': '已撤销',
      'current': '现行',
      'inv.year': '年份',
      'inv.total': '总量',
      'inv.method': '框架、级别、GWP',
      'inv.boundary': '边界',
      'inv.attested': '核查',
      'inv.proof': '证明',
      'inv.superseded': '已被取代',
      'plan.version': '第 {v} 版',
      'plan.adopted': '通过日期',
      'plan.horizon': '规划期至',
      'plan.actions': '行动',
      'plan.noactions': '此版本未列出行动。',
      'plan.versions': '版本',
      'action.title': '行动',
      'action.sector': '部门',
      'action.kind': '类别',
      'action.status': '状态',
      'action.reduction': '预计年减排量',
      'ps.partners': '合作方',
      'ps.instrument': '形式',
      'ps.topics': '领域',
      'ps.signed': '签署日期',
      'ps.submitter': '记录方',
      'ps.signatures': '签名',
      'ps.cosigned': '全部 {n} 个合作方的密钥均已签名，由提交关口和每次审计核验',
      'instrument.mou': '谅解备忘录',
      'instrument.sister_city': '友好城市',
      'instrument.network': '网络',
      'instrument.workshop': '研讨会',
      'instrument.exchange': '交流',
      'instrument.joint_project': '联合项目',
      'att.verifier': '核查机构',
      'att.standard': '标准',
      'att.assurance': '保证程度',
      'att.opinion': '意见',
      'att.subject': '对象',
      'assurance.limited': '有限保证',
      'assurance.reasonable': '合理保证',
      'opinion.unmodified': '无保留意见',
      'opinion.modified': '保留意见',
      'opinion.adverse': '否定意见',
      'opinion.disclaimer': '无法表示意见',
      'updated': '已更新：{what}',
      'updated.events': '{n} 条新事件',
      'updated.party': '{name}有变化',
      'foot.log': '日志：{n} 条记录',
      'foot.digest': '状态摘要 {d}',
      'foot.check': '自行核验：',
      'foot.checkpoint': '签名检查点',
      'foot.api': 'API',
      'wit.cosigned': '检查点 {size} 已由{who}见证方共同签署，{k}/{n}',
      'wit.lag': '最新 {latest}，已见证 {size}',
      'wit.awaiting': '正在等待见证方：尚无检查点获得 {q}/{n} 个共同签名',
      'wit.failing': '{who}见证方签署失败：{err}',
      'wit.none': '检查点仅由日志签名（无见证方）。',
      'wit.proof': '见证证明',
      'wit.proofTitle': '已由{who}见证方共同签署，{k}/{n}，时间 {time}',
      'wit.proofLabel': '{what}的见证证明：下载其包含证明，已由{who}见证方共同签署，{k}/{n}，时间 {time}（.tlog-proof）',
      'wit.wait': '等待见证',
      'wit.waitTitle': '尚未包含在见证方共同签署的检查点中',
      'notfound': '账本中没有参与方 {id}。'
    }
  };

  let lang = pickLanguage();

  function pickLanguage() {
    try {
      const saved = localStorage.getItem('climateledger.lang');
      if (saved === 'en' || saved === 'zh') return saved;
    } catch (e) { /* storage may be unavailable */ }
    return (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en';
  }

  // t returns the interface text for key with {vars} filled in; "one|other" texts
  // pick by vars.n.
  function t(key, vars) {
    let s = TEXT[lang][key];
    if (s === undefined) s = TEXT.en[key];
    if (s === undefined) return key;
    if (s.indexOf('|') >= 0) {
      const forms = s.split('|');
      s = vars && vars.n === 1 ? forms[0] : forms[1];
    }
    return s.replace(/\{(\w+)\}/g, (m, k) => (vars && vars[k] !== undefined ? String(vars[k]) : m));
  }

  // name returns a party's name in the interface language (falling back to English).
  function name(p) {
    if (!p) return '';
    const n = p.names || {};
    return (lang === 'zh' ? n.zh || n.en : n.en || n.zh) || p.id;
  }
  function otherName(p) {
    const n = (p && p.names) || {};
    const o = lang === 'zh' ? n.en : n.zh;
    return o && o !== name(p) ? o : '';
  }

  // ---- numbers ----

  function fmtNum(v, digits) {
    return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: digits }).format(v);
  }
  // mt formats tonnes as MtCO2e.
  function mt(tonnes) {
    if (tonnes === null || tonnes === undefined || tonnes === '') return '';
    const v = Number(tonnes) / 1e6;
    const digits = Math.abs(v) < 10 ? 3 : Math.abs(v) < 100 ? 2 : 1;
    return fmtNum(v, digits) + '\u00a0' + t('unit.mt');
  }
  function tonnes(v) { return fmtNum(Number(v), 3) + '\u00a0' + t('unit.t'); }
  function pct(v) { return fmtNum(Number(v), 1) + '%'; }
  function fmtTime(s) {
    const d = new Date(s);
    if (isNaN(d)) return s || '';
    return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-US', { dateStyle: 'medium', timeStyle: 'short' });
  }

  // ---- DOM building (no innerHTML with data) ----

  function h(tag, attrs) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs) {
    const el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) return;
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  // append adds each kid to el: nodes, text, arrays of kids; null, undefined and
  // false are skipped.
  function append(el) {
    for (let i = 1; i < arguments.length; i++) {
      const kid = arguments[i];
      if (kid === null || kid === undefined || kid === false) continue;
      if (Array.isArray(kid)) { kid.forEach((k) => append(el, k)); continue; }
      el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }

  // tableRoles states a table's roles explicitly, so that it stays a table for
  // assistive technology when narrow screens lay it out as a list of cards.
  function tableRoles(table) {
    table.setAttribute('role', 'table');
    table.querySelectorAll('thead, tbody').forEach((el) => el.setAttribute('role', 'rowgroup'));
    table.querySelectorAll('tr').forEach((el) => el.setAttribute('role', 'row'));
    table.querySelectorAll('thead th').forEach((el) => el.setAttribute('role', 'columnheader'));
    table.querySelectorAll('tbody th').forEach((el) => el.setAttribute('role', 'rowheader'));
    table.querySelectorAll('td').forEach((el) => el.setAttribute('role', 'cell'));
    return table;
  }

  // eventLink links a figure to its signed event; verifyLink downloads the proof of
  // the event ref ({event_id, index}), with the witnessed proof next to it.
  function eventLink(id, text, extra) {
    if (!id) return h('span', null, text);
    return h('a', Object.assign({ href: '/v1/events/' + id, title: t('link.eventTitle'), 'data-event': id }, extra || {}), text);
  }
  function verifyLink(ref, what) {
    const id = ref && ref.event_id;
    if (!id) return null;
    return h('span', { class: 'proofs' },
      h('a', { href: '/v1/events/' + id + '/proof', download: id + '.tlog-proof', class: 'verify', 'aria-label': t('link.verifyLabel', { what: what }) }, t('link.verify')),
      ' ', wit.proofMark(ref, what));
  }
  function docLink(doc, label) {
    if (!doc || !doc.url) return null;
    return h('a', { href: doc.url, rel: 'noopener noreferrer', class: 'ext', title: doc.title || doc.url }, label || t('link.source'));
  }
  function statusBadge(status) {
    const st = status || 'none';
    const sym = { achieved: '✓', on_track: '✓', peak_achieved: '✓', off_track: '✗', expired_missed: '✗', peak_missed: '✗', pending: '◷', peak_unconfirmed: '?', not_assessable: '–', none: '–' }[st] || '';
    return h('span', { class: 'badge st-' + st, 'data-status': st }, h('span', { class: 'sym', 'aria-hidden': 'true' }, sym), t('status.' + st));
  }
  function mark(yes, text) {
    return h('span', { class: 'mark ' + (yes ? 'yes' : 'no') },
      h('span', { class: 'sym', 'aria-hidden': 'true' }, yes ? '✓' : '✗'),
      h('span', { class: 'visually-hidden' }, (yes ? t('mark.yes') : t('mark.no')) + ': '),
      text);
  }
  function flag(country) {
    if (!country) return null;
    return h('span', { class: 'flag ' + country.toLowerCase(), title: t('country.' + country) },
      h('span', { 'aria-hidden': 'true' }, t('country.short.' + country)),
      h('span', { class: 'visually-hidden' }, t('country.' + country)));
  }

  // ---- data ----

  const api = {
    async get(url) {
      const r = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!r.ok) {
        let msg = r.status + ' ' + r.statusText;
        try { const p = await r.json(); if (p && (p.detail || p.title)) msg = p.detail || p.title; } catch (e) { /* not JSON */ }
        const err = new Error(msg);
        err.status = r.status;
        throw err;
      }
      return r.json();
    }
  };

  const store = {
    list: null, // GET /v1/parties
    parties: [], // its items
    byID: new Map(),
    state: null
  };

  // wit is the witnesses' part of the page (witness.js).
  const wit = window.climateledgerWitnesses({
    t: t, h: h, append: append, clear: clear, api: api, name: name,
    party: (id) => store.byID.get(id), lang: () => lang
  });

  async function loadParties() {
    const raw = await api.get('/v1/parties');
    store.list = raw;
    store.parties = raw.parties || [];
    store.byID = new Map(store.parties.map((p) => [p.id, p]));
    renderFoot();
    return store.parties;
  }

  // loadState fetches the state digest for the footer, at most every 10 seconds
  // (the server computes a digest over every row once per log size).
  let stateAt = 0;
  let stateTimer = null;
  async function loadState() {
    const wait = stateAt + 10000 - Date.now();
    if (wait > 0) {
      if (!stateTimer) stateTimer = setTimeout(() => { stateTimer = null; loadState(); }, wait);
      return;
    }
    stateAt = Date.now();
    try {
      store.state = await api.get('/v1/state');
    } catch (e) {
      store.state = null;
    }
    renderFoot();
  }

  // normalizeDetail turns GET /v1/parties/{id} (projections.PartyDetail) into the
  // shape the view draws.
  function normalizeDetail(raw) {
    const party = raw.party;
    const targets = (raw.targets || []).map((tv) => ({
      id: tv.target_id,
      state: tv.state,
      current: tv.current,
      revisions: tv.revisions || [],
      active: tv.state === 'active' && !!tv.current && !!tv.current.set,
      body: tv.state === 'active' && tv.current ? tv.current.set : null,
      progress: tv.progress || null
    }));
    const inventories = [];
    for (const y of raw.inventories || []) {
      for (const r of y.reports || []) inventories.push(r);
    }
    inventories.sort((a, b) => a.year - b.year || a.event.index - b.event.index);
    const plans = (raw.plans || []).map((pv) => ({
      id: pv.plan_id,
      versions: pv.versions || [],
      current: (pv.versions || []).find((v) => v.version === pv.current_version) || null
    }));
    const att = raw.attestations || {};
    return {
      index: raw.index,
      party: party,
      summary: store.byID.get(party.id) || {},
      commitments: raw.commitments || null,
      endorsements: (raw.endorsements || []).filter((e) => !e.retracted),
      targets: targets,
      inventories: inventories,
      plans: plans,
      partnerships: (raw.partnerships || []).slice().sort((a, b) => a.event.index - b.event.index),
      attestations: att.received || [],
      issued: att.issued || []
    };
  }

  async function loadParty(id) {
    const raw = await api.get('/v1/parties/' + encodeURIComponent(id));
    return normalizeDetail(raw);
  }

  // ---- routing ----

  const view = { name: '', id: '', detail: null, chartTarget: {}, seen: new Set() };
  const filters = { q: '', country: '', level: '', status: '' };
  const main = () => document.getElementById('main');

  function parseRoute() {
    const m = /^#\/p\/([a-z0-9][a-z0-9-]{0,62})$/.exec(location.hash);
    if (m) return { name: 'party', id: m[1] };
    return { name: 'network', id: '' };
  }

  let navigated = false; // the first view is drawn
  async function navigate(focusMain) {
    const r = parseRoute();
    view.name = r.name;
    view.id = r.id;
    view.seen = new Set();
    try {
      if (!store.parties.length || r.name === 'network') await loadParties();
      if (r.name === 'party') {
        view.detail = await loadParty(r.id);
        renderParty();
      } else {
        view.detail = null;
        renderNetwork();
      }
    } catch (e) {
      renderError(e);
    }
    if (!navigated) {
      navigated = true;
      if (pending) { pending = false; scheduleRefresh(); }
    }
    if (focusMain) {
      const h1 = main().querySelector('h1');
      (h1 || main()).focus({ preventScroll: false });
    }
  }

  function renderError(e) {
    const m = main();
    clear(m);
    if (e.status === 404 && view.name === 'party') {
      append(m, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← ' + t('back'))));
      append(m, h('h1', { tabindex: '-1' }, t('notfound', { id: view.id })));
      return;
    }
    append(m, h('div', { class: 'error', role: 'alert' }, t('error', { msg: e.message }), ' ',
      h('button', { type: 'button', class: 'btn', onclick: () => navigate(false) }, t('retry'))));
  }

  // ---- network view ----

  function statusOf(p) { return p.main_target ? p.main_target.status : 'none'; }
  function met(p, k) { return !!(p.commitments && p.commitments[k] && p.commitments[k].met); }
  function windowVars() {
    const l = store.list || {};
    return { from: (l.as_of_year || new Date().getFullYear()) - (l.inventory_window_years || 0) };
  }

  // commitmentMarks returns the marks of the four commitments (targets, inventories,
  // plan, partnership) as the projections judge them, each with its rule as a title.
  function commitmentMarks(c, latest) {
    c = c || {};
    const one = (k, text) => {
      const x = c[k] || { met: false, evidence: [] };
      const m = mark(x.met, text(x));
      if (x.rule) m.setAttribute('title', x.rule);
      return m;
    };
    const n = (x) => (x.evidence || []).length;
    return [
      one('targets', (x) => (x.met ? t('mark.targets', { n: n(x) }) : t('mark.none'))),
      one('inventories', (x) => (!latest ? t('mark.none') : x.met ? t('mark.inventory', { year: latest.year }) : t('mark.invStale', Object.assign({ year: latest.year }, windowVars())))),
      one('plan', (x) => (x.met ? t('mark.plans', { n: n(x) }) : t('mark.none'))),
      one('partnership', (x) => (x.met ? t('mark.partnerships', { n: n(x) }) : t('mark.none')))
    ];
  }
  const jurisdictions = () => store.parties.filter((p) => p.kind === 'jurisdiction');

  function renderNetwork() {
    const m = main();
    clear(m);
    const all = jurisdictions();
    append(m, h('h1', { tabindex: '-1' }, t('net.title')));
    append(m, h('p', { class: 'lead' }, t('net.lead')));
    append(m, h('ul', { class: 'stats', id: 'stats', 'aria-label': t('net.title') }));

    const levels = Array.from(new Set(all.map((p) => p.level).filter(Boolean)));
    const order = ['state', 'province', 'region', 'county', 'city'];
    levels.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const statuses = Array.from(new Set(all.map(statusOf)));
    const sorder = ['achieved', 'on_track', 'off_track', 'expired_missed', 'pending', 'peak_achieved', 'peak_unconfirmed', 'peak_missed', 'not_assessable', 'none'];
    statuses.sort((a, b) => sorder.indexOf(a) - sorder.indexOf(b));
    if (filters.status && !statuses.includes(filters.status)) statuses.push(filters.status);

    const sel = (id, label, value, options) => h('div', null,
      h('label', { for: id }, label),
      h('select', { id: id, 'data-focus': id, onchange: onFilter },
        h('option', { value: '' }, t('f.all')),
        options.map((o) => h('option', { value: o[0], selected: o[0] === value }, o[1]))));

    const form = h('form', { class: 'panel', role: 'search', 'aria-label': t('filters'), onsubmit: (e) => e.preventDefault() },
      h('div', { class: 'filters' },
        h('div', { class: 'search' },
          h('label', { for: 'f-q' }, t('f.search')),
          h('input', { id: 'f-q', 'data-focus': 'f-q', type: 'search', value: filters.q, autocomplete: 'off', oninput: onFilter })),
        sel('f-country', t('f.country'), filters.country, ['US', 'CN'].map((c) => [c, t('country.' + c)])),
        sel('f-level', t('f.level'), filters.level, levels.map((l) => [l, t('level.' + l)])),
        sel('f-status', t('f.status'), filters.status, statuses.map((st) => [st, t('status.' + st)]))),
      h('p', { class: 'result-count', id: 'count', role: 'status' }),
      h('button', { type: 'button', class: 'btn', id: 'f-clear', 'data-focus': 'f-clear', onclick: clearFilters }, t('f.clear')));
    append(m, form);
    append(m, h('div', { id: 'results' }));
    append(m, h('section', { class: 'panel verifiers', id: 'verifiers', 'aria-labelledby': 'verifiers-h' }));
    renderResults();
  }

  function onFilter() {
    filters.q = document.getElementById('f-q').value;
    filters.country = document.getElementById('f-country').value;
    filters.level = document.getElementById('f-level').value;
    filters.status = document.getElementById('f-status').value;
    renderResults();
  }
  function clearFilters() {
    filters.q = filters.country = filters.level = filters.status = '';
    renderNetwork();
    document.getElementById('f-q').focus();
  }

  function matches(p) {
    if (filters.country && p.country !== filters.country) return false;
    if (filters.level && p.level !== filters.level) return false;
    if (filters.status && statusOf(p) !== filters.status) return false;
    const q = filters.q.trim().toLowerCase();
    if (q) {
      const hay = [p.id].concat(Object.values(p.names || {})).join(' ').toLowerCase();
      if (!q.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  }

  // renderResults redraws the statistics, the table and the verifiers, leaving the
  // filter controls (and the focus in them) alone. flash lists party ids to highlight.
  function renderResults(flash) {
    const all = jurisdictions();
    const stats = document.getElementById('stats');
    clear(stats);
    const count = (f) => all.filter(f).length;
    const stat = (n, label) => h('li', null, h('span', { class: 'n' }, String(n)), h('span', { class: 'l' }, label));
    append(stats, [
      stat(all.length, t('stat.jurisdictions')),
      stat(count((p) => p.country === 'US'), t('stat.us')),
      stat(count((p) => p.country === 'CN'), t('stat.cn')),
      stat(count((p) => met(p, 'targets')), t('stat.targets')),
      stat(count((p) => met(p, 'inventories')), t('stat.inventories', windowVars())),
      stat(count((p) => met(p, 'plan')), t('stat.plans')),
      stat(count((p) => met(p, 'partnership')), t('stat.partnerships'))
    ]);

    const shown = all.filter(matches).sort((a, b) => (a.country || '').localeCompare(b.country || '') * -1 || name(a).localeCompare(name(b), lang === 'zh' ? 'zh-CN' : 'en'));
    document.getElementById('count').textContent = t('count', { n: shown.length, total: all.length });
    const res = document.getElementById('results');
    clear(res);
    if (!shown.length) {
      append(res, h('p', { class: 'panel empty' }, t('noresults')));
    } else {
      const th = (k) => h('th', { scope: 'col' }, t(k));
      const rows = shown.map((p) => {
        const marks = commitmentMarks(p.commitments, p.latest_inventory);
        const mt_ = p.main_target;
        const other = otherName(p);
        return h('tr', { 'data-party': p.id, class: flash && flash.has(p.id) ? 'flash' : null },
          h('td', { class: 'name', 'data-label': t('col.name') },
            h('div', null, h('a', { href: '#/p/' + p.id, 'data-focus': 'party-' + p.id }, name(p)), other ? h('span', { class: 'zh', lang: lang === 'zh' ? 'en' : 'zh' }, ' ' + other) : null)),
          h('td', { 'data-label': t('col.country') }, flag(p.country)),
          h('td', { 'data-label': t('col.level') }, p.level ? t('level.' + p.level) : ''),
          h('td', { 'data-label': t('col.targets') }, marks[0]),
          h('td', { 'data-label': t('col.inventory') }, marks[1]),
          h('td', { 'data-label': t('col.plan') }, marks[2]),
          h('td', { 'data-label': t('col.partnership') }, marks[3]),
          h('td', { 'data-label': t('col.progress') },
            h('div', null, statusBadge(statusOf(p)),
              mt_ ? h('span', { class: 'target-line' }, targetShort(mt_)) : null)));
      });
      append(res, h('div', { class: 'panel scroll' },
        tableRoles(h('table', { class: 'juris stack' },
          h('caption', { class: 'visually-hidden' }, t('net.title')),
          h('thead', null, h('tr', null, th('col.name'), th('col.country'), th('col.level'), th('col.targets'), th('col.inventory'), th('col.plan'), th('col.partnership'), th('col.progress'))),
          h('tbody', null, rows)))));
    }

    const ver = document.getElementById('verifiers');
    clear(ver);
    const vs = store.parties.filter((p) => p.kind === 'verifier');
    if (!vs.length) { ver.hidden = true; return; }
    ver.hidden = false;
    append(ver, h('h2', { id: 'verifiers-h' }, t('verifiers')), h('p', { class: 'lead' }, t('verifiers.lead')),
      h('ul', null, vs.map((p) => h('li', { 'data-party': p.id, class: flash && flash.has(p.id) ? 'flash' : null }, h('a', { href: '#/p/' + p.id }, name(p))))));
  }

  // targetShort describes a progress row in a few words: "sb32 · 2030".
  function targetShort(pr) {
    const parts = [pr.target_id];
    if (pr.target_year) parts.push(String(pr.target_year));
    return parts.join(' · ');
  }

  // ---- jurisdiction view ----

  function renderParty() {
    const d = view.detail;
    const p = d.party;
    const m = main();
    clear(m);
    append(m, h('p', { class: 'crumbs' }, h('a', { href: '#/', 'data-focus': 'back' }, '← ' + t('back'))));
    const other = otherName(p);
    const endorse = d.endorsements;
    const head = h('section', { class: 'panel', 'aria-labelledby': 'party-h' },
      h('div', { class: 'party-head' },
        h('h1', { id: 'party-h', tabindex: '-1' }, name(p), other ? h('span', { class: 'zh', lang: lang === 'zh' ? 'en' : 'zh' }, other) : null),
        p.enrolled ? h('span', { class: 'small muted' }, t('p.enrolled') + ' ', eventLink(p.enrolled.event_id, fmtTime(p.enrolled.time)), ' · ', verifyLink(p.enrolled, t('p.enrolled'))) : null),
      h('ul', { class: 'facts' },
        p.kind === 'verifier' ? h('li', null, h('b', null, t('p.kind.verifier'))) : null,
        p.country ? h('li', null, t('p.country') + ': ', h('b', null, t('country.' + p.country))) : null,
        p.level ? h('li', null, t('p.level') + ': ', h('b', null, t('level.' + p.level))) : null,
        p.parent ? h('li', null, t('p.parent') + ': ', store.byID.has(p.parent) ? h('a', { href: '#/p/' + p.parent }, name(store.byID.get(p.parent))) : h('b', null, p.parent.toUpperCase())) : null,
        p.codes ? h('li', null, t('p.codes') + ': ', h('b', null, [p.codes.iso3166_2, p.codes.unlocode].filter(Boolean).join(', '))) : null,
        p.kind === 'jurisdiction' ? h('li', null, endorse.length
          ? [t('p.endorsed') + ': ', h('b', null, endorse.map((e) => t('summit.' + e.summit) + ' (' + e.date + ')').join(', '))]
          : t('p.notEndorsed')) : null));
    append(m, head);

    if (p.kind === 'jurisdiction') {
      const latest = d.inventories.filter((x) => x.current).slice(-1)[0];
      const marks = commitmentMarks(d.commitments, latest);
      const keys = ['c.targets', 'c.inventories', 'c.plan', 'c.partnership'];
      append(head, h('ul', { class: 'commitments', 'aria-label': t('c.four') },
        marks.map((m, i) => h('li', null, h('span', { class: 'k' }, t(keys[i])), m))));

      append(m, h('div', { class: 'grid2' }, chartSection(d), h('div', null, progressSection(d), sectorSection(d))));
      append(m, targetsSection(d));
      append(m, inventoriesSection(d));
      append(m, plansSection(d));
      append(m, partnershipsSection(d));
    }
    append(m, attestationsSection(d));
    markSeen(m);
  }

  // markSeen remembers the events drawn; on the next render, new ones flash.
  function markSeen(root) {
    const fresh = [];
    root.querySelectorAll('[data-event]').forEach((el) => {
      const id = el.getAttribute('data-event');
      if (view.seen.size && !view.seen.has(id)) fresh.push(el);
    });
    fresh.forEach((el) => {
      const box = el.closest('tr, .card, li, .inv-point') || el;
      box.classList.add('flash');
    });
    root.querySelectorAll('[data-event]').forEach((el) => view.seen.add(el.getAttribute('data-event')));
    return fresh.length;
  }

  function section(id, title, kids) {
    return h('section', { class: 'panel', id: id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, title), kids);
  }

  // chartable reports whether a target can be drawn as a path or a marker.
  function chartable(tg) {
    return tg.active && tg.body && tg.body.type !== 'base_year_intensity';
  }
  function chosenTarget(d) {
    const ok = d.targets.filter(chartable);
    const want = view.chartTarget[d.party.id] || (d.summary.main_target && d.summary.main_target.target_id);
    return ok.find((x) => x.id === want) || ok[0] || null;
  }

  function chartSection(d) {
    const sec = section('chart', t('sec.chart'));
    const ok = d.targets.filter(chartable);
    const chosen = chosenTarget(d);
    if (ok.length > 1) {
      append(sec, h('div', { class: 'chart-controls' },
        h('label', { for: 'chart-target' }, t('chart.target')),
        h('select', { id: 'chart-target', 'data-focus': 'chart-target', onchange: (e) => { view.chartTarget[d.party.id] = e.target.value; renderParty(); document.getElementById('chart-target').focus(); } },
          ok.map((x) => h('option', { value: x.id, selected: chosen && x.id === chosen.id }, x.id + ' · ' + t('type.' + x.body.type) + (endYear(x.body) ? ' · ' + endYear(x.body) : ''))))));
    }
    const wrap = h('div', { class: 'chart-wrap', id: 'chart-wrap' });
    append(sec, wrap);
    const model = chartModel(d, chosen);
    if (!model.points.length && !model.target && !model.peak) {
      append(wrap, h('p', { class: 'empty' }, t('chart.nodata')));
      return sec;
    }
    // Size the drawing to the space it gets, so its text stays readable on phones.
    requestAnimationFrame(() => drawChart(wrap, model, d));
    append(sec, legend(model));
    append(sec, chartTable(model));
    return sec;
  }

  function endYear(b) {
    if (!b) return 0;
    if (b.target_year) return b.target_year;
    if (b.peak_year) return b.peak_year;
    if (b.milestones && b.milestones.length) return b.milestones[b.milestones.length - 1].year;
    return 0;
  }

  // targetLevel returns E_t from a target body, or null.
  function targetLevel(b, base) {
    switch (b.type) {
      case 'base_year_absolute':
        if (b.target_emissions_tco2e !== undefined) return Number(b.target_emissions_tco2e);
        return base !== null ? base * (1 - Number(b.reduction_pct) / 100) : null;
      case 'fixed_level': return Number(b.target_emissions_tco2e);
      case 'net_zero': return 0;
      case 'trajectory': return Number(b.milestones[b.milestones.length - 1].target_emissions_tco2e);
      case 'baseline_scenario':
        return b.baseline_emissions_tco2e !== undefined ? Number(b.baseline_emissions_tco2e) * (1 - Number(b.reduction_pct) / 100) : null;
    }
    return null;
  }

  function chartModel(d, tg) {
    const model = { points: [], base: null, set: null, target: null, peak: null, milestones: [], tg: tg, name: name(d.party) };
    for (const r of d.inventories) {
      if (r.retracted) continue;
      model.points.push({ year: r.year, v: Number(r.total_tco2e), id: r.event.event_id, current: r.current });
    }
    if (!tg) return model;
    const b = tg.body;
    const pr = tg.progress || {};
    const fig = (f) => (f && f.tco2e !== undefined ? Number(f.tco2e) : null);
    if (b.type === 'peak') {
      model.peak = { year: b.peak_year, qualifier: b.qualifier };
      return model;
    }
    let base = null;
    if (b.base_year) {
      base = fig(pr.base);
      if (base === null && b.base_emissions_tco2e !== undefined) base = Number(b.base_emissions_tco2e);
      if (base !== null) model.base = { year: b.base_year, v: base };
    }
    const ty = endYear(b);
    let tl = fig(pr.target);
    if (tl === null) tl = targetLevel(b, base);
    if (ty && tl !== null) model.target = { year: ty, v: tl };
    if (b.type === 'trajectory') model.milestones = b.milestones.map((x) => ({ year: x.year, v: Number(x.target_emissions_tco2e) }));
    if (b.year_set && model.target) {
      const a = (pr.anchors || []).find((x) => x.anchor === 'year_set');
      const start = a && a.start ? fig(a.start) : null;
      if (start !== null) {
        model.set = { year: b.year_set, v: start, path: true };
      } else if (model.base && b.year_set > model.base.year) {
        const f = (b.year_set - model.base.year) / (model.target.year - model.base.year);
        model.set = { year: b.year_set, v: model.base.v + f * (model.target.v - model.base.v), path: false };
      } else {
        model.set = { year: b.year_set, v: null, path: false };
      }
    }
    return model;
  }

  function niceStep(span, n) {
    const raw = span / Math.max(1, n);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
  }

  function drawChart(wrap, model, d) {
    if (!wrap.isConnected) return;
    clear(wrap);
    const W = Math.max(300, Math.round(wrap.clientWidth || 600));
    const H = Math.round(Math.min(380, Math.max(230, W * 0.56)));
    const M = { l: 52, r: 18, t: 26, b: 34 };
    const years = model.points.map((p) => p.year);
    const vals = model.points.map((p) => p.v);
    for (const x of [model.base, model.set, model.target, model.peak]) if (x) { years.push(x.year); if (x.v !== null && x.v !== undefined) vals.push(x.v); }
    model.milestones.forEach((x) => { years.push(x.year); vals.push(x.v); });
    let y0 = Math.min.apply(null, years) - 1;
    let y1 = Math.max.apply(null, years) + 1;
    if (y1 - y0 < 6) { y0 -= 2; y1 += 2; }
    // With no positive figure (a peak year alone, net zero alone) there is no scale
    // to show: only the zero line and the years are drawn.
    const scaled = vals.some((v) => v > 0);
    const vmax = scaled ? Math.max.apply(null, vals) : 1e6;
    const vstep = scaled ? niceStep(vmax / 1e6, 4) * 1e6 : 1e6;
    const vtop = Math.ceil((vmax * 1.08) / vstep) * vstep;
    const digits = vstep >= 1e6 ? 0 : vstep >= 1e5 ? 1 : 2;
    const x = (yr) => M.l + ((yr - y0) / (y1 - y0)) * (W - M.l - M.r);
    const y = (v) => H - M.b - (v / vtop) * (H - M.t - M.b);

    const svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'group', 'aria-labelledby': 'chart-title' },
      s('title', { id: 'chart-title' }, t('chart.caption', { name: model.name })));
    // Grid and axes.
    const grid = s('g', { class: 'grid' });
    const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
    for (let i = 0; i * vstep <= vtop * 1.0001 && (scaled || i === 0); i++) {
      const v = i * vstep;
      append(grid, s('line', { x1: M.l, x2: W - M.r, y1: y(v), y2: y(v) }));
      append(axis, s('text', { x: M.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtNum(v / 1e6, digits)));
    }
    if (scaled) append(axis, s('text', { x: 4, y: 12, 'text-anchor': 'start' }, t('unit.mt')));
    const ystep = [1, 2, 5, 10, 20].find((st) => (y1 - y0) / st <= Math.max(3, Math.floor((W - M.l - M.r) / 60))) || 20;
    for (let yr = Math.ceil(y0 / ystep) * ystep; yr <= y1; yr += ystep) {
      append(axis, s('line', { x1: x(yr), x2: x(yr), y1: H - M.b, y2: H - M.b + 5 }));
      append(axis, s('text', { x: x(yr), y: H - M.b + 18, 'text-anchor': 'middle' }, String(yr)));
    }
    append(axis, s('line', { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }));
    append(svg, grid, axis);

    // Target paths, anchors and the target.
    if (model.peak) {
      append(svg, s('g', { class: 'peak', 'aria-hidden': 'true' },
        s('line', { class: 'peak-line', x1: x(model.peak.year), x2: x(model.peak.year), y1: M.t, y2: H - M.b }),
        s('text', { class: 'lbl', x: x(model.peak.year) + (x(model.peak.year) > W / 2 ? -6 : 6), y: M.t + 10, 'text-anchor': x(model.peak.year) > W / 2 ? 'end' : 'start' },
          t('chart.peak') + ': ' + t('qual.' + model.peak.qualifier, { year: model.peak.year }))));
    }
    if (model.base && model.target) {
      const pts = [model.base].concat(model.milestones.filter((m) => m.year > model.base.year));
      if (!model.milestones.length) pts.push(model.target);
      append(svg, s('polyline', { class: 'path-base', points: pts.map((p) => x(p.year) + ',' + y(p.v)).join(' '), 'aria-hidden': 'true' }));
    }
    if (model.set && model.set.path && model.target) {
      append(svg, s('line', { class: 'path-set', x1: x(model.set.year), y1: y(model.set.v), x2: x(model.target.year), y2: y(model.target.v), 'aria-hidden': 'true' }));
    }
    if (model.target) {
      const cx = x(model.target.year), cy = y(model.target.v);
      append(svg, s('g', { class: 'target-mark' },
        s('title', null, t('chart.targetMark') + ' ' + model.target.year + ': ' + mt(model.target.v)),
        s('path', { d: starPath(cx, cy, 10, 4.5) })),
        s('text', { class: 'lbl', x: cx - 6, y: cy + 24 > H - M.b - 4 ? cy - 14 : cy + 24, 'text-anchor': 'end' }, model.target.year + ': ' + mt(model.target.v)));
    }

    // Inventories: a line through each year's current figure, and a linked point each.
    const cur = model.points.filter((p) => p.current).sort((a, b) => a.year - b.year);
    if (cur.length > 1) append(svg, s('polyline', { class: 'series', points: cur.map((p) => x(p.year) + ',' + y(p.v)).join(' '), 'aria-hidden': 'true' }));
    const g = s('g', { class: 'inventories' });
    for (const p of model.points) {
      const label = t('chart.point', { year: p.year, value: mt(p.v) });
      append(g, s('a', { href: '/v1/events/' + p.id, class: 'inv-point' + (p.current ? '' : ' superseded'), 'data-event': p.id, 'data-year': p.year, 'aria-label': label },
        s('title', null, label),
        s('circle', { cx: x(p.year), cy: y(p.v), r: 6 })));
    }
    append(svg, g);
    // Anchors go over the points, hollow and transparent to the pointer.
    if (model.base) {
      append(svg, s('g', { class: 'anchor-base' },
        s('title', null, t('chart.anchorBase') + ' ' + model.base.year + ': ' + mt(model.base.v)),
        s('rect', { x: x(model.base.year) - 6, y: y(model.base.v) - 6, width: 12, height: 12 })));
    }
    if (model.set && model.set.v !== null) {
      const cx = x(model.set.year), cy = y(model.set.v);
      append(svg, s('g', { class: 'anchor-set' },
        s('title', null, t('chart.anchorSet') + ' ' + model.set.year + (model.set.path ? ': ' + mt(model.set.v) : '')),
        s('path', { d: 'M' + cx + ' ' + (cy - 8) + ' L' + (cx + 8) + ' ' + cy + ' L' + cx + ' ' + (cy + 8) + ' L' + (cx - 8) + ' ' + cy + ' Z' })));
    } else if (model.set) {
      append(svg, s('g', { class: 'anchor-set' }, s('title', null, t('chart.anchorSet') + ' ' + model.set.year),
        s('path', { d: 'M' + (x(model.set.year) - 6) + ' ' + (H - M.b - 2) + ' l6 -10 l6 10 Z' })));
    }
    append(wrap, svg);
    // New points flash like other new elements.
    g.querySelectorAll('[data-event]').forEach((el) => {
      const id = el.getAttribute('data-event');
      if (view.seen.size && !view.seen.has(id)) el.classList.add('flash');
      view.seen.add(id);
    });
  }

  function starPath(cx, cy, R, r) {
    let d = '';
    for (let i = 0; i < 10; i++) {
      const a = Math.PI / 2 + (i * Math.PI) / 5;
      const rad = i % 2 ? r : R;
      d += (i ? 'L' : 'M') + (cx + rad * Math.cos(a)).toFixed(1) + ' ' + (cy - rad * Math.sin(a)).toFixed(1) + ' ';
    }
    return d + 'Z';
  }

  function legend(model) {
    const item = (sym, text) => h('li', null, sym, text);
    const sv = (kids) => s('svg', { width: 22, height: 14, viewBox: '0 0 22 14', 'aria-hidden': 'true', class: 'chart icon' }, kids);
    const items = [];
    if (model.points.length) items.push(item(sv(s('g', { class: 'inv-point' }, s('circle', { cx: 11, cy: 7, r: 5 }))), t('chart.inv')));
    if (model.points.some((p) => !p.current)) items.push(item(sv(s('g', { class: 'inv-point superseded' }, s('circle', { cx: 11, cy: 7, r: 5 }))), t('chart.superseded')));
    if (model.base && model.target) items.push(item(sv(s('line', { class: 'path-base', x1: 1, x2: 21, y1: 7, y2: 7 })), t('chart.pathBase')));
    if (model.set && model.set.path) items.push(item(sv(s('line', { class: 'path-set', x1: 1, x2: 21, y1: 7, y2: 7 })), t('chart.pathSet')));
    if (model.base) items.push(item(sv(s('g', { class: 'anchor-base' }, s('rect', { x: 6, y: 2, width: 10, height: 10 }))), t('chart.anchorBase') + ' ' + model.base.year));
    if (model.set) items.push(item(sv(s('g', { class: 'anchor-set' }, s('path', { d: 'M11 0 L18 7 L11 14 L4 7 Z' }))), t('chart.anchorSet') + ' ' + model.set.year));
    if (model.target) items.push(item(sv(s('g', { class: 'target-mark' }, s('path', { d: starPath(11, 7, 7, 3) }))), t('chart.targetMark') + ' ' + model.target.year));
    if (model.peak) items.push(item(sv(s('line', { class: 'peak-line', x1: 11, x2: 11, y1: 0, y2: 14 })), t('chart.peak') + ' ' + model.peak.year));
    return h('ul', { class: 'legend' }, items);
  }

  function chartTable(model) {
    const rows = [];
    for (const p of model.points.slice().sort((a, b) => a.year - b.year)) {
      rows.push([String(p.year), t('sec.inventories') + (p.current ? '' : ' (' + t('inv.superseded') + ')'), eventLink(p.id, mt(p.v))]);
    }
    if (model.base) rows.push([String(model.base.year), t('chart.anchorBase'), mt(model.base.v)]);
    if (model.set) rows.push([String(model.set.year), t('chart.anchorSet'), model.set.v !== null ? mt(model.set.v) : '']);
    if (model.target) rows.push([String(model.target.year), t('chart.targetMark'), mt(model.target.v)]);
    if (model.peak) rows.push([String(model.peak.year), t('chart.peak'), t('qual.' + model.peak.qualifier, { year: model.peak.year })]);
    return h('details', null, h('summary', null, t('chart.table')),
      h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('inv.year')), h('th', { scope: 'col' }, t('chart.kind')), h('th', { scope: 'col' }, t('inv.total')))),
        h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))));
  }

  function progressSection(d) {
    const tg = chosenTarget(d) || d.targets.find((x) => x.active);
    const sec = section('progress', t('sec.progress'));
    if (!tg) {
      append(sec, h('p', { class: 'empty' }, t('progress.none')));
      return sec;
    }
    const pr = tg.progress;
    append(sec, h('h3', null, tg.id, ' ', h('span', { class: 'tag' }, t('type.' + tg.body.type))));
    append(sec, h('div', { class: 'progress' },
      statusBadge(pr ? pr.status : 'not_assessable'),
      pr && pr.reason ? h('p', { class: 'reason', lang: 'en' }, pr.reason) : null,
      pr ? h('dl', null,
        figRow(t('progress.base'), pr.base),
        figRow(t('progress.targetLevel'), pr.target),
        figRow(t('progress.latest'), pr.latest),
        pr.achieved_pct ? [h('dt', null, t('progress.achieved')), h('dd', null, h('span', { title: pr.achieved_pct.formula || '' }, pct(pr.achieved_pct.value)), ' ', sourcesLinks(pr.achieved_pct.sources))] : null) : null));
    return sec;
  }

  function figRow(label, f) {
    if (!f) return null;
    const src = (f.sources || [])[0];
    const text = (f.year ? f.year + ': ' : '') + mt(f.tco2e);
    return [h('dt', null, label), h('dd', null, src ? eventLink(src.event_id, text) : h('span', { title: f.formula || '' }, text))];
  }

  function sourcesLinks(refs) {
    if (!refs || !refs.length) return null;
    return h('span', { class: 'small' }, '(', refs.map((r, i) => [i ? ', ' : '', eventLink(r.event_id, '#' + r.index)]), ')');
  }

  function sectorSection(d) {
    const sec = section('sectors', t('sec.sectors'));
    const cur = d.inventories.filter((r) => r.current);
    if (!cur.length) {
      append(sec, h('p', { class: 'empty' }, t('sectors.noinv')));
      return sec;
    }
    const withLines = cur.filter((r) => r.breakdown && r.breakdown.by_sector && r.breakdown.by_sector.length);
    const latest = cur[cur.length - 1];
    const inv = withLines.length ? withLines[withLines.length - 1] : null;
    if (!inv) {
      append(sec, h('p', { class: 'empty' }, t('sectors.none', { year: latest.year })));
      return sec;
    }
    const total = inv.breakdown.by_sector.reduce((a, x) => a + Math.max(0, Number(x.tco2e)), 0) || 1;
    append(sec, h('p', { class: 'small muted' }, eventLink(inv.event.event_id, t('sectors.of', { year: inv.year, n: inv.lines })), ' · ', verifyLink(inv.event, inv.year + ' ' + t('sec.inventories'))));
    append(sec, h('ul', { class: 'bars' }, inv.breakdown.by_sector.map((x) => {
      const share = Math.max(0, Number(x.tco2e)) / total;
      return h('li', { 'data-sector': x.sector },
        h('span', null, t('sector.' + x.sector) + ': ', h('b', null, mt(x.tco2e)), ' (' + pct(share * 100) + ')'),
        h('div', { class: 'bar', 'aria-hidden': 'true' }, h('span', { 'data-w': share })));
    })));
    // Inline styles are blocked by the page's policy; widths are set through CSSOM.
    sec.querySelectorAll('.bar span').forEach((el) => { el.style.width = (Number(el.getAttribute('data-w')) * 100).toFixed(1) + '%'; });
    return sec;
  }

  function targetsSection(d) {
    const sec = section('targets', t('sec.targets'));
    if (!d.targets.length) {
      append(sec, h('p', { class: 'empty' }, t('none.targets')));
      return sec;
    }
    append(sec, h('div', { class: 'cards' }, d.targets.map((tg) => targetCard(tg))));
    return sec;
  }

  function targetCard(tg) {
    const cur = tg.current;
    const b = tg.body || (tg.revisions.filter((r) => r.set).slice(-1)[0] || {}).set || {};
    const rows = [];
    const row = (k, v) => { if (v !== null && v !== undefined && v !== '') rows.push(h('dt', null, t(k)), h('dd', null, v)); };
    row('f.type', b.type ? t('type.' + b.type) : '');
    if (b.base_year) row('f.base', b.base_emissions_tco2e !== undefined ? b.base_year + ': ' + mt(b.base_emissions_tco2e) : String(b.base_year));
    if (b.type !== 'peak') row('f.targetYear', b.target_year ? String(b.target_year) : '');
    if (b.reduction_pct !== undefined) row('f.reduction', pct(b.reduction_pct));
    if (b.target_emissions_tco2e !== undefined) row('f.targetLevel', mt(b.target_emissions_tco2e));
    if (b.peak_year) row('f.peak', t('qual.' + b.qualifier, { year: b.peak_year }));
    row('f.intensity', b.intensity_unit);
    if (b.coverage) row('f.coverage', [].concat(b.coverage.gases || [], (b.coverage.sectors || []).map((x) => t('sector.' + x)), (b.coverage.scopes || []).map((x) => 'scope ' + x)).join(', '));
    if (b.offsets) row('f.offsets', b.offsets.allowed ? t('f.offsets.yes') + (b.offsets.max_pct !== undefined ? ' ≤ ' + pct(b.offsets.max_pct) : '') : t('f.offsets.no'));
    row('f.legal', b.legal_status ? t('legal.' + b.legal_status) : '');
    row('f.yearSet', b.year_set ? String(b.year_set) : '');
    const evRef = cur && cur.event;
    const evID = evRef && evRef.event_id;
    return h('article', { class: 'card', 'data-target': tg.id },
      h('h3', null, h('span', null, tg.id), tg.active ? (tg.progress ? statusBadge(tg.progress.status) : null) : h('span', { class: 'tag' }, t('rev.withdrawn'))),
      b.description ? h('p', { class: 'desc' }, b.description) : null,
      h('dl', { class: 'figs' }, rows),
      h('div', { class: 'links' }, eventLink(evID, t('link.event')), verifyLink(evRef, tg.id), docLink(b.source)),
      h('details', { open: tg.revisions.length > 1 ? true : null }, h('summary', null, t('rev.history') + ' (' + tg.revisions.length + ')'),
        h('ol', { class: 'revisions' }, tg.revisions.map((r) => h('li', null,
          t('rev', { n: r.revision }) + ' · ' + t('rev.' + r.action) + ' · ',
          eventLink(r.event.event_id, fmtTime(r.event.time)), ' ', verifyLink(r.event, tg.id + ' ' + t('rev', { n: r.revision })),
          r === cur ? [' ', h('span', { class: 'tag' }, t('current'))] : null,
          r.retracted ? [' ', h('span', { class: 'tag' }, t('retracted'))] : null,
          r.reason ? h('div', { class: 'muted' }, r.reason) : null)))));
  }

  function inventoriesSection(d) {
    const sec = section('inventories', t('sec.inventories'));
    if (!d.inventories.length) {
      append(sec, h('p', { class: 'empty' }, t('none.inventories')));
      return sec;
    }
    const attested = new Map();
    for (const a of d.attestations) {
      const id = a.subject && a.subject.event_id;
      if (!id || a.retracted) continue;
      if (!attested.has(id)) attested.set(id, []);
      attested.get(id).push(a);
    }
    const th = (k) => h('th', { scope: 'col' }, t(k));
    append(sec, h('div', { class: 'scroll' }, tableRoles(h('table', { class: 'inv stack' },
      h('thead', null, h('tr', null, th('inv.year'), th('inv.total'), th('inv.method'), th('inv.boundary'), th('inv.attested'), th('inv.proof'))),
      h('tbody', null, d.inventories.slice().reverse().map((r) => {
        const id = r.event.event_id;
        const atts = attested.get(id) || [];
        return h('tr', { 'data-year': r.year },
          h('th', { scope: 'row', class: 'year' }, String(r.year)),
          h('td', { class: 'num', 'data-label': t('inv.total') }, eventLink(id, mt(r.total_tco2e)), r.current ? null : [' ', h('span', { class: 'tag' }, r.retracted ? t('retracted') : t('inv.superseded'))]),
          h('td', { class: 'small', 'data-label': t('inv.method') }, [r.framework, r.level, r.gwp].filter(Boolean).join(' · ')),
          h('td', { class: 'small wide', 'data-label': t('inv.boundary') }, h('span', null, r.boundary || '', r.source ? [' ', docLink(r.source)] : null)),
          h('td', { class: 'small', 'data-label': t('inv.attested') }, atts.length ? h('span', null, atts.map((a) => h('span', { class: 'att' }, eventLink(a.event.event_id, t('opinion.' + a.opinion)), ' · ', partyLink(a.verifier)))) : '–'),
          h('td', { class: 'num', 'data-label': t('inv.proof') }, verifyLink(r.event, r.year + ' ' + t('sec.inventories'))));
      }))))));
    return sec;
  }

  function partyLink(id) {
    const p = store.byID.get(id);
    return p ? h('a', { href: '#/p/' + id }, name(p)) : h('span', null, id);
  }

  function plansSection(d) {
    const sec = section('plans', t('sec.plans'));
    if (!d.plans.length) {
      append(sec, h('p', { class: 'empty' }, t('none.plans')));
      return sec;
    }
    for (const p of d.plans) {
      const v = p.current || p.versions[p.versions.length - 1];
      const th = (k) => h('th', { scope: 'col' }, t(k));
      append(sec, h('article', { class: 'card', 'data-plan': p.id },
        h('h3', null, v.title, ' ', h('span', { class: 'tag' }, t('plan.version', { v: v.version }))),
        h('dl', { class: 'figs' },
          h('dt', null, t('plan.adopted')), h('dd', null, v.adopted),
          h('dt', null, t('plan.horizon')), h('dd', null, String(v.horizon_year)),
          h('dt', null, t('plan.versions')), h('dd', null, p.versions.map((x, i) => [i ? ', ' : '', eventLink(x.event.event_id, 'v' + x.version), x.retracted ? ' (' + t('retracted') + ')' : '']))),
        h('div', { class: 'links' }, eventLink(v.event.event_id, t('link.event')), verifyLink(v.event, v.title), docLink(v.document, t('link.document'))),
        h('h4', null, t('plan.actions')),
        v.actions && v.actions.length ? h('div', { class: 'scroll' }, h('table', null,
          h('thead', null, h('tr', null, th('action.title'), th('action.sector'), th('action.kind'), th('action.status'), th('action.reduction'))),
          h('tbody', null, v.actions.map((a) => h('tr', null,
            h('td', null, a.title), h('td', null, t('sector.' + a.sector)), h('td', null, a.kind), h('td', null, a.status.replace('_', ' ')),
            h('td', null, a.expected_reduction_tco2e_per_year !== undefined ? tonnes(a.expected_reduction_tco2e_per_year) : '–')))))) : h('p', { class: 'empty' }, t('plan.noactions'))));
    }
    return sec;
  }

  function partnershipsSection(d) {
    const sec = section('partnerships', t('sec.partnerships'));
    if (!d.partnerships.length) {
      append(sec, h('p', { class: 'empty' }, t('none.partnerships')));
      return sec;
    }
    append(sec, h('div', { class: 'cards' }, d.partnerships.map((ps) => h('article', { class: 'card', 'data-partnership': ps.partnership_id },
      h('h3', null, ps.partners.map((id, i) => [i ? ' – ' : '', partyLink(id)]), ps.retracted ? h('span', { class: 'tag' }, t('retracted')) : null),
      ps.description ? h('p', { class: 'desc' }, ps.description) : null,
      h('dl', { class: 'figs' },
        h('dt', null, t('ps.instrument')), h('dd', null, t('instrument.' + ps.instrument)),
        h('dt', null, t('ps.topics')), h('dd', null, (ps.topics || []).join('; ')),
        h('dt', null, t('ps.signed')), h('dd', null, ps.signed),
        h('dt', null, t('ps.submitter')), h('dd', null, partyLink(ps.submitter)),
        h('dt', null, t('ps.signatures')), h('dd', null, t('ps.cosigned', { n: ps.partners.length }))),
      h('div', { class: 'links' }, eventLink(ps.event.event_id, t('link.event')), verifyLink(ps.event, ps.partnership_id), docLink(ps.document, t('link.document')))))));
    return sec;
  }

  function attestationsSection(d) {
    const verifier = d.party.kind === 'verifier';
    const list = verifier ? (d.issued.length ? d.issued : d.attestations) : d.attestations;
    const sec = section('attestations', verifier ? t('sec.issued') : t('sec.attestations'));
    if (!list.length) {
      append(sec, h('p', { class: 'empty' }, t('none.attestations')));
      return sec;
    }
    append(sec, h('div', { class: 'cards' }, list.map((a) => h('article', { class: 'card', 'data-attestation': a.event.event_id },
      h('h3', null, t('opinion.' + a.opinion), a.retracted ? h('span', { class: 'tag' }, t('retracted')) : null),
      a.summary ? h('p', { class: 'desc' }, a.summary) : null,
      h('dl', { class: 'figs' },
        h('dt', null, t('att.verifier')), h('dd', null, partyLink(a.verifier)),
        h('dt', null, t('att.standard')), h('dd', null, a.standard),
        h('dt', null, t('att.assurance')), h('dd', null, t('assurance.' + a.assurance)),
        h('dt', null, t('att.subject')), h('dd', null, partyLink(a.subject.party), ' · ' + a.subject.type + ' · ', eventLink(a.subject.event_id, '#' + a.subject.index))),
      h('div', { class: 'links' }, eventLink(a.event.event_id, t('link.event')), verifyLink(a.event, t('sec.attestations')))))));
    return sec;
  }

  // ---- footer, language ----

  function renderFoot() {
    wit.render();
    const el = document.getElementById('log-info');
    if (!el) return;
    clear(el);
    const st = store.state;
    const n = store.list ? store.list.index : st ? st.index : undefined;
    if (n === undefined) return;
    append(el, t('foot.log', { n: n }),
      st && st.index === n ? [' · ', t('foot.digest', { d: '' }), h('code', { title: st.digest }, String(st.digest).slice(0, 16) + '…')] : null);
  }

  function applyLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.getAttribute('data-i18n')); });
    const b = document.getElementById('lang');
    const other = lang === 'zh' ? 'en' : 'zh';
    b.textContent = TEXT[other]['lang.button'];
    b.setAttribute('lang', other === 'zh' ? 'zh-CN' : 'en');
    b.setAttribute('aria-label', TEXT[other]['lang.label']);
    document.title = t('app.title') + ' — climateledger';
    setLive(liveState);
  }

  // ---- live updates ----

  let liveState = 'connecting';
  function setLive(st) {
    liveState = st;
    const el = document.getElementById('live');
    el.setAttribute('data-state', st);
    document.getElementById('live-text').textContent = t('live.' + st);
  }

  function announce(msg) {
    const el = document.getElementById('announcer');
    el.textContent = '';
    setTimeout(() => { el.textContent = msg; }, 30);
  }

  let refreshTimer = null;
  let refreshing = false;
  let pending = false;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; refresh(); }, 60);
  }

  // refresh reloads what the open view shows and redraws it in place, keeping the
  // focus, and announces what changed.
  async function refresh() {
    if (!navigated) { pending = true; return; } // redone once the first view is drawn
    if (refreshing) { pending = true; return; }
    refreshing = true;
    try {
      loadState();
      wit.load();
      const before = new Map(store.parties.map((p) => [p.id, JSON.stringify(p)]));
      await loadParties();
      const changed = new Set(store.parties.filter((p) => before.get(p.id) !== JSON.stringify(p)).map((p) => p.id));
      const focus = document.activeElement && document.activeElement.getAttribute('data-focus');
      if (view.name === 'network' && document.getElementById('results')) {
        renderResults(changed);
        if (changed.size) announce(t('updated', { what: Array.from(changed).map((id) => t('updated.party', { name: name(store.byID.get(id)) })).join(', ') }));
      } else if (view.name === 'party') {
        view.detail = await loadParty(view.id);
        const scroll = window.scrollY;
        renderParty();
        window.scrollTo(0, scroll);
        const fresh = main().querySelectorAll('.flash[data-event], .flash [data-event]').length;
        if (changed.has(view.id)) announce(t('updated', { what: t('updated.party', { name: name(view.detail.party) }) }));
        else if (fresh) announce(t('updated', { what: t('updated.events', { n: fresh }) }));
      }
      if (focus) {
        const el = main().querySelector('[data-focus="' + focus + '"]');
        if (el && el !== document.activeElement) el.focus({ preventScroll: true });
      }
    } catch (e) {
      // Keep what is on screen; the next notice or poll tries again.
    } finally {
      refreshing = false;
      if (pending) { pending = false; scheduleRefresh(); }
    }
  }

  let pollTimer = null;
  function startPolling() {
    setLive('polling');
    if (pollTimer) return;
    // The signed checkpoint is cheap to serve and changes with every new entry. Ask
    // for the log-signed one: the witnessed one may lag, or be missing (503).
    let last = '';
    pollTimer = setInterval(async () => {
      try {
        const r = await fetch('/v1/checkpoint?latest=1', { cache: 'no-store' });
        if (!r.ok) throw new Error(r.statusText);
        const now = await r.text();
        if (!last) { last = now; scheduleRefresh(); } // catch up with what came meanwhile
        if (liveState !== 'polling') setLive('polling');
        if (now !== last) { last = now; scheduleRefresh(); }
      } catch (e) {
        setLive('offline');
      }
    }, 1000);
  }

  function startLive() {
    if (!window.EventSource) { startPolling(); return; }
    let failures = 0;
    const es = new EventSource('/v1/subscribe');
    const onNotice = () => scheduleRefresh();
    es.onopen = () => {
      failures = 0;
      if (navigated) scheduleRefresh(); // a new stream does not replay what came before it
      setLive('live');
      if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    };
    es.onmessage = onNotice;
    // projections sends "notice" per changed view and "reset" when it cannot say
    // what was missed: either way, refetch what is on screen.
    es.addEventListener('notice', onNotice);
    es.addEventListener('reset', onNotice);
    es.onerror = () => {
      failures++;
      if (es.readyState === EventSource.CLOSED || failures > 3) {
        // No server-sent events here (or they keep failing): poll the state instead.
        es.close();
        startPolling();
        setTimeout(startLive, 30000);
      } else {
        setLive('connecting');
      }
    };
  }

  // ---- start ----

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (view.name === 'party' && view.detail) {
        const wrap = document.getElementById('chart-wrap');
        if (wrap && wrap.firstChild && wrap.firstChild.tagName.toLowerCase() === 'svg') {
          drawChart(wrap, chartModel(view.detail, chosenTarget(view.detail)), view.detail);
        }
      }
    }, 150);
  });

  document.addEventListener('DOMContentLoaded', () => {
    document.getElementById('origin').textContent = location.origin;
    document.getElementById('lang').addEventListener('click', () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      try { localStorage.setItem('climateledger.lang', lang); } catch (e) { /* ignore */ }
      applyLanguage();
      const focus = 'lang';
      if (view.name === 'network') renderNetwork(); else if (view.detail) renderParty();
      renderFoot();
      document.getElementById(focus).focus();
    });
    window.addEventListener('hashchange', () => navigate(true));
    applyLanguage();
    loadState();
    wit.load();
    navigate(false);
    startLive();
  });
})();
