-- The wire formats that Redis scripts build, prepended to every script (api/broker/scripts.py):
-- the envelope (twin of api/wire/envelope.py, held to the same bytes by the tests), and the
-- read position and presence event JSON, which only scripts build.
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
