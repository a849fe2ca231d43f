-- Someone's read position in a room and how many messages after it mention them.
-- KEYS: 1 read positions, 2 their mentions in the room (message ids scored by number). ARGV: 1 user id.
-- Returns {position JSON or "", unread mentions}.
local position = redis.call('HGET', KEYS[1], ARGV[1])
local n = position and cjson.decode(position).n or 0
return {position or '', redis.call('ZCOUNT', KEYS[2], '(' .. n, '+inf')}
