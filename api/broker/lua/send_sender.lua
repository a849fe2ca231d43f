-- A send's first half on a Redis Cluster, in the sender's slot: whether the session is alive, the
-- send rate, and a guest's idle time. (On one Redis, send.lua does both halves in one call.)
-- KEYS: 1 sender's account, 2 sender's sessions, 3 sender's rate counter.
-- ARGV: 1 session id, 2 guest idle TTL ms, 3 messages allowed per window, 4 window ms.
-- Returns {1, author} go on, {-1} session ended, {-3, ms} rate limited.
-- The first write is INCR, which a full Redis refuses: then nothing changed.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  return {-1}
end
local account = redis.call('HMGET', KEYS[1], 'name', 'kind')
if not account[1] then
  return {-1}
end
local wait = count_send(KEYS[3], ARGV[4], ARGV[3], account[2], KEYS[1], KEYS[2], ARGV[2])
if wait then return {-3, wait} end
return {1, account[1]}
