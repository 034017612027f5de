-- Every script begins with this. KEYS[1] is always the generation key and
-- ARGV[1] the generation the caller believes current: a Reset (on any replica)
-- moved it on when they differ. ver is the store's version key, beside the
-- generation key (PREFIX..'gen' and PREFIX..'ver'): every script that changes
-- contacts increments it (Store.Version), in the same script, so a reader that
-- read the version before the contacts never keeps an answer under a version
-- that outlives it.
local g = redis.call('GET', KEYS[1]) or '0'
if g ~= ARGV[1] then return redis.error_reply('STALE') end
local ver = string.sub(KEYS[1], 1, -4) .. 'ver'
