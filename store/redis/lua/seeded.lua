-- Scripts on an app's contacts follow the prelude with this: KEYS m, c, z come
-- after the generation key, and an app not seeded yet is the caller's to seed.
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('NOSEED') end
