// Package redis keeps every app's contacts in Redis, so that replicas of the mock
// on one Redis serve the same data and a restart loses nothing. Every operation
// is one Lua script (lua/, embedded), atomic on the Redis side.
package redis

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/contactkit/contactkit/redact"
	"github.com/contactkit/contactkit/store"
)

// Config says which Redis to use and how; store.Config the rest.
type Config struct {
	store.Config
	// URL is redis://[:PASSWORD@]HOST:PORT/DB (or rediss://).
	URL string
	// Prefix starts every key the store writes, so one Redis can hold several
	// mocks; it must not be empty.
	Prefix string
	// Timeout bounds each call to Redis; past it the call fails with
	// store.ErrUnavailable.
	Timeout time.Duration
	// Logger gets a line when Redis goes away and when it comes back; nil
	// discards them.
	Logger *slog.Logger
}

// Store keeps every app's contacts in Redis, so that replicas of the mock on
// one Redis serve the same data and a restart loses nothing.
//
// Keys, all under the prefix P and the generation G (a counter Reset moves on):
//
//	P gen              G, the current generation
//	P seed             the replicas' --seed and --contacts (claimSeed)
//	P G:apps           set of the app ids that exist
//	P G:m:APP          hash: seq (last creation number), last (newest created_at), seeded
//	P G:c:APP          hash: contact id (16 bytes) -> packed contact (see packContact)
//	P G:z:APP          sorted set: contact id by creation number, for paging by rank
//	P G:l:APP          seeding lock, SET NX with a TTL
//	P G:tc:TOKEN:APP   a seed or replace being written (hash), renamed into place
//	P G:tz:TOKEN:APP   its sorted set
//	P b:BATCH:APP      a create's batch: its row count once stored, or
//	                   "cancelled" (create.lua, settle.lua); expires after batchTTL
//
// The app id comes last in every key and each kind of key has its own fixed
// shape before it, so no two apps can share a key whatever their ids hold.
// Every operation is one Lua script, atomic on the Redis side; each checks the
// generation it was given, so a Reset on any replica is seen by all at once.
type Store struct {
	rdb      *redis.Client
	prefix   string
	timeout  time.Duration
	seed     int64
	contacts int
	maxApps  int // 0: no cap (auth mode names its apps)
	maxRows  int
	logger   *slog.Logger
	scrub    *redact.Scrubber // takes the URL's password and user out of what is logged

	gen      atomic.Int64 // the generation last seen; a script refuses a stale one
	down     atomic.Bool  // whether the last call found Redis unavailable, to log changes only
	settling atomic.Int32 // goroutines cancelling batches (settle), at most maxSettling
}

