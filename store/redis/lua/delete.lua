-- Deletes a contact, or answers NOCONTACT.
if redis.call('HDEL', KEYS[3], ARGV[2]) == 0 then return redis.error_reply('NOCONTACT') end
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('INCR', ver)
return 1
