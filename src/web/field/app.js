/* jemput's field app: record activation attempts offline, send them when there is signal.
 *
 * How each offline failure known from other projects is handled here (see the README's
 * "field app" section and ../shared/web.md):
 * - site data wiped or evicted: navigator.storage.persist() after sign-in and at start; a
 *   standing banner with the queue count and the oldest record's age when refused; "Unduh
 *   data tertunda" downloads the queue as a file /sync/activations accepts as it is, and
 *   "Muat berkas data tertunda" puts such a file back in the queue ("storage", "exportQueue",
 *   "importQueue").
 * - a service-worker update: the queue is in its own IndexedDB database, which no worker
 *   cleans, with forward-only schema migrations (MIGRATIONS); a new worker waits and is
 *   applied only when the officer taps it and under the sync lock ("update").
 * - IndexedDB errors: every write is a 'strict' transaction, "saved" is said only on its
 *   complete event, a quota error stops new entries and asks to send or download ("db").
 * - a record is deleted only on `created` or `duplicate`; `conflict` and `rejected` are
 *   kept aside, shown, exportable; the UUIDv7 id is the only key ("pushAttempts").
 * - the queue never stalls: sync on open, `online`, `visibilitychange`, after each save and
 *   on "Kirim sekarang", with backoff (Retry-After honoured) capped at 5 minutes, and no
 *   automatic retry after an authentication failure ("sync").
 * - one tab syncs (Web Lock 'field-sync'); a call that finds it taken looks again after a
 *   second, so records queued during another sync do not wait for the next trigger; a
 *   BroadcastChannel keeps other tabs current.
 * - token refresh only under the Web Lock 'field-refresh', re-reading the token after taking
 *   it; the server's grace window covers a lost answer; an auth failure never clears the
 *   queue, it asks to sign in again ("refresh").
 * - wrong phone clocks: the offset from the server's Date header is kept, used for token
 *   expiry and kept with each record ("clock").
 * A NIK is kept only in its queued record and deleted with it once the server has
 * acknowledged it; it is never logged or shown back. */
'use strict';

const API = '/api/v1';
const BATCH = 500;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
// A sync that finds another one running looks again after this long.
const LOCKED_RETRY_MS = 1000;
const $ = (sel) => document.querySelector(sel);
const $$ = (sel) => Array.from(document.querySelectorAll(sel));

/* ---------- db: the queue and the office's data, in IndexedDB ---------- */

const DB_NAME = 'jemput-field';
// Forward-only: version n runs MIGRATIONS[n-1]; never edit one that has shipped.
const MIGRATIONS = [
  (db) => {
    db.createObjectStore('meta');
    db.createObjectStore('events', { keyPath: 'id' });
    db.createObjectStore('channels', { keyPath: 'key' });
    db.createObjectStore('staff', { keyPath: ['event_id', 'user_id'] });
    // kind: attempt | event | hours; state: pending | conflict | rejected.
    db.createObjectStore('queue', { keyPath: 'id' });
  },
];
let db = null;
let quotaFull = false;

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, MIGRATIONS.length);
    req.onupgradeneeded = (e) => {
      for (let v = e.oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v](req.result, req.transaction);
    };
    req.onsuccess = () => {
      const d = req.result;
      d.onversionchange = () => { d.close(); fatal('Aplikasi diperbarui di tab lain: muat ulang halaman ini.'); };
      resolve(d);
    };
    req.onerror = () => reject(req.error);
    req.onblocked = () => fatal('Tutup tab lain aplikasi ini, lalu muat ulang.');
  });
}

/* Runs fn(stores) in one transaction; resolves with fn's result once the transaction is
 * complete (durably written for 'readwrite'), rejects with the transaction's error. */
function tx(names, mode, fn) {
  return new Promise((resolve, reject) => {
    let t;
    try {
      t = db.transaction(names, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined);
    } catch (e) { reject(e); return; }
    const stores = {};
    for (const n of [].concat(names)) stores[n] = t.objectStore(n);
    let out;
    try { out = fn(stores); } catch (e) { try { t.abort(); } catch (_) { /* already done */ } reject(e); return; }
    t.oncomplete = () => resolve(out instanceof IDBRequest ? out.result : out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new DOMException('aborted', 'AbortError'));
  }).catch((e) => {
    if (e && e.name === 'QuotaExceededError') { quotaFull = true; renderQuota(); }
    throw e;
  });
}
const getAll = (store) => tx(store, 'readonly', (s) => s[store].getAll());
const getMeta = (key) => tx('meta', 'readonly', (s) => s.meta.get(key));
const setMeta = (key, value) => tx('meta', 'readwrite', (s) => { s.meta.put(value, key); });

