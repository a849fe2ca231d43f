-- Files attached to a send (api/broker/files.py). Their metadata keys are the send's KEYS from
-- `first` to `last`: each must be the sender's, ready and attached to nothing yet. Checked with
-- reads only (before the send's first write); attached once the message has its id.
local function attachable_files(first, last, sender)
  local shown = {}
  for i = first, last do
    local file = redis.call('HMGET', KEYS[i], 'owner', 'state', 'message', 'json')
    if file[1] ~= sender or file[2] ~= 'ready' or file[3] ~= '' then
      return nil, i - first + 1
    end
    shown[#shown + 1] = file[4]
  end
  return shown
end
-- The stored body (its JSON after the opening brace) with the files' JSON added.
local function with_files(body, shown)
  if #shown == 0 then return body end
  return string.sub(body, 1, -2) .. ',"files":[' .. table.concat(shown, ',') .. ']}'
end
local function attach_files(first, last, id)
  for i = first, last do
    redis.call('HSET', KEYS[i], 'message', id)
    redis.call('PERSIST', KEYS[i])
  end
end
