package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contactkit/contactkit/internal/redistest"
)

// testStoreEnv, set to "redis", makes every mock the helpers build use a Redis
// store: TestMockSuiteOnRedis runs the package's tests again that way, and a
// developer can too (CONTACTKIT_TEST_STORE=redis go test ./mock).
const testStoreEnv = "CONTACTKIT_TEST_STORE"

var (
	sharedOnce   sync.Once
	sharedServer *redistest.Server
	sharedErr    error
	sharedDir    string
	prefixes     atomic.Int64 // a fresh key prefix per store, so tests never share data
	redisMocks   atomic.Int64 // mocks built on Redis by withTestStore
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedServer != nil {
		sharedServer.Stop()
		_ = os.RemoveAll(sharedDir)
	}
	if os.Getenv(testStoreEnv) == "redis" {
		fmt.Printf("redis-backed mocks: %d\n", redisMocks.Load())
	}
	os.Exit(code)
}

// sharedRedis is one redis-server for the whole test binary, for tests that do
// not stop or pause it; each store on it gets its own prefix.
func sharedRedis(tb testing.TB) *redistest.Server {
	tb.Helper()
	if !redistest.Available() {
		tb.Skipf("%s not on PATH: install it (Debian: apt-get install redis-server) to run the Redis store tests", redistest.Binary)
	}
	sharedOnce.Do(func() {
		if sharedDir, sharedErr = os.MkdirTemp("", "contactkit-redis-"); sharedErr != nil {
			return
		}
		sharedServer, sharedErr = redistest.Launch(sharedDir, "")
	})
	require.NoError(tb, sharedErr, "start the shared redis-server")
	return sharedServer
}

// freshPrefix is a key prefix no other store in this test binary uses.
func freshPrefix() string {
	return "t" + strconv.FormatInt(prefixes.Add(1), 10) + ":"
}

// redisConfig is cfg on the shared Redis, under a fresh prefix, with a store
// timeout generous enough for a loaded machine under the race detector.
func redisConfig(tb testing.TB, cfg Config) Config {
	tb.Helper()
	cfg.Store = sharedRedis(tb).URL(0)
	cfg.StorePrefix = freshPrefix()
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = 15 * time.Second
	}
	return cfg
}

// withTestStore is cfg as the helpers build mocks from it: unchanged, or on Redis
// when the suite runs on Redis and the test did not choose a store itself.
func withTestStore(tb testing.TB, cfg Config) Config {
	if os.Getenv(testStoreEnv) != "redis" || cfg.Store != "" {
		return cfg
	}
	redisMocks.Add(1)
	return redisConfig(tb, cfg)
}

// onceOnly skips the Redis tests of this file in the run on Redis: they ran, on
// both stores, in the run that started it.
func onceOnly(t *testing.T) {
	t.Helper()
	if os.Getenv(testStoreEnv) != "" {
		t.Skip("this run is TestMockSuiteOnRedis's child, every mock on Redis; the parent ran this test, on both stores")
	}
}

// TestMockSuiteOnRedis runs this package's tests again, in a child process, with
// every mock the helpers build on a Redis store: the behaviour tests (list,
// paging, create, toggle, delete, reset, admin, the soak) hold on both stores.
func TestMockSuiteOnRedis(t *testing.T) {
	onceOnly(t)
	sharedRedis(t) // skips with the reason when there is no redis-server
	args := []string{"-test.run", "^Test", "-test.count=1", "-test.timeout=10m"}
	if testing.Short() {
		args = append(args, "-test.short")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), testStoreEnv+"=redis")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the mock's tests on a Redis store:\n%s", out)
	m := regexp.MustCompile(`redis-backed mocks: (\d+)`).FindSubmatch(out)
	require.NotNil(t, m, "the child run reports how many mocks it built on Redis:\n%s", out)
	n, _ := strconv.Atoi(string(m[1]))
	assert.Greater(t, n, 20, "mocks built on Redis in the child run")
	t.Logf("the package's tests passed with %d mocks on Redis", n)
}