/* ---------- clock: the server's time, whatever the phone's clock says ---------- */

let clockOffset = 0; // server time minus phone time, in ms
function noteClock(res) {
  const d = Date.parse(res.headers.get('Date') || '');
  if (!Number.isNaN(d)) {
    clockOffset = d - Date.now();
    setMeta('clock', clockOffset).catch(() => {});
  }
}
const serverNow = () => Date.now() + clockOffset;

function rfc3339(ms) {
  // Local time with the phone's offset, as the API asks.
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const pad = (n) => String(Math.abs(n)).padStart(2, '0');
  const local = new Date(ms + off * 60000).toISOString().slice(0, 23);
  return `${local}${off >= 0 ? '+' : '-'}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

function uuidv7() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  let t = Date.now();
  for (let i = 5; i >= 0; i--) { b[i] = t % 256; t = Math.floor(t / 256); }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/* ---------- api and refresh ---------- */

class AuthError extends Error {}
class NetError extends Error {}
class Busy extends Error {
  constructor(ms, status) { super('busy ' + status); this.ms = ms; this.status = status; }
}

function retryAfter(res) {
  const v = res.headers.get('Retry-After');
  if (!v) return null;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - serverNow());
}

async function send(method, path, body, token) {
  const headers = { 'Accept': 'application/json', 'Accept-Language': 'id' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let res;
  try {
    res = await fetch(API + path, {
      method, headers, cache: 'no-store', credentials: 'omit',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new NetError('no answer');
  }
  noteClock(res);
  return res;
}

const withLock = (name, fn) =>
  navigator.locks ? navigator.locks.request(name, fn) : fn();

async function saveTokens(body, res) {
  noteClock(res);
  const tokens = {
    access: body.access_token,
    refresh: body.refresh_token,
    // Judged by the server's clock (the phone's may be years off), with a margin.
    expires_at: serverNow() + (body.expires_in - Math.min(15, Math.floor(body.expires_in / 5))) * 1000,
    dead: false,
  };
  await tx('meta', 'readwrite', (s) => {
    s.meta.put(tokens, 'tokens');
    s.meta.put(body.user, 'user');
  });
  user = body.user;
  return tokens;
}

/* A fresh access token. Refreshes under the 'field-refresh' lock: whoever waited for the
 * lock re-reads the tokens and uses the new ones if another tab already refreshed. */
async function accessToken(stale) {
  const t = await getMeta('tokens');
  if (!t || t.dead) throw new AuthError('signed out');
  if (t.access !== stale && t.expires_at > serverNow()) return t.access;
  return withLock('field-refresh', async () => {
    const cur = await getMeta('tokens');
    if (!cur || cur.dead) throw new AuthError('signed out');
    if (cur.access !== stale && cur.expires_at > serverNow()) return cur.access;
    const res = await send('POST', '/auth/refresh', { refresh_token: cur.refresh });
    if (res.status === 401 || res.status === 400 || res.status === 422) {
      // The login is over (revoked, expired, or the user deactivated). The queue stays.
      await setMeta('tokens', { ...cur, dead: true });
      throw new AuthError('refresh refused');
    }
    if (!res.ok) throw new Busy(retryAfter(res), res.status);
    const body = await res.json();
    return (await saveTokens(body, res)).access;
  });
}

/* An API call with the stored tokens; one refresh and retry on 401. Busy on 429/5xx. */
async function api(method, path, body) {
  let token = await accessToken(null);
  let res = await send(method, path, body, token);
  if (res.status === 401) {
    token = await accessToken(token);
    res = await send(method, path, body, token);
    if (res.status === 401) {
      const cur = await getMeta('tokens');
      if (cur) await setMeta('tokens', { ...cur, dead: true });
      throw new AuthError('unauthorized');
    }
  }
  if (res.status === 429 || res.status >= 500) throw new Busy(retryAfter(res), res.status);
  return res;
}

async function problemOf(res) {
  try { return await res.json(); } catch (_) { return { status: res.status, title: 'HTTP ' + res.status }; }
}

/* ---------- the queue ---------- */

const queueItems = () => getAll('queue');
const pendingOf = (items) => items.filter((q) => q.state === 'pending');

async function enqueue(item) {
  await tx('queue', 'readwrite', (s) => { s.queue.put(item); });
  changed();
}

const channel = 'BroadcastChannel' in self ? new BroadcastChannel('jemput-field') : null;
function changed() {
  if (channel) channel.postMessage('changed');
  render().catch(report);
}
if (channel) channel.onmessage = () => { render().catch(report); };

/* ---------- sync ---------- */

let backoffMs = 0;
let retryTimer = null;
let syncing = false;

function schedule(ms) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(() => sync('retry'), ms);
}

function sync(why) {
  if (!user) return Promise.resolve();
  // One tab (or worker) syncs at a time; a call that finds the lock taken looks again soon.
  const run = async (lock) => {
    if (lock === null) {
      // Another sync holds the lock and may have read the queue before this call's records
      // went in (an import, a save): look again shortly, or they would wait for the next
      // trigger. A failing holder's backoff replaces this timer.
      schedule(LOCKED_RETRY_MS);
      return;
    }
    syncing = true;
    clearTimeout(retryTimer);
    status('Mengirim…');
    try {
      await pushEvents();
      await pushAttempts();
      await pushHours();
      await pull();
      backoffMs = 0;
      // Records left the phone: there is room again (a full storage blocked new entries).
      quotaFull = false;
      $('#login-why').hidden = true;
      status('Terkirim, ' + new Date().toLocaleTimeString('id-ID', { hour: '2-digit', minute: '2-digit' }) + '.');
    } catch (e) {
      if (e instanceof AuthError) {
        status('Masuk lagi untuk mengirim. Catatan tetap tersimpan di ponsel.');
        showLogin(true);
      } else if (e instanceof NetError || e instanceof Busy) {
        backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs ? backoffMs * 2 : 2000);
        const wait = e instanceof Busy && e.ms != null ? Math.max(e.ms, 1000)
          : backoffMs / 2 + Math.random() * backoffMs / 2;
        schedule(wait);
        if (!navigator.onLine) status('Luring: dikirim otomatis saat ada sinyal.');
        else status(`Belum terkirim (${e instanceof Busy ? 'server sibuk' : 'tidak ada jawaban'}). Dicoba lagi dalam ${Math.ceil(wait / 1000)} detik.`);
      } else {
        report(e);
      }
    } finally {
      syncing = false;
      changed();
    }
  };
  return navigator.locks
    ? navigator.locks.request('field-sync', { ifAvailable: true }, run)
    : run(true);
}

async function pushEvents() {
  const items = pendingOf(await queueItems()).filter((q) => q.kind === 'event');
  for (const q of items) {
    const res = await api('POST', '/events', q.body);
    if (res.status === 200 || res.status === 201) {
      const ev = await res.json();
      await tx(['queue', 'events'], 'readwrite', (s) => { s.queue.delete(q.id); s.events.put(ev); });
    } else {
      await setAside(q, res.status === 409 ? 'conflict' : 'rejected', await problemOf(res));
    }
  }
}

async function pushAttempts() {
  const items = pendingOf(await queueItems()).filter((q) => q.kind === 'attempt');
  items.sort((a, b) => (a.id < b.id ? -1 : 1));
  for (let i = 0; i < items.length; i += BATCH) {
    const batch = items.slice(i, i + BATCH);
    const res = await api('POST', '/sync/activations', { items: batch.map((q) => q.body) });
    if (!res.ok) {
      // The whole request refused (a bug here, or a limit changed): keep everything.
      throw new Busy(retryAfter(res), res.status);
    }
    const { results } = await res.json();
    await tx('queue', 'readwrite', (s) => {
      results.forEach((r, k) => {
        const q = batch[k];
        if (!q) return;
        // Only these two mean "stored on the server": then, and only then, the record
        // (and with it its NIK) leaves the phone.
        if (r.status === 'created' || r.status === 'duplicate') s.queue.delete(q.id);
        else s.queue.put({ ...q, state: r.status, error: r.error || null });
      });
    });
  }
}

async function pushHours() {
  const items = pendingOf(await queueItems()).filter((q) => q.kind === 'hours');
  for (const q of items) {
    const res = await api('PUT', `/events/${encodeURIComponent(q.event_id)}/staff/${encodeURIComponent(q.user_id)}`, q.body);
    if (res.ok) {
      const row = await res.json().catch(() => null);
      await tx(['queue', 'staff'], 'readwrite', (s) => {
        s.queue.delete(q.id);
        if (row && row.event_id) s.staff.put(row);
      });
    } else {
      await setAside(q, res.status === 409 ? 'conflict' : 'rejected', await problemOf(res));
    }
  }
}

const setAside = (q, state, error) => tx('queue', 'readwrite', (s) => { s.queue.put({ ...q, state, error }); });

async function pull() {
  let cursor = await getMeta('cursor');
  for (let round = 0; round < 100; round++) {
    const qs = '?limit=200' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
    const res = await api('GET', '/sync/changes' + qs);
    if (res.status === 422 && cursor) { cursor = null; continue; } // an old cursor: start over
    if (!res.ok) throw new Busy(retryAfter(res), res.status);
    const ch = await res.json();
    await tx(['events', 'channels', 'staff', 'meta'], 'readwrite', (s) => {
      for (const c of ch.channels) s.channels.put(c);
      for (const e of ch.events) s.events.put(e);
      const ids = new Set(ch.events.map((e) => e.id));
      // Each event's staff list comes whole: replace the phone's.
      s.staff.getAll().onsuccess = (ev) => {
        for (const row of ev.target.result) if (ids.has(row.event_id)) s.staff.delete([row.event_id, row.user_id]);
        for (const row of ch.staff) s.staff.put(row);
      };
      s.meta.put(ch.next_cursor, 'cursor');
    });
    cursor = ch.next_cursor;
    if (!ch.has_more) return;
  }
}

/* ---------- checks the server makes, made here first ---------- */

const PROVINCES = new Set([11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53, 61,
  62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97]);

/* As the server's domain::Nik: 16 digits, a real province code, a real birth date DDMMYY
 * (DD + 40 for women) in digits 7 to 12, in 19YY or 20YY. */
function nikValid(s) {
  if (!/^[0-9]{16}$/.test(s)) return false;
  const two = (i) => Number(s.slice(i, i + 2));
  if (!PROVINCES.has(two(0))) return false;
  let day = two(6);
  if (day > 40) day -= 40;
  const month = two(8);
  const yy = two(10);
  return [1900 + yy, 2000 + yy].some((y) => {
    const d = new Date(Date.UTC(y, month - 1, day));
    return month >= 1 && month <= 12 && day >= 1 && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
  });
}

const AREA = /^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$/;

/* ---------- screen ---------- */

let user = null;
let selected = null;

function status(text) { $('#sync-status').textContent = text; }
function fatal(text) { const f = $('#fatal'); f.textContent = text; f.hidden = false; }
function report(e) {
  if (e && e.name === 'QuotaExceededError') return;
  fatal('Terjadi galat di aplikasi: ' + (e && e.message ? e.message : e) + '. Data yang tersimpan tetap aman.');
}

const STATUS_ID = { open: 'terbuka', submitted: 'dikirim ke supervisor', approved: 'disetujui', returned: 'dikembalikan' };

function fmtDate(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString('id-ID', { dateStyle: 'medium', timeStyle: 'short' });
}

function age(ms) {
  const m = Math.round(ms / 60000);
  if (m < 60) return `${m} menit`;
  if (m < 48 * 60) return `${Math.round(m / 60)} jam`;
  return `${Math.round(m / 1440)} hari`;
}

function showLogin(again) {
  $('#login').hidden = false;
  $('#login-why').hidden = !again;
}

async function render() {
  const [items, events, channels, staff] = await Promise.all([
    queueItems(), getAll('events'), getAll('channels'), getAll('staff')]);
  const pending = pendingOf(items);
  $('#pending-count').textContent = String(pending.length);
  $('#who').textContent = user ? ' · ' + (user.full_name || user.username) : '';
  $('#logout').hidden = !user;
  $('#work').hidden = !user;
  if (!user) showLogin(false);
  renderStorage(pending);
  renderProblems(items.filter((q) => q.state !== 'pending'), events);

  const sel = $('#event-select');
  const chName = new Map(channels.map((c) => [c.key, c.name]));
  const shown = events.slice().sort((a, b) => (a.starts_at < b.starts_at ? 1 : -1));
  if (!selected || !shown.some((e) => e.id === selected)) selected = shown.length ? shown[0].id : null;
  sel.replaceChildren(...shown.map((e) => {
    const o = document.createElement('option');
    o.value = e.id;
    o.textContent = `${e.title} (${STATUS_ID[e.status] || e.status})`;
    o.selected = e.id === selected;
    return o;
  }));
  const chSelect = $('#event-form select[name=channel_key]');
  if (chSelect.options.length !== channels.length) {
    chSelect.replaceChildren(...channels.map((c) => {
      const o = document.createElement('option');
      o.value = c.key;
      o.textContent = c.name;
      return o;
    }));
  }
  const ev = events.find((e) => e.id === selected);
  renderEvent(ev, chName, staff, items);
}

function renderEvent(ev, chName, staff, items) {
  const info = $('#event-info');
  const blocked = $('#attempt-blocked');
  const form = $('#attempt-form');
  info.replaceChildren();
  if (!ev) {
    info.textContent = 'Belum ada kegiatan. Tekan "Kirim sekarang" saat ada sinyal, atau buat kegiatan baru.';
    form.hidden = true;
    blocked.hidden = true;
    $('#hours').hidden = true;
    return;
  }
  form.hidden = false;
  const p = (text, cls) => { const el = document.createElement('p'); el.textContent = text; if (cls) el.className = cls; info.append(el); };
  p(`${chName.get(ev.channel_key) || ev.channel_key} · ${fmtDate(ev.starts_at)}${ev.venue ? ' · ' + ev.venue : ''}`);
  p('Status: ' + (STATUS_ID[ev.status] || ev.status) + (ev.local ? ' (belum terkirim)' : ''), 'event-status');
  const team = staff.filter((r) => r.event_id === ev.id);
  if (team.length) p('Petugas: ' + team.map((r) => `${r.full_name} (${String(r.hours).replace('.', ',')} jam)`).join(', '));
  if (ev.status === 'returned' && ev.review_comment) p('Catatan supervisor: ' + ev.review_comment, 'banner warn');
  const approved = ev.status === 'approved';
  blocked.hidden = !approved;
  blocked.textContent = approved
    ? 'Kegiatan ini sudah disetujui supervisor: tidak bisa menambah percobaan. Bila masih ada yang perlu dicatat, minta supervisor mengembalikan laporannya.'
    : '';
  for (const el of form.elements) el.disabled = approved || quotaFull;
  // Staff hours: the event's creator while it is open or returned (as the API allows).
  const mine = user && ev.created_by === user.id && (ev.status === 'open' || ev.status === 'returned');
  $('#hours').hidden = !mine;
  if (mine) {
    const q = items.find((i) => i.kind === 'hours' && i.event_id === ev.id && i.user_id === user.id);
    const row = staff.find((r) => r.event_id === ev.id && r.user_id === user.id);
    const input = $('#hours-form input[name=hours]');
    if (document.activeElement !== input) input.value = q ? q.body.hours : row ? row.hours : '';
  }
}

const WHAT_TO_DO = {
  validation_failed: 'Periksa isian yang disebut, lalu catat ulang dengan benar dan buang yang ini.',
  not_found: 'Kegiatannya belum ada di server: kirim kegiatan dulu, lalu tekan "Kirim ulang".',
  // `rejected` with code conflict: the event is approved.
  conflict: 'Minta supervisor mengembalikan laporan kegiatan bila percobaan ini masih perlu dicatat, lalu tekan "Kirim ulang". Bila tidak, buang catatan ini.',
  // `conflict` status: another record holds this id on the server.
  clash: 'Catatan di server yang dipakai. Laporkan ke kantor; unduh data tertunda sebagai bukti, lalu buang catatan ini.',
  forbidden: 'Catatan ini bukan milik akun yang sedang masuk. Laporkan ke kantor.',
  malformed_request: 'Galat aplikasi. Unduh data tertunda dan kirim berkasnya ke kantor.',
};

function renderProblems(items, events) {
  const list = $('#problem-list');
  $('#problems').hidden = items.length === 0;
  const title = new Map(events.map((e) => [e.id, e.title]));
  list.replaceChildren(...items.map((q) => {
    const li = document.createElement('li');
    const head = document.createElement('p');
    const what = q.kind === 'attempt' ? 'Percobaan' : q.kind === 'event' ? 'Kegiatan' : 'Jam kerja';
    head.textContent = `${what} ${q.kind === 'attempt' ? (q.body.outcome === 'activated' ? 'berhasil' : 'gagal') : ''} · ${title.get(q.event_id) || ''} · ${fmtDate(q.created_at)}`;
    const e = q.error || {};
    const msg = document.createElement('p');
    msg.className = 'error';
    const parts = [];
    if (q.state === 'conflict' && q.kind === 'attempt') parts.push('Id ini sudah tersimpan di server dengan isi berbeda.');
    if (e.detail) parts.push(e.detail);
    else if (e.title) parts.push(e.title);
    for (const f of e.errors || []) parts.push(`${f.field}: ${f.message || f.code}`);
    msg.textContent = parts.join(' ');
    const todo = document.createElement('p');
    todo.textContent = WHAT_TO_DO[q.state === 'conflict' ? 'clash' : e.code] || WHAT_TO_DO.malformed_request;
    const again = document.createElement('button');
    again.type = 'button';
    again.className = 'small';
    again.textContent = 'Kirim ulang';
    again.onclick = () => tx('queue', 'readwrite', (s) => { s.queue.put({ ...q, state: 'pending', error: null }); })
      .then(() => { changed(); return sync('again'); }).catch(report);
    const drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'small';
    drop.textContent = 'Buang';
    drop.onclick = () => {
      if (!confirm('Buang catatan ini dari ponsel? Unduh data tertunda dulu bila ragu.')) return;
      tx('queue', 'readwrite', (s) => { s.queue.delete(q.id); }).then(changed).catch(report);
    };
    li.append(head, msg, todo, again, drop);
    return li;
  }));
}

/* ---------- storage: persistence, banner, export, import ---------- */

let persisted = false;

async function askPersist() {
  if (!navigator.storage || !navigator.storage.persist) return;
  try {
    persisted = await navigator.storage.persisted() || await navigator.storage.persist();
  } catch (_) { persisted = false; }
  render().catch(report);
}

function renderStorage(pending) {
  const banner = $('#storage-banner');
  const show = (!persisted && user) || quotaFull;
  banner.hidden = !show;
  if (!show) return;
  const oldest = pending.reduce((m, q) => Math.min(m, q.created_at), Infinity);
  let text = quotaFull
    ? 'Memori ponsel penuh: catatan baru tidak bisa disimpan. Kirim sekarang atau unduh data tertunda, lalu kosongkan ruang.'
    : 'Penyimpanan belum permanen: browser dapat menghapus data aplikasi ini bila ponsel kekurangan ruang.';
  text += ` ${pending.length} catatan belum terkirim`;
  if (pending.length) text += ` (tertua ${age(Date.now() - oldest)} lalu)`;
  text += '. Kirim saat ada sinyal, atau unduh data tertunda sebagai cadangan.';
  $('#storage-text').textContent = text;
}

function renderQuota() {
  if (document.readyState !== 'loading') render().catch(() => {});
}

function download(name, data) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/* The attempts waiting (and those set aside) as the body of POST /sync/activations, which
 * accepts it again as it is (same ids: nothing counted twice); events created offline in
 * a second file, the body of POST /events each. */
async function exportQueue() {
  const items = await queueItems();
  const day = new Date().toISOString().slice(0, 10);
  const attempts = items.filter((q) => q.kind === 'attempt').map((q) => q.body);
  download(`jemput-data-tertunda-${day}.json`, { items: attempts });
  const events = items.filter((q) => q.kind === 'event').map((q) => q.body);
  if (events.length) download(`jemput-kegiatan-tertunda-${day}.json`, { events });
  $('#tools-msg').textContent = `${attempts.length} percobaan diunduh.`;
}

const ITEM_FIELDS = ['id', 'event_id', 'staff_id', 'recorded_at', 'outcome', 'failure_reason', 'age_band', 'sex', 'area_code', 'nik'];

async function importQueue(file) {
  const msg = $('#tools-msg');
  let data;
  try { data = JSON.parse(await file.text()); } catch (_) { msg.textContent = 'Berkas tidak bisa dibaca (bukan JSON).'; return; }
  const list = data && Array.isArray(data.items) ? data.items : null;
  if (!list) { msg.textContent = 'Berkas ini bukan data tertunda jemput.'; return; }
  const ok = list.filter((i) => i && typeof i.id === 'string' && typeof i.event_id === 'string' && typeof i.outcome === 'string');
  const have = new Set((await queueItems()).map((q) => q.id));
  const fresh = ok.filter((i) => !have.has(i.id)).map((i) => {
    const body = {};
    for (const f of ITEM_FIELDS) if (typeof i[f] === 'string') body[f] = i[f];
    return { id: body.id, kind: 'attempt', state: 'pending', event_id: body.event_id, created_at: Date.now(), clock_offset: clockOffset, body };
  });
  await tx('queue', 'readwrite', (s) => { for (const q of fresh) s.queue.put(q); });
  msg.textContent = `${fresh.length} percobaan dimuat ke antrean.`;
  changed();
  sync('import');
}

/* ---------- forms ---------- */

async function onLogin(e) {
  e.preventDefault();
  const f = e.target;
  const err = $('#login-error');
  err.textContent = '';
  const body = { username: f.username.value.trim(), password: f.password.value };
  let res;
  try {
    res = await send('POST', '/auth/login', body);
  } catch (_) {
    err.textContent = 'Perlu sinyal untuk masuk. Coba lagi saat ada sinyal.';
    return;
  }
  if (!res.ok) {
    const p = await problemOf(res);
    err.textContent = p.detail || p.title || 'Gagal masuk.';
    return;
  }
  await saveTokens(await res.json(), res);
  f.password.value = '';
  $('#login').hidden = true;
  await askPersist();
  await render();
  sync('login');
}

function field(form, name) {
  const el = form.elements[name];
  if (el instanceof RadioNodeList) return el.value;
  return el ? el.value.trim() : '';
}

async function onAttempt(e) {
  e.preventDefault();
  const f = e.target;
  const err = $('#attempt-error');
  const ok = $('#attempt-saved');
  err.textContent = '';
  ok.textContent = '';
  const ev = (await getAll('events')).find((x) => x.id === selected);
  if (!ev) { err.textContent = 'Pilih kegiatan dulu.'; return; }
  if (ev.status === 'approved') { err.textContent = 'Kegiatan ini sudah disetujui: tidak bisa menambah percobaan.'; return; }
  const outcome = field(f, 'outcome');
  const reason = field(f, 'failure_reason');
  const nik = field(f, 'nik').replace(/\s+/g, '');
  const area = field(f, 'area_code');
  const problems = [];
  if (outcome !== 'activated' && outcome !== 'failed') problems.push('Pilih hasil: berhasil atau gagal.');
  if (outcome === 'failed' && !reason) problems.push('Alasan gagal wajib diisi bila gagal.');
  if (nik && !nikValid(nik)) problems.push('NIK harus 16 angka dengan kode provinsi dan tanggal lahir yang valid.');
  if (area && !AREA.test(area)) problems.push('Kode wilayah harus seperti 63.01.01.2001.');
  if (problems.length) { err.textContent = problems.join(' '); return; }
  const id = uuidv7();
  const body = { id, event_id: ev.id, staff_id: user.id, recorded_at: rfc3339(serverNow()), outcome };
  if (outcome === 'failed') body.failure_reason = reason;
  const ageBand = field(f, 'age_band');
  const sex = field(f, 'sex');
  if (ageBand) body.age_band = ageBand;
  if (sex) body.sex = sex;
  if (area) body.area_code = area;
  if (nik) body.nik = nik;
  try {
    await enqueue({ id, kind: 'attempt', state: 'pending', event_id: ev.id, created_at: Date.now(), clock_offset: clockOffset, body });
  } catch (x) {
    err.textContent = x && x.name === 'QuotaExceededError'
      ? 'Memori ponsel penuh: percobaan ini TIDAK tersimpan. Kirim sekarang atau unduh data tertunda.'
      : 'Percobaan ini TIDAK tersimpan: ' + (x && x.message ? x.message : x);
    return;
  }
  // Only now, with the transaction complete, is it saved.
  ok.textContent = 'Tersimpan di ponsel.';
  f.reset();
  f.nik.value = '';
  if (navigator.onLine) sync('saved');
}

async function onEvent(e) {
  e.preventDefault();
  const f = e.target;
  const err = f.querySelector('.error');
  err.textContent = '';
  const starts = new Date(f.starts_at.value);
  const ends = new Date(f.ends_at.value);
  const area = f.area_code.value.trim();
  if (Number.isNaN(starts.getTime()) || Number.isNaN(ends.getTime()) || ends <= starts) {
    err.textContent = 'Waktu selesai harus setelah waktu mulai.';
    return;
  }
  if (area && !AREA.test(area)) { err.textContent = 'Kode wilayah harus seperti 63.01.01.2001.'; return; }
  const id = uuidv7();
  const body = {
    id, channel_key: f.channel_key.value, title: f.title.value.trim(),
    starts_at: rfc3339(starts.getTime()), ends_at: rfc3339(ends.getTime()),
  };
  if (area) body.area_code = area;
  if (f.venue.value.trim()) body.venue = f.venue.value.trim();
  const local = {
    ...body, office_id: user.office_id, status: 'open', created_by: user.id, local: true,
    starts_at: starts.toISOString(), ends_at: ends.toISOString(),
  };
  try {
    await tx(['queue', 'events'], 'readwrite', (s) => {
      s.queue.put({ id, kind: 'event', state: 'pending', event_id: id, created_at: Date.now(), clock_offset: clockOffset, body });
      s.events.put(local);
    });
  } catch (x) {
    err.textContent = 'Kegiatan TIDAK tersimpan: ' + (x && x.message ? x.message : x);
    return;
  }
  selected = id;
  f.reset();
  $('#new-event').open = false;
  changed();
  if (navigator.onLine) sync('event');
}

async function onHours(e) {
  e.preventDefault();
  const f = e.target;
  const err = f.querySelector('.error');
  const ok = f.querySelector('.ok');
  err.textContent = '';
  ok.textContent = '';
  const hours = Number(f.hours.value);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 744) { err.textContent = 'Jam harus lebih dari 0 dan paling banyak 24 per hari kegiatan.'; return; }
  const id = `hours:${selected}:${user.id}`;
  try {
    await enqueue({ id, kind: 'hours', state: 'pending', event_id: selected, user_id: user.id, created_at: Date.now(), clock_offset: clockOffset, body: { hours } });
  } catch (x) {
    err.textContent = 'Jam kerja TIDAK tersimpan: ' + (x && x.message ? x.message : x);
    return;
  }
  ok.textContent = 'Jam kerja tersimpan di ponsel.';
  if (navigator.onLine) sync('hours');
}

async function onLogout() {
  const pending = pendingOf(await queueItems()).length;
  if (pending && !confirm(`${pending} catatan belum terkirim. Catatan tetap di ponsel dan terkirim setelah masuk lagi. Keluar?`)) return;
  const t = await getMeta('tokens');
  if (t && !t.dead) {
    try { await send('POST', '/auth/logout', { refresh_token: t.refresh }, t.access); } catch (_) { /* offline: the token expires */ }
  }
  await tx('meta', 'readwrite', (s) => { s.meta.delete('tokens'); s.meta.delete('user'); });
  user = null;
  changed();
}

/* ---------- update: a new service worker waits for the officer ---------- */

function watchUpdates(reg) {
  const offer = () => { if (reg.waiting && navigator.serviceWorker.controller) $('#update').hidden = false; };
  offer();
  reg.addEventListener('updatefound', () => {
    const w = reg.installing;
    if (w) w.addEventListener('statechange', () => { if (w.state === 'installed') offer(); });
  });
  $('#update-apply').onclick = () => {
    $('#update-apply').disabled = true;
    // Under the sync lock: never switch code in the middle of a sync.
    withLock('field-sync', async () => {
      if (reg.waiting) reg.waiting.postMessage('skip-waiting');
      await new Promise((r) => setTimeout(r, 3000));
    });
  };
  let reloading = false;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!reloading && !$('#update').hidden) { reloading = true; location.reload(); }
  });
}

/* ---------- start ---------- */

function renderNet() {
  const n = $('#net');
  n.textContent = navigator.onLine ? 'Daring' : 'Luring';
  n.classList.toggle('off', !navigator.onLine);
}

async function start() {
  renderNet();
  try {
    db = await openDb();
  } catch (e) {
    fatal('Penyimpanan ponsel tidak bisa dibuka (' + (e && e.name) + '). Periksa ruang kosong, lalu muat ulang.');
    return;
  }
  clockOffset = (await getMeta('clock')) || 0;
  user = (await getMeta('user')) || null;
  const tokens = await getMeta('tokens');
  if (!tokens) user = null;
  $('#login-form').addEventListener('submit', (e) => onLogin(e).catch(report));
  $('#attempt-form').addEventListener('submit', (e) => onAttempt(e).catch(report));
  $('#event-form').addEventListener('submit', (e) => onEvent(e).catch(report));
  $('#hours-form').addEventListener('submit', (e) => onHours(e).catch(report));
  $('#event-select').addEventListener('change', (e) => { selected = e.target.value; render().catch(report); });
  $('#sync-now').addEventListener('click', () => {
    if (user && !navigator.onLine) status('Tidak ada sinyal: dikirim otomatis saat sinyal kembali.');
    sync('button');
  });
  $('#logout').addEventListener('click', () => onLogout().catch(report));
  for (const b of $$('.download')) b.addEventListener('click', () => exportQueue().catch(report));
  $('#import').addEventListener('change', (e) => { const f = e.target.files[0]; if (f) importQueue(f).catch(report); e.target.value = ''; });
  const toggleReason = () => { $('#reason-field').hidden = field($('#attempt-form'), 'outcome') === 'activated'; };
  $('#attempt-form').addEventListener('change', toggleReason);
  $('#attempt-form').addEventListener('reset', () => setTimeout(toggleReason));
  addEventListener('online', () => { renderNet(); sync('online'); });
  addEventListener('offline', renderNet);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') sync('visible'); });
  await render();
  if (tokens && tokens.dead) { showLogin(true); status('Masuk lagi untuk mengirim. Catatan tetap tersimpan di ponsel.'); }
  if (user) await askPersist();
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js', { scope: './' })
      .then((reg) => { watchUpdates(reg); if (navigator.onLine) reg.update().catch(() => {}); })
      .catch(() => { /* no worker (not HTTPS): the app still works online */ });
  }
  document.documentElement.dataset.ready = '1';
  if (user && !(tokens && tokens.dead)) sync('open');
}

start().catch(report);
