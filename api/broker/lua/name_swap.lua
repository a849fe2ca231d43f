-- Points a name at an account only if it still holds what the caller read (compare and set), so
-- that of two claims racing on a Redis Cluster, where a name and an account sit in different
-- slots, one wins. KEYS: 1 name key. ARGV: 1 expected value ("" for none), 2 new value ("" to
-- free the name). Returns 1 if swapped.
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
