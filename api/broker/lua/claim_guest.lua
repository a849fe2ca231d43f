-- Claims a guest name, or renews it for the session that holds it.
-- KEYS: 1 registered user hash, 2 guest claim. ARGV: 1 new session id, 2 idle TTL ms,
-- 3 holder's current session id ("" if none). Returns "registered", "taken", or "ok".
if redis.call('EXISTS', KEYS[1]) == 1 then return 'registered' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[3] then return 'taken' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'ok'
