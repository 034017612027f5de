package mock

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brianvoe/gofakeit/v6"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// redisStore keeps every app's contacts in Redis, so that replicas of the mock on
// one Redis serve the same data and a restart loses nothing.
//
// Keys, all under the prefix P and the generation G (a counter Reset moves on):
//
//	P gen              G, the current generation
//	P G:apps           set of the app ids that exist
//	P G:m:APP          hash: seq (last creation number), last (newest created_at), seeded
//	P G:c:APP          hash: contact id (16 bytes) -> packed contact (see packContact)
//	P G:z:APP          sorted set: contact id by creation number, for paging by rank
//	P G:l:APP          seeding lock, SET NX with a TTL
//	P G:tc:TOKEN:APP   a seed or replace being written (hash), renamed into place
//	P G:tz:TOKEN:APP   its sorted set
//
// The app id comes last in every key and each kind of key has its own fixed
// shape before it, so no two apps can share a key whatever their ids hold.
// Every operation is one Lua script, atomic on the Redis side; each checks the
// generation it was given, so a Reset on any replica is seen by all at once.
type redisStore struct {
	rdb      *redis.Client
	prefix   string
	timeout  time.Duration
	seed     int64
	contacts int
	maxApps  int // 0: no cap (auth mode names its apps)
	maxRows  int
	logger   *slog.Logger
	secrets  []string // what a log line must never hold: the URL's password and user

	gen  atomic.Int64 // the generation last seen; a script refuses a stale one
	down atomic.Bool  // whether the last call found Redis unavailable, to log changes only
}

var _ Store = (*redisStore)(nil)

// Redis tuning. The store's own numbers, not the API's.
const (
	// redisChunk is how many contacts a seed or replace writes per round trip,
	// and redisWriters how many such round trips are in flight at once.
	redisChunk   = 2_000
	redisWriters = 4
	// tmpTTL bounds how long a seed or replace cut short leaves its keys behind.
	tmpTTL = 10 * time.Minute
	// seedLockBase and seedLockPerRow size the seeding lock's TTL: past it, a
	// waiting replica assumes the seeder died and seeds itself (harmless: the
	// data is the same and only the first install counts).
	seedLockBase   = 10 * time.Second
	seedLockPerRow = 30 * time.Microsecond
	// seedPoll is how often a replica waiting for another's seed looks again.
	seedPoll = 20 * time.Millisecond
	// maxAttempts bounds the retries after a Reset elsewhere or a clashing id.
	maxAttempts = 8
	// sweepBatch is how many keys one SCAN step of a Reset's clean-up looks at.
	sweepBatch = 1_000
	// maxLastCreated caps the "newest created_at" kept for an app to what Lua's
	// numbers hold exactly.
	maxLastCreated = 1 << 53
)

// Error replies of the scripts; each maps to a failure of errors.go or a retry.
const (
	replyStale     = "STALE"     // the generation moved on: a Reset ran
	replyNoSeed    = "NOSEED"    // the app is not seeded yet
	replyNoContact = "NOCONTACT" // no such contact
	replyFull      = "FULL"      // the create would pass the app's cap
	replyNoApp     = "NOAPP"     // no room for another app
	replyClash     = "CLASH"     // a new id is taken: draw others
)

// newStore is the store cfg.Store names: memory, or Redis. Only the memory store
// counts its contacts against the budget: Redis holds the others.
func newStore(cfg Config, b *budget) (Store, error) {
	switch {
	case cfg.Store == DefaultStore:
		return newMemStore(cfg, b), nil
	case strings.HasPrefix(cfg.Store, "redis://"), strings.HasPrefix(cfg.Store, "rediss://"):
		return newRedisStore(cfg)
	}
	return nil, errors.New(`store: want "memory" or a redis:// URL`)
}

