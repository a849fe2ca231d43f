-- Creates a room in its own slot (a Redis Cluster's part of create_room.lua: the room index and
-- the members' own channels are told in calls of their own). It is announced on its channel, as
-- there.
-- KEYS: 1 room meta, 2 members. ARGV: 1 created ms, 2 topic, 3 private, 4 creator's name,
-- 5 creator's user id, 6 channel, 7 access event JSON, 8 "1" if the room index already has it,
-- 9.. member user ids. Returns 1 if created, 0 if it exists.
if ARGV[8] == '1' or redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'topic', ARGV[2], 'private', ARGV[3], 'created_by', ARGV[4],
  'created_by_id', ARGV[5], 'created', ARGV[1], 'count', 0)
redis.call(PUBLISH, ARGV[6], envelope('access', '', ARGV[7]))
if ARGV[3] == '1' then
  for i = 9, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end
end
return 1
