// The contactkit mock's page. Everything it shows comes from clients (paths,
// headers, bodies, app ids, names), so every text goes in through textContent or
// a text node: nothing here ever parses a string as HTML.
'use strict';

const MAX_ROWS = 500;
const $ = (id) => document.getElementById(id);

// el builds an element; strings among children become text nodes, never markup.
function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

function notice(msg) {
  const n = $('notice');
  n.textContent = msg;
  n.hidden = !msg;
}

// api calls the admin API; a state change sends JSON, which no cross-site form can.
async function api(method, path, body) {
  const init = { method, headers: { 'Accept': 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.body = body === undefined ? '{}' : JSON.stringify(body);
    if (method === 'DELETE') delete init.body;
  }
  const resp = await fetch(path, init);
  let json = null;
  try { json = await resp.json(); } catch (e) { /* not JSON */ }
  if (!resp.ok) {
    let msg = (json && json.message) || resp.statusText;
    if (json && json.errors) msg += ' ' + Object.entries(json.errors).map(([k, v]) => k + ': ' + v).join('; ');
    if (resp.status === 401 || resp.status === 403) msg = 'The admin API refused: ' + msg + ' (is --admin-token set? reload and log in)';
    throw new Error(msg);
  }
  return json;
}

// ---- the feed ----

const entries = new Map(); // seq -> entry
let filters = { status: '', app: '', op: '' };

function verdict(e) {
  if (e.injected) return ['injected', 'INJECTED'];
  if (e.violations && e.violations.some((v) => v.check === 'answer')) return ['broken', 'BROKEN'];
  if (e.violations && e.violations.length) return ['refused', 'REFUSED'];
  return ['ok', 'OK'];
}

function matches(e) {
  const s = filters.status.trim().toLowerCase();
  if (s) {
    if (/^[1-5]xx$/.test(s)) { if (Math.floor(e.status / 100) !== Number(s[0])) return false; }
    else if (String(e.status) !== s) return false;
  }
  if (filters.app && e.app !== filters.app) return false;
  if (filters.op && e.operation_id !== filters.op) return false;
  return true;
}

function headersText(h) {
  if (!h) return '';
  return Object.keys(h).sort().map((k) => h[k].map((v) => k + ': ' + v).join('\n')).join('\n');
}

function bodyText(m) {
  if (!m || !m.body) return m && m.body_bytes ? '(' + m.body_bytes + ' bytes not kept)' : '(no body)';
  let text = m.body;
  if (m.body_encoding === 'base64') return '(base64) ' + text;
  if (!m.truncated) {
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* show as sent */ }
  }
  return m.truncated ? text + '\n… (cut; ' + m.body_bytes + ' bytes in all)' : text;
}

function detailRow(e) {
  const notes = [];
  if (e.injected) notes.push(el('p', { class: 'note injected', text: 'Injected on purpose, not the API\'s behaviour: ' + e.injected }));
  for (const v of e.violations || []) notes.push(el('p', { class: 'note refused', text: v.check + ': ' + v.message }));
  if (e.problem && !(e.violations || []).length) notes.push(el('p', { class: 'note', text: 'problem: ' + e.problem }));
  const side = (title, m) => el('div', null,
    el('h4', { text: title + ' headers' }), el('pre', { class: 'headers', text: headersText(m && m.headers) }),
    el('h4', { text: title + ' body' }), el('pre', { class: 'body', text: bodyText(m) }));
  return el('tr', { class: 'detail' }, el('td', { colspan: '7' }, ...notes,
    el('div', { class: 'detail-grid' }, side('request', e.request), side('answer', e.response))));
}

function entryRow(e) {
  const [cls, word] = verdict(e);
  const t = new Date(e.time);
  const tr = el('tr', { class: 'entry', 'data-seq': String(e.seq) },
    el('td', { text: t.toLocaleTimeString() }),
    el('td', { text: e.method }),
    el('td', { class: 'path', text: e.path }),
    el('td', { class: 'status status-' + Math.floor(e.status / 100), text: e.status ? String(e.status) : '—' }),
    el('td', { text: e.operation_id || '' }),
    el('td', null, el('span', { class: 'badge ' + cls, text: word })),
    el('td', { text: (e.duration_ms || 0).toFixed(1) }));
  tr.addEventListener('click', () => {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('detail')) next.remove();
    else tr.after(detailRow(e));
  });
  return tr;
}

function renderFeed() {
  const body = $('feed').tBodies[0];
  const rows = [...entries.values()].filter(matches).sort((a, b) => b.seq - a.seq).slice(0, MAX_ROWS);
  body.replaceChildren(...rows.map(entryRow));
  $('feed-empty').hidden = rows.length > 0;
  $('feed-count').textContent = entries.size ? '(' + entries.size + ')' : '';
}

function addEntry(e) {
  if (entries.has(e.seq)) return;
  entries.set(e.seq, e);
  if (entries.size > MAX_ROWS * 2) {
    const oldest = [...entries.keys()].sort((a, b) => a - b).slice(0, entries.size - MAX_ROWS);
    for (const k of oldest) entries.delete(k);
  }
  if (e.app) noteApp(e.app);
  if (e.injected) loadFaults().catch(() => {}); // its hits changed
  const newest = Math.max(...entries.keys());
  if (e.seq === newest && matches(e)) {
    const body = $('feed').tBodies[0];
    body.prepend(entryRow(e));
    while (body.rows.length > MAX_ROWS) body.lastElementChild.remove();
    $('feed-empty').hidden = true;
    $('feed-count').textContent = '(' + entries.size + ')';
  } else {
    renderFeed();
  }
}

