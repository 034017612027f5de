-- Flips the blocked flag, byte 17 of the packed contact.
local v = redis.call('HGET', KEYS[3], ARGV[2])
if not v then return redis.error_reply('NOCONTACT') end
local flags = string.byte(v, 17)
local flipped = flags - (flags % 2) + (1 - flags % 2)
v = string.sub(v, 1, 16) .. string.char(flipped) .. string.sub(v, 18)
redis.call('HSET', KEYS[3], ARGV[2], v)
redis.call('INCR', ver)
return v