// storeCase is one store the store-level tests run against.
type storeCase struct {
	name string
	cfg  func(tb testing.TB, cfg Config) Config
}

var bothStores = []storeCase{
	{"memory", func(_ testing.TB, cfg Config) Config { return cfg }},
	{"redis", redisConfig},
}

func newTestStore(tb testing.TB, cfg Config) Store {
	tb.Helper()
	st, err := newStore(cfg.withDefaults(), nil)
	require.NoError(tb, err, "newStore")
	tb.Cleanup(func() { _ = st.Close() })
	return st
}

// TestStoreBehaviour holds both stores to what the Store interface promises.
func TestStoreBehaviour(t *testing.T) {
	onceOnly(t)
	ctx := context.Background()
	for _, sc := range bothStores {
		t.Run(sc.name, func(t *testing.T) {
			st := newTestStore(t, sc.cfg(t, Config{Seed: 3, Contacts: 5, MaxContacts: 10, MaxApps: 3}))

			seeded, err := st.Export(ctx, "a")
			require.NoError(t, err)
			require.Len(t, seeded, 5, "%s: export of a seeded app", sc.name)

			page, total, err := st.Page(ctx, "a", 1, 2)
			require.NoError(t, err)
			assert.Equal(t, 5, total, "%s: total", sc.name)
			assert.Equal(t, []Contact{seeded[4], seeded[3]}, page, "%s: page 1, newest first", sc.name)
			page, _, err = st.Page(ctx, "a", 3, 2)
			require.NoError(t, err)
			assert.Equal(t, []Contact{seeded[0]}, page, "%s: last page", sc.name)
			page, total, err = st.Page(ctx, "a", 1<<62, 50)
			require.NoError(t, err)
			assert.Empty(t, page, "%s: page past the last", sc.name)
			assert.Equal(t, 5, total, "%s: total past the last", sc.name)

			toggled, err := st.Toggle(ctx, "a", seeded[2].ID)
			require.NoError(t, err)
			assert.Equal(t, !seeded[2].Blocked, toggled.Blocked, "%s: toggle flips", sc.name)
			got, err := st.Get(ctx, "a", seeded[2].ID)
			require.NoError(t, err)
			assert.Equal(t, toggled, got, "%s: get after toggle", sc.name)

			require.NoError(t, st.Delete(ctx, "a", seeded[2].ID))
			_, err = st.Get(ctx, "a", seeded[2].ID)
			assert.ErrorIs(t, err, errNoContact, "%s: get a deleted contact", sc.name)
			assert.ErrorIs(t, st.Delete(ctx, "a", seeded[2].ID), errNoContact, "%s: delete twice", sc.name)
			_, err = st.Toggle(ctx, "a", seeded[2].ID)
			assert.ErrorIs(t, err, errNoContact, "%s: toggle a deleted contact", sc.name)

			now := seeded[4].CreatedMs - 1000 // before the newest: dated as the newest
			rows := []NewContact{{Name: "Budi Santoso", Phone: 6281234567890}, {Name: "Sukarno", Phone: -1}}
			require.NoError(t, st.Create(ctx, "a", rows, now))
			page, total, err = st.Page(ctx, "a", 1, 3)
			require.NoError(t, err)
			assert.Equal(t, 6, total, "%s: total after create", sc.name)
			require.Len(t, page, 3)
			assert.Equal(t, []string{"Sukarno", "Budi Santoso"}, []string{page[0].Name, page[1].Name}, "%s: a batch, newest first", sc.name)
			assert.Equal(t, int64(-1), page[0].Phone, "%s: phone kept", sc.name)
			assert.Equal(t, seeded[4].CreatedMs, page[0].CreatedMs, "%s: dated no earlier than the newest", sc.name)
			assert.Equal(t, seeded[4], page[2], "%s: the seeded newest comes next", sc.name)

			assert.ErrorIs(t, st.Create(ctx, "a", make([]NewContact, 5), now), errFull, "%s: create past the cap", sc.name)
			_, total, _ = st.Page(ctx, "a", 1, 1)
			assert.Equal(t, 6, total, "%s: a refused batch stores nothing", sc.name)

			for _, tt := range []struct {
				name string
				rows []Contact
				want error
			}{
				{"an id twice", []Contact{seeded[0], seeded[0]}, errDuplicateID},
				{"more than the cap", make([]Contact, 11), errFull},
			} {
				assert.ErrorIs(t, st.Replace(ctx, "b", tt.rows), tt.want, "%s: replace with %s", sc.name, tt.name)
			}
			require.NoError(t, st.Replace(ctx, "b", seeded[:2]))
			page, total, err = st.Page(ctx, "b", 1, 10)
			require.NoError(t, err)
			assert.Equal(t, 2, total, "%s: total after replace", sc.name)
			assert.Equal(t, []Contact{seeded[1], seeded[0]}, page, "%s: page after replace", sc.name)

			require.NoError(t, st.Empty(ctx, "b"))
			_, total, err = st.Page(ctx, "b", 1, 10)
			require.NoError(t, err)
			assert.Equal(t, 0, total, "%s: empty stays empty", sc.name)

			_, _, err = st.Page(ctx, "c", 1, 1)
			require.NoError(t, err)
			_, _, err = st.Page(ctx, "d", 1, 1)
			assert.ErrorIs(t, err, errNoApp, "%s: a fourth app past MaxApps 3", sc.name)
			apps, err := st.Apps(ctx)
			require.NoError(t, err)
			assert.Equal(t, 3, apps, "%s: apps", sc.name)

			require.NoError(t, st.Reset(ctx))
			again, err := st.Export(ctx, "a")
			require.NoError(t, err)
			assert.Equal(t, seeded, again, "%s: after reset, seeded as before", sc.name)
			apps, err = st.Apps(ctx)
			require.NoError(t, err)
			assert.Equal(t, 1, apps, "%s: apps after reset and one use", sc.name)
		})
	}
}

