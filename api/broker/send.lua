-- Stores and publishes one message atomically, at most once per idempotency key.
-- KEYS: 1 room stream, 2 idempotency key, 3 room index (sorted set of last activity)
-- ARGV: 1 channel, 2 room, 3 message JSON without its leading '{' and without id and ts,
--       4 stream max length (approximate), 5 idempotency TTL seconds, 6 "1" if KEYS[2] is used
if ARGV[6] == '1' then
  local prior = redis.call('GET', KEYS[2])
  if prior then
    return {0, prior}
  end
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', 'm', ARGV[3])
local ms = string.match(id, '^(%d+)')
local message = '{"id":"' .. id .. '","ts":' .. ms .. ',' .. ARGV[3]
if ARGV[6] == '1' then
  redis.call('SET', KEYS[2], message, 'EX', ARGV[5])
end
redis.call('ZADD', KEYS[3], ms, ARGV[2])
redis.call('PUBLISH', ARGV[1], 'message\n' .. id .. '\n' .. message)
return {1, message}
