'use strict';
// A Contacts API server written from the API's documentation alone
// (contacts-api-docs.txt), Node.js standard library only. It exists so that
// contactkit's conformance runner can be tried against a correct server it did
// not grow up with: where the documentation is silent this server takes its own
// "choices", each named and flippable with --choice name=value.
//
// Usage: node server.js [--host 127.0.0.1] [--port 0] [--grant TOKEN=APP[,APP]]...
//                       [--seed N] [--contacts N] [--slow] [--choice NAME=VALUE]...
//        node server.js --choices     (prints the default choices as JSON)
// The first line on stdout is "listening on http://HOST:PORT".

const http = require('node:http');
const zlib = require('node:zlib');
const crypto = require('node:crypto');

// The documentation's sentences, word for word.
const MSG = {
  ok: 'The request has been successfully processed.',
  created: 'Data has been successfully inserted.',
  deleted: 'Data has been successfully deleted.',
  bad: 'The request body does not contain valid data.',
  forbidden: 'You do not have access to this resource.',
  notFound: 'The endpoint you are looking for seems to be not found.',
  invalid: 'Data cannot be processed as it is invalid.',
  phoneType: 'Nomor telepon harus ber-tipe data number',
  // Ours: the documentation shows no other wording.
  method: 'The method is not allowed for the requested resource.',
  mediaType: 'The request content type is not supported.',
  phoneInt: 'Nomor telepon harus berupa bilangan bulat',
  phoneRange: 'Nomor telepon di luar jangkauan',
  phonePositive: 'Nomor telepon harus lebih besar dari 0',
  nameType: 'Nama harus ber-tipe data string',
  nameEmpty: 'Nama wajib diisi',
  nameBlank: 'Nama tidak boleh hanya berisi spasi',
  nameLong: (n) => `Nama tidak boleh lebih dari ${n} karakter`,
  extra: 'Kolom tidak dikenal',
  notArray: 'Data harus berupa array JSON',
  emptyBatch: 'Data tidak boleh kosong',
  full: 'Jumlah kontak melebihi batas aplikasi',
};

// Bounds: nothing a client sends grows memory without limit.
const MAX_BODY = 1 << 20; // bytes of a request body
const MAX_CONTACTS = 200000; // contacts per app
const MAX_DEPTH = 64; // nesting of a request body's JSON
const MAX_PAGE = Number.MAX_SAFE_INTEGER;

// The choices this server takes where the documentation is silent. The names and
// values are shared with the Go peer (internal/peers/goserver); the defaults differ.
const CHOICES = {
  json: { def: 'strict', values: ['strict', 'lenient'] },
  notjson: { def: '400', values: ['400', '422'] },
  limitmax: { def: 'clamp', values: ['clamp', '400'] },
  paging: { def: '400', values: ['400', 'default'] },
  order: { def: 'oldest', values: ['oldest', 'newest'] },
  time: { def: 'millis', values: ['millis', 'seconds'] },
  chunked: { def: 'on', values: ['on', 'off'] },
  gzip: { def: 'on', values: ['on', 'off'] },
  charset: { def: 'on', values: ['on', 'off'] },
  cache: { def: 'etag', values: ['etag', 'private'] },
  close: { def: '7', int: [0, 1e6] }, // every Nth answer closes its connection; 0: never
  slow: { def: 'off', values: ['off', 'on'] },
  contacts: { def: '0', int: [0, 100000] }, // contacts every app starts with
  method: { def: '405', values: ['405', '404'] },
  emptybatch: { def: '422', values: ['422', '201'] },
  extra: { def: 'ignore', values: ['ignore', 'refuse'] },
  blankname: { def: 'refuse', values: ['refuse', 'accept'] },
  longname: { def: '0', int: [0, 1e6] }, // most characters in a name; 0: no limit but the body's
  phonerange: { def: 'any', values: ['any', 'positive'] },
  tags: { def: 'words', values: ['words', 'full'] },
  pastlast: { def: 'last', values: ['last', 'requested'] },
  emptymeta: { def: '1', values: ['1', '0'] },
  contenttype: { def: 'strict', values: ['strict', 'ignore'] },
  bearer: { def: 'insensitive', values: ['insensitive', 'exact'] },
};

