-- Looks a name up for signing in; for a registered name, counts the attempt before the password
-- is checked, so that at most `limit` passwords are ever checked per name per window, however
-- many arrive at once.
-- KEYS: 1 name key, 2 attempts counter. ARGV: 1 limit, 2 window ms.
-- Returns {"free"}, {"guest", id}, {"user", id} or {"throttled", ms until the window ends}.
local current = redis.call('GET', KEYS[1])
if not current then return {'free'} end
if string.sub(current, 1, 6) == 'guest:' then return {'guest', string.sub(current, 7)} end
local used = redis.call('INCR', KEYS[2])
if used == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
if used > tonumber(ARGV[1]) then return {'throttled', redis.call('PTTL', KEYS[2])} end
return {'user', string.sub(current, 6)}
