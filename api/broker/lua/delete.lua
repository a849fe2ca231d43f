-- Deletes a message: its author, the room's creator, or an admin (ARGV 7 "1"). KEYS and ARGV
-- 1-6 as in change_lib. Its text and files are never shown again; its stored body is returned
-- (what it referred to, such as files, can then be let go of).
-- Returns {status} or {1, change id, n, author, body, state before}.
local found = target()
if found[1] ~= 1 then return found end
local f, state = found[2], found[3]
if body_of(f)['user_id'] ~= ARGV[2] and ARGV[7] ~= '1' and redis.call('HGET', KEYS[4], 'created_by_id') ~= ARGV[2] then
  return {-5}
end
local before = mentioned(f, state)
local id = append('delete')
redis.call('HSET', KEYS[2], ARGV[1], '{"deleted":true}')
redis.call('HDEL', KEYS[2], ARGV[1] .. ':r')
for _, user in ipairs(before) do redis.call('ZREM', ARGV[6] .. user, ARGV[1]) end
return {1, id, f['n'], f['u'] or '', f['m'], state or ''}
