-- Takes one back from a failure counter that is above zero. KEYS: 1 counter.
if (tonumber(redis.call('GET', KEYS[1]) or '0')) > 0 then redis.call('DECR', KEYS[1]) end
return 1
