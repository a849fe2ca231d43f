-- Keeps a guest's account and sessions for another idle period if the session is alive, in the
-- account's slot (a Redis Cluster's part of claim_guest.lua).
-- KEYS: 1 account, 2 sessions. ARGV: 1 session id, 2 idle TTL ms. Returns 1 if alive.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
