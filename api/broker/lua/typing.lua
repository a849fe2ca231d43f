-- Announces that someone types, at most once per throttle period.
-- KEYS: 1 throttle key. ARGV: 1 channel, 2 throttle ms, 3 event JSON. Returns 1 if announced.
if not redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'NX') then return 0 end
redis.call(PUBLISH, ARGV[1], envelope('typing', '', ARGV[3]))
return 1
