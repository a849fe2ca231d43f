-- The wire formats that Redis scripts build, prepended to every script (api/broker/scripts.py):
-- the envelope (twin of api/wire/envelope.py, held to the same bytes by the tests), the quote
-- of a reply (twin of api/wire/message.py), and the read position and presence event JSON,
-- which only scripts build.
local function envelope(kind, id, data)
  return kind .. '\n' .. id .. '\n' .. data
end
local function message_envelope(id, number, author, body)
  return envelope('message', id, number .. '\n' .. author .. '\n' .. body)
end
local function read_position(user_id, user, id, n, room)
  return cjson.encode({user_id = user_id, user = user, id = id, n = n, room = room})
end
local function presence_event(room, user, action)
  return cjson.encode({room = room, user = user, action = action})
end
-- At most `max` characters (UTF-8 sequences) of `text`, then an ellipsis.
local function reply_quote(id, user_id, user, text, max)
  local count = 0
  for start in string.gmatch(text, '()[^\128-\191][\128-\191]*') do
    count = count + 1
    if count > max then
      text = string.sub(text, 1, start - 1) .. '…'
      break
    end
  end
  return '{"id":"' .. id .. '","user_id":' .. cjson.encode(user_id) .. ',"user":' .. cjson.encode(user) ..
    ',"text":' .. cjson.encode(text) .. '}'
end
local function with_reply(body, quote)
  return string.sub(body, 1, -2) .. ',"reply_to":' .. quote .. '}'
end
