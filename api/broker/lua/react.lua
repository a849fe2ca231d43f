-- Adds (ARGV 8 "1") or takes back (ARGV 8 "0") one person's reaction to a message. KEYS and
-- ARGV 1-6 as in change_lib; ARGV 7 the emoji, 9 at most this many distinct emoji per message.
-- Reactions are kept as a JSON list of [emoji, [user id, ...]] in order of first use.
-- Returns {status} or {1 changed | 0 already so, change id ("" unchanged), n, author, body,
-- state, reactions, reply gone}.
local found = target()
if found[1] ~= 1 then return found end
local f, state = found[2], found[3]
local field = ARGV[1] .. ':r'
local stored = redis.call('HGET', KEYS[2], field)
local pairs_ = stored and cjson.decode(stored) or {}
local at, who = nil, nil
for i, pair in ipairs(pairs_) do
  if pair[1] == ARGV[7] then
    at = i
    for j, user in ipairs(pair[2]) do
      if user == ARGV[2] then who = j end
    end
  end
end
local on = ARGV[8] == '1'
if (on and who) or (not on and not who) then return reply(0, '', f, state) end
if on and not at and #pairs_ >= tonumber(ARGV[9]) then return {-6} end
local id = append('reaction')
if on then
  if at then
    table.insert(pairs_[at][2], ARGV[2])
  else
    table.insert(pairs_, {ARGV[7], {ARGV[2]}})
  end
else
  table.remove(pairs_[at][2], who)
  if #pairs_[at][2] == 0 then table.remove(pairs_, at) end
end
if #pairs_ == 0 then
  redis.call('HDEL', KEYS[2], field)
else
  redis.call('HSET', KEYS[2], field, cjson.encode(pairs_))
end
return reply(1, id, f, state)
