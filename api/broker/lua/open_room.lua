-- One room's part of opening a stream on a Redis Cluster, in the room's slot (open_stream.lua does
-- every room and the session at once on one Redis).
-- KEYS: 1 meta, 2 members, 3 stream. ARGV: 1 viewer's user id ("" when anonymous).
-- Returns {has meta, private, member, oldest, newest} (ids "" when none).
local private = redis.call('HGET', KEYS[1], 'private')
local member = 0
if private == '1' and ARGV[1] ~= '' then member = redis.call('SISMEMBER', KEYS[2], ARGV[1]) end
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)[1]
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]
return {private and 1 or 0, private == '1' and 1 or 0, member, first and first[1] or '', last and last[1] or ''}
