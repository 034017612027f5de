-- Settles a create whose caller timed out: 1 when its batch (KEYS[1], see
-- create.lua) is stored, else 0, and the batch is cancelled, so that a create
-- Redis has yet to run can never store it. No prelude: the batch is settled
-- whatever the generation is now.
local v = redis.call('GET', KEYS[1])
if v and v ~= 'cancelled' then return 1 end
redis.call('SET', KEYS[1], 'cancelled', 'EX', 600)
return 0
