-- Every script begins with this. KEYS[1] is always the generation key and
-- ARGV[1] the generation the caller believes current: a Reset (on any replica)
-- moved it on when they differ.
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return redis.error_reply('STALE') end
