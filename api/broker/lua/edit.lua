-- Edits a message: only its author, by user id. KEYS and ARGV 1-6 as in change_lib; ARGV 7 the
-- new state (text, edited_ts, mentions), 8.. the user ids the new text mentions.
-- Returns {status} or {1, change id, n, author, body, state, reactions, reply gone}.
local found = target()
if found[1] ~= 1 then return found end
local f, state = found[2], found[3]
if body_of(f)['user_id'] ~= ARGV[2] then return {-5} end
local before = mentioned(f, state)
local id = append('edit')
redis.call('HSET', KEYS[2], ARGV[1], ARGV[7])
local now = {}
for i = 8, #ARGV do now[ARGV[i]] = true end
for _, user in ipairs(before) do
  if not now[user] then redis.call('ZREM', ARGV[6] .. user, ARGV[1]) end
end
for i = 8, #ARGV do redis.call('ZADD', ARGV[6] .. ARGV[i], f['n'], ARGV[1]) end
return reply(1, id, f, ARGV[7])
