-- Reads a room's stream for pages, replays and searches, with the current state of every
-- message the entries show (api/wire/changes.py): one round trip.
-- KEYS: 1 stream, 2 edits hash. ARGV: 1 "rev" (newest first) or "fwd", 2 the id to start after
-- (exclusive; "" from the end), 3 at most this many entries, 4 stop once this many messages are
-- read (0: no such stop).
-- Returns {entries, {field, value, ...} of the edits hash, 1 if the stream has no more}.
local rev = ARGV[1] == 'rev'
local cursor, budget, want = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out, messages, done = {}, 0, 0
while budget > 0 do
  local count = budget
  if want > 0 then count = math.min(budget, want - messages) end
  local batch
  if rev then
    batch = redis.call('XREVRANGE', KEYS[1], cursor == '' and '+' or '(' .. cursor, '-', 'COUNT', count)
  else
    batch = redis.call('XRANGE', KEYS[1], cursor == '' and '-' or '(' .. cursor, '+', 'COUNT', count)
  end
  for _, entry in ipairs(batch) do
    out[#out + 1] = entry
    local fields = entry[2]
    for i = 1, #fields, 2 do
      if fields[i] == 'n' then messages = messages + 1 end
    end
  end
  budget = budget - #batch
  if #batch < count then
    done = 1
    break
  end
  cursor = batch[#batch][1]
  if want > 0 and messages >= want then break end
end
local wanted = {}
for _, entry in ipairs(out) do
  local fields = entry[2]
  for i = 1, #fields, 2 do
    local name = fields[i]
    if name == 'n' then
      wanted[#wanted + 1] = entry[1]
      wanted[#wanted + 1] = entry[1] .. ':r'
    elseif name == 'r' or name == 't' then
      wanted[#wanted + 1] = fields[i + 1]
    end
  end
end
local states = {}
if #wanted > 0 and redis.call('EXISTS', KEYS[2]) == 1 then
  local values = redis.call('HMGET', KEYS[2], unpack(wanted))
  for i = 1, #wanted do
    if values[i] then
      states[#states + 1] = wanted[i]
      states[#states + 1] = values[i]
    end
  end
end
return {out, states, done}