// applyDataAtStart gives the data file's apps their contacts as the server
// starts. In memory that is applyData. On Redis the state outlives the process
// and other replicas write to it, so an app that is already there keeps what it
// holds: a restart or a deploy loses nothing, and a reset (on any replica)
// still brings the file back.
func (s *Server) applyDataAtStart(ctx context.Context) error {
	r, ok := s.store.(*redisStore)
	if !ok || s.data == nil {
		return s.applyData(ctx)
	}
	for _, app := range s.data.order {
		if err := r.replaceIfNew(ctx, app, s.data.apps[app]); err != nil {
			return fmt.Errorf("data file: app %s: %w", app, err)
		}
	}
	return nil
}

// errIDClash says a new contact's random id is taken; Create draws others.
var errIDClash = errors.New("new contact id taken")

// newRedisStore connects to the Redis cfg.Store names. It does not wait for Redis:
// a replica may start before it, answering 503 until it is there.
func newRedisStore(cfg Config) (*redisStore, error) {
	opts, err := redis.ParseURL(cfg.Store)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			// url.Error quotes the URL, password and all.
			return nil, errors.New("store: not a valid redis:// URL")
		}
		return nil, fmt.Errorf("store: %w", err)
	}
	opts.Protocol = 2 // the scripts' replies read the same; RESP3's push machinery is not needed
	opts.DisableIdentity = true
	opts.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	opts.ContextTimeoutEnabled = true
	opts.DialTimeout = cfg.StoreTimeout
	opts.ReadTimeout = cfg.StoreTimeout
	opts.WriteTimeout = cfg.StoreTimeout
	opts.PoolTimeout = cfg.StoreTimeout
	opts.MaxRetries = 1
	s := &redisStore{
		rdb:      redis.NewClient(opts),
		prefix:   cfg.StorePrefix,
		timeout:  cfg.StoreTimeout,
		seed:     cfg.Seed,
		contacts: cfg.Contacts,
		maxRows:  cfg.MaxContacts,
		logger:   cfg.Logger,
	}
	if len(cfg.Auth) == 0 {
		s.maxApps = cfg.MaxApps
	}
	for _, secret := range []string{opts.Password, opts.Username} {
		if secret != "" {
			s.secrets = append(s.secrets, secret)
		}
	}
	quietClient.Do(func() { redis.SetLogger(clientLog{s}) })
	if err := s.refreshGen(context.Background()); err != nil {
		s.logger.Warn("redis store: not reachable yet; answering 503 until it is", "error", s.redact(err))
		s.down.Store(true)
	}
	return s, nil
}

// quietClient routes go-redis's own log (every failed dial, written to stderr by
// default) to the mock's logger at debug level, once per process: the store logs
// when Redis goes away and comes back, and --log-format governs stderr.
var quietClient sync.Once

// clientLog is go-redis's log as debug lines of the first store's logger,
// redacted as the store's own lines are.
type clientLog struct{ s *redisStore }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.s.logger.DebugContext(ctx, "redis client: "+l.s.redact(fmt.Errorf(format, v...)))
}

// Close closes the connections to Redis; closing again does nothing.
func (s *redisStore) Close() error {
	err := s.rdb.Close()
	if errors.Is(err, redis.ErrClosed) {
		return nil
	}
	return err
}

// The scripts. KEYS[1] is always the generation key and ARGV[1] the generation
// the caller believes current; app scripts get KEYS m, c, z after it.
const luaPrelude = `
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return redis.error_reply('STALE') end
`

const luaSeeded = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('NOSEED') end
`

var (
	// scriptPage returns {total, contacts} for ranks ARGV[2]..ARGV[3], newest
	// first, in one snapshot so meta and data agree. The contacts come as one
	// string, per contact its id, the packed contact's length (2 bytes) and the
	// packed contact: one reply to read instead of two per contact.
	scriptPage = redis.NewScript(luaPrelude + luaSeeded + `
