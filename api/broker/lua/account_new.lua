-- Creates (or, for a guest becoming registered, fills in) an account and its first session, in
-- the account's slot: the first step of claiming or registering a name on a Redis Cluster.
-- KEYS: 1 account, 2 sessions. ARGV: 1 display name, 2 kind, 3 now ms, 4 account TTL ms (0: kept),
-- 5 session id, 6 sessions TTL ms, 7 password hash ("" for a guest).
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'kind', ARGV[2], 'password', ARGV[7], 'created', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'name', ARGV[1], 'kind', ARGV[2], 'created', ARGV[3])
end
if ARGV[4] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
redis.call('HSET', KEYS[2], ARGV[5], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 1
