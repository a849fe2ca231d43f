-- Moves a reader's position forward only, and announces it. Positions count messages (`n`): the
-- id of a change (edit, deletion, reaction) reads up to the newest message before it.
-- KEYS: 1 stream, 2 reads hash. ARGV: 1 channel, 2 user id, 3 user name, 4 entry id, 5 room.
-- Returns the position as JSON, or "" for an unknown id.
local entries = redis.call('XREVRANGE', KEYS[1], ARGV[4], '-', 'COUNT', 50)
if not entries[1] or entries[1][1] ~= ARGV[4] then return '' end
local n, id
for _, entry in ipairs(entries) do
  for i = 1, #entry[2], 2 do if entry[2][i] == 'n' then n = tonumber(entry[2][i + 1]) end end
  if n then
    id = entry[1]
    break
  end
end
if not n then return '' end
local current = redis.call('HGET', KEYS[2], ARGV[2])
if current and cjson.decode(current).n >= n then return current end
local position = read_position(ARGV[2], ARGV[3], id, n, ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], position)
redis.call(PUBLISH, ARGV[1], envelope('read', '', position))
return position
