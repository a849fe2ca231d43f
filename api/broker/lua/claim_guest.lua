-- Claims a free name for a new guest account, or renews it for the session that holds it.
-- A name key holds "user:ID" (registered) or "guest:ID"; a guest account is alive while its
-- sessions key exists (it lapses after the idle TTL).
-- KEYS: 1 name key, 2 new account, 3 new sessions, 4 holder's account, 5 holder's sessions.
-- ARGV: 1 new user id, 2 new session id, 3 idle TTL ms, 4 display name, 5 holder's user id
--       ("" if none), 6 holder's session id, 7 now ms, 8 key prefix.
-- Returns {"registered"}, {"taken"}, or {"ok", user id, session id}.
local current = redis.call('GET', KEYS[1])
if current then
  if string.sub(current, 1, 5) == 'user:' then return {'registered'} end
  local holder = string.sub(current, 7)
  if ARGV[5] ~= '' and holder == ARGV[5] and redis.call('HEXISTS', KEYS[5], ARGV[6]) == 1 then
    redis.call('PEXPIRE', KEYS[4], ARGV[3])
    redis.call('PEXPIRE', KEYS[5], ARGV[3])
    return {'ok', ARGV[5], ARGV[6]}
  end
  if redis.call('EXISTS', ARGV[8] .. '{u:' .. holder .. '}:sessions') == 1 then return {'taken'} end
end
redis.call('SET', KEYS[1], 'guest:' .. ARGV[1])
redis.call('HSET', KEYS[2], 'name', ARGV[4], 'kind', 'guest', 'created', ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[7])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {'ok', ARGV[1], ARGV[2]}
