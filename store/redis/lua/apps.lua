-- Returns how many apps exist in this generation. KEYS: gen, apps.
return redis.call('SCARD', KEYS[2])
