-- Moves a reader's position forward only, and announces it.
-- KEYS: 1 stream, 2 reads hash. ARGV: 1 channel, 2 user id, 3 user name, 4 message id, 5 room.
-- Returns the position as JSON, or "" for an unknown id.
local entry = redis.call('XRANGE', KEYS[1], ARGV[4], ARGV[4])[1]
if not entry then return '' end
local n
for i = 1, #entry[2], 2 do if entry[2][i] == 'n' then n = tonumber(entry[2][i + 1]) end end
local current = redis.call('HGET', KEYS[2], ARGV[2])
if current and cjson.decode(current).n >= n then return current end
local position = read_position(ARGV[2], ARGV[3], ARGV[4], n, ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], position)
redis.call(PUBLISH, ARGV[1], envelope('read', '', position))
return position
