-- Shared by the presence scripts. ARGV: 1 (unused), 2 live channel prefix ("chat:{r:"), 3 now ms,
-- 4 expiry ms. A room's presence set holds "name|instance" members scored by when they expire;
-- its index (same members, score 0) finds one name's members by a lex range, so that joining
-- and leaving cost the same however many people are online.
local function index(zset)
  return zset .. ':names'
end
local function live_elsewhere(zset, name, except, now)
  for _, m in ipairs(redis.call('ZRANGEBYLEX', index(zset), '[' .. name .. '|', '[' .. name .. '|\255')) do
    if m ~= except then
      local score = redis.call('ZSCORE', zset, m)
      if score and tonumber(score) >= tonumber(now) then return true end
    end
  end
  return false
end
local function add(zset, expires, member)
  redis.call('ZADD', zset, expires, member)
  redis.call('ZADD', index(zset), 0, member)
end
local function remove(zset, member)
  redis.call('ZREM', index(zset), member)
  return redis.call('ZREM', zset, member)
end
-- The set outlives its newest entry by one more period, so that a sweep still sees what expired.
local function keep(zset)
  local at = 2 * tonumber(ARGV[4]) - tonumber(ARGV[3])
  redis.call('PEXPIREAT', zset, at)
  redis.call('PEXPIREAT', index(zset), at)
end
-- Presence sets are chat:{r:ROOM}:presence and live channels chat:{r:ROOM}:live.
local function announce(zset, name, action)
  local room = string.match(zset, '{r:(.*)}:presence$')
  redis.call(PUBLISH, ARGV[2] .. room .. '}:live', envelope('presence', '', presence_event(room, name, action)))
end
