// climateledger dashboard: the network view (#/): tiles (the commitments, and each
// jurisdiction's standing with the Declaration: 2015 signatories, 2016 endorsers,
// participants whose endorsement is unconfirmed, neither), filters and the table of
// jurisdictions with their standing, their four commitments and the target that
// matters now (in the reader's calendar), each figure linked to its signed event and
// marked "self-reported" or "attested by …"; and a comparison: emissions over time per
// jurisdiction, the commitments counted by country and standing, every table
// downloadable as CSV and JSON with the event ids behind each row.
(function (CL) {
  'use strict';

  const { t, h, s, append, clear, tableRoles, main, section, store, name, otherName, mt, fmtNum,
    eventLink, statusBadge, flag, provMark, provenance, commitmentMarks, windowVars, targetTitle, downloads, GROUPS, declBadge, boundaryTag, progressBoundary } = CL;

  CL.addText({
    en: {
      'net.empty': 'The log is empty: no jurisdiction has enrolled yet.',
      'net.nojuris': 'No jurisdiction has enrolled yet.',
      'net.others': 'Other targets ({n})',
      'stat.attested': 'with an attested inventory for {from} or later',
      'stat.jurisdictions.col': 'Jurisdictions',
      'f.evidence': 'Latest inventory',
      'f.evidence.attested': 'Attested only',
      'f.evidence.self': 'Self-reported only',
      'f.group': 'Standing with the Declaration',
      'decl.note': 'Endorsers are the jurisdictions with a recorded endorsement. Participants of a summit whose endorsement no source confirms, and jurisdictions enrolled without one, are listed but not counted as endorsers.',
      'decl.stat.endorsers': 'endorsers of the Declaration',
      'decl.stat.signatory_2015': 'signed it in Los Angeles, 2015',
      'decl.stat.endorser_2016': 'endorsed it in Beijing, 2016 (not in 2015)',
      'decl.stat.participant': 'took part in a summit, endorsement unconfirmed: not counted',
      'decl.stat.not_endorser': 'enrolled without an endorsement: not counted',
      'cmp.title': 'Compare the network',
      'cmp.lead': 'Each jurisdiction\u2019s reported inventories over time, and the four commitments counted by country and by standing with the Declaration. Jurisdictions overlap (a city within its state counts in both), and inventories differ in method and scope: compare shapes, not sums.',
      'cmp.series': 'Emissions over time',
      'cmp.mode': 'Show',
      'cmp.abs': 'Emissions (MtCO\u2082e)',
      'cmp.index': 'Change since each one\u2019s first inventory (first = 100)',
      'cmp.capita': 'Per person (needs population figures)',
      'cmp.capitaNone': 'Per person: no population figure is recorded in the ledger (no event type carries one), so emissions per person cannot be shown.',
      'cmp.noinv': 'No jurisdiction has reported an inventory yet.',
      'cmp.caption': 'Reported emissions of each jurisdiction over time, in MtCO\u2082e.',
      'cmp.captionIndex': 'Reported emissions of each jurisdiction over time, as a percentage of its first inventory.',
      'cmp.unitIndex': 'first = 100',
      'cmp.counts': 'The four commitments by country and standing with the Declaration',
      'cmp.group': 'Standing',
      'cmp.allFour': 'All four'
    },
    zh: {
      'net.empty': '日志为空：尚无地方政府登记。',
      'net.nojuris': '尚无地方政府登记。',
      'net.others': '其他目标（{n}）',
      'stat.attested': '有 {from} 年及以后经核查的清单',
      'stat.jurisdictions.col': '地方政府',
      'f.evidence': '最新清单',
      'f.evidence.attested': '仅经核查的',
      'f.evidence.self': '仅自行报告的',
      'f.group': '与宣言的关系',
      'decl.note': '签署方是有签署记录的地方政府。参加了峰会但没有来源证实其签署的地方政府，以及登记时没有签署的地方政府，会被列出，但不计为签署方。',
      'decl.stat.endorsers': '个宣言签署方',
      'decl.stat.signatory_2015': '2015年在洛杉矶签署',
      'decl.stat.endorser_2016': '2016年在北京签署（2015年未签署）',
      'decl.stat.participant': '参加了峰会，签署未经证实：不计入',
      'decl.stat.not_endorser': '登记时无签署：不计入',
      'cmp.title': '网络对比',
      'cmp.lead': '各地方政府历年报告的清单，以及按国家和与宣言的关系统计的四项承诺。地方政府之间存在重叠（城市与其所在州或省都会被计入），清单的方法和范围也不同：请比较趋势，而不是加总。',
      'cmp.series': '历年排放',
      'cmp.mode': '显示',
      'cmp.abs': '排放量（百万吨二氧化碳当量）',
      'cmp.index': '相对各自首份清单的变化（首份 = 100）',
      'cmp.capita': '人均（需要人口数据）',
      'cmp.capitaNone': '人均：账本中没有记录人口数据（没有事件类型包含人口），因此无法显示人均排放。',
      'cmp.noinv': '尚无地方政府报告清单。',
      'cmp.caption': '各地方政府历年报告的排放量（百万吨二氧化碳当量）。',
      'cmp.captionIndex': '各地方政府历年报告的排放量，以其首份清单为 100。',
      'cmp.unitIndex': '首份 = 100',
      'cmp.counts': '按国家和与宣言的关系统计的四项承诺',
      'cmp.group': '与宣言的关系',
      'cmp.allFour': '四项全部'
    }
  });

  const filters = { q: '', country: '', level: '', group: '', status: '', evidence: '' };
  const compare = { mode: 'abs' };

  const jurisdictions = () => store.parties.filter((p) => p.kind === 'jurisdiction');
  function met(p, k) { return !!(p.commitments && p.commitments[k] && p.commitments[k].met); }
  const groupOf = (p) => (p.declaration && p.declaration.group) || '';

  // mainOf is a party's main target now (CL.mainTarget) with its overdue mark.
  function mainOf(p) {
    const pr = CL.mainTarget(p.targets, p.main_target);
    return { pr: pr, overdue: CL.overdue(pr) };
  }
  // statusOf is the status the table shows: "overdue", the main target's status, or
  // "none".
  function statusOf(p) {
    const m = mainOf(p);
    return !m.pr ? 'none' : m.overdue ? 'overdue' : m.pr.status;
  }
  // latestAttested reports whether a party's latest inventory is attested.
  const latestAttested = (p) => !!p.latest_inventory && provenance([p.latest_inventory.event_id], p.attestations).attested;
  // mainAttested reports whether the inventories behind the main target's status are
  // all attested.
  function mainAttested(p) {
    const ids = CL.progressInventories(mainOf(p).pr);
    return ids.length > 0 && provenance(ids, p.attestations).attested;
  }

  function renderNetwork() {
    const m = main();
    clear(m);
    const all = jurisdictions();
    append(m, h('h1', { tabindex: '-1' }, t('net.title')));
    append(m, h('p', { class: 'lead' }, t('net.lead')));
    if (!store.parties.length) {
      // Nothing enrolled yet: an empty log is not a filter that matches nothing.
      append(m, h('p', { class: 'panel empty', id: 'empty-log' }, t('net.empty')));
      return;
    }
    append(m, h('ul', { class: 'stats', id: 'stats', 'aria-label': t('net.title') }));
    append(m, h('section', { class: 'decl-stats', 'aria-labelledby': 'decl-stats-h' },
      h('h2', { id: 'decl-stats-h', class: 'visually-hidden' }, t('decl.title')),
      h('ul', { class: 'stats', id: 'decl-stats' }),
      h('p', { class: 'small muted', id: 'decl-note' }, t('decl.note'))));

    const levels = Array.from(new Set(all.map((p) => p.level).filter(Boolean)));
    const order = ['state', 'province', 'municipality', 'region', 'county', 'city'];
    levels.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const statuses = Array.from(new Set(all.map(statusOf)));
    const sorder = ['achieved', 'on_track', 'off_track', 'expired_missed', 'overdue', 'pending', 'peak_achieved', 'peak_unconfirmed', 'peak_missed', 'not_assessable', 'none'];
    statuses.sort((a, b) => sorder.indexOf(a) - sorder.indexOf(b));
    if (filters.status && !statuses.includes(filters.status)) statuses.push(filters.status);
    const groups = GROUPS.filter((g) => g === filters.group || all.some((p) => groupOf(p) === g));

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
        sel('f-group', t('f.group'), filters.group, groups.map((g) => [g, t('group.' + g)])),
        sel('f-status', t('f.status'), filters.status, statuses.map((st) => [st, st === 'overdue' ? t('status.overdueFilter') : t('status.' + st)])),
        sel('f-evidence', t('f.evidence'), filters.evidence, [['attested', t('f.evidence.attested')], ['self', t('f.evidence.self')]])),
      h('p', { class: 'result-count', id: 'count', role: 'status' }),
      h('button', { type: 'button', class: 'btn', id: 'f-clear', 'data-focus': 'f-clear', onclick: clearFilters }, t('f.clear')));
    append(m, form);
    append(m, h('div', { id: 'results' }));
    append(m, h('div', { id: 'compare' }));
    append(m, h('section', { class: 'panel verifiers', id: 'verifiers', 'aria-labelledby': 'verifiers-h' }));
    renderResults();
  }

  function onFilter() {
    filters.q = document.getElementById('f-q').value;
    filters.country = document.getElementById('f-country').value;
    filters.level = document.getElementById('f-level').value;
    filters.group = document.getElementById('f-group').value;
    filters.status = document.getElementById('f-status').value;
    filters.evidence = document.getElementById('f-evidence').value;
    renderResults();
  }
  function clearFilters() {
    filters.q = filters.country = filters.level = filters.group = filters.status = filters.evidence = '';
    renderNetwork();
    document.getElementById('f-q').focus();
  }

  function matches(p) {
    if (filters.country && p.country !== filters.country) return false;
    if (filters.level && p.level !== filters.level) return false;
    if (filters.group && groupOf(p) !== filters.group) return false;
    if (filters.status && statusOf(p) !== filters.status) return false;
    if (filters.evidence === 'attested' && !latestAttested(p)) return false;
    if (filters.evidence === 'self' && (!p.latest_inventory || latestAttested(p))) return false;
    const q = filters.q.trim().toLowerCase();
    if (q) {
      const hay = [p.id].concat(Object.values(p.names || {})).join(' ').toLowerCase();
      if (!q.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  }

  // mainCell draws the main target now: its status (or "no inventory since YYYY"),
  // its title linked to its event, whether its evidence is self-reported or attested,
  // and the other targets one click away.
  function mainCell(p) {
    const mm = mainOf(p);
    const pr = mm.pr;
    if (!pr) return h('div', null, statusBadge('none'));
    const ids = CL.progressInventories(pr);
    const others = (p.targets || []).filter((x) => x && x.target_id !== pr.target_id);
    return h('div', { class: 'main-target', 'data-target': pr.target_id },
      statusBadge(pr.status, mm.overdue),
      h('span', { class: 'target-line' }, eventLink(pr.revision && pr.revision.event_id, targetTitle(null, pr)), ' · ' + pr.target_id, tagAfter(progressBoundary(pr))),
      ids.length ? h('span', { class: 'target-line' }, provMark(ids, p.attestations)) : null,
      others.length ? h('details', { class: 'others' }, h('summary', null, t('net.others', { n: others.length })),
        h('ul', null, others.map((o) => h('li', { 'data-target': o.target_id }, statusBadge(o.status, CL.overdue(o)), ' ',
          eventLink(o.revision && o.revision.event_id, targetTitle(null, o)), ' · ' + o.target_id, tagAfter(progressBoundary(o)))))) : null);
  }
  // tagAfter is a boundary's label after a target's title, when it is not community.
  function tagAfter(bt) {
    const tag = boundaryTag(bt);
    return tag ? [' ', tag] : null;
  }

  // renderResults redraws the statistics, the table, the comparison and the
  // verifiers, leaving the filter controls (and the focus in them) alone. flash lists
  // party ids to highlight.
  function renderResults(flash) {
    const all = jurisdictions();
    const stats = document.getElementById('stats');
    if (!stats) return;
    clear(stats);
    const count = (f) => all.filter(f).length;
    const stat = (n, label, key) => h('li', { 'data-stat': key }, h('span', { class: 'n' }, String(n)), h('span', { class: 'l' }, label));
    append(stats, [
      stat(all.length, t('stat.jurisdictions'), 'jurisdictions'),
      stat(count((p) => p.country === 'US'), t('stat.us'), 'us'),
      stat(count((p) => p.country === 'CN'), t('stat.cn'), 'cn'),
      stat(count((p) => met(p, 'targets')), t('stat.targets'), 'targets'),
      stat(count((p) => met(p, 'inventories')), t('stat.inventories', windowVars()), 'inventories'),
      stat(count((p) => met(p, 'inventories') && latestAttested(p)), t('stat.attested', windowVars()), 'attested'),
      stat(count((p) => met(p, 'plan')), t('stat.plans'), 'plans'),
      stat(count((p) => met(p, 'partnership')), t('stat.partnerships'), 'partnerships')
    ]);
    // The jurisdictions by standing with the Declaration, as /v1/network counts them.
    const decl = document.getElementById('decl-stats');
    clear(decl);
    append(decl, stat(count((p) => p.declaration && p.declaration.endorser), t('decl.stat.endorsers'), 'endorsers'),
      GROUPS.map((g) => {
        const li = stat(count((p) => groupOf(p) === g), t('decl.stat.' + g), 'group');
        li.setAttribute('data-group', g);
        li.classList.add('g-' + g);
        return li;
      }));

    const shown = all.filter(matches).sort((a, b) => (a.country || '').localeCompare(b.country || '') * -1 || name(a).localeCompare(name(b), CL.locale()));
    document.getElementById('count').textContent = t('count', { n: shown.length, total: all.length });
    const res = document.getElementById('results');
    clear(res);
    if (!shown.length) {
      append(res, h('p', { class: 'panel empty' }, all.length ? t('noresults') : t('net.nojuris')));
    } else {
      const th = (k) => h('th', { scope: 'col' }, t(k));
      const rows = shown.map((p) => {
        const marks = commitmentMarks(p.commitments, p.latest_inventory);
        const other = otherName(p);
        return h('tr', { 'data-party': p.id, class: flash && flash.has(p.id) ? 'flash' : null },
          h('td', { class: 'name', 'data-label': t('col.name') },
            h('div', null, h('a', { href: '#/p/' + p.id, 'data-focus': 'party-' + p.id }, name(p)), other ? h('span', { class: 'zh', lang: CL.lang() === 'zh' ? 'en' : 'zh' }, ' ' + other) : null,
              p.declaration ? h('span', { class: 'decl-line' }, declBadge(p.declaration)) : null)),
          h('td', { 'data-label': t('col.country') }, flag(p.country)),
          h('td', { 'data-label': t('col.level') }, p.level ? t('level.' + p.level) : ''),
          h('td', { 'data-label': t('col.targets') }, marks[0]),
          h('td', { 'data-label': t('col.inventory') }, h('div', null, marks[1], p.latest_inventory ? h('span', { class: 'target-line' }, provMark([p.latest_inventory.event_id], p.attestations)) : null)),
          h('td', { 'data-label': t('col.plan') }, marks[2]),
          h('td', { 'data-label': t('col.partnership') }, marks[3]),
          h('td', { 'data-label': t('col.progress') }, mainCell(p)));
      });
      append(res, h('div', { class: 'panel scroll' },
        tableRoles(h('table', { class: 'juris stack' },
          h('caption', { class: 'visually-hidden' }, t('net.title')),
          h('thead', null, h('tr', null, th('col.name'), th('col.country'), th('col.level'), th('col.targets'), th('col.inventory'), th('col.plan'), th('col.partnership'), th('col.progress'))),
          h('tbody', null, rows))),
        downloads('jurisdictions', ['party', 'name_en', 'name_zh', 'country', 'level', 'endorser', 'declaration_group', 'targets', 'inventory_year', 'inventory_tco2e', 'inventory_provenance', 'inventory_event_id',
          'plan', 'partnership', 'main_target_id', 'main_target_title', 'main_target_status', 'main_target_overdue_since', 'main_target_event_id'], () => shown.map(jurisdictionRow))));
    }
    renderCompare(all);

    const ver = document.getElementById('verifiers');
    clear(ver);
    const vs = store.parties.filter((p) => p.kind === 'verifier');
    if (!vs.length) { ver.hidden = true; return; }
    ver.hidden = false;
    append(ver, h('h2', { id: 'verifiers-h' }, t('verifiers')), h('p', { class: 'lead' }, t('verifiers.lead')),
      h('ul', null, vs.map((p) => h('li', { 'data-party': p.id, class: flash && flash.has(p.id) ? 'flash' : null }, h('a', { href: '#/p/' + p.id }, name(p))))));
  }

  function jurisdictionRow(p) {
    const mm = mainOf(p);
    const l = p.latest_inventory;
    const n = p.names || {};
    return {
      party: p.id, name_en: n.en || '', name_zh: n.zh || '', country: p.country, level: p.level,
      endorser: !!(p.declaration && p.declaration.endorser), declaration_group: groupOf(p),
      targets: (p.targets || []).length, inventory_year: l ? l.year : '', inventory_tco2e: l ? l.total_tco2e : '',
      inventory_provenance: l ? (latestAttested(p) ? 'attested' : 'self-reported') : '', inventory_event_id: l ? l.event_id : '',
      plan: met(p, 'plan'), partnership: met(p, 'partnership'),
      main_target_id: mm.pr ? mm.pr.target_id : '', main_target_title: mm.pr ? targetTitle(null, mm.pr) : '',
      main_target_status: mm.pr ? mm.pr.status : 'none', main_target_overdue_since: mm.overdue ? mm.overdue.since : '',
      main_target_event_id: mm.pr && mm.pr.revision ? mm.pr.revision.event_id : ''
    };
  }

  // ---- compare the network ----

  const PALETTE = ['#0b5d4b', '#b35c00', '#8250df', '#1f4e99', '#b3261e', '#116329', '#6e7781', '#bf3989', '#0a7ea4', '#7d4e00'];

  function renderCompare(all) {
    const box = document.getElementById('compare');
    if (!box) return;
    clear(box);
    const withSeries = all.map(communitySeries).filter((p) => p.series.length);
    const sec = section('compare-sec', t('cmp.title'));
    append(sec, h('p', { class: 'lead' }, t('cmp.lead')));

    // Emissions over time.
    const modeSel = h('select', { id: 'cmp-mode', 'data-focus': 'cmp-mode', onchange: (e) => { compare.mode = e.target.value; renderCompare(all); document.getElementById('cmp-mode').focus(); } },
      h('option', { value: 'abs', selected: compare.mode === 'abs' }, t('cmp.abs')),
      h('option', { value: 'index', selected: compare.mode === 'index' }, t('cmp.index')),
      h('option', { value: 'capita', disabled: true }, t('cmp.capita')));
    append(sec, h('h3', null, t('cmp.series')),
      h('div', { class: 'chart-controls' }, h('label', { for: 'cmp-mode' }, t('cmp.mode')), modeSel),
      h('p', { class: 'small muted', id: 'cmp-capita' }, t('cmp.capitaNone')));
    if (!withSeries.length) {
      append(sec, h('p', { class: 'empty', 'data-empty': 'noinv' }, t('cmp.noinv')));
    } else {
      const wrap = h('div', { class: 'chart-wrap', id: 'cmp-wrap' });
      append(sec, wrap);
      requestAnimationFrame(() => drawCompare(wrap, withSeries));
      append(sec, h('ul', { class: 'legend', id: 'cmp-legend' }, withSeries.map((p, i) => h('li', { 'data-party': p.id },
        s('svg', { width: 22, height: 14, viewBox: '0 0 22 14', 'aria-hidden': 'true', class: 'chart icon' }, s('line', { x1: 1, x2: 21, y1: 7, y2: 7, stroke: PALETTE[i % PALETTE.length], 'stroke-width': 3 })),
        h('a', { href: '#/p/' + p.id }, name(p))))));
      const rows = [];
      withSeries.forEach((p) => p.series.forEach((x) => rows.push({ p: p, x: x })));
      append(sec, h('details', null, h('summary', null, t('chart.table')),
        h('div', { class: 'scroll' }, h('table', { class: 'cmp-table' },
          h('thead', null, h('tr', null, ['col.name', 'inv.year', 'inv.total', 'inv.attested'].map((k) => h('th', { scope: 'col' }, t(k))))),
          h('tbody', null, rows.map((r) => h('tr', null, h('td', null, name(r.p)), h('td', null, String(r.x.year)),
            h('td', null, eventLink(r.x.event_id, mt(r.x.total_tco2e))), h('td', null, provMark([r.x.event_id], r.p.attestations)))))))));
      append(sec, downloads('emissions', ['party', 'name_en', 'year', 'total_tco2e', 'gwp', 'level', 'provenance', 'event_id', 'index'],
        () => rows.map((r) => ({ party: r.p.id, name_en: (r.p.names || {}).en || '', year: r.x.year, total_tco2e: r.x.total_tco2e, gwp: r.x.gwp, level: r.x.level,
          provenance: provenance([r.x.event_id], r.p.attestations).attested ? 'attested' : 'self-reported', event_id: r.x.event_id, index: r.x.index }))));
    }

    // The four commitments by country and standing with the Declaration.
    append(sec, h('h3', null, t('cmp.counts')));
    const groups = [];
    for (const c of ['US', 'CN']) {
      const ofC = all.filter((p) => p.country === c);
      for (const g of GROUPS) {
        const ps = ofC.filter((p) => groupOf(p) === g);
        if (!ps.length && g !== 'signatory_2015') continue;
        groups.push({ country: c, group: g, parties: ps });
      }
    }
    const K = ['targets', 'inventories', 'plan', 'partnership'];
    const evidenceOf = (ps, k) => ps.filter((p) => met(p, k)).map((p) => (p.commitments[k].evidence[0] || {}).event_id).filter(Boolean);
    const countRows = groups.map((g) => {
      const r = { country: g.country, group: g.group, jurisdictions: g.parties.length };
      K.forEach((k) => { r[k] = g.parties.filter((p) => met(p, k)).length; });
      r.all_four = g.parties.filter((p) => K.every((k) => met(p, k))).length;
      r.parties = g.parties.map((p) => p.id).join(' ');
      r.evidence_event_ids = K.map((k) => evidenceOf(g.parties, k).join(' ')).filter(Boolean).join(' ');
      return r;
    });
    const th = (k) => h('th', { scope: 'col' }, t(k));
    append(sec, h('div', { class: 'scroll' }, tableRoles(h('table', { class: 'counts stack' },
      h('thead', null, h('tr', null, th('col.country'), th('cmp.group'), th('stat.jurisdictions.col'), th('c.targets'), th('c.inventories'), th('c.plan'), th('c.partnership'), th('cmp.allFour'))),
      h('tbody', null, countRows.map((r) => h('tr', { 'data-country': r.country, 'data-group': r.group },
        h('th', { scope: 'row' }, t('country.' + r.country)),
        h('td', { 'data-label': t('cmp.group') }, t('group.' + r.group)),
        h('td', { 'data-label': t('stat.jurisdictions.col') }, String(r.jurisdictions)),
        K.map((k) => h('td', { 'data-label': t('c.' + k), 'data-k': k }, String(r[k]))),
        h('td', { 'data-label': t('cmp.allFour'), 'data-k': 'all_four' }, String(r.all_four)))))))));
    append(sec, downloads('commitments-by-country-and-standing', ['country', 'group', 'jurisdictions', 'targets', 'inventories', 'plan', 'partnership', 'all_four', 'parties', 'evidence_event_ids'], countRows));
    append(box, sec);
  }

  // communitySeries is a party with the community-wide points of its series only: the
  // comparison never mixes boundaries (a point without boundary_type is community).
  function communitySeries(p) {
    return Object.assign({}, p, { series: (p.series || []).filter((x) => CL.boundaryOf(x) === 'community') });
  }

  // drawCompare draws every jurisdiction's current inventories over time: absolute
  // (MtCO2e, from zero) or as a percentage of its first inventory.
  function drawCompare(wrap, ps) {
    if (!wrap.isConnected) return;
    clear(wrap);
    const index = compare.mode === 'index';
    const W = Math.max(300, Math.round(wrap.clientWidth || 600));
    const H = Math.round(Math.min(360, Math.max(220, W * 0.5)));
    const M = { l: 52, r: 14, t: 22, b: 32 };
    const val = (p, x) => (index ? (Number(x.total_tco2e) / Number(p.series[0].total_tco2e)) * 100 : Number(x.total_tco2e) / 1e6);
    const years = [], vals = [];
    ps.forEach((p) => p.series.forEach((x) => { years.push(x.year); vals.push(val(p, x)); }));
    let y0 = Math.min.apply(null, years) - 1, y1 = Math.max.apply(null, years) + 1;
    if (y1 - y0 < 6) { y0 -= 2; y1 += 2; }
    const vmax = Math.max.apply(null, vals);
    const vmin = index ? Math.min.apply(null, vals) : 0;
    const step = niceStep((vmax - vmin) || vmax || 1, 4);
    const lo = index ? Math.floor((vmin - step / 2) / step) * step : 0;
    const hi = Math.ceil((vmax * 1.02) / step) * step || step;
    const x = (yr) => M.l + ((yr - y0) / (y1 - y0)) * (W - M.l - M.r);
    const y = (v) => H - M.b - ((v - lo) / (hi - lo)) * (H - M.t - M.b);
    const svg = s('svg', { class: 'chart compare', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'group', 'aria-labelledby': 'cmp-title' },
      s('title', { id: 'cmp-title' }, t(index ? 'cmp.captionIndex' : 'cmp.caption')));
    const grid = s('g', { class: 'grid' }), axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
    for (let v = lo; v <= hi + step / 1000; v += step) {
      append(grid, s('line', { x1: M.l, x2: W - M.r, y1: y(v), y2: y(v) }));
      append(axis, s('text', { x: M.l - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtNum(v, step < 1 ? 2 : step < 10 ? 1 : 0)));
    }
    append(axis, s('text', { x: 4, y: 12, 'text-anchor': 'start' }, index ? t('cmp.unitIndex') : t('unit.mt')));
    const ystep = [1, 2, 5, 10, 20].find((st) => (y1 - y0) / st <= Math.max(3, Math.floor((W - M.l - M.r) / 60))) || 20;
    for (let yr = Math.ceil(y0 / ystep) * ystep; yr <= y1; yr += ystep) {
      append(axis, s('text', { x: x(yr), y: H - M.b + 18, 'text-anchor': 'middle' }, String(yr)));
    }
    append(axis, s('line', { x1: M.l, x2: W - M.r, y1: H - M.b, y2: H - M.b }));
    append(svg, grid, axis);
    ps.forEach((p, i) => {
      const color = PALETTE[i % PALETTE.length];
      const g = s('g', { class: 'cmp-series', 'data-party': p.id });
      if (p.series.length > 1) append(g, s('polyline', { fill: 'none', stroke: color, 'stroke-width': 2, points: p.series.map((xx) => x(xx.year) + ',' + y(val(p, xx))).join(' '), 'aria-hidden': 'true' }));
      p.series.forEach((xx) => {
        const label = name(p) + ', ' + t('chart.point', { year: xx.year, value: mt(xx.total_tco2e) });
        append(g, s('a', { href: CL.eventHref(xx.event_id), class: 'cmp-point', 'data-event': xx.event_id, 'aria-label': label },
          s('title', null, label), s('circle', { cx: x(xx.year), cy: y(val(p, xx)), r: 4.5, fill: color, stroke: '#fff', 'stroke-width': 1.5 })));
      });
      append(svg, g);
    });
    append(wrap, svg);
  }

  function niceStep(span, n) {
    const raw = span / Math.max(1, n);
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
  }

  function redrawCompare() {
    const wrap = document.getElementById('cmp-wrap');
    if (wrap) drawCompare(wrap, jurisdictions().map(communitySeries).filter((p) => p.series.length));
  }

  Object.assign(CL, { renderNetwork: renderNetwork, renderResults: renderResults, redrawCompare: redrawCompare });
})(window.CL);