local total = redis.call('ZCARD', KEYS[4])
local ids = redis.call('ZREVRANGE', KEYS[4], ARGV[2], ARGV[3])
if #ids == 0 then return {total, ''} end
local vals = redis.call('HMGET', KEYS[3], unpack(ids))
local out = {}
for i, id in ipairs(ids) do
  local v = vals[i]
  if not v then return redis.error_reply('BROKEN index without contact') end
  out[#out + 1] = id .. string.char(math.floor(#v / 256), #v % 256) .. v
end
return {total, table.concat(out)}
`)

	scriptGet = redis.NewScript(luaPrelude + luaSeeded + `
local v = redis.call('HGET', KEYS[3], ARGV[2])
if not v then return redis.error_reply('NOCONTACT') end
return v
`)

	// scriptToggle flips the blocked flag, byte 17 of the packed contact.
	scriptToggle = redis.NewScript(luaPrelude + luaSeeded + `
local v = redis.call('HGET', KEYS[3], ARGV[2])
if not v then return redis.error_reply('NOCONTACT') end
local flags = string.byte(v, 17)
local flipped = flags - (flags % 2) + (1 - flags % 2)
v = string.sub(v, 1, 16) .. string.char(flipped) .. string.sub(v, 18)
redis.call('HSET', KEYS[3], ARGV[2], v)
return v
`)

	scriptDelete = redis.NewScript(luaPrelude + luaSeeded + `
if redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then return redis.error_reply('NOCONTACT') end
redis.call('ZREM', KEYS[4], ARGV[2])
return 1
`)

	// scriptCreate stores a batch whole or not at all: every check comes before
	// the first write, since Redis does not roll a script back. ARGV: gen, now,
	// max rows, then id and packed tail (phone, flags, name) per row. Each row
	// gets the next creation number; all are dated max(now, the app's newest).
	scriptCreate = redis.NewScript(luaPrelude + luaSeeded + `
local n = (#ARGV - 3) / 2
if redis.call('ZCARD', KEYS[4]) + n > tonumber(ARGV[3]) then return redis.error_reply('FULL') end
local seen = {}
for i = 0, n - 1 do
  local id = ARGV[4 + 2 * i]
  if seen[id] or redis.call('HEXISTS', KEYS[3], id) == 1 then return redis.error_reply('CLASH') end
  seen[id] = true
end
local created = math.max(tonumber(ARGV[2]), tonumber(redis.call('HGET', KEYS[2], 'last') or '0'))
local b, c = {}, created
for i = 8, 1, -1 do
  b[i] = c % 256
  c = (c - b[i]) / 256
end
local date = string.char(unpack(b))
local seq = redis.call('HINCRBY', KEYS[2], 'seq', n) - n
redis.call('HSET', KEYS[2], 'last', string.format('%d', created))
for i = 0, n - 1 do
  local id = ARGV[4 + 2 * i]
  redis.call('HSET', KEYS[3], id, date .. ARGV[5 + 2 * i])
  redis.call('ZADD', KEYS[4], seq + 1 + i, id)
end
return n
`)

	// scriptExport returns up to ARGV[3] contacts created after number ARGV[2],
	// oldest first: {id, number, id, number, ...} and their packed contacts.
	scriptExport = redis.NewScript(luaPrelude + luaSeeded + `
local z = redis.call('ZRANGE', KEYS[4], '(' .. ARGV[2], '+inf', 'BYSCORE', 'LIMIT', 0, ARGV[3], 'WITHSCORES')
if #z == 0 then return {{}, {}} end
local ids = {}
for i = 1, #z, 2 do ids[#ids + 1] = z[i] end
return {z, redis.call('HMGET', KEYS[3], unpack(ids))}
`)

	// scriptClaim decides who seeds an app: 'SEEDED' (someone did), 'WON' (the
	// caller holds the lock and seeds), or 'WAIT'. KEYS: gen, m, l, apps; ARGV:
	// gen, token, lock ms, max apps (0: none), app.
	scriptClaim = redis.NewScript(luaPrelude + `
if redis.call('EXISTS', KEYS[2]) == 1 then return 'SEEDED' end
local cap = tonumber(ARGV[4])
if cap > 0 and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 0 and redis.call('SCARD', KEYS[4]) >= cap then
  return redis.error_reply('NOAPP')
end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then return 'WON' end
return 'WAIT'
`)

	// scriptInstall makes the written temporary keys the app's contacts, at
	// once. KEYS: gen, m, c, z, tc, tz, l, apps; ARGV: gen, mode ('seed' only
	// if unseeded, 'replace' always), rows, last created, token, max apps, app.
	scriptInstall = redis.NewScript(luaPrelude + `
if (ARGV[2] == 'seed' and redis.call('EXISTS', KEYS[2]) == 1) then
  redis.call('DEL', KEYS[5], KEYS[6])
  return 'SEEDED'
end
local cap = tonumber(ARGV[6])
if cap > 0 and redis.call('SISMEMBER', KEYS[8], ARGV[7]) == 0 and redis.call('SCARD', KEYS[8]) >= cap then
  redis.call('DEL', KEYS[5], KEYS[6])
  return redis.error_reply('NOAPP')
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
if tonumber(ARGV[3]) > 0 then
  redis.call('RENAME', KEYS[5], KEYS[3])
  redis.call('RENAME', KEYS[6], KEYS[4])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[4])
end
redis.call('HSET', KEYS[2], 'seq', ARGV[3], 'last', ARGV[4], 'seeded', 1)
redis.call('SADD', KEYS[8], ARGV[7])
if redis.call('GET', KEYS[7]) == ARGV[5] then redis.call('DEL', KEYS[7]) end
return 'OK'
`)

	scriptApps = redis.NewScript(luaPrelude + `return redis.call('SCARD', KEYS[2])`)
)

// keys are the Redis keys of one app in one generation.
type keys struct {
	gen        int64
	genKey     string
	meta, c, z string
}

func (s *redisStore) keys(gen int64, appID string) keys {
	g := s.prefix + strconv.FormatInt(gen, 10) + ":"
	return keys{gen: gen, genKey: s.prefix + "gen", meta: g + "m:" + appID, c: g + "c:" + appID, z: g + "z:" + appID}
}

func (k keys) app() []string { return []string{k.genKey, k.meta, k.c, k.z} }

func (s *redisStore) appsKey(gen int64) string {
	return s.prefix + strconv.FormatInt(gen, 10) + ":apps"
}

// run runs script for appID with args after the generation, seeding the app
// first when the script finds it unseeded, and again with the current generation
// when a Reset (on any replica) moved it on.
func (s *redisStore) run(ctx context.Context, appID string, script *redis.Script, args ...any) (any, error) {
	for range maxAttempts {
		k := s.keys(s.gen.Load(), appID)
		v, err := s.eval(ctx, script, k.app(), append([]any{k.gen}, args...))
		switch scriptReply(err) {
		case replyStale:
			if err := s.refreshGen(ctx); err != nil {
				return nil, s.failure(err)
			}
			continue
		case replyNoSeed:
			if err := s.seedApp(ctx, appID); err != nil {
				return nil, err
			}
			continue
		}
		return v, s.failure(err)
	}
	return nil, errors.New("redis store: the generation kept moving")
}

// eval runs one script within the store's timeout, its one retry (after a
// connection Redis dropped) included.
func (s *redisStore) eval(ctx context.Context, script *redis.Script, keys []string, args []any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return script.Run(ctx, s.rdb, keys, args...).Result()
}

// refreshGen reads the current generation.
func (s *redisStore) refreshGen(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	v, err := s.rdb.Get(ctx, s.prefix+"gen").Int64()
	switch {
	case errors.Is(err, redis.Nil):
		v = 0
	case err != nil:
		return err
	}
	s.gen.Store(v)
	return nil
}

// scriptReply returns the text of a script's error reply, or "".
func scriptReply(err error) string {
	var rerr redis.Error
	if err == nil || !errors.As(err, &rerr) {
		return ""
	}
	// Redis 7 puts "ERR " before an error reply that has no code of its own.
	return strings.TrimPrefix(rerr.Error(), "ERR ")
}

// failure turns what a call to Redis returned into the mock's failures: a
// script's verdict into its sentinel, Redis out of reach into errStoreUnavailable
// (503), anything else (a script or key that Redis refuses) into a plain error
// (500). It logs when Redis goes away and when it comes back.
func (s *redisStore) failure(err error) error {
	if err == nil {
		if s.down.CompareAndSwap(true, false) {
			s.logger.Info("redis store: reachable again")
		}
		return nil
	}
	switch scriptReply(err) {
	case replyNoContact:
		return errNoContact
	case replyFull:
		return errFull
	case replyNoApp:
		return errNoApp
	case replyClash:
		return errIDClash
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: request cancelled", errStoreUnavailable) // the client left: nothing to log
	}
	if !unavailable(err) {
		s.logger.Error("redis store: unexpected reply", "error", s.redact(err))
		return fmt.Errorf("redis: %s", s.redact(err))
	}
	if s.down.CompareAndSwap(false, true) {
		s.logger.Error("redis store: unavailable; answering 503 until it returns", "error", s.redact(err))
	}
	return fmt.Errorf("%w: %s", errStoreUnavailable, s.redact(err))
}

// unavailable reports whether err says Redis is out of reach, slow or not ready,
// rather than that it refused what the store sent.
func unavailable(err error) bool {
	var rerr redis.Error
	if !errors.As(err, &rerr) {
		return true // network, timeout, pool, closed connection
	}
	msg := rerr.Error()
	for _, p := range []string{"LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "READONLY", "OOM", "CLUSTERDOWN", "NOAUTH", "WRONGPASS"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// redact is err's text with the URL's credentials taken out: a redis:// URL may
// carry a password, and a log line must never show it.
func (s *redisStore) redact(err error) string {
	msg := err.Error()
	for _, secret := range s.secrets {
		msg = strings.ReplaceAll(msg, secret, "xxxxx")
	}
	return msg
}

func (s *redisStore) Page(ctx context.Context, appID string, page int64, limit int) ([]Contact, int, error) {
	if page < 1 || limit < 1 {
		return nil, 0, fmt.Errorf("redis store: page %d, limit %d", page, limit)
	}
	// Ranks past any app's size read nothing; keep them in range of an int64.
	start := int64(s.maxRows) + 1
	if page-1 <= start/int64(limit) {
		start = (page - 1) * int64(limit)
	}
	v, err := s.run(ctx, appID, scriptPage, start, start+int64(limit)-1)
	if err != nil {
		return nil, 0, err
	}
	parts, ok := v.([]any)
	if !ok || len(parts) != 2 {
		return nil, 0, errors.New("redis store: page reply malformed")
	}
	total, _ := parts[0].(int64)
	blob, _ := parts[1].(string)
	out := make([]Contact, 0, limit)
	for len(blob) > 0 {
		if len(blob) < 18 {
			return nil, 0, errors.New("redis store: page reply malformed")
		}
		id, n := blob[:16], int(blob[16])<<8|int(blob[17])
		if len(blob) < 18+n {
			return nil, 0, errors.New("redis store: page reply malformed")
		}
		c, err := unpackContact(id, blob[18:18+n])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
		blob = blob[18+n:]
	}
	return out, int(total), nil
}

func (s *redisStore) Get(ctx context.Context, appID string, id [16]byte) (Contact, error) {
	v, err := s.run(ctx, appID, scriptGet, id[:])
	if err != nil {
		return Contact{}, err
	}
	return unpackContact(string(id[:]), v)
}

func (s *redisStore) Toggle(ctx context.Context, appID string, id [16]byte) (Contact, error) {
	v, err := s.run(ctx, appID, scriptToggle, id[:])
	if err != nil {
		return Contact{}, err
	}
	return unpackContact(string(id[:]), v)
}

func (s *redisStore) Delete(ctx context.Context, appID string, id [16]byte) error {
	_, err := s.run(ctx, appID, scriptDelete, id[:])
	return err
}

// Create stores rows in one script, so every replica sees all of the batch or
// none of it. Ids are random (crypto/rand): replicas share no faker to draw them
// from, and the script refuses, before writing, an id that is taken.
func (s *redisStore) Create(ctx context.Context, appID string, rows []NewContact, nowMs int64) error {
	if len(rows) > s.maxRows {
		return errFull
	}
	args := make([]any, 0, 2+2*len(rows))
	args = append(args, nowMs, s.maxRows)
	for _, r := range rows {
		args = append(args, nil, packTail(r.Phone, false, r.Name))
	}
	for range maxAttempts {
		for i := range rows {
			id := randomID()
			args[2+2*i] = id[:]
		}
		_, err := s.run(ctx, appID, scriptCreate, args...)
		if errors.Is(err, errIDClash) {
			continue
		}
		return err
	}
	return errors.New("redis store: new ids kept clashing")
}

// Export reads the app oldest first, a chunk per round trip, resuming after the
// last creation number read: rows created meanwhile come last, rows deleted
// meanwhile may or may not be in it (it is no snapshot of a busy app).
func (s *redisStore) Export(ctx context.Context, appID string) ([]Contact, error) {
	var out []Contact
	after := int64(0)
	for {
		v, err := s.run(ctx, appID, scriptExport, after, redisChunk)
		if err != nil {
			return nil, err
		}
		parts, ok := v.([]any)
		if !ok || len(parts) != 2 {
			return nil, errors.New("redis store: export reply malformed")
		}
		z, _ := parts[0].([]any)
		vals, _ := parts[1].([]any)
		if len(z) != 2*len(vals) {
			return nil, errors.New("redis store: export reply malformed")
		}
		if len(vals) == 0 {
			return out, nil
		}
		for i := range vals {
			c, err := unpackContact(z[2*i], vals[i])
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		num, _ := z[len(z)-1].(string)
		if after, err = strconv.ParseInt(num, 10, 64); err != nil {
			return nil, fmt.Errorf("redis store: export: creation number %q", num)
		}
	}
}

// Replace writes rows aside and then, in one script, makes them the app's
// contacts: a reader sees the old contacts or the new, never a mix.
func (s *redisStore) Replace(ctx context.Context, appID string, rows []Contact) error {
	return s.replace(ctx, appID, "replace", rows)
}

// replace checks rows and installs them in mode ("replace", or "seed": only
// if the app does not exist).
func (s *redisStore) replace(ctx context.Context, appID, mode string, rows []Contact) error {
	if len(rows) > s.maxRows {
		return errFull
	}
	seen := make(map[[16]byte]struct{}, len(rows))
	for _, c := range rows {
		if _, dup := seen[c.ID]; dup {
			return errDuplicateID
		}
		seen[c.ID] = struct{}{}
	}
	return s.install(ctx, appID, mode, len(rows), func(i int) ([16]byte, []byte) {
		c := rows[i]
		return c.ID, packContact(c.CreatedMs, c.Phone, c.Blocked, c.Name)
	})
}

// replaceIfNew is Replace for an app that does not exist yet; one that does is
// left as it is.
func (s *redisStore) replaceIfNew(ctx context.Context, appID string, rows []Contact) error {
	return s.replace(ctx, appID, "seed", rows)
}

func (s *redisStore) Empty(ctx context.Context, appID string) error {
	return s.Replace(ctx, appID, nil)
}

// install writes n rows (row(i) gives each, oldest first) to temporary keys and
// makes them the app's contacts in one script. In "seed" mode the script keeps
// the app as it is when it was seeded meanwhile.
func (s *redisStore) install(ctx context.Context, appID, mode string, n int, row func(int) ([16]byte, []byte)) error {
	for range maxAttempts {
		gen := s.gen.Load()
		k := s.keys(gen, appID)
		token := randomToken()
		g := s.prefix + strconv.FormatInt(gen, 10) + ":"
		tc, tz := g+"tc:"+token+":"+appID, g+"tz:"+token+":"+appID
		last, err := s.writeAside(ctx, tc, tz, n, row)
		if err != nil {
			return s.failure(err)
		}
		lockKey := g + "l:" + appID
		_, err = s.eval(ctx, scriptInstall, []string{k.genKey, k.meta, k.c, k.z, tc, tz, lockKey, s.appsKey(gen)},
			[]any{gen, mode, n, last, s.lockToken(appID), s.maxApps, appID})
		if scriptReply(err) == replyStale {
			if err := s.refreshGen(ctx); err != nil {
				return s.failure(err)
			}
			if mode == "seed" {
				return nil // the caller finds the app unseeded in the new generation
			}
			continue
		}
		return s.failure(err)
	}
	return errors.New("redis store: the generation kept moving")
}

// writeAside writes n rows to the temporary keys tc and tz, redisWriters chunks
// in flight at once so Redis never waits for the next, and returns the newest
// date among them (0 at least).
func (s *redisStore) writeAside(ctx context.Context, tc, tz string, n int, row func(int) ([16]byte, []byte)) (int64, error) {
	chunks := make(chan int)
	var (
		wg sync.WaitGroup
		// mu guards last and failed.
		mu     sync.Mutex
		last   int64
		failed error
	)
	for range redisWriters {
		wg.Go(func() {
			for start := range chunks {
				l, err := s.writeChunk(ctx, tc, tz, start, min(start+redisChunk, n), row)
				mu.Lock()
				last = max(last, l)
				if failed == nil {
					failed = err
				}
				mu.Unlock()
			}
		})
	}
	for start := 0; start < n; start += redisChunk {
		mu.Lock()
		stop := failed != nil
		mu.Unlock()
		if stop {
			break
		}
		chunks <- start
	}
	close(chunks)
	wg.Wait()
	return last, failed
}

// writeChunk writes rows start..end-1 to tc and tz in one round trip.
func (s *redisStore) writeChunk(ctx context.Context, tc, tz string, start, end int, row func(int) ([16]byte, []byte)) (int64, error) {
	var last int64
	fields := make([]any, 0, 2*(end-start))
	members := make([]redis.Z, 0, end-start)
	for i := start; i < end; i++ {
		id, packed := row(i)
		fields = append(fields, id[:], packed)
		members = append(members, redis.Z{Score: float64(i + 1), Member: id[:]})
		last = max(last, min(int64(binary.BigEndian.Uint64(packed)), maxLastCreated))
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, tc, fields...)
		p.ZAdd(ctx, tz, members...)
		p.PExpire(ctx, tc, tmpTTL)
		p.PExpire(ctx, tz, tmpTTL)
		return nil
	})
	return last, err
}

// lockToken is what this process writes in an app's seeding lock; one process
// seeds an app at most once at a time, so the app id tells its seeds apart.
func (s *redisStore) lockToken(appID string) string {
	return processToken + ":" + appID
}

// processToken tells this process's seeding locks from other replicas'.
var processToken = randomToken()

// seedApp seeds appID unless another replica or request does: one of them wins
// the lock and seeds; the others wait until the app is seeded, or take over when
// the lock expires with the app still unseeded.
func (s *redisStore) seedApp(ctx context.Context, appID string) error {
	lockTTL := seedLockBase + time.Duration(s.contacts)*seedLockPerRow
	for {
		gen := s.gen.Load()
		k := s.keys(gen, appID)
		lockKey := s.prefix + strconv.FormatInt(gen, 10) + ":l:" + appID
		v, err := s.eval(ctx, scriptClaim, []string{k.genKey, k.meta, lockKey, s.appsKey(gen)},
			[]any{gen, s.lockToken(appID), lockTTL.Milliseconds(), s.maxApps, appID})
		if scriptReply(err) == replyStale {
			if err := s.refreshGen(ctx); err != nil {
				return s.failure(err)
			}
			continue
		}
		if err != nil {
			return s.failure(err)
		}
		switch v {
		case "SEEDED":
			return nil
		case "WON":
			// Finish even if the client goes away: the next request would only
			// wait for the lock to expire and start over.
			return s.seedNow(context.WithoutCancel(ctx), appID)
		}
		t := time.NewTimer(seedPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return s.failure(ctx.Err())
		case <-t.C:
		}
	}
}

// seedNow writes the app's seeded contacts: the memory store's, byte for byte.
func (s *redisStore) seedNow(ctx context.Context, appID string) error {
	rows := seedContacts(gofakeit.NewUnlocked(appSeed(s.seed, appID)), s.contacts)
	return s.install(ctx, appID, "seed", len(rows), func(i int) ([16]byte, []byte) {
		c := &rows[i]
		return c.id, packContact(c.created, c.phone, c.blocked, c.name)
	})
}

// Reset moves the generation on, which every replica's next call sees (O(1)),
// then deletes this prefix's keys of older generations. Keys under another
// prefix are never touched.
func (s *redisStore) Reset(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	gen, err := s.rdb.Incr(cctx, s.prefix+"gen").Result()
	cancel()
	if err != nil {
		return s.failure(err)
	}
	s.gen.Store(gen)
	if err := s.sweep(context.WithoutCancel(ctx), gen); err != nil {
		// The reset holds; what is left is cleared by the next one.
		s.logger.Warn("redis store: reset left old keys behind", "error", s.redact(err))
	}
	return nil
}

// sweep deletes the keys of generations before gen, a SCAN step at a time, so
// Redis never blocks on a large keyspace (UNLINK frees big values in the
// background). Only keys of the shape PREFIX DIGITS ':' qualify.
func (s *redisStore) sweep(ctx context.Context, gen int64) error {
	pattern := escapeGlob(s.prefix) + "[0-9]*"
	var cursor uint64
	for {
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		found, next, err := s.rdb.Scan(cctx, cursor, pattern, sweepBatch).Result()
		cancel()
		if err != nil {
			return err
		}
		var old []string
		for _, key := range found {
			g, _, ok := strings.Cut(key[len(s.prefix):], ":")
			if n, err := strconv.ParseInt(g, 10, 64); ok && err == nil && n < gen {
				old = append(old, key)
			}
		}
		if len(old) > 0 {
			cctx, cancel := context.WithTimeout(ctx, s.timeout)
			err := s.rdb.Unlink(cctx, old...).Err()
			cancel()
			if err != nil {
				return err
			}
		}
		if cursor = next; cursor == 0 {
			return nil
		}
	}
}

// escapeGlob escapes what SCAN's MATCH would read as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^-`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *redisStore) Apps(ctx context.Context) (int, error) {
	for range maxAttempts {
		gen := s.gen.Load()
		v, err := s.eval(ctx, scriptApps, []string{s.prefix + "gen", s.appsKey(gen)}, []any{gen})
		if scriptReply(err) == replyStale {
			if err := s.refreshGen(ctx); err != nil {
				return 0, s.failure(err)
			}
			continue
		}
		if err != nil {
			return 0, s.failure(err)
		}
		n, _ := v.(int64)
		return int(n), s.failure(nil)
	}
	return 0, errors.New("redis store: the generation kept moving")
}

