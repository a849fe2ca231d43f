-- Stores and publishes one message atomically, at most once per idempotency key, after checking
-- that the sender may speak: one round trip, one Redis command per message.
-- KEYS: 1 room stream, 2 idempotency key (the client's, or one the server made for this request),
--       3 room index (sorted set by last activity), 4 room meta hash (and message count), 5 room
--       members set, 6 sender's account, 7 sender's sessions, 8 sender's rate counter, 9 room read
--       positions
-- ARGV: 1 channel, 2 room, 3 message body (api/wire/message.py), 4 stream max length
--       (approximate), 5 idempotency key TTL seconds, 6 sender's user id, 7 sender's session id,
--       8 guest idle TTL ms, 9 messages allowed per window, 10 window ms
-- Returns {1, id, n, author} sent, {0, id, n, author, body} already sent (n "" once trimmed),
--         {-1} session ended, {-2} not a member of this private room, {-3, ms} rate limited.
-- Out of memory (maxmemory with noeviction), Redis refuses a script's first write that may grow
-- memory and, once a script has written, none of the rest. So the first write here is INCR, which
-- Redis refuses when full: then the script stops with an OOM error having changed nothing. Every
-- refusal before it is a read, so a replay still answers from a full Redis.
if redis.call('HEXISTS', KEYS[7], ARGV[7]) == 0 then
  return {-1}
end
local prior = redis.call('GET', KEYS[2])
if prior then
  local entry = redis.call('XRANGE', KEYS[1], prior, prior)[1]
  if not entry then return {0, prior, '', '', ''} end
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  return {0, prior, fields['n'], fields['u'] or '', fields['m']}
end
local account = redis.call('HMGET', KEYS[6], 'name', 'kind')
if not account[1] then
  return {-1}
end
if redis.call('HGET', KEYS[4], 'private') == '1' and redis.call('SISMEMBER', KEYS[5], ARGV[6]) == 0 then
  return {-2}
end
local used = redis.call('INCR', KEYS[8])
if used == 1 then
  redis.call('PEXPIRE', KEYS[8], ARGV[10])
end
if account[2] == 'guest' then
  redis.call('PEXPIRE', KEYS[6], ARGV[8])
  redis.call('PEXPIRE', KEYS[7], ARGV[8])
end
if used > tonumber(ARGV[9]) then
  return {-3, redis.call('PTTL', KEYS[8])}
end
local n = redis.call('HINCRBY', KEYS[4], 'count', 1)
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'n', n, 'u', account[1], 'm', ARGV[3])
redis.call('SET', KEYS[2], id, 'EX', ARGV[5])
redis.call('ZADD', KEYS[3], string.match(id, '^(%d+)'), ARGV[2])
-- The sender has read what they wrote (quietly: no read event for it).
redis.call('HSET', KEYS[9], ARGV[6], read_position(ARGV[6], account[1], id, n, ARGV[2]))
redis.call(PUBLISH, ARGV[1], message_envelope(id, n, account[1], ARGV[3]))
return {1, id, n, account[1]}