// TestStoresServeIdenticalPages: the same seed and app give the same answers,
// byte for byte, from both stores, on every page and in details.
func TestStoresServeIdenticalPages(t *testing.T) {
	onceOnly(t)
	for _, cfg := range []Config{{Seed: 1, Contacts: 120}, {Seed: 42, Contacts: 7}, {Seed: 9, Contacts: -1}} {
		mem := newMock(t, cfg)
		red := newMock(t, redisConfig(t, cfg))
		for _, app := range []string{"app", "другое", "x:c:y"} {
			for _, q := range []string{"", "?limit=50", "?limit=50&page=2", "?limit=50&page=3", "?limit=7&page=5", "?page=99"} {
				path := "/contacts/" + app + q
				a, b := mem.do("GET", path, ""), red.do("GET", path, "")
				assert.Equal(t, string(a.raw), string(b.raw), "seed %d: GET %s: memory, redis", cfg.Seed, path)
			}
			for i, c := range mem.listAll(app) {
				if i%13 != 0 {
					continue
				}
				path := "/contacts/" + app + "/" + c["id"].(string)
				assert.Equal(t, string(mem.do("GET", path, "").raw), string(red.do("GET", path, "").raw),
					"seed %d: GET %s: memory, redis", cfg.Seed, path)
			}
		}
	}
}

