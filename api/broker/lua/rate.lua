-- Fixed-window counters, all counted or none: one more event for each key, unless one of them is
-- already at its limit. KEYS: counters. ARGV: 1 limit, 2 window ms.
-- Returns 0 if counted, else the ms until the fullest window ends.
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[1]) then
    local ttl = redis.call('PTTL', KEYS[i])
    if ttl < 0 then ttl = tonumber(ARGV[2]) end
    return ttl
  end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return 0