// Redis tuning. The store's own numbers, not the API's.
const (
	// exportChunk is how many contacts an export reads per round trip.
	exportChunk = 2_000
	// tmpTTL bounds how long a seed or replace cut short leaves its keys behind.
	tmpTTL = 10 * time.Minute
	// bulkPerRow is the time a seed or replace gets per row on top of the
	// store's timeout, for its two RESTOREs (a million rows: 3 s more).
	bulkPerRow = 3 * time.Microsecond
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

// Error replies of the scripts; each maps to a failure of package store or a retry.
const (
	replyStale     = "STALE"     // the generation moved on: a Reset ran
	replyNoSeed    = "NOSEED"    // the app is not seeded yet
	replyNoContact = "NOCONTACT" // no such contact
	replyFull      = "FULL"      // the create would pass the app's cap
	replyNoApp     = "NOAPP"     // no room for another app
	replyClash     = "CLASH"     // a new id is taken: draw others
	replyCancelled = "CANCELLED" // the batch was given up by its caller (settle.lua)
)

// batchTTL is how long a create's batch key lives (create.lua, settle.lua): the
// time a create that timed out has to learn whether its batch was stored.
const batchTTL = 600 * time.Second

// settleFor bounds how long a create that timed out keeps asking Redis whether
// its batch was stored, in store timeouts; past it the create answers 503 and a
// goroutine goes on cancelling the batch, so it cannot land afterwards.
const settleFor = 8

// errIDClash says a new contact's random id is taken; Create draws others.
var errIDClash = errors.New("new contact id taken")

// errNotSent marks a failure before the command reached Redis (no connection
// could be had), so Create knows its batch cannot have been stored.
var errNotSent = errors.New("not sent")

// maxSettling bounds the goroutines cancelling batches Redis would not settle
// (see settle): past it a create answers 503 with the log saying so.
const maxSettling = 64

// New connects to the Redis cfg.URL names. It does not wait for Redis: a replica
// may start before it, failing with store.ErrUnavailable until it is there.
func New(cfg Config) (*Store, error) {
	if cfg.Prefix == "" {
		return nil, errors.New("store: an empty key prefix")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	opts, err := redis.ParseURL(cfg.URL)
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
	opts.DialTimeout = cfg.Timeout
	// Every call brings its own deadline (the timeout, longer for a seed): the
	// connection's own would cut a long one short.
	opts.ReadTimeout = -1
	opts.WriteTimeout = -1
	opts.PoolTimeout = cfg.Timeout
	opts.MaxRetries = 1
	s := &Store{
		rdb:      redis.NewClient(opts),
		prefix:   cfg.Prefix,
		timeout:  cfg.Timeout,
		seed:     cfg.Seed,
		contacts: cfg.Contacts,
		maxApps:  cfg.MaxApps,
		maxRows:  cfg.MaxContacts,
		logger:   cfg.Logger,
		scrub:    redact.NewScrubber(opts.Password, opts.Username),
	}
	quietClient.Do(func() { redis.SetLogger(clientLog{s}) })
	if err := s.refreshGen(context.Background()); err != nil {
		s.logger.Warn("redis store: not reachable yet; answering 503 until it is (its replicas' --seed and --contacts are not checked)", "error", s.redact(err))
		s.down.Store(true)
		return s, nil
	}
	if err := s.claimSeed(context.Background()); err != nil {
		_ = s.rdb.Close()
		return nil, err
	}
	return s, nil
}

// claimSeed checks that the replicas on the prefix seed apps alike: the first
// writes its --seed and --contacts under the prefix (P seed), the others must
// have the same. An app is seeded by whichever replica its first request
// reaches, so one with other flags would make an app's data depend on that.
func (s *Store) claimSeed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	key := s.prefix + "seed"
	mine := fmt.Sprintf("--seed %d --contacts %d", s.seed, max(s.contacts, 0))
	theirs, err := s.rdb.SetArgs(ctx, key, mine, redis.SetArgs{Mode: "NX", Get: true}).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil // the first: the flags are now the prefix's
	case err != nil:
		s.logger.Warn("redis store: the replicas' --seed and --contacts could not be checked", "error", s.redact(err))
		return nil
	case theirs != mine:
		return fmt.Errorf("store: the replicas on prefix %q seed apps with %s, and this one has %s: give every replica the same --seed and --contacts, or another --store-prefix (to change them for all, stop the replicas, delete the key %q, start them again and POST /__admin/reset)",
			s.prefix, redact.Cut(theirs, 100), mine, key)
	}
	return nil
}

// quietClient routes go-redis's own log (every failed dial, written to stderr by
// default) to the mock's logger at debug level, once per process: the store logs
// when Redis goes away and comes back, and --log-format governs stderr.
var quietClient sync.Once

// clientLog is go-redis's log as debug lines of the first store's logger,
// redacted as the store's own lines are.
type clientLog struct{ s *Store }

func (l clientLog) Printf(ctx context.Context, format string, v ...any) {
	l.s.logger.DebugContext(ctx, "redis client: "+l.s.redact(fmt.Errorf(format, v...)))
}

// Version reads the store's version from Redis: PREFIX+"ver", which every script
// that changes contacts increments in the same script, and Reset with the
// generation. Replicas share it, so an answer any of them remembers under it
// holds until any of them writes; reading it is one GET, where a page is a
// script over a sorted set and a hash. (A version key deleted by hand, by
// FLUSHDB, counts from 0 again: reset the store through the mock.)
func (s *Store) Version(ctx context.Context) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	n, err := s.rdb.Get(ctx, s.prefix+"ver").Uint64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, s.failure(err)
}

// Close closes the connections to Redis; closing again does nothing.
func (s *Store) Close() error {
	err := s.rdb.Close()
	if errors.Is(err, redis.ErrClosed) {
		return nil
	}
	return err
}

// The scripts, one embedded file each (lua/), after the prelude that checks the
// generation and, for those on an app's contacts, the check that it is seeded.
//
//go:embed lua/*.lua
var luaFiles embed.FS

func script(name string, seeded bool) *redis.Script {
	src := luaSource("prelude")
	if seeded {
		src += luaSource("seeded")
	}
	return redis.NewScript(src + luaSource(name))
}

func luaSource(name string) string {
	b, err := luaFiles.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic(err) // embedded: never missing
	}
	return string(b)
}

