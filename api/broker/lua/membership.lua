-- Adds a member to a private room or removes one, and announces it on the room's channel (the
-- streams of someone removed stop reading it) and to the person's own channel.
-- KEYS: 1 members. ARGV: 1 "add" or "remove", 2 user id, 3 room channel, 4 access event JSON,
-- 5 the person's channel ("" on a Redis Cluster, where the caller tells it: another slot),
-- 6 membership event JSON. Returns 1 if the set changed.
local changed
if ARGV[1] == 'add' then
  changed = redis.call('SADD', KEYS[1], ARGV[2])
else
  changed = redis.call('SREM', KEYS[1], ARGV[2])
end
if changed == 1 then
  redis.call(PUBLISH, ARGV[3], envelope('access', '', ARGV[4]))
  if ARGV[5] ~= '' then redis.call(PUBLISH, ARGV[5], envelope('membership', '', ARGV[6])) end
end
return changed
