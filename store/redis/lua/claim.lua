-- Decides who seeds an app: 'SEEDED' (someone did), 'WON' (the
-- caller holds the lock and seeds), or 'WAIT'. KEYS: gen, m, l, apps; ARGV:
-- gen, token, lock ms, max apps (0: none), app.
if redis.call('EXISTS', KEYS[2]) == 1 then return 'SEEDED' end
local cap = tonumber(ARGV[4])
if cap > 0 and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 0 and redis.call('SCARD', KEYS[4]) >= cap then
  return redis.error_reply('NOAPP')
end
if redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3]) then return 'WON' end
return 'WAIT'
