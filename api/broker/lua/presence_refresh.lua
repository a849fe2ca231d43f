-- KEYS: presence sets of this process's entries (n), more sets to sweep (m), then per guest
-- account connected here its sessions and account keys.
-- ARGV: 1-4 as in presence_lib, 5 n, 6 m, then each entry's member, then per guest its session
-- id and idle TTL ms: a guest is kept while connected.
local n, m = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, n do
  add(KEYS[i], ARGV[4], ARGV[6 + i])
  keep(KEYS[i])
end
local swept = {}
for i = 1, n + m do
  local zset = KEYS[i]
  if not swept[zset] then
    swept[zset] = true
    local expired = redis.call('ZRANGEBYSCORE', zset, '-inf', '(' .. ARGV[3])
    if #expired > 0 then
      redis.call('ZREMRANGEBYSCORE', zset, '-inf', '(' .. ARGV[3])
      for _, member in ipairs(expired) do redis.call('ZREM', index(zset), member) end
      local told = {}
      for _, member in ipairs(expired) do
        local name = string.match(member, '^(.*)|')
        if name and not told[name] and not live_elsewhere(zset, name, '', ARGV[3]) then
          told[name] = true
          announce(zset, name, 'leave')
        end
      end
    end
  end
end
local g = 7 + n
for i = n + m + 1, #KEYS, 2 do
  if redis.call('HEXISTS', KEYS[i], ARGV[g]) == 1 then
    redis.call('PEXPIRE', KEYS[i], ARGV[g + 1])
    redis.call('PEXPIRE', KEYS[i + 1], ARGV[g + 1])
  end
  g = g + 2
end
