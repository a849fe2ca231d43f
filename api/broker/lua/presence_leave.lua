-- Marks someone gone from rooms. KEYS: the rooms' presence sets. ARGV: 1-3 as in presence_lib,
-- 4 end of the grace period, 5 member, 6 name.
-- Until the grace ends the entry stays, so that a client back at once (a stream ended by a
-- platform's time limit, a reload) is never seen leaving; the sweep announces those that do
-- not come back. Without grace (ARGV[4] == now) the leave is immediate.
for _, zset in ipairs(KEYS) do
  if tonumber(ARGV[4]) > tonumber(ARGV[3]) then
    redis.call('ZADD', zset, 'XX', 'LT', ARGV[4], ARGV[5])
  elseif remove(zset, ARGV[5]) == 1 and not live_elsewhere(zset, ARGV[6], ARGV[5], ARGV[3]) then
    announce(zset, ARGV[6], 'leave')
  end
end
