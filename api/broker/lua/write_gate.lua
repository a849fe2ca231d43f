-- Whether a session may write one more entry to a room now: it is alive, and its account is under
-- its send rate (counted here, as a send counts). One call on the account's slot.
-- KEYS: 1 sessions, 2 send rate counter. ARGV: 1 session id, 2 limit, 3 window ms.
-- Returns -1 if the session ended, 0 if counted, else the ms until the window ends.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
local used = redis.call('INCR', KEYS[2])
if used == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
if used > tonumber(ARGV[2]) then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then ttl = tonumber(ARGV[3]) end
  return ttl
end
return 0
