-- A new session of a registered account after a right password, which does not count as a
-- failed attempt. KEYS: 1 sessions, 2 attempts counter. ARGV: 1 session id, 2 now ms, 3 TTL ms.
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if (tonumber(redis.call('GET', KEYS[2]) or '0')) > 0 then redis.call('DECR', KEYS[2]) end
return 1