// TestRedisReplicasShareState: what one replica writes, the other serves at once.
func TestRedisReplicasShareState(t *testing.T) {
	onceOnly(t)
	cfg := redisConfig(t, Config{Contacts: 30})
	a, b := newMock(t, cfg), newMock(t, cfg)
	// Each replica remembers what it read (answers.go) until any replica writes.
	first := b.do("GET", "/contacts/app?limit=1", "")
	require.Equal(t, first.raw, b.do("GET", "/contacts/app?limit=1", "").raw)
	require.Equal(t, 201, a.do("POST", "/contacts/app", `[{"name":"Budi Santoso","phone":6281234567890}]`).status)
	newest := b.do("GET", "/contacts/app?limit=1", "").data()[0].(map[string]any)
	assert.Equal(t, "Budi Santoso", newest["tag"], "b lists a's create first")
	id := newest["id"].(string)
	assert.Equal(t, 31, a.total("app"), "a's total")
	assert.Equal(t, 31, b.total("app"), "b's total")
	assert.Equal(t, false, a.do("GET", "/contacts/app/"+id, "").object()["is_blocked"], "a reads the contact before b's toggle")

	require.Equal(t, 200, b.do("PUT", "/contacts/app/"+id, "").status)
	assert.Equal(t, true, a.do("GET", "/contacts/app/"+id, "").object()["is_blocked"], "a sees b's toggle")
	require.Equal(t, 200, a.do("DELETE", "/contacts/app/"+id, "").status)
	assert.Equal(t, 404, b.do("GET", "/contacts/app/"+id, "").status, "b sees a's delete")

	seeded := a.listAll("app")
	require.Equal(t, 200, b.do("DELETE", "/contacts/app/"+a.firstID("app"), "").status)
	rr := b.do("POST", "/__admin/reset", "", adminHeader+": 1")
	require.Equal(t, 200, rr.status, "%s", rr.raw)
	assert.Equal(t, seeded, a.listAll("app"), "a serves the seeded data after b's reset")
}

// TestRedisBatchesNeverInterleave creates batches through two replicas at once:
// each batch lands whole, its rows next to each other, in order, one date.
func TestRedisBatchesNeverInterleave(t *testing.T) {
	onceOnly(t)
	const writers, batches, rows = 6, 8, 25
	cfg := redisConfig(t, Config{Contacts: -1})
	replicas := []*mockT{newMock(t, cfg), newMock(t, cfg)}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var body strings.Builder
				body.WriteByte('[')
				for r := range rows {
					if r > 0 {
						body.WriteByte(',')
					}
					fmt.Fprintf(&body, `{"name":"w%d b%d r%02d","phone":%d}`, w, b, r, 6281200000000+r)
				}
				body.WriteByte(']')
				m := replicas[(w+b)%2]
				assert.Equal(t, 201, m.do("POST", "/contacts/app", body.String()).status, "writer %d batch %d", w, b)
			}
		})
	}
	wg.Wait()
	all := replicas[0].listAll("app")
	require.Len(t, all, writers*batches*rows, "every row of every batch")
	for _, problem := range interleaved(all, rows) {
		t.Error(problem)
	}
}

// interleaved checks a listing (newest first) made of whole batches of rows
// rows named "w<W> b<B> r<NN>": each batch's rows must sit together, last row
// first, all of one date. It returns what is out of place.
func interleaved(all []map[string]any, rows int) []string {
	var problems []string
	for i := 0; i+rows <= len(all); i += rows {
		first := all[i]
		batch, _, _ := strings.Cut(first["tag"].(string), " r")
		for r := range rows {
			c := all[i+r]
			want := fmt.Sprintf("%s r%02d", batch, rows-1-r) // newest first: the last row first
			if c["tag"] != want || c["created_at"] != first["created_at"] {
				problems = append(problems, fmt.Sprintf("row %d of the batch at %d: got %v dated %v, want %s dated %v",
					r, i, c["tag"], c["created_at"], want, first["created_at"]))
			}
		}
	}
	if len(all)%rows != 0 {
		problems = append(problems, fmt.Sprintf("%d rows: not whole batches of %d", len(all), rows))
	}
	return problems
}

