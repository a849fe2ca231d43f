-- Ends one session in the account's slot (a Redis Cluster's part of session_end.lua, which frees
-- a lapsed guest's name in a second call). KEYS: 1 sessions, 2 account, 3 the person's channel.
-- ARGV: 1 session id, 2 event JSON. Returns 0 if there was no such session, 2 if it was a guest's
-- last (the account is gone: its name is to be freed), else 1.
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call(PUBLISH, KEYS[3], envelope('session_end', '', ARGV[2]))
if redis.call('HGET', KEYS[2], 'kind') == 'guest' and redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return 2
end
return 1
