-- Gives an account a new display name; its id, and so everything it owns, stays.
-- KEYS: 1 new name key, 2 old name key, 3 account, 4 sessions. ARGV: 1 user id, 2 new name,
-- 3 session id, 4 key prefix. Returns "ok", "taken" or "no_session".
if redis.call('HEXISTS', KEYS[4], ARGV[3]) == 0 then return 'no_session' end
local kind = redis.call('HGET', KEYS[3], 'kind')
if not kind then return 'no_session' end
local mine = kind .. ':' .. ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and current ~= mine then
  local holder = string.match(current, '^guest:(.*)$')
  if not holder or redis.call('EXISTS', ARGV[4] .. '{u:' .. holder .. '}:sessions') == 1 then return 'taken' end
end
if KEYS[1] ~= KEYS[2] and redis.call('GET', KEYS[2]) == mine then redis.call('DEL', KEYS[2]) end
redis.call('SET', KEYS[1], mine)
redis.call('HSET', KEYS[3], 'name', ARGV[2])
return 'ok'
