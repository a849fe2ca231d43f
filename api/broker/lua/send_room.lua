-- A send's second half on a Redis Cluster, in the room's slot (send_sender.lua checked the sender):
-- stores and publishes one message atomically, at most once per idempotency key.
-- KEYS: 1 room stream, 2 idempotency key, 3 room meta hash (and message count), 4 room members
--       set, 5 room read positions, 6 the room's live channel (a shard channel: in this slot).
-- ARGV: 1 room, 2 message body, 3 stream max length (approximate), 4 idempotency key TTL seconds,
--       5 sender's user id, 6 sender's name.
-- Returns {1, id, n, author} sent, {0, id, n, author, body} already sent (n "" once trimmed),
--         {-2} not a member of this private room.
-- The first write is HINCRBY, which a full Redis refuses: then nothing changed.
local prior = redis.call('GET', KEYS[2])
if prior then
  local entry = redis.call('XRANGE', KEYS[1], prior, prior)[1]
  if not entry then return {0, prior, '', '', ''} end
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  return {0, prior, fields['n'], fields['u'] or '', fields['m']}
end
if redis.call('HGET', KEYS[3], 'private') == '1' and redis.call('SISMEMBER', KEYS[4], ARGV[5]) == 0 then
  return {-2}
end
local n = redis.call('HINCRBY', KEYS[3], 'count', 1)
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 'n', n, 'u', ARGV[6], 'm', ARGV[2])
redis.call('SET', KEYS[2], id, 'EX', ARGV[4])
redis.call('HSET', KEYS[5], ARGV[5], read_position(ARGV[5], ARGV[6], id, n, ARGV[1]))
redis.call(PUBLISH, KEYS[6], message_envelope(id, n, ARGV[6], ARGV[2]))
return {1, id, n, ARGV[6]}
