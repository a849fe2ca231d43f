-- Marks someone online in rooms. KEYS: the rooms' presence sets. ARGV: 1-4 as in presence_lib,
-- 5 member, 6 name.
for _, zset in ipairs(KEYS) do
  local before = redis.call('ZSCORE', zset, ARGV[5])
  local was_here = live_elsewhere(zset, ARGV[6], ARGV[5], ARGV[3]) or (before and tonumber(before) > tonumber(ARGV[3]))
  add(zset, ARGV[4], ARGV[5])
  keep(zset)
  if not was_here then announce(zset, ARGV[6], 'join') end
end
