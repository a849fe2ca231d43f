-- Shared by the scripts that change a message (edit, delete, react).
-- Common KEYS: 1 stream, 2 edits hash (message id -> state, "id:r" -> reactions), 3 edited index
-- (ids by time), 4 room meta, 5 members. Common ARGV: 1 message id, 2 user id, 3 channel,
-- 4 stream max length, 5 change JSON (after its opening brace), 6 mentions key prefix.
-- Statuses: 1 changed, 0 nothing to change, -2 not a member of the private room, -3 no such
-- message (never sent, trimmed, or not a message), -4 deleted, -5 not allowed, -6 too many.
local function fields_of(entry)
  local f = {}
  for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
  return f
end
local function is_deleted(state)
  return state ~= false and state ~= nil and cjson.decode(state).deleted == true
end
-- The message to change, if this person may read its room: {status} or {1, fields, state}.
local function target()
  if redis.call('HGET', KEYS[4], 'private') == '1' and redis.call('SISMEMBER', KEYS[5], ARGV[2]) == 0 then
    return {-2}
  end
  local entry = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])[1]
  if not entry then return {-3} end
  local f = fields_of(entry)
  if not f['n'] then return {-3} end
  local state = redis.call('HGET', KEYS[2], ARGV[1])
  if is_deleted(state) then return {-4} end
  return {1, f, state}
end
local function body_of(f)
  return cjson.decode('{' .. f['m'])
end
-- The ids a message mentions now.
local function mentioned(f, state)
  local source = state and cjson.decode(state) or body_of(f)
  local ids = source['mentions']
  if type(ids) ~= 'table' then return {} end
  return ids
end
-- Whether the message it answers (if any) was deleted since.
local function reply_gone(f)
  return f['r'] ~= nil and is_deleted(redis.call('HGET', KEYS[2], f['r']))
end
-- Appends the change to the stream (the script's first write: refused whole when Redis is
-- full), publishes it, and forgets the states of messages the stream no longer keeps.
local function append(kind)
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'k', kind, 't', ARGV[1], 'd', ARGV[5])
  redis.call(PUBLISH, ARGV[3], envelope(kind, id, ARGV[5]))
  redis.call('ZADD', KEYS[3], string.match(ARGV[1], '^(%d+)'), ARGV[1])
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if oldest then
    local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.match(oldest[1], '^(%d+)'), 'LIMIT', 0, 50)
    for _, old in ipairs(gone) do
      redis.call('HDEL', KEYS[2], old, old .. ':r')
      redis.call('ZREM', KEYS[3], old)
    end
  end
  return id
end
local function reply(status, id, f, state)
  return {status, id, f['n'], f['u'] or '', f['m'], state or '', redis.call('HGET', KEYS[2], ARGV[1] .. ':r') or '',
    reply_gone(f) and 1 or 0}
end
