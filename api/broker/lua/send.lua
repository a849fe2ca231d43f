-- Stores and publishes one message atomically, at most once per idempotency key, after checking
-- that the sender may speak: one round trip, one Redis command per message.
-- KEYS: 1 room stream, 2 idempotency key (the client's, or one the server made for this request),
--       3 room index (sorted set by last activity), 4 room meta hash (and message count), 5 room
--       members set, 6 sender's account, 7 sender's sessions, 8 sender's rate counter, 9 room read
--       positions, 10 room edits hash (api/wire/changes.py), then ARGV[14] attached files'
--       metadata (attach.lua), then mentions of each person the text mentions
-- ARGV: 1 channel, 2 room, 3 message body (api/wire/message.py), 4 stream max length
--       (approximate), 5 idempotency key TTL seconds, 6 sender's user id, 7 sender's session id,
--       8 guest idle TTL ms, 9 messages allowed per window, 10 window ms, 11 id of the message it
--       answers ("" none), 12 characters of its quote, 13 mentions kept per person, 14 number of
--       attached files, 15 (on a Redis Cluster only) the sender's name: send_sender.lua checked the
--       session and counted the send in the sender's slot, and KEYS 3, 6, 7 and 8, of other slots,
--       are stand-ins of the room's slot that this script leaves alone (nor does it touch the room
--       index: the caller does)
-- Returns {1, id, n, author, body of a reply or with files, or ""} sent, {0, id, n, author, body, state, reactions} already sent
--         (n "" once trimmed), {-1} session ended, {-2} not a member of this private room,
--         {-3, ms} rate limited, {-4} no such message to answer, {-5} it was deleted,
--         {-6, i} the i-th file is not the sender's to attach.
-- Out of memory (maxmemory with noeviction), Redis refuses a script's first write that may grow
-- memory and, once a script has written, none of the rest. So the first write here is the INCR
-- of count_send (sender_lib.lua), which Redis refuses when full: then the script stops with an OOM error having changed nothing. Every
-- refusal before it is a read, so a replay still answers from a full Redis. (On a cluster the first
-- write here is HINCRBY, which a full Redis refuses too.)
local checked = ARGV[15] ~= nil and ARGV[15] ~= ''
if not checked and redis.call('HEXISTS', KEYS[7], ARGV[7]) == 0 then
  return {-1}
end
local prior = redis.call('GET', KEYS[2])
if prior then
  local entry = redis.call('XRANGE', KEYS[1], prior, prior)[1]
  if not entry then return {0, prior, '', '', '', '', ''} end
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  local now = redis.call('HMGET', KEYS[10], prior, prior .. ':r')
  return {0, prior, fields['n'], fields['u'] or '', fields['m'], now[1] or '', now[2] or ''}
end
local account = checked and {ARGV[15], ''} or redis.call('HMGET', KEYS[6], 'name', 'kind')
if not account[1] then
  return {-1}
end
if redis.call('HGET', KEYS[4], 'private') == '1' and redis.call('SISMEMBER', KEYS[5], ARGV[6]) == 0 then
  return {-2}
end
local last_file = 10 + tonumber(ARGV[14])
local shown, refused = attachable_files(11, last_file, ARGV[6])
if not shown then
  return {-6, refused}
end
local body = ARGV[3]
if ARGV[11] ~= '' then
  local answered = redis.call('XRANGE', KEYS[1], ARGV[11], ARGV[11])[1]
  local fields = {}
  for i = 1, answered and #answered[2] or 0, 2 do fields[answered[2][i]] = answered[2][i + 1] end
  if not fields['n'] then return {-4} end
  local state = redis.call('HGET', KEYS[10], ARGV[11])
  local now = cjson.decode('{' .. fields['m'])
  if state then
    state = cjson.decode(state)
    if state.deleted then return {-5} end
    now.text = state.text
  end
  body = with_reply(body, reply_quote(ARGV[11], now.user_id, fields['u'] or now.user, now.text, tonumber(ARGV[12])))
end
body = with_files(body, shown)
if not checked then
  local wait = count_send(KEYS[8], ARGV[10], ARGV[9], account[2], KEYS[6], KEYS[7], ARGV[8])
  if wait then return {-3, wait} end
end
local n = redis.call('HINCRBY', KEYS[4], 'count', 1)
local id
if ARGV[11] ~= '' then
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'n', n, 'u', account[1], 'm', body, 'r', ARGV[11])
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'n', n, 'u', account[1], 'm', body)
end
attach_files(11, last_file, id)
redis.call('SET', KEYS[2], id, 'EX', ARGV[5])
if not checked then redis.call('ZADD', KEYS[3], string.match(id, '^(%d+)'), ARGV[2]) end
-- The sender has read what they wrote (quietly: no read event for it).
redis.call('HSET', KEYS[9], ARGV[6], read_position(ARGV[6], account[1], id, n, ARGV[2]))
for i = last_file + 1, #KEYS do
  redis.call('ZADD', KEYS[i], n, id)
  redis.call('ZREMRANGEBYRANK', KEYS[i], 0, -tonumber(ARGV[13]) - 1)
end
-- A room's first message may be what creates it: announced first, as create_room.lua does, so
-- that every process's access cache forgets whatever it knew of a room by that name.
if n == 1 then
  redis.call(PUBLISH, ARGV[1], envelope('access', '', cjson.encode({room = ARGV[2], private = false})))
end
redis.call(PUBLISH, ARGV[1], message_envelope(id, n, account[1], body))
-- A reply's body is the script's own (with its quote), and so is one with files: the caller has the rest.
return {1, id, n, account[1], (ARGV[11] ~= '' or #shown > 0) and body or ''}
