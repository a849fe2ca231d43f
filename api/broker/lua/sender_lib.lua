-- Counting a send against its sender (send.lua on one Redis, send_sender.lua on a cluster): the
-- count's first INCR starts its window, a guest's account and sessions are kept alive, and a send
-- past the limit is refused. The INCR is the first write: a full Redis refuses it, changing nothing.
-- Returns nil when the send may go, else the milliseconds until the window ends.
local function count_send(counter, window_ms, limit, kind, account, sessions, guest_idle_ms)
  local used = redis.call('INCR', counter)
  if used == 1 then
    redis.call('PEXPIRE', counter, window_ms)
  end
  if kind == 'guest' then
    redis.call('PEXPIRE', account, guest_idle_ms)
    redis.call('PEXPIRE', sessions, guest_idle_ms)
  end
  if used > tonumber(limit) then
    return redis.call('PTTL', counter)
  end
  return nil
end