async function loadJournal() {
  const res = await api('GET', 'requests');
  for (const e of res.data || []) entries.set(e.seq, e);
  for (const e of res.data || []) if (e.app) noteApp(e.app);
  renderFeed();
}

let source = null;
function connect() {
  if (source) source.close();
  source = new EventSource('requests/stream');
  source.addEventListener('open', () => { $('live').textContent = 'live'; $('live').className = 'pill on'; });
  source.addEventListener('request', (ev) => {
    try { addEntry(JSON.parse(ev.data)); } catch (e) { /* skip a bad event */ }
  });
  source.addEventListener('error', () => { $('live').textContent = 'reconnecting…'; $('live').className = 'pill off'; });
}

// ---- faults ----

function faultText(r) {
  const parts = [];
  for (const k of ['op', 'app', 'method', 'status', 'retry_after', 'cut', 'body']) if (r[k]) parts.push(k + '=' + r[k]);
  if (r.latency_ms) parts.push('latency=' + r.latency_ms.join('-') + 'ms');
  if (r.times) parts.push('times=' + r.times);
  if (r.rate) parts.push('rate=' + r.rate);
  return '#' + r.id + ' ' + parts.join(', ') + ' — fired ' + r.hits + (r.times ? '/' + r.times : '');
}

async function loadFaults() {
  const res = await api('GET', 'faults');
  const list = $('faults');
  list.replaceChildren(...(res.data || []).map((r) => el('li', { text: faultText(r) })));
  if (!list.children.length) list.append(el('li', { class: 'empty', text: 'No faults: every answer is the contract\'s.' }));
}

async function addFault(ev) {
  ev.preventDefault();
  const rule = {};
  const op = $('fault-op').value, app = $('fault-app').value.trim(), method = $('fault-method').value;
  if (op) rule.op = op;
  if (app) rule.app = app;
  if (method) rule.method = method;
  const [kind, value] = $('fault-action').value.split(':');
  if (kind === 'status') rule.status = Number(value);
  if (kind === 'cut') rule.cut = value;
  if (kind === 'body') rule.body = value;
  const lo = $('fault-lat-min').value, hi = $('fault-lat-max').value;
  if (lo !== '') rule.latency_ms = hi !== '' ? [Number(lo), Number(hi)] : [Number(lo)];
  if ($('fault-times').value !== '') rule.times = Number($('fault-times').value);
  if ($('fault-rate').value !== '') rule.rate = Number($('fault-rate').value);
  try {
    await api('POST', 'faults', rule);
    notice('');
  } catch (e) { notice(e.message); }
  loadFaults();
}

// ---- apps ----

const knownApps = new Set();
function noteApp(id) {
  if (knownApps.has(id)) return;
  knownApps.add(id);
  renderApps();
}

function renderApps() {
  const list = $('apps');
  list.replaceChildren(...[...knownApps].sort().map((id) =>
    el('li', null, el('a', { onclick: () => showApp(id), text: id }))));
}

let shownApp = '';
async function showApp(id) {
  shownApp = id;
  try {
    const resp = await fetch('apps/' + encodeURIComponent(id), { credentials: 'same-origin' });
    const file = await resp.json();
    if (!resp.ok) throw new Error(file.message || resp.statusText);
    const rows = (file.apps && file.apps[id]) || [];
    $('app-title').textContent = id;
    $('app-count').textContent = rows.length + ' contacts, newest first';
    $('contacts').tBodies[0].replaceChildren(...rows.slice(0, 200).map((c) => el('tr', null,
      el('td', { text: c.name }), el('td', { text: String(c.phone) }),
      el('td', { text: c.is_blocked ? 'yes' : '' }), el('td', { text: c.created_at }))));
    $('app-view').hidden = false;
    noteApp(id);
  } catch (e) { notice(e.message); }
}

async function loadApps() {
  const res = await api('GET', 'apps');
  for (const id of (res.data && res.data.apps) || []) knownApps.add(id);
  renderApps();
}

// ---- wiring ----

async function guarded(fn) {
  try { await fn(); notice(''); } catch (e) { notice(e.message); }
}

async function loadOps() {
  // The operations, from the contract the mock serves (its operationId lines).
  const resp = await fetch('/openapi.yaml');
  const text = await resp.text();
  const sel = $('fault-op');
  for (const m of text.matchAll(/^\s*operationId:\s*([A-Za-z0-9_]+)\s*$/gm)) {
    sel.append(el('option', { value: m[1], text: m[1] }));
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('reset').addEventListener('click', () => guarded(async () => {
    await api('POST', 'reset');
    await Promise.all([loadFaults(), shownApp ? showApp(shownApp) : null]);
  }));
  $('clear-journal').addEventListener('click', () => guarded(async () => {
    await api('DELETE', 'requests');
    entries.clear();
    renderFeed();
  }));
  $('clear-faults').addEventListener('click', () => guarded(async () => { await api('DELETE', 'faults'); await loadFaults(); }));
  $('fault-form').addEventListener('submit', addFault);
  $('refresh-apps').addEventListener('click', () => guarded(loadApps));
  $('app-form').addEventListener('submit', (ev) => { ev.preventDefault(); const id = $('app-name').value.trim(); if (id) showApp(id); });
  $('empty-app').addEventListener('click', () => guarded(async () => { await api('DELETE', 'apps/' + encodeURIComponent(shownApp)); await showApp(shownApp); }));
  for (const k of ['status', 'app', 'op']) {
    $('filter-' + k).addEventListener('input', (ev) => { filters[k] = ev.target.value; renderFeed(); });
  }
  guarded(async () => { await Promise.all([loadJournal(), loadFaults(), loadApps(), loadOps()]); });
  connect();
});
