// climateledger dashboard: the jurisdiction view (#/p/{id}): who the party is, its
// standing with the Declaration (why, with its sources and events), its four
// commitments, an inline SVG chart of its inventories with the target path,
// progress explained in plain words (with the formula for auditors), the sector
// breakdown, targets, inventories (self-reported or attested), plans, partnerships and
// attestations, each table downloadable with the event id of every row.
(function (CL) {
  'use strict';

  const { t, h, s, append, clear, tableRoles, main, section, store, view, name, otherName, mt, tonnes, pct, fmtTime, fmtNum,
    api, eventLink, verifyLink, docLink, partyLink, statusBadge, commitmentMarks, provMark, targetTitle, downloads, declBadge, declReason, boundaryOf, boundaryTag } = CL;

  CL.addText({
    en: {
      'chart.noinv': 'No inventory has been reported, so there is no emissions series to draw.',
      'chart.axisFrom': 'The vertical axis starts at {v}, not at zero, so that the change shows.',
      'progress.mainNow': 'main target now',
      'reason.overdue': 'The target year {ty} has passed, and no inventory has been reported since {since}.',
      'reason.intensity_target': 'This target is measured per unit of activity ({unit}); the ledger has no activity data, so its progress cannot be assessed.',
      'reason.no_baseline_figure': 'This target is a cut from a baseline scenario that gives no baseline figure, so there is no level to compare with.',
      'reason.no_inventory': 'No inventory has been reported, so progress cannot be assessed.',
      'chart.noBoundary': 'No {boundary} inventory has been reported for this target; inventories of another boundary are not drawn with it.',
      'chart.onlyBoundary': 'Inventories of {boundary} only: the boundary of this target.',
      'chart.nameBoundary': ' ({boundary})',
      'chart.otherBoundary': 'Inventories of {boundary} are not drawn here (another boundary): see the table of inventories.',
      'reason.no_boundary_inventory': 'No inventory of this target\'s boundary ({boundary}) has been reported; inventories of other boundaries are not compared with it.',
      'reason.no_base_emissions': 'The base-year emissions are not known: the target gives no base figure and no inventory for its base year {baseYear} is reported, so the cut cannot be computed.',
      'reason.method_mismatch': 'The {year} and {other} inventories were calculated differently ({what}), so they cannot be compared.',
      'reason.gwp': 'global warming potentials {a} and {b}',
      'reason.level': 'reporting level {a} and {b}',
      'reason.no_target_level': 'The target gives no emission level to compare with.',
      'reason.no_path': 'There is no straight path to the target to compare with: no figure for its starting year.',
      'reason.at_or_below_target': '{year} emissions, {latest}, are at or below the {target} the {targetYear} target allows.',
      'reason.target_year_passed': 'The target year {targetYear} has passed, and {year} emissions, {latest}, are above the {target} target.',
      'reason.on_path': '{year} emissions, {latest}, are at or below the {path} the straight path from {anchorYear} to the {targetYear} target allows.',
      'reason.above_path': '{year} emissions, {latest}, are above the {path} the straight path from {anchorYear} to the {targetYear} target allows.',
      'reason.before_peak_year': 'The latest inventory is for {year}, before the peak year {peakYear}: too early to judge.',
      'reason.nothing_before_peak': 'No inventory at or before the peak year {peakYear} to compare with.',
      'reason.peak_exceeded': '{year} emissions, {latest}, are above the highest level up to the peak year ({max} in {maxYear}).',
      'reason.peak_confirmed': 'Emissions peaked at or before {peakYear} ({max} in {maxYear}), and {n} later inventories are lower.',
      'reason.peak_unconfirmed': 'The highest level, {max} in {maxYear}, is at or before the peak year {peakYear}, but {n} later inventories are lower; two are needed to confirm the peak.',
      'audit.summary': 'For auditors: the rule, formulas and exact fractions',
      'audit.reason': 'Reason',
      'audit.note': 'Note',
      'att.notAttestation': 'not an attestation',
      'progress.srcInventory': '{year} inventory',
      'progress.srcTarget': 'target',
      'decl.endorsedAt': 'Endorsed at the {summit} ({date})',
      'decl.tookPartAt': 'Took part in the {summit} ({date})',
      'decl.evidence': 'Evidence:',
      'decl.evidenceEvent': 'signed event, log entry {index}'
    },
    zh: {
      'chart.noinv': '尚未报告温室气体清单，没有可绘制的排放序列。',
      'chart.axisFrom': '纵轴从 {v} 开始而非从零开始，以便显示变化。',
      'progress.mainNow': '当前主要目标',
      'reason.overdue': '目标年 {ty} 年已过，自 {since} 年以来没有报告清单。',
      'reason.intensity_target': '该目标按单位经济活动计量（{unit}）；账本中没有活动数据，因此无法评估进展。',
      'reason.no_baseline_figure': '该目标是相对基线情景的减排，但没有给出基线排放量，因此没有可比较的水平。',
      'reason.no_inventory': '尚未报告清单，因此无法评估进展。',
      'chart.noBoundary': '尚未报告该目标边界（{boundary}）的清单；其他边界的清单不与其一起绘制。',
      'chart.onlyBoundary': '仅显示{boundary}清单：即该目标的边界。',
      'chart.nameBoundary': '（{boundary}）',
      'chart.otherBoundary': '{boundary}清单未在此绘制（边界不同）：见清单表。',
      'reason.no_boundary_inventory': '尚未报告该目标边界（{boundary}）的清单；其他边界的清单不与其比较。',
      'reason.no_base_emissions': '基准年排放量未知：该目标未给出基准排放量，也没有报告其基准年 {baseYear} 年的清单，因此无法计算减排量。',
      'reason.method_mismatch': '{year} 年和 {other} 年清单的计算方法不同（{what}），无法相互比较。',
      'reason.gwp': '全球增温潜势 {a} 与 {b}',
      'reason.level': '报告级别 {a} 与 {b}',
      'reason.no_target_level': '该目标没有可比较的排放水平。',
      'reason.no_path': '没有可比较的通往目标的直线路径：缺少起始年的排放数据。',
      'reason.at_or_below_target': '{year} 年排放量为 {latest}，不高于 {targetYear} 年目标允许的 {target}。',
      'reason.target_year_passed': '目标年 {targetYear} 年已过，{year} 年排放量为 {latest}，高于目标 {target}。',
      'reason.on_path': '{year} 年排放量为 {latest}，不高于从 {anchorYear} 年到 {targetYear} 年目标的直线路径所允许的 {path}。',
      'reason.above_path': '{year} 年排放量为 {latest}，高于从 {anchorYear} 年到 {targetYear} 年目标的直线路径所允许的 {path}。',
      'reason.before_peak_year': '最新清单为 {year} 年，早于达峰年 {peakYear} 年：现在判断为时过早。',
      'reason.nothing_before_peak': '达峰年 {peakYear} 年及之前没有可供比较的清单。',
      'reason.peak_exceeded': '{year} 年排放量为 {latest}，高于达峰年及之前的最高水平（{maxYear} 年 {max}）。',
      'reason.peak_confirmed': '排放在 {peakYear} 年或之前达峰（{maxYear} 年 {max}），此后有 {n} 份清单更低。',
      'reason.peak_unconfirmed': '最高水平（{maxYear} 年 {max}）出现在达峰年 {peakYear} 年或之前，但此后只有 {n} 份清单更低；需要两份才能确认达峰。',
      'audit.summary': '供审计人员参考：规则、公式和精确分数',
      'audit.reason': '原因',
      'audit.note': '说明',
      'att.notAttestation': '不是核查证明',
      'progress.srcInventory': '{year} 年清单',
      'progress.srcTarget': '目标',
      'decl.endorsedAt': '在{summit}签署（{date}）',
      'decl.tookPartAt': '参加{summit}（{date}）',
      'decl.evidence': '证据：',
      'decl.evidenceEvent': '签名事件，日志第 {index} 条'
    }
  });

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
      declaration: raw.declaration || null,
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
  // ---- jurisdiction view ----

  function renderParty() {
    const d = view.detail;
    const p = d.party;
    const m = main();
    clear(m);
    append(m, h('p', { class: 'crumbs' }, h('a', { href: '#/', 'data-focus': 'back' }, '← ' + t('back'))));
    const other = otherName(p);
    const head = h('section', { class: 'panel', 'aria-labelledby': 'party-h' },
      h('div', { class: 'party-head' },
        h('h1', { id: 'party-h', tabindex: '-1' }, name(p), other ? h('span', { class: 'zh', lang: CL.lang() === 'zh' ? 'en' : 'zh' }, other) : null),
        p.enrolled ? h('span', { class: 'small muted' }, t('p.enrolled') + ' ', eventLink(p.enrolled.event_id, fmtTime(p.enrolled.time)), ' · ', verifyLink(p.enrolled, t('p.enrolled'))) : null),
      h('ul', { class: 'facts' },
        p.kind === 'verifier' ? h('li', null, h('b', null, t('p.kind.verifier'))) : null,
        p.country ? h('li', { 'data-fact': 'country' }, t('p.country') + ': ', h('b', null, t('country.' + p.country))) : null,
        p.level ? h('li', { 'data-fact': 'level' }, t('p.level') + ': ', h('b', null, t('level.' + p.level))) : null,
        p.parent ? h('li', null, t('p.parent') + ': ', store.byID.has(p.parent) ? h('a', { href: '#/p/' + p.parent }, name(store.byID.get(p.parent))) : h('b', null, p.parent.toUpperCase())) : null,
        p.codes ? h('li', null, t('p.codes') + ': ', h('b', null, [p.codes.iso3166_2, p.codes.unlocode].filter(Boolean).join(', '))) : null),
      p.kind === 'jurisdiction' && d.declaration ? declarationBlock(d) : null);
    append(m, head);

    if (p.kind === 'jurisdiction') {
      const latest = d.inventories.filter((x) => x.current && boundaryOf(x) === 'community').slice(-1)[0];
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

  // declarationBlock says where a jurisdiction stands with the Declaration: its group,
  // why (a participant is not counted as an endorser), each endorsement and
  // participation with its source, and the signed events that show it.
  function declarationBlock(d) {
    const dc = d.declaration;
    const items = [];
    d.endorsements.forEach((e) => items.push(h('li', { 'data-summit': e.summit, 'data-kind': 'endorsement' },
      t('decl.endorsedAt', { summit: t('summit.' + e.summit), date: e.date }), e.document ? [' · ', docLink(e.document)] : null)));
    (d.party.participations || []).forEach((x) => items.push(h('li', { 'data-summit': x.summit, 'data-kind': 'participation' },
      t('decl.tookPartAt', { summit: t('summit.' + x.summit), date: x.date }), x.source ? [' · ', docLink(x.source)] : null)));
    return h('div', { class: 'decl-block', id: 'declaration', 'data-party': d.party.id, 'data-group': dc.group },
      h('p', { class: 'decl-head' }, t('decl.title') + ': ', declBadge(dc)),
      h('p', { class: 'reason', id: 'decl-reason' }, declReason(dc)),
      items.length ? h('ul', { class: 'decl-sources' }, items) : null,
      (dc.evidence || []).length ? h('p', { class: 'small', id: 'decl-evidence' }, t('decl.evidence') + CL.sep(),
        dc.evidence.map((r, i) => [i ? ', ' : '', eventLink(r.event_id, t('decl.evidenceEvent', { index: r.index }))])) : null);
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

  // chartable reports whether a target can be drawn as a path or a marker.
  function chartable(tg) {
    return tg.active && tg.body && tg.body.type !== 'base_year_intensity';
  }
  // mainNow is the target that matters now in the reader's calendar (CL.mainTarget).
  function mainNow(d) {
    const pr = CL.mainTarget(d.targets.filter((x) => x.active && x.progress).map((x) => x.progress), d.summary.main_target);
    return pr ? d.targets.find((x) => x.id === pr.target_id) || null : null;
  }
  function chosenTarget(d) {
    const ok = d.targets.filter(chartable);
    const now = mainNow(d);
    const want = view.chartTarget[d.party.id] || (now && now.id);
    return ok.find((x) => x.id === want) || ok[0] || null;
  }
  // label names a target for a list: its title in words, then its id.
  const label = (tg) => targetTitle(tg.body, tg.progress) + ' (' + tg.id + ')' + (boundaryOf(tg.body) !== 'community' ? ' · ' + t('boundary.' + boundaryOf(tg.body)) : '');

  function chartSection(d) {
    const sec = section('chart', t('sec.chart'));
    const ok = d.targets.filter(chartable);
    const chosen = chosenTarget(d);
    if (ok.length > 1) {
      append(sec, h('div', { class: 'chart-controls' },
        h('label', { for: 'chart-target' }, t('chart.target')),
        h('select', { id: 'chart-target', 'data-focus': 'chart-target', onchange: (e) => { view.chartTarget[d.party.id] = e.target.value; renderParty(); document.getElementById('chart-target').focus(); } },
          ok.map((x) => h('option', { value: x.id, selected: chosen && x.id === chosen.id }, label(x))))));
    }
    const wrap = h('div', { class: 'chart-wrap', id: 'chart-wrap' });
    append(sec, wrap);
    const model = chartModel(d, chosen);
    const words = (bt) => t('boundary.' + bt);
    const others = Array.from(new Set(d.inventories.filter((r) => !r.retracted && boundaryOf(r) !== model.boundary).map(boundaryOf)));
    if (!model.points.length) {
      // No series: say so, and what the target is, instead of an empty frame. A
      // series of another boundary is not drawn in its place.
      append(wrap, others.length
        ? h('p', { class: 'empty', 'data-empty': 'noboundary' }, t('chart.noBoundary', { boundary: words(model.boundary) }))
        : h('p', { class: 'empty', 'data-empty': 'noinv' }, t('chart.noinv')));
      if (chosen) append(wrap, h('p', { class: 'small muted' }, t('chart.target') + ': ' + label(chosen)));
      return sec;
    }
    if (model.boundary !== 'community') append(sec, h('p', { class: 'small muted', id: 'chart-boundary', 'data-boundary': model.boundary }, t('chart.onlyBoundary', { boundary: words(model.boundary) })));
    else if (others.length) append(sec, h('p', { class: 'small muted', id: 'chart-boundary', 'data-boundary': model.boundary }, t('chart.otherBoundary', { boundary: CL.list(others.map(words)) })));
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

  // chartModel is what the chart draws for target tg: the inventories of its boundary
  // (community-wide without a target), never mixed with another boundary's.
  function chartModel(d, tg) {
    const bt = tg ? boundaryOf(tg.body) : 'community';
    const model = { points: [], base: null, set: null, target: null, peak: null, milestones: [], tg: tg, boundary: bt,
      name: name(d.party) + (bt !== 'community' ? t('chart.nameBoundary', { boundary: t('boundary.' + bt) }) : '') };
    for (const r of d.inventories) {
      if (r.retracted || boundaryOf(r) !== bt) continue;
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
    // The vertical axis spans the figures drawn, so that the change shows: it starts
    // at zero only when the figures come near it (a net zero target, say), and says
    // so when it does not.
    const scaled = vals.some((v) => v > 0);
    const vmax = scaled ? Math.max.apply(null, vals) : 1e6;
    const vmin = scaled ? Math.min.apply(null, vals) : 0;
    const spread = Math.max(vmax - vmin, vmax * 0.02);
    let lo = vmin - spread * 0.2;
    if (lo < spread * 0.6) lo = 0;
    const vstep = scaled ? niceStep((vmax + spread * 0.1 - lo) / 1e6, 4) * 1e6 : 1e6;
    const vbottom = Math.floor(lo / vstep) * vstep;
    const vtop = Math.ceil((vmax + spread * 0.1) / vstep) * vstep;
    const digits = vstep >= 1e6 ? 0 : vstep >= 1e5 ? 1 : vstep >= 1e4 ? 2 : 3;
    const x = (yr) => M.l + ((yr - y0) / (y1 - y0)) * (W - M.l - M.r);
    const y = (v) => H - M.b - ((v - vbottom) / (vtop - vbottom)) * (H - M.t - M.b);
    wrap.setAttribute('data-axis-from', String(vbottom));

    const svg = s('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'group', 'aria-labelledby': 'chart-title' },
      s('title', { id: 'chart-title' }, t('chart.caption', { name: model.name })));
    // Grid and axes.
    const grid = s('g', { class: 'grid' });
    const axis = s('g', { class: 'axis', 'aria-hidden': 'true' });
    for (let i = 0; vbottom + i * vstep <= vtop * 1.0001 && (scaled || i === 0); i++) {
      const v = vbottom + i * vstep;
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
      const label = t('chart.point', { year: p.year, value: mt(p.v) }) + ' ' + provMark([p.id], d.attestations).textContent + '.';
      append(g, s('a', { href: CL.eventHref(p.id), class: 'inv-point' + (p.current ? '' : ' superseded'), 'data-event': p.id, 'data-year': p.year, 'aria-label': label },
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
    if (vbottom > 0) append(wrap, h('p', { class: 'small muted axis-note' }, t('chart.axisFrom', { v: mt(vbottom) })));
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
    const now = mainNow(d);
    const od = CL.overdue(pr);
    append(sec, h('h3', null, targetTitle(tg.body, pr), ' ', h('span', { class: 'tag' }, tg.id), tg.body && boundaryTag(tg.body.boundary_type) ? [' ', boundaryTag(tg.body.boundary_type)] : null,
      now && now.id === tg.id ? [' ', h('span', { class: 'tag main-now' }, t('progress.mainNow'))] : null));
    const inv = CL.progressInventories(pr);
    append(sec, h('div', { class: 'progress' },
      h('p', { class: 'status-line' }, statusBadge(pr ? pr.status : 'not_assessable', od), ' ', inv.length ? provMark(inv, d.attestations) : null),
      pr ? h('p', { class: 'reason', 'data-code': pr.reason_code || '' }, od && od.since ? t('reason.overdue', { ty: pr.target_year, since: od.since }) : '',
        // "Too early to judge" no longer holds once the peak year has passed.
        od && od.since && pr.reason_code === 'before_peak_year' ? null : [od && od.since ? ' ' : '', reasonText(pr)]) : null,
      pr ? h('dl', null,
        figRow(t('progress.base'), pr.base),
        figRow(t('progress.targetLevel'), pr.target),
        figRow(t('progress.latest'), pr.latest),
        pr.achieved_pct ? [h('dt', null, t('progress.achieved')), h('dd', null, t('progress.achievedOf', { pct: pct(pr.achieved_pct.value) }), ' ', sourcesLinks(pr.achieved_pct.sources, d))] : null) : null,
      pr ? auditorDetails(pr) : null));
    return sec;
  }

  // auditorDetails keeps the rule's own words for auditors: the reason as the
  // projections state it, each formula and each exact fraction.
  function auditorDetails(pr) {
    const rows = [];
    const row = (k, v) => { if (v) rows.push(h('dt', null, k), h('dd', null, h('code', null, v))); };
    row(t('audit.reason'), pr.reason);
    for (const [k, f] of [['E_b', pr.base], ['E_t', pr.target], ['E_y', pr.latest]]) {
      if (f) row(k, f.tco2e + (f.exact ? ' = ' + f.exact : '') + (f.formula ? ' · ' + f.formula : ''));
    }
    (pr.anchors || []).forEach((a) => {
      if (a.path) row('E(' + a.path.year + ') · ' + a.anchor, a.path.tco2e + (a.path.exact ? ' = ' + a.path.exact : '') + ' · ' + a.path.formula);
      else if (a.not_computable) row(a.anchor, a.not_computable);
    });
    if (pr.achieved_pct) row('achieved_pct', pr.achieved_pct.value + ' = ' + pr.achieved_pct.exact + ' · ' + pr.achieved_pct.formula);
    (pr.notes || []).forEach((n) => row(t('audit.note'), n));
    return h('details', { class: 'auditors' }, h('summary', null, t('audit.summary')), h('dl', { class: 'figs', lang: 'en' }, rows));
  }

  // reasonText says a progress row's reason in the reader's language, from its code
  // and parameters (the English sentence of the projections is kept for auditors).
  function reasonText(pr) {
    const p = pr.reason_params || {};
    const code = pr.reason_code;
    if (!code || !CL.has('reason.' + code)) return pr.reason || '';
    const vars = {
      year: p.year, other: p.other_year, unit: p.intensity_unit, targetYear: p.target_year, anchorYear: p.anchor_year,
      peakYear: p.peak_year, maxYear: p.max_year, n: p.lower_after, baseYear: p.base_year,
      boundary: p.boundary && CL.has('boundary.' + p.boundary) ? t('boundary.' + p.boundary) : (p.boundary || ''),
      latest: p.latest_tco2e !== undefined ? CL.mtShort(p.latest_tco2e) : '', target: p.target_tco2e !== undefined ? CL.mtShort(p.target_tco2e) : '',
      path: p.path_tco2e !== undefined ? CL.mtShort(p.path_tco2e) : '', max: p.max_tco2e !== undefined ? CL.mtShort(p.max_tco2e) : ''
    };
    if (code === 'method_mismatch') {
      const what = [];
      if (p.gwp) what.push(t('reason.gwp', { a: p.gwp[0], b: p.gwp[1] }));
      if (p.level) what.push(t('reason.level', { a: p.level[0], b: p.level[1] }));
      vars.what = what.join(CL.lang() === 'zh' ? '；' : '; ');
    }
    return t('reason.' + code, vars);
  }

  function figRow(label, f) {
    if (!f) return null;
    const src = (f.sources || [])[0];
    const text = (f.year ? f.year + ': ' : '') + mt(f.tco2e);
    return [h('dt', null, label), h('dd', null, src ? eventLink(src.event_id, text) : h('span', { title: f.formula || '' }, text))];
  }

  // sourcesLinks links the events a figure comes from, each named by what it is: "2019
  // inventory", "target".
  function sourcesLinks(refs, d) {
    if (!refs || !refs.length) return null;
    const what = (r) => {
      const inv = d && d.inventories.find((x) => x.event.event_id === r.event_id);
      if (inv) return t('progress.srcInventory', { year: inv.year });
      if (d && d.targets.some((x) => x.revisions.some((v) => v.event.event_id === r.event_id))) return t('progress.srcTarget');
      return '#' + r.index;
    };
    return h('span', { class: 'small' }, '(', refs.map((r, i) => [i ? ', ' : '', eventLink(r.event_id, what(r))]), ')');
  }

  function sectorSection(d) {
    const sec = section('sectors', t('sec.sectors'));
    // Community-wide inventories, or, without any, those of another boundary, labelled.
    const current = d.inventories.filter((r) => r.current);
    const community = current.filter((r) => boundaryOf(r) === 'community');
    const cur = community.length ? community : current;
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
    append(sec, h('p', { class: 'small muted' }, eventLink(inv.event.event_id, t('sectors.of', { year: inv.year, n: inv.lines })), boundaryTag(inv.boundary_type) ? [' ', boundaryTag(inv.boundary_type)] : null, ' · ', provMark([inv.event.event_id], d.attestations), ' · ', verifyLink(inv.event, inv.year + ' ' + t('sec.inventories'))));
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
    append(sec, h('div', { class: 'cards' }, d.targets.map((tg) => targetCard(tg, d))));
    append(sec, downloads('targets-' + d.party.id, ['party', 'target_id', 'title', 'type', 'boundary_type', 'state', 'target_year', 'status', 'reason_code', 'reason', 'event_id', 'index'],
      () => d.targets.map((tg) => {
        const cur = tg.current || {};
        const body = tg.body || cur.set || {};
        const pr = tg.progress || {};
        return { party: d.party.id, target_id: tg.id, title: targetTitle(body, tg.progress), type: body.type || '', boundary_type: boundaryOf(body), state: tg.state,
          target_year: pr.target_year || body.target_year || body.peak_year || '', status: pr.status || '', reason_code: pr.reason_code || '',
          reason: pr.reason || '', event_id: cur.event ? cur.event.event_id : '', index: cur.event ? cur.event.index : '' };
      })));
    return sec;
  }

  function targetCard(tg, d) {
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
      h('h3', null, h('span', null, targetTitle(b, tg.progress)), h('span', { class: 'tag' }, tg.id), boundaryTag(b.boundary_type),
        tg.active ? (tg.progress ? statusBadge(tg.progress.status, CL.overdue(tg.progress)) : null) : h('span', { class: 'tag' }, t('rev.withdrawn'))),
      tg.active && CL.progressInventories(tg.progress).length ? h('p', { class: 'small status-prov' }, provMark(CL.progressInventories(tg.progress), d.attestations)) : null,
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
    const th = (k) => h('th', { scope: 'col' }, t(k));
    append(sec, h('div', { class: 'scroll' }, tableRoles(h('table', { class: 'inv stack' },
      h('thead', null, h('tr', null, th('inv.year'), th('inv.total'), th('inv.method'), th('inv.boundary'), th('inv.attested'), th('inv.proof'))),
      h('tbody', null, d.inventories.slice().reverse().map((r) => {
        const id = r.event.event_id;
        const atts = CL.liveAttestations(d.attestations, id);
        return h('tr', { 'data-year': r.year, 'data-event-row': id },
          h('th', { scope: 'row', class: 'year' }, String(r.year)),
          h('td', { class: 'num', 'data-label': t('inv.total') }, h('span', null, eventLink(id, mt(r.total_tco2e)), boundaryTag(r.boundary_type) ? [' ', boundaryTag(r.boundary_type)] : null,
            r.current ? null : [' ', h('span', { class: 'tag' }, r.retracted ? t('retracted') : t('inv.superseded'))])),
          h('td', { class: 'small', 'data-label': t('inv.method') }, [r.framework, r.level, r.gwp].filter(Boolean).join(' · ')),
          h('td', { class: 'small wide', 'data-label': t('inv.boundary') }, h('span', null, r.boundary || '', r.source ? [' ', docLink(r.source)] : null)),
          h('td', { class: 'small', 'data-label': t('inv.attested') }, h('span', null, provMark([id], d.attestations),
            atts.map((a) => h('span', { class: 'att' }, eventLink(a.event.event_id, t('att.statement')))))),
          h('td', { class: 'num', 'data-label': t('inv.proof') }, verifyLink(r.event, r.year + ' ' + t('sec.inventories'))));
      }))))));
    append(sec, downloads('inventories-' + d.party.id, ['party', 'year', 'boundary_type', 'total_tco2e', 'framework', 'level', 'gwp', 'current', 'retracted', 'provenance', 'attested_by', 'event_id', 'index'],
      () => d.inventories.map((r) => {
        const pv = CL.provenance([r.event.event_id], d.attestations);
        return { party: d.party.id, year: r.year, boundary_type: boundaryOf(r), total_tco2e: r.total_tco2e, framework: r.framework, level: r.level, gwp: r.gwp,
          current: r.current, retracted: !!r.retracted, provenance: pv.attested ? 'attested' : 'self-reported',
          attested_by: pv.by.map((a) => a.verifier).join(' '), event_id: r.event.event_id, index: r.event.index };
      })));
    return sec;
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
    append(sec, downloads('plans-' + d.party.id, ['party', 'plan_id', 'version', 'title', 'adopted', 'horizon_year', 'actions', 'retracted', 'event_id', 'index'],
      () => [].concat.apply([], d.plans.map((p) => p.versions.map((v) => ({ party: d.party.id, plan_id: p.id, version: v.version, title: v.title, adopted: v.adopted,
        horizon_year: v.horizon_year, actions: (v.actions || []).length, retracted: !!v.retracted, event_id: v.event.event_id, index: v.event.index }))))));
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
    append(sec, downloads('partnerships-' + d.party.id, ['partnership_id', 'partners', 'instrument', 'topics', 'signed', 'submitter', 'retracted', 'event_id', 'index'],
      () => d.partnerships.map((ps) => ({ partnership_id: ps.partnership_id, partners: ps.partners.join(' '), instrument: ps.instrument, topics: (ps.topics || []).join('; '),
        signed: ps.signed, submitter: ps.submitter, retracted: !!ps.retracted, event_id: ps.event.event_id, index: ps.event.index }))));
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
      h('h3', null, t('opinion.' + a.opinion), ['unmodified', 'modified'].includes(a.opinion) ? null : h('span', { class: 'tag bad', 'data-not-attestation': '' }, t('att.notAttestation')),
        a.retracted ? h('span', { class: 'tag' }, t('retracted')) : null),
      a.summary ? h('p', { class: 'desc' }, a.summary) : null,
      h('dl', { class: 'figs' },
        h('dt', null, t('att.verifier')), h('dd', null, partyLink(a.verifier)),
        h('dt', null, t('att.standard')), h('dd', null, a.standard),
        h('dt', null, t('att.assurance')), h('dd', null, t('assurance.' + a.assurance)),
        h('dt', null, t('att.subject')), h('dd', null, partyLink(a.subject.party), ' · ' + a.subject.type + ' · ', eventLink(a.subject.event_id, '#' + a.subject.index))),
      h('div', { class: 'links' }, eventLink(a.event.event_id, t('link.event')), verifyLink(a.event, t('sec.attestations')))))));
    append(sec, downloads('attestations-' + d.party.id, ['verifier', 'subject_party', 'subject_type', 'subject_event_id', 'standard', 'assurance', 'opinion', 'is_attestation', 'retracted', 'event_id', 'index'],
      () => list.map((a) => ({ verifier: a.verifier, subject_party: a.subject.party, subject_type: a.subject.type, subject_event_id: a.subject.event_id, standard: a.standard,
        assurance: a.assurance, opinion: a.opinion, is_attestation: ['unmodified', 'modified'].includes(a.opinion), retracted: !!a.retracted, event_id: a.event.event_id, index: a.event.index }))));
    return sec;
  }
  // redrawChart fits the open chart to its new width.
  function redrawChart() {
    if (view.name !== 'party' || !view.detail) return;
    const wrap = document.getElementById('chart-wrap');
    if (wrap && wrap.firstChild && wrap.firstChild.tagName.toLowerCase() === 'svg') {
      drawChart(wrap, chartModel(view.detail, chosenTarget(view.detail)), view.detail);
    }
  }

  Object.assign(CL, { reasonText: reasonText, loadParty: loadParty, renderParty: renderParty, redrawChart: redrawChart, markSeen: markSeen });
})(window.CL);
