-- Shared by the presence scripts. ARGV: 1 (unused), 2 live channel prefix ("chat:{r:"), 3 now ms,
-- 4 expiry ms. Members are "name|instance", scored by when they expire.
local function live_elsewhere(zset, name, except, now)
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', zset, now, '+inf')) do
    if m ~= except and string.sub(m, 1, #name + 1) == name .. '|' then return true end
  end
  return false
end
-- The set outlives its newest entry by one more period, so that a sweep still sees what expired.
local function keep(zset)
  redis.call('PEXPIREAT', zset, 2 * tonumber(ARGV[4]) - tonumber(ARGV[3]))
end
-- Presence sets are chat:{r:ROOM}:presence and live channels chat:{r:ROOM}:live.
local function announce(zset, name, action)
  local room = string.match(zset, '{r:(.*)}:presence$')
  redis.call('PUBLISH', ARGV[2] .. room .. '}:live', envelope('presence', '', presence_event(room, name, action)))
end
