// climateledger dashboard. Plain JavaScript, no dependencies, no build step; the
// files load in this order: i18n.js (texts, language, formats), witness.js, ui.js
// (building the page, the API, shared marks), verify.js (checks in the browser),
// party.js, network.js, event.js, then this file: routing, live updates, the footer
// and the start. It reads the node's public API only: /v1/parties, /v1/parties/{id},
// /v1/state, /v1/subscribe (server-sent events), /v1/witnesses, /v1/events/{id} with
// its proofs, /v1/checkpoint and /v1/proofs/consistency.
//
// ?lang=en|zh picks the language; ?live=0 turns live updates off (a static page). The
// page follows the log by polling until the reader first interacts with it, then by
// server-sent events, so that tools that wait for the network to settle (headless
// screenshots with --virtual-time-budget) never wait on the stream.
(function (CL) {
  'use strict';

  const { t, h, append, clear, main, store, view, wit, api } = CL;

  const liveOff = /[?&]live=0\b/.test(location.search);

  async function loadParties() {
    const raw = await api.get('/v1/parties');
    store.list = raw;
    store.parties = raw.parties || [];
    store.byID = new Map(store.parties.map((p) => [p.id, p]));
    store.asOf = new Date();
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

  // ---- routing ----

  function parseRoute() {
    let m = /^#\/p\/([a-z0-9][a-z0-9-]{0,62})$/.exec(location.hash);
    if (m) return { name: 'party', id: m[1] };
    m = /^#\/e\/([0-7][0-9A-HJKMNP-TV-Z]{25})(\/verify)?$/.exec(location.hash);
    if (m) return { name: 'event', id: m[1], sub: m[2] ? 'verify' : '' };
    return { name: 'network', id: '' };
  }

  let navigated = false; // the first view is drawn
  async function navigate(focusMain) {
    const r = parseRoute();
    view.name = r.name;
    view.id = r.id;
    view.sub = r.sub || '';
    view.seen = new Set();
    try {
      if (!store.parties.length || r.name === 'network') await loadParties();
      if (r.name === 'party') {
        view.detail = await CL.loadParty(r.id);
        CL.renderParty();
      } else if (r.name === 'event') {
        const x = await CL.renderEventView(r.id);
        if (view.sub === 'verify') CL.runVerify(x);
      } else {
        view.detail = null;
        CL.renderNetwork();
      }
    } catch (e) {
      renderError(e);
    }
    if (!navigated) {
      navigated = true;
      if (pending) { pending = false; scheduleRefresh(); }
      startLiveAfterLoad();
    }
    if (focusMain) {
      const h1 = main().querySelector('h1');
      (h1 || main()).focus({ preventScroll: false });
    }
  }
  function renderError(e) {
    const m = main();
    clear(m);
    if (e.status === 404 && (view.name === 'party' || view.name === 'event')) {
      append(m, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← ' + t('back'))));
      append(m, h('h1', { tabindex: '-1' }, view.name === 'party' ? t('notfound', { id: view.id }) : t('ev.notfound', { id: view.id })));
      return;
    }
    append(m, h('div', { class: 'error', role: 'alert' }, e.offline ? t('offline.load') : t('error', { msg: e.message }), ' ',
      h('button', { type: 'button', class: 'btn', onclick: () => navigate(false) }, t('retry'))));
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
    renderAudit();
  }

  // renderAudit writes the audit command to check the whole log without trusting
  // this page: with the log key (and the witnesses' keys and quorum when the node has
  // witnesses).
  function renderAudit() {
    const el = document.getElementById('audit-cmd');
    if (!el) return;
    const parts = ['climateledger audit --server ' + location.origin];
    if (store.logKey) parts.push('--log-key ' + store.logKey.key);
    const info = wit.current();
    if (info && info.witnesses && info.witnesses.length) {
      info.witnesses.forEach((w) => parts.push('--witness ' + w.verifier_key));
      parts.push('--witness-quorum ' + info.quorum);
    }
    el.textContent = parts.join(' ');
  }
  CL.renderAudit = renderAudit;

  function applyLanguage() {
    const lang = CL.lang();
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.getAttribute('data-i18n')); });
    const b = document.getElementById('lang');
    const other = lang === 'zh' ? 'en' : 'zh';
    b.textContent = CL.TEXT[other]['lang.button'];
    b.setAttribute('lang', other === 'zh' ? 'zh-CN' : 'en');
    b.setAttribute('aria-label', CL.TEXT[other]['lang.label']);
    document.title = t('app.title') + ' — climateledger';
    const link = document.getElementById('lang-link');
    if (link) {
      link.setAttribute('href', '?lang=' + lang + (liveOff ? '&live=0' : '') + location.hash);
      link.textContent = t('foot.langLink');
    }
    setLive(liveState);
  }

  // ---- live updates ----

  let liveState = liveOff ? 'off' : 'connecting';
  function setLive(st) {
    liveState = st;
    const el = document.getElementById('live');
    el.setAttribute('data-state', st);
    const text = document.getElementById('live-text');
    text.textContent = st === 'offline' ? t('live.offlineAsOf', { time: store.asOf ? CL.hhmm(store.asOf) : '–' }) : t('live.' + st);
    let retry = document.getElementById('live-retry');
    if (st === 'offline' && !retry) {
      retry = h('button', { type: 'button', id: 'live-retry', class: 'retry', onclick: reconnect }, t('retry'));
      el.appendChild(retry);
    } else if (st !== 'offline' && retry) {
      retry.remove();
    } else if (retry) {
      retry.textContent = t('retry');
    }
  }

  // onReach hears from every API call: a network failure means offline (keep what
  // is on screen, say how old it is); an answer after that means back.
  CL.onReach = (ok) => {
    if (liveOff) return;
    if (!ok && liveState !== 'offline') { setLive('offline'); ensurePolling(); }
    if (ok && liveState === 'offline') { setLive(es && es.readyState === 1 ? 'live' : 'polling'); scheduleRefresh(); }
  };

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
      if (view.name === 'network' && (document.getElementById('results') || !before.size)) {
        if (!document.getElementById('results')) CL.renderNetwork(); else CL.renderResults(changed);
        if (changed.size) announce(t('updated', { what: Array.from(changed).map((id) => t('updated.party', { name: CL.name(store.byID.get(id)) })).join(', ') }));
      } else if (view.name === 'party') {
        view.detail = await CL.loadParty(view.id);
        const scroll = window.scrollY;
        CL.renderParty();
        window.scrollTo(0, scroll);
        const fresh = main().querySelectorAll('.flash[data-event], .flash [data-event]').length;
        if (changed.has(view.id)) announce(t('updated', { what: t('updated.party', { name: CL.name(view.detail.party) }) }));
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
  let lastCheckpoint = '';
  // ensurePolling polls the log-signed checkpoint (cheap, and it changes with every
  // new entry; the witnessed one may lag, or be missing): every second while server-
  // sent events do not get through, every 5 seconds while offline.
  function ensurePolling() {
    if (pollTimer || liveOff) return;
    const tick = async () => {
      pollTimer = setTimeout(tick, liveState === 'offline' ? 5000 : 1000);
      let now;
      try {
        const r = await fetch('/v1/checkpoint?latest=1', { cache: 'no-store' });
        if (!r.ok) throw new Error(r.statusText);
        now = await r.text();
      } catch (e) {
        setLive('offline');
        return;
      }
      if (liveState === 'offline') { setLive(es && es.readyState === 1 ? 'live' : 'polling'); lastCheckpoint = ''; }
      else if (!(es && es.readyState === 1) && liveState !== 'polling') setLive('polling');
      if (es && es.readyState === 1) { stopPolling(); }
      if (!lastCheckpoint) { lastCheckpoint = now; scheduleRefresh(); } // catch up with what came meanwhile
      if (now !== lastCheckpoint) { lastCheckpoint = now; scheduleRefresh(); }
    };
    pollTimer = setTimeout(tick, 0);
  }
  function stopPolling() {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }

  let es = null;
  let liveRetry = null;
  function startLive() {
    if (liveOff) return;
    if (!window.EventSource) { setLive('polling'); ensurePolling(); return; }
    let failures = 0;
    es = new EventSource('/v1/subscribe');
    const mine = es;
    const onNotice = () => scheduleRefresh();
    es.onopen = () => {
      failures = 0;
      if (navigated) scheduleRefresh(); // a new stream does not replay what came before it
      setLive('live');
      stopPolling();
    };
    es.onmessage = onNotice;
    // projections sends "notice" per changed view and "reset" when it cannot say
    // what was missed: either way, refetch what is on screen.
    es.addEventListener('notice', onNotice);
    es.addEventListener('reset', onNotice);
    es.onerror = () => {
      failures++;
      if (mine.readyState === EventSource.CLOSED || failures > 3) {
        // No server-sent events here (or they keep failing): poll the checkpoint
        // instead, and try the stream again later.
        mine.close();
        if (es === mine) es = null;
        if (liveState !== 'offline') setLive('polling');
        ensurePolling();
        clearTimeout(liveRetry);
        liveRetry = setTimeout(startLive, 30000);
      } else if (liveState !== 'offline') {
        setLive('connecting');
        ensurePolling(); // says "offline" at once when nothing answers
      }
    };
  }

  // reconnect is the Retry button: start the live connection again and reload.
  function reconnect() {
    if (es) { es.close(); es = null; }
    clearTimeout(liveRetry);
    stopPolling();
    lastCheckpoint = '';
    setLive('connecting');
    startLive();
    ensurePolling();
    navigate(false);
  }

  // startLiveAfterLoad starts following the log once the page has loaded and drawn
  // its first view: first by polling the checkpoint (each request ends), and with the
  // server-sent event stream from the reader's first interaction (pointer, key,
  // touch, wheel). A stream never ends, so opening it at once would keep a headless
  // browser that waits for the network to settle (--virtual-time-budget, "screenshot
  // one-liners") waiting for ever; ?live=0 turns both off.
  let liveStarted = false;
  function startLiveAfterLoad() {
    if (liveStarted || liveOff) return;
    liveStarted = true;
    const begin = () => {
      if (liveState === 'connecting') setLive('polling');
      ensurePolling();
      const kinds = ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'wheel'];
      const upgrade = () => {
        kinds.forEach((k) => window.removeEventListener(k, upgrade, true));
        if (!es) startLive();
      };
      kinds.forEach((k) => window.addEventListener(k, upgrade, { capture: true, passive: true }));
    };
    if (document.readyState === 'complete') setTimeout(begin, 0);
    else window.addEventListener('load', () => setTimeout(begin, 0), { once: true });
  }

  // ---- start ----

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { CL.redrawChart(); CL.redrawCompare(); }, 150);
  });

  document.addEventListener('DOMContentLoaded', () => {
    document.getElementById('lang').addEventListener('click', () => {
      CL.setLang(CL.lang() === 'zh' ? 'en' : 'zh');
      applyLanguage();
      if (view.name === 'network') CL.renderNetwork();
      else if (view.name === 'party' && view.detail) CL.renderParty();
      else if (view.name === 'event') navigate(false);
      renderFoot();
      document.getElementById('lang').focus();
    });
    window.addEventListener('hashchange', () => navigate(true));
    applyLanguage();
    renderAudit();
    CL.loadLogKey().then(renderAudit).catch(() => {});
    loadState();
    wit.load();
    navigate(false);
  });
})(window.CL);
