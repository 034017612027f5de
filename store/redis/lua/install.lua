-- Makes the written temporary keys the app's contacts, at
-- once. KEYS: gen, m, c, z, tc, tz, l, apps; ARGV: gen, mode ('seed' only
-- if unseeded, 'replace' always), rows, last created, token, max apps, app.
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
redis.call('INCR', ver)
return 'OK'