var (
	scriptPage    = script("page", true)
	scriptGet     = script("get", true)
	scriptToggle  = script("toggle", true)
	scriptDelete  = script("delete", true)
	scriptCreate  = script("create", true)
	scriptExport  = script("export", true)
	scriptClaim   = script("claim", false)
	scriptInstall = script("install", false)
	scriptApps    = script("apps", false)
	scriptSettle  = redis.NewScript(luaSource("settle"))
)

// keys are the Redis keys of one app in one generation.
type keys struct {
	gen        int64
	genKey     string
	meta, c, z string
}

func (s *Store) keys(gen int64, appID string) keys {
	g := s.prefix + strconv.FormatInt(gen, 10) + ":"
	return keys{gen: gen, genKey: s.prefix + "gen", meta: g + "m:" + appID, c: g + "c:" + appID, z: g + "z:" + appID}
}

func (k keys) app() []string { return []string{k.genKey, k.meta, k.c, k.z} }

func (s *Store) appsKey(gen int64) string {
	return s.prefix + strconv.FormatInt(gen, 10) + ":apps"
}

// run runs script for appID with args after the generation, seeding the app
// first when the script finds it unseeded, and again with the current generation
// when a Reset (on any replica) moved it on.
func (s *Store) run(ctx context.Context, appID string, script *redis.Script, args ...any) (any, error) {
	return s.runWith(ctx, appID, script, "", args...)
}

