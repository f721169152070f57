// climateledger dashboard: the readable page of one signed event (#/e/{id}, and
// #/e/{id}/verify to check it at once): the decoded payload as a table in the
// reader's language, who signed it (parties and key ids, co-signers), its place in its
// chain (seq, previous and next events, later revisions, restatements, retraction,
// attestations), its log index and checkpoint, who cosigned that checkpoint, downloads
// for people with tools, and the "Verify" button that checks it all in this browser
// (verify.js) and says what that proves and what it does not.
(function (CL) {
  'use strict';

  const { t, h, append, clear, main, api, store, view, name, mt, tonnes, pct, fmtTime, eventLink, partyLink, docLink, provMark } = CL;
  const V = () => CL.verify;

  CL.addText({
    en: {
      'ev.notfound': 'No event {id} in this ledger.',
      'ev.registrar': 'the network registrar',
      'ev.lead': 'Event {seq} of its chain · entry {index} of the public log · signed {time}',
      'ev.payload': 'What it says',
      'ev.payloadLead': 'The signed payload, decoded. The signature covers exactly these bytes (download them below).',
      'ev.type': 'Event', 'ev.party': 'Chain of', 'ev.time': 'Time', 'ev.id': 'Event id', 'ev.body': 'Content',
      'ev.signers': 'Who signed it',
      'ev.signersLead': '{n} signature|{n} signatures. Each names a key by its id (SHA-256 of the public key); the key belongs to the party shown, from the event that added it.',
      'ev.unknownKey': 'a key this page does not know',
      'ev.keyid': 'key', 'ev.keyAdded': 'added', 'ev.keyRevoked': 'revoked',
      'ev.cosigners': 'A partnership is signed by every partner: {who}.',
      'ev.chain': 'Its place in the chain and in the log',
      'ev.seq': 'Position', 'ev.seqOf': 'event {seq} of {party}\u2019s chain',
      'ev.prev': 'Previous event', 'ev.first': 'none: this is the first event of the chain',
      'ev.next': 'Next event', 'ev.none': 'none yet',
      'ev.hash': 'Payload hash', 'ev.index': 'Log index', 'ev.checkpoint': 'Checkpoint when recorded',
      'ev.witnesses': 'Witnesses', 'ev.witnessesUnknown': '…',
      'ev.noWitnesses': 'This log has no witnesses: its checkpoints are signed by the log alone.',
      'ev.cosignedBy': 'in the checkpoint of size {size} cosigned by {who} witnesses ({k} of {n})',
      'ev.later': 'Since then',
      'ev.retractedBy': 'retracted by its signer',
      'ev.currentRevision': 'This is the target\u2019s current revision.',
      'ev.restatedBy': 'restated by a later inventory',
      'ev.currentInventory': 'This is the current inventory for {year}.',
      'ev.downloads': 'For people with tools',
      'ev.dlEnvelope': 'Signed envelope (DSSE, the exact bytes in the log)',
      'ev.dlEvent': 'Event with its receipt (JSON)',
      'ev.dlProof': 'Inclusion proof (.tlog-proof)',
      'ev.dlWitnessed': 'Witnessed inclusion proof (.tlog-proof, with cosignatures)',
      'ev.dlLead': 'climateledger verify-proof checks a proof offline; climateledger audit replays the whole log (the command is at the foot of the page).',
      'ev.scope': 'scope {n}',
      'etype.network.genesis': 'Network created', 'etype.registrar.key_added': 'Registrar key added', 'etype.registrar.key_revoked': 'Registrar key revoked',
      'etype.party.enrolled': 'Enrolment', 'etype.key.added': 'Key added', 'etype.key.revoked': 'Key revoked',
      'etype.endorsement.recorded': 'Endorsement of the Declaration', 'etype.target.set': 'Target', 'etype.target.withdrawn': 'Target withdrawn',
      'etype.inventory.reported': 'Greenhouse gas inventory', 'etype.plan.published': 'Climate action plan', 'etype.partnership.recorded': 'Partnership',
      'etype.attestation.issued': 'Attestation', 'etype.event.retracted': 'Retraction',
      'field.origin': 'Log name', 'field.name': 'Name', 'field.registrar_keys': 'Registrar keys', 'field.log_key': 'Log key', 'field.key': 'Key',
      'field.reason': 'Reason', 'field.keyid': 'Key id', 'field.kind': 'Kind', 'field.names': 'Names', 'field.country': 'Country', 'field.level': 'Level',
      'field.parent': 'Part of', 'field.codes': 'Codes', 'field.iso3166_2': 'ISO 3166-2', 'field.unlocode': 'UN/LOCODE', 'field.keys': 'Keys',
      'field.endorsements': 'Endorsements', 'field.participations': 'Took part in (no endorsement recorded)', 'field.summit': 'Summit', 'field.date': 'Date', 'field.target_wording': 'Target wording',
      'field.target_id': 'Target id', 'field.type': 'Type', 'field.base_year': 'Base year', 'field.base_emissions_tco2e': 'Base-year emissions',
      'field.target_year': 'Target year', 'field.reduction_pct': 'Reduction', 'field.target_emissions_tco2e': 'Target emissions',
      'field.baseline_emissions_tco2e': 'Baseline emissions', 'field.peak_year': 'Peak year', 'field.qualifier': 'Qualifier',
      'field.intensity_unit': 'Intensity unit', 'field.base_intensity': 'Base intensity', 'field.milestones': 'Milestones', 'field.coverage': 'Coverage',
      'field.offsets': 'Offsets', 'field.legal_status': 'Legal status', 'field.year_set': 'Year set', 'field.source': 'Source', 'field.description': 'Description',
      'field.year': 'Year', 'field.framework': 'Framework', 'field.gwp': 'Global warming potentials', 'field.lines': 'Lines', 'field.total_tco2e': 'Total',
      'field.restates': 'Restates', 'field.boundary': 'Boundary', 'field.boundary_type': 'Boundary type', 'field.plan_id': 'Plan id', 'field.version': 'Version', 'field.title': 'Title',
      'field.adopted': 'Adopted', 'field.horizon_year': 'Horizon', 'field.document': 'Document', 'field.actions': 'Actions',
      'field.partnership_id': 'Partnership id', 'field.partners': 'Partners', 'field.instrument': 'Instrument', 'field.topics': 'Topics', 'field.signed': 'Signed',
      'field.subject': 'About the event', 'field.standard': 'Standard', 'field.assurance': 'Assurance', 'field.materiality_pct': 'Materiality',
      'field.opinion': 'Opinion', 'field.summary': 'Summary', 'field.event_id': 'Event', 'field.gpc_ref': 'GPC reference', 'field.scope': 'Scope',
      'field.gas': 'Gas', 'field.tco2e': 'tCO\u2082e', 'field.notation': 'Notation key',
      'v.button': 'Verify in your browser',
      'v.buttonLead': 'checks the signatures and the proof here, with your browser\u2019s own cryptography (WebCrypto).',
      'v.keys': 'Keys used to check',
      'v.logKey': 'Log key (compare it with the key the log\u2019s operator publishes)',
      'v.logKeyLead': 'Taken from the log\u2019s first (genesis) event. Paste another key to check against it instead.',
      'v.fingerprint': 'SHA-256 fingerprint of the key: {fp}',
      'v.witnessKeys': 'Witness keys (as this node lists them), {q} of {n} needed:',
      'v.running': 'Checking…',
      'v.okLog': 'Verified in your browser: these exact signed bytes are entry {index} of the public log, in the checkpoint of size {size} signed by the log key.',
      'v.okAwaiting': 'Verified in your browser: these exact signed bytes are entry {index} of the public log, in the checkpoint of size {size} signed by the log key. Not yet cosigned by the witnesses ({q} of {n} needed).',
      'v.okWitnessed': 'Verified in your browser: these exact signed bytes are entry {index} of the public log, in the checkpoint of size {size} signed by the log key and cosigned by {who} witnesses ({k} of {n}).',
      'v.failed': 'Not verified: the check \u201c{check}\u201d failed.',
      'v.step.signatures': 'signatures', 'v.step.leaf': 'leaf hash', 'v.step.inclusion': 'inclusion proof', 'v.step.checkpoint': 'checkpoint signature',
      'v.step.witnesses': 'witness cosignatures', 'v.step.setup': 'setting up the check', 'v.step.consistency': 'consistency',
      'v.d.signatures': '{n} signature verified (Ed25519 over the DSSE encoding), by {who}|{n} signatures verified (Ed25519 over the DSSE encoding), by {who}',
      'v.d.leaf': 'SHA-256(0x00 ‖ entry) = {leaf}',
      'v.d.inclusion': 'the path leads from entry {index} to the root {root} of the tree of size {size}',
      'v.d.checkpoint': 'signed by {key}',
      'v.d.witnesses': '{who}: {k} of {q} needed',
      'v.d.awaiting': 'not yet: no checkpoint that covers this event has the witnesses\u2019 quorum',
      'v.d.noWitnesses': 'this log has no witnesses',
      'v.fork': 'Fork warning.',
      'v.forkLead': 'This log showed this browser a different history before (a checkpoint of size {size}, seen {at}) that the new checkpoint does not extend. Someone may be showing different readers different logs: keep this page and report it.',
      'v.consistent': 'Consistent with the checkpoint this browser saw before ({at}): the log from size {from} to {to} only grew.',
      'v.same': 'The same checkpoint this browser saw before (size {size}, {at}).',
      'v.consUnknown': 'Could not compare with the checkpoint this browser saw before: {msg}',
      'v.firstSeen': 'The first checkpoint this browser has seen of this log (size {size}); it is kept, and later checks will show that the log only grows.',
      'v.proves': 'What this proves:',
      'v.provesText': 'the keys shown signed exactly this content, and it is in the public log at this index, in a checkpoint that the log key signed (and the witnesses cosigned, when shown): the operator cannot later change or remove it without that showing.',
      'v.failText': 'nothing: the bytes served do not match what they claim. The check named above failed.',
      'v.notProves': 'What it does not prove:',
      'v.notProvesText': 'that the figures are true or complete (they are what the signer reported: self-reported unless attested); that the keys shown are the right ones (compare the log key and witness keys with those published elsewhere); or that every rule of the ledger holds (which keys were valid when, retractions): climateledger audit replays the whole log. And this page\u2019s code comes from the same server: for a check that does not depend on it, run climateledger verify-proof on the downloaded proof.'
    },
    zh: {
      'ev.notfound': '账本中没有事件 {id}。',
      'ev.registrar': '网络登记机构',
      'ev.lead': '其链上第 {seq} 个事件 · 公开日志第 {index} 条记录 · 签名于 {time}',
      'ev.payload': '事件内容',
      'ev.payloadLead': '已解码的签名内容。签名恰好覆盖这些字节（可在下方下载）。',
      'ev.type': '事件', 'ev.party': '所属链', 'ev.time': '时间', 'ev.id': '事件编号', 'ev.body': '内容',
      'ev.signers': '签名方',
      'ev.signersLead': '{n} 个签名。每个签名以密钥编号（公钥的 SHA-256）标明密钥；该密钥属于所示参与方，由添加它的事件登记。',
      'ev.unknownKey': '本页不认识的密钥',
      'ev.keyid': '密钥', 'ev.keyAdded': '添加于', 'ev.keyRevoked': '撤销于',
      'ev.cosigners': '合作关系由每个合作方共同签名：{who}。',
      'ev.chain': '在链中和日志中的位置',
      'ev.seq': '位置', 'ev.seqOf': '{party}链上的第 {seq} 个事件',
      'ev.prev': '上一个事件', 'ev.first': '无：这是该链的第一个事件',
      'ev.next': '下一个事件', 'ev.none': '暂无',
      'ev.hash': '内容哈希', 'ev.index': '日志索引', 'ev.checkpoint': '记录时的检查点',
      'ev.witnesses': '见证方', 'ev.witnessesUnknown': '…',
      'ev.noWitnesses': '该日志没有见证方：检查点仅由日志签名。',
      'ev.cosignedBy': '包含在大小为 {size} 的检查点中，已由{who}见证方共同签署（{k}/{n}）',
      'ev.later': '此后',
      'ev.retractedBy': '已被签名方撤销',
      'ev.currentRevision': '这是该目标的现行版本。',
      'ev.restatedBy': '已被后来的清单重新计算',
      'ev.currentInventory': '这是 {year} 年的现行清单。',
      'ev.downloads': '供使用工具的人下载',
      'ev.dlEnvelope': '签名信封（DSSE，日志中的原始字节）',
      'ev.dlEvent': '事件及其收据（JSON）',
      'ev.dlProof': '包含证明（.tlog-proof）',
      'ev.dlWitnessed': '见证包含证明（.tlog-proof，含共同签名）',
      'ev.dlLead': 'climateledger verify-proof 可离线核验证明；climateledger audit 可重放整个日志（命令见页面底部）。',
      'ev.scope': '范围 {n}',
      'etype.network.genesis': '网络创建', 'etype.registrar.key_added': '登记机构添加密钥', 'etype.registrar.key_revoked': '登记机构撤销密钥',
      'etype.party.enrolled': '登记', 'etype.key.added': '添加密钥', 'etype.key.revoked': '撤销密钥',
      'etype.endorsement.recorded': '签署宣言', 'etype.target.set': '减排目标', 'etype.target.withdrawn': '撤回目标',
      'etype.inventory.reported': '温室气体清单', 'etype.plan.published': '气候行动计划', 'etype.partnership.recorded': '合作伙伴关系',
      'etype.attestation.issued': '核查声明', 'etype.event.retracted': '撤销',
      'field.origin': '日志名称', 'field.name': '名称', 'field.registrar_keys': '登记机构密钥', 'field.log_key': '日志密钥', 'field.key': '密钥',
      'field.reason': '原因', 'field.keyid': '密钥编号', 'field.kind': '类型', 'field.names': '名称', 'field.country': '国家', 'field.level': '级别',
      'field.parent': '隶属', 'field.codes': '代码', 'field.iso3166_2': 'ISO 3166-2', 'field.unlocode': 'UN/LOCODE', 'field.keys': '密钥',
      'field.endorsements': '签署', 'field.participations': '参会（无签署记录）', 'field.summit': '峰会', 'field.date': '日期', 'field.target_wording': '目标表述',
      'field.target_id': '目标编号', 'field.type': '类型', 'field.base_year': '基准年', 'field.base_emissions_tco2e': '基准年排放',
      'field.target_year': '目标年', 'field.reduction_pct': '减排幅度', 'field.target_emissions_tco2e': '目标排放量',
      'field.baseline_emissions_tco2e': '基线排放', 'field.peak_year': '达峰年', 'field.qualifier': '限定',
      'field.intensity_unit': '强度单位', 'field.base_intensity': '基准强度', 'field.milestones': '阶段目标', 'field.coverage': '覆盖范围',
      'field.offsets': '抵消', 'field.legal_status': '法律地位', 'field.year_set': '设定年', 'field.source': '来源', 'field.description': '说明',
      'field.year': '年份', 'field.framework': '框架', 'field.gwp': '全球增温潜势', 'field.lines': '明细', 'field.total_tco2e': '总量',
      'field.restates': '重新计算', 'field.boundary': '边界', 'field.boundary_type': '边界类型', 'field.plan_id': '计划编号', 'field.version': '版本', 'field.title': '标题',
      'field.adopted': '通过日期', 'field.horizon_year': '规划期至', 'field.document': '文件', 'field.actions': '行动',
      'field.partnership_id': '合作编号', 'field.partners': '合作方', 'field.instrument': '形式', 'field.topics': '领域', 'field.signed': '签署日期',
      'field.subject': '对象事件', 'field.standard': '标准', 'field.assurance': '保证程度', 'field.materiality_pct': '重要性水平',
      'field.opinion': '意见', 'field.summary': '摘要', 'field.event_id': '事件', 'field.gpc_ref': 'GPC 编号', 'field.scope': '范围',
      'field.gas': '气体', 'field.tco2e': '吨CO\u2082e', 'field.notation': '注释代码',
      'v.button': '在浏览器中验证',
      'v.buttonLead': '在此用您浏览器自带的密码学功能（WebCrypto）核验签名和证明。',
      'v.keys': '用于核验的密钥',
      'v.logKey': '日志密钥（请与日志运营方公布的密钥比对）',
      'v.logKeyLead': '取自日志的第一个（创世）事件。粘贴另一个密钥即可改用它来核验。',
      'v.fingerprint': '密钥的 SHA-256 指纹：{fp}',
      'v.witnessKeys': '见证方密钥（本节点所列），需要 {q}/{n}：',
      'v.running': '正在核验…',
      'v.okLog': '已验证（在您的浏览器中）：这些签名字节正是公开日志的第 {index} 条记录，包含在由日志密钥签名、大小为 {size} 的检查点中。',
      'v.okAwaiting': '已验证（在您的浏览器中）：这些签名字节正是公开日志的第 {index} 条记录，包含在由日志密钥签名、大小为 {size} 的检查点中。尚未获得见证方共同签署（需要 {q}/{n}）。',
      'v.okWitnessed': '已验证（在您的浏览器中）：这些签名字节正是公开日志的第 {index} 条记录，包含在由日志密钥签名、并由{who}见证方共同签署（{k}/{n}）的大小为 {size} 的检查点中。',
      'v.failed': '未通过验证：\u201c{check}\u201d检查失败。',
      'v.step.signatures': '签名', 'v.step.leaf': '叶哈希', 'v.step.inclusion': '包含证明', 'v.step.checkpoint': '检查点签名',
      'v.step.witnesses': '见证方共同签名', 'v.step.setup': '准备核验', 'v.step.consistency': '一致性',
      'v.d.signatures': '{n} 个签名已核验（基于 DSSE 编码的 Ed25519），签名方：{who}',
      'v.d.leaf': 'SHA-256(0x00 ‖ 记录) = {leaf}',
      'v.d.inclusion': '路径从第 {index} 条记录通向大小为 {size} 的树的根 {root}',
      'v.d.checkpoint': '签名密钥 {key}',
      'v.d.witnesses': '{who}：{k}/{q}',
      'v.d.awaiting': '尚未：没有覆盖此事件且达到见证方法定数量的检查点',
      'v.d.noWitnesses': '该日志没有见证方',
      'v.fork': '分叉警告。',
      'v.forkLead': '该日志以前向本浏览器展示过不同的历史（{at} 看到的大小为 {size} 的检查点），新的检查点并不是它的延续。可能有人向不同的读者展示不同的日志：请保留此页面并报告。',
      'v.consistent': '与本浏览器以前看到的检查点（{at}）一致：日志从大小 {from} 到 {to} 只是增长了。',
      'v.same': '与本浏览器以前看到的检查点相同（大小 {size}，{at}）。',
      'v.consUnknown': '无法与本浏览器以前看到的检查点比较：{msg}',
      'v.firstSeen': '这是本浏览器看到的该日志的第一个检查点（大小 {size}）；它会被保存，以后的核验将显示日志只会增长。',
      'v.proves': '这证明了：',
      'v.provesText': '所示密钥签署了恰好这些内容，并且它在公开日志的这个位置，包含在由日志密钥签名（如显示，还经见证方共同签署）的检查点中：运营方以后无法在不留痕迹的情况下修改或删除它。',
      'v.failText': '什么也没有证明：服务器提供的字节与其声称的不符。上面指出的检查失败了。',
      'v.notProves': '这不能证明：',
      'v.notProvesText': '数据真实或完整（它们是签名方报告的内容：除非经过核查，否则为自行报告）；所示密钥就是正确的密钥（请将日志密钥和见证方密钥与其他地方公布的密钥比对）；或账本的每条规则都得到遵守（哪些密钥在何时有效、撤销等）：climateledger audit 会重放整个日志。此外，本页代码来自同一服务器：若要不依赖它进行核验，请对下载的证明运行 climateledger verify-proof。'
    }
  });

  // ---- reading ----

  // loadLogKey reads the log key from the genesis event (the registrar chain's first
  // event names it), once.
  async function loadLogKey() {
    if (store.logKey) return store.logKey;
    const net = await api.get('/v1/parties/network');
    const gid = net.party && net.party.enrolled && net.party.enrolled.event_id;
    const g = await api.get('/v1/events/' + gid);
    store.logKey = { key: g.payload.body.log_key, genesis: gid };
    return store.logKey;
  }

  // loadEvent reads everything the page shows about one event.
  async function loadEvent(id) {
    const ev = await api.get('/v1/events/' + encodeURIComponent(id));
    const pl = ev.payload;
    const b = pl.body || {};
    // The documents of every party whose keys may have signed: the event's party,
    // partners of a partnership, and the registrar ("network") for enrolments.
    const ids = [pl.party];
    if (pl.type === 'party.enrolled' && pl.party !== 'network') ids.push('network');
    if (pl.type === 'partnership.recorded') (b.partners || []).forEach((p) => { if (!ids.includes(p)) ids.push(p); });
    const docs = {};
    await Promise.all(ids.map(async (p) => { docs[p] = await api.get('/v1/parties/' + p); }));
    const seq = pl.seq;
    const page = await api.get('/v1/parties/' + pl.party + '/events?after=' + Math.max(0, seq - 2) + '&limit=3');
    const keys = new Map();
    for (const p of ids) for (const k of docs[p].keys || []) keys.set(k.keyid, Object.assign({ party: p }, k));
    const required = pl.type === 'partnership.recorded' ? (b.partners || []).slice()
      : pl.type === 'party.enrolled' && pl.party !== 'network' ? [pl.party, 'network'] : [pl.party];
    return { id: id, ev: ev, payload: pl, body: b, docs: docs, doc: docs[pl.party], page: page.events || [], keys: keys, required: required };
  }

  // ---- drawing ----

  const short = (hex) => String(hex).slice(0, 16) + '…';
  const partyName = (id) => {
    const p = store.byID.get(id);
    if (p) return name(p);
    if (id === 'network') return t('ev.registrar');
    return id;
  };
  const plink = (id) => (id === 'network' ? h('span', null, t('ev.registrar')) : partyLink(id));

  // fmtValue formats a body member by its name, in the reader's language.
  function fmtValue(k, v, e) {
    if (v === null || v === undefined) return '';
    if (/_tco2e(_per_year)?$/.test(k) || k === 'tco2e') return h('span', { title: tonnes(v) }, k.endsWith('_per_year') ? tonnes(v) : mt(v));
    if (/_pct$/.test(k)) return pct(v);
    const enumKey = { type: e && e.type === 'target.set' ? 'type.' : null, legal_status: 'legal.', summit: 'summit.', country: 'country.', level: 'level.',
      opinion: 'opinion.', assurance: 'assurance.', instrument: 'instrument.', sector: 'sector.', kind: 'kind.', qualifier: 'qualword.', boundary_type: 'boundary.' }[k];
    if (enumKey && typeof v === 'string' && CL.has(enumKey + v)) return t(enumKey + v);
    if ((k === 'event_id' || k === 'restates') && typeof v === 'string') return eventLink(v, v);
    if (k === 'partners' && Array.isArray(v)) return v.map((p, i) => [i ? ', ' : '', plink(p)]);
    // A document reference: the link, whether it is pinned, and the passage quoted.
    if ((k === 'source' || k === 'document') && v.url) return h('span', { class: 'docref' }, docLink(v, v.title || v.url), v.quote ? h('blockquote', { class: 'quote', cite: v.url }, v.quote) : null);
    if (k === 'names' && typeof v === 'object') return Object.keys(v).map((l, i) => [i ? ' · ' : '', h('span', { lang: l }, v[l]), ' (' + l + ')']);
    if ((k === 'keys' || k === 'registrar_keys') && Array.isArray(v)) return h('ul', { class: 'plain' }, v.map((x) => h('li', null, h('code', { title: x.keyid }, short(x.keyid)))));
    if (k === 'key' && v.keyid) return h('code', { title: v.keyid }, short(v.keyid));
    if (k === 'keyid') return h('code', { title: v }, short(v));
    if (k === 'subject' && v.event_id) return h('span', null, eventLink(v.event_id, v.event_id), h('span', { class: 'small muted' }, ' · hash ' + short(v.hash)));
    if (k === 'milestones' && Array.isArray(v)) return v.map((m, i) => [i ? ', ' : '', m.year + ': ' + mt(m.target_emissions_tco2e)]);
    if (k === 'coverage') return [].concat(v.gases || [], (v.sectors || []).map((x) => t('sector.' + x)), (v.scopes || []).map((x) => t('ev.scope', { n: x }))).join(', ');
    if (k === 'offsets') return v.allowed ? t('f.offsets.yes') + (v.max_pct !== undefined ? ' ≤ ' + pct(v.max_pct) : '') : t('f.offsets.no');
    if ((k === 'endorsements' || k === 'participations') && Array.isArray(v)) {
      return h('ul', { class: 'plain summits' }, v.map((x) => h('li', { 'data-summit': x.summit }, t('summit.' + x.summit) + ' (' + x.date + ')', x.source ? [' \u00b7 ', fmtValue('source', x.source, e)] : null)));
    }
    if (k === 'lines' && Array.isArray(v)) return linesTable(v);
    if (k === 'actions' && Array.isArray(v)) return actionsTable(v);
    if (Array.isArray(v)) return v.every((x) => typeof x !== 'object') ? v.join(', ') : v.map((x) => h('div', null, fieldList(x, e)));
    if (typeof v === 'object') return fieldList(v, e);
    if (typeof v === 'boolean') return v ? t('mark.yes') : t('mark.no');
    return String(v);
  }
  const label = (k) => (CL.has('field.' + k) ? t('field.' + k) : k.replace(/_/g, ' '));
  function fieldList(o, e) {
    return h('dl', { class: 'figs' }, Object.keys(o).map((k) => [h('dt', null, label(k)), h('dd', { 'data-field': k }, fmtValue(k, o[k], e))]));
  }
  function linesTable(lines) {
    return h('div', { class: 'scroll' }, h('table', { class: 'lines' },
      h('thead', null, h('tr', null, ['field.gpc_ref', 'field.scope', 'field.gas', 'field.tco2e', 'field.notation'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, lines.map((l) => h('tr', null, h('td', null, l.gpc_ref), h('td', null, String(l.scope)), h('td', null, l.gas),
        h('td', { class: 'num' }, l.tco2e !== undefined ? tonnes(l.tco2e) : ''), h('td', null, l.notation ? l.notation + (l.explanation ? ': ' + l.explanation : '') : ''))))));
  }
  function actionsTable(actions) {
    return h('div', { class: 'scroll' }, h('table', null,
      h('thead', null, h('tr', null, ['action.title', 'action.sector', 'action.kind', 'action.status', 'action.reduction'].map((k) => h('th', { scope: 'col' }, t(k))))),
      h('tbody', null, actions.map((a) => h('tr', null, h('td', null, a.title), h('td', null, t('sector.' + a.sector)), h('td', null, a.kind), h('td', null, String(a.status).replace('_', ' ')),
        h('td', null, a.expected_reduction_tco2e_per_year !== undefined ? tonnes(a.expected_reduction_tco2e_per_year) : '–'))))));
  }

  // laterEvents lists what came after the event about the same thing: target
  // revisions, restatements, plan versions, the retraction.
  function laterEvents(x) {
    const out = [];
    const d = x.doc || {};
    const pl = x.payload;
    const row = x.page.find((r) => r.id === x.id);
    if (row && row.retracted) out.push(h('li', { 'data-later': 'retracted' }, h('span', { class: 'tag bad' }, t('retracted')), ' ', eventLink(row.retracted.event_id, t('ev.retractedBy')), ': ', row.retracted.reason));
    if (pl.type === 'target.set' || pl.type === 'target.withdrawn') {
      const tv = (d.targets || []).find((v) => v.target_id === x.body.target_id);
      const revs = tv ? tv.revisions || [] : [];
      const mine = revs.find((r) => r.event.event_id === x.id);
      revs.filter((r) => mine && r.revision > mine.revision).forEach((r) => out.push(h('li', { 'data-later': 'revision' },
        eventLink(r.event.event_id, t('rev', { n: r.revision }) + ' · ' + t('rev.' + r.action)), ' · ' + fmtTime(r.event.time))));
      if (tv && tv.current && tv.current.event.event_id === x.id) out.push(h('li', { 'data-later': 'current' }, t('ev.currentRevision')));
    }
    if (pl.type === 'inventory.reported') {
      for (const y of d.inventories || []) for (const r of y.reports || []) {
        if (r.event.event_id !== x.id) continue;
        (r.restated_by || []).forEach((ref) => out.push(h('li', { 'data-later': 'restated' }, eventLink(ref.event_id, t('ev.restatedBy')))));
        out.push(h('li', { 'data-later': r.current ? 'current' : 'superseded' }, r.current ? t('ev.currentInventory', { year: r.year }) : t('inv.superseded')));
      }
    }
    if (pl.type === 'plan.published') {
      const pv = (d.plans || []).find((v) => v.plan_id === x.body.plan_id);
      (pv ? pv.versions || [] : []).filter((v) => v.version > x.body.version).forEach((v) => out.push(h('li', { 'data-later': 'version' }, eventLink(v.event.event_id, t('plan.version', { v: v.version })))));
    }
    return out;
  }

  function renderEvent(x) {
    const m = main();
    clear(m);
    const pl = x.payload;
    const rc = x.ev.receipt || {};
    const atts = CL.liveAttestations(((x.doc || {}).attestations || {}).received, x.id);
    append(m, h('p', { class: 'crumbs' }, pl.party === 'network' ? h('a', { href: '#/' }, '← ' + t('back')) : h('a', { href: '#/p/' + pl.party }, '← ' + partyName(pl.party))));
    const title = t('etype.' + pl.type) + ' · ' + partyName(pl.party);
    const head = h('section', { class: 'panel', 'aria-labelledby': 'event-h' },
      h('h1', { id: 'event-h', tabindex: '-1' }, title),
      h('p', { class: 'small muted' }, t('ev.lead', { seq: pl.seq, index: rc.index, time: fmtTime(pl.time) })),
      pl.type === 'inventory.reported' ? h('p', null, provMark([x.id], ((x.doc || {}).attestations || {}).received)) : null,
      verifyBox(x));
    append(m, head);

    // The signed payload, decoded.
    append(m, CL.section('payload', t('ev.payload'),
      [h('p', { class: 'small muted' }, t('ev.payloadLead')),
        h('dl', { class: 'figs payload' },
          h('dt', null, t('ev.type')), h('dd', { 'data-field': 'type' }, t('etype.' + pl.type), ' ', h('code', null, pl.type)),
          h('dt', null, t('ev.party')), h('dd', { 'data-field': 'party' }, plink(pl.party), ' ', h('code', null, pl.party)),
          h('dt', null, t('ev.time')), h('dd', { 'data-field': 'time' }, fmtTime(pl.time), ' ', h('code', null, pl.time)),
          h('dt', null, t('ev.id')), h('dd', { 'data-field': 'id' }, h('code', null, pl.id))),
        h('h3', null, t('ev.body')),
        fieldList(pl.body || {}, pl)]));

    // Who signed.
    const env = x.ev.entry || {};
    append(m, CL.section('signers', t('ev.signers'),
      [h('p', { class: 'small muted' }, t('ev.signersLead', { n: (env.signatures || []).length })),
        h('ul', { class: 'signers' }, (env.signatures || []).map((sg) => {
          const k = x.keys.get(sg.keyid);
          return h('li', { 'data-keyid': sg.keyid, 'data-party': k ? k.party : '' },
            h('span', { class: 'sigmark', 'data-sig': sg.keyid }),
            k ? h('b', null, plink(k.party)) : h('b', null, t('ev.unknownKey')), ' · ',
            h('span', null, t('ev.keyid') + ' '), h('code', { title: sg.keyid }, short(sg.keyid)),
            k ? h('span', { class: 'small muted' }, ' · ', t('ev.keyAdded'), ' ', eventLink(k.added.event_id, fmtTime(k.added.time)),
              k.revoked ? [' · ', t('ev.keyRevoked'), ' ', eventLink(k.revoked.event_id, fmtTime(k.revoked.time))] : null) : null);
        })),
        pl.type === 'partnership.recorded' ? h('p', { class: 'small' }, t('ev.cosigners', { who: CL.list((x.body.partners || []).map(partyName)) })) : null]));

    // Its place in the chain and the log.
    const prev = x.page.find((r) => r.seq === pl.seq - 1);
    const next = x.page.find((r) => r.seq === pl.seq + 1);
    const later = laterEvents(x);
    append(m, CL.section('chain', t('ev.chain'),
      [h('dl', { class: 'figs' },
        h('dt', null, t('ev.seq')), h('dd', { 'data-field': 'seq' }, t('ev.seqOf', { seq: pl.seq, party: partyName(pl.party) })),
        h('dt', null, t('ev.prev')), h('dd', { 'data-field': 'prev' }, prev ? [eventLink(prev.id, t('etype.' + prev.type) + ' · #' + prev.seq), ' ', h('code', { title: pl.prev }, short(pl.prev))] : t('ev.first')),
        h('dt', null, t('ev.next')), h('dd', { 'data-field': 'next' }, next ? eventLink(next.id, t('etype.' + next.type) + ' · #' + next.seq) : t('ev.none')),
        h('dt', null, t('ev.hash')), h('dd', null, h('code', { class: 'wrap' }, rc.hash || '')),
        h('dt', null, t('ev.index')), h('dd', { 'data-field': 'index' }, String(rc.index)),
        h('dt', null, t('ev.checkpoint')), h('dd', { 'data-field': 'checkpoint' }, rc.checkpoint ? h('pre', { class: 'note' }, rc.checkpoint) : ''),
        h('dt', null, t('ev.witnesses')), h('dd', { id: 'ev-witnesses', 'data-field': 'witnesses' }, t('ev.witnessesUnknown'))),
        later.length ? [h('h3', null, t('ev.later')), h('ul', { class: 'later' }, later)] : null,
        atts.length || pl.type === 'inventory.reported' ? [h('h3', null, t('sec.attestations')),
          atts.length ? h('ul', null, atts.map((a) => h('li', { 'data-opinion': a.opinion }, eventLink(a.event.event_id, CL.attestationText(a))))) : h('p', { class: 'empty' }, t('prov.none'))] : null]));

    // For people with tools.
    append(m, CL.section('downloads', t('ev.downloads'),
      [h('ul', { class: 'links dl' },
        h('li', null, h('a', { href: '/v1/log/entries?start=' + rc.index + '&end=' + (rc.index + 1), download: x.id + '.dsse.jsonl', 'data-dl': 'envelope' }, t('ev.dlEnvelope'))),
        h('li', null, h('a', { href: '/v1/events/' + x.id, download: x.id + '.json', 'data-dl': 'event' }, t('ev.dlEvent'))),
        h('li', null, h('a', { href: '/v1/events/' + x.id + '/proof', download: x.id + '.tlog-proof', 'data-dl': 'proof' }, t('ev.dlProof'))),
        h('li', { id: 'dl-witnessed', hidden: true }, h('a', { href: '/v1/events/' + x.id + '/proof?witnessed=1', download: x.id + '.witnessed.tlog-proof', 'data-dl': 'witnessed' }, t('ev.dlWitnessed')))),
      h('p', { class: 'small muted' }, t('ev.dlLead'))]));
    fillWitnesses(x);
  }

  // fillWitnesses says who cosigned a checkpoint covering the event, from the node's
  // GET /v1/witnesses (checked by the Verify button, not here).
  async function fillWitnesses(x) {
    const el = document.getElementById('ev-witnesses');
    let info;
    try { info = await api.get('/v1/witnesses'); } catch (e) { info = e.status === 404 ? null : undefined; }
    if (!el || !el.isConnected || info === undefined) return;
    x.witnessInfo = info;
    clear(el);
    if (info === null) { append(el, t('ev.noWitnesses')); return; }
    const w = info.witnessed;
    if (w && w.size > x.ev.receipt.index) {
      document.getElementById('dl-witnessed').hidden = false;
      append(el, t('ev.cosignedBy', { size: w.size, who: CL.list((w.cosignatures || []).map((c) => witnessHolder(c.witness))), k: (w.cosignatures || []).length, n: (info.witnesses || []).length }));
    } else {
      append(el, t('wit.waitTitle'));
    }
  }
  function witnessHolder(n) {
    const p = store.byID.get(String(n).split('.')[0]);
    return p ? name(p) : n;
  }

  // ---- verification ----

  function verifyBox(x) {
    const keyInput = h('input', { id: 'log-key', type: 'text', spellcheck: 'false', autocomplete: 'off', class: 'key', 'aria-describedby': 'log-key-fp' });
    const box = h('div', { class: 'verify-box', id: 'verify-box' },
      h('p', null, h('button', { type: 'button', class: 'btn primary', id: 'verify-btn', onclick: () => runVerify(x) }, t('v.button')), ' ',
        h('span', { class: 'small muted' }, t('v.buttonLead'))),
      h('div', { id: 'verify-result', role: 'status', 'aria-live': 'polite' }),
      h('details', { class: 'keys', id: 'verify-keys' }, h('summary', null, t('v.keys')),
        h('label', { for: 'log-key' }, t('v.logKey')), keyInput,
        h('p', { class: 'small muted', id: 'log-key-fp' }),
        h('p', { class: 'small muted' }, t('v.logKeyLead')),
        h('div', { id: 'witness-keys', class: 'small' })));
    loadLogKey().then(async (lk) => {
      if (!keyInput.value) keyInput.value = localStorage.getItem('climateledger.logKeyOverride') || lk.key;
      showFingerprint(keyInput.value);
    }).catch(() => {});
    keyInput.addEventListener('change', () => {
      try {
        if (keyInput.value.trim() && store.logKey && keyInput.value.trim() !== store.logKey.key) localStorage.setItem('climateledger.logKeyOverride', keyInput.value.trim());
        else localStorage.removeItem('climateledger.logKeyOverride');
      } catch (e) { /* storage may be unavailable */ }
      showFingerprint(keyInput.value);
    });
    return box;
  }
  async function showFingerprint(k) {
    const el = document.getElementById('log-key-fp');
    if (!el) return;
    try {
      const vk = await V().parseVKey(k, 0x01, 'checkpoint');
      el.textContent = t('v.fingerprint', { fp: await V().fingerprint(vk.pub) });
    } catch (e) {
      el.textContent = e.message;
    }
  }

  const STEPS = ['signatures', 'leaf', 'inclusion', 'checkpoint', 'witnesses'];

  async function runVerify(x) {
    const out = document.getElementById('verify-result');
    const btn = document.getElementById('verify-btn');
    if (!out) return;
    btn.disabled = true;
    clear(out);
    out.removeAttribute('data-ok');
    append(out, h('p', { class: 'muted' }, t('v.running')));
    let res, cons, policy = null, witnessed = false;
    try {
      const lk = await loadLogKey();
      const keyInput = document.getElementById('log-key');
      const logKey = (keyInput && keyInput.value.trim()) || lk.key;
      let info = x.witnessInfo;
      if (info === undefined) { try { info = await api.get('/v1/witnesses'); } catch (e) { info = e.status === 404 ? null : undefined; } }
      if (info && info.witnesses && info.witnesses.length) {
        policy = { witnesses: info.witnesses.map((w) => w.verifier_key), quorum: info.quorum };
        witnessed = !!(info.witnessed && info.witnessed.size > x.ev.receipt.index);
      }
      const wk = document.getElementById('witness-keys');
      if (wk) { clear(wk); if (policy) append(wk, t('v.witnessKeys', { q: policy.quorum, n: policy.witnesses.length }), h('ul', null, policy.witnesses.map((k) => h('li', null, h('code', null, k))))); }
      const proof = await api.bytes('/v1/events/' + x.id + '/proof' + (witnessed ? '?witnessed=1' : ''));
      res = await V().verifyEvent({
        proof: proof, event: { id: x.id, party: x.payload.party, seq: x.payload.seq, hash: x.ev.receipt.hash },
        keys: x.keys, required: x.required, logKey: logKey,
        witnesses: witnessed ? policy.witnesses : null, quorum: witnessed ? policy.quorum : 0
      });
      if (res.ok) cons = await consistency(res.checkpoint, logKey);
    } catch (e) {
      res = { ok: false, steps: [{ step: 'setup', ok: false, detail: { message: e.message } }], error: { step: 'setup', message: e.message }, signers: [] };
    }
    btn.disabled = false;
    if (!out.isConnected) return;
    showResult(out, x, res, cons, policy, witnessed);
  }

  // consistency compares the verified checkpoint with the one this browser saw
  // before (localStorage), and keeps the larger one.
  async function consistency(cp, logKey) {
    const KEY = 'climateledger.checkpoint';
    let seen = null;
    try { seen = JSON.parse(localStorage.getItem(KEY) || 'null'); } catch (e) { seen = null; }
    if (seen && seen.logKey !== logKey) seen = null;
    const r = await V().checkConsistency(cp, seen, async (from, to) => {
      const text = await api.text('/v1/proofs/consistency?from=' + from + '&to=' + to);
      return text.split('\n').filter(Boolean).map((l) => V().b64(l));
    });
    r.seen = seen;
    if (r.status === 'first' || r.status === 'consistent' || r.status === 'same') {
      if (!seen || cp.size >= seen.size) {
        try { localStorage.setItem(KEY, JSON.stringify({ origin: cp.origin, size: cp.size, root: cp.rootB64, logKey: logKey, at: new Date().toISOString() })); } catch (e) { /* ignore */ }
      }
    }
    return r;
  }

  function showResult(out, x, res, cons, policy, witnessed) {
    clear(out);
    const index = x.ev.receipt.index;
    out.setAttribute('data-ok', res.ok ? 'true' : 'false');
    if (res.ok) {
      const who = CL.list(res.cosigned.map((c) => witnessHolder(c.key.name)));
      const vars = { index: index, size: res.checkpoint.size, who: who, k: res.cosigned.length, n: policy ? policy.witnesses.length : 0, q: policy ? policy.quorum : 0 };
      const line = witnessed ? t('v.okWitnessed', vars) : policy ? t('v.okAwaiting', vars) : t('v.okLog', vars);
      append(out, h('p', { class: 'verdict ok', id: 'verdict' }, h('span', { class: 'sym', 'aria-hidden': 'true' }, '✓ '), line));
    } else {
      const e = res.error || {};
      append(out, h('p', { class: 'verdict bad', id: 'verdict', 'data-failed': e.step }, h('span', { class: 'sym', 'aria-hidden': 'true' }, '✗ '),
        t('v.failed', { check: t('v.step.' + e.step) }), ' ', h('span', { class: 'detail' }, e.message || '')));
    }
    // Each check, in order.
    const done = new Map(res.steps.map((st) => [st.step, st]));
    append(out, h('ol', { class: 'checks' }, STEPS.concat(done.has('setup') ? ['setup'] : []).map((st) => {
      const r = done.get(st);
      const skipped = st === 'witnesses' && !r;
      const state = r ? (r.ok ? 'ok' : 'bad') : skipped && res.ok ? 'skip' : 'not-run';
      let detail = '';
      if (r && r.ok && st === 'signatures') detail = t('v.d.signatures', { who: CL.list(res.signers.filter((s) => s.ok).map((s) => partyName(s.party))), n: res.signers.filter((s) => s.ok).length });
      if (r && r.ok && st === 'leaf') detail = t('v.d.leaf', { leaf: res.leaf });
      if (r && r.ok && st === 'inclusion') detail = t('v.d.inclusion', { index: index, size: r.detail.size, root: r.detail.root });
      if (r && r.ok && st === 'checkpoint') detail = t('v.d.checkpoint', { key: r.detail.key });
      if (r && r.ok && st === 'witnesses') detail = t('v.d.witnesses', { who: CL.list(res.cosigned.map((c) => witnessHolder(c.key.name) + ' (' + (c.time ? c.time.toISOString().replace('.000Z', 'Z') : '?') + ')')), k: res.cosigned.length, q: policy.quorum });
      if (skipped) detail = policy ? t('v.d.awaiting') : t('v.d.noWitnesses');
      if (r && !r.ok) detail = r.detail.message;
      return h('li', { 'data-check': st, 'data-state': state }, h('span', { class: 'sym', 'aria-hidden': 'true' }, state === 'ok' ? '✓' : state === 'bad' ? '✗' : '–'), ' ',
        h('b', null, t('v.step.' + st)), detail ? [': ', detail] : null);
    })));
    // Each signer's mark.
    document.querySelectorAll('.sigmark').forEach((el) => {
      const sg = res.signers.find((s) => s.keyid === el.getAttribute('data-sig'));
      el.textContent = !sg ? '' : sg.ok ? '✓ ' : sg.ok === false ? '✗ ' : '? ';
      el.setAttribute('data-state', !sg ? '' : sg.ok ? 'ok' : sg.ok === false ? 'bad' : 'unknown');
    });
    if (res.ok && cons) {
      const c = cons;
      const seenAt = c.seen && c.seen.at ? fmtTime(c.seen.at) : '';
      if (c.status === 'fork') {
        append(out, h('div', { class: 'fork', id: 'fork-warning', role: 'alert' }, h('b', null, t('v.fork')), ' ', t('v.forkLead', { size: c.seen.size, at: seenAt }), ' ', h('span', { class: 'detail' }, c.detail || '')));
      } else {
        append(out, h('p', { class: 'small', id: 'consistency', 'data-consistency': c.status },
          c.status === 'consistent' ? t('v.consistent', { from: c.from, to: c.to, at: seenAt }) : c.status === 'same' ? t('v.same', { size: res.checkpoint.size, at: seenAt }) : c.status === 'unknown' ? t('v.consUnknown', { msg: c.detail }) : t('v.firstSeen', { size: res.checkpoint.size })));
      }
    }
    append(out, h('div', { class: 'proves' },
      h('p', null, h('b', null, t('v.proves')), ' ', t(res.ok ? 'v.provesText' : 'v.failText')),
      h('p', null, h('b', null, t('v.notProves')), ' ', t('v.notProvesText'))));
  }

  // renderEventView reads and draws the page of the event id, and returns what it
  // read (for runVerify).
  async function renderEventView(id) {
    const x = await loadEvent(id);
    view.detail = x;
    renderEvent(x);
    return x;
  }

  Object.assign(CL, { renderEventView: renderEventView, runVerify: runVerify, loadLogKey: loadLogKey });
})(window.CL);
