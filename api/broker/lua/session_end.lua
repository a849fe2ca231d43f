-- Ends one session. A guest account whose last session ends is over: its name is free.
-- KEYS: 1 sessions, 2 account, 3 name key. ARGV: 1 session id, 2 user id, 3 user channel,
-- 4 event JSON. Returns 1 if the session existed.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call(PUBLISH, ARGV[3], envelope('session_end', '', ARGV[4]))
if redis.call('HGET', KEYS[2], 'kind') == 'guest' and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  if redis.call('GET', KEYS[3]) == 'guest:' .. ARGV[2] then redis.call('DEL', KEYS[3]) end
end
return 1
