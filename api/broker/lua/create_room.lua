-- Creates a room; a room exists once it has a hash or has seen a message.
-- KEYS: 1 room hash, 2 room index, 3 members. ARGV: 1 room, 2 created ms, 3 topic, 4 private,
-- 5 creator, 6.. member keys. Returns 1 if created, 0 if it exists.
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'topic', ARGV[3], 'private', ARGV[4], 'created_by', ARGV[5], 'created', ARGV[2], 'count', 0)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
for i = 6, #ARGV do redis.call('SADD', KEYS[3], ARGV[i]) end
return 1
