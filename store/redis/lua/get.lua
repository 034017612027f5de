-- Returns a contact (its packed form), or NOCONTACT.
local v = redis.call('HGET', KEYS[3], ARGV[2])
if not v then return redis.error_reply('NOCONTACT') end
return v
