-- Returns up to ARGV[3] contacts created after number ARGV[2],
-- oldest first: {id, number, id, number, ...} and their packed contacts.
local z = redis.call('ZRANGE', KEYS[4], '(' .. ARGV[2], '+inf', 'BYSCORE', 'LIMIT', 0, ARGV[3], 'WITHSCORES')
if #z == 0 then return {{}, {}} end
local ids = {}
for i = 1, #z, 2 do ids[#ids + 1] = z[i] end
return {z, redis.call('HMGET', KEYS[3], unpack(ids))}
