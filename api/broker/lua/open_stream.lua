-- Everything opening a stream needs, in one call: whether the session is alive, and per room
-- whether it exists, is private, has this person as a member, and the oldest and newest ids
-- its stream keeps.
-- KEYS: 1 sessions of the viewer (any key when anonymous), 2 room index, then per room: meta,
-- members, stream. ARGV: 1 viewer's user id ("" when anonymous), 2 session id, then the rooms.
-- Returns {alive, {exists, private, member, oldest, newest}, ...} (ids "" when none).
local alive = 0
if ARGV[1] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then alive = 1 end
local result = {alive}
for i = 3, #ARGV do
  local base = 3 + (i - 3) * 3
  local private = redis.call('HGET', KEYS[base], 'private')
  local exists = (private or redis.call('ZSCORE', KEYS[2], ARGV[i])) and 1 or 0
  local member = 0
  if private == '1' and ARGV[1] ~= '' then member = redis.call('SISMEMBER', KEYS[base + 1], ARGV[1]) end
  local first = redis.call('XRANGE', KEYS[base + 2], '-', '+', 'COUNT', 1)[1]
  local last = redis.call('XREVRANGE', KEYS[base + 2], '+', '-', 'COUNT', 1)[1]
  result[#result + 1] = {exists, private == '1' and 1 or 0, member, first and first[1] or '', last and last[1] or ''}
end
return result