// TestInterleavedCatchesSplitBatches proves the check above can fail: batches
// stored a row at a time by two writers, as a store without atomic batches
// would, interleave.
func TestInterleavedCatchesSplitBatches(t *testing.T) {
	row := func(name, date string) map[string]any { return map[string]any{"tag": name, "created_at": date} }
	for _, tt := range []struct {
		name string
		all  []map[string]any
		want bool
	}{
		{"whole batches", []map[string]any{row("w0 b0 r01", "d1"), row("w0 b0 r00", "d1"), row("w1 b0 r01", "d0"), row("w1 b0 r00", "d0")}, false},
		{"interleaved", []map[string]any{row("w0 b0 r01", "d1"), row("w1 b0 r01", "d1"), row("w0 b0 r00", "d0"), row("w1 b0 r00", "d0")}, true},
		{"one batch, two dates", []map[string]any{row("w0 b0 r01", "d1"), row("w0 b0 r00", "d0")}, true},
		{"half a batch", []map[string]any{row("w0 b0 r01", "d1"), row("w0 b0 r00", "d1"), row("w1 b0 r01", "d0")}, true},
	} {
		got := interleaved(tt.all, 2)
		assert.Equal(t, tt.want, len(got) > 0, "interleaved(%s) = %v", tt.name, got)
	}
}

// TestRedisSeedRace: replicas that seed one app at once agree, with the memory
// store too, and leave no half-written keys.
func TestRedisSeedRace(t *testing.T) {
	onceOnly(t)
	ctx := context.Background()
	cfg := redisConfig(t, Config{Seed: 5, Contacts: 20_000})
	stores := []Store{newTestStore(t, cfg), newTestStore(t, cfg)}
	want, err := newTestStore(t, Config{Seed: 5, Contacts: 20_000}).Export(ctx, "app")
	require.NoError(t, err)

	pages := make([][]Contact, 8)
	var wg sync.WaitGroup
	for i := range pages {
		wg.Go(func() {
			page, total, err := stores[i%2].Page(ctx, "app", 3, 50)
			if assert.NoError(t, err, "reader %d", i) {
				assert.Equal(t, len(want), total, "reader %d: total", i)
				pages[i] = page
			}
		})
	}
	wg.Wait()
	for i, page := range pages {
		require.Len(t, page, 50, "reader %d", i)
		assert.Equal(t, want[len(want)-101], page[0], "reader %d: page 3 starts at the 101st newest", i)
	}
	got, err := stores[1].Export(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, want, got, "export after a raced seed: the memory store's data")

	rdb := sharedRedis(t).Client(t, 0)
	left, err := rdb.Keys(ctx, cfg.StorePrefix+"*").Result()
	require.NoError(t, err)
	for _, k := range left {
		assert.NotRegexp(t, `:(tc|tz|l):`, k, "a seed's temporary key or lock left behind")
	}
	apps, err := stores[0].Apps(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, apps, "one app")
}