// runWith is run with one more key after the app's, when extra is not "".
func (s *Store) runWith(ctx context.Context, appID string, script *redis.Script, extra string, args ...any) (any, error) {
	for range maxAttempts {
		k := s.keys(s.gen.Load(), appID)
		keys := k.app()
		if extra != "" {
			keys = append(keys, extra)
		}
		v, err := s.eval(ctx, script, keys, append([]any{k.gen}, args...))
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
func (s *Store) eval(ctx context.Context, script *redis.Script, keys []string, args []any) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return script.Run(ctx, s.rdb, keys, args...).Result()
}

// refreshGen reads the current generation.
func (s *Store) refreshGen(ctx context.Context) error {
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

// failure turns what a call to Redis returned into the store's failures: a
// script's verdict into its sentinel, Redis out of reach into store.ErrUnavailable
// (503), anything else (a script or key that Redis refuses) into a plain error
// (500). It logs when Redis goes away and when it comes back.
func (s *Store) failure(err error) error {
	if err == nil {
		if s.down.CompareAndSwap(true, false) {
			s.logger.Info("redis store: reachable again")
		}
		return nil
	}
	switch scriptReply(err) {
	case replyNoContact:
		return store.ErrNoContact
	case replyFull:
		return store.ErrFull
	case replyNoApp:
		return store.ErrNoApp
	case replyClash:
		return errIDClash
	case replyCancelled:
		return fmt.Errorf("%w: the create was given up after a timeout", store.ErrUnavailable)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%w: request cancelled", store.ErrUnavailable) // the client left: nothing to log
	}
	if !unavailable(err) {
		s.logger.Error("redis store: unexpected reply", "error", s.redact(err))
		return fmt.Errorf("redis: %s", s.redact(err))
	}
	if s.down.CompareAndSwap(false, true) {
		s.logger.Error("redis store: unavailable; answering 503 until it returns", "error", s.redact(err))
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return fmt.Errorf("%w: %w: %s", store.ErrUnavailable, errNotSent, s.redact(err))
	}
	return fmt.Errorf("%w: %s", store.ErrUnavailable, s.redact(err))
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

// redact is err's text with the URL's credentials taken out, in every form
// (package redact): a redis:// URL may carry a password, and a log line must
// never show it.
func (s *Store) redact(err error) string {
	return s.scrub.Scrub(err.Error())
}

func (s *Store) Page(ctx context.Context, appID string, page int64, limit int) ([]store.Contact, int, error) {
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
	out := make([]store.Contact, 0, limit)
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

func (s *Store) Get(ctx context.Context, appID string, id [16]byte) (store.Contact, error) {
	v, err := s.run(ctx, appID, scriptGet, id[:])
	if err != nil {
		return store.Contact{}, err
	}
	return unpackContact(string(id[:]), v)
}

func (s *Store) Toggle(ctx context.Context, appID string, id [16]byte) (store.Contact, error) {
	v, err := s.run(ctx, appID, scriptToggle, id[:])
	if err != nil {
		return store.Contact{}, err
	}
	return unpackContact(string(id[:]), v)
}

func (s *Store) Delete(ctx context.Context, appID string, id [16]byte) error {
	_, err := s.run(ctx, appID, scriptDelete, id[:])
	return err
}

// Create stores rows in one script, so every replica sees all of the batch or
// none of it. Ids are random (crypto/rand): replicas share no faker to draw them
// from, and the script refuses, before writing, an id that is taken.
//
// A create tells the truth about its batch. The batch has a key of its own,
// written in the same script as the rows (create.lua), so a retry of a batch
// that was stored stores nothing more. When the call fails without a reply (a
// timeout: Redis slow or paused, the script perhaps still waiting in its socket,
// to run when it wakes), Create asks Redis until it answers (settle.lua):
// stored, and it returns nil (201); or not, and the batch is cancelled in the
// same script, so it can never land afterwards, and it returns the failure (503).
func (s *Store) Create(ctx context.Context, appID string, rows []store.NewContact, nowMs int64) error {
	if len(rows) > s.maxRows {
		return store.ErrFull
	}
	batch := randomID()
	// The batch's key is outside the generations: a Reset meanwhile does not
	// hide whether it was stored. It expires after batchTTL.
	key := s.prefix + "b:" + hex.EncodeToString(batch[:]) + ":" + appID
	args := make([]any, 0, 2+2*len(rows))
	args = append(args, nowMs, s.maxRows)
	for _, r := range rows {
		args = append(args, nil, appendTail(make([]byte, 0, 9+len(r.Name)), r.Phone, false, r.Name))
	}
	for range maxAttempts {
		for i := range rows {
			id := randomID()
			args[2+2*i] = id[:]
		}
		_, err := s.runWith(ctx, appID, scriptCreate, key, args...)
		switch {
		case errors.Is(err, errIDClash):
			continue
		case errors.Is(err, store.ErrUnavailable) && !errors.Is(err, errNotSent):
			return s.settle(ctx, appID, key, err)
		}
		return err
	}
	return errors.New("redis store: new ids kept clashing")
}

// settle finds out, after a create failed with no reply (failed), whether its
// batch was stored: nil when it was, failed when it was not (and now never
// will be). It asks within settleFor store timeouts; past them it returns
// failed, and a goroutine goes on cancelling the batch, so that it cannot land
// after a 503 (unless it already had: the log says the answer may be wrong).
func (s *Store) settle(ctx context.Context, appID, key string, failed error) error {
	ask := func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		v, err := scriptSettle.Run(ctx, s.rdb, []string{key}).Int()
		return v == 1, err
	}
	ctx = context.WithoutCancel(ctx) // the client may have gone: the truth is still owed to the store
	for range settleFor {
		start := time.Now()
		stored, err := ask(ctx)
		if err == nil {
			if stored {
				_ = s.failure(nil) // Redis answered: it is back
				return nil
			}
			return failed
		}
		if !unavailable(err) {
			break
		}
		time.Sleep(s.timeout/4 - time.Since(start)) // not a spin when Redis refuses at once
	}
	if s.settling.Add(1) > maxSettling {
		s.settling.Add(-1)
		s.logger.Error("redis store: a create timed out and Redis did not say whether it stored the batch; answering 503, which may be wrong (too many such creates to follow)",
			"app", redact.Cut(appID, 64))
		return failed
	}
	s.logger.Error("redis store: a create timed out and Redis did not say whether it stored the batch; answering 503, and cancelling the batch until Redis answers",
		"app", redact.Cut(appID, 64))
	go func() {
		defer s.settling.Add(-1)
		deadline := time.Now().Add(batchTTL)
		for time.Now().Before(deadline) {
			stored, err := ask(ctx)
			if err == nil {
				if stored {
					s.logger.Error("redis store: a create answered 503 was stored after all", "app", redact.Cut(appID, 64))
				}
				return
			}
			time.Sleep(s.timeout)
		}
	}()
	return failed
}

// Export reads the app oldest first, a chunk per round trip, resuming after the
// last creation number read: rows created meanwhile come last, rows deleted
// meanwhile may or may not be in it (it is no snapshot of a busy app).
func (s *Store) Export(ctx context.Context, appID string) ([]store.Contact, error) {
	var out []store.Contact
	after := int64(0)
	for {
		v, err := s.run(ctx, appID, scriptExport, after, exportChunk)
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
func (s *Store) Replace(ctx context.Context, appID string, rows []store.Contact) error {
	return s.replace(ctx, appID, "replace", rows)
}

// replace checks rows and installs them in mode ("replace", or "seed": only
// if the app does not exist).
func (s *Store) replace(ctx context.Context, appID, mode string, rows []store.Contact) error {
	if len(rows) > s.maxRows {
		return store.ErrFull
	}
	seen := make(map[[16]byte]struct{}, len(rows))
	for _, c := range rows {
		if _, dup := seen[c.ID]; dup {
			return store.ErrDuplicateID
		}
		seen[c.ID] = struct{}{}
	}
	return s.install(ctx, appID, mode, rows)
}

// ReplaceIfNew is Replace for an app that does not exist yet; one that does is
// left as it is: the state outlives the process, and other replicas write to it.
func (s *Store) ReplaceIfNew(ctx context.Context, appID string, rows []store.Contact) error {
	return s.replace(ctx, appID, "seed", rows)
}

func (s *Store) Empty(ctx context.Context, appID string) error {
	return s.Replace(ctx, appID, nil)
}

// install writes n rows (row(i) gives each, oldest first) to temporary keys and
// makes them the app's contacts in one script. In "seed" mode the script keeps
// the app as it is when it was seeded meanwhile.
func (s *Store) install(ctx context.Context, appID, mode string, rows []store.Contact) error {
	n := len(rows)
	for range maxAttempts {
		gen := s.gen.Load()
		k := s.keys(gen, appID)
		token := randomToken()
		g := s.prefix + strconv.FormatInt(gen, 10) + ":"
		tc, tz := g+"tc:"+token+":"+appID, g+"tz:"+token+":"+appID
		last, err := s.restore(ctx, tc, tz, rows)
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

// restore writes rows to the temporary keys tc (the hash) and tz (the sorted
// set), which expire unless installed, and returns the newest date among them.
// Redis loads the sorted set while the hash is being serialized here.
func (s *Store) restore(ctx context.Context, tc, tz string, rows []store.Contact) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout+time.Duration(len(rows))*bulkPerRow)
	defer cancel()
	ttl := tmpTTL.Milliseconds()
	zset := make(chan error, 1)
	go func() { zset <- s.rdb.Do(ctx, "RESTORE", tz, ttl, zsetDump(rows)).Err() }()
	hash, last := hashDump(rows)
	err := s.rdb.Do(ctx, "RESTORE", tc, ttl, hash).Err()
	return last, errors.Join(err, <-zset)
}

// lockToken is what this process writes in an app's seeding lock; one process
// seeds an app at most once at a time, so the app id tells its seeds apart.
func (s *Store) lockToken(appID string) string {
	return processToken + ":" + appID
}

// processToken tells this process's seeding locks from other replicas'.
var processToken = randomToken()

// seedApp seeds appID unless another replica or request does: one of them wins
// the lock and seeds; the others wait until the app is seeded, or take over when
// the lock expires with the app still unseeded.
func (s *Store) seedApp(ctx context.Context, appID string) error {
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
func (s *Store) seedNow(ctx context.Context, appID string) error {
	return s.install(ctx, appID, "seed", store.NewFaker(s.seed, appID).Contacts(s.contacts))
}

// Reset moves the generation on, which every replica's next call sees (O(1)),
// then deletes this prefix's keys of older generations. Keys under another
// prefix are never touched.
func (s *Store) Reset(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	var next *redis.IntCmd
	// The version moves with the generation, in one transaction: an answer
	// remembered before the reset is never served after it.
	_, err := s.rdb.TxPipelined(cctx, func(p redis.Pipeliner) error {
		next = p.Incr(cctx, s.prefix+"gen")
		p.Incr(cctx, s.prefix+"ver")
		return nil
	})
	cancel()
	if err != nil {
		return s.failure(err)
	}
	gen := next.Val()
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
func (s *Store) sweep(ctx context.Context, gen int64) error {
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

func (s *Store) Apps(ctx context.Context) (int, error) {
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

// appendPacked appends c as Redis holds it, one string of 17 bytes plus the name:
// created_at (ms) and phone as big-endian int64s, a flags byte (bit 0: blocked),
// the name. One hash field per contact costs far less than a hash per contact
// (see README, Redis).
func appendPacked(b []byte, c *store.Contact) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(c.CreatedMs))
	return appendTail(b, c.Phone, c.Blocked, c.Name)
}

// appendTail appends a packed contact after its date, which a create's script
// adds.
func appendTail(b []byte, phone int64, blocked bool, name string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(phone))
	flags := byte(0)
	if blocked {
		flags = 1
	}
	return append(append(b, flags), name...)
}

// unpackContact reads a contact from its id and packed form, as a script returns
// them (strings).
func unpackContact(id, packed any) (store.Contact, error) {
	i, _ := id.(string)
	p, _ := packed.(string)
	if len(i) != 16 || len(p) < 17 {
		return store.Contact{}, errors.New("redis store: a stored contact is malformed")
	}
	var c store.Contact
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