function parseArgs(argv) {
  const cfg = { host: '127.0.0.1', port: 0, grants: new Map(), seed: 0n, choices: {} };
  for (const [k, v] of Object.entries(CHOICES)) cfg.choices[k] = v.def;
  const setChoice = (kv) => {
    const i = kv.indexOf('=');
    const name = kv.slice(0, i);
    const value = kv.slice(i + 1);
    const c = CHOICES[name];
    if (i < 0 || !c) throw new Error(`unknown choice ${JSON.stringify(kv)}`);
    const okInt = c.int && /^[0-9]+$/.test(value) && +value >= c.int[0] && +value <= c.int[1];
    if (!(c.values ? c.values.includes(value) : okInt)) {
      throw new Error(`choice ${name}: bad value ${JSON.stringify(value)}`);
    }
    cfg.choices[name] = c.int ? String(+value) : value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--host': cfg.host = next(); break;
      case '--port': {
        cfg.port = Number(next());
        if (!Number.isInteger(cfg.port) || cfg.port < 0 || cfg.port > 65535) throw new Error('--port wants 0-65535');
        break;
      }
      case '--seed': cfg.seed = BigInt(next()); break;
      case '--contacts': setChoice(`contacts=${next()}`); break;
      case '--slow': setChoice('slow=on'); break;
      case '--choice': setChoice(next()); break;
      case '--grant': {
        const g = next();
        const eq = g.indexOf('=');
        if (eq <= 0 || eq === g.length - 1) throw new Error(`--grant wants TOKEN=APP[,APP], got ${JSON.stringify(g)}`);
        const apps = cfg.grants.get(g.slice(0, eq)) || new Set();
        for (const app of g.slice(eq + 1).split(',')) if (app) apps.add(app);
        cfg.grants.set(g.slice(0, eq), apps);
        break;
      }
      case '--choices': cfg.printChoices = true; break;
      default: throw new Error(`unknown flag ${a}`);
    }
  }
  if (cfg.grants.size === 0) {
    cfg.grants.set('tok1', new Set(['app1']));
    cfg.grants.set('tok2', new Set(['app2']));
  }
  return cfg;
}

// ---------- JSON ----------

// A JSON number is kept as its text, so that a phone is never rounded through a float.
class Num {
  constructor(text) { this.text = text; }
}

class JSONError extends Error {}

// parseJSON parses text as RFC 8259 JSON into plain values (objects without a
// prototype, numbers as Num). strict: nothing but whitespace may follow the value
// and no string may hold a lone surrogate; otherwise what follows the first value is
// ignored and lone surrogates become U+FFFD, as Go's encoding/json does.
function parseJSON(text, strict) {
  let i = 0;
  const fail = () => { throw new JSONError(`invalid JSON at ${i}`); };
  const ws = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else return;
    }
  };
  const lit = (word, v) => {
    if (text.startsWith(word, i)) { i += word.length; return v; }
    return fail();
  };
  const str = () => {
    i++; // opening quote
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail();
      const c = text.charCodeAt(i);
      if (c === 0x22) { out += text.slice(start, i); i++; return out; }
      if (c < 0x20) fail();
      // Raw surrogates can only be pairs here: the body was decoded from UTF-8.
      if (c !== 0x5c) { i++; continue; }
      out += text.slice(start, i);
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = (at) => {
            const h = text.slice(at, at + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail();
            return parseInt(h, 16);
          };
          const u = hex(i);
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff && text[i] === '\\' && text[i + 1] === 'u') {
            const lo = hex(i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              out += String.fromCharCode(u, lo);
              i += 6;
              break;
            }
          }
          if (u >= 0xd800 && u <= 0xdfff) {
            if (strict) fail();
            out += '\ufffd';
          } else {
            out += String.fromCharCode(u);
          }
          break;
        }
        default: fail();
      }
      start = i;
    }
  };
  const num = () => {
    const m = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    m.lastIndex = i;
    const r = m.exec(text);
    if (!r || r[0] === '' || r[0] === '-') fail();
    i += r[0].length;
    return new Num(r[0]);
  };
  const value = (depth) => {
    if (depth > MAX_DEPTH) fail();
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o = Object.create(null);
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const k = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        o[k] = value(depth + 1);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail();
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail();
      }
    }
    if (c === '"') return str();
    if (c === 't') return lit('true', true);
    if (c === 'f') return lit('false', false);
    if (c === 'n') return lit('null', null);
    return num();
  };
  const v = value(0);
  ws();
  if (strict && i !== text.length) fail();
  return v;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

