// climateledger dashboard: the log's witnesses. It says who cosigned the newest
// witnessed checkpoint and when (GET /v1/witnesses), in the footer and next to each
// figure's "verify" link, which it pairs with the witnessed proof
// (GET /v1/events/{id}/proof?witnessed=1) once that checkpoint covers the event.
// Loaded before app.js, which calls climateledgerWitnesses(ui) with its helpers; the
// texts are in app.js's tables (keys "wit.*").
(function () {
  'use strict';

  window.climateledgerWitnesses = function (ui) {
    const { t, h, append, clear } = ui;

    // info is GET /v1/witnesses: undefined until it first answers, null when the node
    // has no witnesses (404).
    let info;
    let seq = 0; // the newest request; older answers are dropped
    let followTimer = null;
    let followDelay = 0;
    let followSize = -1;

    async function load() {
      const mine = ++seq;
      let next = info;
      try {
        next = await ui.api.get('/v1/witnesses');
      } catch (e) {
        if (e.status === 404) next = null; // else keep what is shown; try again later
      }
      if (mine !== seq) return;
      info = next;
      render();
      follow();
    }

    // follow asks again while the witnesses lag the log, fail or have cosigned
    // nothing yet (no server-sent notice comes when a checkpoint is cosigned): after
    // 0.5 s, doubling up to 30 s, and from 0.5 s again when the log grows.
    function follow() {
      clearTimeout(followTimer);
      followTimer = null;
      if (!info || (info.witnessed && info.witnessed.size >= info.latest_size && !failing().length)) {
        followDelay = 0;
        return;
      }
      if (info.latest_size !== followSize) followDelay = 0;
      followSize = info.latest_size;
      followDelay = Math.min(followDelay ? followDelay * 2 : 500, 30000);
      followTimer = setTimeout(load, followDelay);
    }

    function failing() {
      return ((info && info.witnesses) || []).filter((w) => w.failures > 0 && w.last_error);
    }

    // holder names a witness by the party that holds it when its name's first DNS
    // label is an enrolled party id ("uslax.witness…" is Los Angeles's), else by its
    // name.
    function holder(witnessName) {
      const p = ui.party(String(witnessName).split('.')[0]);
      return p ? ui.name(p) : witnessName;
    }
    function list(names) {
      const locale = ui.lang() === 'zh' ? 'zh-CN' : 'en';
      if (window.Intl && Intl.ListFormat) return new Intl.ListFormat(locale, { style: 'long', type: 'conjunction' }).format(names);
      return names.join(ui.lang() === 'zh' ? '、' : ', ');
    }
    // utc formats a time as "20:31 UTC", with the date before it when not today's.
    function utc(iso) {
      const d = new Date(iso);
      if (isNaN(d)) return '';
      const p = (n) => String(n).padStart(2, '0');
      const day = d.toISOString().slice(0, 10);
      const hm = p(d.getUTCHours()) + ':' + p(d.getUTCMinutes()) + ' UTC';
      return day === new Date().toISOString().slice(0, 10) ? hm : day + ' ' + hm;
    }

    // cosigned describes the witnessed checkpoint for t(): who, k of n, and the time
    // of the newest cosignature.
    function cosigned() {
      const w = info.witnessed;
      const cs = w.cosignatures || [];
      const newest = cs.reduce((a, c) => (c.time > a ? c.time : a), '');
      return { size: w.size, who: list(cs.map((c) => holder(c.witness))), k: cs.length, n: (info.witnesses || []).length, time: utc(newest) };
    }

    // render draws the footer line and refills every proof mark on the page.
    function render() {
      const cp = document.getElementById('checkpoint-link');
      // While nothing is witnessed, /v1/checkpoint answers 503: link the log-signed one.
      if (cp) cp.setAttribute('href', info && !info.witnessed ? '/v1/checkpoint?latest=1' : '/v1/checkpoint');
      const el = document.getElementById('witnesses');
      if (el) {
        clear(el);
        el.removeAttribute('title');
        el.hidden = info === undefined;
        if (info === null) append(el, t('wit.none'));
        else if (info) {
          if (info.witnessed) {
            const c = cosigned();
            append(el, h('span', { 'data-state': 'cosigned' }, t('wit.cosigned', c) + (c.time ? ' · ' + c.time : '')));
            if (c.size < info.latest_size) append(el, ' · ', h('span', { 'data-state': 'lag' }, t('wit.lag', { latest: info.latest_size, size: c.size })));
          } else {
            append(el, h('span', { 'data-state': 'awaiting' }, t('wit.awaiting', { q: info.quorum, n: (info.witnesses || []).length })));
          }
          for (const w of failing()) append(el, h('span', { class: 'wfail', 'data-state': 'failing' }, t('wit.failing', { who: holder(w.name), err: w.last_error })));
          el.setAttribute('title', (info.witnesses || []).map((w) => w.key).join('\n'));
        }
      }
      document.querySelectorAll('.wproof').forEach(fill);
      if (ui.onInfo) ui.onInfo(info);
    }

    // proofMark returns the mark that goes next to the verify link of the event ref
    // ({event_id, index}) about what: the witnessed proof once covered, else
    // "awaiting witnesses"; hidden where the node has no witnesses.
    function proofMark(ref, what) {
      if (!ref || !ref.event_id || typeof ref.index !== 'number') return null;
      const el = h('span', { class: 'wproof', 'data-id': ref.event_id, 'data-index': ref.index, 'data-what': what });
      fill(el);
      return el;
    }

    // fill brings a proof mark up to date, keeping its link (and the focus on it)
    // when it stays covered.
    function fill(el) {
      el.hidden = !info;
      if (!info) { clear(el); return; }
      const id = el.getAttribute('data-id');
      if (info.witnessed && Number(el.getAttribute('data-index')) < info.witnessed.size) {
        const c = cosigned();
        c.what = el.getAttribute('data-what');
        let a = el.querySelector('a');
        if (!a) {
          clear(el);
          a = h('a', { href: '/v1/events/' + id + '/proof?witnessed=1', download: id + '.witnessed.tlog-proof' });
          append(el, a);
        }
        a.textContent = t('wit.proof');
        a.setAttribute('title', t('wit.proofTitle', c));
        a.setAttribute('aria-label', t('wit.proofLabel', c));
      } else {
        clear(el);
        append(el, h('span', { class: 'tag wait', title: t('wit.waitTitle') }, t('wit.wait')));
      }
    }

    // current returns GET /v1/witnesses as last read (undefined before, null without
    // witnesses).
    return { load: load, render: render, proofMark: proofMark, current: () => info };
  };
})();
