-- Stores and publishes one message atomically, at most once per idempotency key, after checking
-- that the sender may speak: one round trip, one Redis command per message.
-- KEYS: 1 room stream, 2 idempotency key, 3 room index (sorted set by last activity),
--       4 room hash (meta and message count), 5 room members set, 6 sender's guest claim,
--       7 sender's rate counter, 8 room read positions
-- ARGV: 1 channel, 2 room, 3 message body (api/wire/message.py), 4 stream max length
--       (approximate), 5 idempotency TTL seconds, 6 "1" if KEYS[2] is used, 7 sender key,
--       8 guest session id ("" for registered users), 9 guest idle TTL ms,
--       10 messages allowed per window, 11 window ms, 12 sender name
-- Returns {1, id, n} sent, {0, id, n, body} already sent (n and body "" once trimmed away),
--         {-1} guest name lost, {-2} not a member of this private room, {-3, ms} rate limited.
if ARGV[6] == '1' then
  local prior = redis.call('GET', KEYS[2])
  if prior then
    -- Keys written before they held only the id held the whole message.
    if string.sub(prior, 1, 1) == '{' then prior = cjson.decode(prior).id end
    local entry = redis.call('XRANGE', KEYS[1], prior, prior)[1]
    if not entry then return {0, prior, '', ''} end
    local fields = {}
    for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
    return {0, prior, fields['n'], fields['m']}
  end
end
if ARGV[8] ~= '' then
  if redis.call('GET', KEYS[6]) ~= ARGV[8] then
    return {-1}
  end
  redis.call('PEXPIRE', KEYS[6], ARGV[9])
end
if redis.call('HGET', KEYS[4], 'private') == '1' and redis.call('SISMEMBER', KEYS[5], ARGV[7]) == 0 then
  return {-2}
end
local used = redis.call('INCR', KEYS[7])
if used == 1 then
  redis.call('PEXPIRE', KEYS[7], ARGV[11])
end
if used > tonumber(ARGV[10]) then
  return {-3, redis.call('PTTL', KEYS[7])}
end
local n = redis.call('HINCRBY', KEYS[4], 'count', 1)
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'n', n, 'm', ARGV[3])
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], id, 'EX', ARGV[5])
end
redis.call('ZADD', KEYS[3], string.match(id, '^(%d+)'), ARGV[2])
-- The sender has read what they wrote (quietly: no read event for it).
redis.call('HSET', KEYS[8], ARGV[7], read_position(ARGV[12], id, n, ARGV[2]))
redis.call('PUBLISH', ARGV[1], message_envelope(id, n, ARGV[3]))
return {1, id, n}
