-- Returns {total, contacts} for ranks ARGV[2]..ARGV[3], newest
-- first, in one snapshot so meta and data agree. The contacts come as one
-- string, per contact its id, the packed contact's length (2 bytes) and the
-- packed contact: one reply to read instead of two per contact.
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