// packContact is a contact as Redis holds it, one string of 17 bytes plus the
// name: created_at (ms) and phone as big-endian int64s, a flags byte (bit 0:
// blocked), the name. One hash field per contact costs far less than a hash per
// contact (see README, Redis).
func packContact(created, phone int64, blocked bool, name string) []byte {
	b := make([]byte, 8, 17+len(name))
	binary.BigEndian.PutUint64(b, uint64(created))
	return append(b, packTail(phone, blocked, name)...)
}

// packTail is a packed contact after its date, which a create's script adds.
func packTail(phone int64, blocked bool, name string) []byte {
	b := make([]byte, 9, 9+len(name))
	binary.BigEndian.PutUint64(b, uint64(phone))
	if blocked {
		b[8] = 1
	}
	return append(b, name...)
}

// unpackContact reads a contact from its id and packed form, as a script returns
// them (strings).
func unpackContact(id, packed any) (Contact, error) {
	i, _ := id.(string)
	p, _ := packed.(string)
	if len(i) != 16 || len(p) < 17 {
		return Contact{}, errors.New("redis store: a stored contact is malformed")
	}
	var c Contact
	copy(c.ID[:], i)
	c.CreatedMs = int64(binary.BigEndian.Uint64([]byte(p[:8])))
	c.Phone = int64(binary.BigEndian.Uint64([]byte(p[8:16])))
	c.Blocked = p[16]&1 == 1
	c.Name = p[17:]
	return c, nil
}

// randomID is a version 4 UUID from crypto/rand.
func randomID() [16]byte {
	var id [16]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// randomToken is 16 hex digits from crypto/rand.
func randomToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
