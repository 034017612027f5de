-- Stores a batch whole or not at all: every check comes before
-- the first write, since Redis does not roll a script back. ARGV: gen, now,
-- max rows, then id and packed tail (phone, flags, name) per row. Each row
-- gets the next creation number; all are dated max(now, the app's newest).
-- KEYS[5] is the batch's own key, written with the rows: its row count once
-- stored, 'cancelled' once settle.lua gave up on it (a caller that timed out
-- and answered that nothing was stored), so the batch lands at most once, and
-- never after its caller said it did not.
local done = redis.call('GET', KEYS[5])
if done == 'cancelled' then return redis.error_reply('CANCELLED') end
if done then return tonumber(done) end
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
redis.call('SET', KEYS[5], n, 'EX', 600)
redis.call('INCR', ver)
return n