// integerOf gives the exact integer a JSON number's text stands for ("1e3" and
// "1000.0" are 1000), 'fraction' when it is not an integer, 'range' outside int64.
function integerOf(text) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
  let digits = (m[2] + (m[3] || '')).replace(/^0+/, '');
  if (digits === '') return 0n;
  // The value is digits * 10^e; an exponent this long cannot give an int64 anyway.
  const expText = m[4] || '0';
  if (expText.replace(/^[+-]?0*/, '').length > 6) return expText.startsWith('-') ? 'fraction' : 'range';
  let e = Number(expText) - (m[3] || '').length;
  while (e < 0 && digits.endsWith('0')) { digits = digits.slice(0, -1); e++; }
  if (e < 0) return 'fraction';
  if (digits.length + e > 19) return 'range';
  const v = (m[1] ? -1n : 1n) * BigInt(digits) * 10n ** BigInt(e);
  return v < INT64_MIN || v > INT64_MAX ? 'range' : v;
}

// enc writes JSON, with BigInt phones as exact integers.
function enc(v) {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return `[${v.map(enc).join(',')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${enc(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------- data ----------

// A small deterministic generator (sfc32), seeded from the seed and the app id, so
// that an app's starting contacts are the same on every run.
function prng(seed, app) {
  const h = crypto.createHash('sha256').update(`${seed}\n${app}`).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return { u32: next, int: (n) => next() % n };
}

const FIRST = ['Budi', 'Siti', 'Agus', 'Dewi', 'Rina', 'Andi', 'Putri', 'Joko', 'Ayu', 'Bayu',
  'Wulan', 'Eko', 'Indah', 'Fajar', 'Nur', 'Made', 'Ketut', 'Yohanes', 'Maria', 'Rizky'];
const LAST = ['Santoso', 'Wijaya', 'Pratama', 'Saputra', 'Lestari', 'Hidayat', 'Kusuma',
  'Siregar', 'Nasution', 'Simanjuntak', 'Gunawan', 'Halim', 'Wibowo', 'Setiawan', 'Rahayu'];

function seededContacts(seed, app, n) {
  const r = prng(seed, app);
  const out = [];
  let t = Date.UTC(2024, 4, 14, 4, 51, 48) - n * 60000;
  for (let i = 0; i < n; i++) {
    const b = Buffer.alloc(16);
    for (let j = 0; j < 16; j += 4) b.writeUInt32LE(r.u32(), j);
    b[6] = (b[6] & 0x0f) | 0x40; // uuid version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    const hex = b.toString('hex');
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const words = [FIRST[r.int(FIRST.length)]];
    if (r.int(4) !== 0) words.push(LAST[r.int(LAST.length)]);
    let phone = 628n;
    for (let j = 8 + r.int(3); j > 0; j--) phone = phone * 10n + BigInt(r.int(10));
    t += 1000 + r.int(59000); // increasing, so "oldest first" agrees with created_at
    out.push({ id, name: words.join(' '), phone, blocked: r.int(10) === 0, created: t });
  }
  return out;
}

class Store {
  constructor(cfg) {
    this.cfg = cfg;
    this.apps = new Map(); // only granted apps ever get here, so they are bounded
  }

  app(appId) {
    let a = this.apps.get(appId);
    if (!a) {
      const list = seededContacts(this.cfg.seed, appId, Number(this.cfg.choices.contacts));
      a = { list, byId: new Map(list.map((c) => [c.id, c])) };
      this.apps.set(appId, a);
    }
    return a;
  }
}

// ---------- HTTP ----------

function main() {
  let cfg;
  try {
    cfg = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`server.js: ${e.message}\n`);
    process.exit(2);
  }
  if (cfg.printChoices) {
    process.stdout.write(`${JSON.stringify(cfg.choices)}\n`);
    return;
  }
  const ch = cfg.choices;
  const store = new Store(cfg);
  let answers = 0;

  const fmtTime = (ms) => {
    const iso = new Date(ms).toISOString(); // 2024-05-14T04:51:48.000Z
    return ch.time === 'millis' ? iso : `${iso.slice(0, 19)}+00:00`;
  };
  const contactOut = (c, detail) => {
    const o = { id: c.id, phone: c.phone };
    if (detail) o.tags = tagsOf(c.name);
    else o.tag = c.name;
    o.is_blocked = c.blocked;
    o.created_at = fmtTime(c.created);
    return o;
  };
  const tagsOf = (name) => {
    if (ch.tags === 'full') return [name];
    const words = name.split(/\s+/).filter(Boolean);
    const tags = [name];
    for (const w of [words[0], words[words.length - 1]]) if (w && !tags.includes(w)) tags.push(w);
    return tags;
  };

  function send(req, res, status, env, headers = {}) {
    const deliver = () => {
      if (res.destroyed || res.writableEnded) return; // the client went away meanwhile
      answers++;
      let body = Buffer.from(enc(env));
      res.setHeader('Content-Type', ch.charset === 'on' ? 'application/json; charset=utf-8' : 'application/json');
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      if (req.method === 'GET') {
        if (ch.cache === 'etag') res.setHeader('Cache-Control', 'no-cache');
        else res.setHeader('Cache-Control', 'private, max-age=0');
      }
      const close = Number(ch.close);
      if (close > 0 && answers % close === 0) res.setHeader('Connection', 'close');
      const gz = ch.gzip === 'on' && acceptsGzip(req.headers['accept-encoding']);
      if (gz) res.setHeader('Vary', 'Accept-Encoding');
      if (req.method === 'GET' && status === 200 && ch.cache === 'etag') {
        // Weak: the gzipped and the plain answer share it.
        const tag = `"${crypto.createHash('sha1').update(body).digest('base64url')}"`;
        res.setHeader('ETag', `W/${tag}`);
        if (etagMatches(req.headers['if-none-match'], tag)) {
          res.writeHead(304);
          res.end();
          return;
        }
      }
      if (gz) {
        body = zlib.gzipSync(body);
        res.setHeader('Content-Encoding', 'gzip');
      }
      if (ch.chunked === 'off') res.setHeader('Content-Length', body.length);
      res.writeHead(status);
      if (req.method === 'HEAD') { res.end(); return; }
      // A write before end, with no Content-Length, makes Node answer chunked.
      if (ch.chunked === 'on') res.write(body);
      res.end(ch.chunked === 'on' ? undefined : body);
    };
    if (ch.slow === 'on') setTimeout(deliver, Math.floor(Math.random() * 11));
    else deliver();
  }

  const env = (statusCode, code, message, rest) => ({ statusCode, code, message, ...rest });
  const notFound = (req, res) => send(req, res, 404, env(404, 'NOT_FOUND', MSG.notFound));
  const forbidden = (req, res) => send(req, res, 403, env(403, 'FORBIDDEN', MSG.forbidden));
  const badRequest = (req, res) => send(req, res, 400, env(400, 'BAD_REQUEST', MSG.bad));
  const invalid = (req, res, errors) =>
    send(req, res, 422, env(422, 'UNPROCESSABLE_ENTITY', MSG.invalid, { errors }));
  const notJSON = (req, res) => (ch.notjson === '400' ? badRequest(req, res) : invalid(req, res, { body: MSG.notArray }));

  // authorized: "Bearer <token>" whose token is granted appId; tokens compare exactly.
  const authorized = (req, appId) => {
    const m = /^(\S+) +(\S+)$/.exec(req.headers.authorization || '');
    if (!m) return false;
    const scheme = ch.bearer === 'exact' ? m[1] : m[1].toLowerCase();
    if (scheme !== (ch.bearer === 'exact' ? 'Bearer' : 'bearer')) return false;
    const apps = cfg.grants.get(m[2]);
    return !!apps && apps.has(appId);
  };

  // parseCount reads a page or limit: the number, undefined when absent, null when
  // not a positive integer.
  const parseCount = (raw) => {
    if (raw === null) return undefined;
    if (!/^[0-9]+$/.test(raw)) return null;
    const n = Number(raw);
    if (n === 0) return null;
    return n > MAX_PAGE ? Infinity : n;
  };

  function list(req, res, url, app) {
    let page = parseCount(url.searchParams.get('page'));
    let limit = parseCount(url.searchParams.get('limit'));
    if (page === Infinity) page = null; // a page past what this server can count
    if (ch.paging === '400' && (page === null || limit === null)) return badRequest(req, res);
    page = page || 1;
    limit = limit || 10;
    if (limit > 50) {
      if (ch.limitmax === '400') return badRequest(req, res);
      limit = 50;
    }
    const total = app.list.length;
    const last = total === 0 ? Number(ch.emptymeta) : Math.ceil(total / limit);
    let data = [];
    if (page <= last) {
      const all = ch.order === 'oldest' ? app.list : app.list.slice().reverse();
      data = all.slice((page - 1) * limit, page * limit).map((c) => contactOut(c, false));
    }
    let previous = page === 1 ? null : page - 1;
    if (page > last && ch.pastlast === 'last') previous = last >= 1 ? last : null;
    const meta = {
      total,
      limit,
      current_page: page,
      first_page: 1,
      previous_page: previous,
      next_page: page < last ? page + 1 : null,
      last_page: last,
    };
    send(req, res, 200, env(200, 'OK', MSG.ok, { data, meta }));
  }

  // create reads the body only once the route, the token and the content type are
  // known good, so that those answers never depend on the body.
  function create(req, res, appId) {
    if (ch.contenttype === 'strict') {
      const type = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/json') {
        return send(req, res, 415, env(415, 'UNSUPPORTED_MEDIA_TYPE', MSG.mediaType));
      }
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      const first = size <= MAX_BODY;
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
      else if (first) {
        // Too big: answer now, drop the connection rather than read the rest.
        chunks.length = 0;
        res.setHeader('Connection', 'close');
        res.on('finish', () => req.socket.destroy());
        notJSON(req, res);
      }
    });
    req.on('end', () => {
      if (size > MAX_BODY) return;
      try {
        createRows(req, res, appId, Buffer.concat(chunks));
      } catch (e) {
        oops(req, res, e);
      }
    });
  }

  function createRows(req, res, appId, body) {
    let rows;
    try {
      const text = new TextDecoder('utf-8', { fatal: ch.json === 'strict', ignoreBOM: true }).decode(body);
      rows = parseJSON(text, ch.json === 'strict');
    } catch {
      return notJSON(req, res);
    }
    if (!Array.isArray(rows)) return notJSON(req, res);
    if (rows.length === 0) {
      if (ch.emptybatch === '422') return invalid(req, res, { body: MSG.emptyBatch });
      return send(req, res, 201, env(201, 'CREATED', MSG.created));
    }
    const errors = {};
    const fresh = [];
    rows.forEach((row, i) => {
      const isObj = row !== null && typeof row === 'object' && !Array.isArray(row) && !(row instanceof Num);
      const r = isObj ? row : Object.create(null);
      const name = r.name;
      if (typeof name !== 'string') errors[`${i}.name`] = MSG.nameType;
      else if (name === '') errors[`${i}.name`] = MSG.nameEmpty;
      else if (ch.blankname === 'refuse' && name.trim() === '') errors[`${i}.name`] = MSG.nameBlank;
      else if (Number(ch.longname) > 0 && [...name].length > Number(ch.longname)) {
        errors[`${i}.name`] = MSG.nameLong(ch.longname);
      }
      let phone;
      if (!(r.phone instanceof Num)) errors[`${i}.phone`] = MSG.phoneType;
      else {
        phone = integerOf(r.phone.text);
        if (phone === 'fraction') errors[`${i}.phone`] = MSG.phoneInt;
        else if (phone === 'range') errors[`${i}.phone`] = MSG.phoneRange;
        else if (ch.phonerange === 'positive' && phone <= 0n) errors[`${i}.phone`] = MSG.phonePositive;
      }
      if (ch.extra === 'refuse') {
        for (const k of Object.keys(r)) if (k !== 'name' && k !== 'phone') errors[`${i}.${k}`] = MSG.extra;
      }
      fresh.push({ name, phone });
    });
    if (Object.keys(errors).length > 0) return invalid(req, res, errors);
    const app = store.app(appId);
    if (app.list.length + fresh.length > MAX_CONTACTS) return invalid(req, res, { body: MSG.full });
    // All rows are valid: store them all, at once.
    const now = Date.now();
    for (const f of fresh) {
      const c = { id: crypto.randomUUID(), name: f.name, phone: f.phone, blocked: false, created: now };
      app.list.push(c);
      app.byId.set(c.id, c);
    }
    send(req, res, 201, env(201, 'CREATED', MSG.created));
  }

  function route(req, res) {
    let url;
    let segs;
    try {
      url = new URL(req.url, 'http://peer.invalid');
      segs = url.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return notFound(req, res);
    }
    if (segs[0] !== 'contacts' || segs.length < 2 || segs.length > 3 || segs.some((s) => s === '')) {
      return notFound(req, res);
    }
    const [, appId, contactId] = segs;
    const allow = contactId === undefined ? ['GET', 'POST'] : ['GET', 'PUT', 'DELETE'];
    if (!allow.includes(req.method)) {
      if (ch.method === '404') return notFound(req, res);
      return send(req, res, 405, env(405, 'METHOD_NOT_ALLOWED', MSG.method), { Allow: allow.join(', ') });
    }
    if (!authorized(req, appId)) return forbidden(req, res);
    if (contactId === undefined) {
      if (req.method === 'GET') return list(req, res, url, store.app(appId));
      return create(req, res, appId);
    }
    const app = store.app(appId);
    const c = app.byId.get(contactId);
    if (!c) return notFound(req, res);
    switch (req.method) {
      case 'GET':
        return send(req, res, 200, env(200, 'OK', MSG.ok, { data: contactOut(c, true) }));
      case 'PUT':
        c.blocked = !c.blocked; // the documentation's PUT has no body: it toggles
        return send(req, res, 200, env(200, 'OK', MSG.ok, { data: contactOut(c, false) }));
      default: // DELETE
        app.byId.delete(c.id);
        app.list.splice(app.list.indexOf(c), 1);
        return send(req, res, 200, env(200, 'OK', MSG.deleted));
    }
  }

  // oops is a bug of ours: say so on stderr, and answer a 500 rather than crash,
  // so that the tests and the runner see it.
  function oops(req, res, e) {
    process.stderr.write(`server.js: bug: ${e.stack}\n`);
    if (!res.headersSent) send(req, res, 500, env(500, 'INTERNAL_SERVER_ERROR', 'A bug of this server.'));
  }

  const server = http.createServer((req, res) => {
    req.on('error', () => res.destroy());
    res.on('error', () => {}); // a client gone mid-answer is not ours to crash on
    try {
      route(req, res);
    } catch (e) {
      oops(req, res, e);
    }
  });
  // Requests Node's parser refuses still get an envelope.
  server.on('clientError', (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const b = enc(env(400, 'BAD_REQUEST', MSG.bad));
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(b)}\r\nConnection: close\r\n\r\n${b}`);
  });
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  server.on('error', (e) => {
    process.stderr.write(`server.js: ${e.message}\n`);
    process.exit(1);
  });
  server.listen(cfg.port, cfg.host, () => {
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`listening on http://${host}:${port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function acceptsGzip(header) {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';').map((s) => s.trim());
    if (coding.toLowerCase() !== 'gzip') return false;
    const q = params.find((p) => /^q=/i.test(p));
    return !q || Number(q.slice(2)) > 0;
  });
}

function etagMatches(header, tag) {
  if (!header) return false;
  return header.split(',').some((t) => {
    const s = t.trim();
    return s === '*' || s === tag || s === `W/${tag}`;
  });
}

main();