// TestRedisResetOwnKeysOnly: a reset deletes its own prefix's keys and no other.
func TestRedisResetOwnKeysOnly(t *testing.T) {
	onceOnly(t)
	ctx := context.Background()
	srv := sharedRedis(t)
	rdb := srv.Client(t, 0)
	base := freshPrefix()
	mine := Config{Store: srv.URL(0), StorePrefix: base + "mine:", Contacts: 5}
	theirs := mine
	theirs.StorePrefix = base + "theirs:"
	a, b := newTestStore(t, mine), newTestStore(t, theirs)
	require.NoError(t, rdb.Set(ctx, base+"foreign", "x", 0).Err())
	for _, st := range []Store{a, b} {
		require.NoError(t, st.Create(ctx, "app", []NewContact{{Name: "Budi", Phone: 62811}}, 0))
	}
	theirsBefore, err := b.Export(ctx, "app")
	require.NoError(t, err)
	theirKeys, err := rdb.Keys(ctx, theirs.StorePrefix+"*").Result()
	require.NoError(t, err)

	require.NoError(t, a.Reset(ctx))

	got, err := b.Export(ctx, "app")
	require.NoError(t, err)
	assert.Equal(t, theirsBefore, got, "another prefix's contacts survive a reset")
	after, err := rdb.Keys(ctx, theirs.StorePrefix+"*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, theirKeys, after, "another prefix's keys survive a reset")
	assert.Equal(t, int64(1), rdb.Exists(ctx, base+"foreign").Val(), "a key of no mock survives")
	old, err := rdb.Keys(ctx, mine.StorePrefix+"0:*").Result()
	require.NoError(t, err)
	assert.Empty(t, old, "the reset prefix's old generation is deleted")
	_, total, err := a.Page(ctx, "app", 1, 1)
	require.NoError(t, err)
	assert.Equal(t, 5, total, "the reset app is seeded again")
}

// TestRedisUnavailable: Redis paused (slow) or stopped answers 503 in the
// envelope, says why in the log without the password, and recovers by itself.
func TestRedisUnavailable(t *testing.T) {
	onceOnly(t)
	const password = "s3cret-pass"
	srv := redistest.StartWithPassword(t, password)
	var logs syncBuffer
	s, err := New(Config{Store: srv.URL(0), StoreTimeout: time.Second, Strict: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	t.Cleanup(func() { _ = s.Shutdown(context.Background()) })

	get := func() (int, map[string]any) {
		req, _ := http.NewRequest("GET", hs.URL+"/contacts/app?limit=1", nil)
		req.Header.Set("Authorization", "Bearer t")
		resp, err := hs.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "content type")
		assert.NoError(t, json.NewDecoder(resp.Body).Decode(&body), "a JSON body")
		return resp.StatusCode, body
	}
	waitFor := func(want int, what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			status, _ := get()
			if status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: status = %d, want %d", what, status, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor(200, "Redis up")

	for _, tt := range []struct {
		name        string
		stop, start func() error
	}{
		{"paused (slow)", srv.Pause, srv.Continue},
		{"shut down", srv.Shutdown, srv.Resume},
	} {
		require.NoError(t, tt.stop(), tt.name)
		status, body := get()
		assert.Equal(t, 503, status, "%s: status", tt.name)
		assert.EqualValues(t, 503, body["statusCode"], "%s: statusCode", tt.name)
		assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"], "%s: code", tt.name)
		assert.NotEmpty(t, body["message"], "%s: message", tt.name)
		require.NoError(t, tt.start(), tt.name)
		waitFor(200, tt.name+", then back")
	}
	out := logs.String()
	assert.Contains(t, out, "answering 503 until it returns", "the log says Redis went away")
	assert.Contains(t, out, "reachable again", "the log says Redis came back")
	assert.NotContains(t, out, password, "the log never shows the password")
	assert.NotContains(t, out, "panic", "no panic")
}

// TestRedisRestartKeepsAcknowledgedWrites: with appendonly on, a Redis restart
// in the middle of a run of creates loses none that answered 201.
func TestRedisRestartKeepsAcknowledgedWrites(t *testing.T) {
	onceOnly(t)
	acked, lost := createsAcrossRestart(t, redistest.Start(t))
	assert.Empty(t, lost, "acknowledged creates (phones) lost in a restart, of %d", acked)
}

// TestRestartCheckCatchesLostWrites proves the test above can fail: a Redis
// that keeps nothing on disk loses acknowledged creates, and the check says so.
func TestRestartCheckCatchesLostWrites(t *testing.T) {
	onceOnly(t)
	acked, lost := createsAcrossRestart(t, redistest.StartWith(t, "", "--appendonly", "no"))
	assert.NotEmpty(t, lost, "of %d acknowledged creates, none lost without persistence", acked)
}

// createsAcrossRestart creates contacts through a mock on srv from four
// goroutines, restarts srv in the middle, creates more, and returns how many
// creates answered 201 and the phones of those not listed afterwards.
func createsAcrossRestart(t *testing.T, srv *redistest.Server) (int, []int64) {
	t.Helper()
	m := newMock(t, Config{Store: srv.URL(0), Contacts: -1, StoreTimeout: 500 * time.Millisecond})
	var (
		mu    sync.Mutex
		acked []int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for i := int64(0); !stop.Load(); i++ {
				phone := 6281100000000 + int64(w)*1_000_000 + i
				body := fmt.Sprintf(`[{"name":"Acked","phone":%d}]`, phone)
				req, _ := http.NewRequest("POST", m.http.URL+"/contacts/app", strings.NewReader(body))
				req.Header.Set("Authorization", token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := m.http.Client().Do(req)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 201:
					mu.Lock()
					acked = append(acked, phone)
					mu.Unlock()
				case 503: // not acknowledged: may or may not be stored
				default:
					t.Errorf("create during a restart: status %d", resp.StatusCode)
				}
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitCount := func(n int) {
		deadline := time.Now().Add(30 * time.Second)
		for count() < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCount(50)
	require.NoError(t, srv.Restart(), "restart redis-server")
	before := count()
	waitCount(before + 50)
	stop.Store(true)
	wg.Wait()
	require.Greater(t, count(), before, "creates acknowledged after the restart")

	stored := map[int64]bool{}
	for _, c := range m.listAll("app") {
		stored[int64(c["phone"].(float64))] = true
	}
	var lost []int64
	for _, p := range acked {
		if !stored[p] {
			lost = append(lost, p)
		}
	}
	t.Logf("%d creates acknowledged, %d before the restart, %d lost", len(acked), before, len(lost))
	return len(acked), lost
}

// TestNewStoreRefusesBadURLs without ever echoing a password.
func TestNewStoreRefusesBadURLs(t *testing.T) {
	for _, store := range []string{"postgres://localhost/0", "redis://:hunter2@localhost:notaport/0",
		"redis://:hunter2@localhost:6379/notadb", "memory:", "REDIS"} {
		_, err := New(Config{Store: store})
		if assert.Error(t, err, "New(Store: %q)", store) {
			assert.NotContains(t, err.Error(), "hunter2", "New(Store: %q): error shows the password", store)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BenchmarkListRedis is BenchmarkList's page 1 on both stores, in process: what
// a Redis round trip adds to the mock's own work.
func BenchmarkListRedis(b *testing.B) {
	for _, sc := range bothStores {
		b.Run(sc.name, func(b *testing.B) {
			s, err := New(sc.cfg(b, Config{}))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = s.Shutdown(context.Background()) })
			serveOne(b, s, "GET", "/contacts/bench?page=1&limit=10", "", http.StatusOK)
			b.ReportAllocs()
			for b.Loop() {
				serveOne(b, s, "GET", "/contacts/bench?page=1&limit=10", "", http.StatusOK)
			}
		})
	}
}

// BenchmarkSeedRedis seeds an app of 100,000 contacts in Redis, as a first
// request does: generating them, writing them aside, installing them.
func BenchmarkSeedRedis(b *testing.B) {
	ctx := context.Background()
	st := newTestStore(b, redisConfig(b, Config{Contacts: 100_000}))
	for b.Loop() {
		if err := st.Reset(ctx); err != nil {
			b.Fatal(err)
		}
		if _, _, err := st.Page(ctx, "app", 1, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRedisDataFileOnceAtStart: a replica that starts with --data on a Redis
// where the file's apps exist leaves them as they are (a deploy loses nothing);
// a reset brings the file back.
func TestRedisDataFileOnceAtStart(t *testing.T) {
	onceOnly(t)
	file := t.TempDir() + "/data.yaml"
	require.NoError(t, os.WriteFile(file, []byte("apps:\n  x:\n    - {name: Budi Santoso, phone: 6281234567890}\n    - {name: Siti Aminah, phone: 6281298765432}\n"), 0o600))
	cfg := redisConfig(t, Config{DataFile: file})
	a := newMock(t, cfg)
	require.Equal(t, 2, a.total("x"), "the data file's app")
	require.Equal(t, 201, a.do("POST", "/contacts/x", docsBatch).status)

	b := newMock(t, cfg) // a second replica, or the first one restarted
	assert.Equal(t, 4, b.total("x"), "a replica starting with --data keeps what the app holds")
	require.Equal(t, 200, b.do("POST", "/__admin/reset", "", "Content-Type: application/json").status)
	assert.Equal(t, 2, a.total("x"), "after a reset, the data file's contacts")
}

// TestRedisPausedCreateTellsTheTruth pauses Redis while a big create is on its
// way (the script sent, or about to be, and not yet run): the create's call times
// out, and Redis runs the script when it wakes. The answer must say what
// happened: 201 when the batch was stored, 503 only when it was not, so a client
// that retries as told never stores a batch twice.
func TestRedisPausedCreateTellsTheTruth(t *testing.T) {
	onceOnly(t)
	srv := redistest.Start(t)
	m := newMock(t, Config{Store: srv.URL(0), Contacts: -1, StoreTimeout: 250 * time.Millisecond})
	const rows = 2000
	statuses := map[int]int{}
	for i := range 6 {
		before := m.total("app")
		var b strings.Builder
		b.WriteString("[")
		for r := range rows {
			if r > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"name":"Paused %d","phone":%d}`, r, 6281300000000+int64(i*rows+r))
		}
		b.WriteString("]")
		done := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("POST", m.http.URL+"/contacts/app", strings.NewReader(b.String()))
			req.Header.Set("Authorization", token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := m.http.Client().Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		time.Sleep(time.Duration(i*4) * time.Millisecond) // the create on its way, somewhere
		require.NoError(t, srv.Pause())
		time.Sleep(600 * time.Millisecond)
		require.NoError(t, srv.Continue())
		status := <-done
		time.Sleep(300 * time.Millisecond) // whatever Redis had waiting has run
		after := m.total("app")
		statuses[status]++
		switch status {
		case 201:
			assert.Equal(t, before+rows, after, "create %d answered 201: the batch is stored, once", i)
		case 503:
			assert.Equal(t, before, after, "create %d answered 503 (try again): nothing is stored", i)
		default:
			t.Errorf("create %d: status %d, want 201 or 503", i, status)
		}
	}
	t.Logf("answers: %v", statuses)
}

// TestRedisReplicasWithOtherSeedsRefused: replicas on one prefix seed apps from
// --seed and --contacts, whichever replica an app's first request reaches; one
// started with others would make an app's data depend on that. It is refused at
// start, saying which flags differ; the same flags start.
func TestRedisReplicasWithOtherSeedsRefused(t *testing.T) {
	onceOnly(t)
	cfg := redisConfig(t, Config{Seed: 7, Contacts: 30})
	first := newMock(t, cfg)
	require.Equal(t, 30, first.total("app"))
	same, err := New(cfg)
	require.NoError(t, err, "a replica with the same --seed and --contacts")
	_ = same.Shutdown(context.Background())
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"another seed", func(c *Config) { c.Seed = 8 }, "--seed 7 --contacts 30"},
		{"other contacts", func(c *Config) { c.Contacts = 31 }, "--seed 7 --contacts 30"},
	} {
		other := cfg
		tc.mod(&other)
		s, err := New(other)
		if s != nil {
			_ = s.Shutdown(context.Background())
		}
		require.Error(t, err, "%s: a replica on the prefix", tc.name)
		assert.Contains(t, err.Error(), tc.want, "%s: the error says what the prefix's replicas use", tc.name)
		assert.Contains(t, err.Error(), cfg.StorePrefix, "%s: and the prefix", tc.name)
	}
	mine := cfg
	mine.StorePrefix = freshPrefix()
	mine.Seed = 8
	s, err := New(mine)
	require.NoError(t, err, "another seed on a prefix of its own")
	_ = s.Shutdown(context.Background())
}
