-- Creates a room; a room exists once it has a meta hash or has seen a message. It is announced on
-- its own channel (every process's access cache learns of it; a private room's streams opened
-- before it existed stop reading it), and a private room to each member's own channel, so that
-- their open streams learn of it at once.
-- KEYS: 1 room meta, 2 room index, 3 members. ARGV: 1 room, 2 created ms, 3 topic, 4 private,
-- 5 creator's name, 6 creator's user id, 7 channel, 8 access event JSON, 9 key prefix,
-- 10.. member user ids. Returns 1 if created, 0 if it exists.
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'topic', ARGV[3], 'private', ARGV[4], 'created_by', ARGV[5],
  'created_by_id', ARGV[6], 'created', ARGV[2], 'count', 0)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call(PUBLISH, ARGV[7], envelope('access', '', ARGV[8]))
if ARGV[4] == '1' then
  local told = cjson.encode({room = ARGV[1], member = true})
  for i = 10, #ARGV do
    redis.call('SADD', KEYS[3], ARGV[i])
    redis.call(PUBLISH, ARGV[9] .. '{u:' .. ARGV[i] .. '}:live', envelope('membership', '', told))
  end
end
return 1
