-- Frees a guest name, only for the session that holds it.
-- KEYS: 1 guest claim. ARGV: 1 session id.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
