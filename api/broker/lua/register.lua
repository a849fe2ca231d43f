-- Registers a name with a password; a guest may register the name it holds.
-- KEYS: 1 user hash, 2 guest claim. ARGV: 1 display name, 2 password hash, 3 created ms,
-- 4 the caller's guest session id ("" if none). Returns "exists", "taken" or "ok".
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[4] then return 'taken' end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'password', ARGV[2], 'created', ARGV[3])
return 'ok'
