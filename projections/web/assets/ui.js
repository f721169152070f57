// climateledger dashboard: building the page (no innerHTML with data), reading the
// API, and the small pieces every view shares: links to events, status badges,
// "self-reported" and "attested by …" marks, the main target now, and downloads of
// tables as CSV and JSON. Loaded after i18n.js and witness.js.
(function (CL) {
  'use strict';

  const { t } = CL;

  // ---- DOM building ----

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

  const main = () => document.getElementById('main');
  function section(id, title, kids) {
    return h('section', { class: 'panel', id: id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h' }, title), kids);
  }

  // ---- reading the API ----

  // api.get fetches JSON (api.text: text). A failure carries the HTTP status, or
  // offline = true when nothing answered; every answer and every network failure is
  // reported to CL.onReach (the live indicator).
  async function fetchOK(url, accept) {
    let r;
    try {
      r = await fetch(url, { headers: { Accept: accept }, cache: 'no-store' });
    } catch (e) {
      const err = new Error(t('offline.fetch'));
      err.offline = true;
      if (CL.onReach) CL.onReach(false);
      throw err;
    }
    if (CL.onReach) CL.onReach(true);
    if (!r.ok) {
      let msg = r.status + ' ' + r.statusText;
      try { const p = await r.json(); if (p && (p.detail || p.title)) msg = p.detail || p.title; } catch (e) { /* not JSON */ }
      const err = new Error(msg);
      err.status = r.status;
      throw err;
    }
    return r;
  }
  const api = {
    async get(url) { return (await fetchOK(url, 'application/json')).json(); },
    async text(url) { return (await fetchOK(url, 'text/plain')).text(); },
    async bytes(url) { return new Uint8Array(await (await fetchOK(url, '*/*')).arrayBuffer()); }
  };

  const store = {
    list: null, // GET /v1/parties
    parties: [], // its items
    byID: new Map(),
    state: null,
    asOf: null // when the data on screen was last read (a Date)
  };
  const view = { name: '', id: '', sub: '', detail: null, chartTarget: {}, seen: new Set() };

  // wit is the witnesses' part of the page (witness.js).
  const wit = window.climateledgerWitnesses({
    t: t, h: h, append: append, clear: clear, api: api, name: CL.name,
    party: (id) => store.byID.get(id), lang: CL.lang, onInfo: () => { if (CL.renderAudit) CL.renderAudit(); }
  });

  // ---- links and marks ----

  // eventHref is the address of an event's readable page (verify: and check it in
  // the browser at once).
  const eventHref = (id, verify) => '#/e/' + id + (verify ? '/verify' : '');

  // eventLink links a figure to the readable page of its signed event.
  function eventLink(id, text, extra) {
    if (!id) return h('span', null, text);
    return h('a', Object.assign({ href: eventHref(id), title: t('link.eventTitle'), 'data-event': id }, extra || {}), text);
  }
  // verifyLink opens the event ref's page ({event_id, index}) and checks it in the
  // browser; the witnessed proof's mark goes next to it.
  function verifyLink(ref, what) {
    const id = ref && ref.event_id;
    if (!id) return null;
    return h('span', { class: 'proofs' },
      h('a', { href: eventHref(id, true), class: 'verify', 'data-verify': id, 'aria-label': t('link.verifyLabel', { what: what }) }, t('link.verify')),
      ' ', wit.proofMark(ref, what));
  }
  // docLink links a document reference ({url, sha256?, title?, quote?}, SPEC §6.0):
  // its title and the quoted passage as the link's title, and next to it whether the
  // document's bytes are pinned by a SHA-256 ("not pinned" when not: the reference
  // names a document, it does not prove its bytes).
  function docLink(doc, label) {
    if (!doc || !doc.url) return null;
    const tip = (doc.title || doc.url) + (doc.quote ? '\n\u201c' + doc.quote + '\u201d' : '');
    return h('span', { class: 'doc' },
      h('a', { href: doc.url, rel: 'noopener noreferrer', class: 'ext', title: tip }, label || t('link.source')), ' ', pinMark(doc));
  }
  function pinMark(doc) {
    if (doc.sha256) return h('span', { class: 'pin pinned', 'data-pin': 'sha256', title: 'SHA-256 ' + doc.sha256 }, t('src.pinned', { h: doc.sha256.slice(0, 12) + '\u2026' }));
    return h('span', { class: 'pin', 'data-pin': 'none', title: t('src.notPinnedTitle') }, t('src.notPinned'));
  }
  function partyLink(id) {
    const p = store.byID.get(id);
    return p ? h('a', { href: '#/p/' + id }, CL.name(p)) : h('span', null, id);
  }

  const STATUS_SYM = { achieved: '✓', on_track: '✓', peak_achieved: '✓', off_track: '✗', expired_missed: '✗', peak_missed: '✗', pending: '◷', peak_unconfirmed: '?', not_assessable: '–', none: '–', overdue: '!' };
  // statusBadge says a progress status in words; with overdue ({since}) it says
  // instead that the target's year has passed with no inventory since that year.
  function statusBadge(status, overdue) {
    const st = status || 'none';
    if (overdue) {
      return h('span', { class: 'badge st-overdue', 'data-status': st, 'data-overdue': overdue.since || 0 },
        h('span', { class: 'sym', 'aria-hidden': 'true' }, STATUS_SYM.overdue),
        overdue.since ? t('status.overdue', { year: overdue.since }) : t('status.overdueNone'));
    }
    return h('span', { class: 'badge st-' + st, 'data-status': st }, h('span', { class: 'sym', 'aria-hidden': 'true' }, STATUS_SYM[st] || ''), t('status.' + st));
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

  // ---- boundaries ----

  // boundaryOf is a target's or inventory's boundary_type as it counts (SPEC §6.6:
  // absent means community).
  const boundaryOf = (x) => (x && x.boundary_type) || 'community';
  // boundaryTag labels a figure of another boundary than the community's ("municipal
  // operations"); community-wide figures, the default, carry no label.
  function boundaryTag(bt) {
    if (!bt || bt === 'community') return null;
    return h('span', { class: 'tag boundary', 'data-boundary': bt }, CL.has('boundary.' + bt) ? t('boundary.' + bt) : bt);
  }
  // progressBoundary is the boundary of a progress row's target, when the row says it
  // (the list's progress rows name it only in a reason's parameters).
  const progressBoundary = (pr) => (pr && (pr.boundary_type || (pr.reason_params && pr.reason_params.boundary))) || '';

  // ---- standing with the Declaration ----

  // GROUPS are the Declaration groups of projections.DeclarationGroups, in order.
  const GROUPS = ['signatory_2015', 'endorser_2016', 'participant', 'not_endorser'];
  // declReason says in the reader's language why a jurisdiction is in its group
  // (projections.Declaration; the API's reason is the English sentence).
  function declReason(d) {
    if (!d || !d.group) return '';
    const summits = (ss) => CL.list((ss || []).map((x) => (CL.has('summitFull.' + x) ? t('summitFull.' + x) : x)));
    if (d.group === 'participant') return t('decl.reason.participant', { summits: summits(d.participated) });
    if (d.group === 'not_endorser') return t('decl.reason.not_endorser');
    const also = (d.participated || []).length ? CL.sep() + t('decl.alsoTookPart', { summits: summits(d.participated) }) : '';
    return t('decl.reason.' + d.group, { summits: summits(d.endorsed) }) + also;
  }
  // declBadge is a jurisdiction's group as a badge, its reason as the title.
  function declBadge(d) {
    if (!d || !d.group) return null;
    return h('span', { class: 'badge decl g-' + d.group, 'data-group': d.group, title: declReason(d) }, t('group.' + d.group));
  }

  // ---- the four commitments ----

  function windowVars() {
    const l = store.list || {};
    return { from: (l.as_of_year || new Date().getFullYear()) - (l.inventory_window_years || 0) };
  }

  // commitmentMarks returns the marks of the four commitments (targets, inventories,
  // plan, partnership) as the projections judge them, each with its rule as a title.
  // The text of each mark links to the signed event that shows it (the first of its
  // evidence; for an inventory too old to count, the latest inventory).
  function commitmentMarks(c, latest) {
    c = c || {};
    const one = (k, text) => {
      const x = c[k] || { met: false, evidence: [] };
      const ev = (x.evidence || [])[0] || (k === 'inventories' ? latest : null);
      const m = mark(x.met, ev && ev.event_id ? eventLink(ev.event_id, text(x)) : text(x));
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
  // ---- self-reported or attested ----

  // An attestation attests a figure when its opinion is unmodified or modified
  // (qualified); an adverse opinion says the figure is materially misstated, and a
  // disclaimer says the verifier gives no opinion: neither is an attestation.
  // Retracted attestations, and attestations of a retracted event, do not count.
  const ATTESTING = ['unmodified', 'modified'];
  function liveAttestations(atts, eventID) {
    return (atts || []).filter((a) => a.subject && a.subject.event_id === eventID && !a.retracted && !a.subject_retracted);
  }
  // provenance says whether the figures of the events ids are attested: {attested:
  // true, by: [rows]} when every one is attested, else {attested: false, other:
  // [rows that are not attestations: adverse opinions and disclaimers]}.
  function provenance(ids, atts) {
    ids = (ids || []).filter(Boolean);
    const by = [];
    const other = [];
    let all = ids.length > 0;
    for (const id of ids) {
      const live = liveAttestations(atts, id);
      const yes = live.filter((a) => ATTESTING.includes(a.opinion));
      if (!yes.length) all = false;
      yes.forEach((a) => { if (!by.some((b) => b.verifier === a.verifier)) by.push(a); });
      live.filter((a) => !ATTESTING.includes(a.opinion)).forEach((a) => other.push(a));
    }
    return all ? { attested: true, by: by, other: other } : { attested: false, by: [], other: other };
  }
  // attestationText describes one attestation row in words: "attested by X (limited
  // assurance)", "adverse opinion by X", "disclaimer of opinion by X — not an
  // attestation".
  function attestationText(a) {
    const who = CL.name(store.byID.get(a.verifier)) || a.verifier;
    const vars = { who: who, assurance: t('assur.' + a.assurance) };
    if (a.opinion === 'unmodified') return t('prov.attested', vars);
    if (a.opinion === 'modified') return t('prov.qualified', vars);
    if (a.opinion === 'adverse') return t('prov.adverse', vars);
    return t('prov.disclaimer', vars);
  }
  // provMark is the mark for figures from the events ids: "self-reported" or
  // "attested by …", followed by any adverse opinion or disclaimer, shown as such.
  function provMark(ids, atts) {
    const p = provenance(ids, atts);
    const kids = [];
    if (p.attested) {
      kids.push(h('span', { class: 'prov attested', 'data-prov': 'attested' }, h('span', { class: 'sym', 'aria-hidden': 'true' }, '✓'), p.by.map(attestationText).join('; ')));
    } else {
      kids.push(h('span', { class: 'prov self', 'data-prov': 'self' }, t('prov.self')));
    }
    p.other.forEach((a) => kids.push(' ', h('span', { class: 'prov ' + a.opinion, 'data-prov': a.opinion }, attestationText(a))));
    return h('span', { class: 'provs' }, kids);
  }
  // progressInventories returns the inventory events a progress row rests on: the
  // latest, and the base year's and the anchor's when they are inventories.
  function progressInventories(pr) {
    if (!pr) return [];
    const ids = [];
    const add = (f) => { if (f && f.from === 'inventory') (f.sources || []).forEach((r) => { if (!ids.includes(r.event_id)) ids.push(r.event_id); }); };
    add(pr.latest);
    add(pr.base);
    (pr.anchors || []).forEach((a) => { if (a.anchor === pr.status_anchor) add(a.start); });
    if (pr.peak) add(pr.peak.maximum);
    return ids;
  }

  // ---- the main target now ----

  const TYPES = ['base_year_absolute', 'fixed_level', 'base_year_intensity', 'baseline_scenario', 'trajectory', 'peak', 'net_zero'];
  const nowYear = () => new Date().getFullYear();
  const assessable = (pr) => pr.type !== 'base_year_intensity' && pr.reason_code !== 'no_baseline_figure';
  // mainTarget picks, among progress rows of active targets, the one that matters now
  // in the reader's calendar: an assessable type first; then the earliest target
  // year not yet past; else the latest target year; then the type's order and the
  // id. The server's main target (by the latest inventory year) is only the fallback.
  function mainTarget(targets, fallback) {
    const ts = (targets || []).filter(Boolean);
    if (!ts.length) return fallback || null;
    const year = nowYear();
    const ok = (pr) => (assessable(pr) ? 0 : 1);
    const due = (pr) => ((pr.target_year || 0) >= year ? 0 : 1);
    return ts.slice().sort((a, b) => ok(a) - ok(b) || due(a) - due(b) ||
      (due(a) === 0 ? (a.target_year || 0) - (b.target_year || 0) : (b.target_year || 0) - (a.target_year || 0)) ||
      TYPES.indexOf(a.type) - TYPES.indexOf(b.type) || (a.target_id < b.target_id ? -1 : a.target_id > b.target_id ? 1 : 0))[0];
  }
  // overdue reports, for a progress row whose target year is past in the reader's
  // calendar with no inventory after it (and not achieved), {since: the latest
  // inventory year, or 0 without any}; else null.
  function overdue(pr) {
    if (!pr || !pr.target_year || pr.target_year >= nowYear()) return null;
    if (['achieved', 'expired_missed', 'peak_achieved', 'peak_missed', 'peak_unconfirmed'].includes(pr.status)) return null;
    if (pr.status === 'not_assessable' && pr.reason_code !== 'no_inventory') return null;
    const y = pr.latest ? pr.latest.year : 0;
    if (y > pr.target_year) return null;
    return { since: y };
  }

  // targetTitle names a target in words from its body or progress row: "40% below
  // 1990 by 2030", "Peak emissions around 2020", "Net zero by 2045".
  function targetTitle(b, pr) {
    b = b || fromProgress(pr);
    const type = b.type || (pr && pr.type);
    const ty = b.target_year || (pr && pr.target_year) || b.peak_year;
    switch (type) {
      case 'base_year_absolute':
        if (b.reduction_pct !== undefined && b.base_year) return t('title.reduction', { pct: CL.fmtNum(Number(b.reduction_pct), 1), base: b.base_year, year: ty });
        if (b.target_emissions_tco2e !== undefined) return t('title.level', { v: CL.mtShort(b.target_emissions_tco2e), year: ty });
        break;
      case 'fixed_level':
        if (b.target_emissions_tco2e !== undefined) return t('title.level', { v: CL.mtShort(b.target_emissions_tco2e), year: ty });
        break;
      case 'base_year_intensity':
        if (b.reduction_pct !== undefined) return t('title.intensity', { pct: CL.fmtNum(Number(b.reduction_pct), 1), base: b.base_year, year: ty });
        break;
      case 'baseline_scenario':
        if (b.reduction_pct !== undefined) return t('title.baseline', { pct: CL.fmtNum(Number(b.reduction_pct), 1), year: ty });
        break;
      case 'trajectory': return t('title.trajectory', { year: ty });
      case 'peak': return t('title.peak.' + (b.qualifier || (pr && pr.peak && pr.peak.qualifier) || 'by'), { year: b.peak_year || ty });
      case 'net_zero': return t('title.netzero', { year: ty });
    }
    return type ? t('type.' + type) + (ty ? ' · ' + ty : '') : '';
  }

  // fromProgress rebuilds what a title needs from a progress row (the list carries
  // no target bodies): the base year, the reduction it implies, the target level.
  function fromProgress(pr) {
    const b = {};
    if (!pr) return b;
    b.type = pr.type;
    if (pr.target_year) b.target_year = pr.target_year;
    if (pr.peak) { b.peak_year = pr.peak.peak_year; b.qualifier = pr.peak.qualifier; }
    const tl = pr.target && pr.target.tco2e !== undefined ? Number(pr.target.tco2e) : null;
    if (pr.type === 'base_year_absolute' && pr.base && tl !== null && Number(pr.base.tco2e) > 0) {
      b.base_year = pr.base.year;
      b.reduction_pct = Math.round((1 - tl / Number(pr.base.tco2e)) * 1000) / 10;
    } else if (tl !== null) {
      b.target_emissions_tco2e = tl;
    }
    return b;
  }

  // ---- downloads ----

  // download saves text as a file.
  function download(filename, type, text) {
    const url = URL.createObjectURL(new Blob([text], { type: type }));
    const a = h('a', { href: url, download: filename, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }
  function csvCell(v) {
    const x = v === null || v === undefined ? '' : String(v);
    return /[",\n\r]/.test(x) ? '"' + x.replace(/"/g, '""') + '"' : x;
  }
  // toCSV writes rows (objects) with columns (keys) as RFC 4180 CSV with a header.
  function toCSV(columns, rows) {
    return [columns.join(',')].concat(rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))).join('\r\n') + '\r\n';
  }
  // downloads returns the CSV and JSON buttons of a table: name is the file name
  // without its extension, columns the keys of rows (plain values; every row carries
  // the event id it comes from).
  function downloads(name, columns, rows) {
    const get = typeof rows === 'function' ? rows : () => rows;
    return h('p', { class: 'downloads', 'data-download': name },
      t('dl.label') + ' ',
      h('button', { type: 'button', class: 'btn small', 'data-format': 'csv', onclick: () => download(name + '.csv', 'text/csv;charset=utf-8', toCSV(columns, get())) }, 'CSV'),
      ' ',
      h('button', { type: 'button', class: 'btn small', 'data-format': 'json', onclick: () => download(name + '.json', 'application/json', JSON.stringify(get(), null, 2) + '\n') }, 'JSON'));
  }

  Object.assign(CL, {
    h: h, s: s, append: append, clear: clear, tableRoles: tableRoles, main: main, section: section,
    api: api, store: store, view: view, wit: wit,
    eventHref: eventHref, eventLink: eventLink, verifyLink: verifyLink, docLink: docLink, partyLink: partyLink,
    statusBadge: statusBadge, mark: mark, boundaryOf: boundaryOf, boundaryTag: boundaryTag, progressBoundary: progressBoundary, GROUPS: GROUPS, declReason: declReason, declBadge: declBadge, flag: flag, windowVars: windowVars, commitmentMarks: commitmentMarks,
    provenance: provenance, provMark: provMark, attestationText: attestationText, progressInventories: progressInventories,
    liveAttestations: liveAttestations, mainTarget: mainTarget, overdue: overdue, nowYear: nowYear, targetTitle: targetTitle,
    download: download, toCSV: toCSV, downloads: downloads
  });
})(window.CL);
