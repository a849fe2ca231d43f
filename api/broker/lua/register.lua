-- Registers a free name with a password, or the name the caller's guest account holds (which
-- keeps its id, so its memberships stay).
-- KEYS: 1 name key, 2 account, 3 sessions. ARGV: 1 user id, 2 display name, 3 password hash,
-- 4 now ms, 5 the caller's guest user id ("" if none), 6 new session id, 7 sessions TTL ms,
-- 8 key prefix. Returns "exists" (registered meanwhile), "taken" (a live guest holds it) or "ok".
local current = redis.call('GET', KEYS[1])
if current then
  if string.sub(current, 1, 5) == 'user:' then return 'exists' end
  local holder = string.sub(current, 7)
  if holder ~= ARGV[5] and redis.call('EXISTS', ARGV[8] .. '{u:' .. holder .. '}:sessions') == 1 then
    return 'taken'
  end
end
redis.call('SET', KEYS[1], 'user:' .. ARGV[1])
redis.call('HSET', KEYS[2], 'name', ARGV[2], 'kind', 'user', 'password', ARGV[3], 'created', ARGV[4])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[3], ARGV[6], ARGV[4])
redis.call('PEXPIRE', KEYS[3], ARGV[7])
return 'ok'
